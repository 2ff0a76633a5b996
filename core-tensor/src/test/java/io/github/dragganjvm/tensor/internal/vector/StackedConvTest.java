package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;


/**
 * {@link StackedConv} (the batched direct convolutions) against the reference loops: the shapes of a StyleGAN2
 * training step at 64 px (batch 16, 16-128 channels), and awkward ones (batch 1 and 3, odd sizes, 1/3/5 channels,
 * output channels below and off the register tile's 8 rows, stride 2 and 3 with odd inputs, paddings above the
 * kernel's reach, more taps than one pass of {@link StackedConv#KC}).
 */
class StackedConvTest {
    private final VectorBackend vec = new VectorBackend();

    /**
     * n, c, h, w, o, kh, kw, stride, pad. The training shapes at 32 and 64 px run at batch 4 instead of 16 to keep
     * the reference loops to seconds: the batch only stacks more samples on the same grid, the code path is the same.
     */
    private static final int[][] CONVS = {
            // training: 3x3 convs of the synthesis / discriminator blocks, stride 1, padding 1
            {4, 16, 64, 64, 16, 3, 3, 1, 1}, {4, 32, 32, 32, 32, 3, 3, 1, 1}, {16, 64, 16, 16, 64, 3, 3, 1, 1},
            {16, 128, 8, 8, 128, 3, 3, 1, 1}, {16, 129, 4, 4, 128, 3, 3, 1, 1},
            // training: the discriminator's down-sampling convs (stride 2 on the filtered 2R+1 input) and a 1x1 conv
            {4, 16, 65, 65, 32, 3, 3, 2, 0}, {16, 64, 17, 17, 128, 3, 3, 2, 0}, {16, 128, 9, 9, 128, 3, 3, 2, 0},
            {4, 3, 64, 64, 16, 1, 1, 1, 0},
            // awkward
            {1, 3, 7, 5, 4, 3, 3, 1, 1}, {3, 5, 9, 7, 3, 3, 3, 2, 0}, {3, 1, 5, 6, 1, 3, 3, 1, 1}, {1, 5, 6, 5, 2, 3, 3, 1, 0},
            {3, 3, 11, 10, 5, 3, 3, 2, 1}, {2, 4, 8, 9, 3, 4, 2, 2, 3}, {3, 2, 10, 10, 9, 3, 3, 3, 2}, {2, 3, 6, 6, 3, 5, 5, 1, 2},
            {3, 40, 12, 11, 36, 3, 3, 1, 1}, {3, 2, 1, 1, 3, 1, 1, 1, 0}, {2, 3, 5, 5, 7, 3, 3, 1, 3}, {3, 5, 13, 13, 11, 3, 3, 2, 1},
    };

    /** Transposed convs: n, c, h, w, o, k, stride, pad (weight [C, O, k, k]); batch 4 for the large ones, as above. */
    private static final int[][] TRANSPOSED = {
            // training: the generator's up-sampling convs (and the discriminator's down-convs' input gradients)
            {16, 128, 4, 4, 128, 3, 2, 0}, {16, 128, 8, 8, 64, 3, 2, 0}, {16, 64, 16, 16, 32, 3, 2, 0}, {4, 32, 32, 32, 16, 3, 2, 0},
            // training: input gradients of the 3x3 convs
            {4, 16, 64, 64, 16, 3, 1, 1}, {16, 128, 8, 8, 128, 3, 1, 1},
            // awkward
            {1, 3, 4, 3, 2, 3, 2, 0}, {3, 5, 5, 7, 3, 3, 2, 1}, {1, 2, 5, 4, 3, 4, 2, 1}, {3, 3, 3, 5, 2, 3, 3, 0},
            {2, 2, 4, 4, 2, 2, 3, 0}, {3, 40, 6, 5, 33, 3, 2, 0}, {3, 1, 1, 1, 1, 1, 1, 0}, {1, 3, 5, 5, 4, 5, 1, 2},
            {3, 5, 7, 6, 9, 3, 1, 2},
    };

    private static final DirectConvCheck.Kernel KERNEL =
            new DirectConvCheck.Kernel(StackedConv::conv2d, StackedConv::convTranspose2d, StackedConv::conv2dWeightGrad);

    private static double tol(long terms) { return DirectConvCheck.tol(terms); }

    @Test void conv2dMatchesReference() { DirectConvCheck.conv2d(CONVS, KERNEL); }

    @Test void conv2dWeightGradMatchesReference() { DirectConvCheck.conv2dWeightGrad(CONVS, KERNEL); }

    @Test void convTranspose2dMatchesReference() { DirectConvCheck.convTranspose2d(TRANSPOSED, KERNEL); }

    @Test void readsViewsOfAnyStrides() { DirectConvCheck.views(KERNEL); }

    /** Both register tiles (AVX-512's 8 x 3 vectors, AVX2's 4 x 2), whatever this CPU runs, against a scalar product. */
    @Test void bothRegisterTiles() {
        int vl = Sgemm.VL, kc = 37, k0 = 5, lda = 50, p = 11;
        for (int mr : new int[]{4, 8}) {
            int cells = mr == 8 ? 3 * vl : 2 * vl, rs = cells + 7;
            java.util.SplittableRandom r = new java.util.SplittableRandom(mr);
            float[] x = new float[600 + cells], a = new float[3 + mr * lda], c = new float[3 + mr * rs];
            int[] koff = new int[k0 + kc];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < koff.length; i++) koff[i] = r.nextInt(500);
            java.util.Arrays.fill(c, 1f);
            if (mr == 8) StackedConv.kernel8(kc, a, 3, lda, x, koff, k0, p, c, 3, rs);
            else StackedConv.kernel4(kc, a, 3, lda, x, koff, k0, p, c, 3, rs);
            double worst = 0;
            for (int i = 0; i < mr; i++) {
                for (int j = 0; j < cells; j++) {
                    double s = 0;
                    for (int k = 0; k < kc; k++) s += (double) a[3 + i * lda + k] * x[koff[k0 + k] + p + j];
                    worst = Math.max(worst, Math.abs(s - c[3 + i * rs + j]));
                }
            }
            System.out.println("register tile " + mr + " x " + cells + ": max |diff| " + worst);
            org.junit.jupiter.api.Assertions.assertTrue(worst <= tol(kc), "register tile " + mr + ": max |diff| " + worst);
            org.junit.jupiter.api.Assertions.assertEquals(1f, c[0], "the tile wrote before its first element");
        }
    }

    /**
     * Both weight-gradient tiles (AVX-512's 4 x 6, AVX2's 2 x 6), whatever this CPU runs: the 2 x 6 tile on rows 0-1
     * and 2-3 gives the same bits as the 4 x 6 tile (every lane's sum runs in the same order), and both match a
     * per-lane scalar sum in double.
     */
    @Test void bothWeightTiles() {
        int vl = Sgemm.VL, len = 5 * vl, gs = len + 3, go = 2, k0 = 1, p0 = 7;
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        float[] g = new float[go + 4 * gs], x = new float[700];
        int[] koff = new int[k0 + 6];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < koff.length; i++) koff[i] = r.nextInt(600 - p0 - len);
        float[] part46 = new float[24 * vl], lo = new float[12 * vl], hi = new float[12 * vl];
        StackedConv.weightTile(g, go, gs, x, koff, k0, p0, len, part46);
        StackedConv.weightTile26(g, go, gs, x, koff, k0, p0, len, lo);
        StackedConv.weightTile26(g, go + 2 * gs, gs, x, koff, k0, p0, len, hi);
        float[] part26 = java.util.Arrays.copyOf(lo, 24 * vl);
        System.arraycopy(hi, 0, part26, 12 * vl, 12 * vl);
        org.junit.jupiter.api.Assertions.assertArrayEquals(part46, part26, "the 4 x 6 and 2 x 6 tiles differ");
        double worst = 0;
        for (int o = 0; o < 4; o++) {
            for (int t = 0; t < 6; t++) {
                for (int l = 0; l < vl; l++) {
                    double s = 0;
                    for (int i = l; i < len; i += vl) s += (double) g[go + o * gs + i] * x[koff[k0 + t] + p0 + i];
                    worst = Math.max(worst, Math.abs(s - part46[(o * 6 + t) * vl + l]));
                }
            }
        }
        System.out.println("weight tiles 4 x 6 and 2 x 6: the same bits; max |diff| from double " + worst);
        org.junit.jupiter.api.Assertions.assertTrue(worst <= tol(len / vl), "weight tile: max |diff| " + worst);
    }

    @Test void batchesTakeTheStackedPathAndAreDeterministic() {
        // the backend sends batches (N >= 2, one group) here, except large 3x3 convs, which go to Winograd
        Tensor x = Tensor.uniform(DType.F32, 5, -1, 1, 4, 16, 20, 20), w = Tensor.uniform(DType.F32, 6, -1, 1, 24, 16, 3, 3);
        Tensor g = Tensor.uniform(DType.F32, 7, -1, 1, 4, 24, 20, 20);
        Tensor y = StackedConv.conv2d(x, w, 1, 1, 1, 1);
        Golden.assertBitEqual("conv2d run twice", y, StackedConv.conv2d(x, w, 1, 1, 1, 1));
        Golden.assertBitEqual("VectorBackend.conv2d of a batch", y, vec.conv2d(x, w, 1, 1, 1, 1, 1));
        Golden.assertBitEqual("VectorBackend.convTranspose2d of a batch", StackedConv.convTranspose2d(g, w, 1, 1, 1, 1),
                vec.convTranspose2d(g, w, 1, 1, 1, 1, 1));
        Tensor dw = StackedConv.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1);
        Golden.assertBitEqual("conv2dWeightGrad run twice", dw, StackedConv.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1));
        Golden.assertBitEqual("VectorBackend.conv2dWeightGrad of a batch", dw, vec.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1, 1));
    }
}
