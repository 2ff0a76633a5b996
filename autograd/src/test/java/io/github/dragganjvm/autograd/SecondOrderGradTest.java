package io.github.dragganjvm.autograd;

import io.github.dragganjvm.autograd.ops.ConvOps;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ModulatedConv2d;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Gradients of gradients ({@link Var#grad} with createGraph), float64.
 *
 * <p>For an op f and one of its inputs x_k, the function {@code F(inputs) = d<U, f(inputs)>/dx_k} (a fixed random
 * U) is built with createGraph, and {@link GradCheck} compares F's backward (the second derivatives, through every
 * op's differentiable rule and the kept forward graph) with central differences of F's value in a random direction
 * of every input. Each case also checks that F's value equals the first-order gradient of the fast tensor rules.
 */
class SecondOrderGradTest {
    private static final double TOL = 1e-7;   // float64 central differences with h = 1e-6

    /** Checks the second derivatives of f through the gradient with respect to input k. */
    private static void assertSecondOrder(String what, Function<Var[], Var> f, int k, int[]... shapes) {
        Tensor[] xs = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) xs[i] = Tensor.uniform(DType.F64, 200 + i, 0.5, 2.0, shapes[i]);
        int[] outShape = f.apply(constants(xs)).shape();
        Tensor u = Tensor.randn(DType.F64, 99, outShape);
        Function<Var[], Var> gradOfF = v -> Var.grad(f.apply(v), Var.constant(u), new Var[]{v[k]}, true)[0];

        // first order: the differentiable rules give the tensor rules' values
        Var[] p1 = params(xs), p2 = params(xs);
        Tensor viaDiff = Var.grad(f.apply(p1), u, new Var[]{p1[k]}, true)[0].value();
        Tensor viaFast = Var.grad(f.apply(p2), u, new Var[]{p2[k]}, false)[0].value();
        double diff = maxAbs(Ops.sub(viaDiff, viaFast));
        assertTrue(diff <= 1e-12 * Math.max(1, maxAbs(viaFast)), what + ": differentiable and tensor rules differ by " + diff);

        GradCheck.Result r = GradCheck.check(gradOfF, xs, 11, 1e-6);
        System.out.println(what + " (d/dx" + k + "): " + r);
        assertTrue(r.relError() < TOL, what + ": " + r);
        assertTrue(Math.abs(r.analytic()) > 1e-9, what + ": the second-order term is zero, the check would prove nothing");
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (double v : t.toDoubleArray()) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static Var[] params(Tensor[] xs) {
        Var[] p = new Var[xs.length];
        for (int i = 0; i < xs.length; i++) p[i] = Var.param(xs[i].copy());
        return p;
    }

    private static Var[] constants(Tensor[] xs) {
        Var[] p = new Var[xs.length];
        for (int i = 0; i < xs.length; i++) p[i] = Var.constant(xs[i]);
        return p;
    }

    @Test void elementwise() {
        assertSecondOrder("mul/add broadcast", v -> ElementwiseOps.mul(ElementwiseOps.add(v[0], v[1]), v[0]), 0, new int[]{2, 3}, new int[]{3});
        assertSecondOrder("mul/sub broadcast", v -> ElementwiseOps.mul(ElementwiseOps.sub(v[0], v[1]), v[1]), 1, new int[]{2, 3}, new int[]{2, 1});
        assertSecondOrder("div", v -> ElementwiseOps.div(v[0], v[1]), 1, new int[]{3}, new int[]{2, 3});
        assertSecondOrder("square/affine", v -> ElementwiseOps.square(ElementwiseOps.affine(v[0], -1.5, 0.25)), 0, new int[]{5});
        assertSecondOrder("sqrt/rsqrt", v -> ElementwiseOps.mul(ElementwiseOps.sqrt(v[0]), ElementwiseOps.rsqrt(v[1])), 0, new int[]{4}, new int[]{4});
        assertSecondOrder("rsqrt", v -> ElementwiseOps.rsqrt(v[0]), 0, new int[]{4});
        assertSecondOrder("exp/log", v -> ElementwiseOps.log(ElementwiseOps.add(ElementwiseOps.exp(v[0]), v[1])), 1, new int[]{4}, new int[]{4});
        assertSecondOrder("softplus", v -> ElementwiseOps.softplus(ElementwiseOps.affine(v[0], 2, -2.5)), 0, new int[]{6});
        assertSecondOrder("sigmoid", v -> ElementwiseOps.sigmoid(ElementwiseOps.affine(v[0], 2, -2.5)), 0, new int[]{6});
        assertSecondOrder("abs (sign flat)", v -> ElementwiseOps.mul(ElementwiseOps.abs(ElementwiseOps.affine(v[0], 1, -1.2)), v[0]), 0, new int[]{6});
        assertSecondOrder("clamp (mask flat)", v -> ElementwiseOps.mul(ElementwiseOps.clamp(v[0], 0.8, 1.6), v[0]), 0, new int[]{7});
    }

    @Test void biasActLreluWithGainAndClamp() {
        // bias_act's own second derivative is zero (piecewise linear); times x it is not, and the mask must hold
        assertSecondOrder("biasAct * x", v -> ElementwiseOps.mul(ElementwiseOps.biasAct(ElementwiseOps.affine(v[0], 1, -1.2), v[1], 1,
                Activation.LRELU, 0.2, Math.sqrt(2), 0.9), v[0]), 0, new int[]{2, 3, 2, 2}, new int[]{3});
        assertSecondOrder("biasAct bias", v -> ElementwiseOps.square(ElementwiseOps.biasAct(v[0], v[1], 1, Activation.LRELU, 0.2, Math.sqrt(2), -1)),
                1, new int[]{2, 3, 2}, new int[]{3});
    }

    @Test void reductionsAndShapes() {
        assertSecondOrder("sum/mean", v -> ElementwiseOps.square(ReduceOps.mean(ReduceOps.sum(ElementwiseOps.square(v[0]), true, 1), false, 0, 2)), 0,
                new int[]{2, 3, 4});
        assertSecondOrder("permute/slice/cat", v -> ElementwiseOps.square(ShapeOps.cat(1, ShapeOps.sliceView(ShapeOps.permuteView(v[0], 1, 0), 1, 0, 2), v[1])),
                0, new int[]{3, 2}, new int[]{2, 3});
        assertSecondOrder("reshape/expand/unsqueeze", v -> ElementwiseOps.mul(ShapeOps.expandView(ShapeOps.unsqueezeView(ShapeOps.reshape(v[0], 6), 0), 3, 6),
                ShapeOps.reshape(ElementwiseOps.square(v[1]), 3, 6)), 1, new int[]{2, 3}, new int[]{18});
        assertSecondOrder("embed/crop", v -> ElementwiseOps.square(ShapeOps.crop(ShapeOps.embed(ElementwiseOps.square(v[0]), new int[]{4, 5}, new int[]{1, 2}),
                new int[]{0, 1}, new int[]{3, 3})), 0, new int[]{2, 3});
    }

    @Test void matmulAndLinear() {
        assertSecondOrder("matmul", v -> ElementwiseOps.square(LinalgOps.matmul(v[0], v[1])), 0, new int[]{3, 4}, new int[]{4, 2});
        assertSecondOrder("bmm", v -> ElementwiseOps.square(LinalgOps.matmul(v[0], v[1])), 1, new int[]{2, 3, 4}, new int[]{2, 4, 2});
        assertSecondOrder("matmul [B, M, K] x [K, N]", v -> ElementwiseOps.square(LinalgOps.matmul(v[0], v[1])), 1, new int[]{2, 3, 4}, new int[]{4, 2});
        assertSecondOrder("matmul [M, K] x [B, K, N]", v -> ElementwiseOps.square(LinalgOps.matmul(v[0], v[1])), 0, new int[]{3, 4}, new int[]{2, 4, 2});
        assertSecondOrder("linear + lrelu", v -> ElementwiseOps.square(ElementwiseOps.leakyRelu(LinalgOps.linear(v[0], v[1], v[2], 0.5, 0.1), 0.2, Math.sqrt(2))),
                0, new int[]{2, 4}, new int[]{3, 4}, new int[]{3});
    }

    @Test void convolutions() {
        assertSecondOrder("conv2d 3x3 pad 1", v -> ElementwiseOps.square(ConvOps.conv2d(v[0], v[1], 1, 1, 1)), 0, new int[]{2, 3, 5, 5}, new int[]{4, 3, 3, 3});
        assertSecondOrder("conv2d stride 2 (crop path)", v -> ElementwiseOps.square(ConvOps.conv2d(v[0], v[1], 2, 0, 1)), 0, new int[]{1, 2, 8, 8}, new int[]{3, 2, 3, 3});
        assertSecondOrder("conv2d stride 2 pad 1 odd", v -> ElementwiseOps.square(ConvOps.conv2d(v[0], v[1], 2, 1, 1)), 1, new int[]{1, 2, 7, 6}, new int[]{3, 2, 3, 3});
        assertSecondOrder("conv2d groups 2", v -> ElementwiseOps.square(ConvOps.conv2d(v[0], v[1], 1, 1, 2)), 0, new int[]{1, 4, 4, 4}, new int[]{2, 2, 3, 3});
        assertSecondOrder("convTranspose2d stride 2", v -> ElementwiseOps.square(ConvOps.convTranspose2d(v[0], v[1], 2, 0, 1)), 0, new int[]{1, 3, 3, 3}, new int[]{3, 2, 3, 3});
        assertSecondOrder("conv2dWeightGrad", v -> ElementwiseOps.square(ConvOps.conv2dWeightGrad(v[0], v[1], 3, 3, 2, 1, 1)), 0,
                new int[]{1, 2, 6, 6}, new int[]{1, 3, 3, 3});
        assertSecondOrder("conv2dWeightGrad (d/dg)", v -> ElementwiseOps.square(ConvOps.conv2dWeightGrad(v[0], v[1], 3, 3, 1, 1, 1)), 1,
                new int[]{1, 2, 4, 4}, new int[]{1, 3, 4, 4});
    }

    @Test void upfirdn2dAndModulatedConv() {
        Tensor f = Ops.scale(Tensor.of(new double[]{1, 3, 3, 1, 3, 9, 9, 3, 3, 9, 9, 3, 1, 3, 3, 1}, 4, 4), 1 / 64.0);
        assertSecondOrder("upfirdn2d down 2", v -> ElementwiseOps.square(ResampleOps.upfirdn2d(ElementwiseOps.square(v[0]), f, 1, 2, new int[]{2, 1, 2, 1}, 1, false)),
                0, new int[]{1, 2, 6, 6});
        assertSecondOrder("upsample2d", v -> ElementwiseOps.square(ResampleOps.upsample2d(ElementwiseOps.mul(v[0], v[0]), f, 2)), 0, new int[]{1, 2, 3, 3});
        for (int up : new int[]{1, 2}) {
            assertSecondOrder("modulatedConv2d up " + up + " (styles)", v -> ElementwiseOps.square(ModulatedConv2d.apply(v[0], v[1], v[2], up, f, 1, true)), 2,
                    new int[]{2, 3, 4, 4}, new int[]{2, 3, 3, 3}, new int[]{2, 3});
        }
        assertSecondOrder("modulatedConv2d (x)", v -> ElementwiseOps.square(ModulatedConv2d.apply(v[0], v[1], v[2], 1, f, 1, true)), 0,
                new int[]{2, 3, 4, 4}, new int[]{2, 3, 3, 3}, new int[]{2, 3});
    }

    /** The R1 pattern: |dD(x)/dx|^2 differentiated with respect to the weights of a small conv net and x. */
    @Test void r1PenaltyOfATinyDiscriminator() {
        Tensor f = Ops.scale(Tensor.of(new double[]{1, 3, 3, 1, 3, 9, 9, 3, 3, 9, 9, 3, 1, 3, 3, 1}, 4, 4), 1 / 64.0);
        Function<Var[], Var> d = v -> {
            Var h = ElementwiseOps.biasAct(ConvOps.conv2d(v[0], v[1], 1, 1, 1), v[2], 1, Activation.LRELU, 0.2, Math.sqrt(2), -1);
            h = ConvOps.conv2d(ResampleOps.upfirdn2d(h, f, 1, 1, new int[]{2, 2, 2, 2}, 1, false), v[3], 2, 0, 1);     // blur, conv stride 2
            Var centred = ElementwiseOps.sub(h, ReduceOps.mean(h, true, 0));
            Var std = ElementwiseOps.sqrt(ElementwiseOps.affine(ReduceOps.mean(ElementwiseOps.square(centred), false, 0), 1, 1e-8));
            Var mb = ShapeOps.expandView(ShapeOps.reshape(ReduceOps.mean(std, false, 0, 1, 2), 1, 1, 1, 1), h.shape()[0], 1, h.shape()[2], h.shape()[3]);
            Var feat = ShapeOps.reshape(ShapeOps.cat(1, h, mb), h.shape()[0], (h.shape()[1] + 1) * h.shape()[2] * h.shape()[3]);
            return LinalgOps.matmul(feat, v[4]);                                                                     // [N, 1]
        };
        Function<Var[], Var> r1 = v -> {
            Var logits = d.apply(v);
            Var g = Var.grad(ReduceOps.sum(logits, false), (Var) null, new Var[]{v[0]}, true)[0];
            return ReduceOps.sum(ElementwiseOps.square(g), false, 1, 2, 3);                                         // per sample
        };
        Tensor[] xs = {Tensor.uniform(DType.F64, 1, -1, 1, 3, 2, 6, 6), Tensor.randn(DType.F64, 2, 3, 2, 3, 3), Tensor.randn(DType.F64, 3, 3),
                Tensor.randn(DType.F64, 4, 2, 3, 3, 3), Tensor.randn(DType.F64, 5, 3 * 3 * 3, 1)};
        GradCheck.Result r = GradCheck.check(r1, xs, 13, 1e-6);
        System.out.println("R1 of a tiny discriminator: " + r);
        assertTrue(r.relError() < TOL, r.toString());
    }

    @Test void gradWithoutCreateGraphAddsNothingToLeavesAndMatchesBackward() {
        Var x = Var.param(Tensor.uniform(DType.F64, 1, 0.5, 2, 3, 4)), w = Var.param(Tensor.randn(DType.F64, 2, 4, 2));
        Var y = ReduceOps.sum(ElementwiseOps.square(LinalgOps.matmul(x, w)), false);
        Var[] g = Var.grad(y, (Tensor) null, new Var[]{x}, false);
        assertNull(x.grad(), "grad() must not accumulate into leaves");
        assertNull(w.grad());
        y.backward();
        assertEquals(0, maxAbs(Ops.sub(g[0].value(), x.grad())), 1e-12);
        assertFalse(g[0].requiresGrad());
    }

    @Test void anUnusedInputGetsZerosAndAnOpWithoutADifferentiableRuleIsNamed() {
        Var x = Var.param(Tensor.uniform(DType.F64, 1, 0.5, 2, 3)), z = Var.param(Tensor.uniform(DType.F64, 2, 0.5, 2, 2));
        Var y = ReduceOps.sum(ElementwiseOps.square(x), false);
        Var[] g = Var.grad(y, (Tensor) null, new Var[]{x, z}, true);
        assertArrayEquals(new double[]{0, 0}, g[1].value().toDoubleArray());
        assertArrayEquals(Ops.scale(x.value(), 2).toDoubleArray(), g[0].value().toDoubleArray(), 1e-12);
        assertTrue(g[0].requiresGrad(), "with createGraph the gradient of x^2 depends on x");

        Var s = ReduceOps.sum(ElementwiseOps.square(ShapeOps.indexSelect(x, 0, 2, 0)), false);
        var ex = assertThrows(IllegalStateException.class, () -> Var.grad(s, (Tensor) null, new Var[]{x}, true));
        assertTrue(ex.getMessage().contains("indexSelect"), ex.getMessage());
    }
}
