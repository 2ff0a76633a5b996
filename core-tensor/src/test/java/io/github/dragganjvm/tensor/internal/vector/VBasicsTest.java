package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.BinaryOp;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.UnaryOp;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The vector elementwise, bias_act and sum kernels against the reference on awkward sizes (1, 7, 33, odd
 * tails) and non-contiguous views. Ops the vector kernels compute exactly (copies, + - * /, min, max, clamp) must
 * match bit for bit; the others within a few float ulps.
 */
class VBasicsTest {
    private final ReferenceBackend ref = new ReferenceBackend();
    private final VectorBackend vec = new VectorBackend();

    private static Tensor u(long seed, double lo, double hi, int... shape) { return Tensor.uniform(DType.F32, seed, lo, hi, shape); }

    /** Inputs of many layouts: contiguous sizes 1, 7, 33, 1003 and views (transpose, slice, permute). */
    private static Tensor[] layouts(long seed, double lo, double hi) {
        return new Tensor[]{
                u(seed, lo, hi, 1), u(seed + 1, lo, hi, 7), u(seed + 2, lo, hi, 33), u(seed + 3, lo, hi, 1003),
                u(seed + 4, lo, hi, 9, 33).transposeView(0, 1),
                u(seed + 5, lo, hi, 5, 40).sliceView(1, 3, 36),
                u(seed + 6, lo, hi, 2, 7, 5, 3).permuteView(0, 3, 1, 2),
                u(seed + 7, lo, hi, 4, 1, 70000).sliceView(2, 1, 69999),
        };
    }

    @Test void copiesOfViews() {
        for (Tensor x : layouts(1, -1, 1)) Golden.assertClose("copy " + Arrays.toString(x.shape()), ref.copy(x), vec.copy(x), 0);
        Tensor expanded = u(9, -1, 1, 33, 1).expandView(33, 7);
        Golden.assertClose("copy of expandView", ref.copy(expanded), vec.copy(expanded), 0);
        Tensor empty = Tensor.zeros(0, 5);
        assertArrayEquals(new int[]{0, 5}, vec.copy(empty).shape());
        // copyInto a slice of a larger tensor (as cat does), from a transposed source
        Tensor src = u(10, -1, 1, 7, 33).transposeView(0, 1);
        Tensor dr = Tensor.zeros(40, 9), dv = Tensor.zeros(40, 9);
        ref.copyInto(src, dr.sliceView(0, 3, 36).sliceView(1, 1, 8));
        vec.copyInto(src, dv.sliceView(0, 3, 36).sliceView(1, 1, 8));
        Golden.assertClose("copyInto slice", dr, dv, 0);
        // overlapping views of one storage fall back to the reference's read-first semantics
        Tensor o1 = Tensor.of(new float[]{1, 2, 3, 4, 5}, 5), o2 = Tensor.of(new float[]{1, 2, 3, 4, 5}, 5);
        ref.copyInto(o1.sliceView(0, 0, 4), o1.sliceView(0, 1, 5));
        vec.copyInto(o2.sliceView(0, 0, 4), o2.sliceView(0, 1, 5));
        Golden.assertClose("copyInto overlapping", o1, o2, 0);
    }

    /**
     * Adam: the Vector backend's threaded steps against the reference's general loop (a transposed g takes it) over
     * 5 steps with bias correction, bit for bit, on a size that splits unevenly across threads.
     */
    @Test void adamStepMatchesReferenceBitForBit() {
        int rows = 37, cols = 1031;
        Tensor pr = u(70, -1, 1, rows, cols), pv = pr.copy();
        Tensor mr = Tensor.zeros(rows, cols), mv = Tensor.zeros(rows, cols), vr = Tensor.zeros(rows, cols), vv = Tensor.zeros(rows, cols);
        for (int step = 1; step <= 5; step++) {
            Tensor g = u(80 + step, -2, 2, rows, cols);
            Tensor gT = g.transposeView(0, 1).copy().transposeView(0, 1);      // same values, strided: the general loop
            ref.adamStep(pr, gT, mr, vr, step, 2e-3, 0.0, 0.99, 1e-8);
            vec.adamStep(pv, g, mv, vv, step, 2e-3, 0.0, 0.99, 1e-8);
            Golden.assertClose("adam p, step " + step, pr, pv, 0);
            Golden.assertClose("adam m, step " + step, mr, mv, 0);
            Golden.assertClose("adam v, step " + step, vr, vv, 0);
        }
        // and p moved by about 5 steps of lr (Adam's step is ~lr per element), not a no-op
        double moved = Golden.diff(u(70, -1, 1, rows, cols), pv).maxAbs();
        if (!(moved > 5e-3 && moved < 2e-2)) throw new AssertionError("adam moved p by " + moved + ", expected about 5 * 2e-3");
    }

    @Test void unaryOps() {
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.RECIPROCAL;
            boolean exact = op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.SIGN || op == UnaryOp.SQUARE || op == UnaryOp.SQRT;
            for (Tensor x : layouts(20 + op.ordinal() * 10L, positive ? 0.05 : -3, 3)) {
                if (op == UnaryOp.SIGN) x.set(0, new int[x.dim()]); // sign(0) = 0
                Golden.assertCloseRel(op + " " + Arrays.toString(x.shape()), ref.unary(op, x), vec.unary(op, x), exact ? 0 : 3e-7);
            }
        }
    }

    @Test void binaryOpsSameShapeAndBroadcast() {
        Tensor[][] pairs = {
                {u(1, -2, 2, 7), u(2, 0.5, 2, 7)},
                {u(3, -2, 2, 1003), u(4, 0.5, 2, 1003)},
                {u(5, -2, 2, 9, 33).transposeView(0, 1), u(6, 0.5, 2, 33, 9)},
                {u(7, -2, 2, 2, 33, 5, 7), u(8, 0.5, 2, 33, 1, 1)},          // per-channel operand
                {u(9, -2, 2, 2, 3, 9, 9), u(10, 0.5, 2, 2, 3, 1, 1)},        // per-sample-and-channel (styles)
                {u(11, 0.5, 2, 2, 3, 1, 1), u(12, -2, 2, 2, 3, 9, 9)},       // broadcast on the left
                {u(13, -2, 2, 5, 33), u(14, 0.5, 2, 33)},                    // row bias
                {Tensor.full(DType.F32, 1.5, new int[0]), u(15, 0.5, 2, 7, 9)},   // scalar
                {u(16, -2, 2, 1, 9), u(17, 0.5, 2, 7, 1)},                   // outer product shape
                {u(18, -2, 2, 4, 3), u(19, 0.5, 2, 3)},                      // rows shorter than a vector: reference
        };
        for (BinaryOp op : BinaryOp.values()) {
            for (Tensor[] p : pairs) {
                Golden.assertClose(op + " " + Arrays.toString(p[0].shape()) + " " + Arrays.toString(p[1].shape()),
                        ref.binary(op, p[0], p[1]), vec.binary(op, p[0], p[1]), 0);
            }
        }
    }

    @Test void affineClampAddInPlace() {
        for (Tensor x : layouts(40, -3, 3)) {
            String s = Arrays.toString(x.shape());
            Golden.assertCloseRel("affine " + s, ref.affine(x, 1 / Math.sqrt(512), 0.3), vec.affine(x, 1 / Math.sqrt(512), 0.3), 3e-7);
            Golden.assertClose("clamp " + s, ref.clamp(x, -1, 0.5), vec.clamp(x, -1, 0.5), 0);
            Tensor accR = u(41, -1, 1, x.shape()), accV = accR.copy();
            ref.addInPlace(accR, x);
            vec.addInPlace(accV, x);
            Golden.assertClose("addInPlace " + s, accR, accV, 0);
        }
    }

    @Test void biasActAndBackward() {
        double g = Math.sqrt(2);
        Tensor strided = u(50, -1, 1, 33, 4).selectView(1, 2);  // [33], stride 4
        Object[][] cases = { // x, b, dim
                {u(51, -3, 3, 2, 33, 5, 7), u(52, -1, 1, 33), 1},
                {u(53, -3, 3, 1, 7, 1, 1), u(54, -1, 1, 7), 1},
                {u(55, -3, 3, 5, 33), u(56, -1, 1, 33), 1},           // bias along the contiguous dim
                {u(57, -3, 3, 5, 33), strided, 1},                     // ... strided: reference
                {u(58, -3, 3, 5, 33), u(59, -1, 1, 5), 0},
                {u(60, -3, 3, 7, 2, 33, 5).permuteView(1, 2, 0, 3), strided, 1},   // non-contiguous x
                {u(61, -3, 3, 2, 33, 9), null, 1},
        };
        for (Object[] c : cases) {
            Tensor x = (Tensor) c[0], b = (Tensor) c[1];
            int dim = (Integer) c[2];
            for (double clamp : new double[]{-1, 256, 0.5}) {
                for (Activation act : Activation.values()) {
                    for (double[] ag : new double[][]{{0.2, g}, {-0.7, -1.5}}) {
                        double alpha = ag[0], gain = ag[1];
                        String s = act + " alpha " + alpha + " gain " + gain + " clamp " + clamp + " " + Arrays.toString(x.shape())
                                + " dim " + dim + (b == null ? " no bias" : "");
                        Tensor yr = ref.biasAct(x, b, dim, act, alpha, gain, clamp), yv = vec.biasAct(x, b, dim, act, alpha, gain, clamp);
                        Golden.assertCloseRel("biasAct " + s, yr, yv, 3e-7);
                        Tensor gout = u(62, -1, 1, x.shape());
                        // both compute the gradient in float arithmetic in the same order: equal bits
                        Golden.assertCloseRel("biasActBackward " + s, ref.biasActBackward(gout, x, b, dim, act, alpha, gain, clamp),
                                vec.biasActBackward(gout, x, b, dim, act, alpha, gain, clamp), 0);
                    }
                }
            }
        }
    }

    /**
     * The fused noise + bias_act gives the bits of the two ops (vector add then vector bias_act) for r per plane
     * ([H, W], [1, 1, H, W]) and per sample ([N, 1, H, W]), with and without clamp, a strided x, an odd plane
     * size; the reference backend's default composition agrees within float rounding; layouts the kernel does
     * not fuse (r per channel) fall back to the same composition.
     */
    @Test void addBiasActIsBiasActOfTheSum() {
        Tensor x = u(90, -2, 2, 2, 5, 7, 9), b = u(91, -1, 1, 5), xt = u(92, -2, 2, 2, 5, 9, 7).transposeView(2, 3);
        Tensor[] rs = {u(93, -1, 1, 7, 9), u(94, -1, 1, 1, 1, 7, 9), u(95, -1, 1, 2, 1, 7, 9), u(96, -1, 1, 5, 1, 1)};
        for (Tensor xv : new Tensor[]{x, xt}) {
            for (Tensor r : rs) {
                for (double clamp : new double[]{-1, 0.5}) {
                    for (Activation act : Activation.values()) {
                        String what = "addBiasAct x " + Arrays.toString(xv.shape()) + (xv.isContiguous() ? "" : " (view)") + " r "
                                + Arrays.toString(r.shape()) + " " + act + " clamp " + clamp;
                        Tensor want = vec.biasAct(vec.binary(BinaryOp.ADD, xv, r), b, 1, act, 0.2, Math.sqrt(2), clamp);
                        Golden.assertClose(what, want, vec.addBiasAct(xv, r, b, 1, act, 0.2, Math.sqrt(2), clamp), 0);
                        Golden.assertClose(what + " (reference)", want, ref.addBiasAct(xv, r, b, 1, act, 0.2, Math.sqrt(2), clamp), 1e-6);
                    }
                }
            }
        }
        Tensor big = u(97, -2, 2, 1, 3, 67, 67), rb = u(98, -1, 1, 67, 67), bb = u(99, -1, 1, 3);
        Golden.assertClose("addBiasAct vector body and tails", vec.biasAct(vec.binary(BinaryOp.ADD, big, rb), bb, 1, Activation.LRELU, 0.2, 1.5, -1),
                vec.addBiasAct(big, rb, bb, 1, Activation.LRELU, 0.2, 1.5, -1), 0);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> io.github.dragganjvm.tensor.Ops.addBiasAct(u(1, -1, 1, 5, 7, 9), u(2, -1, 1, 2, 5, 7, 9), b, 1, Activation.LRELU, 0.2, 1, -1));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("must broadcast to x's shape [5, 7, 9]"), e.getMessage());
    }

    /**
     * The in-place form writes addBiasAct's bits into x itself: a contiguous x, a contiguous slice of a larger tensor
     * (non-zero offset: the floats around it stay as they were) and a transposed view (the backend's default path).
     */
    @Test void addBiasActInPlaceWritesTheSameBitsIntoX() {
        Tensor b = u(101, -1, 1, 5), r = u(102, -1, 1, 7, 9);
        Tensor whole = u(103, -2, 2, 3, 5, 7, 9), slice = whole.sliceView(0, 1, 2);
        Tensor[] xs = {u(104, -2, 2, 2, 5, 7, 9), slice, u(105, -2, 2, 2, 5, 9, 7).transposeView(2, 3)};
        for (Tensor x : xs) {
            for (double clamp : new double[]{-1, 0.5}) {
                Tensor before = x.copy(), around = whole.copy();
                Tensor want = vec.addBiasAct(before, r, b, 1, Activation.LRELU, 0.2, Math.sqrt(2), clamp);
                Tensor got = io.github.dragganjvm.tensor.Ops.addBiasActInPlace(x, r, b, 1, Activation.LRELU, 0.2, Math.sqrt(2), clamp);
                org.junit.jupiter.api.Assertions.assertSame(x, got, "returns x");
                String what = "addBiasActInPlace x " + Arrays.toString(x.shape()) + (x.isContiguous() ? " offset " + x.offset() : " (view)") + " clamp " + clamp;
                Golden.assertClose(what, want, x, 0);
                if (x == slice) {
                    Golden.assertClose(what + ": sample 0 untouched", around.sliceView(0, 0, 1), whole.sliceView(0, 0, 1), 0);
                    Golden.assertClose(what + ": sample 2 untouched", around.sliceView(0, 2, 3), whole.sliceView(0, 2, 3), 0);
                }
                io.github.dragganjvm.tensor.Ops.copyInto(before, x);
            }
        }
        Tensor x = u(106, -1, 1, 5, 7, 9);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> io.github.dragganjvm.tensor.Ops.addBiasActInPlace(x, x, b, 0, Activation.LRELU, 0.2, 1, -1));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("r shares x's storage"), e.getMessage());
    }

    @Test void sums() {
        Object[][] cases = { // x, dims, keepdim
                {u(70, -1, 1, 2, 33, 5, 7), new int[]{0, 2, 3}, false},   // bias gradient: all but channel
                {u(71, -1, 1, 2, 33, 5, 7), new int[]{0, 1, 2, 3}, false},
                {u(72, -1, 1, 2, 33, 5, 7), new int[]{2, 3}, true},
                {u(73, -1, 1, 2, 33, 5, 7), new int[]{0}, false},          // kept trailing block
                {u(74, -1, 1, 2, 33, 5, 7), new int[]{1}, true},
                {u(75, -1, 1, 2, 33, 5, 7), new int[]{3}, false},
                {u(76, -1, 1, 1, 33, 1, 7), new int[]{0, 2, 3}, false},   // size-1 dims
                {u(77, -1, 1, 7), new int[]{0}, false},
                {u(78, -1, 1, 1), new int[]{0}, true},
                {u(79, -1, 1, 3, 70001), new int[]{0, 1}, false},          // chunks on both threads
                {u(80, -1, 1, 3, 70001), new int[]{1}, false},
                {u(81, -1, 1, 7, 2, 33, 5).permuteView(1, 2, 0, 3), new int[]{0, 2, 3}, false},
                {u(82, -1, 1, 9, 9, 9, 9), new int[]{0, 2}, false},        // interleaved dims
        };
        for (Object[] c : cases) {
            Tensor x = (Tensor) c[0];
            int[] dims = (int[]) c[1];
            boolean keep = (Boolean) c[2];
            Golden.assertCloseRel("sum " + Arrays.toString(x.shape()) + " over " + Arrays.toString(dims) + (keep ? " keepdim" : ""),
                    ref.sum(x, dims, keep), vec.sum(x, dims, keep), 1e-6);
        }
    }

    /**
     * Long sums of values far from zero (mean 10) stay within 1e-6 relative of the reference's double sum, over
     * leading dimensions (the kept trailing block: bias and broadcast gradients) as over trailing ones: a float running
     * sum over a million rows was 8e-6 off, 3.5e-5 over four million.
     */
    @Test void longSumsStayAccurate() {
        Tensor rows = Tensor.uniform(DType.F32, 90, 9, 11, 1_000_000, 2);
        Golden.assertCloseRel("sum of 1e6 rows, kept trailing dim", ref.sum(rows, new int[]{0}, false), vec.sum(rows, new int[]{0}, false), 1e-6);
        Tensor flat = Tensor.uniform(DType.F32, 91, 9, 11, 2734);
        Golden.assertCloseRel("sum of 2734 values", ref.sum(flat, new int[]{0}, false), vec.sum(flat, new int[]{0}, false), 2e-7);
        Tensor planes = Tensor.uniform(DType.F32, 92, 9, 11, 3, 300_000);
        Golden.assertCloseRel("sums of 3 x 300000 trailing", ref.sum(planes, new int[]{1}, false), vec.sum(planes, new int[]{1}, false), 2e-7);
    }
}
