package io.github.dragganjvm.drag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drag loop against the reference's recorded drags: tracked points identical at every step, loss within 1e-4
 * relative, dL/dw within 1e-3 relative (max-norm) at every step, final w+ within 1e-4, final image within 1e-3.
 * Run on both the direct-sampling path and the straightforward full-resize path.
 */
class DragGoldenTest {
    @ParameterizedTest(name = "{0} drag {1} direct={2}")
    @CsvSource({
            "compact-128, 0, true", "compact-128, 0, false",
            "compact-128, 1, true", "compact-128, 1, false",
            "tiny-random-256, 0, true", "tiny-random-256, 0, false",
            "tiny-random-256, 1, true", "tiny-random-256, 1, false",
            "variant-128, 0, true", "variant-128, 0, false"})
    void reproducesReferenceDrag(String folder, int k, boolean direct) throws Exception {
        JsonNode drag = new ObjectMapper().readTree(Golden.dir(folder).resolve("manifest.json").toFile()).get("drags").get(k);
        JsonNode c = drag.get("case");
        Checkpoint ck = Checkpoints.load(Golden.dir(folder).resolve("model.pkl"));
        Generator g = new Generator(ck.config(), ck.params());
        int seed = c.get("seed").asInt();
        DragConfig cfg = DragConfig.reference().withDirectSampling(direct)
                .withLr(c.has("lr") ? c.get("lr").asDouble() : 1e-3)
                .withLambda(c.has("lambda_mask") ? c.get("lambda_mask").asDouble() : 20);
        DragSession s = DragSession.fromWs(g, Golden.npy(folder, "seed" + seed + "_ws"), NoiseMode.CONST, seed, cfg);
        for (int i = 0; i < c.get("points").size(); i++) {
            JsonNode p = c.get("points").get(i), t = c.get("targets").get(i);   // [row, col]
            s.addPair(new Point(p.get(1).asDouble(), p.get(0).asDouble()), new Point(t.get(1).asDouble(), t.get(0).asDouble()));
        }
        if (c.has("mask")) {
            JsonNode b = c.get("mask");                                           // [row0, row1, col0, col1] flexible
            s.setMask(Mask.allFixed(g.resolution()).withFlexibleBox(b.get(2).asInt(), b.get(0).asInt(), b.get(3).asInt(), b.get(1).asInt()));
        }
        String pre = folder + " drag " + k + (direct ? " direct" : " full");
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
            Golden.assertCloseRel(pre + " step " + n + " dL/dw", Golden.npy(folder, "drag" + k + "_step" + n + "_grad"), s.lastGradient(), 1e-3);
        }
        Golden.assertClose(pre + " final w+", Golden.npy(folder, "drag" + k + "_final_ws"), s.ws(), 1e-4);
        Tensor img = s.image();
        Golden.assertClose(pre + " final image", Golden.npy(folder, "drag" + k + "_final_img"), img, 1e-3);
    }
}
