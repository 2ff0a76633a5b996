package io.github.dragganjvm.tensor.internal.reference;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;

/**
 * Reference filtered leaky ReLU (the definition of {@code Ops.filteredLrelu}), fused per image plane: no
 * [N, C, ...] intermediate exists, each (n, c) plane goes through its passes in plain loops, in double, rounded to
 * the dtype after every pass as PyTorch's reference (which stores every intermediate) does.
 *
 * <p>A pass is the upfirdn2d definition on one plane ({@link #pass}); a separable filter is two passes (along x,
 * then along y, each with the square root of the stage's gain), a 2-D or null filter one. The backward recomputes
 * u and runs the passes' adjoints (scatters) in reverse order.
 */
public final class RefFilteredLrelu {
    private RefFilteredLrelu() {}

    /**
     * One upfirdn2d pass on a plane: taps k [kh][kw] in correlation order (already flipped and times gain),
     * up-sampling by zero insertion, padding px0/py0 in front (the far padding follows from the output size).
     */
    record Pass(double[][] k, int upX, int upY, int downX, int downY, int px0, int py0) {
        int kh() { return k.length; }
        int kw() { return k[0].length; }
    }

    /** A plane and its size. */
    record Plane(double[] v, int h, int w) {}

    /**
     * The passes of one stage for filter f (null, [taps] or [fh, fw]): correlation-order taps (f flipped unless
     * flip), times gain (its square root per pass for a separable filter), rounded to the dtype as torch does.
     */
    static Pass[] passes(Tensor f, int up, int down, int px0, int py0, double gain, boolean flip, boolean f32) {
        if (f == null) return new Pass[]{new Pass(new double[][]{{round(gain, f32)}}, up, up, down, down, px0, py0)};
        if (f.dim() == 1) {
            int t = f.size(0);
            double g = Math.sqrt(gain);
            double[] k = new double[t];
            for (int j = 0; j < t; j++) k[j] = round(f.get(flip ? j : t - 1 - j) * g, f32);
            double[][] row = {k}, col = new double[t][1];
            for (int i = 0; i < t; i++) col[i][0] = k[i];
            // along x first (rows are up-sampled and padded but not filtered), then along y; each keeps every
            // down-th sample along its own axis only
            return new Pass[]{new Pass(row, up, up, down, 1, px0, py0), new Pass(col, 1, 1, 1, down, 0, 0)};
        }
        int fh = f.size(0), fw = f.size(1);
        double[][] k = new double[fh][fw];
        for (int i = 0; i < fh; i++)
            for (int j = 0; j < fw; j++) k[i][j] = round(f.get(flip ? i : fh - 1 - i, flip ? j : fw - 1 - j) * gain, f32);
        return new Pass[]{new Pass(k, up, up, down, down, px0, py0)};
    }

    /** Output length of a pass along one axis given its input length and the far padding. */
    private static int passSize(int in, int up, int pad0, int pad1, int taps, int down) {
        return Math.floorDiv(in * up + pad0 + pad1 - taps, down) + 1;
    }

    /**
     * out[oy][ox] = sum_{i,j} k[i][j] * s(oy*downY + i - py0, ox*downX + j - px0), where s(r, c) is
     * src[r/upY][c/upX] when both divide and lie inside, else 0 (the upfirdn2d definition); rounded to the dtype.
     */
    static Plane pass(Plane src, Pass q, int oh, int ow, boolean f32) {
        double[] out = new double[oh * ow];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                double s = 0;
                for (int i = 0; i < q.kh(); i++) {
                    int ry = oy * q.downY() + i - q.py0();
                    if (ry < 0 || ry >= src.h() * q.upY() || ry % q.upY() != 0) continue;
                    for (int j = 0; j < q.kw(); j++) {
                        int rx = ox * q.downX() + j - q.px0();
                        if (rx < 0 || rx >= src.w() * q.upX() || rx % q.upX() != 0) continue;
                        s += q.k()[i][j] * src.v()[(ry / q.upY()) * src.w() + rx / q.upX()];
                    }
                }
                out[oy * ow + ox] = round(s, f32);
            }
        return new Plane(out, oh, ow);
    }

    /** The adjoint of {@link #pass}: every product of the forward scattered back to its source sample. */
    static Plane passAdjoint(Plane g, Pass q, int ih, int iw, boolean f32) {
        double[] out = new double[ih * iw];
        for (int oy = 0; oy < g.h(); oy++)
            for (int ox = 0; ox < g.w(); ox++) {
                double go = g.v()[oy * g.w() + ox];
                for (int i = 0; i < q.kh(); i++) {
                    int ry = oy * q.downY() + i - q.py0();
                    if (ry < 0 || ry >= ih * q.upY() || ry % q.upY() != 0) continue;
                    for (int j = 0; j < q.kw(); j++) {
                        int rx = ox * q.downX() + j - q.px0();
                        if (rx < 0 || rx >= iw * q.upX() || rx % q.upX() != 0) continue;
                        out[(ry / q.upY()) * iw + rx / q.upX()] += q.k()[i][j] * go;
                    }
                }
            }
        for (int i = 0; i < out.length; i++) out[i] = round(out[i], f32);
        return new Plane(out, ih, iw);
    }

    /** The stages of one call, with every pass's input size. */
    private record Plan(Pass[] up, Pass[] down, int[][] upIn, int[][] downIn, int uh, int uw, int ho, int wo) {}

    private static Plan plan(Tensor x, Tensor fu, Tensor fd, FilteredLreluParams p) {
        boolean f32 = x.dtype() == DType.F32;
        Pass[] up = passes(fu, p.up(), 1, p.padX0(), p.padY0(), p.upGain(), p.flipFilter(), f32);
        Pass[] down = passes(fd, 1, p.down(), 0, 0, 1, p.flipFilter(), f32);
        int h = x.size(2), w = x.size(3);
        int uh = p.upHeight(h, fu), uw = p.upWidth(w, fu), ho = p.outHeight(h, fu, fd), wo = p.outWidth(w, fu, fd);
        // separable: the first pass keeps all up-sampled, padded rows (its filter has one row); sizes chain
        int[][] upIn = new int[up.length][], downIn = new int[down.length][];
        int ch = h, cw = w;
        for (int k = 0; k < up.length; k++) {
            upIn[k] = new int[]{ch, cw};
            Pass q = up[k];
            int py1 = k == 0 ? p.padY1() : 0, px1 = k == 0 ? p.padX1() : 0;
            int nh = passSize(ch, q.upY(), q.py0(), py1, q.kh(), q.downY()), nw = passSize(cw, q.upX(), q.px0(), px1, q.kw(), q.downX());
            ch = nh;
            cw = nw;
        }
        if (ch != uh || cw != uw) throw new IllegalStateException("filteredLrelu: up-sampled size " + ch + "x" + cw + " differs from " + uh + "x" + uw);
        for (int k = 0; k < down.length; k++) {
            downIn[k] = new int[]{ch, cw};
            Pass q = down[k];
            int nh = passSize(ch, 1, 0, 0, q.kh(), q.downY()), nw = passSize(cw, 1, 0, 0, q.kw(), q.downX());
            ch = nh;
            cw = nw;
        }
        if (ch != ho || cw != wo) throw new IllegalStateException("filteredLrelu: output size " + ch + "x" + cw + " differs from " + ho + "x" + wo);
        return new Plan(up, down, upIn, downIn, uh, uw, ho, wo);
    }

    /** The bias-added input plane (n, c), rounded to the dtype. */
    private static Plane inputPlane(Tensor x, Tensor b, int n, int c, boolean f32) {
        int h = x.size(2), w = x.size(3);
        double bias = b == null ? 0 : b.get(c);
        double[] v = new double[h * w];
        HostStorage hx = x.host();
        int base = x.offset() + n * x.stride(0) + c * x.stride(1);
        for (int iy = 0; iy < h; iy++)
            for (int ix = 0; ix < w; ix++) v[iy * w + ix] = round(hx.get(base + iy * x.stride(2) + ix * x.stride(3)) + bias, f32);
        return new Plane(v, h, w);
    }

    /** u of plane (n, c): the up-sampling stage's passes. */
    private static Plane upsampled(Tensor x, Tensor b, Plan pl, int n, int c, boolean f32) {
        Plane s = inputPlane(x, b, n, c, f32);
        for (int k = 0; k < pl.up().length; k++) {
            int[] next = k + 1 < pl.up().length ? pl.upIn()[k + 1] : new int[]{pl.uh(), pl.uw()};
            s = pass(s, pl.up()[k], next[0], next[1], f32);
        }
        return s;
    }

    /** Forward (see {@code Ops.filteredLrelu}). */
    public static Tensor forward(Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        boolean f32 = x.dtype() == DType.F32;
        Plan pl = plan(x, fu, fd, p);
        int nb = x.size(0), nc = x.size(1);
        Tensor out = Tensor.zeros(x.dtype(), nb, nc, pl.ho(), pl.wo());
        HostStorage ho = out.host();
        Parallel.forRange(nb * nc, (long) pl.uh() * pl.uw() * 64, (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                Plane s = upsampled(x, b, pl, plane / nc, plane % nc, f32);
                double[] a = s.v();
                for (int i = 0; i < a.length; i++) a[i] = round(act(a[i], p), f32);
                for (int k = 0; k < pl.down().length; k++) {
                    int[] next = k + 1 < pl.down().length ? pl.downIn()[k + 1] : new int[]{pl.ho(), pl.wo()};
                    s = pass(s, pl.down()[k], next[0], next[1], f32);
                }
                int at = plane * pl.ho() * pl.wo();
                for (int i = 0; i < s.v().length; i++) ho.set(at + i, s.v()[i]);
            }
        });
        return out;
    }

    /** clamp(lrelu(u) * gain, -clamp, clamp), in double (as the reference bias_act). */
    static double act(double u, FilteredLreluParams p) {
        double t = (u > 0 ? u : u * p.slope()) * p.gain();
        return p.clamped() ? Math.min(Math.max(t, -p.clamp()), p.clamp()) : t;
    }

    /**
     * The activation's gradient times g at u: g * gain * (u > 0 ? 1 : slope) where -clamp &lt;= act(u) &lt;= clamp,
     * else 0. F32 computes step by step in float as RefBasics.biasActBackward (PyTorch's float32 autograd).
     */
    static double actGrad(double g, double u, FilteredLreluParams p, boolean f32) {
        if (f32) {
            float vf = (float) u, fa = (float) p.slope(), fg = (float) p.gain(), fc = (float) p.clamp();
            boolean pos = vf > 0;
            float t = (pos ? vf : vf * fa) * fg;
            float d = (float) g * fg;
            if (!pos) d *= fa;
            return !p.clamped() || (t >= -fc && t <= fc) ? d : 0f;
        }
        boolean pos = u > 0;
        double t = (pos ? u : u * p.slope()) * p.gain();
        double d = g * p.gain();
        if (!pos) d *= p.slope();
        return !p.clamped() || (t >= -p.clamp() && t <= p.clamp()) ? d : 0;
    }

    /** dx (see {@code Backend.filteredLreluBackward}). */
    public static Tensor backward(Tensor gout, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        boolean f32 = x.dtype() == DType.F32;
        Plan pl = plan(x, fu, fd, p);
        int nb = x.size(0), nc = x.size(1), h = x.size(2), w = x.size(3);
        Tensor out = Tensor.zeros(x.dtype(), nb, nc, h, w);
        HostStorage hd = out.host(), hg = gout.host();
        Parallel.forRange(nb * nc, (long) pl.uh() * pl.uw() * 96, (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int n = plane / nc, c = plane % nc;
                Plane u = upsampled(x, b, pl, n, c, f32);
                double[] gv = new double[pl.ho() * pl.wo()];
                int gb = gout.offset() + n * gout.stride(0) + c * gout.stride(1);
                for (int oy = 0; oy < pl.ho(); oy++)
                    for (int ox = 0; ox < pl.wo(); ox++) gv[oy * pl.wo() + ox] = hg.get(gb + oy * gout.stride(2) + ox * gout.stride(3));
                Plane g = new Plane(gv, pl.ho(), pl.wo());
                for (int k = pl.down().length - 1; k >= 0; k--) g = passAdjoint(g, pl.down()[k], pl.downIn()[k][0], pl.downIn()[k][1], f32);
                for (int i = 0; i < g.v().length; i++) g.v()[i] = actGrad(g.v()[i], u.v()[i], p, f32);
                for (int k = pl.up().length - 1; k >= 0; k--) g = passAdjoint(g, pl.up()[k], pl.upIn()[k][0], pl.upIn()[k][1], f32);
                int at = plane * h * w;
                for (int i = 0; i < g.v().length; i++) hd.set(at + i, g.v()[i]);
            }
        });
        return out;
    }

    private static double round(double v, boolean f32) { return f32 ? (float) v : v; }
}
