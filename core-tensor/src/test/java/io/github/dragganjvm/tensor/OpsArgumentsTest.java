package io.github.dragganjvm.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arguments that torch rejects (or that would crash or silently misbehave inside a kernel) are refused by Ops with an
 * IllegalArgumentException that names the op and what is wrong: found by comparing random arguments with PyTorch.
 */
class OpsArgumentsTest {
    private static Tensor u(long seed, int... shape) { return Tensor.uniform(DType.F32, seed, -1, 1, shape); }

    /** Asserts body throws an IllegalArgumentException whose message contains every one of the words. */
    private static void refused(Executable body, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
        for (String w : words) assertTrue(e.getMessage().contains(w), "message '" + e.getMessage() + "' lacks '" + w + "'");
    }

    @Test void convolutionGeometry() {
        Tensor x = u(1, 1, 3, 6, 6), g = u(2, 1, 4, 4, 4);
        refused(() -> Ops.conv2dWeightGrad(x, g, 3, 3, 0, 0, 1), "conv2dWeightGrad", "stride");
        refused(() -> Ops.conv2dWeightGrad(x, g, 3, 3, 1, -1, 1), "conv2dWeightGrad", "padding");
        refused(() -> Ops.conv2dWeightGrad(x, g, 0, 3, 1, 0, 1), "conv2dWeightGrad", "kernel");
        refused(() -> Ops.conv2dWeightGrad(u(3, 1, 3, 2, 2), g, 5, 5, 1, 0, 1), "conv2dWeightGrad", "does not fit");
        refused(() -> Ops.conv2d(x, Tensor.zeros(DType.F32, 4, 3, 0, 3), 1, 0, 1), "conv2d", "kernel", "0x3");
        refused(() -> Ops.convTranspose2d(x, Tensor.zeros(DType.F32, 3, 4, 3, 0), 1, 0, 1), "convTranspose2d", "kernel");
        // still fine: the weight gradient of a valid conv
        assertArrayEquals(new int[]{4, 3, 3, 3}, Ops.conv2dWeightGrad(x, g, 3, 3, 1, 0, 1).shape());
    }

    @Test void resamplingInputs() {
        refused(() -> Ops.upfirdn2d(u(4, 1, 1, 4, 4), null, 1, 1, new int[4], 1, false), "upfirdn2d", "filter", "null");
        refused(() -> Ops.resizeBilinear(Tensor.zeros(DType.F32, 1, 1, 3, 0), 2, 3, false), "resizeBilinear", "no pixels");
        refused(() -> Ops.gridSample(Tensor.zeros(DType.F32, 1, 1, 0, 4), u(5, 1, 2, 2, 2), false), "gridSample", "no pixels");
    }

    @Test void biasActArguments() {
        Tensor x = u(6, 2, 5), b = u(7, 5);
        refused(() -> Ops.biasAct(x, b, 1, null, 0.2, 1, -1), "biasAct", "activation");
        refused(() -> Ops.biasAct(x, b, 1, Activation.LRELU, 0.2, 1, Double.NaN), "biasAct", "clamp");
        refused(() -> Ops.biasActBackward(x, x, b, 1, Activation.LRELU, 0.2, 1, Double.NaN), "biasActBackward", "clamp");
        refused(() -> Ops.biasAct(Tensor.scalar(DType.F32, 1), u(8, 2), 0, Activation.LINEAR, 0, 1, -1), "biasAct", "scalar");
        // a scalar with a one-element bias is fine (torch broadcasts it)
        Tensor y = Ops.biasAct(Tensor.scalar(DType.F32, 1.5), Tensor.of(new float[]{0.25f}, 1), 0, Activation.LINEAR, 0, 2, -1);
        assertTrue(Math.abs(y.item() - 3.5) < 1e-6, "biasAct of a scalar: " + y.item());
    }

    @Test void inPlaceDestinations() {
        Tensor row = u(9, 1, 4), wide = row.expandView(3, 4);
        refused(() -> Ops.copyInto(u(10, 3, 4), wide), "copyInto", "expanded view", "dim 0");
        Tensor xe = u(11, 1, 2, 1, 3).expandView(1, 2, 4, 3);
        refused(() -> Ops.addBiasActInPlace(xe, u(12, 1, 2, 4, 3), null, 1, Activation.LINEAR, 0, 1, -1), "addBiasActInPlace", "expanded view");
        Tensor dst = Tensor.zeros(DType.F32, 3, 4);
        Ops.copyInto(wide, dst);                                   // reading an expanded view is fine
        assertTrue(dst.get(2, 1) == row.get(0, 1));
    }

    @Test void adamHyperParameters() {
        Tensor p = Tensor.zeros(DType.F32, 3), g = u(13, 3), m = Tensor.zeros(DType.F32, 3), v = Tensor.zeros(DType.F32, 3);
        refused(() -> Ops.adamStep(p, g, m, v, 1, 1e-3, 1.0, 0.99, 1e-8), "adamStep", "beta1");
        refused(() -> Ops.adamStep(p, g, m, v, 1, Double.NaN, 0.9, 0.99, 1e-8), "adamStep", "learning rate");
        refused(() -> Ops.adamStep(p, g, m, v, 1, -1e-3, 0.9, 0.99, 1e-8), "adamStep", "learning rate");
        refused(() -> Ops.adamStep(p, g, m, v, 1, 1e-3, 0.9, -0.1, 1e-8), "adamStep", "beta2");
        refused(() -> Ops.adamStep(p, g, m, v, 1, 1e-3, 0.9, 0.99, Double.NaN), "adamStep", "eps");
        Ops.adamStep(p, g, m, v, 1, 1e-3, 0.0, 0.99, 1e-8);        // StyleGAN2's betas (0, 0.99) are valid
    }

    @Test void modulatedConvKernelLargerThanInput() {
        Tensor x = u(14, 1, 3, 2, 2), w = u(15, 4, 3, 5, 5), s = u(16, 1, 3);
        refused(() -> Ops.modulatedConv2d(x, ModulatedWeight.plain(w), s, new ModulatedConvSpec(1, null, 1, true)), "modulatedConv2d", "does not fit");
    }
}
