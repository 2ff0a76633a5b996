package io.github.dragganjvm.autograd;

import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.List;

/**
 * torch.optim.Adam (no weight decay, no amsgrad): per parameter, m and v moments, bias correction, the same
 * operation order as PyTorch's single-tensor implementation. Parameters must be contiguous leaves.
 */
public final class Adam {
    private final List<Var> params;
    private final Tensor[] m, v;
    private final double lr, beta1, beta2, eps;
    private long step;

    /** Adam with PyTorch's defaults betas (0.9, 0.999), eps 1e-8. */
    public Adam(List<Var> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8); }

    public Adam(List<Var> params, double lr, double beta1, double beta2, double eps) {
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("Adam: lr must be a positive finite number but is " + lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam: betas must be in [0, 1) but are " + beta1 + ", " + beta2);
        }
        if (!(eps >= 0)) throw new IllegalArgumentException("Adam: eps must be >= 0 but is " + eps);
        for (Var p : params) {
            if (!p.isLeaf() || !p.requiresGrad()) throw new IllegalArgumentException("Adam: parameters must be leaves that require grad: " + p);
            if (!p.value().isContiguous()) throw new IllegalArgumentException("Adam: parameter values must be contiguous");
        }
        this.params = List.copyOf(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.m = new Tensor[params.size()];
        this.v = new Tensor[params.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = Ops.zerosLike(params.get(i).value());
            v[i] = Ops.zerosLike(params.get(i).value());
        }
    }

    /** Updates every parameter that has a gradient, in place; parameters without one are skipped (as PyTorch). */
    public void step() {
        step++;
        for (int i = 0; i < m.length; i++) {
            Var p = params.get(i);
            if (p.grad() == null) continue;
            Ops.adamStep(p.value(), p.grad(), m[i], v[i], step, lr, beta1, beta2, eps);
        }
    }

    /** Clears every parameter's gradient. */
    public void zeroGrad() {
        for (Var p : params) p.zeroGrad();
    }

    /** Steps taken so far. */
    public long steps() { return step; }

    /**
     * Restores the state saved from an Adam over the same parameters: the step count and each parameter's moments
     * (copied into this optimizer's own tensors), so training resumes exactly.
     */
    public void restore(long steps, List<Tensor> firstMoments, List<Tensor> secondMoments) {
        if (steps < 0) throw new IllegalArgumentException("Adam.restore: steps must be >= 0 but is " + steps);
        if (firstMoments.size() != m.length || secondMoments.size() != v.length) {
            throw new IllegalArgumentException("Adam.restore: " + m.length + " parameters but " + firstMoments.size() + " first and "
                    + secondMoments.size() + " second moments");
        }
        for (int i = 0; i < m.length; i++) {
            if (!java.util.Arrays.equals(firstMoments.get(i).shape(), m[i].shape()) || !java.util.Arrays.equals(secondMoments.get(i).shape(), v[i].shape())) {
                throw new IllegalArgumentException("Adam.restore: moments of parameter " + i + " have shapes " + java.util.Arrays.toString(firstMoments.get(i).shape())
                        + " / " + java.util.Arrays.toString(secondMoments.get(i).shape()) + " but the parameter is " + java.util.Arrays.toString(m[i].shape()));
            }
        }
        for (int i = 0; i < m.length; i++) {
            Ops.copyInto(firstMoments.get(i), m[i]);
            Ops.copyInto(secondMoments.get(i), v[i]);
        }
        this.step = steps;
    }

    /** The learning rate. */
    public double lr() { return lr; }

    /** First-moment state of parameter i (for export and tests). */
    public Tensor firstMoment(int i) { return m[i]; }

    /** Second-moment state of parameter i. */
    public Tensor secondMoment(int i) { return v[i]; }
}
