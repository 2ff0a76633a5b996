package io.github.dragganjvm.training;

import io.github.dragganjvm.data.ImageSource;
import io.github.dragganjvm.data.toy.ToyFaces;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.stylegan.io.DiscriminatorConfig;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The trainer's step, determinism and exact resume, on a tiny 16 px config with every phase switched on. */
class TrainerTest {
    static final GeneratorConfig G = new GeneratorConfig(512, 32, 0, 16, 3, 2, 0.01, 128, 16, null, 0, "skip");
    static final DiscriminatorConfig D = DiscriminatorConfig.of(16, 3, 128, 16);
    // every phase each step: path length and R1 every 2 steps, mixing always, random noise
    static final TrainingOptions OPTIONS = new TrainingOptions(4, 0.0025, 0.0025, 2, 2, 0.01, 0.05, 7,
            new StyleGAN2Loss.Settings(0.5, 1.0, 2, 2, 0.01, NoiseMode.RANDOM));
    static final ImageSource DATA = new ToyFaces(16);

    static Trainer fresh() {
        TrainableGenerator g = TrainableGenerator.initialised(G, 3, DType.F32);
        return new Trainer(OPTIONS, g, g.copy(), Discriminator.random(D, 4), DATA);
    }

    static void assertSameState(Trainer a, Trainer b) {
        assertSameTensors("G", a.generator().parameterTensors(), b.generator().parameterTensors());
        assertSameTensors("G_ema", a.generatorEma().parameterTensors(), b.generatorEma().parameterTensors());
        assertSameTensors("D", a.discriminator().parameterTensors(), b.discriminator().parameterTensors());
        for (int i = 0; i < a.generator().parameterList().size(); i++) {
            assertArrayEquals(a.optimizerG().firstMoment(i).toFloatArray(), b.optimizerG().firstMoment(i).toFloatArray(), "Adam m of G param " + i);
            assertArrayEquals(a.optimizerG().secondMoment(i).toFloatArray(), b.optimizerG().secondMoment(i).toFloatArray(), "Adam v of G param " + i);
        }
        assertEquals(a.optimizerD().steps(), b.optimizerD().steps());
        assertEquals(a.loss().plMean(), b.loss().plMean());
        assertEquals(a.curNimg(), b.curNimg());
    }

    static void assertSameTensors(String what, Map<String, Tensor> x, Map<String, Tensor> y) {
        assertEquals(x.keySet(), y.keySet(), what + " names");
        for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), what + "." + k + " differs");
    }

    @Test void everyPhaseRunsAndChangesOnlyItsNetwork() {
        Trainer t = fresh();
        Map<String, Tensor> g0 = t.generator().parameterTensors(), d0 = t.discriminator().saveTensors();   // copies (parameterTensors() are the live values)
        Trainer.StepStats s = t.runStep();
        assertEquals(4, s.phases().size(), "step 0 runs Gmain, Greg, Dmain, Dreg");
        for (StyleGAN2Loss.Stats p : s.phases()) assertTrue(Double.isFinite(p.loss()), p + " has a finite loss");
        assertTrue(s.of(StyleGAN2Loss.Phase.GREG).penalty() > 0, "the path-length penalty is measured");
        assertTrue(s.of(StyleGAN2Loss.Phase.DREG).penalty() > 0, "the R1 penalty is measured");
        int changedG = 0, changedD = 0;
        for (var e : t.generator().parameters().entrySet()) if (!Arrays.equals(g0.get(e.getKey()).toFloatArray(), e.getValue().value().toFloatArray())) changedG++;
        for (var e : t.discriminator().parameters().entrySet()) if (!Arrays.equals(d0.get(e.getKey()).toFloatArray(), e.getValue().value().toFloatArray())) changedD++;
        assertEquals(t.generator().parameters().size(), changedG, "Adam moves every G parameter");
        assertEquals(t.discriminator().parameters().size(), changedD, "Adam moves every D parameter");
        assertEquals(2, t.optimizerG().steps(), "G: Gmain and Greg each stepped the one lazy-regularisation Adam");
        s = t.runStep();
        assertEquals(2, s.phases().size(), "step 1 runs only Gmain and Dmain");
        assertNull(s.of(StyleGAN2Loss.Phase.DREG));
    }

    @Test void twoRunsWithTheSameSeedAreIdentical() {
        Trainer a = fresh(), b = fresh();
        for (int i = 0; i < 3; i++) {
            a.runStep();
            b.runStep();
        }
        assertSameState(a, b);
    }

    @Test void aResumedRunContinuesExactlyAsAnUninterruptedOne(@TempDir Path dir) throws Exception {
        Trainer straight = fresh();
        for (int i = 0; i < 5; i++) straight.runStep();

        Trainer first = fresh();
        for (int i = 0; i < 3; i++) first.runStep();
        Path snap = dir.resolve("snapshot.safetensors");
        TrainingSnapshot.save(snap, first, "toy:faces");
        Trainer resumed = TrainingSnapshot.restore(snap, DATA);
        assertEquals(3, resumed.step());
        for (int i = 0; i < 2; i++) resumed.runStep();
        assertSameState(straight, resumed);

        TrainingSnapshot.Info info = TrainingSnapshot.info(snap);
        assertEquals(G, info.gConfig());
        assertEquals(D, info.dConfig());
        assertEquals(OPTIONS, info.options());
        assertEquals("toy:faces", info.data());
        // the snapshot is also a model: its G_ema loads like any checkpoint
        Checkpoint ck = Checkpoints.load(snap);
        assertSameTensors("G_ema as a checkpoint", first.generatorEma().parameterTensors(), ck.params());
    }

    @Test void aModelFileIsNotASnapshot(@TempDir Path dir) throws Exception {
        Trainer t = fresh();
        Path model = dir.resolve("model.safetensors");
        Checkpoints.saveSafetensors(model, G, t.generatorEma().parameterTensors(), Map.of(), Map.of());
        var e = assertThrows(io.github.dragganjvm.stylegan.io.CheckpointException.class, () -> TrainingSnapshot.restore(model, DATA));
        assertTrue(e.getMessage().contains("not a training snapshot"), e.getMessage());
        assertTrue(Files.size(model) > 0);
    }

    @Test void nanToNumReplacesNonFiniteGradientsAsTorch() {
        Tensor g = Tensor.of(new float[]{1, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -2}, 5);
        Trainer.nanToNum(g);
        assertArrayEquals(new float[]{1, 0, 1e5f, -1e5f, -2}, g.toFloatArray());
    }
}
