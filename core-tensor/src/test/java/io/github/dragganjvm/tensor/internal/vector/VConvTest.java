package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

/** Vector convolutions against the reference loops on awkward sizes, strides, paddings, groups and views. */
class VConvTest {
    private final ReferenceBackend ref = new ReferenceBackend();
    private final VectorBackend vec = new VectorBackend();

    /** n, c, h, w, o, kh, kw, stride, pad, groups */
    private static final int[][] CASES = {
            {1, 3, 7, 5, 4, 3, 3, 1, 1, 1},
            {2, 4, 9, 8, 6, 3, 3, 2, 1, 2},
            {1, 5, 33, 7, 7, 1, 1, 1, 0, 1},
            {1, 2, 6, 6, 3, 5, 5, 1, 2, 1},
            {1, 3, 8, 9, 2, 4, 2, 2, 3, 1},
            {1, 40, 12, 11, 36, 3, 3, 1, 1, 1},   // K = 360 > KC: several rank-k updates
            {3, 6, 5, 5, 6, 3, 3, 1, 1, 6},       // depthwise
            {1, 1, 1, 1, 1, 1, 1, 1, 0, 1},
            {1, 2, 10, 10, 33, 3, 3, 3, 2, 1},
    };

    private static double tol(int k) { return 1e-6 * Math.max(1, k); }

    @Test void conv2dMatchesReference() {
        int seed = 0;
        for (int[] c : CASES) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[2], c[3]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[4], c[1] / c[9], c[5], c[6]);
            Golden.assertClose("conv2d " + java.util.Arrays.toString(c), ref.conv2d(x, w, c[7], c[7], c[8], c[8], c[9]),
                    vec.conv2d(x, w, c[7], c[7], c[8], c[8], c[9]), tol(c[1] * c[5] * c[6]));
        }
    }

    @Test void conv2dReadsStridedViewsAndUnevenStrides() {
        // x as a channels-last buffer permuted to NCHW, w transposed in its spatial dims
        Tensor x = Tensor.uniform(DType.F32, 1, -1, 1, 2, 13, 11, 5).permuteView(0, 3, 1, 2);  // [2, 5, 13, 11]
        Tensor w = Tensor.uniform(DType.F32, 2, -1, 1, 7, 5, 3, 2).transposeView(2, 3);         // [7, 5, 2, 3]
        Golden.assertClose("conv2d channels-last view", ref.conv2d(x, w, 2, 1, 1, 0, 1), vec.conv2d(x, w, 2, 1, 1, 0, 1), tol(30));
        Tensor xs = Tensor.uniform(DType.F32, 3, -1, 1, 1, 4, 20, 20).sliceView(3, 2, 17).sliceView(2, 1, 19);
        Tensor w2 = Tensor.uniform(DType.F32, 4, -1, 1, 3, 4, 3, 3);
        Golden.assertClose("conv2d sliced view", ref.conv2d(xs, w2, 1, 1, 1, 1, 1), vec.conv2d(xs, w2, 1, 1, 1, 1, 1), tol(36));
    }

    /**
     * Single samples with strides above 1 (the per-sample GEMMs read their im2col rows from phase planes):
     * uneven strides and paddings, groups, a view, and the input and weight gradients of StyleGAN2's up-sampling
     * transposed conv (stride 2, 3x3, padding 0 on a [1, O, 2R+1, 2R+1] gradient).
     */
    @Test void stridedSingleSampleConvsMatchReference() {
        // c, h, w, o, kh, kw, sh, sw, ph, pw, groups
        int[][] cases = {
                {6, 17, 17, 5, 3, 3, 2, 2, 0, 0, 1}, {4, 9, 12, 6, 3, 2, 2, 1, 1, 0, 2}, {3, 8, 13, 4, 2, 3, 1, 3, 0, 2, 1},
                {40, 13, 13, 36, 3, 3, 2, 2, 0, 0, 1}, {5, 11, 10, 3, 5, 4, 3, 2, 2, 1, 1},
        };
        int seed = 300;
        for (int[] c : cases) {
            int ho = (c[1] + 2 * c[8] - c[4]) / c[6] + 1, wo = (c[2] + 2 * c[9] - c[5]) / c[7] + 1;
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, 1, c[0], c[1], c[2]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[3], c[0] / c[10], c[4], c[5]);
            Tensor g = Tensor.uniform(DType.F32, ++seed, -1, 1, 1, c[3], ho, wo);
            String name = java.util.Arrays.toString(c);
            Golden.assertClose("conv2d " + name, ref.conv2d(x, w, c[6], c[7], c[8], c[9], c[10]),
                    vec.conv2d(x, w, c[6], c[7], c[8], c[9], c[10]), tol(c[0] * c[4] * c[5]));
            Golden.assertClose("conv2dWeightGrad " + name, ref.conv2dWeightGrad(x, g, c[4], c[5], c[6], c[7], c[8], c[9], c[10]),
                    vec.conv2dWeightGrad(x, g, c[4], c[5], c[6], c[7], c[8], c[9], c[10]), tol(ho * wo));
        }
        Tensor xv = Tensor.uniform(DType.F32, 9, -1, 1, 1, 15, 13, 4).permuteView(0, 3, 1, 2);   // [1, 4, 15, 13] view
        Tensor wv = Tensor.uniform(DType.F32, 10, -1, 1, 4, 3, 3, 3).transposeView(0, 1);       // [3, 4, 3, 3] view
        Golden.assertClose("conv2d view, stride 2", ref.conv2d(xv, wv, 2, 2, 0, 0, 1), vec.conv2d(xv, wv, 2, 2, 0, 0, 1), tol(36));
        Tensor gv = Tensor.uniform(DType.F32, 11, -1, 1, 1, 6, 7, 3).permuteView(0, 3, 1, 2);    // [1, 3, 6, 7] view
        Golden.assertClose("conv2dWeightGrad view, stride 2", ref.conv2dWeightGrad(xv, gv, 3, 3, 2, 2, 0, 0, 1),
                vec.conv2dWeightGrad(xv, gv, 3, 3, 2, 2, 0, 0, 1), tol(42));
    }

    /**
     * A single large map with few channels takes the stacked path (see VConv.stackedSingle): a 3x3 conv, its
     * stride-1 transposed conv and the stride-2 up-sampling transposed conv of [1, 3, 256, 260] (a view), against
     * the reference.
     */
    @Test void singleLargeMapWithFewChannelsMatchesReference() {
        Tensor x = Tensor.uniform(DType.F32, 500, -1, 1, 1, 256, 260, 3).permuteView(0, 3, 1, 2);   // [1, 3, 256, 260]
        Tensor w = Tensor.uniform(DType.F32, 501, -1, 1, 5, 3, 3, 3), wt = Tensor.uniform(DType.F32, 502, -1, 1, 3, 4, 3, 3);
        Golden.assertClose("conv2d single large map", ref.conv2d(x, w, 1, 1, 1, 1, 1), vec.conv2d(x, w, 1, 1, 1, 1, 1), tol(27));
        Golden.assertClose("convTranspose2d single large map", ref.convTranspose2d(x, wt, 1, 1, 1, 1, 1),
                vec.convTranspose2d(x, wt, 1, 1, 1, 1, 1), tol(27));
        Golden.assertClose("convTranspose2d stride 2 single large map", ref.convTranspose2d(x, wt, 2, 2, 0, 0, 1),
                vec.convTranspose2d(x, wt, 2, 2, 0, 0, 1), tol(27));
    }

    @Test void convTranspose2dMatchesReference() {
        int seed = 100;
        // n, c, h, w, o, k, stride, pad, groups
        int[][] cases = {
                {1, 3, 4, 3, 2, 3, 2, 0, 1}, {2, 4, 3, 3, 6, 3, 1, 1, 2}, {1, 5, 7, 6, 3, 3, 2, 1, 1},
                {1, 2, 5, 4, 3, 4, 2, 1, 1}, {1, 3, 3, 5, 2, 3, 3, 0, 1}, {1, 2, 4, 4, 2, 2, 3, 0, 1},
                {1, 40, 6, 5, 33, 3, 2, 0, 1}, {1, 1, 1, 1, 1, 1, 1, 0, 1}, {1, 3, 5, 5, 4, 5, 1, 2, 1},
        };
        for (int[] c : cases) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[2], c[3]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[1], c[4] / c[8], c[5], c[5]);
            Golden.assertClose("convTranspose2d " + java.util.Arrays.toString(c), ref.convTranspose2d(x, w, c[6], c[6], c[7], c[7], c[8]),
                    vec.convTranspose2d(x, w, c[6], c[6], c[7], c[7], c[8]), tol(c[1] * c[5] * c[5]));
        }
        Tensor xv = Tensor.uniform(DType.F32, 7, -1, 1, 1, 6, 5, 3).permuteView(0, 3, 1, 2);    // [1, 3, 6, 5] view
        Tensor wv = Tensor.uniform(DType.F32, 8, -1, 1, 4, 3, 3, 3).transposeView(0, 1);        // [3, 4, 3, 3] view
        Golden.assertClose("convTranspose2d views, stride 2", ref.convTranspose2d(xv, wv, 2, 2, 1, 1, 1),
                vec.convTranspose2d(xv, wv, 2, 2, 1, 1, 1), tol(27));
    }

    /**
     * The phase path itself (the dispatcher sends batches and 3x3 stride-1 shapes elsewhere), through its wide im2col:
     * strides 2 and 3, paddings that empty phases or reach past the kernel, several samples and groups, odd sizes.
     */
    @Test void convTranspose2dPhasesMatchesReference() {
        int seed = 300;
        // n, c, h, w, o, k, stride, pad, groups
        int[][] cases = {
                {1, 8, 9, 7, 5, 3, 2, 0, 1}, {2, 4, 5, 6, 6, 3, 2, 1, 2}, {1, 3, 6, 5, 2, 4, 2, 1, 1},
                {1, 2, 4, 4, 2, 2, 3, 0, 1}, {3, 5, 3, 4, 3, 5, 3, 2, 1}, {1, 6, 1, 1, 4, 3, 2, 0, 1},
                {1, 300, 5, 4, 9, 3, 2, 0, 1},                                    // K = 1200 > KC
                {1, 4, 17, 40, 7, 3, 2, 0, 1},                                    // wide rows: several NR panels per row
        };
        for (int[] c : cases) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[2], c[3]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[1], c[4] / c[8], c[5], c[5]);
            Golden.assertClose("convTranspose2dPhases " + java.util.Arrays.toString(c), ref.convTranspose2d(x, w, c[6], c[6], c[7], c[7], c[8]),
                    VConv.convTranspose2dPhases(x, w, c[6], c[6], c[7], c[7], c[8]), tol(c[1] * c[5] * c[5]));
        }
        Tensor xv = Tensor.uniform(DType.F32, 9, -1, 1, 2, 7, 6, 3).permuteView(0, 3, 1, 2);    // [2, 3, 7, 6] view
        Tensor wv = Tensor.uniform(DType.F32, 10, -1, 1, 4, 3, 3, 3).transposeView(0, 1);       // [3, 4, 3, 3] view
        Golden.assertClose("convTranspose2dPhases views", ref.convTranspose2d(xv, wv, 2, 2, 0, 0, 1),
                VConv.convTranspose2dPhases(xv, wv, 2, 2, 0, 0, 1), tol(27));
    }

    /**
     * The fused up-sampling conv gives the bits of its two ops (transposed conv, then the blur), on the fused path
     * (single images, any filter padding including crops, constant weights) and on the default (a batch of two).
     */
    @Test void convTranspose2dFirIsTheTwoOps() {
        Tensor f = Tensor.zeros(DType.F32, 4, 4);
        double[] k = {1, 3, 3, 1};
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) f.set(k[i] * k[j] / 64, i, j);
        Tensor f3 = Tensor.uniform(DType.F32, 400, 0, 1, 3, 2);                             // not separable, not square
        int seed = 410;
        // n, c, h, w, o, k, pad; filter; filterPad {x0, x1, y0, y1}
        Object[][] cases = {
                {new int[]{1, 8, 9, 7, 5, 3, 0}, f, new int[]{1, 1, 1, 1}},
                {new int[]{1, 40, 16, 16, 24, 3, 0}, f, new int[]{1, 1, 1, 1}},            // K = 160: several NR panels per row
                {new int[]{1, 6, 5, 6, 3, 3, 0}, f, new int[]{2, 0, -1, 3}},              // crops and uneven pads
                {new int[]{1, 5, 6, 4, 4, 4, 1}, f3, new int[]{0, 1, 1, 0}},
                {new int[]{1, 3, 1, 1, 2, 3, 0}, f, new int[]{1, 1, 1, 1}},
                {new int[]{2, 4, 5, 5, 3, 3, 0}, f, new int[]{1, 1, 1, 1}},               // a batch: the default path
        };
        for (Object[] cs : cases) {
            int[] c = (int[]) cs[0];
            Tensor ff = (Tensor) cs[1];
            int[] fp = (int[]) cs[2];
            for (boolean constant : new boolean[]{false, true}) {
                Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[2], c[3]);
                Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[1], c[4], c[5], c[5]);
                if (constant) w = w.copy().markConstant();
                String what = "convTranspose2dFir " + java.util.Arrays.toString(c) + " filterPad " + java.util.Arrays.toString(fp) + (constant ? " constant" : "");
                Tensor want = vec.upfirdn2d(vec.convTranspose2d(x, w, 2, 2, c[6], c[6], 1), ff, 1, 1, 1, 1, fp[0], fp[1], fp[2], fp[3], 4, false);
                Golden.assertClose(what, want, io.github.dragganjvm.tensor.Ops.convTranspose2dFir(x, w, 2, c[6], ff, fp, 4), 0);
                Golden.assertClose(what + " (reference)", want, ref.convTranspose2dFir(x, w, 2, c[6], ff, fp, 4), tol(c[1] * c[5] * c[5]) * 16);
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(VConv.firFusable(Tensor.zeros(DType.F32, 1, 8, 9, 7), Tensor.zeros(DType.F32, 8, 5, 3, 3), 2, 0));
        org.junit.jupiter.api.Assertions.assertFalse(VConv.firFusable(Tensor.zeros(DType.F32, 2, 8, 9, 7), Tensor.zeros(DType.F32, 8, 5, 3, 3), 2, 0));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> io.github.dragganjvm.tensor.Ops.convTranspose2dFir(Tensor.zeros(DType.F32, 1, 2, 1, 1), Tensor.zeros(DType.F32, 2, 3, 3, 3), 2, 0, f,
                        new int[]{-3, 0, 0, 0}, 4));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("convTranspose2dFir: output would be") && e.getMessage().contains("transposed conv output [1, 3, 3, 3]"),
                e.getMessage());
    }

    @Test void conv2dWeightGradMatchesReference() {
        int seed = 200;
        for (int[] c : CASES) {
            int ho = (c[2] + 2 * c[8] - c[5]) / c[7] + 1, wo = (c[3] + 2 * c[8] - c[6]) / c[7] + 1;
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[2], c[3]);
            Tensor g = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[4], ho, wo);
            Golden.assertClose("conv2dWeightGrad " + java.util.Arrays.toString(c),
                    ref.conv2dWeightGrad(x, g, c[5], c[6], c[7], c[7], c[8], c[8], c[9]),
                    vec.conv2dWeightGrad(x, g, c[5], c[6], c[7], c[7], c[8], c[8], c[9]), tol(c[0] * ho * wo));
        }
        Tensor x = Tensor.uniform(DType.F32, 9, -1, 1, 2, 7, 9, 3).permuteView(0, 3, 1, 2);     // [2, 3, 7, 9] view
        Tensor g = Tensor.uniform(DType.F32, 10, -1, 1, 2, 4, 9, 7).transposeView(2, 3);        // [2, 4, 7, 9] view
        Golden.assertClose("conv2dWeightGrad views", ref.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1, 1),
                vec.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1, 1), tol(126));
    }
}
