package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;

/** Differentiable normalisations (composites: gradients by composition). */
public final class NormOps {
    private NormOps() {}

    /**
     * NVlabs normalize_2nd_moment over dim 1 (the mapping network's input normalisation):
     * y = x * rsqrt(mean(x^2, dim 1) + eps). x [N, D] (or [N, D, ...]) -> same shape. StyleGAN2 uses eps 1e-8.
     */
    public static Var normalize2ndMoment(Var x, double eps) {
        Var ms = ReduceOps.mean(ElementwiseOps.square(x), true, 1);                    // [N, 1, ...]
        return ElementwiseOps.mul(x, ElementwiseOps.rsqrt(ElementwiseOps.affine(ms, 1, eps)));
    }
}
