package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

/** Differentiable matrix products. */
public final class LinalgOps {
    private LinalgOps() {}

    // c = a b: da = g b^T, db = a^T g (batched: per batch)
    public static Var matmul(Var a, Var b) {
        int ra = a.shape().length, rb = b.shape().length;
        return Var.record("matmul", Ops.matmul(a.value(), b.value()), (g, gr) -> {
            // da = g b^T, db = a^T g, each summed over the batch where its operand was broadcast (2-D with a 3-D other)
            if (gr.needs(0)) gr.add(0, batchSummed(Ops.matmul(g, b.value().transposeView(rb - 2, rb - 1)), ra));
            if (gr.needs(1)) gr.add(1, batchSummed(Ops.matmul(a.value().transposeView(ra - 2, ra - 1), g), rb));
        }, (g, out, gr) -> {
            if (gr.needs(0)) gr.add(0, batchSummed(matmul(g, ShapeOps.transposeView(b, rb - 2, rb - 1)), ra));
            if (gr.needs(1)) gr.add(1, batchSummed(matmul(ShapeOps.transposeView(a, ra - 2, ra - 1), g), rb));
        }, a, b);
    }

    /** A [B, ., .] gradient summed over B for a 2-D operand; as it is otherwise. */
    private static Tensor batchSummed(Tensor d, int rank) { return d.dim() > rank ? Ops.sum(d, false, 0) : d; }

    private static Var batchSummed(Var d, int rank) { return d.shape().length > rank ? ReduceOps.sum(d, false, 0) : d; }

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
