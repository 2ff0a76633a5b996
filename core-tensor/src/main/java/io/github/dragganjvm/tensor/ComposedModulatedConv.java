package io.github.dragganjvm.tensor;

/**
 * The default implementation of {@link Backend#modulatedConv2d} and {@link Backend#modulatedConv2dBackward},
 * composed from other ops through {@link Ops} (so each step runs on the backend of the tensors' device). It uses
 * NVlabs' non-fused form, which needs no per-sample weights:
 * <pre>
 *   xs   = x * s[n, c]                         // [N, C, H, W]
 *   raw  = conv2d_resample(xs, W, up, padding) // [N, O, Ho, Wo]   (shared weight, see ModulatedConvPlan)
 *   y    = raw * dcoef[n, o]                    // demodulate (else y = raw)
 *   dcoef[n, o] = rsqrt(sum_i s[n, i]^2 * Wsq[o, i] + 1e-8),  Wsq[o, i] = sum_{kh,kw} W[o, i, kh, kw]^2
 * </pre>
 * For one sample with large activations and a small weight the forward instead scales the weight, NVlabs' fused
 * form (see {@link #foldsIntoWeight}); the backward below needs only y and dcoef, so it serves both.
 * Backward, with g = dL/dy and q[n, o] = g_dcoef[n, o] dcoef[n, o]^3, g_dcoef = sum_hw g * raw
 * (= sum_hw g * y / dcoef, so raw need not be kept):
 * <pre>
 *   g_raw = g * dcoef
 *   g_xs  = conv2d_resample^T(g_raw)                       // transposed conv, or for up 2: upfirdn2d^T then conv2d
 *   g_x   = g_xs * s
 *   g_s   = sum_hw(g_xs * x) - s * (q @ Wsq)
 *   g_W   = convWeightGrad(xs, g_raw) - W * (q^T @ s^2)    // only when asked for
 * </pre>
 * When the weight needs no gradient and g is zero outside a box covering at most half of the image (DragGAN's
 * loss without a mask touches a few small discs), the backward runs on that box only: the same values, a fraction
 * of the work.
 */
public final class ComposedModulatedConv {
    private ComposedModulatedConv() {}

    /**
     * The forward: {y [N, O, Ho, Wo], dcoef [N, O] or null without demodulation}. Arguments as
     * {@link Backend#modulatedConv2d}.
     *
     * @param x      [N, C, H, W]
     * @param weight the weight [O, C, kh, kw] and what was precomputed from it
     * @param styles [N, C]
     * @param spec   up, filter, padding, demodulation
     * @return {y, dcoef}
     */
    public static Tensor[] forward(Tensor x, ModulatedWeight weight, Tensor styles, ModulatedConvSpec spec) {
        ModulatedConvPlan plan = spec.plan(x, weight.weight(), styles);
        Tensor wv = weight.weight(), sv = styles.contiguousOrCopy();
        Tensor wT = weight.swapped() != null ? weight.swapped() : wv.transposeView(0, 1);   // [C, O, kh, kw]
        int n = plan.n(), c = plan.c(), o = plan.o();
        Tensor dcoef = spec.demodulate() ? dcoef(sv, squaredSum(weight)) : null;          // [N, O]
        if (foldsIntoWeight(n, c, o, x.size(2) * x.size(3), wv.size(2) * wv.size(3))) {
            // one sample: W'[o, c] = W[o, c] s[c] (dcoef[o]), then a plain convolution of x
            Tensor wf = Ops.mul(wv, sv.reshapeView(1, c, 1, 1));
            if (dcoef != null) wf = Ops.mul(wf, dcoef.reshapeView(o, 1, 1, 1));
            return new Tensor[]{plan.conv(x, wf, wf.transposeView(0, 1)), dcoef};
        }
        Tensor s4 = sv.reshapeView(n, c, 1, 1);
        // scale the input, convolve with the shared weight, scale the output
        Tensor raw = plan.conv(Ops.mul(x, s4), wv, wT);
        if (dcoef == null) return new Tensor[]{raw, null};
        return new Tensor[]{Ops.mul(raw, dcoef.reshapeView(n, o, 1, 1)), dcoef};
    }

    /** See {@link #foldsIntoWeight}: the activations must outnumber the weight by this factor. */
    static final long FOLD_RATIO = 16;

    /**
     * Whether the forward scales the weight instead of the activations: NVlabs' fused form (what its inference
     * path computes), {@code conv(x, W * s[c] * dcoef[o])}, the same function as {@code dcoef[o] * conv(x * s[c], W)}
     * up to the order of rounding. Taken for one sample whose activations, (C + O) per pixel, outnumber the weight
     * C * O * kh * kw at least {@link #FOLD_RATIO} times: the high-resolution, few-channel layers, where the two
     * passes over the activations cost more than the convolution saves from a weight packed once (measured at
     * 512 px: the two multiplies were 12% of a generate). Batches (training) keep the non-fused form, as NVlabs does.
     *
     * @param n      samples
     * @param c      input channels
     * @param o      output channels
     * @param pixels input pixels H * W
     * @param taps   kernel taps kh * kw
     */
    static boolean foldsIntoWeight(int n, int c, int o, int pixels, int taps) {
        return n == 1 && (long) (c + o) * pixels >= FOLD_RATIO * c * o * taps;
    }

    /** Wsq [O, C]: the precomputed one, else computed. */
    private static Tensor squaredSum(ModulatedWeight weight) {
        return weight.squaredSum() != null ? weight.squaredSum() : Ops.sum(Ops.square(weight.weight()), false, 2, 3);
    }

    /** dcoef [N, O] = rsqrt(s^2 @ Wsq^T + EPS). */
    private static Tensor dcoef(Tensor sv, Tensor wsq) {
        return Ops.rsqrt(Ops.addScalar(Ops.matmul(Ops.square(sv), wsq.transposeView(0, 1)), ModulatedConvSpec.EPS));
    }

    /**
     * The backward: {dx, dweight, dstyles}, null where not asked for. Arguments as
     * {@link Backend#modulatedConv2dBackward}.
     *
     * @param gout       dL/dy [N, O, Ho, Wo]
     * @param y          the forward's y
     * @param dcoef      the forward's dcoef (null without demodulation)
     * @param x          [N, C, H, W]
     * @param weight     as in the forward
     * @param styles     [N, C]
     * @param spec       as in the forward
     * @param needX      compute dx
     * @param needWeight compute dweight
     * @param needStyles compute dstyles
     * @return {dx, dweight, dstyles}
     */
    public static Tensor[] backward(Tensor gout, Tensor y, Tensor dcoef, Tensor x, ModulatedWeight weight, Tensor styles,
                                    ModulatedConvSpec spec, boolean needX, boolean needWeight, boolean needStyles) {
        ModulatedConvPlan plan = spec.plan(x, weight.weight(), styles);
        boolean demodulate = spec.demodulate();
        Tensor wv = weight.weight(), sv = styles.contiguousOrCopy();
        Tensor wT = weight.swapped() != null ? weight.swapped() : wv.transposeView(0, 1);
        Tensor wsq = demodulate && (needWeight || needStyles) ? squaredSum(weight) : null;
        int n = plan.n(), c = plan.c(), o = plan.o();
        Tensor[] out = new Tensor[3];
        int[] box = needWeight ? null : sparseBox(plan, gout);
        if (box != null) {
            sparseBackward(plan, box, gout, y, x, wv, wT, sv, dcoef, wsq, demodulate, needX, needStyles, out);
            return out;
        }
        Tensor s4 = sv.reshapeView(n, c, 1, 1);
        Tensor gRaw = demodulate ? Ops.mul(gout, dcoef.reshapeView(n, o, 1, 1)) : gout;
        // q[n, o] = g_dcoef * dcoef^3: how the loss moves with the demodulation sum
        Tensor q = null;
        if (demodulate && (needWeight || needStyles)) {
            Tensor gDcoef = Ops.div(Ops.sum(Ops.mul(gout, y), false, 2, 3), dcoef);
            q = Ops.mul(gDcoef, Ops.mul(Ops.square(dcoef), dcoef));
        }
        // the up-sampling path's filter adjoint is shared by the input and the weight gradients
        Tensor gConv = plan.filterBackward(gRaw);
        if (needX || needStyles) {
            Tensor gXs = plan.convInputGrad(gConv, wv, wT);                                 // [N, C, H, W]
            if (needX) out[0] = Ops.mul(gXs, s4);
            if (needStyles) {
                Tensor gS = Ops.sum(Ops.mul(gXs, x), false, 2, 3);                          // [N, C]
                if (q != null) gS = Ops.sub(gS, Ops.mul(sv, Ops.matmul(q, wsq)));
                out[2] = gS;
            }
        }
        if (needWeight) {
            Tensor gW = plan.convWeightGrad(Ops.mul(x, s4), gConv);                         // [O, C, kh, kw]
            if (q != null) {
                Tensor k = Ops.matmul(q.transposeView(0, 1), Ops.square(sv));                // [O, C]
                gW = Ops.sub(gW, Ops.mul(wv, k.reshapeView(o, c, 1, 1)));
            }
            out[1] = gW;
        }
        return out;
    }

    /**
     * The box {y0, y1, x0, x1} of g's non-zeros when it covers at most half of the image, {0, 0, 0, 0} when g is all
     * zero, null for the dense path.
     */
    static int[] sparseBox(ModulatedConvPlan plan, Tensor g) {
        if (plan.up() == 2 && plan.pt() != 0) return null;
        int[] box = Ops.nonzeroBox(g);
        if (box == null) return new int[]{0, 0, 0, 0};
        long area = (long) (box[1] - box[0]) * (box[3] - box[2]), all = (long) g.size(2) * g.size(3);
        return 2 * area <= all ? box : null;
    }

    /** The backward restricted to the non-zero box of g (see {@link #sparseBox}); fills out[0] and out[2]. */
    private static void sparseBackward(ModulatedConvPlan plan, int[] box, Tensor g, Tensor y, Tensor xv, Tensor wv, Tensor wT, Tensor sv,
                                       Tensor dcoef, Tensor wsq, boolean demodulate, boolean needX, boolean needS, Tensor[] out) {
        int n = plan.n(), c = plan.c(), o = plan.o(), h = xv.size(2), w = xv.size(3);
        if (box[1] == box[0]) {                                                             // g is all zero
            if (needX) out[0] = Ops.zerosLike(xv);
            if (needS) out[2] = Ops.zerosOn(sv, n, c);
            return;
        }
        Tensor gC = crop(g, box[0], box[1], box[2], box[3]);                                // [N, O, hb, wb]
        Tensor gRawC = demodulate ? Ops.mul(gC, dcoef.reshapeView(n, o, 1, 1)) : gC;
        Tensor q = null;
        if (demodulate && needS) {
            Tensor gDcoef = Ops.div(Ops.sum(Ops.mul(gC, crop(y, box[0], box[1], box[2], box[3])), false, 2, 3), dcoef);
            q = Ops.mul(gDcoef, Ops.mul(Ops.square(dcoef), dcoef));
        }
        Tensor gXsC;                                        // dL/dxs on rows [r0, r0 + rows), columns [c0, c0 + cols)
        int r0, c0;
        if (plan.up() == 1) {
            gXsC = Ops.convTranspose2d(gRawC, wv, 1, 0, 1);
            r0 = box[0] - plan.padding();
            c0 = box[2] - plan.padding();
        } else {
            // the filter's adjoint on the crop, in full: rows of t from box[0] - py0 on
            Tensor f = plan.f();
            int[] fp = plan.filterPad();
            int kh = plan.kh(), kw = plan.kw(), up = plan.up();
            int fh = f.size(0), fw = f.size(1);
            Tensor gT = Ops.upfirdn2d(gRawC, f, 1, 1, 1, 1, fw - 1, fw - 1, fh - 1, fh - 1, (double) up * up, true);
            int u0 = box[0] - fp[2], v0 = box[2] - fp[0];
            int th = 2 * h + kh - 2, tw = 2 * w + kw - 2;                                    // t's size for stride 2, padding 0
            // the strided conv's output rows i read t rows [2i, 2i + kh): those meeting gT's support
            int i0 = Math.max(0, Math.floorDiv(u0 - kh + 1 + 1, 2)), i1 = Math.min(h - 1, Math.floorDiv(u0 + gT.size(2) - 1, 2));
            int j0 = Math.max(0, Math.floorDiv(v0 - kw + 1 + 1, 2)), j1 = Math.min(w - 1, Math.floorDiv(v0 + gT.size(3) - 1, 2));
            if (i1 < i0 || j1 < j0) {
                if (needX) out[0] = Ops.zerosLike(xv);
                if (needS) out[2] = q == null ? Ops.zerosOn(sv, n, c) : Ops.neg(Ops.mul(sv, Ops.matmul(q, wsq)));
                return;
            }
            // t rows [2 i0, 2 i1 + kh) x columns [2 j0, 2 j1 + kw), zero where gT has nothing
            Tensor buf = Ops.zerosOn(gT, n, o, 2 * (i1 - i0) + kh, 2 * (j1 - j0) + kw);
            int ta = Math.max(2 * i0, Math.max(u0, 0)), tb = Math.min(2 * i1 + kh, Math.min(u0 + gT.size(2), th));
            int sa = Math.max(2 * j0, Math.max(v0, 0)), sb = Math.min(2 * j1 + kw, Math.min(v0 + gT.size(3), tw));
            if (ta < tb && sa < sb) {
                Ops.copyInto(crop(gT, ta - u0, tb - u0, sa - v0, sb - v0), buf.sliceView(2, ta - 2 * i0, tb - 2 * i0).sliceView(3, sa - 2 * j0, sb - 2 * j0));
            }
            gXsC = Ops.conv2d(buf, wT, up, 0, 1);
            r0 = i0;
            c0 = j0;
        }
        // clip to the image
        int ya = Math.max(0, r0), yb = Math.min(h, r0 + gXsC.size(2)), xa = Math.max(0, c0), xb = Math.min(w, c0 + gXsC.size(3));
        Tensor gXs = crop(gXsC, ya - r0, yb - r0, xa - c0, xb - c0);                       // dL/dxs on [ya, yb) x [xa, xb)
        Tensor s4 = sv.reshapeView(n, c, 1, 1);
        if (needX) {
            Tensor gX = Ops.zerosLike(xv);
            Ops.copyInto(Ops.mul(gXs, s4), gX.sliceView(2, ya, yb).sliceView(3, xa, xb));
            out[0] = gX;
        }
        if (needS) {
            Tensor gS = Ops.sum(Ops.mul(gXs, crop(xv, ya, yb, xa, xb)), false, 2, 3);       // [N, C]
            if (q != null) gS = Ops.sub(gS, Ops.mul(sv, Ops.matmul(q, wsq)));
            out[2] = gS;
        }
    }

    /** Rows [y0, y1) and columns [x0, x1) of an [N, C, H, W] tensor, as a contiguous copy. */
    private static Tensor crop(Tensor t, int y0, int y1, int x0, int x1) {
        return t.sliceView(2, y0, y1).sliceView(3, x0, x1).copy();
    }
}
