package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

/**
 * Every op case of ../shared/golden/ops (except adam, tested with the optimizer) against the PyTorch / NVlabs
 * reference: forward output and the gradient of every differentiable input for the golden upstream gradient gout
 * (grad_X = d&lt;gout, out&gt;/dX). Parameters are those of golden/ops/manifest.json.
 *
 * <p>The inputs are float32 and the expected values float64 computed from those same inputs, so each case runs
 * twice: in F64 (host F64 tensors take the reference kernels on every CPU backend), where only summation order
 * separates us from the golden values (relative 1e-10 of the largest expected value), and in F32 on the default
 * backend (the vector kernels), where float32 rounding allows relative 1e-5 (measured: at most 2.5e-7).
 */
class GoldenOpsTest {
    private static final double RTOL64 = 1e-10, RTOL32 = 1e-5;

    /** What one case computes: differentiable inputs (in order) -> output; constants come from the loader. */
    @FunctionalInterface
    interface Body { Var apply(Var[] in, Function<String, Tensor> constant); }

    /** Runs a case in both dtypes and compares out and grad_{input} with the golden files. */
    private static void check(String name, String[] diff, Body body) { check(name, "", diff, body); }

    private static void check(String name, String label, String[] diff, Body body) {
        for (DType dt : new DType[]{DType.F64, DType.F32}) {
            Function<String, Tensor> load = file -> Golden.npy("ops", name + "__" + file).copyAs(dt);
            Var[] in = new Var[diff.length];
            for (int i = 0; i < diff.length; i++) in[i] = Var.param(load.apply(diff[i]));
            Var out = body.apply(in, load);
            out.backward(load.apply("gout"));
            double rtol = dt == DType.F64 ? RTOL64 : RTOL32;
            String what = name + label + " " + dt;
            Golden.assertCloseRel(what + " out", Golden.npy("ops", name + "__out"), out.value(), rtol);
            for (int i = 0; i < diff.length; i++) {
                Golden.assertCloseRel(what + " grad_" + diff[i], Golden.npy("ops", name + "__grad_" + diff[i]), in[i].grad(), rtol);
            }
        }
    }

    // ------------------------------------------------------------------ upfirdn2d

    private static void upfirdn(String name, int up, int down, int[] pad, double gain, boolean flip) {
        check(name, new String[]{"x"}, (v, c) -> ResampleOps.upfirdn2d(v[0], c.apply("f"), up, down, pad, gain, flip));
    }

    @Test void upfirdn2d0Up2() { upfirdn("upfirdn2d_0", 2, 1, new int[]{2, 1, 2, 1}, 4, false); }
    @Test void upfirdn2d1Down2() { upfirdn("upfirdn2d_1", 1, 2, new int[]{1, 1, 1, 1}, 1, false); }
    @Test void upfirdn2d2Blur() { upfirdn("upfirdn2d_2", 1, 1, new int[]{1, 1, 1, 1}, 4, false); }
    @Test void upfirdn2d3Up2FlipUnevenPad() { upfirdn("upfirdn2d_3", 2, 1, new int[]{1, 2, 0, 3}, 4, true); }
    @Test void upfirdn2d4NegativePad() { upfirdn("upfirdn2d_4", 1, 1, new int[]{-1, 2, 1, -1}, 1, false); }

    // ------------------------------------------------------------------ bias_act

    @Test void biasActLreluClamp() {
        check("bias_act_lrelu_clamp", new String[]{"x", "b"},
                (v, c) -> ElementwiseOps.biasAct(v[0], v[1], 1, Activation.LRELU, 0.2, Math.sqrt(2), 0.8));
    }

    @Test void biasActLinearClamp() {
        check("bias_act_linear_clamp", new String[]{"x", "b"},
                (v, c) -> ElementwiseOps.biasAct(v[0], v[1], 1, Activation.LINEAR, 0, 1, 0.5));
    }

    // ------------------------------------------------------------------ modulated conv

    private static void modconv(String name, int up, int padding, boolean demodulate) {
        String[] diff = {"x", "weight", "styles"};
        // the fused op and its composition from primitive ops must both reproduce NVlabs
        check(name, " (fused op)", diff, (v, c) -> ModulatedConv2d.apply(v[0], v[1], v[2], up, up == 2 ? c.apply("f") : null, padding, demodulate));
        check(name, " (composed)", diff, (v, c) -> ModulatedConv2d.composed(v[0], v[1], v[2], up, up == 2 ? c.apply("f") : null, padding, demodulate));
    }

    @Test void modconvUp1Fused() { modconv("modconv_up1_demod_fused1", 1, 1, true); }
    @Test void modconvUp1NotFused() { modconv("modconv_up1_demod_fused0", 1, 1, true); }
    @Test void modconvUp2Fused() { modconv("modconv_up2_demod_fused1", 2, 1, true); }
    @Test void modconvUp2NotFused() { modconv("modconv_up2_demod_fused0", 2, 1, true); }
    @Test void modconvToRgb() { modconv("modconv_torgb", 1, 0, false); }

    // ------------------------------------------------------------------ mapping network pieces

    @Test void normalize2ndMoment() {
        check("normalize_2nd_moment", new String[]{"z"}, (v, c) -> NormOps.normalize2ndMoment(v[0], 1e-8));
    }

    /** FullyConnectedLayer(lr_multiplier 0.01, lrelu): weight gain 0.01/sqrt(in), bias gain 0.01, lrelu 0.2 times sqrt 2. */
    @Test void fullyConnectedLrMultiplierLrelu() {
        check("fc_lrmul_lrelu", new String[]{"x", "weight", "bias"}, (v, c) -> {
            double lr = 0.01, wg = lr / Math.sqrt(v[0].shape()[1]);
            Var y = LinalgOps.linear(v[0], v[1], null, wg, 1);
            return ElementwiseOps.biasAct(y, ElementwiseOps.affine(v[2], lr, 0), 1, Activation.LRELU, 0.2, Math.sqrt(2), -1);
        });
    }

    // ------------------------------------------------------------------ bilinear resize and grid sampling

    @Test void interpolateUpAlignCornersFalse() { interpolate("interpolate_up_ac0", 11, 9, false); }
    @Test void interpolateDownAlignCornersFalse() { interpolate("interpolate_down_ac0", 3, 2, false); }
    @Test void interpolateUpAlignCornersTrue() { interpolate("interpolate_up_ac1", 11, 9, true); }
    @Test void interpolateDownAlignCornersTrue() { interpolate("interpolate_down_ac1", 3, 2, true); }

    private static void interpolate(String name, int h, int w, boolean ac) {
        check(name, new String[]{"x"}, (v, c) -> ResampleOps.resizeBilinear(v[0], h, w, ac));
    }

    @Test void gridSampleAlignCornersFalse() { gridSample("grid_sample_ac0", false); }
    @Test void gridSampleAlignCornersTrue() { gridSample("grid_sample_ac1", true); }

    private static void gridSample(String name, boolean ac) {
        check(name, new String[]{"x", "grid"}, (v, c) -> ResampleOps.gridSample(v[0], v[1], ac));
    }
}
