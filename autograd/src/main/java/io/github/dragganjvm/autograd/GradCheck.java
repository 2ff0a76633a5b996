package io.github.dragganjvm.autograd;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.function.Function;

/**
 * Random-direction finite-difference gradient checks in float64.
 *
 * <p>For f: inputs -> output and random directions u (output-shaped) and v_i (input-shaped), the analytic value
 * {@code sum_i <v_i, J_i^T u>} (one backward pass with seed u) must equal the central difference
 * {@code (<u, f(x + h v)> - <u, f(x - h v)>) / 2h}. One pass checks every input and every direction at once.
 * The relative error is taken against the larger of the two values and the Cauchy-Schwarz scale
 * {@code sum_i |J_i^T u| |v_i|}, so that a directional derivative that happens to cancel to near zero is judged
 * against the size of the gradient rather than against its own small value.
 */
public final class GradCheck {
    private GradCheck() {}

    /** What a check found. */
    public record Result(double analytic, double numeric, double relError) {
        @Override public String toString() {
            return String.format("analytic %.12g numeric %.12g rel.err %.3g", analytic, numeric, relError);
        }
    }

    /**
     * Runs the check. Inputs must be F64; each becomes a param. {@code h} is the finite-difference step.
     */
    public static Result check(Function<Var[], Var> f, Tensor[] inputs, long seed, double h) {
        for (Tensor t : inputs) {
            if (t.dtype() != DType.F64) throw new IllegalArgumentException("GradCheck: inputs must be F64 but one is " + t.dtype());
        }
        Var[] params = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) params[i] = Var.param(inputs[i].copy());
        Var out = f.apply(params);
        Tensor u = Tensor.randn(DType.F64, seed, out.shape());
        out.backward(u);
        double analytic = 0, scale = 0;
        Tensor[] dirs = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            dirs[i] = Tensor.randn(DType.F64, seed * 31 + i + 1, inputs[i].shape());
            if (params[i].grad() != null) {
                analytic += dot(params[i].grad(), dirs[i]);
                scale += Math.sqrt(dot(params[i].grad(), params[i].grad()) * dot(dirs[i], dirs[i]));
            }
        }
        double plus = probe(f, inputs, dirs, h, u), minus = probe(f, inputs, dirs, -h, u);
        double numeric = (plus - minus) / (2 * h);
        double rel = Math.abs(analytic - numeric) / Math.max(1e-12, Math.max(scale, Math.max(Math.abs(analytic), Math.abs(numeric))));
        return new Result(analytic, numeric, rel);
    }

    private static double probe(Function<Var[], Var> f, Tensor[] inputs, Tensor[] dirs, double h, Tensor u) {
        // params, not constants: f may itself take gradients (Var.grad) of its inputs, as second-order checks do
        Var[] xs = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) xs[i] = Var.param(Ops.add(inputs[i], Ops.scale(dirs[i], h)));
        return dot(f.apply(xs).value(), u);
    }

    private static double dot(Tensor a, Tensor b) { return Ops.sumAll(Ops.mul(a, b)).item(); }
}
