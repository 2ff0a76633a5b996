package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.BinaryOp;
import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Vector kernels for the simple F32 ops on the hot path of a StyleGAN forward/backward: strided copies,
 * unary/binary elementwise ops (same shape, and a broadcast operand that is constant over, or contiguous along,
 * the trailing dimensions), affine, clamp, in-place accumulation, fused bias + activation and its gradient, and
 * sums. Each method returns {@code null} (or false) for a layout it does not cover, and the backend then calls
 * the reference kernel.
 *
 * <p>Arithmetic is in float (the reference computes in double and rounds once): add, sub, mul, div, min, max,
 * clamp and copies are bit-identical to the reference; affine, bias_act, exp, log, rsqrt and sums may differ in
 * the last bit or two. Sums accumulate chunks of {@value #CHUNK} elements in float vectors and the chunks in double.
 */
public final class VBasics {
    private VBasics() {}

    private static final VectorSpecies<Float> S = Sgemm.S;
    private static final int VL = S.length();
    /**
     * Elements summed in float before the partial sum is added in double: each vector lane adds CHUNK / VL of them
     * in turn (32 with AVX2), so the float rounding error of a sum stays near PyTorch's pairwise sums (with 4096, a
     * 2,734-element sum was 3e-6 off in relative terms).
     */
    static final int CHUNK = 256;

    // ================================================================== strided copies

    /** Contiguous copy of any F32 view. */
    public static Tensor copy(Tensor x) {
        Tensor out = Tensor.zeros(x.shape());
        copyStrided(x, out);
        return out;
    }

    /** dst = src elementwise for two views of the same shape that do not share storage. */
    public static void copyStrided(Tensor src, Tensor dst) {
        Rows r = Rows.of(src, dst);
        float[] s = src.host().f32, d = dst.host().f32;
        int last = r.outerShape.length - 1;
        if (last >= 0 && r.innerStride[0] != 1 && r.outerStrides[0][last] == 1 && r.len >= TILE) {
            copyTransposed(r, s, d);
            return;
        }
        Parallel.forRange(r.count, r.len, (from, to) -> {
            for (int row = from; row < to; row++) {
                int ps = r.offset(0, row), pd = r.offset(1, row);
                int ss = r.innerStride[0], ds = r.innerStride[1];
                if (ss == 1 && ds == 1) System.arraycopy(s, ps, d, pd, r.len);
                else for (int i = 0; i < r.len; i++, ps += ss, pd += ds) d[pd] = s[ps];
            }
        });
    }

    /** Side of the square blocks {@link #copyTransposed} moves at a time (16 floats: one 64-byte line). */
    private static final int TILE = 16;

    /**
     * {@link #copyStrided} for a source whose rows are strided but whose consecutive rows are adjacent in memory
     * (a transposed view: source inner stride != 1, stride 1 along the last outer dimension). Row by row that reads
     * one float per cache line; here TILE rows x TILE columns go at a time, so each source line is read once and
     * each destination line written once while both stay in L1 (measured: the [512, 512] transposed copy 0.5 ms ->
     * see TrainingConvBench.affineTransposed).
     */
    private static void copyTransposed(Rows r, float[] s, float[] d) {
        int last = r.outerShape.length - 1, nl = r.outerShape[last], blocks = (nl + TILE - 1) / TILE;
        int ss = r.innerStride[0], ds = r.innerStride[1], dRow = r.outerStrides[1][last], len = r.len;
        Parallel.forRange(r.count / nl * blocks, (long) TILE * len, (from, to) -> {
            for (int b = from; b < to; b++) {
                int first = b % blocks * TILE, rows = Math.min(TILE, nl - first), row0 = b / blocks * nl + first;
                int ps = r.offset(0, row0), pd = r.offset(1, row0);
                for (int j0 = 0; j0 < len; j0 += TILE) {
                    for (int j = j0, j1 = Math.min(len, j0 + TILE); j < j1; j++) {
                        int sp = ps + j * ss, dp = pd + j * ds;
                        for (int t = 0; t < rows; t++) d[dp + t * dRow] = s[sp + t];
                    }
                }
            }
        });
    }

    /**
     * Several same-shaped views seen as rows: dimensions merged where every view allows it, size-1 dimensions
     * dropped, the last remaining dimension the row. Row {@code r} of view {@code t} starts at {@code offset(t, r)}.
     */
    static final class Rows {
        final int count, len;
        final int[] outerShape;
        final int[][] outerStrides;
        final int[] base, innerStride;

        private Rows(int count, int len, int[] outerShape, int[][] outerStrides, int[] base, int[] innerStride) {
            this.count = count; this.len = len; this.outerShape = outerShape; this.outerStrides = outerStrides;
            this.base = base; this.innerStride = innerStride;
        }

        static Rows of(Tensor... ts) {
            int[] shape = ts[0].shape();
            List<Integer> dims = new ArrayList<>();
            for (int d = 0; d < shape.length; d++) if (shape[d] != 1) dims.add(d);
            // merge runs of dimensions that are contiguous with their successor in every view
            List<int[]> groups = new ArrayList<>(); // {size, stride of view 0, view 1, ...}
            for (int d : dims) {
                int[] g = new int[1 + ts.length];
                g[0] = shape[d];
                for (int t = 0; t < ts.length; t++) g[1 + t] = ts[t].stride(d);
                if (!groups.isEmpty()) {
                    int[] last = groups.get(groups.size() - 1);
                    boolean merge = true;
                    for (int t = 0; t < ts.length; t++) merge &= last[1 + t] == g[1 + t] * g[0];
                    if (merge) {
                        last[0] *= g[0];
                        for (int t = 0; t < ts.length; t++) last[1 + t] = g[1 + t];
                        continue;
                    }
                }
                groups.add(g);
            }
            if (groups.isEmpty()) {
                int[] one = new int[1 + ts.length]; // a single element
                one[0] = 1;
                groups.add(one);
            }
            int[] inner = groups.remove(groups.size() - 1);
            int len = inner[0];
            int[] innerStride = new int[ts.length], base = new int[ts.length];
            for (int t = 0; t < ts.length; t++) {
                innerStride[t] = inner[1 + t];
                base[t] = ts[t].offset();
            }
            int[] outerShape = new int[groups.size()];
            int[][] outerStrides = new int[ts.length][groups.size()];
            int count = 1;
            for (int i = 0; i < groups.size(); i++) {
                outerShape[i] = groups.get(i)[0];
                count *= outerShape[i];
                for (int t = 0; t < ts.length; t++) outerStrides[t][i] = groups.get(i)[1 + t];
            }
            if (Shapes.numel(shape) == 0) count = 0;
            return new Rows(count, len, outerShape, outerStrides, base, innerStride);
        }

        int offset(int t, int row) {
            int p = base[t];
            int[] st = outerStrides[t];
            for (int i = outerShape.length - 1; i >= 0; i--) {
                int n = outerShape[i];
                p += (row % n) * st[i];
                row /= n;
            }
            return p;
        }
    }

    /** x itself when contiguous, else a contiguous vector copy. */
    private static Tensor contiguous(Tensor x) { return x.isContiguous() ? x : copy(x); }

    // ================================================================== elementwise

    /** y = op(x). */
    public static Tensor unary(UnaryOp op, Tensor x) {
        Tensor xc = contiguous(x), out = xc != x ? xc : Tensor.zeros(x.shape());   // a fresh copy is overwritten in place
        float[] s = xc.host().f32, d = out.host().f32;
        int so = xc.offset();
        Parallel.forRange(out.numel(), 4, (from, to) -> {
            int i = switch (op) {                       // each op's vector loop, then the scalar tail
                case NEG -> negRun(s, so, d, from, to);
                case ABS -> absRun(s, so, d, from, to);
                case SIGN -> signRun(s, so, d, from, to);
                case EXP -> expRun(s, so, d, from, to);
                case LOG -> logRun(s, so, d, from, to);
                case SQRT -> sqrtRun(s, so, d, from, to);
                case RSQRT -> rsqrtRun(s, so, d, from, to);
                case SQUARE -> squareRun(s, so, d, from, to);
                case RECIPROCAL -> reciprocalRun(s, so, d, from, to);
                case SOFTPLUS -> softplusRun(s, so, d, from, to);
                case SIGMOID -> sigmoidRun(s, so, d, from, to);
            };
            for (; i < to; i++) d[i] = (float) op.apply(s[so + i]);
        });
        return out;
    }

    /*
     * The vector loops of unary, one method per op: d[i] = op(s[so + i]) for whole vectors of [from, to), returning
     * where the scalar tail starts. One loop with a switch per vector made a method too big for C2 to inline into the
     * loop, and its vectors were boxed on every call (JFR allocation samples of a training run); here no vector
     * crosses a method boundary that C2 may decline to inline.
     */

    private static int negRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        for (; i <= to - VL; i += VL) FloatVector.fromArray(S, s, so + i).neg().intoArray(d, i);
        return i;
    }

    private static int absRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        for (; i <= to - VL; i += VL) FloatVector.fromArray(S, s, so + i).abs().intoArray(d, i);
        return i;
    }

    /** sign, keeping ±0 and NaN. */
    private static int signRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        for (; i <= to - VL; i += VL) {
            FloatVector v = FloatVector.fromArray(S, s, so + i);
            v.blend(1f, v.compare(VectorOperators.GT, 0f)).blend(-1f, v.compare(VectorOperators.LT, 0f)).intoArray(d, i);
        }
        return i;
    }

    /** VMath, not VectorOperators.EXP/LOG: the same bits interpreted and compiled. */
    private static int expRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        for (; i <= to - VL; i += VL) VMath.exp(FloatVector.fromArray(S, s, so + i)).intoArray(d, i);
        return i;
    }

    private static int logRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        for (; i <= to - VL; i += VL) VMath.log(FloatVector.fromArray(S, s, so + i)).intoArray(d, i);
        return i;
    }

    private static int sqrtRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        for (; i <= to - VL; i += VL) FloatVector.fromArray(S, s, so + i).sqrt().intoArray(d, i);
        return i;
    }

    private static int rsqrtRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i <= to - VL; i += VL) one.div(FloatVector.fromArray(S, s, so + i).sqrt()).intoArray(d, i);
        return i;
    }

    private static int squareRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        for (; i <= to - VL; i += VL) {
            FloatVector v = FloatVector.fromArray(S, s, so + i);
            v.mul(v).intoArray(d, i);
        }
        return i;
    }

    private static int reciprocalRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i <= to - VL; i += VL) one.div(FloatVector.fromArray(S, s, so + i)).intoArray(d, i);
        return i;
    }

    private static int softplusRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        for (; i <= to - VL; i += VL) {
            FloatVector v = FloatVector.fromArray(S, s, so + i);
            VMath.log1p(VMath.exp(v)).blend(v, v.compare(VectorOperators.GT, (float) UnaryOp.SOFTPLUS_THRESHOLD)).intoArray(d, i);
        }
        return i;
    }

    private static int sigmoidRun(float[] s, int so, float[] d, int from, int to) {
        int i = from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i <= to - VL; i += VL) one.div(VMath.exp(FloatVector.fromArray(S, s, so + i).neg()).add(1f)).intoArray(d, i);
        return i;
    }

    /*
     * The vector loops of binaryBlock, one per op: out[o + i] = op(a[pa + sa*i], b[pb + sb*i]) for whole vectors of
     * [lo, hi) (a step of 0 reads a repeated value from VL copies), returning where the scalar tail starts. One loop
     * that switched on the op per vector and chose each operand between a load and a broadcast was too big for C2 to
     * keep its vectors in registers: they were boxed on every iteration (JFR allocation samples of a drag).
     */

    private static int addLoop(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int lo, int hi) {
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, a, pa + sa * i).add(FloatVector.fromArray(S, b, pb + sb * i)).intoArray(out, o + i);
        return i;
    }

    private static int subLoop(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int lo, int hi) {
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, a, pa + sa * i).sub(FloatVector.fromArray(S, b, pb + sb * i)).intoArray(out, o + i);
        return i;
    }

    private static int mulLoop(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int lo, int hi) {
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, a, pa + sa * i).mul(FloatVector.fromArray(S, b, pb + sb * i)).intoArray(out, o + i);
        return i;
    }

    private static int divLoop(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int lo, int hi) {
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, a, pa + sa * i).div(FloatVector.fromArray(S, b, pb + sb * i)).intoArray(out, o + i);
        return i;
    }

    private static int maxLoop(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int lo, int hi) {
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, a, pa + sa * i).max(FloatVector.fromArray(S, b, pb + sb * i)).intoArray(out, o + i);
        return i;
    }

    private static int minLoop(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int lo, int hi) {
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, a, pa + sa * i).min(FloatVector.fromArray(S, b, pb + sb * i)).intoArray(out, o + i);
        return i;
    }

    /** 1 where a > b, else 0 (NaN compares false). */
    private static int gtLoop(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int lo, int hi) {
        FloatVector zero = FloatVector.zero(S);
        int i = lo;
        for (; i <= hi - VL; i += VL) {
            FloatVector x = FloatVector.fromArray(S, a, pa + sa * i), y = FloatVector.fromArray(S, b, pb + sb * i);
            zero.blend(1f, x.compare(VectorOperators.GT, y)).intoArray(out, o + i);
        }
        return i;
    }

    /** VL copies of v (a binary op's repeated operand, read at step 0). */
    private static float[] repeated(float v) {
        float[] r = new float[VL];
        Arrays.fill(r, v);
        return r;
    }

    /** How a broadcast operand behaves over a block of trailing dimensions. */
    private enum Inner { CONTIGUOUS, CONSTANT }

    private static Inner innerKind(int[] shape, int[] strides, int from) {
        boolean contiguous = true, constant = true;
        int expect = 1;
        for (int d = shape.length - 1; d >= from; d--) {
            if (shape[d] == 1) continue;
            contiguous &= strides[d] == expect;
            constant &= strides[d] == 0;
            expect *= shape[d];
        }
        return contiguous ? Inner.CONTIGUOUS : constant ? Inner.CONSTANT : null;
    }

    /**
     * y = op(a, b) with broadcasting, when the trailing dimensions split into blocks along which each operand is
     * either contiguous or constant (same shapes; a [C, 1, 1] or [N, C, 1, 1] operand over [N, C, H, W]; [C] over
     * [N, C]; a scalar); null for other layouts (blocks shorter than a vector).
     */
    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(op.name(), a.shape(), b.shape());
        Tensor ea = a.expandView(shape), eb = b.expandView(shape);
        int[] sa = ea.strides(), sb = eb.strides();
        int split = -1;
        Inner ka = null, kb = null;
        for (int d = 0; d <= shape.length && split < 0; d++) {
            ka = innerKind(shape, sa, d);
            kb = innerKind(shape, sb, d);
            if (ka != null && kb != null) split = d;
        }
        int inner = 1;
        for (int d = split; d < shape.length; d++) inner *= shape[d];
        Tensor out = Tensor.zeros(shape);
        int n = out.numel();
        if (n == 0) return out;
        if (inner < VL && inner != n) return null;
        int blocks = n / inner, len = inner;
        float[] av = a.host().f32, bv = b.host().f32, ov = out.host().f32;
        Inner fa = ka, fb = kb;
        int[] outer = java.util.Arrays.copyOf(shape, split);
        int outerRank = split;
        Parallel.Range body = (from, to) -> {
            // one block at a time, or (a single block) the range [from, to) of it
            int b0 = blocks == 1 ? 0 : from, b1 = blocks == 1 ? 1 : to;
            for (int blk = b0; blk < b1; blk++) {
                int pa = ea.offset(), pb = eb.offset();
                for (int d = outerRank - 1, r = blk; d >= 0; d--) {
                    pa += (r % outer[d]) * sa[d];
                    pb += (r % outer[d]) * sb[d];
                    r /= outer[d];
                }
                int lo = blocks == 1 ? from : 0, hi = blocks == 1 ? to : len, o = blk * len;
                binaryBlock(op, av, pa, fa == Inner.CONTIGUOUS, bv, pb, fb == Inner.CONTIGUOUS, ov, o, lo, hi);
            }
        };
        if (blocks == 1) Parallel.forRange(len, 2, body);
        else Parallel.forRange(blocks, 2L * len, body);
        return out;
    }

    /** out[o + i] = op(a, b) for i in [lo, hi), a and b each either a contiguous run or one repeated value. */
    private static void binaryBlock(BinaryOp op, float[] a, int pa, boolean aRun, float[] b, int pb, boolean bRun,
                                    float[] out, int o, int lo, int hi) {
        if (op == BinaryOp.MUL || op == BinaryOp.ADD) {
            boolean mul = op == BinaryOp.MUL;
            if (aRun && bRun) { if (mul) mulRuns(a, pa, b, pb, out, o, lo, hi); else addRuns(a, pa, b, pb, out, o, lo, hi); return; }
            if (aRun != bRun) {                          // both ops commute: (run, repeated value) either way round
                float[] r = aRun ? a : b, c = aRun ? b : a;
                int pr = aRun ? pa : pb, pc = aRun ? pb : pa;
                if (mul) mulRunByValue(r, pr, c[pc], out, o, lo, hi); else addRunAndValue(r, pr, c[pc], out, o, lo, hi);
                return;
            }
        }
        // a repeated value is read as VL copies of it at step 0, so that each op's loop has one form (see below)
        float[] ra = aRun ? a : repeated(a[pa]), rb = bRun ? b : repeated(b[pb]);
        int qa = aRun ? pa : 0, qb = bRun ? pb : 0, sa = aRun ? 1 : 0, sb = bRun ? 1 : 0;
        int i = switch (op) {
            case ADD -> addLoop(ra, qa, sa, rb, qb, sb, out, o, lo, hi);
            case SUB -> subLoop(ra, qa, sa, rb, qb, sb, out, o, lo, hi);
            case MUL -> mulLoop(ra, qa, sa, rb, qb, sb, out, o, lo, hi);
            case DIV -> divLoop(ra, qa, sa, rb, qb, sb, out, o, lo, hi);
            case MAX -> maxLoop(ra, qa, sa, rb, qb, sb, out, o, lo, hi);
            case MIN -> minLoop(ra, qa, sa, rb, qb, sb, out, o, lo, hi);
            case GT -> gtLoop(ra, qa, sa, rb, qb, sb, out, o, lo, hi);
        };
        for (; i < hi; i++) out[o + i] = (float) op.apply(a[aRun ? pa + i : pa], b[bRun ? pb + i : pb]);
    }

    // The training step's most frequent elementwise ops (a [N, C, H, W] times a per-channel [N, C, 1, 1] scale, the
    // noise added, products of two maps) get loops of their own: in the shared loop above, the operation switch and
    // the operand kinds seen from every other op made the JIT's code for the whole loop slower (measured 40-50% for
    // a [16, 64, 64, 64] multiply after other ops had run). Results are the same single float operations.

    /** out[o + i] = a[pa + i] * b[pb + i] for i in [lo, hi). */
    private static void mulRuns(float[] a, int pa, float[] b, int pb, float[] out, int o, int lo, int hi) {
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, a, pa + i).mul(FloatVector.fromArray(S, b, pb + i)).intoArray(out, o + i);
        for (; i < hi; i++) out[o + i] = a[pa + i] * b[pb + i];
    }

    /** out[o + i] = a[pa + i] + b[pb + i] for i in [lo, hi). */
    private static void addRuns(float[] a, int pa, float[] b, int pb, float[] out, int o, int lo, int hi) {
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, a, pa + i).add(FloatVector.fromArray(S, b, pb + i)).intoArray(out, o + i);
        for (; i < hi; i++) out[o + i] = a[pa + i] + b[pb + i];
    }

    /** out[o + i] = r[pr + i] * c for i in [lo, hi). */
    private static void mulRunByValue(float[] r, int pr, float c, float[] out, int o, int lo, int hi) {
        FloatVector cv = FloatVector.broadcast(S, c);
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, r, pr + i).mul(cv).intoArray(out, o + i);
        for (; i < hi; i++) out[o + i] = r[pr + i] * c;
    }

    /** out[o + i] = r[pr + i] + c for i in [lo, hi). */
    private static void addRunAndValue(float[] r, int pr, float c, float[] out, int o, int lo, int hi) {
        FloatVector cv = FloatVector.broadcast(S, c);
        int i = lo;
        for (; i <= hi - VL; i += VL) FloatVector.fromArray(S, r, pr + i).add(cv).intoArray(out, o + i);
        for (; i < hi; i++) out[o + i] = r[pr + i] + c;
    }

    /** y = x * scale + shift (scale and shift rounded to float). */
    public static Tensor affine(Tensor x, double scale, double shift) {
        Tensor xc = contiguous(x), out = xc != x ? xc : Tensor.zeros(x.shape());   // a fresh copy is overwritten in place
        float[] s = xc.host().f32, d = out.host().f32;
        int so = xc.offset();
        float sc = (float) scale, sh = (float) shift;
        Parallel.forRange(out.numel(), 2, (from, to) -> {
            int i = from;
            for (; i <= to - VL; i += VL) FloatVector.fromArray(S, s, so + i).fma(sc, sh).intoArray(d, i);
            for (; i < to; i++) d[i] = (float) (s[so + i] * scale + shift);
        });
        return out;
    }

    /** y = min(max(x, lo), hi). */
    public static Tensor clamp(Tensor x, double lo, double hi) {
        Tensor xc = contiguous(x), out = xc != x ? xc : Tensor.zeros(x.shape());   // a fresh copy is overwritten in place
        float[] s = xc.host().f32, d = out.host().f32;
        int so = xc.offset();
        float l = (float) lo, h = (float) hi;
        Parallel.forRange(out.numel(), 2, (from, to) -> {
            int i = from;
            for (; i <= to - VL; i += VL) FloatVector.fromArray(S, s, so + i).max(l).min(h).intoArray(d, i);
            for (; i < to; i++) d[i] = (float) Math.min(Math.max(s[so + i], lo), hi);
        });
        return out;
    }

    /** acc += x in place; acc contiguous (checked by Ops); false (nothing done) when x is not contiguous. */
    public static boolean addInPlace(Tensor acc, Tensor x) {
        if (!x.isContiguous() || acc.storage() == x.storage()) return false;
        float[] a = acc.host().f32, s = x.host().f32;
        int ao = acc.offset(), so = x.offset();
        Parallel.forRange(acc.numel(), 2, (from, to) -> {
            int i = from;
            for (; i <= to - VL; i += VL) {
                FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, s, so + i)).intoArray(a, ao + i);
            }
            for (; i < to; i++) a[ao + i] += s[so + i];
        });
        return true;
    }

    // ================================================================== bias_act

    /**
     * y = clamp(act(x + b[c]) * gain, -clamp, clamp) with c the index along dim; null when the bias is strided and
     * varies along the contiguous dimension.
     */
    public static Tensor biasAct(Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        Tensor xc = contiguous(x), out = xc != x ? xc : Tensor.zeros(x.shape());   // a fresh copy is overwritten in place
        int[] shape = x.shape();
        int channels = x.dim() == 0 ? 1 : shape[dim];
        int outer = Shapes.numel(java.util.Arrays.copyOfRange(shape, 0, Math.min(dim, shape.length)));
        int inner = x.dim() == 0 ? 1 : Shapes.numel(java.util.Arrays.copyOfRange(shape, dim + 1, shape.length));
        if (inner == 1 && b != null && b.stride(0) != 1 && channels > 1) return null;
        float[] s = xc.host().f32, d = out.host().f32, bv = b == null ? null : b.host().f32;
        int so = xc.offset(), bo = b == null ? 0 : b.offset(), bs = b == null ? 0 : b.stride(0);
        Epilogue e = new Epilogue(act, alpha, gain, clamp);
        if (inner == 1) {
            // bias along the contiguous dimension: one vector of biases per step
            Parallel.forRange(outer, 4L * channels, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int base = r * channels, i = 0;
                    for (; i <= channels - VL; i += VL) {
                        FloatVector v = FloatVector.fromArray(S, s, so + base + i);
                        if (bv != null) v = v.add(FloatVector.fromArray(S, bv, bo + i));
                        e.apply(v).intoArray(d, base + i);
                    }
                    for (; i < channels; i++) d[base + i] = e.apply(s[so + base + i] + (bv == null ? 0f : bv[bo + i * bs]));
                }
            });
        } else {
            // one bias value per block of `inner` contiguous elements
            int blocks = outer * channels;
            Parallel.forRange(blocks, 4L * inner, (from, to) -> {
                for (int blk = from; blk < to; blk++) {
                    float bias = bv == null ? 0f : bv[bo + (blk % channels) * bs];
                    int base = blk * inner, i = 0;
                    for (; i <= inner - VL; i += VL) e.apply(FloatVector.fromArray(S, s, so + base + i).add(bias)).intoArray(d, base + i);
                    for (; i < inner; i++) d[base + i] = e.apply(s[so + base + i] + bias);
                }
            });
        }
        return out;
    }

    /**
     * y = clamp(act((x + r) + b[c]) * gain, -clamp, clamp), c the index along dim (not the last): bias_act of the
     * sum x + r in one pass, the float additions in the order of add then bias_act, so the same bits. r contiguous,
     * broadcast to x either along every dimension up to dim ([H, W] for x [N, C, H, W]: one value per position of a
     * plane) or along dim only ([N, 1, H, W]). Null (the caller composes the two ops) for other layouts.
     */
    public static Tensor addBiasAct(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        return addBiasAct(x, r, b, dim, act, alpha, gain, clamp, false);
    }

    /**
     * {@link #addBiasAct} written over x itself (each element is read before it is written); false, with x
     * untouched, where x is not contiguous or the layout is not one of addBiasAct's.
     */
    public static boolean addBiasActInPlace(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        return x.isContiguous() && addBiasAct(x, r, b, dim, act, alpha, gain, clamp, true) != null;
    }

    private static Tensor addBiasAct(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp, boolean inPlace) {
        int[] shape = x.shape();
        if (x.dim() == 0 || dim == x.dim() - 1 || !r.isContiguous()) return null;
        int outer = Shapes.numel(java.util.Arrays.copyOfRange(shape, 0, dim)), channels = shape[dim];
        int inner = Shapes.numel(java.util.Arrays.copyOfRange(shape, dim + 1, shape.length));
        int[] rp = new int[shape.length];                    // r's shape right-aligned to x's
        java.util.Arrays.fill(rp, 1);
        System.arraycopy(r.shape(), 0, rp, shape.length - r.dim(), r.dim());
        boolean perPlane = true, perSample = rp[dim] == 1;   // r[i] / r[o * inner + i] for block (o, c), offset i
        for (int k = 0; k < shape.length; k++) {
            if (k <= dim && rp[k] != 1) perPlane = false;
            if (k > dim && rp[k] != shape[k]) perPlane = perSample = false;
            if (k < dim && rp[k] != shape[k]) perSample = false;
        }
        if (!perPlane && !perSample) return null;
        int sampleStride = perPlane ? 0 : inner;
        // a fresh contiguous copy of a view is overwritten in place too
        Tensor xc = inPlace ? x : contiguous(x), out = inPlace || xc != x ? xc : Tensor.zeros(shape);
        float[] s = xc.host().f32, d = out.host().f32, rv = r.host().f32, bv = b == null ? null : b.host().f32;
        int so = xc.offset(), dOff = out.offset(), ro = r.offset(), bo = b == null ? 0 : b.offset(), bs = b == null ? 0 : b.stride(0);
        Epilogue e = new Epilogue(act, alpha, gain, clamp);
        Parallel.forRange(outer * channels, 5L * inner, (from, to) -> {
            for (int blk = from; blk < to; blk++) {
                float bias = bv == null ? 0f : bv[bo + (blk % channels) * bs];
                int base = blk * inner, rb = ro + blk / channels * sampleStride, i = 0;
                for (; i <= inner - VL; i += VL) {
                    FloatVector v = FloatVector.fromArray(S, s, so + base + i).add(FloatVector.fromArray(S, rv, rb + i));
                    e.apply(v.add(bias)).intoArray(d, dOff + base + i);
                }
                for (; i < inner; i++) d[dOff + base + i] = e.apply((s[so + base + i] + rv[rb + i]) + bias);
            }
        });
        return out;
    }

    /**
     * The activation, gain and clamp of bias_act and its gradient factor, for vectors and for the scalar tails (float
     * arithmetic in PyTorch's order; the scalar and vector forms give the same bits).
     */
    private record Epilogue(boolean lrelu, float alpha, float gain, float clamp, boolean clamped) {
        Epilogue(Activation act, double alpha, double gain, double clamp) {
            this(act == Activation.LRELU, (float) alpha, (float) gain, (float) clamp, clamp >= 0);
        }

        FloatVector apply(FloatVector v) {
            if (lrelu) v = v.mul(alpha).blend(v, v.compare(VectorOperators.GT, 0f));
            v = v.mul(gain);
            return clamped ? v.max(-clamp).min(clamp) : v;
        }

        float apply(float v) {
            if (lrelu && !(v > 0)) v *= alpha;
            v *= gain;
            return clamped ? Math.min(Math.max(v, -clamp), clamp) : v;
        }

        /** dx for cotangent g at pre-activation v = x + b: g * gain * act'(v) where -clamp &lt;= act(v) * gain &lt;= clamp, else 0. */
        FloatVector grad(FloatVector g, FloatVector v) {
            VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
            FloatVector d = g.mul(gain);
            if (lrelu) d = d.mul(alpha).blend(d, pos);
            if (!clamped) return d;
            FloatVector t = (lrelu ? v.mul(alpha).blend(v, pos) : v).mul(gain);
            VectorMask<Float> inside = t.compare(VectorOperators.GE, -clamp).and(t.compare(VectorOperators.LE, clamp));
            return d.blend(0f, inside.not());
        }

        float grad(float g, float v) {
            boolean pos = v > 0;
            float d = g * gain;
            if (lrelu && !pos) d *= alpha;
            if (!clamped) return d;
            float t = (lrelu && !pos ? v * alpha : v) * gain;
            return t >= -clamp && t <= clamp ? d : 0f;
        }
    }

    /**
     * dx of bias_act from its inputs (Backend#biasActBackward has the math): g * gain * act'(x + b[c]) where
     * -clamp &lt;= act(x + b[c]) * gain &lt;= clamp (or no clamp), else 0; c the index along dim. gout and x: any views of
     * one shape; b: [x.size(dim)] or null. Null (the caller falls back) when the bias is strided and varies along the
     * contiguous dimension, as {@link #biasAct}.
     */
    public static Tensor biasActBackward(Tensor gout, Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        int[] shape = x.shape();
        int channels = x.dim() == 0 ? 1 : shape[dim];
        int outer = Shapes.numel(java.util.Arrays.copyOfRange(shape, 0, Math.min(dim, shape.length)));
        int inner = x.dim() == 0 ? 1 : Shapes.numel(java.util.Arrays.copyOfRange(shape, dim + 1, shape.length));
        if (inner == 1 && b != null && b.stride(0) != 1 && channels > 1) return null;
        Tensor gc = contiguous(gout), xc = contiguous(x), out = Tensor.zeros(gout.shape());
        float[] g = gc.host().f32, s = xc.host().f32, d = out.host().f32, bv = b == null ? null : b.host().f32;
        int go = gc.offset(), so = xc.offset(), bo = b == null ? 0 : b.offset(), bs = b == null ? 0 : b.stride(0);
        Epilogue e = new Epilogue(act, alpha, gain, clamp);
        if (inner == 1) {
            // bias along the contiguous dimension: one vector of biases per step
            Parallel.forRange(outer, 4L * channels, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int base = r * channels, i = 0;
                    for (; i <= channels - VL; i += VL) {
                        FloatVector v = FloatVector.fromArray(S, s, so + base + i);
                        if (bv != null) v = v.add(FloatVector.fromArray(S, bv, bo + i));
                        e.grad(FloatVector.fromArray(S, g, go + base + i), v).intoArray(d, base + i);
                    }
                    for (; i < channels; i++) d[base + i] = e.grad(g[go + base + i], s[so + base + i] + (bv == null ? 0f : bv[bo + i * bs]));
                }
            });
        } else {
            // one bias value per block of `inner` contiguous elements
            Parallel.forRange(outer * channels, 4L * inner, (from, to) -> {
                for (int blk = from; blk < to; blk++) {
                    float bias = bv == null ? 0f : bv[bo + (blk % channels) * bs];
                    int base = blk * inner, i = 0;
                    for (; i <= inner - VL; i += VL) {
                        e.grad(FloatVector.fromArray(S, g, go + base + i), FloatVector.fromArray(S, s, so + base + i).add(bias)).intoArray(d, base + i);
                    }
                    for (; i < inner; i++) d[base + i] = e.grad(g[go + base + i], s[so + base + i] + bias);
                }
            });
        }
        return out;
    }

    // ================================================================== sums

    /**
     * Sum over the dims listed (sorted, distinct). After dropping size-1 dimensions the trailing run of dimensions
     * that are all reduced (or all kept) forms contiguous blocks: reduced blocks are summed to one value each (in
     * parallel), kept blocks are added into their output row (threads split the row).
     */
    public static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        Tensor xc = contiguous(x);
        int rank = x.dim();
        int[] shape = x.shape();
        boolean[] reduce = new boolean[rank];
        for (int d : dims) reduce[d] = true;
        int[] keepShape = shape.clone();
        for (int d : dims) keepShape[d] = 1;
        int[] keepStrides = Shapes.contiguousStrides(keepShape);
        int[] outShape = keepShape;
        if (!keepdim) {
            int m = 0;
            for (int d = 0; d < rank; d++) if (!reduce[d]) m++;
            outShape = new int[m];
            for (int d = 0, j = 0; d < rank; d++) if (!reduce[d]) outShape[j++] = keepShape[d];
        }
        Tensor out = Tensor.zeros(outShape);
        if (x.numel() == 0) return out;
        // the non-trivial dimensions; the trailing run of equal reduce-status is the block
        List<Integer> live = new ArrayList<>();
        for (int d = 0; d < rank; d++) if (shape[d] != 1) live.add(d);
        boolean blockReduced = live.isEmpty() || reduce[live.get(live.size() - 1)];
        int split = live.size();
        while (split > 0 && reduce[live.get(split - 1)] == blockReduced) split--;
        int inner = 1;
        for (int i = split; i < live.size(); i++) inner *= shape[live.get(i)];
        int blocks = x.numel() / inner;
        int[] outerSize = new int[split], outerOutStride = new int[split];
        for (int i = 0; i < split; i++) {
            int d = live.get(i);
            outerSize[i] = shape[d];
            outerOutStride[i] = reduce[d] ? 0 : keepStrides[d];
        }
        float[] s = xc.host().f32, o = out.host().f32;
        int so = xc.offset(), len = inner;
        double[] acc = new double[out.numel()];        // both ways accumulate in double, rounded once at the end
        if (blockReduced) {
            double[] sums = new double[blocks];
            if (blocks >= 2 * Parallel.threads()) {
                Parallel.forRange(blocks, len, (from, to) -> {
                    for (int b = from; b < to; b++) sums[b] = sumRun(s, so + b * len, len);
                });
            } else {
                int chunks = (len + CHUNK - 1) / CHUNK;
                double[] part = new double[chunks];
                for (int b = 0; b < blocks; b++) {
                    int base = so + b * len;
                    Parallel.forRange(chunks, CHUNK, (from, to) -> {
                        for (int c = from; c < to; c++) part[c] = sumRun(s, base + c * CHUNK, Math.min(CHUNK, len - c * CHUNK));
                    });
                    double t = 0;
                    for (double p : part) t += p;
                    sums[b] = t;
                }
            }
            for (int b = 0; b < blocks; b++) acc[outIndex(b, outerSize, outerOutStride)] += sums[b];
        } else {
            // kept trailing block: out[outIndex(b) + i] += x[b*len + i], accumulated in double (a float running sum
            // over a million rows drifted by 1e-5 relative; the reference and PyTorch stay near 1e-7); threads split i
            Parallel.forRange(len, 2L * blocks, (from, to) -> {
                for (int b = 0; b < blocks; b++) {
                    int src = so + b * len, dst = outIndex(b, outerSize, outerOutStride);
                    for (int i = from; i < to; i++) acc[dst + i] += s[src + i];
                }
            });
        }
        for (int i = 0; i < acc.length; i++) o[i] = (float) acc[i];
        return out;
    }

    private static int outIndex(int block, int[] size, int[] outStride) {
        int p = 0;
        for (int i = size.length - 1; i >= 0; i--) {
            p += (block % size[i]) * outStride[i];
            block /= size[i];
        }
        return p;
    }

    /**
     * Sum of a[from .. from+len): float vector lanes per CHUNK, chunks added in double. The lanes are added in a
     * fixed order (not reduceLanes, whose order the Vector API leaves open and which differs between the
     * interpreter and C2), so the result is bit-identical on every run: session replay depends on it.
     */
    static double sumRun(float[] a, int from, int len) {
        double total = 0;
        float[] lanes = new float[VL];
        for (int c = 0; c < len; c += CHUNK) {
            int end = from + Math.min(len, c + CHUNK), i = from + c;
            FloatVector acc = FloatVector.zero(S);
            for (; i <= end - VL; i += VL) acc = acc.add(FloatVector.fromArray(S, a, i));
            float tail = 0f;
            for (; i < end; i++) tail += a[i];
            acc.intoArray(lanes, 0);
            float vsum = 0f;
            for (float l : lanes) vsum += l;
            total += vsum + (double) tail;
        }
        return total;
    }
}
