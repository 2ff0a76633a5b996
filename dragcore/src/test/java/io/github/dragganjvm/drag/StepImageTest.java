package io.github.dragganjvm.drag;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A step's image (continued from the step's own forward, rendered on demand, on any thread) is exactly the image of
 * a whole synthesis of the pre-step w+ with that step's noise: {@link DragSession#image()} just before the step.
 */
class StepImageTest {
    private static final Generator G = noisyModel();
    private static final DragConfig CFG = DragConfig.reference().withFeatureBlock(16).withLr(2e-2).withRadiiAt512(48, 96);

    /** A 32 px random model whose noise strengths are not 0 (the built-in ones' are), so RANDOM noise shows. */
    private static Generator noisyModel() {
        var cfg = RandomModels.config(32, 512);
        Map<String, Tensor> p = new LinkedHashMap<>();
        long seed = 200;
        for (Map.Entry<String, int[]> e : cfg.requiredShapes().entrySet()) {
            String name = e.getKey();
            Tensor t = Tensor.randn(DType.F32, seed++, e.getValue());
            if (name.endsWith("noise_strength")) t = Tensor.full(DType.F32, 0.5, e.getValue());
            else if (name.startsWith("mapping.fc")) t = Ops.scale(t, 1 / cfg.mappingLrMultiplier());
            else if (name.equals("mapping.w_avg")) t = Tensor.zeros(DType.F32, e.getValue());
            p.put(name, t);
        }
        return new Generator(cfg, p);
    }

    private static DragSession session(NoiseMode noise, boolean direct) {
        DragSession s = DragSession.fromSeed(G, 3, 0.7, noise, CFG.withDirectSampling(direct));
        s.addPair(new Point(10, 12), new Point(20, 14));
        return s;
    }

    @Test void everyStepImageEqualsTheWholeSynthesisOfItsLatent() {
        for (NoiseMode noise : NoiseMode.values()) {
            for (boolean direct : new boolean[]{true, false}) {
                DragSession s = session(noise, direct);
                Tensor first = null;
                for (int k = 1; k <= 4; k++) {
                    Tensor expected = s.image();                  // the current w+ with the next forward's noise
                    if (first == null) first = expected;
                    DragSession.StepResult r = s.step(true);
                    assertFalse(direct && r.pendingImage().isRendered(), "the direct path renders on demand");
                    Golden.assertBitEqual(noise + (direct ? ", direct" : ", straightforward") + ", step " + k, expected, r.image());
                    assertTrue(r.pendingImage().isRendered());
                }
                assertTrue(Golden.diff(first, s.image()).maxAbs() > 1e-4, noise + ": the drag changed the image");
            }
        }
    }

    @Test void renderingOnAnotherThreadDuringTheNextStepGivesTheSameImage() throws Exception {
        DragSession s = session(NoiseMode.RANDOM, true);
        for (int k = 1; k <= 3; k++) {
            Tensor expected = s.image();
            DragSession.StepResult r = s.step(true);
            CompletableFuture<Tensor> later = CompletableFuture.supplyAsync(r::image);
            s.step(false);                                            // the next step runs meanwhile
            Golden.assertBitEqual("step " + r.step() + " rendered beside the next", expected, later.get());
        }
    }

    @Test void aRunHandsEachImageOutAfterTheForwardToRenderBesideTheRestOfTheStep() throws Exception {
        DragSession s = session(NoiseMode.RANDOM, true);
        Map<Integer, Tensor> expected = new java.util.HashMap<>();
        Map<Integer, CompletableFuture<Tensor>> early = new java.util.HashMap<>();
        Map<Integer, DragSession.PendingImage> handedOut = new java.util.HashMap<>();
        expected.put(1, s.image());
        DragSession.RunResult rr = s.run(4, new DragSession.StepListener() {
            @Override public boolean wantImage(int nextStep) { return true; }

            @Override public void imageReady(int step, DragSession.PendingImage img) {
                assertFalse(img.isRendered(), "handed out before it is rendered");
                handedOut.put(step, img);
                early.put(step, CompletableFuture.supplyAsync(img::get));      // renders while the step goes on
            }

            @Override public void onStep(DragSession.StepResult r) {
                assertSame(handedOut.get(r.step()), r.pendingImage(), "the step's result carries the image handed out");
                expected.put(r.step() + 1, s.image());                           // the next step's pre-step image
            }
        });
        assertTrue(rr.steps() >= 1);
        for (int k = 1; k <= rr.steps(); k++) Golden.assertBitEqual("step " + k + " rendered during its step", expected.get(k), early.get(k).get());
    }

    @Test void noImageWhenNotAsked() {
        DragSession s = session(NoiseMode.CONST, true);
        DragSession.StepResult r = s.step(false);
        assertNull(r.pendingImage());
        assertNull(r.image());
    }
}
