package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.ModulatedConvPlan;
import io.github.dragganjvm.tensor.ModulatedConvSpec;
import io.github.dragganjvm.tensor.ModulatedWeight;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;

/**
 * StyleGAN2's modulated convolution (NVlabs {@code networks.modulated_conv2d}, float32 path) as ONE autograd op over
 * the backend seam: the forward is {@link Ops#modulatedConv2d} and the backward {@link Ops#modulatedConv2dBackward},
 * so each backend runs its own implementation (the CPU backends the composed one,
 * {@link io.github.dragganjvm.tensor.ComposedModulatedConv}; the CUDA backend its fused kernels). {@link #composed} is the same
 * function from primitive autograd ops, to check it against.
 *
 * <p>The math (see {@link io.github.dragganjvm.tensor.Backend#modulatedConv2d}): NVlabs modulates the weight per sample,
 * {@code w'[n,o,i,..] = W[o,i,..] s[n,i]}, demodulates it, {@code w''[n,o,..] = w'[n,o,..] * dcoef[n,o]} with
 * {@code dcoef[n,o] = rsqrt(sum_{i,kh,kw} w'[n,o,i,..]^2 + 1e-8)}, and convolves each sample with its own weight;
 * identically, it scales the input, convolves with the shared weight and scales the output.
 *
 * <p>Higher-order gradients: the seam's backward is not itself recorded, so when a gradient of this op is asked
 * for with {@code createGraph} (gradients of gradients, e.g. path-length regularisation) the backward falls back to
 * the composed graph ({@link #composed}), recomputed from the inputs, whose primitive ops each have a differentiable
 * rule: the same gradients, and a graph to differentiate again. No weight-gradient work runs unless
 * {@code Grads.needs} asks for it (DragGAN optimises w, not the weights).
 */
public final class ModulatedConv2d {
    private ModulatedConv2d() {}

    /** NVlabs' demodulation epsilon. */
    public static final double EPS = ModulatedConvSpec.EPS;

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
            ModulatedWeight m = ModulatedWeight.prepared(w, up);
            return new PreparedWeight(w, m.squaredSum(), m.swapped());
        }

        /** The same tensors as the seam's {@link ModulatedWeight}. */
        public ModulatedWeight toModulatedWeight() { return new ModulatedWeight(weight, squaredSum, swapped); }
    }

    /** {@link #apply} with a constant, prepared weight (no weight gradient). */
    public static Var apply(Var x, PreparedWeight weight, Var styles, int up, Tensor resampleFilter, int padding, boolean demodulate) {
        return apply(x, Var.constant(weight.weight()), weight, styles, up, resampleFilter, padding, demodulate);
    }

    private static Var apply(Var x, Var weight, PreparedWeight prep, Var styles, int up, Tensor resampleFilter, int padding, boolean demodulate) {
        ModulatedConvSpec spec = new ModulatedConvSpec(up, up == 1 ? null : resampleFilter, padding, demodulate);
        ModulatedWeight mw = prep != null ? prep.toModulatedWeight() : ModulatedWeight.plain(weight.value());
        Tensor xv = x.value(), sv = styles.value();
        Tensor[] fwd = Ops.modulatedConv2d(xv, mw, sv, spec);
        Tensor y = fwd[0], dcoef = fwd[1];
        return Var.record("modulatedConv2d", y, (g, gr) -> {
            boolean needX = gr.needs(0), needW = gr.needs(1), needS = gr.needs(2);
            Tensor[] d = Ops.modulatedConv2dBackward(g, y, dcoef, xv, mw, sv, spec, needX, needW, needS);
            for (int i = 0; i < 3; i++) if (d[i] != null) gr.add(i, d[i]);
        }, (g, out, gr) -> {
            // createGraph: the composed op's graph (primitive ops, each with a differentiable rule) recomputed from
            // the inputs gives the same gradients as the seam's backward, and a graph for gradients of gradients
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
     * The same function from primitive autograd ops, literally as NVlabs computes it (fused_modconv False):
     * per-sample modulated weights only for the demodulation coefficients, then x * s, conv2d_resample with the
     * shared weight, times dcoef. Slower; used to check {@link #apply} and as the plain path.
     */
    public static Var composed(Var x, Var weight, Var styles, int up, Tensor resampleFilter, int padding, boolean demodulate) {
        ModulatedConvPlan plan = new ModulatedConvSpec(up, up == 1 ? null : resampleFilter, padding, demodulate)
                .plan(x.value(), weight.value(), styles.value());
        int n = plan.n(), c = plan.c(), o = plan.o();
        Var xs = ElementwiseOps.mul(x, ShapeOps.reshape(styles, n, c, 1, 1));
        Var raw;
        if (up == 1) {
            raw = ConvOps.conv2d(xs, weight, 1, padding, 1);
        } else {
            Var t = ConvOps.convTranspose2d(xs, ShapeOps.permuteView(weight, 1, 0, 2, 3), up, plan.pt(), 1);
            raw = ResampleOps.upfirdn2d(t, resampleFilter, 1, 1, plan.filterPad(), (double) up * up, false);
        }
        if (!demodulate) return raw;
        // w[n, o, i, kh, kw] = W[o, i, kh, kw] * s[n, i];  dcoef = rsqrt(sum_{i, kh, kw} w^2 + 1e-8)
        Var w5 = ElementwiseOps.mul(ShapeOps.unsqueezeView(weight, 0), ShapeOps.reshape(styles, n, 1, c, 1, 1));
        Var dcoef = ElementwiseOps.rsqrt(ElementwiseOps.affine(ReduceOps.sum(ElementwiseOps.square(w5), false, 2, 3, 4), 1, EPS));
        return ElementwiseOps.mul(raw, ShapeOps.reshape(dcoef, n, o, 1, 1));
    }
}
