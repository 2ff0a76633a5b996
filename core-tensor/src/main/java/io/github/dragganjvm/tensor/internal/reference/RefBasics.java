package io.github.dragganjvm.tensor.internal.reference;

import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.BinaryOp;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.UnaryOp;

/**
 * Reference kernels (plain loops, any strides, F32 or F64, double arithmetic) for data movement, elementwise ops,
 * reductions, matmul, tracking distances and Adam. They are the definition other backends are tested against.
 */
public final class RefBasics {
    private RefBasics() {}

    public static Tensor copy(Tensor x) { return convert(x, x.dtype()); }

    public static Tensor convert(Tensor x, DType dtype) {
        Tensor out = Tensor.zeros(dtype, x.shape());
        HostStorage src = x.host(), dst = out.host();
        Cursor c = new Cursor(x);
        int i = 0;
        while (c.hasNext()) dst.set(i++, src.get(c.next()));
        return out;
    }

    public static void copyInto(Tensor src, Tensor dst) {
        // copy through a temporary so overlapping views behave as if the source were read first
        double[] tmp = new double[src.numel()];
        Cursor cs = new Cursor(src);
        HostStorage s = src.host(), d = dst.host();
        int i = 0;
        while (cs.hasNext()) tmp[i++] = s.get(cs.next());
        Cursor cd = new Cursor(dst);
        i = 0;
        while (cd.hasNext()) d.set(cd.next(), tmp[i++]);
    }

    public static void fill(Tensor dst, double v) {
        Cursor c = new Cursor(dst);
        HostStorage d = dst.host();
        while (c.hasNext()) d.set(c.next(), v);
    }

    public static Tensor indexSelect(Tensor x, int dim, int[] index) {
        int[] shape = x.shape();
        shape[dim] = index.length;
        Tensor out = Tensor.zeros(x.dtype(), shape);
        for (int i = 0; i < index.length; i++) {
            copyInto(x.sliceView(dim, index[i], index[i] + 1), out.sliceView(dim, i, i + 1));
        }
        return out;
    }

    public static void indexAdd(Tensor dst, int dim, int[] index, Tensor src) {
        for (int i = 0; i < index.length; i++) {
            Tensor d = dst.sliceView(dim, index[i], index[i] + 1);
            Tensor s = src.sliceView(dim, i, i + 1);
            Cursor cd = new Cursor(d), cs = new Cursor(s);
            HostStorage hd = dst.host(), hs = src.host();
            while (cd.hasNext()) {
                int p = cd.next();
                hd.set(p, hd.get(p) + hs.get(cs.next()));
            }
        }
    }

    public static Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        HostStorage src = x.host(), dst = out.host();
        Cursor c = new Cursor(x);
        int i = 0;
        while (c.hasNext()) dst.set(i++, op.apply(src.get(c.next())));
        return out;
    }

    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(op.name(), a.shape(), b.shape());
        Tensor out = Tensor.zeros(a.dtype(), shape);
        Cursor ca = new Cursor(a.expandView(shape)), cb = new Cursor(b.expandView(shape));
        HostStorage ha = a.host(), hb = b.host(), dst = out.host();
        int i = 0;
        while (ca.hasNext()) dst.set(i++, op.apply(ha.get(ca.next()), hb.get(cb.next())));
        return out;
    }

    public static Tensor affine(Tensor x, double scale, double shift) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        HostStorage src = x.host(), dst = out.host();
        Cursor c = new Cursor(x);
        int i = 0;
        while (c.hasNext()) dst.set(i++, src.get(c.next()) * scale + shift);
        return out;
    }

    public static Tensor clamp(Tensor x, double lo, double hi) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        HostStorage src = x.host(), dst = out.host();
        Cursor c = new Cursor(x);
        int i = 0;
        while (c.hasNext()) dst.set(i++, Math.min(Math.max(src.get(c.next()), lo), hi));
        return out;
    }

    public static void addInPlace(Tensor acc, Tensor x) {
        HostStorage a = acc.host(), s = x.host();
        Cursor ca = new Cursor(acc), cx = new Cursor(x);
        while (ca.hasNext()) {
            int p = ca.next();
            a.set(p, a.get(p) + s.get(cx.next()));
        }
    }

    public static Tensor biasAct(Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        HostStorage src = x.host(), dst = out.host();
        HostStorage hb = b == null ? null : b.host();
        Cursor c = new Cursor(x);
        int i = 0;
        while (c.hasNext()) {
            int ch = x.dim() == 0 ? 0 : c.index()[dim];
            double v = src.get(c.next());
            if (hb != null) v += hb.get(b.offset() + ch * b.stride(0));
            if (act == Activation.LRELU && !(v > 0)) v *= alpha;
            v *= gain;
            if (clamp >= 0) v = Math.min(Math.max(v, -clamp), clamp);
            dst.set(i++, v);
        }
        return out;
    }

    /**
     * dx of bias_act from its inputs (Backend#biasActBackward has the math). F64 in double arithmetic; F32 in float
     * arithmetic step by step (v = x + b, act, gain, the comparison with the bound, then g * gain * alpha), the order
     * and rounding of PyTorch's float32 autograd of the reference, so values exactly on +-clamp decide as it does.
     */
    public static Tensor biasActBackward(Tensor gout, Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        Tensor out = Tensor.zeros(gout.dtype(), gout.shape());
        HostStorage hg = gout.host(), hx = x.host(), dst = out.host();
        HostStorage hb = b == null ? null : b.host();
        boolean lrelu = act == Activation.LRELU, clamped = clamp >= 0, f32 = gout.dtype() == DType.F32;
        float fa = (float) alpha, fg = (float) gain, fc = (float) clamp;
        Cursor cg = new Cursor(gout), cx = new Cursor(x);
        int i = 0;
        while (cg.hasNext()) {
            int ch = x.dim() == 0 ? 0 : cx.index()[dim];
            double g = hg.get(cg.next()), v = hx.get(cx.next()), bias = hb == null ? 0 : hb.get(b.offset() + ch * b.stride(0));
            if (f32) {
                float vf = (float) v + (float) bias;
                boolean pos = vf > 0;
                float t = (lrelu && !pos ? vf * fa : vf) * fg;
                float d = (float) g * fg;
                if (lrelu && !pos) d *= fa;
                dst.set(i++, !clamped || (t >= -fc && t <= fc) ? d : 0f);
            } else {
                v += bias;
                boolean pos = v > 0;
                double t = (lrelu && !pos ? v * alpha : v) * gain;
                double d = g * gain;
                if (lrelu && !pos) d *= alpha;
                dst.set(i++, !clamped || (t >= -clamp && t <= clamp) ? d : 0);
            }
        }
        return out;
    }

    public static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        int rank = x.dim();
        boolean[] reduce = new boolean[rank];
        for (int d : dims) reduce[d] = true;
        int[] keepShape = x.shape();
        for (int d : dims) keepShape[d] = 1;
        int[] keepStrides = Shapes.contiguousStrides(keepShape);
        double[] acc = new double[Shapes.numel(keepShape)];
        HostStorage src = x.host();
        Cursor c = new Cursor(x);
        while (c.hasNext()) {
            int[] idx = c.index();
            int o = 0;
            for (int d = 0; d < rank; d++) if (!reduce[d]) o += idx[d] * keepStrides[d];
            acc[o] += src.get(c.next());
        }
        int[] outShape = keepShape;
        if (!keepdim) {
            int m = 0;
            for (int d = 0; d < rank; d++) if (!reduce[d]) m++;
            outShape = new int[m];
            for (int d = 0, j = 0; d < rank; d++) if (!reduce[d]) outShape[j++] = keepShape[d];
        }
        Tensor out = Tensor.zeros(x.dtype(), outShape);
        for (int i = 0; i < acc.length; i++) out.host().set(i, acc[i]);
        return out;
    }

    public static Tensor matmul(Tensor a, Tensor b) {
        boolean batched = a.dim() == 3;
        Tensor a3 = batched ? a : a.unsqueezeView(0), b3 = batched ? b : b.unsqueezeView(0);
        int nb = a3.size(0), m = a3.size(1), k = a3.size(2), n = b3.size(2);
        Tensor out = Tensor.zeros(a.dtype(), nb, m, n);
        HostStorage ha = a.host(), hb = b.host(), ho = out.host();
        int[] sa = a3.strides(), sb = b3.strides();
        for (int p = 0; p < nb; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) {
                        s += ha.get(a3.offset() + p * sa[0] + i * sa[1] + q * sa[2]) * hb.get(b3.offset() + p * sb[0] + q * sb[1] + j * sb[2]);
                    }
                    ho.set((p * m + i) * n + j, s);
                }
            }
        }
        return batched ? out : out.reshapeView(m, n);
    }

    public static Tensor windowDistances(Tensor feat, Tensor f0, int y0, int y1, int x0, int x1) {
        Tensor out = Tensor.zeros(feat.dtype(), y1 - y0, x1 - x0);
        int c = feat.size(0);
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                double s = 0;
                for (int ch = 0; ch < c; ch++) {
                    double d = feat.get(ch, y, x) - f0.get(ch);
                    s += d * d;
                }
                out.set(s, y - y0, x - x0);
            }
        }
        return out;
    }

    public static int[] nonzeroBox(Tensor x) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int y0 = h, y1 = 0, x0 = w, x1 = 0;
        HostStorage hx = x.host();
        int[] s = x.strides();
        if (hx.f32 != null && x.isContiguous()) {
            float[] v = hx.f32;
            int off = x.offset();
            for (int p = 0; p < n * c; p++) {
                for (int y = 0; y < h; y++) {
                    int row = off + (p * h + y) * w;
                    for (int xx = 0; xx < w; xx++) {
                        if (v[row + xx] != 0f) {
                            if (y < y0) y0 = y;
                            if (y >= y1) y1 = y + 1;
                            if (xx < x0) x0 = xx;
                            if (xx >= x1) x1 = xx + 1;
                        }
                    }
                }
            }
        } else {
            for (int b = 0; b < n; b++)
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < h; y++)
                        for (int xx = 0; xx < w; xx++) {
                            if (hx.get(x.offset() + b * s[0] + ch * s[1] + y * s[2] + xx * s[3]) != 0) {
                                y0 = Math.min(y0, y);
                                y1 = Math.max(y1, y + 1);
                                x0 = Math.min(x0, xx);
                                x1 = Math.max(x1, xx + 1);
                            }
                        }
        }
        return y1 == 0 ? null : new int[]{y0, y1, x0, x1};
    }

    public static void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, long step, double lr, double b1, double b2, double eps) {
        HostStorage hp = p.host(), hm = m.host(), hv = v.host(), hg = g.host();
        if (hp.f32 != null && hm.f32 != null && hv.f32 != null && hg.f32 != null && g.isContiguous()) {
            adamRange(hp.f32, p.offset(), hg.f32, g.offset(), hm.f32, m.offset(), hv.f32, v.offset(), 0, p.numel(), step, lr, b1, b2, eps);
            return;
        }
        double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
        double stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2);
        Cursor cg = new Cursor(g);
        int n = p.numel();
        for (int i = 0; i < n; i++) {
            int pi = p.offset() + i, mi = m.offset() + i, vi = v.offset() + i;
            double gi = hg.get(cg.next());
            // operation order of torch.optim.Adam's single-tensor path
            hm.set(mi, hm.get(mi) * b1 + (1 - b1) * gi);
            hv.set(vi, hv.get(vi) * b2 + (1 - b2) * gi * gi);
            double denom = Math.sqrt(hv.get(vi)) / bc2Sqrt + eps;
            hp.set(pi, hp.get(pi) - stepSize * (hm.get(mi) / denom));
        }
    }

    /**
     * {@link #adamStep} on elements [from, to) of contiguous F32 arrays (p at p[po + i], and so on): the same double
     * arithmetic in the same order as the general loop, each result rounded to float once, so any split of the
     * range (the Vector backend runs it across threads) gives bit-identical results.
     */
    public static void adamRange(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int from, int to,
                                 long step, double lr, double b1, double b2, double eps) {
        double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
        double stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2);
        for (int i = from; i < to; i++) {
            double gi = g[go + i];
            float mi = (float) (m[mo + i] * b1 + (1 - b1) * gi);
            float vi = (float) (v[vo + i] * b2 + (1 - b2) * gi * gi);
            m[mo + i] = mi;
            v[vo + i] = vi;
            double denom = Math.sqrt(vi) / bc2Sqrt + eps;
            p[po + i] = (float) (p[po + i] - stepSize * (mi / denom));
        }
    }
}
