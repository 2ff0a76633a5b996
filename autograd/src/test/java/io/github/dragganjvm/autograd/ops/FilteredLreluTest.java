package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Backend;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.testing.FilteredLreluCases;
import io.github.dragganjvm.tensor.testing.FilteredLreluCases.Case;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fused {@link FilteredLrelu} op against {@link FilteredLrelu#composed} (NVlabs' reference: biasAct and
 * upfirdn2d, each with its own autograd rule) on the shared cases (separable, 2-D and absent filters, up 1/2/3/4,
 * down 1/2/3, asymmetric and negative padding, clamp hit, flip), on both CPU backends, float32 and float64:
 * forward, dx and db by the tensor rules and by the differentiable ones (createGraph), then second order (the
 * gradient's own gradient with respect to the seed), and float64 finite differences along random directions.
 */
class FilteredLreluTest {
    private static final double F32_TOL = 1e-5, F64_TOL = 1e-12;

    /** Runs body with each CPU backend made current, restoring the one before. */
    private static void onBothBackends(java.util.function.Consumer<Backend> body) {
        Backend before = Backends.cpu();
        try {
            for (Backend be : new Backend[]{new ReferenceBackend(), new VectorBackend()}) {
                Backends.use(be);
                body.accept(be);
            }
        } finally {
            Backends.use(before);
        }
    }

    @Test void fusedMatchesCompositionForwardBackwardAndSecondOrder() {
        double[] worst = new double[2];
        onBothBackends(be -> {
            int i = 0;
            for (Case k : FilteredLreluCases.cases()) {
                for (DType dt : new DType[]{DType.F32, DType.F64}) {
                    long seed = 500 + 10L * i++;
                    Tensor xt = FilteredLreluCases.input(k, dt, seed, i % 2 == 0);
                    Tensor bt = Tensor.randn(dt, seed + 1, k.c());
                    Tensor fu = FilteredLreluCases.filter(k.fuKind(), k.fuH(), k.fuW(), seed + 2, dt);
                    Tensor fd = FilteredLreluCases.filter(k.fdKind(), k.fdH(), k.fdW(), seed + 3, dt);
                    FilteredLreluParams p = FilteredLreluCases.params(k, xt, bt, fu, fd);
                    Tensor gy = Tensor.randn(dt, seed + 4, k.n(), k.c(), p.outHeight(k.h(), fu, fd), p.outWidth(k.w(), fu, fd));
                    Tensor r = Tensor.randn(dt, seed + 5, xt.shape());
                    double tol = dt == DType.F32 ? F32_TOL : F64_TOL;
                    String what = k.name() + " " + dt + " " + be.name();
                    Var[] fused = run(xt, bt, gy, r, (x, b) -> FilteredLrelu.apply(x, b, fu, fd, p));
                    Var[] comp = run(xt, bt, gy, r, (x, b) -> FilteredLrelu.composed(x, b, fu, fd, p));
                    String[] names = {"y", "dx", "db", "dx (createGraph)", "db (createGraph)", "d<dx, r>/dgy", "d<dx, r>/dx"};
                    for (int q = 0; q < names.length; q++) {
                        double e = FilteredLreluCases.compare(what + " " + names[q], comp[q].value(), fused[q].value(), tol);
                        int d = dt == DType.F32 ? 0 : 1;
                        worst[d] = Math.max(worst[d], e);
                    }
                }
            }
        });
        System.out.printf("FilteredLrelu fused vs composed (y, dx, db, createGraph, second order): worst relative float32 %.2e, float64 %.2e%n",
                worst[0], worst[1]);
    }

    @FunctionalInterface
    private interface Op { Var apply(Var x, Var b); }

    /**
     * {y, dx, db, dx and db with createGraph, d<dx, r>/d(gy), d<dx, r>/dx} of op at (x, b) with seed gy: the last two
     * differentiate the createGraph gradient once more (the second is zero: the activation's derivative is
     * piecewise constant).
     */
    private static Var[] run(Tensor xt, Tensor bt, Tensor gy, Tensor r, Op op) {
        Var x = Var.param(xt), b = Var.param(bt), seed = Var.param(gy);
        Var y = op.apply(x, b);
        Var[] g = Var.grad(y, gy, new Var[]{x, b}, false);
        Var[] g2 = Var.grad(y, seed, new Var[]{x, b}, true);
        Var dot = ReduceOps.sum(ElementwiseOps.mul(g2[0], Var.constant(r)), false);
        Var[] second = Var.grad(dot, (Var) null, new Var[]{seed, x}, false);
        return new Var[]{y, g[0], g[1], g2[0], g2[1], second[0], second[1]};
    }

    @Test void gradientsMatchFiniteDifferencesInFloat64() {
        double[] worst = new double[1];
        onBothBackends(be -> {
            int i = 0;
            for (Case k : FilteredLreluCases.cases()) {
                long seed = 900 + 10L * i++;
                DType dt = DType.F64;
                Tensor xt = FilteredLreluCases.input(k, dt, seed, false), bt = Tensor.randn(dt, seed + 1, k.c());
                Tensor fu = FilteredLreluCases.filter(k.fuKind(), k.fuH(), k.fuW(), seed + 2, dt);
                Tensor fd = FilteredLreluCases.filter(k.fdKind(), k.fdH(), k.fdW(), seed + 3, dt);
                FilteredLreluParams p = FilteredLreluCases.params(k, xt, bt, fu, fd);   // clamp between two activations
                GradCheck.Result res = GradCheck.check(v -> FilteredLrelu.apply(v[0], v[1], fu, fd, p), new Tensor[]{xt, bt}, seed + 4, 1e-6);
                if (!(res.relError() < 1e-6)) fail(k.name() + " " + be.name() + ": finite differences " + res);
                worst[0] = Math.max(worst[0], res.relError());
            }
        });
        System.out.printf("FilteredLrelu dx, db vs float64 finite differences: worst relative error %.2e%n", worst[0]);
    }

    @Test void secondOrderMatchesFiniteDifferencesOfTheGradient() {
        // f(gy) = dx(gy) is linear: its vjp (the op's Jacobian-vector product) checked by finite differences
        Case k = FilteredLreluCases.cases().get(1);
        DType dt = DType.F64;
        Tensor xt = FilteredLreluCases.input(k, dt, 3, false), bt = Tensor.randn(dt, 4, k.c());
        Tensor fu = FilteredLreluCases.filter(k.fuKind(), k.fuH(), k.fuW(), 5, dt), fd = FilteredLreluCases.filter(k.fdKind(), k.fdH(), k.fdW(), 6, dt);
        FilteredLreluParams p = FilteredLreluCases.params(k, xt, bt, fu, fd);
        Tensor gy = Tensor.randn(dt, 7, k.n(), k.c(), p.outHeight(k.h(), fu, fd), p.outWidth(k.w(), fu, fd));
        GradCheck.Result res = GradCheck.check(v -> {
            Var x = Var.param(xt);
            return Var.grad(FilteredLrelu.apply(x, Var.constant(bt), fu, fd, p), v[0], new Var[]{x}, true)[0];
        }, new Tensor[]{gy}, 8, 1e-3);
        if (!(res.relError() < 1e-9)) fail("second order: " + res);
        System.out.println("FilteredLrelu second order vs finite differences: " + res);
    }

    @Test void theNvlabsArgumentListIsTheParamsRecord() {
        Tensor xt = Tensor.randn(DType.F64, 1, 1, 2, 5, 6), fu = Tensor.of(new double[]{0.25, 0.5, 0.25}, 3);
        Var a = FilteredLrelu.apply(Var.constant(xt), null, fu, null, 2, 1, 1, 1, 1, 1, Math.sqrt(2), 0.2, 0.5, false);
        Var b = FilteredLrelu.apply(Var.constant(xt), null, fu, null, new FilteredLreluParams(2, 1, 1, 1, 1, 1, Math.sqrt(2), 0.2, 0.5, false));
        FilteredLreluCases.compare("overload", b.value(), a.value(), 0);
        if (!java.util.Arrays.equals(a.shape(), new int[]{1, 2, 10, 12})) fail("shape " + java.util.Arrays.toString(a.shape()));
        Ops.filteredLrelu(xt, null, fu, null, new FilteredLreluParams(2, 1, 1, 1, 1, 1, 1, 0.2, -1, false));
    }
}
