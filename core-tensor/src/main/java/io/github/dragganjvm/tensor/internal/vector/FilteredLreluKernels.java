package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Fused F32 filtered leaky ReLU (what {@code RefFilteredLrelu} defines), one image plane at a time: the plane's
 * bias-added input, its up-sampled image u (the only large temporary, [Hu, Wu] floats) and a stage's intermediate
 * rows live in per-thread buffers, so nothing of size [N, C, Hu, Wu] is ever allocated. Work units are planes.
 *
 * <p>Each stage is a pair of {@link Fir1d} plans, along x and along y. A separable ([taps]) filter runs as a row
 * pass over the stage's input rows into a temporary, then axpy passes across rows; a 2-D filter buffers every input
 * row once and makes each output row in one pass over all its (filter row, tap) pairs. The activation runs on u in
 * place. The backward recomputes u and runs the adjoint stages (the adjoint plans with reversed taps, the same
 * code) with the activation's masked gradient in between.
 *
 * <p>Measured (FilteredLreluBench, [1, 256, 36, 36], up 2, down 2, 12 taps, 2 shared cores, noisy): forward
 * 35-48 ms fused vs 55-170 ms composed with a separable fd, about equal (65-87 ms) with a 12x12 radial fd; backward
 * 37-71 ms vs 95-277 ms separable, 74-161 ms vs 123-480 ms radial.
 */
public final class FilteredLreluKernels {
    private FilteredLreluKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Whether these kernels take the op: F32 host tensors. */
    public static boolean handles(Tensor... ts) {
        for (Tensor t : ts) if (t != null && (t.dtype() != DType.F32 || !(t.storage() instanceof HostStorage))) return false;
        return true;
    }

    /**
     * One stage: plans along x and y, and its taps in correlation order times the gain: for a separable filter
     * {@code sep} (both axes, each with the square root of the gain), else {@code rows[i]} (row i of the 2-D
     * filter, used with the x plan; the y plan only picks rows).
     */
    private record Stage(Fir1d x, Fir1d y, float[] sep, float[][] rows) {
        boolean separable() { return sep != null; }

        static Stage of(Tensor f, int up, int down, int px0, int py0, int inH, int inW, int outH, int outW, double gain, boolean flip) {
            int fh = FilteredLreluParams.filterHeight(f), fw = FilteredLreluParams.filterWidth(f);
            Fir1d x = new Fir1d(up, down, px0, fw, inW, outW), y = new Fir1d(up, down, py0, fh, inH, outH);
            if (f != null && f.dim() == 1) {
                float[] k = new float[fw];
                for (int j = 0; j < fw; j++) k[j] = (float) (f.get(flip ? j : fw - 1 - j) * Math.sqrt(gain));
                return new Stage(x, y, k, null);
            }
            float[][] rows = new float[fh][fw];
            for (int i = 0; i < fh; i++)
                for (int j = 0; j < fw; j++) {
                    double v = f == null ? 1 : f.get(flip ? i : fh - 1 - i, flip ? j : fw - 1 - j);
                    rows[i][j] = (float) (v * gain);
                }
            return new Stage(x, y, null, rows);
        }

        /** The adjoint stage: adjoint plans, taps reversed (rows of a 2-D filter reversed in both axes). */
        Stage adjoint() {
            if (separable()) return new Stage(x.adjoint(), y.adjoint(), Fir1d.reversed(sep), null);
            float[][] r = new float[rows.length][];
            for (int i = 0; i < rows.length; i++) r[i] = Fir1d.reversed(rows[rows.length - 1 - i]);
            return new Stage(x.adjoint(), y.adjoint(), null, r);
        }

        int tmpLen() { return Math.max(x.tmpLen(), 1); }

        /**
         * dst [y.outLen, x.outLen] += this stage applied to src [y.inLen, x.inLen] (both contiguous planes at the
         * offsets); mid: at least {@link #midLen()} floats, tmp: at least {@link #tmpLen()}.
         */
        void apply(float[] src, int srcOff, float[] dst, int dstOff, float[] mid, float[] tmp) {
            int inW = x.inLen, outW = x.outLen, bl = x.bufLen();
            if (separable()) {
                // along x into mid's first y.inLen * outW floats (input rows buffered after them), then axpy along y
                int bufAt = y.inLen * outW;
                Arrays.fill(mid, 0, bufAt, 0f);
                int[] at0 = {bufAt};
                float[][] w1 = {sep};
                for (int r = 0; r < y.inLen; r++) {
                    x.bufferRow(src, srcOff + r * inW, mid, bufAt);
                    x.accumulateRows(mid, at0, w1, 1, mid, r * outW, tmp);
                }
                for (int k = 0; k < y.outLen; k++) {
                    int[] js = y.rowTaps(k), rs = y.rowInputs(k);
                    for (int t = 0; t < js.length; t++) Fir1d.axpy(sep[js[t]], mid, rs[t] * outW, dst, dstOff + k * outW, outW);
                }
            } else {
                // every input row buffered once into mid, then each output row in one pass over its filter rows
                for (int r = 0; r < y.inLen; r++) x.bufferRow(src, srcOff + r * inW, mid, r * bl);
                int[] at = new int[rows.length];
                float[][] w = new float[rows.length][];
                for (int k = 0; k < y.outLen; k++) {
                    int[] js = y.rowTaps(k), rs = y.rowInputs(k);
                    for (int t = 0; t < js.length; t++) {
                        at[t] = rs[t] * bl;
                        w[t] = rows[js[t]];
                    }
                    x.accumulateRows(mid, at, w, js.length, dst, dstOff + k * outW, tmp);
                }
            }
        }

        /** Scratch floats {@link #apply} needs in mid. */
        int midLen() { return separable() ? y.inLen * x.outLen + x.bufLen() : y.inLen * x.bufLen(); }
    }

    /** Both stages of one call and the sizes. */
    private record Plan(Stage up, Stage down, int h, int w, int uh, int uw, int ho, int wo) {
        static Plan of(Tensor x, Tensor fu, Tensor fd, FilteredLreluParams p) {
            int h = x.size(2), w = x.size(3);
            int uh = p.upHeight(h, fu), uw = p.upWidth(w, fu), ho = p.outHeight(h, fu, fd), wo = p.outWidth(w, fu, fd);
            Stage up = Stage.of(fu, p.up(), 1, p.padX0(), p.padY0(), h, w, uh, uw, p.upGain(), p.flipFilter());
            Stage down = Stage.of(fd, 1, p.down(), 0, 0, uh, uw, ho, wo, 1, p.flipFilter());
            return new Plan(up, down, h, w, uh, uw, ho, wo);
        }
    }

    /** Copies plane (n, c) of x plus b[c] into v (contiguous [h, w]). */
    private static void loadPlane(Tensor x, Tensor b, int n, int c, float[] v) {
        int h = x.size(2), w = x.size(3);
        float bias = b == null ? 0f : (float) b.get(c);
        float[] xs = x.host().f32;
        int base = x.offset() + n * x.stride(0) + c * x.stride(1), sy = x.stride(2), sx = x.stride(3);
        for (int iy = 0; iy < h; iy++) {
            int src = base + iy * sy, dst = iy * w;
            if (sx == 1) {
                int i = 0;
                FloatVector bv = FloatVector.broadcast(S, bias);
                for (; i <= w - L; i += L) FloatVector.fromArray(S, xs, src + i).add(bv).intoArray(v, dst + i);
                for (; i < w; i++) v[dst + i] = xs[src + i] + bias;
            } else {
                for (int i = 0; i < w; i++) v[dst + i] = xs[src + i * sx] + bias;
            }
        }
    }

    /** Per-thread buffers. */
    private static final class Scratch {
        final float[] v, u, mid, tmp, g;
        Scratch(Plan pl, Stage... stages) {
            v = new float[pl.h() * pl.w()];
            u = new float[pl.uh() * pl.uw()];
            int midLen = 1, tmpLen = 1;
            for (Stage st : stages) {
                midLen = Math.max(midLen, st.midLen());
                tmpLen = Math.max(tmpLen, st.tmpLen());
            }
            mid = new float[midLen];
            tmp = new float[tmpLen];
            g = stages.length > 2 ? new float[pl.uh() * pl.uw()] : null;
        }
    }

    /** y of {@code Ops.filteredLrelu} for F32 host tensors. */
    public static Tensor forward(Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        Plan pl = Plan.of(x, fu, fd, p);
        int nb = x.size(0), nc = x.size(1);
        Tensor out = Tensor.zeros(DType.F32, nb, nc, pl.ho(), pl.wo());
        float[] os = out.host().f32;
        float slope = (float) p.slope(), gain = (float) p.gain(), clamp = p.clamped() ? (float) p.clamp() : Float.POSITIVE_INFINITY;
        long cost = (long) pl.uh() * pl.uw() * (2 + FilteredLreluParams.filterWidth(fu) + FilteredLreluParams.filterWidth(fd));
        Parallel.forRange(nb * nc, cost, (from, to) -> {
            Scratch s = new Scratch(pl, pl.up(), pl.down());
            for (int plane = from; plane < to; plane++) {
                loadPlane(x, b, plane / nc, plane % nc, s.v);
                Arrays.fill(s.u, 0f);
                pl.up().apply(s.v, 0, s.u, 0, s.mid, s.tmp);
                activate(s.u, pl.uh() * pl.uw(), slope, gain, clamp);
                pl.down().apply(s.u, 0, os, plane * pl.ho() * pl.wo(), s.mid, s.tmp);
            }
        });
        return out;
    }

    /** dx of {@code Ops.filteredLreluBackward} for F32 host tensors. */
    public static Tensor backward(Tensor gout, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        Plan pl = Plan.of(x, fu, fd, p);
        Stage upAdj = pl.up().adjoint(), downAdj = pl.down().adjoint();
        int nb = x.size(0), nc = x.size(1);
        Tensor out = Tensor.zeros(DType.F32, nb, nc, pl.h(), pl.w());
        float[] os = out.host().f32;
        long cost = (long) pl.uh() * pl.uw() * (4 + 2 * FilteredLreluParams.filterWidth(fu) + FilteredLreluParams.filterWidth(fd));
        Parallel.forRange(nb * nc, cost, (from, to) -> {
            Scratch s = new Scratch(pl, pl.up(), pl.down(), upAdj, downAdj);
            float[] gp = new float[pl.ho() * pl.wo()];
            for (int plane = from; plane < to; plane++) {
                int n = plane / nc, c = plane % nc;
                loadPlane(x, b, n, c, s.v);
                Arrays.fill(s.u, 0f);
                pl.up().apply(s.v, 0, s.u, 0, s.mid, s.tmp);
                loadGrad(gout, n, c, gp);
                Arrays.fill(s.g, 0, pl.uh() * pl.uw(), 0f);
                downAdj.apply(gp, 0, s.g, 0, s.mid, s.tmp);
                activationGrad(s.g, s.u, pl.uh() * pl.uw(), p);
                upAdj.apply(s.g, 0, os, plane * pl.h() * pl.w(), s.mid, s.tmp);
            }
        });
        return out;
    }

    private static void loadGrad(Tensor g, int n, int c, float[] dst) {
        int h = g.size(2), w = g.size(3);
        float[] gs = g.host().f32;
        int base = g.offset() + n * g.stride(0) + c * g.stride(1);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) dst[y * w + x] = gs[base + y * g.stride(2) + x * g.stride(3)];
    }

    /** In place: u = clamp((u > 0 ? u : u * slope) * gain, -clamp, clamp) for the first len elements. */
    private static void activate(float[] u, int len, float slope, float gain, float clamp) {
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, u, i);
            FloatVector t = v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).mul(gain);
            t.max(-clamp).min(clamp).intoArray(u, i);
        }
        for (; i < len; i++) {
            float v = u[i], t = (v > 0 ? v : v * slope) * gain;
            u[i] = Math.min(Math.max(t, -clamp), clamp);
        }
    }

    /**
     * In place: g = g * gain * (u > 0 ? 1 : slope) where -clamp &lt;= (u > 0 ? u : u * slope) * gain &lt;= clamp, else 0,
     * step by step in float as the reference (PyTorch's float32 autograd).
     */
    private static void activationGrad(float[] g, float[] u, int len, FilteredLreluParams p) {
        float fa = (float) p.slope(), fg = (float) p.gain(), fc = p.clamped() ? (float) p.clamp() : Float.POSITIVE_INFINITY;
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, u, i);
            VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
            FloatVector t = v.mul(fa).blend(v, pos).mul(fg);
            FloatVector d = FloatVector.fromArray(S, g, i).mul(fg);
            d = d.mul(fa).blend(d, pos);
            VectorMask<Float> inside = t.compare(VectorOperators.GE, -fc).and(t.compare(VectorOperators.LE, fc));
            FloatVector.zero(S).blend(d, inside).intoArray(g, i);
        }
        for (; i < len; i++) {
            float v = u[i];
            boolean pos = v > 0;
            float t = (pos ? v : v * fa) * fg, d = g[i] * fg;
            if (!pos) d *= fa;
            g[i] = t >= -fc && t <= fc ? d : 0f;
        }
    }
}
