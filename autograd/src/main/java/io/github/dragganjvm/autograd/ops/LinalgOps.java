package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

/** Differentiable matrix products. */
public final class LinalgOps {
    private LinalgOps() {}

    // c = a b: da = g b^T, db = a^T g (batched: per batch)
    public static Var matmul(Var a, Var b) {
        return Var.record("matmul", Ops.matmul(a.value(), b.value()), (g, gr) -> {
            int r = g.dim();
            if (gr.needs(0)) gr.add(0, Ops.matmul(g, b.value().transposeView(r - 2, r - 1)));
            if (gr.needs(1)) gr.add(1, Ops.matmul(a.value().transposeView(r - 2, r - 1), g));
        }, (g, out, gr) -> {
            int r = g.shape().length;
            if (gr.needs(0)) gr.add(0, matmul(g, ShapeOps.transposeView(b, r - 2, r - 1)));
            if (gr.needs(1)) gr.add(1, matmul(ShapeOps.transposeView(a, r - 2, r - 1), g));
        }, a, b);
    }

    /**
     * Fully connected layer as StyleGAN2's FullyConnectedLayer: y = x (w * weightGain)^T + b * biasGain.
     * x [N, in], w [out, in], b [out] or null.
     */
    public static Var linear(Var x, Var w, Var b, double weightGain, double biasGain) {
        Var ws = weightGain == 1 ? w : ElementwiseOps.affine(w, weightGain, 0);
        Var y = matmul(x, ShapeOps.permuteView(ws, 1, 0));
        if (b == null) return y;
        Var bs = biasGain == 1 ? b : ElementwiseOps.affine(b, biasGain, 0);
        return ElementwiseOps.add(y, ShapeOps.unsqueezeView(bs, 0));
    }

    /** Frobenius inner product helper for gradient checks: sum(a * b) as a host double. */
    public static double dot(Tensor a, Tensor b) { return Ops.sumAll(Ops.mul(a, b)).item(); }
}
