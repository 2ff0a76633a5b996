package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The trainable generator against the reference trainer's step ({@code golden/train-128}: G of compact-128, z of two
 * seeds, const noise) and against the inference {@link Generator} with the same values.
 */
class TrainableGeneratorGoldenTest {
    private static final Checkpoint G = TrainGolden.generatorG();

    @Test
    void mappingAndImageMatchTheReferenceTrainer() {
        TrainableGenerator g = new TrainableGenerator(G.config(), G.params());
        Tensor z = Golden.npy(TrainGolden.FOLDER, "z");
        Var ws = g.mapping(Var.constant(z), 1, -1);
        Golden.assertClose("gmain_ws", Golden.npy(TrainGolden.FOLDER, "gmain_ws"), ws.value(), 1e-5);
        Var img = g.synthesis(ws, NoiseMode.CONST, 0);
        Golden.Diff d = Golden.assertClose("gmain_img", Golden.npy(TrainGolden.FOLDER, "gmain_img"), img.value(), 1e-4);
        System.out.printf("gmain_img relative to max |img|: %.3e%n", d.relToMax());
    }

    @Test
    void parametersAreTheGoldenGradientNamesInPyTorchOrder() {
        TrainableGenerator g = new TrainableGenerator(G.config(), G.params());
        List<String> golden = TrainGolden.manifestNames(TrainGolden.GMAIN_GRAD_G);
        assertEquals(golden, List.copyOf(g.parameters().keySet()), "parameter names and order = G.named_parameters()");
        for (String name : golden) {
            assertArrayEquals(Golden.npy(TrainGolden.FOLDER, TrainGolden.GMAIN_GRAD_G + name).shape(), g.parameter(name).shape(), name);
        }
        assertEquals(G.config().requiredShapes().size(), g.parameters().size() + g.buffers().size(), "parameters + buffers = every tensor");
    }

    /** One backward from the image reaches every raw parameter with a finite gradient of its shape. */
    @Test
    void backwardFromTheImageReachesEveryParameter() {
        TrainableGenerator g = new TrainableGenerator(G.config(), G.params());
        Tensor z0 = Golden.npy(TrainGolden.FOLDER, "z").sliceView(0, 0, 1).copy();           // one sample keeps it quick
        Var img = g.synthesis(g.mapping(Var.constant(z0), 1, -1), NoiseMode.CONST, 0);
        img.backward(Tensor.randn(DType.F32, 3, img.shape()));
        for (Map.Entry<String, Var> e : g.parameters().entrySet()) {
            Tensor grad = e.getValue().grad();
            assertNotNull(grad, e.getKey());
            assertArrayEquals(e.getValue().shape(), grad.shape(), e.getKey());
            double s = Ops.sumAll(Ops.square(grad)).item();
            assertTrue(Double.isFinite(s) && s > 0, e.getKey() + ": |grad|^2 = " + s);
        }
        g.zeroGrad();
        assertNull(g.parameter("synthesis.b4.const").grad());
    }

    @Test
    void sameFunctionAsTheInferenceGenerator() {
        TrainableGenerator g = new TrainableGenerator(G.config(), G.params());
        Generator inf = g.toInference();
        Tensor z = Golden.npy(TrainGolden.FOLDER, "z");
        try (var ng = GradMode.noGrad()) {
            for (double psi : new double[] {1, 0.7}) {
                for (int cutoff : new int[] {-1, 5}) {
                    Tensor ours = g.mapping(Var.constant(z), psi, cutoff).value();
                    Golden.assertClose("ws psi " + psi + " cutoff " + cutoff + " vs Generator.mapping", inf.mapping(z, psi, cutoff), ours, 0);
                }
            }
            Tensor ws = inf.mapping(z, 0.7, -1);
            for (NoiseMode mode : NoiseMode.values()) {
                Tensor want = inf.synthesis(Var.constant(ws), new Generator.Request(mode, 7, Integer.MAX_VALUE, Generator.ImageMode.NO_GRAD, 0)).image().value();
                Tensor got = g.synthesis(Var.constant(ws), mode, 7).value();
                // not bit-equal: Generator folds ToRGB's 1/sqrt(C) into its affine and its backend may convolve a constant
                // weight another way (packed, Winograd); a float32 rounding difference of a few ulps of max |img|
                Golden.assertCloseRel("image (" + mode + " noise) vs Generator", want, got, 2e-6);
            }
        }
    }
}
