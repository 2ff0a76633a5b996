package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

/**
 * StyleGAN3's filtered leaky ReLU as ONE differentiable op (the backends' fused kernels), and {@link #composed}, the
 * same function from primitive autograd ops, step for step NVlabs' {@code _filtered_lrelu_ref}:
 * <pre>
 *   u = upfirdn2d(x + b, fu, up, padding {x0, x1, y0, y1}, gain up^2)
 *   a = clamp((u > 0 ? u : slope * u) * gain, -clamp, clamp)          // no clamp when clamp &lt; 0
 *   y = upfirdn2d(a, fd, down)
 * </pre>
 * x [N, C, H, W]; b [C] or null; fu, fd constants: null (identity), [taps] (separable) or [fh, fw]; y
 * [N, C, Ho, Wo] with the sizes of {@link FilteredLreluParams}. Filters are never differentiated.
 *
 * <p>Backward: dx = {@link Ops#filteredLreluBackward} (recomputes u; nothing but the inputs is kept), db = dx summed
 * over N, H, W. The map g -&gt; dx is linear with a fixed mask (the activation's derivative is piecewise constant in
 * x, so nothing flows to x or b through it, as NVlabs' own double backward); its adjoint is the op's
 * Jacobian-vector product {@link Ops#filteredLreluJvp}, whose adjoint is again the backward. Recording the two as
 * each other's backward makes the op differentiable to any order (createGraph).
 */
public final class FilteredLrelu {
    private FilteredLrelu() {}

    /** y = filtered leaky ReLU of x (see the class comment); b may be null. */
    public static Var apply(Var x, Var b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        Tensor xv = x.value(), bv = b == null ? null : b.value();
        Tensor y = Ops.filteredLrelu(xv, bv, fu, fd, p);
        return Var.record("filteredLrelu", y, (g, gr) -> {
            Tensor dx = Ops.filteredLreluBackward(g, xv, bv, fu, fd, p);
            gr.add(0, dx);
            if (gr.needs(1)) gr.add(1, Ops.sum(dx, false, 0, 2, 3));
        }, (g, out, gr) -> {
            Var dx = backward(g, xv, bv, fu, fd, p);
            gr.add(0, dx);
            if (gr.needs(1)) gr.add(1, ReduceOps.sum(dx, false, 0, 2, 3));
        }, x, b);
    }

    /**
     * The NVlabs argument list: padding {px0, px1, py0, py1} on the up-sampled image, clamp &lt; 0 for none
     * ({@link FilteredLreluParams#NO_CLAMP}).
     */
    public static Var apply(Var x, Var b, Tensor fu, Tensor fd, int up, int down, int px0, int px1, int py0, int py1,
                            double gain, double slope, double clamp, boolean flipFilter) {
        return apply(x, b, fu, fd, new FilteredLreluParams(up, down, px0, px1, py0, py1, gain, slope, clamp, flipFilter));
    }

    /** dx as a recorded op of g: linear in g; its backward is the Jacobian-vector product. */
    static Var backward(Var g, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        return Var.record("filteredLreluBackward", Ops.filteredLreluBackward(g.value(), x, b, fu, fd, p),
                (h, gr) -> gr.add(0, Ops.filteredLreluJvp(h, x, b, fu, fd, p)),
                (h, out, gr) -> gr.add(0, jvp(h, x, b, fu, fd, p)), g);
    }

    /** The Jacobian-vector product as a recorded op of h: linear in h; its backward is {@link #backward}. */
    static Var jvp(Var h, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        return Var.record("filteredLreluJvp", Ops.filteredLreluJvp(h.value(), x, b, fu, fd, p),
                (g, gr) -> gr.add(0, Ops.filteredLreluBackward(g, x, b, fu, fd, p)),
                (g, out, gr) -> gr.add(0, backward(g, x, b, fu, fd, p)), h);
    }

    /**
     * The same function composed of {@link ElementwiseOps#biasAct} and {@link ResampleOps#upfirdn2d} (every
     * intermediate a recorded Var), as NVlabs' reference: a separable filter as two upfirdn2d passes with the square
     * root of the stage's gain each (up-sampling: along x, then y; down-sampling: along y, then x), a null filter as
     * the 1x1 filter of ones. For checking the fused op, and wherever a composition is wanted.
     */
    public static Var composed(Var x, Var b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        Var v = b == null ? x : ElementwiseOps.biasAct(x, b, 1, Activation.LINEAR, 0, 1, -1);
        int up = p.up(), down = p.down();
        int[] none = {0, 0, 0, 0};
        Var u;
        if (fu != null && fu.dim() == 1) {
            Var t = ResampleOps.upfirdn2d(v, fu.unsqueezeView(0), up, 1, p.padding(), up, p.flipFilter());
            u = ResampleOps.upfirdn2d(t, fu.unsqueezeView(1), 1, 1, none, up, p.flipFilter());
        } else {
            u = ResampleOps.upfirdn2d(v, fu != null ? fu : ones(x.value()), up, 1, p.padding(), p.upGain(), p.flipFilter());
        }
        Var a = ElementwiseOps.biasAct(u, null, 1, Activation.LRELU, p.slope(), p.gain(), p.clamp());
        if (fd != null && fd.dim() == 1) {
            Var z = ResampleOps.upfirdn2d(a, fd.unsqueezeView(1), 1, 1, none, 1, p.flipFilter());
            return ResampleOps.upfirdn2d(z, fd.unsqueezeView(0), 1, down, none, 1, p.flipFilter());
        }
        return ResampleOps.upfirdn2d(a, fd != null ? fd : ones(x.value()), 1, down, none, 1, p.flipFilter());
    }

    private static Tensor ones(Tensor like) { return Ops.addScalar(Ops.zerosOn(like, 1, 1), 1); }
}
