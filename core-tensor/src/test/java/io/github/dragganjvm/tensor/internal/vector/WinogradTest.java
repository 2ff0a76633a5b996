package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) against the reference convolution run in float64 on awkward sizes and views.
 *
 * <p>Tolerance: Winograd's float32 error is a few ulps of the sum of |products| times the growth of the transforms
 * (F(2x2): the input transform adds up to 4 inputs, the weight transform 9 taps times 1/4, the output transform up
 * to 9 GEMM results; F(4x4) has coefficients up to 5 and 8 in its 6x6 transforms), so the bound is stated relative
 * to the largest such sum over the output, {@code S = max |x| (*) |w|} (the reference conv of the absolute values):
 * {@code max |winograd - exact| <= tol * S} with tol 1e-6 for F(2x2) (about 8 float32 ulps of S; measured 3e-8 ..
 * 1.3e-7 S, like the direct GEMM path's 2e-8 .. 1.5e-7) and 1e-5 for F(4x4) (measured 1e-7 .. 2.3e-6 S). The
 * measured ratio is printed for every case.
 */
class WinogradTest {
    /** Error bound relative to the largest sum of |products|, by output tile. */
    private static double tolerance(int tile) { return tile == 2 ? 1e-6 : 1e-5; }

    private final ReferenceBackend ref = new ReferenceBackend();
    private final VectorBackend vec = new VectorBackend();

    /** n, c, o, h, w: 1x1, 2x3, 7x7, 33x17 images, 1, 3, 17, 64 channels, batches of 2, rows long enough to vectorise. */
    private static final int[][] CASES = {
            {1, 1, 1, 1, 1}, {1, 3, 2, 2, 3}, {2, 17, 3, 7, 7}, {1, 3, 17, 33, 17}, {2, 64, 64, 9, 10},
            {1, 64, 17, 33, 17}, {2, 5, 7, 40, 37}, {1, 17, 64, 16, 16}, {1, 2, 3, 1, 35}, {1, 2, 3, 35, 1},
    };

    /** conv2d paddings (ph, pw) tried on every case: the forward's 1, and the 0 / 2 of other uses. */
    private static final int[][] PADDINGS = {{1, 1}, {0, 0}, {2, 2}, {0, 1}};

    /** max over the output of sum |x| |w| (the reference conv of the absolute values, float64). */
    private Tensor absSum(Tensor x64, Tensor w64, boolean transposed, int ph, int pw) {
        Tensor ax = Ops.abs(x64), aw = Ops.abs(w64);
        return transposed ? ref.convTranspose2d(ax, aw, 1, 1, ph, pw, 1) : ref.conv2d(ax, aw, 1, 1, ph, pw, 1);
    }

    /** Winograd (float32) against the float64 reference, within tolerance(tile) times the largest sum of |products|. */
    private void check(String what, Tensor x, Tensor w, boolean transposed, int ph, int pw, int tile, Tensor actual) {
        Tensor x64 = x.copyAs(DType.F64), w64 = w.copyAs(DType.F64);
        Tensor exact = transposed ? ref.convTranspose2d(x64, w64, 1, 1, ph, pw, 1) : ref.conv2d(x64, w64, 1, 1, ph, pw, 1);
        double s = Golden.diff(absSum(x64, w64, transposed, ph, pw), exact).maxRef();
        Golden.Diff d = Golden.assertClose(what + " F(" + tile + "x" + tile + ")", exact, actual, tolerance(tile) * s);
        System.out.printf("  error / max sum|products| = %.2e%n", d.maxAbs() / s);
    }

    /** {@link #check} with the default tile (what VConv runs). */
    private void check(String what, Tensor x, Tensor w, boolean transposed, int ph, int pw, Tensor actual) {
        check(what, x, w, transposed, ph, pw, Winograd.TILE, actual);
    }

    private static boolean fits(int[] c, int ph, int pw) { return c[3] + 2 * ph - 2 >= 1 && c[4] + 2 * pw - 2 >= 1; }

    @Test void conv2dMatchesFloat64Reference() {
        int seed = 0;
        for (int[] c : CASES) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[3], c[4]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[2], c[1], 3, 3);
            for (int[] p : PADDINGS) {
                if (!fits(c, p[0], p[1])) continue;
                for (int tile : new int[]{2, 4}) {
                    check("winograd conv2d " + Arrays.toString(c) + " padding " + Arrays.toString(p), x, w, false, p[0], p[1], tile,
                            Winograd.conv2d(x, Winograd.weights(w, false, tile), p[0], p[1]));
                }
            }
        }
    }

    @Test void convTranspose2dMatchesFloat64Reference() {
        int seed = 100;
        for (int[] c : CASES) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[3], c[4]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[1], c[2], 3, 3);            // [C, O, 3, 3]
            for (int[] p : new int[][]{{1, 1}, {0, 0}, {2, 1}}) {
                if (!fits(c, 2 - p[0], 2 - p[1])) continue;
                for (int tile : new int[]{2, 4}) {
                    check("winograd convTranspose2d " + Arrays.toString(c) + " padding " + Arrays.toString(p), x, w, true, p[0], p[1], tile,
                            Winograd.conv2d(x, Winograd.weights(w, true, tile), 2 - p[0], 2 - p[1]));
                }
            }
        }
    }

    /**
     * The weight gradient against the float64 reference's, within 1e-6 of the largest sum of |products| (the
     * reference weight gradient of the absolute values): the same bound as the forward's F(2x2).
     */
    private void checkWeightGrad(String what, Tensor x, Tensor g, int ph, int pw, Tensor actual) {
        Tensor x64 = x.copyAs(DType.F64), g64 = g.copyAs(DType.F64);
        Tensor exact = ref.conv2dWeightGrad(x64, g64, 3, 3, 1, 1, ph, pw, 1);
        double s = Golden.diff(ref.conv2dWeightGrad(Ops.abs(x64), Ops.abs(g64), 3, 3, 1, 1, ph, pw, 1), exact).maxRef();
        Golden.Diff d = Golden.assertClose(what, exact, actual, tolerance(2) * s);
        System.out.printf("  error / max sum|products| = %.2e%n", d.maxAbs() / s);
    }

    @Test void weightGradMatchesFloat64Reference() {
        int seed = 200;
        for (int[] c : CASES) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[1], c[3], c[4]);
            for (int[] p : PADDINGS) {
                if (!fits(c, p[0], p[1])) continue;
                Tensor g = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[2], c[3] + 2 * p[0] - 2, c[4] + 2 * p[1] - 2);
                checkWeightGrad("winograd weight gradient " + Arrays.toString(c) + " padding " + Arrays.toString(p), x, g, p[0], p[1],
                        Winograd.conv2dWeightGrad(x, g, p[0], p[1]));
            }
        }
        // views: channels-last x; a sliced gradient; a gradient whose columns are not contiguous (copied first)
        Tensor xv = Tensor.uniform(DType.F32, 300, -1, 1, 2, 13, 19, 6).permuteView(0, 3, 1, 2);         // [2, 6, 13, 19]
        Tensor gv = Tensor.uniform(DType.F32, 301, -1, 1, 2, 9, 15, 21).sliceView(1, 2, 7).sliceView(2, 1, 14).sliceView(3, 1, 20);
        checkWeightGrad("winograd weight gradient of views", xv, gv, 1, 1, Winograd.conv2dWeightGrad(xv, gv, 1, 1));
        Tensor gt = Tensor.uniform(DType.F32, 302, -1, 1, 2, 5, 19, 13).transposeView(2, 3);            // [2, 5, 13, 19]
        checkWeightGrad("winograd weight gradient, transposed gradient", xv, gt, 1, 1, Winograd.conv2dWeightGrad(xv, gt, 1, 1));
        Golden.assertBitEqual("weight gradient run twice", Winograd.conv2dWeightGrad(xv, gt, 1, 1), Winograd.conv2dWeightGrad(xv, gt, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Winograd.conv2dWeightGrad(xv, gt, 0, 0), "gradient of the wrong size");
        assertThrows(IllegalArgumentException.class, () -> Winograd.conv2dWeightGrad(xv, gt.copyAs(DType.F64), 1, 1), "F64 gradient");
    }

    @Test void readsStridedViews() {
        // channels-last buffer permuted to NCHW; a slice with row and channel offsets; a weight with swapped axes
        Tensor x = Tensor.uniform(DType.F32, 1, -1, 1, 2, 13, 19, 6).permuteView(0, 3, 1, 2);     // [2, 6, 13, 19]
        Tensor w = Tensor.uniform(DType.F32, 2, -1, 1, 6, 5, 3, 3).transposeView(0, 1);          // [5, 6, 3, 3]
        check("winograd channels-last view", x, w, false, 1, 1, Winograd.conv2d(x, w, 1, 1));
        Tensor xs = Tensor.uniform(DType.F32, 3, -1, 1, 2, 9, 40, 41).sliceView(1, 2, 7).sliceView(2, 3, 36).sliceView(3, 1, 40);
        Tensor ws = Tensor.uniform(DType.F32, 4, -1, 1, 4, 5, 3, 3).transposeView(2, 3);         // [4, 5, 3, 3]
        check("winograd sliced view", xs, ws, false, 1, 1, Winograd.conv2d(xs, ws, 1, 1));
        check("winograd sliced view, padding 0", xs, ws, false, 0, 0, Winograd.conv2d(xs, ws, 0, 0));
        Tensor wt = ws.transposeView(0, 1);                                                        // [5, 4, 3, 3] view
        check("winograd transposed, sliced view", xs, wt, true, 1, 1, Winograd.convTranspose2d(xs, wt, 1, 1));
        check("winograd transposed, sliced view, padding 0", xs, wt, true, 0, 0, Winograd.convTranspose2d(xs, wt, 0, 0));
        check("winograd sliced view", xs, ws, false, 1, 1, 4, Winograd.conv2d(xs, Winograd.weights(ws, false, 4), 1, 1));
        check("winograd transposed, sliced view, padding 0", xs, wt, true, 0, 0, 4, Winograd.conv2d(xs, Winograd.weights(wt, true, 4), 2, 2));
    }

    @Test void preparedConstantBandsAndRepeatsAreBitIdentical() {
        Tensor x = Tensor.uniform(DType.F32, 5, -1, 1, 2, 40, 21, 37);
        Tensor w = Tensor.uniform(DType.F32, 6, -1, 1, 24, 40, 3, 3);
        Tensor once = Winograd.conv2d(x, w, 1, 1);
        Winograd.Weights u = Winograd.prepareWeights(w);
        Golden.assertBitEqual("prepared weights", once, Winograd.conv2d(x, u, 1, 1));
        Golden.assertBitEqual("second run", once, Winograd.conv2d(x, u, 1, 1));
        Tensor wc = w.copy().markConstant();
        Golden.assertBitEqual("constant weight (transform cached)", once, Winograd.conv2d(x, wc, 1, 1));
        Golden.assertBitEqual("constant weight, from the cache", once, Winograd.conv2d(x, wc, 1, 1));
        // one tile row per band, and three (the band split must not change any sum)
        Golden.assertBitEqual("one tile row per band", once, Winograd.conv2d(x, u, 1, 1, 1));
        Golden.assertBitEqual("three tile rows per band", once, Winograd.conv2d(x, u, 1, 1, 3 * 16 * 19 * 64));
        Golden.assertBitEqual("one tile row per band, bands per thread", once, Winograd.conv2d(x, u, 1, 1, 1, true));
        Golden.assertBitEqual("three tile rows per band, bands per thread", once, Winograd.conv2d(x, u, 1, 1, 3 * 16 * 19 * 64, true));
        Tensor g = Tensor.uniform(DType.F32, 7, -1, 1, 2, 24, 21, 37);
        Golden.assertBitEqual("transposed, prepared", Winograd.convTranspose2d(g, w, 1, 1),
                Winograd.conv2d(g, Winograd.prepareTransposedWeights(w), 1, 1));
        Golden.assertBitEqual("transposed, constant", Winograd.convTranspose2d(g, w, 0, 0), Winograd.convTranspose2d(g, wc, 0, 0));
        // F(4x4): per call, prepared, banded
        Tensor once4 = Winograd.conv2d(x, Winograd.weights(w, false, 4), 1, 1);
        Winograd.Weights u4 = Winograd.prepareWeights(w, false, 4);
        Golden.assertBitEqual("F(4x4) prepared", once4, Winograd.conv2d(x, u4, 1, 1));
        Golden.assertBitEqual("F(4x4) one tile row per band", once4, Winograd.conv2d(x, u4, 1, 1, 1));
        Golden.assertBitEqual("F(4x4) one tile row per band, bands per thread", once4, Winograd.conv2d(x, u4, 1, 1, 1, true));
    }

    /**
     * The F(2x2) weight transform against G g G^T computed here in double in the documented order and rounded once:
     * every value equal bit for bit (plain, strided view, transposed; several channel chunks; O not a multiple of MR,
     * whose last panel's rows past O must read zero; the transform reuses a per-thread array that an earlier, larger
     * transform filled with other values, so a value it failed to write would show).
     */
    @Test void weightTransformIsGgGtInDoubleRoundedOnce() {
        weightTransformIsGgGtInDoubleRoundedOnce(2 * Sgemm.MR + 3, 37);
        weightTransformIsGgGtInDoubleRoundedOnce(Sgemm.MR + 1, Sgemm.KC + 21);    // two depth blocks of the packed layout
    }

    private static void weightTransformIsGgGtInDoubleRoundedOnce(int o, int c) {
        Tensor plain = Tensor.uniform(DType.F32, 21, -1, 1, o, c, 3, 3);
        Tensor view = Tensor.uniform(DType.F32, 22, -1, 1, c, o, 3, 3).transposeView(0, 1).transposeView(2, 3);
        Tensor forTransposed = Tensor.uniform(DType.F32, 23, -1, 1, c, o, 3, 3);
        Winograd.weights(Tensor.uniform(DType.F32, 24, 5, 9, o + 5, c + 9, 3, 3), false, 2);    // leaves other values in the scratch
        for (Object[] t : new Object[][]{{"plain", plain, false}, {"strided view", view, false}, {"transposed", forTransposed, true}}) {
            Tensor w = (Tensor) t[1];
            boolean transposed = (Boolean) t[2];
            Winograd.Weights wt = Winograd.weights(w, transposed, 2);
            int panels = Math.ceilDiv(o, Sgemm.MR);
            float[] got = new float[panels * Sgemm.MR * c];
            for (int xi = 0; xi < 16; xi++) {
                wt.operand(xi).packA(0, panels * Sgemm.MR, 0, c, got);
                for (int oo = 0; oo < o; oo++) {
                    for (int cc = 0; cc < c; cc++) {
                        double[][] g = new double[3][3];
                        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) {
                            g[i][j] = transposed ? w.get(cc, oo, 2 - i, 2 - j) : w.get(oo, cc, i, j);
                        }
                        double[][] gg = new double[4][3];                                  // G g
                        for (int j = 0; j < 3; j++) {
                            gg[0][j] = g[0][j];
                            gg[1][j] = (g[0][j] + g[1][j] + g[2][j]) * 0.5;
                            gg[2][j] = (g[0][j] - g[1][j] + g[2][j]) * 0.5;
                            gg[3][j] = g[2][j];
                        }
                        int i = xi / 4, j = xi % 4;
                        double v = switch (j) {                                           // (G g) G^T
                            case 0 -> gg[i][0];
                            case 1 -> (gg[i][0] + gg[i][1] + gg[i][2]) * 0.5;
                            case 2 -> (gg[i][0] - gg[i][1] + gg[i][2]) * 0.5;
                            default -> gg[i][2];
                        };
                        float actual = got[(oo / Sgemm.MR * c + cc) * Sgemm.MR + oo % Sgemm.MR];
                        if (Float.floatToRawIntBits(actual) != Float.floatToRawIntBits((float) v)) {
                            throw new AssertionError(t[0] + ": U[" + xi + "][" + oo + ", " + cc + "] = " + actual + ", expected " + (float) v);
                        }
                    }
                }
                for (int oo = o; oo < panels * Sgemm.MR; oo++) {
                    for (int cc = 0; cc < c; cc++) {
                        float pad = got[(oo / Sgemm.MR * c + cc) * Sgemm.MR + oo % Sgemm.MR];
                        if (pad != 0f) throw new AssertionError(t[0] + ": U[" + xi + "][" + oo + ", " + cc + "] past O = " + pad + ", expected 0");
                    }
                }
            }
        }
    }

    @Test void vectorBodiesAndScalarTailsAgreeBitForBit() {
        // an image periodic along x with period 4 (a multiple of both tile strides): every output column X whose
        // tile's input window (columns m*tx - 1 .. m*tx + m) lies inside the image sees the same inputs, at the same
        // place in its tile, as column X mod 4 + 4, whether the tile went through a vector body or a scalar tail,
        // so the results must be bit-identical (a window reaching into the padding rounds differently)
        int wd = 4 * (2 * Sgemm.VL + 3) + 3, c = 3, h = 9;
        Tensor period = Tensor.uniform(DType.F32, 11, -1, 1, 1, c, h, 4);
        Tensor x = Tensor.zeros(1, c, h, wd);
        for (int ch = 0; ch < c; ch++) for (int y = 0; y < h; y++) for (int xx = 0; xx < wd; xx++) x.set(period.get(0, ch, y, xx % 4), 0, ch, y, xx);
        Tensor w = Tensor.uniform(DType.F32, 12, -1, 1, 5, c, 3, 3);
        for (int tile : new int[]{2, 4}) {
            Tensor out = Winograd.conv2d(x, Winograd.weights(w, false, tile), 1, 1);
            int inner = (wd - 1 - tile) / tile;                              // tiles 1 .. inner have windows inside
            for (int o = 0; o < 5; o++) for (int y = 0; y < h; y++) for (int xx = tile; xx < tile * (inner + 1); xx++) {
                float a = (float) out.get(0, o, y, xx), b = (float) out.get(0, o, y, 4 + xx % 4);
                if (Float.floatToRawIntBits(a) != Float.floatToRawIntBits(b)) {
                    throw new AssertionError("F(" + tile + "x" + tile + ") output [0, " + o + ", " + y + ", " + xx + "] = " + a
                            + " but the same inputs at column " + (4 + xx % 4) + " gave " + b);
                }
            }
        }
    }

    @Test void vectorBackendDispatchAgreesWithReference() {
        // shapes VConv sends to Winograd (48 -> 40 channels, 192 pixels: only with a constant weight; 16x40: always)
        Tensor x = Tensor.uniform(DType.F32, 7, -1, 1, 1, 48, 16, 40);
        Tensor w = Tensor.uniform(DType.F32, 8, -1, 1, 40, 48, 3, 3);
        check("VectorBackend conv2d", x, w, false, 1, 1, vec.conv2d(x, w, 1, 1, 1, 1, 1));
        Tensor g = Tensor.uniform(DType.F32, 9, -1, 1, 1, 40, 16, 40);
        check("VectorBackend convTranspose2d", g, w, true, 1, 1, vec.convTranspose2d(g, w, 1, 1, 1, 1, 1));
        check("VectorBackend convTranspose2d, padding 0", g, w, true, 0, 0, vec.convTranspose2d(g, w, 1, 1, 0, 0, 1));
        Tensor xs = Tensor.uniform(DType.F32, 10, -1, 1, 1, 48, 12, 16), wc = w.copy().markConstant();
        check("VectorBackend conv2d, constant weight", xs, wc, false, 1, 1, vec.conv2d(xs, wc, 1, 1, 1, 1, 1));
        // a batch's weight gradient of 64 channels at 64x64: Winograd with AVX2 (VConv.winogradWeightGrad), else direct
        Tensor xb = Tensor.uniform(DType.F32, 11, -1, 1, 2, 64, 64, 64), gb = Tensor.uniform(DType.F32, 12, -1, 1, 2, 64, 64, 64);
        Tensor dw = vec.conv2dWeightGrad(xb, gb, 3, 3, 1, 1, 1, 1, 1);
        checkWeightGrad("VectorBackend conv2dWeightGrad of a batch", xb, gb, 1, 1, dw);
        boolean wino = VConv.winogradWeightGrad(3, 3, 1, 1, 1, 1, 64, 64, 64, 64);
        System.out.println("VConv sends the weight gradient of 64 channels at 64x64 to " + (wino ? "Winograd" : "a direct kernel"));
        if (wino) Golden.assertBitEqual("VectorBackend conv2dWeightGrad is Winograd's", Winograd.conv2dWeightGrad(xb, gb, 1, 1), dw);
    }

    @Test void decision() {
        Tensor x = Tensor.zeros(1, 64, 32, 32), w = Tensor.zeros(64, 64, 3, 3), wc = Tensor.zeros(64, 64, 3, 3).markConstant();
        assertTrue(Winograd.worthIt(x, w, 1, 1, 1, 1, 1, false), "64 -> 64 at 32x32");
        assertFalse(Winograd.worthIt(x, w, 2, 2, 1, 1, 1, false), "stride 2");
        assertFalse(Winograd.worthIt(x, w, 1, 1, 1, 1, 2, false), "groups 2");
        assertFalse(Winograd.worthIt(x, w, 1, 1, 3, 3, 1, true), "transposed padding 3");
        assertTrue(Winograd.worthIt(x, w, 1, 1, 2, 2, 1, true), "transposed padding 2");
        Tensor small = Tensor.zeros(1, 64, 8, 8);
        assertFalse(Winograd.worthIt(small, w, 1, 1, 1, 1, 1, false), "8x8, weight per call");
        assertTrue(Winograd.worthIt(small, wc, 1, 1, 1, 1, 1, false), "8x8, constant weight");
        assertFalse(Winograd.worthIt(Tensor.zeros(1, 16, 64, 64), Tensor.zeros(16, 16, 3, 3), 1, 1, 1, 1, 1, false), "16 channels");
        // the weight gradient: only what F(2x2, 3x3) computes (3x3, stride 1), and only with AVX2, where it was measured
        assertEquals(Sgemm.MR == 4, VConv.winogradWeightGrad(3, 3, 1, 1, 1, 1, 256, 256, 16, 16), "weight gradient 256 at 16x16");
        assertFalse(VConv.winogradWeightGrad(3, 3, 2, 2, 0, 0, 256, 256, 16, 16), "weight gradient, stride 2");
        assertFalse(VConv.winogradWeightGrad(4, 4, 1, 1, 1, 1, 256, 256, 16, 16), "weight gradient, 4x4 kernel");
        assertFalse(VConv.winogradWeightGrad(3, 3, 1, 1, 1, 1, 16, 16, 256, 256), "weight gradient, 16 channels");
    }

    @Test void rejectsWrongShapes() {
        Tensor x = Tensor.zeros(1, 4, 5, 5);
        assertThrows(IllegalArgumentException.class, () -> Winograd.prepareWeights(Tensor.zeros(2, 4, 5, 5)));
        assertThrows(IllegalArgumentException.class, () -> Winograd.conv2d(x, Winograd.prepareWeights(Tensor.zeros(2, 3, 3, 3)), 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Winograd.conv2d(Tensor.zeros(1, 4, 1, 5), Tensor.zeros(2, 4, 3, 3), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Winograd.prepareWeights(Tensor.zeros(DType.F64, 2, 4, 3, 3)));
    }
}
