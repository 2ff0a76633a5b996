package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.testing.Golden;

import java.util.Arrays;

/**
 * The checks a batched direct convolution kernel ({@link StackedConv}, {@link IndexedConv}) must pass, written once:
 * its conv2d, weight gradient and transposed conv against the reference loops on a table of shapes, and on views of
 * any strides. Inputs are uniform in [-1, 1]; the bound is {@link #tol} of the terms each output sums. Worst index and
 * values printed on mismatch ({@link Golden#assertClose}).
 */
final class DirectConvCheck {
    private DirectConvCheck() {}

    private static final ReferenceBackend REF = new ReferenceBackend();

    /** conv2d or convTranspose2d of x with w, strides sh x sw, paddings ph x pw (groups 1). */
    interface Conv { Tensor apply(Tensor x, Tensor w, int sh, int sw, int ph, int pw); }

    /** conv2dWeightGrad of x and gout for a kh x kw kernel, strides sh x sw, paddings ph x pw (groups 1). */
    interface WeightGrad { Tensor apply(Tensor x, Tensor gout, int kh, int kw, int sh, int sw, int ph, int pw); }

    /** The kernel under test. */
    record Kernel(Conv conv2d, Conv convTranspose2d, WeightGrad conv2dWeightGrad) {}

    /** The error bound of a float sum of {@code terms} products of values in [-1, 1] (as VConvTest). */
    static double tol(long terms) { return 1e-6 * Math.max(1, terms); }

    /** conv2d on cases {n, c, h, w, o, kh, kw, stride, pad}. */
    static void conv2d(int[][] cases, Kernel k) {
        int seed = 0;
        for (int[] c : cases) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[2], c[3]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[4], c[1], c[5], c[6]);
            Golden.assertClose("conv2d " + Arrays.toString(c), REF.conv2d(x, w, c[7], c[7], c[8], c[8], 1),
                    k.conv2d().apply(x, w, c[7], c[7], c[8], c[8]), tol((long) c[1] * c[5] * c[6]));
        }
    }

    /** conv2dWeightGrad on the same cases as {@link #conv2d}. */
    static void conv2dWeightGrad(int[][] cases, Kernel k) {
        int seed = 100;
        for (int[] c : cases) {
            int ho = Shapes.convOut(c[2], c[5], c[7], c[8]), wo = Shapes.convOut(c[3], c[6], c[7], c[8]);
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[2], c[3]);
            Tensor g = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[4], ho, wo);
            Golden.assertClose("conv2dWeightGrad " + Arrays.toString(c), REF.conv2dWeightGrad(x, g, c[5], c[6], c[7], c[7], c[8], c[8], 1),
                    k.conv2dWeightGrad().apply(x, g, c[5], c[6], c[7], c[7], c[8], c[8]), tol((long) c[0] * ho * wo));
        }
    }

    /** convTranspose2d on cases {n, c, h, w, o, k, stride, pad} (weight [C, O, k, k]). */
    static void convTranspose2d(int[][] cases, Kernel k) {
        int seed = 200;
        for (int[] c : cases) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[2], c[3]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[1], c[4], c[5], c[5]);
            Golden.assertClose("convTranspose2d " + Arrays.toString(c), REF.convTranspose2d(x, w, c[6], c[6], c[7], c[7], 1),
                    k.convTranspose2d().apply(x, w, c[6], c[6], c[7], c[7]), tol((long) c[1] * c[5] * c[5]));
        }
    }

    /** All three on views: x channels-last permuted to NCHW, w with swapped spatial dims, a sliced gradient; uneven strides and padding. */
    static void views(Kernel k) {
        Tensor x = Tensor.uniform(DType.F32, 1, -1, 1, 3, 13, 11, 5).permuteView(0, 3, 1, 2);   // [3, 5, 13, 11]
        Tensor w = Tensor.uniform(DType.F32, 2, -1, 1, 9, 5, 3, 2).transposeView(2, 3);          // [9, 5, 2, 3]
        Golden.assertClose("conv2d views", REF.conv2d(x, w, 2, 1, 1, 0, 1), k.conv2d().apply(x, w, 2, 1, 1, 0), tol(30));
        Tensor g = Tensor.uniform(DType.F32, 3, -1, 1, 3, 9, 7, 12).sliceView(3, 1, 10);         // [3, 9, 7, 9]
        Golden.assertClose("conv2dWeightGrad views", REF.conv2dWeightGrad(x, g, 2, 3, 2, 1, 1, 0, 1),
                k.conv2dWeightGrad().apply(x, g, 2, 3, 2, 1, 1, 0), tol(3 * 7 * 9));
        Tensor wt = Tensor.uniform(DType.F32, 4, -1, 1, 4, 9, 3, 3).transposeView(0, 1);         // [9, 4, 3, 3] view
        Golden.assertClose("convTranspose2d views", REF.convTranspose2d(g, wt, 2, 1, 1, 0, 1),
                k.convTranspose2d().apply(g, wt, 2, 1, 1, 0), tol(9 * 9));
    }
}
