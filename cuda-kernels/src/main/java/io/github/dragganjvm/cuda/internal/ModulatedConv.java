package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.ModulatedConvPlan;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;

/**
 * Launch plans of StyleGAN2's modulated convolution (modconv.cu has the math). Notation: x [N, C, H, W],
 * weight [O, C, kh, kw], styles s [N, C], d [N, O] the demodulation coefficients, out [N, O, Ho, Wo], G = dL/dout,
 * G' = G * d. Which implicit GEMM computes what:
 * <pre>
 *                  up = 1 (conv, stride 1, padding p)            up = 2 (transposed conv, stride 2, padding 0)
 *   out            conv    x*s (.) weight, * d                     convT   x*s (.) weight^T, * d
 *   dconv = dL/dxs convT   G*d (.) weight   (stride 1, pad p)      conv    G*d (.) weight^T (stride 2)
 *   dweight        wgrad   rows G*d, cols x*s                      wgrad   rows x*s, cols G*d (stride 2), stored transposed
 * </pre>
 * then dx = dconv * s, ds = sum_p dconv x, and with demodulation the correction terms of modconv.cu.
 * "*s" and "*d" are per-(sample, channel) scales applied while the GEMM loads its operands or stores its result.
 */
final class ModulatedConv {
    private ModulatedConv() {}

    static final double EPS = 1e-8;

    private static void check(String op, Tensor x, Tensor weight, Tensor styles) {
        Shapes.requireRank(op, "x", x, 4, "[N, C, H, W]");
        Shapes.requireRank(op, "weight", weight, 4, "[O, C, kh, kw]");
        Shapes.requireShape(op, "styles", styles, x.size(0), x.size(1));
        Shapes.requireDim(op, "weight", weight, 1, x.size(1), "input channels C of x");
        Shapes.requireSameKind(op, x, weight);
        Shapes.requireSameKind(op, x, styles);
    }

    static Tensor[] forward(CudaBackend be, Tensor x, Tensor weight, Tensor styles, boolean demodulate, boolean up, int padding) {
        String op = up ? "modulatedConvTranspose2d" : "modulatedConv2d";
        check(op, x, weight, styles);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), o = weight.size(0), kh = weight.size(2), kw = weight.size(3);
        int kk = kh * kw;
        int ho = up ? Shapes.convTransposeOut(h, kh, 2, 0) : Shapes.convOut(h, kh, 1, padding);
        int wo = up ? Shapes.convTransposeOut(w, kw, 2, 0) : Shapes.convOut(w, kw, 1, padding);
        if (padding < 0 || ho < 1 || wo < 1) {
            throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + " with padding " + padding + " does not fit input " + h + "x" + w);
        }
        DType dt = x.dtype();
        Tensor xc = be.contiguous(x), wc = be.contiguous(weight), sc = be.contiguous(styles);
        Tensor d = demodulate ? demodulation(be, wc, sc, n, o, c, kk) : null;
        Tensor out = be.alloc(dt, n, o, ho, wo);
        if (!up) {
            ConvGeometry g = new ConvGeometry(n, c, h, w, o, ho, wo, kh, kw, 1, 1, padding, padding, 1, c * kk, kk);
            be.launch(Kernels.MODCONV_CONV.of(dt, be.tf32()), CudaBackend.ceilDiv(ho * wo, 64), CudaBackend.ceilDiv(o, 64), n, 256,
                    new KernelArgs().ints(g.struct()).ptr(CudaBackend.addr(xc)).ptr(CudaBackend.addr(wc)).ptr(CudaBackend.addr(out))
                            .ptr(CudaBackend.addr(sc)).ptr(d == null ? 0 : CudaBackend.addr(d)));
        } else {
            ConvGeometry g = new ConvGeometry(n, c, h, w, o, ho, wo, kh, kw, 2, 2, 0, 0, 1, c * kk, kk);
            be.launchConvTranspose(Kernels.MODCONV_CONVT.of(dt, be.tf32()), g,
                    new KernelArgs().ints(g.struct()).ptr(CudaBackend.addr(xc)).ptr(CudaBackend.addr(wc)).ptr(CudaBackend.addr(out))
                            .ptr(CudaBackend.addr(sc)).ptr(d == null ? 0 : CudaBackend.addr(d)));
        }
        CudaBackend.freeIfCopy(xc, x);
        CudaBackend.freeIfCopy(wc, weight);
        CudaBackend.freeIfCopy(sc, styles);
        return new Tensor[]{out, d};
    }

    /** wsq [O, C] = sum over taps of weight^2 (a temporary). */
    private static Tensor weightSquares(CudaBackend be, Tensor wc, int o, int c, int kk) {
        Tensor wsq = be.temp(wc.dtype(), o, c);
        be.launch1d(Kernels.MODCONV_WSQ.of(wc.dtype()), o * c, new KernelArgs()
                .ptr(CudaBackend.addr(wc)).ptr(CudaBackend.addr(wsq)).i32(o * c).i32(kk));
        return wsq;
    }

    /** d [N, O] = rsqrt(sum_c wsq[o, c] s[n, c]^2 + 1e-8). */
    private static Tensor demodulation(CudaBackend be, Tensor wc, Tensor sc, int n, int o, int c, int kk) {
        Tensor wsq = weightSquares(be, wc, o, c, kk);
        Tensor d = be.alloc(wc.dtype(), n, o);
        be.launch(Kernels.MODCONV_DEMOD.of(wc.dtype()), CudaBackend.ceilDiv(n * o, 8), 1, 1, 256, new KernelArgs()
                .ptr(CudaBackend.addr(wsq)).ptr(CudaBackend.addr(sc)).ptr(CudaBackend.addr(d)).i32(n).i32(o).i32(c).scalar(wc.dtype(), EPS));
        CudaBackend.free(wsq);
        return d;
    }

    /**
     * The seam's forward ({@code Backend.modulatedConv2d}) for a plan the kernels cover ({@link #fuses}): up 1 is
     * {@link #forward} itself; up 2 is the transposed variant followed by the resample filter (upfirdn2d, gain 4,
     * the plan's padding), its intermediate freed. Returns {y, dcoef}.
     */
    static Tensor[] forward(CudaBackend be, Tensor x, Tensor weight, Tensor styles, ModulatedConvPlan plan, boolean demodulate) {
        if (plan.up() == 1) return forward(be, x, weight, styles, demodulate, false, plan.padding());
        Tensor[] t = forward(be, x, weight, styles, demodulate, true, 0);
        int[] fp = plan.filterPad();
        Tensor y = be.upfirdn2d(t[0], plan.f(), 1, 1, 1, 1, fp[0], fp[1], fp[2], fp[3], 4.0, false);
        CudaBackend.free(t[0]);
        return new Tensor[]{y, t[1]};
    }

    /**
     * The seam's backward ({@code Backend.modulatedConv2dBackward}) for a plan the kernels cover: for up 2 the
     * filter's adjoint first, then {@link #backward}; the demodulation terms come from gout and y at the output
     * (sum_p G y there equals sum_p G' t at the transposed conv's output t, as the filter's adjoint is its transpose).
     */
    static Tensor[] backward(CudaBackend be, Tensor gout, Tensor y, Tensor dcoef, Tensor x, Tensor weight, Tensor styles,
                             ModulatedConvPlan plan, boolean needX, boolean needWeight, boolean needStyles) {
        if (plan.up() == 1) return backward(be, gout, gout, y, x, weight, styles, dcoef, false, plan.padding(), needX, needWeight, needStyles);
        int[] b = plan.filterBackwardPadding(gout.size(2), gout.size(3));
        Tensor gT = be.upfirdn2d(gout, plan.f(), 1, 1, 1, 1, b[0], b[1], b[2], b[3], 4.0, true);
        try {
            return backward(be, gT, gout, y, x, weight, styles, dcoef, true, 0, needX, needWeight, needStyles);
        } finally {
            CudaBackend.free(gT);
        }
    }

    /** Whether the fused kernels compute this plan: stride-1 convs, and up-sampling whose transposed conv has padding 0. */
    static boolean fuses(ModulatedConvPlan plan) { return plan.up() == 1 || plan.pt() == 0; }

    static Tensor[] backward(CudaBackend be, Tensor gout, Tensor out, Tensor x, Tensor weight, Tensor styles, Tensor d,
                             boolean up, int padding, boolean needX, boolean needWeight, boolean needStyles) {
        return backward(be, gout, gout, out, x, weight, styles, d, up, padding, needX, needWeight, needStyles);
    }

    /**
     * gout: dL/d(the kernels' output) [N, O, ho, wo]; coefG and coefOut: a gradient and output pair [N, O, *, *]
     * (the same size) whose per-(n, o) dot product is the demodulation term's sum_p G out.
     */
    static Tensor[] backward(CudaBackend be, Tensor gout, Tensor coefG, Tensor coefOut, Tensor x, Tensor weight, Tensor styles, Tensor d,
                             boolean up, int padding, boolean needX, boolean needWeight, boolean needStyles) {
        String op = "modulatedConvBackward";
        check(op, x, weight, styles);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), o = weight.size(0), kh = weight.size(2), kw = weight.size(3);
        int kk = kh * kw;
        int ho = up ? Shapes.convTransposeOut(h, kh, 2, 0) : Shapes.convOut(h, kh, 1, padding);
        int wo = up ? Shapes.convTransposeOut(w, kw, 2, 0) : Shapes.convOut(w, kw, 1, padding);
        Shapes.requireShape(op, "gout", gout, n, o, ho, wo);
        Shapes.requireRank(op, "out", coefOut, 4, "[N, O, Ho, Wo]");
        Shapes.requireShape(op, "out", coefOut, n, o, coefOut.size(2), coefOut.size(3));
        Shapes.requireShape(op, "gradient at out", coefG, coefOut.shape());
        if (d != null) Shapes.requireShape(op, "d", d, n, o);
        DType dt = x.dtype();
        Tensor xc = be.contiguous(x), wc = be.contiguous(weight), sc = be.contiguous(styles);
        Tensor gc = be.contiguous(gout);
        long dAddr = d == null ? 0 : CudaBackend.addr(d);
        Tensor coef = null;
        if (d != null && (needWeight || needStyles)) {
            coef = be.temp(dt, n, o);
            Tensor cg = be.contiguous(coefG), co = be.contiguous(coefOut);
            be.launch(Kernels.MODCONV_COEF.of(dt), (long) n * o, 1, 1, 256, new KernelArgs()
                    .ptr(CudaBackend.addr(cg)).ptr(CudaBackend.addr(co)).ptr(dAddr).ptr(CudaBackend.addr(coef)).i32(coefOut.size(2) * coefOut.size(3)));
            CudaBackend.freeIfCopy(cg, coefG);
            CudaBackend.freeIfCopy(co, coefOut);
        }
        Tensor dx = null, dw = null, ds = null;
        if (needX || needStyles) {
            Tensor dconv = be.temp(dt, n, c, h, w);
            KernelArgs args;
            if (!up) {
                ConvGeometry g = new ConvGeometry(n, o, ho, wo, c, h, w, kh, kw, 1, 1, padding, padding, 1, kk, c * kk);
                args = new KernelArgs().ints(g.struct()).ptr(CudaBackend.addr(gc)).ptr(CudaBackend.addr(wc)).ptr(CudaBackend.addr(dconv))
                        .ptr(dAddr).ptr(0);
                be.launchConvTranspose(Kernels.MODCONV_CONVT.of(dt, be.tf32()), g, args);
            } else {
                ConvGeometry g = new ConvGeometry(n, o, ho, wo, c, h, w, kh, kw, 2, 2, 0, 0, 1, kk, c * kk);
                args = new KernelArgs().ints(g.struct()).ptr(CudaBackend.addr(gc)).ptr(CudaBackend.addr(wc)).ptr(CudaBackend.addr(dconv))
                        .ptr(dAddr).ptr(0);
                be.launch(Kernels.MODCONV_CONV.of(dt, be.tf32()), CudaBackend.ceilDiv(h * w, 64), CudaBackend.ceilDiv(c, 64), n, 256, args);
            }
            if (needX) dx = be.alloc(dt, n, c, h, w);
            if (needStyles) ds = be.alloc(dt, n, c);
            be.launch(Kernels.MODCONV_DX_FINISH.of(dt), (long) n * c, 1, 1, 256, new KernelArgs()
                    .ptr(CudaBackend.addr(dconv)).ptr(CudaBackend.addr(xc)).ptr(CudaBackend.addr(sc))
                    .ptr(dx == null ? 0 : CudaBackend.addr(dx)).ptr(ds == null ? 0 : CudaBackend.addr(ds)).i32(h * w));
            CudaBackend.free(dconv);
            if (ds != null && coef != null) {
                Tensor wsq = weightSquares(be, wc, o, c, kk);
                be.launch1d(Kernels.MODCONV_DS_DEMOD.of(dt), n * c, new KernelArgs()
                        .ptr(CudaBackend.addr(ds)).ptr(CudaBackend.addr(sc)).ptr(CudaBackend.addr(coef)).ptr(CudaBackend.addr(wsq))
                        .i32(n).i32(o).i32(c));
                CudaBackend.free(wsq);
            }
        }
        if (needWeight) {
            dw = be.alloc(dt, o, c, kh, kw);
            Kernel k = Kernels.MODCONV_WGRAD.of(dt, be.tf32());
            long xa = CudaBackend.addr(xc), ga = CudaBackend.addr(gc), sa = CudaBackend.addr(sc);
            if (!up) {
                ConvGeometry g = new ConvGeometry(n, c, h, w, o, ho, wo, kh, kw, 1, 1, padding, padding, 1, 0, 0);
                be.weightGrad(k, g, dw, o, c * kk, (long) n * ho * wo, (splits, stride, target) -> new KernelArgs()
                        .ints(g.struct()).ptr(xa).ptr(ga).ptr(target).ptr(sa).ptr(dAddr).i32(c * kk).i32(kk).i32(splits).i32(stride));
            } else {
                ConvGeometry g = new ConvGeometry(n, o, ho, wo, c, h, w, kh, kw, 2, 2, 0, 0, 1, 0, 0);
                be.weightGrad(k, g, dw, c, o * kk, (long) n * h * w, (splits, stride, target) -> new KernelArgs()
                        .ints(g.struct()).ptr(ga).ptr(xa).ptr(target).ptr(dAddr).ptr(sa).i32(kk).i32(c * kk).i32(splits).i32(stride));
            }
            if (coef != null) {
                be.launch1d(Kernels.MODCONV_DW_DEMOD.of(dt), o * c, new KernelArgs()
                        .ptr(CudaBackend.addr(dw)).ptr(CudaBackend.addr(wc)).ptr(CudaBackend.addr(sc)).ptr(CudaBackend.addr(coef))
                        .i32(n).i32(o).i32(c).i32(kk));
            }
        }
        if (coef != null) CudaBackend.free(coef);
        CudaBackend.freeIfCopy(gc, gout);
        CudaBackend.freeIfCopy(xc, x);
        CudaBackend.freeIfCopy(wc, weight);
        CudaBackend.freeIfCopy(sc, styles);
        return new Tensor[]{dx, dw, ds};
    }
}
