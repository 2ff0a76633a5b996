package io.github.dragganjvm.autograd;

import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class AutogradBasicsTest {
    private static final double TOL = 1e-7; // float64 central differences with h = 1e-6

    private static void assertGrad(String what, java.util.function.Function<Var[], Var> f, int[]... shapes) {
        Tensor[] xs = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) xs[i] = Tensor.uniform(DType.F64, 100 + i, 0.5, 2.0, shapes[i]);
        GradCheck.Result r = GradCheck.check(f, xs, 7, 1e-6);
        System.out.println(what + ": " + r);
        assertTrue(r.relError() < TOL, what + ": " + r);
    }

    /** stack's own checks name stack (its dim ranges over rank + 1, as torch.stack's). */
    @Test void stackNamesItselfInErrors() {
        Var a = Var.constant(Tensor.zeros(DType.F32, 2, 3)), b = Var.constant(Tensor.zeros(DType.F32, 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShapeOps.stack(3, a, b));
        assertTrue(e.getMessage().startsWith("stack: dim 3"), e.getMessage());
        assertArrayEquals(new int[]{2, 3, 2}, ShapeOps.stack(-1, a, b).shape());
        assertArrayEquals(new int[]{2, 2, 3}, ShapeOps.stack(0, a, b).shape());
    }

    @Test void elementwiseWithBroadcast() {
        assertGrad("add", v -> ElementwiseOps.add(v[0], v[1]), new int[]{2, 3}, new int[]{3});
        assertGrad("sub", v -> ElementwiseOps.sub(v[0], v[1]), new int[]{2, 1, 3}, new int[]{4, 1});
        assertGrad("mul", v -> ElementwiseOps.mul(v[0], v[1]), new int[]{2, 3}, new int[]{2, 1});
        assertGrad("div", v -> ElementwiseOps.div(v[0], v[1]), new int[]{3}, new int[]{2, 3});
        assertGrad("sqrt/rsqrt/exp/log", v -> ElementwiseOps.log(ElementwiseOps.exp(ElementwiseOps.mul(ElementwiseOps.sqrt(v[0]), ElementwiseOps.rsqrt(v[1])))),
                new int[]{4}, new int[]{4});
        assertGrad("square/abs/affine", v -> ElementwiseOps.abs(ElementwiseOps.affine(ElementwiseOps.square(v[0]), -3, 0.25)), new int[]{5});
        assertGrad("clamp", v -> ElementwiseOps.clamp(v[0], 0.8, 1.6), new int[]{7});
    }

    @Test void biasActLreluClamp() {
        assertGrad("biasAct", v -> ElementwiseOps.biasAct(ElementwiseOps.affine(v[0], 1, -1.2), v[1], 1,
                io.github.dragganjvm.tensor.Activation.LRELU, 0.2, Math.sqrt(2), 0.9), new int[]{2, 3, 2, 2}, new int[]{3});
    }

    @Test void reductionsShapesAndMatmul() {
        assertGrad("sum/mean", v -> ReduceOps.mean(ReduceOps.sum(v[0], true, 1), false, 0, 2), new int[]{2, 3, 4});
        assertGrad("permute/slice/cat", v -> ShapeOps.cat(1, ShapeOps.sliceView(ShapeOps.permuteView(v[0], 1, 0), 1, 0, 2), v[1]),
                new int[]{3, 2}, new int[]{2, 3});
        assertGrad("matmul", v -> LinalgOps.matmul(v[0], v[1]), new int[]{3, 4}, new int[]{4, 2});
        assertGrad("bmm", v -> LinalgOps.matmul(v[0], v[1]), new int[]{2, 3, 4}, new int[]{2, 4, 2});
        // torch.matmul's broadcasting: the 2-D operand's gradient sums over the batch
        assertGrad("matmul [B, M, K] x [K, N]", v -> LinalgOps.matmul(v[0], v[1]), new int[]{3, 2, 4}, new int[]{4, 5});
        assertGrad("matmul [M, K] x [B, K, N]", v -> LinalgOps.matmul(v[0], v[1]), new int[]{2, 4}, new int[]{3, 4, 5});
        assertGrad("indexSelect/expand", v -> ShapeOps.expandView(ShapeOps.indexSelect(v[0], 0, 2, 0, 2), 2, 3, 4), new int[]{3, 4});
        assertGrad("l1Loss", v -> ReduceOps.l1Loss(v[0], v[1]), new int[]{6}, new int[]{6});
    }

    @Test void gradientsAccumulateAndGraphIsFreed() {
        Var x = Var.param(Tensor.of(new double[]{1, 2, 3}, 3));
        Var y = ReduceOps.sum(ElementwiseOps.square(x), false);
        y.backward();
        assertArrayEquals(new double[]{2, 4, 6}, x.grad().toDoubleArray(), 1e-12);
        var ex = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(ex.getMessage().contains("freed"), ex.getMessage());
        ReduceOps.sum(ElementwiseOps.affine(x, 3, 0), false).backward();
        assertArrayEquals(new double[]{5, 7, 9}, x.grad().toDoubleArray(), 1e-12, "gradients accumulate");
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test void detachAndNoGradStopGradients() {
        Var x = Var.param(Tensor.of(new double[]{1, 2}, 2));
        Var y = ReduceOps.sum(ElementwiseOps.mul(x, x.detach()), false);
        y.backward();
        assertArrayEquals(new double[]{1, 2}, x.grad().toDoubleArray(), 1e-12);
        try (var ng = GradMode.noGrad()) {
            Var z = ElementwiseOps.square(x);
            assertFalse(z.requiresGrad());
        }
        assertTrue(ElementwiseOps.square(x).requiresGrad());
    }

    @Test void unneededGradientsAreNotComputed() {
        Var a = Var.param(Tensor.of(new double[]{1, 2}, 2));
        Var c = Var.constant(Tensor.of(new double[]{3, 4}, 2));
        boolean[] called = new boolean[2];
        Var y = Var.record("probe", a.value().copy(), (g, gr) -> {
            called[0] = gr.needs(0);
            called[1] = gr.needs(1);
            gr.add(0, g);
        }, a, c);
        ReduceOps.sum(y, false).backward();
        assertTrue(called[0]);
        assertFalse(called[1], "the constant input must not ask for a gradient");
    }

    @Test void adamMatchesTorchTrajectory() {
        Tensor p0 = Golden.npy("ops", "adam__p0"), grads = Golden.npy("ops", "adam__grads"), traj = Golden.npy("ops", "adam__trajectory");
        Var p = Var.param(p0.copyAs(DType.F64));
        Adam adam = new Adam(java.util.List.of(p), 0.001);
        for (int s = 0; s < grads.size(0); s++) {
            adam.zeroGrad();
            Var.record("seed", p.value(), (g, gr) -> gr.add(0, g), p).backward(grads.selectView(0, s).copyAs(DType.F64));
            adam.step();
            Golden.assertClose("adam step " + (s + 1), traj.selectView(0, s), p.value(), 1e-12);
        }
    }

    @Test void linearLayerGradient() {
        assertGrad("linear", v -> LinalgOps.linear(v[0], v[1], v[2], 0.25, 0.5), new int[]{3, 4}, new int[]{5, 4}, new int[]{5});
    }
}
