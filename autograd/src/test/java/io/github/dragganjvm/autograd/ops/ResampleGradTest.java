package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Float64 random-direction gradient checks ({@link GradCheck}) of the resampling ops and the modulated conv, the
 * fused modulated conv against its composition from primitive ops, and the StyleGAN2 wrappers' sizes and
 * normalisation.
 */
class ResampleGradTest {
    private static final double TOL = 1e-7;

    private static void check(String what, Function<Var[], Var> f, Tensor... inputs) {
        GradCheck.Result r = GradCheck.check(f, inputs, 5, 1e-6);
        System.out.println(what + ": " + r);
        assertTrue(r.relError() < TOL, what + ": " + r);
    }

    private static Tensor randn(long seed, int... shape) { return Tensor.randn(DType.F64, seed, shape); }

    @Test void upfirdn2dGradients() {
        Tensor f = randn(1, 4, 4), f3 = randn(2, 3, 3);
        Tensor x = randn(3, 2, 3, 9, 7);
        check("upfirdn2d up 2 pad 2,1,2,1", v -> ResampleOps.upfirdn2d(v[0], f, 2, 1, new int[]{2, 1, 2, 1}, 4, false), x);
        check("upfirdn2d down 2", v -> ResampleOps.upfirdn2d(v[0], f, 1, 2, new int[]{1, 1, 1, 1}, 1, false), x);
        check("upfirdn2d down 2, odd leftover", v -> ResampleOps.upfirdn2d(v[0], f3, 1, 2, new int[]{0, 1, 2, 0}, 1, false), x);
        check("upfirdn2d blur", v -> ResampleOps.upfirdn2d(v[0], f, 1, 1, new int[]{1, 1, 1, 1}, 4, false), x);
        check("upfirdn2d up 2 flip uneven pad", v -> ResampleOps.upfirdn2d(v[0], f, 2, 1, new int[]{1, 2, 0, 3}, 4, true), x);
        check("upfirdn2d negative pad", v -> ResampleOps.upfirdn2d(v[0], f, 1, 1, new int[]{-1, 2, 1, -1}, 1, false), x);
        check("upfirdn2d up 3 down 2", v -> ResampleOps.upfirdn2d(v[0], f3, 3, 2, new int[]{1, 0, -1, 2}, 2, true), x);
        check("upsample2d", v -> ResampleOps.upsample2d(v[0], f, 2), x);
        check("filter2d", v -> ResampleOps.filter2d(v[0], f3, new int[]{1, 0, 0, 2}, 1.5), x);
    }

    /** StyleGAN2's [1,3,3,1] filter: upsample2d doubles the size and keeps a constant image constant inside. */
    @Test void upsample2dAndFilter2dOnConstantImage() {
        double[] k = {1, 3, 3, 1};
        Tensor f = Tensor.zeros(DType.F64, 4, 4);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) f.set(k[i] * k[j] / 64, i, j);
        Tensor x = Tensor.full(DType.F64, 2.5, 1, 2, 6, 5);
        Tensor up = ResampleOps.upsample2d(Var.constant(x), f, 2).value();
        assertArrayEquals(new int[]{1, 2, 12, 10}, up.shape());
        Tensor inner = up.sliceView(2, 2, 10).sliceView(3, 2, 8);
        Golden.assertClose("upsample2d interior of a constant", Tensor.full(DType.F64, 2.5, inner.shape()), inner, 1e-12);
        Tensor fl = ResampleOps.filter2d(Var.constant(x), f, new int[]{0, 0, 0, 0}, 1).value();
        assertArrayEquals(new int[]{1, 2, 6, 5}, fl.shape());
        Tensor inner2 = fl.sliceView(2, 2, 4).sliceView(3, 2, 3);
        Golden.assertClose("filter2d interior of a constant", Tensor.full(DType.F64, 2.5, inner2.shape()), inner2, 1e-12);
    }

    @Test void resizeBilinearGradients() {
        for (boolean ac : new boolean[]{false, true}) {
            Tensor x = randn(4, 2, 3, 5, 4);
            check("resize up align_corners " + ac, v -> ResampleOps.resizeBilinear(v[0], 11, 9, ac), x);
            check("resize down align_corners " + ac, v -> ResampleOps.resizeBilinear(v[0], 3, 2, ac), randn(5, 1, 2, 7, 5));
            check("resize to 1x1 align_corners " + ac, v -> ResampleOps.resizeBilinear(v[0], 1, 1, ac), randn(6, 1, 2, 4, 3));
        }
    }

    @Test void gridSampleGradients() {
        for (boolean ac : new boolean[]{false, true}) {
            Tensor x = randn(7, 2, 3, 6, 5), grid = Tensor.uniform(DType.F64, 8, -1.2, 1.2, 2, 4, 3, 2);
            check("gridSample x and grid, align_corners " + ac, v -> ResampleOps.gridSample(v[0], v[1], ac), x, grid);
        }
        // only what is asked for: a constant grid gets no gradient, a constant x still lets the grid's flow
        Var x = Var.param(randn(9, 1, 2, 4, 4)), grid = Var.constant(Tensor.uniform(DType.F64, 10, -1, 1, 1, 2, 2, 2));
        ResampleOps.gridSample(x, grid, false).backward(randn(11, 1, 2, 2, 2));
        assertNull(grid.grad());
        assertArrayEquals(new int[]{1, 2, 4, 4}, x.grad().shape());
    }

    @Test void normalize2ndMomentGradient() {
        check("normalize2ndMoment", v -> NormOps.normalize2ndMoment(v[0], 1e-8), randn(12, 3, 16));
    }

    // ------------------------------------------------------------------ modulated conv

    private static Tensor filter() {
        double[] k = {1, 3, 3, 1};
        Tensor f = Tensor.zeros(DType.F64, 4, 4);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) f.set(k[i] * k[j] / 64, i, j);
        return f;
    }

    /** (up, kernel, padding, demodulate) configurations: the synthesis convs, ToRGB, and a 1x1 up-sampling conv. */
    private static final int[][] CONFIGS = {{1, 3, 1, 1}, {1, 3, 1, 0}, {2, 3, 1, 1}, {2, 3, 1, 0}, {1, 1, 0, 0}, {1, 1, 0, 1}, {2, 1, 0, 1}};

    @Test void modulatedConv2dGradients() {
        Tensor f = filter();
        for (int[] cfg : CONFIGS) {
            int up = cfg[0], k = cfg[1], pad = cfg[2];
            boolean demod = cfg[3] == 1;
            Tensor x = randn(13, 2, 3, 5, 4), w = randn(14, 4, 3, k, k), s = randn(15, 2, 3);
            check("modulatedConv2d up " + up + " k " + k + " demodulate " + demod,
                    v -> ModulatedConv2d.apply(v[0], v[1], v[2], up, f, pad, demod), x, w, s);
        }
    }

    /** The fused op equals its composition from primitive ops: forward and every gradient, also when the weight is constant. */
    @Test void modulatedConv2dMatchesComposition() {
        Tensor f = filter();
        for (int[] cfg : CONFIGS) {
            int up = cfg[0], k = cfg[1], pad = cfg[2];
            boolean demod = cfg[3] == 1;
            for (boolean weightConstant : new boolean[]{false, true}) {
                String what = "up " + up + " k " + k + " demodulate " + demod + (weightConstant ? ", constant weight" : "");
                Tensor x = randn(16, 2, 3, 5, 4), w = randn(17, 4, 3, k, k), s = randn(18, 2, 3), g = null;
                Var[] a = {Var.param(x), weightConstant ? Var.constant(w) : Var.param(w), Var.param(s)};
                Var[] b = {Var.param(x), weightConstant ? Var.constant(w) : Var.param(w), Var.param(s)};
                Var ya = ModulatedConv2d.apply(a[0], a[1], a[2], up, f, pad, demod);
                Var yb = ModulatedConv2d.composed(b[0], b[1], b[2], up, f, pad, demod);
                Golden.assertCloseRel("modconv " + what + " out", yb.value(), ya.value(), 1e-12);
                g = randn(19, ya.shape());
                ya.backward(g);
                yb.backward(g);
                String[] names = {"x", "weight", "styles"};
                for (int i = 0; i < 3; i++) {
                    if (weightConstant && i == 1) {
                        assertNull(a[1].grad());
                        continue;
                    }
                    Golden.assertCloseRel("modconv " + what + " grad_" + names[i], b[i].grad(), a[i].grad(), 1e-12);
                }
            }
        }
    }

    @Test void modulatedConv2dArgumentErrors() {
        Var x = Var.param(randn(20, 2, 3, 5, 4)), w = Var.param(randn(21, 4, 3, 3, 3)), s = Var.param(randn(22, 2, 3));
        var e1 = assertThrows(IllegalArgumentException.class, () -> ModulatedConv2d.apply(x, w, Var.param(randn(23, 2, 5)), 1, null, 1, true));
        assertTrue(e1.getMessage().contains("styles"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> ModulatedConv2d.apply(x, w, s, 2, null, 1, true));
        assertTrue(e2.getMessage().contains("resample filter"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> ModulatedConv2d.apply(x, w, s, 3, filter(), 1, true));
        assertTrue(e3.getMessage().contains("up must be 1 or 2"), e3.getMessage());
    }
}
