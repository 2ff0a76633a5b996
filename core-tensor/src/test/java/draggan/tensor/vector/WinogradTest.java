package draggan.tensor.vector;

import draggan.tensor.DType;
import draggan.tensor.Ops;
import draggan.tensor.ReferenceBackend;
import draggan.tensor.Tensor;
import draggan.tensor.VectorBackend;
import draggan.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Winograd F(2x2, 3x3) against the reference convolution run in float64 on awkward sizes and views.
 *
 * <p>Tolerance: Winograd's float32 error is a few ulps of the sum of |products| (the input transform adds up to
 * 4 inputs, the weight transform up to 9 taps times 1/4, the output transform up to 9 GEMM results), so the bound
 * is stated relative to the largest such sum over the output, {@code S = max |x| (*) |w|} (the reference conv of
 * the absolute values): {@code max |winograd - exact| <= 1e-6 * S} (about 8 float32 ulps of S; measured 3e-8 ..
 * 1.3e-7 S, printed below).
 */
class WinogradTest {
    private static final double REL_TO_ABS_SUM = 1e-6;

    private final ReferenceBackend ref = new ReferenceBackend();
    private final VectorBackend vec = new VectorBackend();

    /** n, c, o, h, w: 1x1, 2x3, 7x7, 33x17 images, 1, 3, 17, 64 channels, batches of 2, rows long enough to vectorise. */
    private static final int[][] CASES = {
            {1, 1, 1, 1, 1}, {1, 3, 2, 2, 3}, {2, 17, 3, 7, 7}, {1, 3, 17, 33, 17}, {2, 64, 64, 9, 10},
            {1, 64, 17, 33, 17}, {2, 5, 7, 40, 37}, {1, 17, 64, 16, 16}, {1, 2, 3, 1, 35}, {1, 2, 3, 35, 1},
    };

    /** max over the output of sum |x| |w| (the reference conv of the absolute values, float64). */
    private Tensor absSum(Tensor x64, Tensor w64, boolean transposed) {
        Tensor ax = Ops.abs(x64), aw = Ops.abs(w64);
        return transposed ? ref.convTranspose2d(ax, aw, 1, 1, 1, 1, 1) : ref.conv2d(ax, aw, 1, 1, 1, 1, 1);
    }

    private void check(String what, Tensor exact, Tensor sums, Tensor actual) {
        double s = Golden.diff(sums, sums).maxRef();
        Golden.Diff d = Golden.assertClose(what, exact, actual, REL_TO_ABS_SUM * s);
        System.out.printf("  %s: error / max sum|products| = %.2e%n", what, d.maxAbs() / s);
    }

    @Test void conv2dMatchesFloat64Reference() {
        int seed = 0;
        for (int[] c : CASES) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[3], c[4]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[2], c[1], 3, 3);
            Tensor x64 = x.copyAs(DType.F64), w64 = w.copyAs(DType.F64);
            check("winograd conv2d " + Arrays.toString(c), ref.conv2d(x64, w64, 1, 1, 1, 1, 1), absSum(x64, w64, false),
                    Winograd.conv2d(x, w));
        }
    }

    @Test void convTranspose2dMatchesFloat64Reference() {
        int seed = 100;
        for (int[] c : CASES) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[3], c[4]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[1], c[2], 3, 3);            // [C, O, 3, 3]
            Tensor x64 = x.copyAs(DType.F64), w64 = w.copyAs(DType.F64);
            check("winograd convTranspose2d " + Arrays.toString(c), ref.convTranspose2d(x64, w64, 1, 1, 1, 1, 1),
                    absSum(x64, w64, true), Winograd.convTranspose2d(x, w));
        }
    }

    @Test void readsStridedViews() {
        // channels-last buffer permuted to NCHW; a slice with row and channel offsets; a weight with swapped axes
        Tensor x = Tensor.uniform(DType.F32, 1, -1, 1, 2, 13, 19, 6).permuteView(0, 3, 1, 2);     // [2, 6, 13, 19]
        Tensor w = Tensor.uniform(DType.F32, 2, -1, 1, 6, 5, 3, 3).transposeView(0, 1);          // [5, 6, 3, 3]
        Tensor x64 = x.copyAs(DType.F64), w64 = w.copyAs(DType.F64);
        check("winograd channels-last view", ref.conv2d(x64, w64, 1, 1, 1, 1, 1), absSum(x64, w64, false), Winograd.conv2d(x, w));

        Tensor xs = Tensor.uniform(DType.F32, 3, -1, 1, 2, 9, 40, 41).sliceView(1, 2, 7).sliceView(2, 3, 36).sliceView(3, 1, 40);
        Tensor ws = Tensor.uniform(DType.F32, 4, -1, 1, 4, 5, 3, 3).transposeView(2, 3);         // [4, 5, 3, 3]
        Tensor xs64 = xs.copyAs(DType.F64), ws64 = ws.copyAs(DType.F64);
        check("winograd sliced view", ref.conv2d(xs64, ws64, 1, 1, 1, 1, 1), absSum(xs64, ws64, false), Winograd.conv2d(xs, ws));
        check("winograd transposed, sliced view", ref.convTranspose2d(xs64, ws64.transposeView(0, 1), 1, 1, 1, 1, 1),
                absSum(xs64, ws64.transposeView(0, 1), true), Winograd.convTranspose2d(xs, ws.transposeView(0, 1)));
    }

    @Test void preparedWeightsBandsAndRepeatsAreBitIdentical() {
        Tensor x = Tensor.uniform(DType.F32, 5, -1, 1, 2, 40, 21, 37);
        Tensor w = Tensor.uniform(DType.F32, 6, -1, 1, 24, 40, 3, 3);
        Tensor once = Winograd.conv2d(x, w);
        Winograd.Weights u = Winograd.prepareWeights(w);
        Golden.assertBitEqual("prepared weights", once, Winograd.conv2d(x, u));
        Golden.assertBitEqual("second run", once, Winograd.conv2d(x, u));
        // one tile row per band (the band split must not change any sum)
        Golden.assertBitEqual("one tile row per band", once, Winograd.conv2d(x, u, 1));
        Golden.assertBitEqual("three tile rows per band", once, Winograd.conv2d(x, u, 3 * 16 * 19 * 64));
    }

    @Test void vectorBackendDispatchAgreesWithDirectPath() {
        // shapes that take the Winograd path through VConv: compare with the direct GEMM (float32 both)
        Tensor x = Tensor.uniform(DType.F32, 7, -1, 1, 1, 48, 16, 12);
        Tensor w = Tensor.uniform(DType.F32, 8, -1, 1, 40, 48, 3, 3);
        Tensor w64 = w.copyAs(DType.F64), x64 = x.copyAs(DType.F64);
        check("VectorBackend conv2d (winograd)", ref.conv2d(x64, w64, 1, 1, 1, 1, 1), absSum(x64, w64, false),
                vec.conv2d(x, w, 1, 1, 1, 1, 1));
        Tensor g = Tensor.uniform(DType.F32, 9, -1, 1, 1, 40, 16, 12);
        Tensor g64 = g.copyAs(DType.F64);
        check("VectorBackend convTranspose2d (winograd)", ref.convTranspose2d(g64, w64, 1, 1, 1, 1, 1), absSum(g64, w64, true),
                vec.convTranspose2d(g, w, 1, 1, 1, 1, 1));
    }

    @Test void rejectsWrongShapes() {
        Tensor x = Tensor.zeros(1, 4, 5, 5);
        assertThrows(IllegalArgumentException.class, () -> Winograd.prepareWeights(Tensor.zeros(2, 4, 5, 5)));
        assertThrows(IllegalArgumentException.class, () -> Winograd.conv2d(x, Winograd.prepareWeights(Tensor.zeros(2, 3, 3, 3))));
        assertThrows(IllegalArgumentException.class, () -> Winograd.prepareWeights(Tensor.zeros(DType.F64, 2, 4, 3, 3)));
    }
}
