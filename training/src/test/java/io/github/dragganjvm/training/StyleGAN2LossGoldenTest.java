package io.github.dragganjvm.training;

import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The three phases of {@link StyleGAN2Loss} against one step of the reference trainer (../shared/golden/train-128:
 * G and D of compact-128, const noise, no mixing or path length, gamma 1): each phase's loss within 1e-5 relative and
 * the gradient of every parameter of the trained network within 1e-3 relative (max-norm), the other network's
 * gradients untouched.
 */
class StyleGAN2LossGoldenTest {
    static final String SET = "train-128";
    TrainableGenerator g;
    Discriminator d;
    StyleGAN2Loss loss;

    @BeforeEach
    void load() throws Exception {
        Checkpoint gc = TrainGolden.generatorG();
        g = new TrainableGenerator(gc.config(), gc.params());
        d = Discriminator.load(Golden.dir("compact-128").resolve("model.pkl"));
        loss = new StyleGAN2Loss(g, d, new StyleGAN2Loss.Settings(1.0, 0, 0, 2, 0.01, NoiseMode.CONST));
    }

    private static void assertRel(String what, double want, double got, double tol) {
        double rel = Math.abs(got - want) / Math.abs(want);
        System.out.printf("%s: golden %.9g ours %.9g rel %.2e%n", what, want, got, rel);
        assertTrue(rel <= tol, what + ": relative " + rel + " > " + tol);
    }

    @Test void gmainLossAndEveryGeneratorGradient() {
        StyleGAN2Loss.Stats s = loss.accumulate(StyleGAN2Loss.Phase.GMAIN, null, Golden.npy(SET, "z"), 0, 1);
        assertRel("Gmain loss", Golden.npy(SET, "gmain_loss").item(), s.loss(), 1e-5);
        TrainGolden.assertGradients(TrainGolden.GMAIN_GRAD_G, g.parameters(), 1e-3, gmainFloat64());
        for (var p : d.parameterList()) assertNull(p.grad(), "Gmain must not give D a gradient");
    }

    /** The same Gmain step in float64 (G and D converted), as the arbiter of float32 rounding in the golden file. */
    private Map<String, Tensor> gmainFloat64() {
        Map<String, Tensor> gp = new LinkedHashMap<>(), dp = new LinkedHashMap<>();
        g.parameterTensors().forEach((k, v) -> gp.put(k, v.copyAs(DType.F64)));
        d.parameterTensors().forEach((k, v) -> dp.put(k, v.copyAs(DType.F64)));
        TrainableGenerator g64 = new TrainableGenerator(g.config(), gp);
        Discriminator d64 = new Discriminator(d.config(), dp);
        new StyleGAN2Loss(g64, d64, loss.settings()).accumulate(StyleGAN2Loss.Phase.GMAIN, null, Golden.npy(SET, "z").copyAs(DType.F64), 0, 1);
        Map<String, Tensor> out = new LinkedHashMap<>();
        g64.parameters().forEach((k, v) -> out.put(k, v.grad()));
        return out;
    }

    @Test void dmainLossAndEveryDiscriminatorGradient() {
        StyleGAN2Loss.Stats s = loss.accumulate(StyleGAN2Loss.Phase.DMAIN, Golden.npy(SET, "real"), Golden.npy(SET, "z"), 0, 1);
        assertRel("Dmain loss", Golden.npy(SET, "dmain_loss").item(), s.loss(), 1e-5);
        DiscriminatorGoldenTest.assertGrads(d, "dmain_grad_D.", 1e-3);
        for (var p : g.parameterList()) assertNull(p.grad(), "Dmain must not give G a gradient");
    }

    @Test void dregR1LossAndEveryDiscriminatorGradient() {
        Tensor real = Golden.npy(SET, "real");
        StyleGAN2Loss.Stats s = loss.accumulate(StyleGAN2Loss.Phase.DREG, real, Golden.npy(SET, "z"), 0, 1);
        assertRel("Dreg loss", Golden.npy(SET, "dreg_loss").item(), s.loss(), 1e-5);
        DiscriminatorGoldenTest.assertGrads(d, "dreg_grad_D.", 1e-3);
    }

    @Test void theGainScalesTheGradient() {
        Tensor z = Golden.npy(SET, "z");
        loss.accumulate(StyleGAN2Loss.Phase.GMAIN, null, z, 0, 1);
        double[] once = g.parameter("synthesis.b8.conv0.weight").grad().toDoubleArray();
        g.zeroGrad();
        loss.accumulate(StyleGAN2Loss.Phase.GMAIN, null, z, 0, 16);
        double[] sixteen = g.parameter("synthesis.b8.conv0.weight").grad().toDoubleArray();
        for (int i = 0; i < once.length; i += 97) assertEquals(16 * once[i], sixteen[i], 1e-5 * Math.abs(16 * once[i]) + 1e-12);
    }
}
