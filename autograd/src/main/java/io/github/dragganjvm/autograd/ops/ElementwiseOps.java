package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;

/**
 * Differentiable elementwise ops; each forward is followed by its backward rule on tensors and, second, the same
 * rule written with recorded ops (the differentiable rule, for gradients of gradients; see {@link Var#grad}).
 */
public final class ElementwiseOps {
    private ElementwiseOps() {}

    /** Sums a broadcast gradient back to the shape of the input it came from. */
    public static Tensor sumToShape(Tensor g, int[] shape) {
        if (java.util.Arrays.equals(g.shape(), shape)) return g;
        int[] dims = broadcastDims(g.shape(), shape);
        Tensor s = dims.length == 0 ? g : Ops.sum(g, true, dims);
        return s.reshapeView(shape);
    }

    /** The dimensions of a gradient of shape gs that broadcasting added to (or stretched from size 1 in) shape. */
    private static int[] broadcastDims(int[] gs, int[] shape) {
        int lead = gs.length - shape.length;
        int[] dims = new int[gs.length];
        int n = 0;
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) dims[n++] = i;
        }
        return java.util.Arrays.copyOf(dims, n);
    }

    /** {@link #sumToShape(Tensor, int[])} as recorded ops. */
    public static Var sumToShape(Var g, int[] shape) {
        if (java.util.Arrays.equals(g.shape(), shape)) return g;
        int[] dims = broadcastDims(g.shape(), shape);
        Var s = dims.length == 0 ? g : ReduceOps.sum(g, true, dims);
        return ShapeOps.reshape(s, shape);
    }

    // a + b: da = g, db = g (summed over broadcast dims)
    public static Var add(Var a, Var b) {
        return Var.record("add", Ops.add(a.value(), b.value()), (g, gr) -> {
            if (gr.needs(0)) gr.add(0, sumToShape(g, a.shape()));
            if (gr.needs(1)) gr.add(1, sumToShape(g, b.shape()));
        }, (g, out, gr) -> {
            if (gr.needs(0)) gr.add(0, sumToShape(g, a.shape()));
            if (gr.needs(1)) gr.add(1, sumToShape(g, b.shape()));
        }, a, b);
    }

    // a - b: da = g, db = -g
    public static Var sub(Var a, Var b) {
        return Var.record("sub", Ops.sub(a.value(), b.value()), (g, gr) -> {
            if (gr.needs(0)) gr.add(0, sumToShape(g, a.shape()));
            if (gr.needs(1)) gr.add(1, sumToShape(Ops.neg(g), b.shape()));
        }, (g, out, gr) -> {
            if (gr.needs(0)) gr.add(0, sumToShape(g, a.shape()));
            if (gr.needs(1)) gr.add(1, sumToShape(neg(g), b.shape()));
        }, a, b);
    }

    // a * b: da = g b, db = g a
    public static Var mul(Var a, Var b) {
        return Var.record("mul", Ops.mul(a.value(), b.value()), (g, gr) -> {
            if (gr.needs(0)) gr.add(0, sumToShape(Ops.mul(g, b.value()), a.shape()));
            if (gr.needs(1)) gr.add(1, sumToShape(Ops.mul(g, a.value()), b.shape()));
        }, (g, out, gr) -> {
            if (gr.needs(0)) gr.add(0, sumToShape(mul(g, b), a.shape()));
            if (gr.needs(1)) gr.add(1, sumToShape(mul(g, a), b.shape()));
        }, a, b);
    }

    // a / b: da = g / b, db = -g a / b^2
    public static Var div(Var a, Var b) {
        return Var.record("div", Ops.div(a.value(), b.value()), (g, gr) -> {
            if (gr.needs(0)) gr.add(0, sumToShape(Ops.div(g, b.value()), a.shape()));
            if (gr.needs(1)) {
                Tensor t = Ops.div(Ops.mul(g, a.value()), Ops.square(b.value()));
                gr.add(1, sumToShape(Ops.neg(t), b.shape()));
            }
        }, (g, out, gr) -> {
            if (gr.needs(0)) gr.add(0, sumToShape(div(g, b), a.shape()));
            if (gr.needs(1)) gr.add(1, sumToShape(neg(div(mul(g, a), square(b))), b.shape()));
        }, a, b);
    }

    // x * s + c: dx = g s
    public static Var affine(Var x, double s, double c) {
        return Var.record("affine", Ops.affine(x.value(), s, c), (g, gr) -> gr.add(0, Ops.scale(g, s)),
                (g, out, gr) -> gr.add(0, affine(g, s, 0)), x);
    }

    // -x
    public static Var neg(Var x) { return affine(x, -1, 0); }

    // x^2: dx = 2 x g
    public static Var square(Var x) {
        return Var.record("square", Ops.square(x.value()), (g, gr) -> gr.add(0, Ops.mul(g, Ops.scale(x.value(), 2))),
                (g, out, gr) -> gr.add(0, mul(g, affine(x, 2, 0))), x);
    }

    // sqrt(x): dx = g / (2 y)
    public static Var sqrt(Var x) {
        Tensor y = Ops.sqrt(x.value());
        return Var.record("sqrt", y, (g, gr) -> gr.add(0, Ops.div(g, Ops.scale(y, 2))),
                (g, out, gr) -> gr.add(0, div(g, affine(out, 2, 0))), x);
    }

    // x^-1/2: dx = -g y^3 / 2
    public static Var rsqrt(Var x) {
        Tensor y = Ops.rsqrt(x.value());
        return Var.record("rsqrt", y, (g, gr) -> gr.add(0, Ops.mul(g, Ops.scale(Ops.mul(Ops.square(y), y), -0.5))),
                (g, out, gr) -> gr.add(0, mul(g, affine(mul(square(out), out), -0.5, 0))), x);
    }

    // |x|: dx = g sign(x) (0 at 0, as PyTorch)
    public static Var abs(Var x) {
        return Var.record("abs", Ops.abs(x.value()), (g, gr) -> gr.add(0, Ops.mul(g, Ops.sign(x.value()))),
                (g, out, gr) -> gr.add(0, mul(g, Var.constant(Ops.sign(x.value())))), x);   // sign is flat: no second derivative
    }

    // exp(x): dx = g y
    public static Var exp(Var x) {
        Tensor y = Ops.exp(x.value());
        return Var.record("exp", y, (g, gr) -> gr.add(0, Ops.mul(g, y)), (g, out, gr) -> gr.add(0, mul(g, out)), x);
    }

    // log(x): dx = g / x
    public static Var log(Var x) {
        return Var.record("log", Ops.log(x.value()), (g, gr) -> gr.add(0, Ops.div(g, x.value())), (g, out, gr) -> gr.add(0, div(g, x)), x);
    }

    /**
     * softplus(x) = log(1 + exp(x)), x itself above 20: torch.nn.functional.softplus with its defaults (beta 1,
     * threshold 20), the GAN losses' nonlinearity. dx = g sigmoid(x) (PyTorch passes g through above the threshold,
     * where sigmoid(x) rounds to 1 in float32).
     */
    public static Var softplus(Var x) {
        return Var.record("softplus", Ops.softplus(x.value()), (g, gr) -> gr.add(0, softplusGrad(g, x.value())),
                (g, out, gr) -> {
                    // PyTorch's softplus_backward, differentiable: g above the threshold (slope 1, nothing to x),
                    // g * sigmoid(x) below it
                    Tensor above = Ops.greater(x.value(), Ops.addScalar(Ops.zerosLike(x.value()), io.github.dragganjvm.tensor.UnaryOp.SOFTPLUS_THRESHOLD));
                    Var slope = add(mul(sigmoid(x), Var.constant(Ops.affine(above, -1, 1))), Var.constant(above));
                    gr.add(0, mul(g, slope));
                }, x);
    }

    private static Tensor softplusGrad(Tensor g, Tensor x) {
        // PyTorch: g where x > threshold, else g * sigmoid(x)
        Tensor above = Ops.greater(x, Ops.addScalar(Ops.zerosLike(x), io.github.dragganjvm.tensor.UnaryOp.SOFTPLUS_THRESHOLD));
        Tensor slope = Ops.add(Ops.mul(above, Ops.affine(Ops.sigmoid(x), -1, 1)), Ops.sigmoid(x));   // 1 above, sigmoid below
        return Ops.mul(g, slope);
    }

    // sigmoid(x) = 1 / (1 + exp(-x)): dx = g y (1 - y)
    public static Var sigmoid(Var x) {
        Tensor y = Ops.sigmoid(x.value());
        return Var.record("sigmoid", y, (g, gr) -> gr.add(0, Ops.mul(g, Ops.mul(y, Ops.affine(y, -1, 1)))),
                (g, out, gr) -> gr.add(0, mul(g, mul(out, affine(out, -1, 1)))), x);
    }

    /**
     * NVlabs bias_act: y = clamp(act(x + b) * gain, -clamp, clamp), b [C] along dim (b may be null, clamp &lt; 0: none).
     * Backward (PyTorch autograd of the reference, see {@link Ops#biasActBackward}): with v = x + b,
     * dx = gout * gain * act'(v) where -clamp &lt;= act(v) * gain &lt;= clamp (bounds inclusive), 0 outside, act'(v) = 1
     * for v > 0 else alpha (LRELU); db = dx summed over all dims but dim. Saves x and b (the graph holds them anyway).
     */
    public static Var biasAct(Var x, Var b, int dim, Activation act, double alpha, double gain, double clamp) {
        int d = x.value().dim() == 0 ? 0 : Shapes.dim("biasAct", dim, x.value().dim());
        Tensor xv = x.value(), bv = b == null ? null : b.value();
        Tensor y = Ops.biasAct(xv, bv, d, act, alpha, gain, clamp);
        int[] others = new int[Math.max(0, y.dim() - 1)];
        for (int i = 0, j = 0; i < y.dim(); i++) if (i != d) others[j++] = i;
        return Var.record("biasAct", y, (g, gr) -> {
            Tensor dx = Ops.biasActBackward(g, xv, bv, d, act, alpha, gain, clamp);
            gr.add(0, dx);
            if (gr.needs(1)) gr.add(1, others.length == 0 || y.dim() == 0 ? dx : Ops.sum(dx, false, others));
        }, (g, out, gr) -> {
            Var dx = biasActGrad(g, xv, bv, d, act, alpha, gain, clamp);
            gr.add(0, dx);
            if (gr.needs(1)) gr.add(1, others.length == 0 || y.dim() == 0 ? dx : ReduceOps.sum(dx, false, others));
        }, x, b);
    }

    /**
     * dx of {@link #biasAct} as a recorded op: g * gain * act'(v) inside the clamp range, 0 outside (v = x + b, the
     * forward's input values). For LINEAR and LRELU the factor is piecewise constant in x (its derivative is zero
     * wherever it exists), so this op is linear in g with a fixed mask: its own backward is the same op applied to the
     * upstream gradient, and nothing flows to x or b. (NVlabs' bias_act double backward does the same for these
     * activations.)
     */
    static Var biasActGrad(Var g, Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        return Var.record("biasActGrad", Ops.biasActBackward(g.value(), x, b, dim, act, alpha, gain, clamp),
                (gg, gr) -> gr.add(0, Ops.biasActBackward(gg, x, b, dim, act, alpha, gain, clamp)),
                (gg, out, gr) -> gr.add(0, biasActGrad(gg, x, b, dim, act, alpha, gain, clamp)), g);
    }

    /** Leaky ReLU times gain (the mapping and synthesis activation). */
    public static Var leakyRelu(Var x, double alpha, double gain) {
        return biasAct(x, null, 0, Activation.LRELU, alpha, gain, -1);
    }

    // clamp(x, lo, hi): dx = g where lo <= x <= hi (PyTorch passes the gradient at the bounds)
    public static Var clamp(Var x, double lo, double hi) {
        Tensor y = Ops.clamp(x.value(), lo, hi);
        return Var.record("clamp", y, (g, gr) -> {
            // mask = 1 where x == y (inside or on the bounds)
            Tensor outside = Ops.add(Ops.greater(x.value(), y), Ops.greater(y, x.value()));
            gr.add(0, Ops.mul(g, Ops.affine(outside, -1, 1)));
        }, (g, out, gr) -> {
            Tensor outside = Ops.add(Ops.greater(x.value(), y), Ops.greater(y, x.value()));
            gr.add(0, mul(g, Var.constant(Ops.affine(outside, -1, 1))));
        }, x);
    }
}
