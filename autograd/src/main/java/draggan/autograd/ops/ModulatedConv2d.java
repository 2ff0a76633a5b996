package draggan.autograd.ops;

import draggan.autograd.Grads;
import draggan.autograd.Var;
import draggan.tensor.Ops;
import draggan.tensor.Shapes;
import draggan.tensor.Tensor;

import java.util.Arrays;

/**
 * StyleGAN2's modulated convolution (NVlabs {@code networks.modulated_conv2d}, float32 path) as ONE op with its own
 * backward, and {@link #composed} (the same function from primitive autograd ops) to check it against.
 *
 * <p>NVlabs modulates the weight per sample, {@code w'[n,o,i,..] = W[o,i,..] s[n,i]}, demodulates it,
 * {@code w''[n,o,..] = w'[n,o,..] * dcoef[n,o]} with {@code dcoef[n,o] = rsqrt(sum_{i,kh,kw} w'[n,o,i,..]^2 + 1e-8)},
 * and convolves each sample with its own weight (fused_modconv, a grouped conv) or, identically, scales the
 * input, convolves with the shared weight and scales the output (fused_modconv False). This op uses the second
 * form, which needs no per-sample weights:
 * <pre>
 *   xs   = x * s[n, c]                         // [N, C, H, W]
 *   raw  = conv2d_resample(xs, W, up, padding) // [N, O, H*up, W*up]   (shared weight)
 *   y    = raw * dcoef[n, o]                    // demodulate (else y = raw)
 *   dcoef[n, o] = rsqrt(sum_i s[n, i]^2 * sum_{kh,kw} W[o, i, kh, kw]^2 + 1e-8)
 * </pre>
 * conv2d_resample is NVlabs {@code conv2d_resample}: for up 1 a plain conv2d (cross-correlation) with the given
 * zero padding; for up 2 a transposed conv with stride 2 and the weight transposed [C, O, k, k] (unflipped, as
 * {@code flip_weight=False} there), then upfirdn2d with the resample filter f and gain 4. Its paddings follow
 * conv2d_resample: px0 = padding + (fw+1)/2 - (kw-1), px1 = padding + (fw-2)/2 - (kw-2) (floor division),
 * pt = max(min(-px0, -px1), 0) is the transposed conv's padding and {px0+pt, px1+pt, py0+pt, py1+pt} the
 * filter's; for a 3x3 kernel, padding 1 and the 4x4 filter: pt = 0 and filter padding {1, 1, 1, 1}.
 *
 * <p>Backward, with g = dL/dy and q[n, o] = g_dcoef[n, o] dcoef[n, o]^3, g_dcoef = sum_hw g * raw
 * (= sum_hw g * y / dcoef, so raw need not be kept):
 * <pre>
 *   g_raw = g * dcoef
 *   g_xs  = conv2d_resample^T(g_raw)                       // transposed conv, or for up 2: upfirdn2d^T then conv2d
 *   g_x   = g_xs * s
 *   g_s   = sum_hw(g_xs * x) - s * (q @ Wsq)               // Wsq[o, i] = sum_k W[o, i, k]^2
 *   g_W   = convWeightGrad(xs, g_raw) - W * (q^T @ s^2)    // only when the weight needs a gradient
 * </pre>
 * No weight-gradient GEMM runs unless {@code Grads.needs} asks for it (DragGAN optimises w, not the weights).
 */
public final class ModulatedConv2d {
    private ModulatedConv2d() {}

    /** NVlabs' demodulation epsilon. */
    public static final double EPS = 1e-8;

    /**
     * x [N, C, H, W], weight [O, C, kh, kw], styles [N, C]; up 1 or 2 (2 needs resampleFilter [fh, fw], square);
     * padding of the conv (StyleGAN2: kernel 3, padding 1; ToRGB: kernel 1, padding 0, no demodulation).
     * Returns [N, O, Ho, Wo] (for a k x k kernel and padding (k-1)/2: [N, O, H*up, W*up]).
     */
    public static Var apply(Var x, Var weight, Var styles, int up, Tensor resampleFilter, int padding, boolean demodulate) {
        return apply(x, weight, null, styles, up, resampleFilter, padding, demodulate);
    }

    /**
     * A weight that does not change between calls (StyleGAN's during a drag), with what every call would otherwise
     * recompute from it: Wsq[o, i] = sum over the taps of W^2, and for the up-sampling conv W with its first two
     * dimensions swapped, contiguous (its transposed conv and input gradient read W that way; null for up 1).
     * Made once per layer.
     */
    public record PreparedWeight(Tensor weight, Tensor squaredSum, Tensor swapped) {
        public PreparedWeight {
            Shapes.requireRank("PreparedWeight", "weight", weight, 4, "[O, C, kh, kw]");
            Shapes.requireShape("PreparedWeight", "squaredSum", squaredSum, weight.size(0), weight.size(1));
            if (swapped != null) Shapes.requireShape("PreparedWeight", "swapped", swapped, weight.size(1), weight.size(0), weight.size(2), weight.size(3));
        }

        /** Prepares w [O, C, kh, kw] for a layer with the given up-sampling factor. */
        public static PreparedWeight of(Tensor w, int up) {
            return new PreparedWeight(w, Ops.sum(Ops.square(w), false, 2, 3), up == 1 ? null : w.transposeView(0, 1).copy());
        }
    }

    /** {@link #apply} with a constant, prepared weight (no weight gradient). */
    public static Var apply(Var x, PreparedWeight weight, Var styles, int up, Tensor resampleFilter, int padding, boolean demodulate) {
        return apply(x, Var.constant(weight.weight()), weight, styles, up, resampleFilter, padding, demodulate);
    }

    private static Var apply(Var x, Var weight, PreparedWeight prep, Var styles, int up, Tensor resampleFilter, int padding, boolean demodulate) {
        Plan plan = Plan.of(x.value(), weight.value(), styles.value(), up, resampleFilter, padding);
        Tensor xv = x.value(), wv = weight.value(), sv = styles.value().contiguousOrCopy();
        Tensor wT = prep != null && prep.swapped() != null ? prep.swapped() : wv.transposeView(0, 1);   // [C, O, kh, kw]
        int n = plan.n, c = plan.c, o = plan.o;
        Tensor s4 = sv.reshapeView(n, c, 1, 1);

        // forward: scale the input, convolve with the shared weight, scale the output
        Tensor raw = plan.conv(Ops.mul(xv, s4), wv, wT);
        Tensor wsq = !demodulate ? null : prep != null ? prep.squaredSum() : Ops.sum(Ops.square(wv), false, 2, 3);   // [O, C]
        Tensor dcoef = demodulate                                                           // [N, O]
                ? Ops.rsqrt(Ops.addScalar(Ops.matmul(Ops.square(sv), wsq.transposeView(0, 1)), EPS)) : null;
        Tensor y = demodulate ? Ops.mul(raw, dcoef.reshapeView(n, o, 1, 1)) : raw;

        return Var.record("modulatedConv2d", y, (g, gr) -> {
            boolean needX = gr.needs(0), needW = gr.needs(1), needS = gr.needs(2);
            int[] box = needW ? null : sparseBox(plan, g);
            if (box != null) {
                sparseBackward(plan, box, g, y, xv, wv, wT, sv, dcoef, wsq, demodulate, needX, needS, gr);
                return;
            }
            Tensor gRaw = demodulate ? Ops.mul(g, dcoef.reshapeView(n, o, 1, 1)) : g;
            // q[n, o] = g_dcoef * dcoef^3: how the loss moves with the demodulation sum
            Tensor q = null;
            if (demodulate && (needW || needS)) {
                Tensor gDcoef = Ops.div(Ops.sum(Ops.mul(g, y), false, 2, 3), dcoef);
                q = Ops.mul(gDcoef, Ops.mul(Ops.square(dcoef), dcoef));
            }
            // the up-sampling path's filter adjoint is shared by the input and the weight gradients
            Tensor gConv = plan.filterBackward(gRaw);
            if (needX || needS) {
                Tensor gXs = plan.convInputGrad(gConv, wv, wT);                             // [N, C, H, W]
                if (needX) gr.add(0, Ops.mul(gXs, s4));
                if (needS) {
                    Tensor gS = Ops.sum(Ops.mul(gXs, xv), false, 2, 3);                     // [N, C]
                    if (q != null) gS = Ops.sub(gS, Ops.mul(sv, Ops.matmul(q, wsq)));
                    gr.add(2, gS);
                }
            }
            if (needW) {
                Tensor gW = plan.convWeightGrad(Ops.mul(xv, s4), gConv);                    // [O, C, kh, kw]
                if (q != null) {
                    Tensor k = Ops.matmul(q.transposeView(0, 1), Ops.square(sv));            // [O, C]
                    gW = Ops.sub(gW, Ops.mul(wv, k.reshapeView(o, c, 1, 1)));
                }
                gr.add(1, gW);
            }
        }, (g, out, gr) -> {
            // differentiable rule by recomputation: the composed op's graph (primitive ops, each with a differentiable
            // rule) gives the same gradients as recorded ops; needed only for gradients of gradients (path length)
            Var[] ins = {x, weight, styles};
            java.util.List<Var> want = new java.util.ArrayList<>();
            java.util.List<Integer> at = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) if (gr.needs(i)) { want.add(ins[i]); at.add(i); }
            Var again = composed(x, weight, styles, up, resampleFilter, padding, demodulate);
            Var[] d = Var.grad(again, g, want.toArray(Var[]::new), true);
            for (int k = 0; k < d.length; k++) gr.add(at.get(k), d[k]);
        }, x, weight, styles);
    }

    /**
     * When dL/dy is zero outside a box covering at most half of the image (DragGAN's loss without a mask touches a
     * few small discs), the backward runs on that box only: the same values, a fraction of the work. Returns the
     * box {y0, y1, x0, x1} or null for the dense path (also when the weight needs a gradient).
     */
    static int[] sparseBox(Plan plan, Tensor g) {
        if (plan.up == 2 && plan.pt != 0) return null;
        int[] box = Ops.nonzeroBox(g);
        if (box == null) return new int[]{0, 0, 0, 0};
        long area = (long) (box[1] - box[0]) * (box[3] - box[2]), all = (long) g.size(2) * g.size(3);
        return 2 * area <= all ? box : null;
    }

    /** The backward of {@link #apply} restricted to the non-zero box of g (see {@link #sparseBox}). */
    private static void sparseBackward(Plan plan, int[] box, Tensor g, Tensor y, Tensor xv, Tensor wv, Tensor wT, Tensor sv,
                                       Tensor dcoef, Tensor wsq, boolean demodulate, boolean needX, boolean needS, Grads gr) {
        int n = plan.n, c = plan.c, o = plan.o, h = xv.size(2), w = xv.size(3);
        if (box[1] == box[0]) {                                                             // g is all zero
            if (needX) gr.add(0, Ops.zerosLike(xv));
            if (needS) gr.add(2, Ops.zerosOn(sv, n, c));
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
        if (plan.up == 1) {
            gXsC = Ops.convTranspose2d(gRawC, wv, 1, 0, 1);
            r0 = box[0] - plan.padding;
            c0 = box[2] - plan.padding;
        } else {
            // the filter's adjoint on the crop, in full: rows of t from box[0] - py0 on
            int fh = plan.f.size(0), fw = plan.f.size(1);
            Tensor gT = Ops.upfirdn2d(gRawC, plan.f, 1, 1, 1, 1, fw - 1, fw - 1, fh - 1, fh - 1, (double) plan.up * plan.up, true);
            int u0 = box[0] - plan.filterPad[2], v0 = box[2] - plan.filterPad[0];
            int th = 2 * h + plan.kh - 2, tw = 2 * w + plan.kw - 2;                          // t's size for stride 2, padding 0
            // the strided conv's output rows i read t rows [2i, 2i + kh): those meeting gT's support
            int i0 = Math.max(0, Math.floorDiv(u0 - plan.kh + 1 + 1, 2)), i1 = Math.min(h - 1, Math.floorDiv(u0 + gT.size(2) - 1, 2));
            int j0 = Math.max(0, Math.floorDiv(v0 - plan.kw + 1 + 1, 2)), j1 = Math.min(w - 1, Math.floorDiv(v0 + gT.size(3) - 1, 2));
            if (i1 < i0 || j1 < j0) {
                if (needX) gr.add(0, Ops.zerosLike(xv));
                if (needS) gr.add(2, q == null ? Ops.zerosOn(sv, n, c) : Ops.neg(Ops.mul(sv, Ops.matmul(q, wsq))));
                return;
            }
            // t rows [2 i0, 2 i1 + kh) x columns [2 j0, 2 j1 + kw), zero where gT has nothing
            Tensor buf = Ops.zerosOn(gT, n, o, 2 * (i1 - i0) + plan.kh, 2 * (j1 - j0) + plan.kw);
            int ta = Math.max(2 * i0, Math.max(u0, 0)), tb = Math.min(2 * i1 + plan.kh, Math.min(u0 + gT.size(2), th));
            int sa = Math.max(2 * j0, Math.max(v0, 0)), sb = Math.min(2 * j1 + plan.kw, Math.min(v0 + gT.size(3), tw));
            if (ta < tb && sa < sb) {
                Ops.copyInto(crop(gT, ta - u0, tb - u0, sa - v0, sb - v0), buf.sliceView(2, ta - 2 * i0, tb - 2 * i0).sliceView(3, sa - 2 * j0, sb - 2 * j0));
            }
            gXsC = Ops.conv2d(buf, wT, plan.up, 0, 1);
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
            gr.add(0, gX);
        }
        if (needS) {
            Tensor gS = Ops.sum(Ops.mul(gXs, crop(xv, ya, yb, xa, xb)), false, 2, 3);       // [N, C]
            if (q != null) gS = Ops.sub(gS, Ops.mul(sv, Ops.matmul(q, wsq)));
            gr.add(2, gS);
        }
    }

    /** Rows [y0, y1) and columns [x0, x1) of an [N, C, H, W] tensor, as a contiguous copy. */
    private static Tensor crop(Tensor t, int y0, int y1, int x0, int x1) {
        return t.sliceView(2, y0, y1).sliceView(3, x0, x1).copy();
    }

    /**
     * The same function from primitive autograd ops, literally as NVlabs computes it (fused_modconv False):
     * per-sample modulated weights only for the demodulation coefficients, then x * s, conv2d_resample with the
     * shared weight, times dcoef. Slower; used to check {@link #apply} and as the plain path.
     */
    public static Var composed(Var x, Var weight, Var styles, int up, Tensor resampleFilter, int padding, boolean demodulate) {
        Plan plan = Plan.of(x.value(), weight.value(), styles.value(), up, resampleFilter, padding);
        int n = plan.n, c = plan.c, o = plan.o;
        Var xs = ElementwiseOps.mul(x, ShapeOps.reshape(styles, n, c, 1, 1));
        Var raw;
        if (up == 1) {
            raw = ConvOps.conv2d(xs, weight, 1, padding, 1);
        } else {
            Var t = ConvOps.convTranspose2d(xs, ShapeOps.permuteView(weight, 1, 0, 2, 3), up, plan.pt, 1);
            raw = ResampleOps.upfirdn2d(t, resampleFilter, 1, 1, plan.filterPad, (double) up * up, false);
        }
        if (!demodulate) return raw;
        // w[n, o, i, kh, kw] = W[o, i, kh, kw] * s[n, i];  dcoef = rsqrt(sum_{i, kh, kw} w^2 + 1e-8)
        Var w5 = ElementwiseOps.mul(ShapeOps.unsqueezeView(weight, 0), ShapeOps.reshape(styles, n, 1, c, 1, 1));
        Var dcoef = ElementwiseOps.rsqrt(ElementwiseOps.affine(ReduceOps.sum(ElementwiseOps.square(w5), false, 2, 3, 4), 1, EPS));
        return ElementwiseOps.mul(raw, ShapeOps.reshape(dcoef, n, o, 1, 1));
    }

    /** Shapes, checks and the conv2d_resample paddings of one call. */
    private record Plan(int n, int c, int o, int kh, int kw, int up, int padding, Tensor f, int pt, int[] filterPad) {
        static Plan of(Tensor x, Tensor w, Tensor s, int up, Tensor f, int padding) {
            String op = "modulatedConv2d";
            Shapes.requireRank(op, "x", x, 4, "[N, C, H, W]");
            Shapes.requireRank(op, "weight", w, 4, "[O, C, kh, kw]");
            Shapes.requireRank(op, "styles", s, 2, "[N, C]");
            Shapes.requireDim(op, "weight", w, 1, x.size(1), "input channels of x");
            Shapes.requireShape(op, "styles", s, x.size(0), x.size(1));
            Shapes.requireSameKind(op, x, w);
            Shapes.requireSameKind(op, x, s);
            if (padding < 0) throw new IllegalArgumentException(op + ": padding must be >= 0 but is " + padding);
            int kh = w.size(2), kw = w.size(3);
            if (up == 1) return new Plan(x.size(0), x.size(1), w.size(0), kh, kw, 1, padding, null, 0, null);
            if (up != 2) throw new IllegalArgumentException(op + ": up must be 1 or 2 but is " + up);
            if (f == null) throw new IllegalArgumentException(op + ": up 2 needs the resample filter [fh, fw] but got null");
            Shapes.requireRank(op, "resampleFilter", f, 2, "[fh, fw]");
            Shapes.requireSameKind(op, x, f);
            int fh = f.size(0), fw = f.size(1);
            // NVlabs conv2d_resample, up > 1 (Python // is floor division)
            int px0 = padding + Math.floorDiv(fw + up - 1, 2) - (kw - 1), px1 = padding + Math.floorDiv(fw - up, 2) - (kw - up);
            int py0 = padding + Math.floorDiv(fh + up - 1, 2) - (kh - 1), py1 = padding + Math.floorDiv(fh - up, 2) - (kh - up);
            int pxt = Math.max(Math.min(-px0, -px1), 0), pyt = Math.max(Math.min(-py0, -py1), 0);
            if (pxt != pyt) {
                throw new IllegalArgumentException(op + ": the transposed conv would need padding " + pyt + "x" + pxt
                        + " (kernel " + kh + "x" + kw + ", filter " + fh + "x" + fw + "); only equal paddings are supported");
            }
            int[] fp = {px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt};
            return new Plan(x.size(0), x.size(1), w.size(0), kh, kw, up, padding, f, pxt, fp);
        }

        /** conv2d_resample(xs, w): [N, C, H, W] -> [N, O, Ho, Wo]; wT is w with its first two dimensions swapped. */
        Tensor conv(Tensor xs, Tensor w, Tensor wT) {
            if (up == 1) return Ops.conv2d(xs, w, 1, padding, 1);
            Tensor t = Ops.convTranspose2d(xs, wT, up, pt, 1);
            return Ops.upfirdn2d(t, f, 1, 1, filterPad, (double) up * up, false);
        }

        /** For up 2: dL/d(transposed conv output) from dL/d(filter output) (upfirdn2d's adjoint); else g itself. */
        Tensor filterBackward(Tensor g) {
            if (up == 1) return g;
            int fh = f.size(0), fw = f.size(1);
            // the conv output t had the size the filter's input needs: ho = g.size(2), so t = ho + fh - 1 - py0 - py1
            int th = g.size(2) - 1 + fh - filterPad[2] - filterPad[3], tw = g.size(3) - 1 + fw - filterPad[0] - filterPad[1];
            int bx0 = fw - filterPad[0] - 1, bx1 = tw - g.size(3) + filterPad[0];
            int by0 = fh - filterPad[2] - 1, by1 = th - g.size(2) + filterPad[2];
            return Ops.upfirdn2d(g, f, 1, 1, 1, 1, bx0, bx1, by0, by1, (double) up * up, true);
        }

        /** dL/dxs from dL/d(conv output) gConv: the transposed conv (up 1), or the strided conv (up 2). */
        Tensor convInputGrad(Tensor gConv, Tensor w, Tensor wT) {
            // xs's spatial size follows from gConv's
            if (up == 1) {
                int h = gConv.size(2) - 1 - 2 * padding + kh, wd = gConv.size(3) - 1 - 2 * padding + kw;
                return ConvOps.convInputGrad(gConv, w, h, wd, 1, padding, 1);
            }
            return Ops.conv2d(gConv, wT, up, pt, 1);
        }

        /** dL/dW [O, C, kh, kw] from the conv's input xs and dL/d(conv output) gConv. */
        Tensor convWeightGrad(Tensor xs, Tensor gConv) {
            if (up == 1) return Ops.conv2dWeightGrad(xs, gConv, kh, kw, 1, padding, 1);
            // the transposed conv's weight [C, O, k, k] has the gradient of a conv from gConv to xs
            Tensor gwT = Ops.conv2dWeightGrad(gConv, xs, kh, kw, up, pt, 1);
            return gwT.transposeView(0, 1).copy();
        }

        @Override public String toString() {
            return "Plan[up " + up + ", padding " + padding + ", pt " + pt + ", filterPad " + Arrays.toString(filterPad) + "]";
        }
    }
}
