package io.github.dragganjvm.drag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.stylegan.io.StyleGan3Checkpoint;
import io.github.dragganjvm.stylegan.sg3.StyleGan3Generator;
import io.github.dragganjvm.tensor.Backend;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drag on StyleGAN3 (golden/sg3-t-256, sg3-r-256; the stored input transform, as the goldens) against the
 * reference's recorded drag, on both CPU backends: the feature is layer L5 (84x84, margins included) resized whole to
 * 256x256 (f0 at handle 0 within 1e-3); tracked points identical at every step, loss within 1e-4 relative, dL/dw within 1e-3 relative (max-norm),
 * final w+ within 1e-5, final image within 1e-3.
 */
class StyleGan3DragGoldenTest {
    @ParameterizedTest(name = "{0} drag 0 [{1}]")
    @CsvSource({"sg3-t-256, vector", "sg3-r-256, vector", "sg3-t-256, reference", "sg3-r-256, reference"})
    void reproducesReferenceDrag(String folder, String backend) throws Exception {
        Backend before = Backends.current();
        Backends.use(backend);
        try {
            JsonNode manifest = new ObjectMapper().readTree(Golden.dir(folder).resolve("manifest.json").toFile());
            JsonNode drag = manifest.get("drags").get(0), c = drag.get("case");
            StyleGan3Checkpoint ck = assertInstanceOf(StyleGan3Checkpoint.class, Checkpoints.loadModel(Golden.dir(folder).resolve("model.pkl")));
            StyleGan3Generator g = new StyleGan3Generator(ck.config(), ck.params(), StyleGan3Generator.InputTransform.STORED);
            DragConfig cfg = DragConfig.reference().withLr(c.get("lr").asDouble());
            assertEquals(manifest.get("drag_params").get("feature_idx").asInt(), g.featureIndex(cfg.featureBlockRes()), "the reference's feature index");
            assertEquals(manifest.get("drag_params").get("r1_px").asInt(), cfg.r1(g.resolution()));
            assertEquals(manifest.get("drag_params").get("r2_px").asInt(), cfg.r2(g.resolution()));
            int seed = c.get("seed").asInt();
            DragSession s = DragSession.fromWs(g, Golden.npy(folder, "seed" + seed + "_ws"), NoiseMode.CONST, seed, cfg);
            for (int i = 0; i < c.get("points").size(); i++) {
                JsonNode p = c.get("points").get(i), t = c.get("targets").get(i);   // [row, col]
                s.addPair(new Point(p.get(1).asDouble(), p.get(0).asDouble()), new Point(t.get(1).asDouble(), t.get(0).asDouble()));
            }
            String pre = folder + " drag 0 [" + backend + "]";
            try (var ng = GradMode.noGrad()) {                                     // f0: L5 resized whole, read at handle 0
                Generator.Output out = g.synthesis(Var.constant(s.ws()), Generator.Request.full(NoiseMode.CONST));
                FeatureMap f = new FeatureMap(g.dragFeature(out, cfg.featureBlockRes()), g.resolution(), true);
                Tensor f0 = PointTracker.featureAt(f, s.pairs().getFirst().handle());
                Golden.assertClose(pre + " f0 at handle 0", Golden.npy(folder, "drag0_feat0_resize_center").reshapeView(-1), f0, 1e-3);
            }
            int steps = c.get("steps").asInt();
            for (int n = 0; n < steps; n++) {
                DragSession.StepResult r = s.step(false);
                JsonNode ref = drag.get("steps").get(n);
                List<Point> expected = new ArrayList<>();
                for (JsonNode p : ref.get("points_after_tracking")) expected.add(new Point(p.get(1).asDouble(), p.get(0).asDouble()));
                assertEquals(expected, r.handles(), pre + " step " + n + ": tracked points");
                double refLoss = ref.get("loss").asDouble();
                System.out.printf("%s step %d: loss %.9g reference %.9g rel %.2e%n", pre, n, r.loss(), refLoss, Math.abs(r.loss() - refLoss) / refLoss);
                assertTrue(Math.abs(r.loss() - refLoss) <= 1e-4 * Math.abs(refLoss), pre + " step " + n + ": loss " + r.loss() + " vs " + refLoss);
                assertEquals(ref.get("stop").asBoolean(), r.done(), pre + " step " + n + ": stop");
                Golden.assertCloseRel(pre + " step " + n + " dL/dw", Golden.npy(folder, "drag0_step" + n + "_grad"), s.lastGradient(), 1e-3);
            }
            Golden.assertClose(pre + " final w+", Golden.npy(folder, "drag0_final_ws"), s.ws(), 1e-5);
            Tensor img = s.image();
            Golden.assertClose(pre + " final image", Golden.npy(folder, "drag0_final_img"), img, 1e-3);
        } finally {
            Backends.use(before);
        }
    }
}
