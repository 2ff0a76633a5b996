package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tap-GEMM transposed conv (stride 2, 3x3, one small image) against the reference loops: widths below, at and
 * above a vector (the gather's scalar ends and vector middle), one row and one column, K above a depth block,
 * channels that do not fill a register panel, weight views and constant weights; and the fused blur on top of it.
 */
class TapConvTransposeTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    private static double tol(int k) { return 1e-6 * Math.max(1, k); }

    @Test void matchesReference() {
        int seed = 500, vl = Sgemm.VL;
        // c, h, w, o
        int[][] cases = {
                {3, 4, 3, 2}, {1, 1, 1, 1}, {5, 1, 9, 3}, {4, 7, 1, 5}, {6, vl, vl, 4}, {6, 3, vl + 1, 4},
                {7, 5, 2 * vl + 3, 9}, {300, 4, 4, 5},                               // K = 300 > KC
                {16, 32, 32, 8}, {2, 8, 31, 33},
        };
        for (int[] c : cases) {
            Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, 1, c[0], c[1], c[2]);
            Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[3], 3, 3);
            assertTrue(TapConvTranspose.applies(x, w, 2, 2, 0, 0, 1), java.util.Arrays.toString(c));
            Tensor want = ref.convTranspose2d(x, w, 2, 2, 0, 0, 1);
            String what = "tap convTranspose2d " + java.util.Arrays.toString(c);
            Golden.assertClose(what, want, TapConvTranspose.convTranspose2d(x, w), tol(9 * c[0]));
            Golden.assertClose(what + " constant", want, TapConvTranspose.convTranspose2d(x, w.copy().markConstant()), tol(9 * c[0]));
            Golden.assertClose(what + " via Ops", want, Ops.convTranspose2d(x, w, 2, 0, 1), tol(9 * c[0]));
        }
        // the generator's weight: [O, C, 3, 3] seen as [C, O, 3, 3] (rows of A are not evenly strided)
        Tensor x = Tensor.uniform(DType.F32, 520, -1, 1, 1, 12, 6, 5);
        Tensor wv = Tensor.uniform(DType.F32, 521, -1, 1, 7, 12, 3, 3).transposeView(0, 1);
        Golden.assertClose("tap convTranspose2d weight view", ref.convTranspose2d(x, wv, 2, 2, 0, 0, 1), TapConvTranspose.convTranspose2d(x, wv), tol(108));
    }

    /** Same result for any thread count (the GEMM's blocking and the gather do not depend on it). */
    @Test void sameBitsOnOneThread() {
        Tensor x = Tensor.uniform(DType.F32, 530, -1, 1, 1, 40, 9, 11), w = Tensor.uniform(DType.F32, 531, -1, 1, 40, 24, 3, 3);
        Tensor all = TapConvTranspose.convTranspose2d(x, w);
        Tensor[] one = new Tensor[1];
        // inside a pool worker, the GEMM and the gather run alone on that thread (Parallel's nested calls do not fork)
        Parallel.forRange(2, 1L << 40, (from, to) -> {
            if (from == 0) one[0] = TapConvTranspose.convTranspose2d(x, w);
        });
        Golden.assertClose("one thread vs all", all, one[0], 0);
    }

    @Test void firIsTheTwoOps() {
        Tensor f = Tensor.zeros(DType.F32, 4, 4);
        double[] k = {1, 3, 3, 1};
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) f.set(k[i] * k[j] / 64, i, j);
        int seed = 540;
        for (int[] c : new int[][]{{8, 9, 7, 5}, {40, 16, 16, 24}, {3, 1, 1, 2}, {6, 2, 13, 3}}) {
            for (int[] fp : new int[][]{{1, 1, 1, 1}, {2, 0, -1, 3}}) {
                Tensor x = Tensor.uniform(DType.F32, ++seed, -1, 1, 1, c[0], c[1], c[2]);
                Tensor w = Tensor.uniform(DType.F32, ++seed, -1, 1, c[0], c[3], 3, 3);
                Tensor want = Ops.upfirdn2d(TapConvTranspose.convTranspose2d(x, w), f, 1, 1, 1, 1, fp[0], fp[1], fp[2], fp[3], 4, false);
                String what = "tap convTranspose2dFir " + java.util.Arrays.toString(c) + " " + java.util.Arrays.toString(fp);
                Golden.assertClose(what, want, TapConvTranspose.convTranspose2dFir(x, w, f, fp, 4), 0);
                Golden.assertClose(what + " via Ops", want, Ops.convTranspose2dFir(x, w, 2, 0, f, fp, 4), 0);
                Golden.assertClose(what + " reference", ref.convTranspose2dFir(x, w, 2, 0, f, fp, 4), want, tol(9 * c[0]) * 16);
            }
        }
    }

    @Test void appliesOnlyToItsCase() {
        Tensor x = Tensor.zeros(DType.F32, 1, 4, 8, 8), w = Tensor.zeros(DType.F32, 4, 6, 3, 3);
        assertTrue(TapConvTranspose.applies(x, w, 2, 2, 0, 0, 1));
        assertFalse(TapConvTranspose.applies(Tensor.zeros(DType.F32, 2, 4, 8, 8), w, 2, 2, 0, 0, 1), "a batch");
        assertFalse(TapConvTranspose.applies(x, w, 1, 1, 0, 0, 1), "stride 1");
        assertFalse(TapConvTranspose.applies(x, w, 2, 2, 1, 1, 1), "padding");
        assertFalse(TapConvTranspose.applies(x, Tensor.zeros(DType.F32, 4, 6, 4, 4), 2, 2, 0, 0, 1), "4x4 kernel");
        assertTrue(TapConvTranspose.applies(Tensor.zeros(DType.F32, 1, 4, 1, TapConvTranspose.MAX_PIXELS), w, 2, 2, 0, 0, 1), "MAX_PIXELS");
        assertFalse(TapConvTranspose.applies(Tensor.zeros(DType.F32, 1, 4, 1, TapConvTranspose.MAX_PIXELS + 1), w, 2, 2, 0, 0, 1), "above MAX_PIXELS");
        assertFalse(TapConvTranspose.applies(Tensor.zeros(DType.F32, 1, 8, 8, 4).permuteView(0, 3, 1, 2), w, 2, 2, 0, 0, 1), "rows not contiguous");
        assertFalse(TapConvTranspose.applies(Tensor.zeros(DType.F32, 1, 4, 64, 64), Tensor.zeros(DType.F32, 4, 256, 3, 3), 2, 2, 0, 0, 1),
                "a taps' buffer above MAX_TAP_FLOATS");
        assertTrue(TapConvTranspose.applies(Tensor.zeros(DType.F32, 1, 4, 64, 64), Tensor.zeros(DType.F32, 4, 128, 3, 3), 2, 2, 0, 0, 1));
        assertEquals(64 * 64, TapConvTranspose.MAX_PIXELS);
    }
}
