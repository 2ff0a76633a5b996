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
 * Stop, then Start: the reference renderer keeps Adam and the tracking references (f0, F0) while the points are
 * unchanged, so a drag split into two runs is the reference's one uninterrupted drag (golden/compact-128: drag 0
 * five steps split 2 + 3, drag 1 with a mask four steps split 2 + 2). Checked at every step as the golden drag test
 * does: tracked points identical, loss within 1e-4 relative, dL/dw within 1e-3 relative; final w+ within 1e-4,
 * final image within 1e-3. A fresh Adam or recaptured references at the second run would break the steps after it.
 */
class StopStartGoldenTest {
    static final String FOLDER = "compact-128";

    @ParameterizedTest(name = "drag {0}: run({1}) then run({2})")
    @CsvSource({"0, 2, 3", "1, 2, 2"})
    void twoRunsEqualOneReferenceDrag(int k, int first, int second) throws Exception {
        JsonNode drag = new ObjectMapper().readTree(Golden.dir(FOLDER).resolve("manifest.json").toFile()).get("drags").get(k);
        JsonNode c = drag.get("case");
        assertEquals(first + second, c.get("steps").asInt(), "the split covers the recorded drag");
        Checkpoint ck = Checkpoints.load(Golden.dir(FOLDER).resolve("model.pkl"));
        Generator g = new Generator(ck.config(), ck.params());
        int seed = c.get("seed").asInt();
        DragConfig cfg = DragConfig.reference().withLr(c.has("lr") ? c.get("lr").asDouble() : 1e-3)
                .withLambda(c.has("lambda_mask") ? c.get("lambda_mask").asDouble() : 20);
        DragSession s = DragSession.fromWs(g, Golden.npy(FOLDER, "seed" + seed + "_ws"), NoiseMode.CONST, seed, cfg);
        for (int i = 0; i < c.get("points").size(); i++) {
            JsonNode p = c.get("points").get(i), t = c.get("targets").get(i);   // [row, col]
            s.addPair(new Point(p.get(1).asDouble(), p.get(0).asDouble()), new Point(t.get(1).asDouble(), t.get(0).asDouble()));
        }
        if (c.has("mask")) {
            JsonNode b = c.get("mask");                                           // [row0, row1, col0, col1] flexible
            s.setMask(Mask.allFixed(g.resolution()).withFlexibleBox(b.get(2).asInt(), b.get(0).asInt(), b.get(3).asInt(), b.get(1).asInt()));
        }
        List<DragSession.StepResult> steps = new ArrayList<>();
        List<Tensor> grads = new ArrayList<>();
        DragSession.StepListener keep = r -> {
            steps.add(r);
            grads.add(s.lastGradient());
        };
        assertEquals(first, s.run(first, keep).steps());
        assertEquals(second, s.run(second, keep).steps());

        String pre = FOLDER + " drag " + k + " split " + first + "+" + second;
        for (int n = 0; n < first + second; n++) {
            JsonNode ref = drag.get("steps").get(n);
            DragSession.StepResult r = steps.get(n);
            List<Point> expected = new ArrayList<>();
            for (JsonNode p : ref.get("points_after_tracking")) expected.add(new Point(p.get(1).asDouble(), p.get(0).asDouble()));
            assertEquals(expected, r.handles(), pre + " step " + n + ": tracked points");
            double refLoss = ref.get("loss").asDouble();
            System.out.printf("%s step %d: loss %.9g reference %.9g rel %.2e%n", pre, n, r.loss(), refLoss, Math.abs(r.loss() - refLoss) / refLoss);
            assertTrue(Math.abs(r.loss() - refLoss) <= 1e-4 * Math.abs(refLoss), pre + " step " + n + ": loss " + r.loss() + " vs " + refLoss);
            assertEquals(ref.get("stop").asBoolean(), r.done(), pre + " step " + n + ": stop");
            Golden.assertCloseRel(pre + " step " + n + " dL/dw", Golden.npy(FOLDER, "drag" + k + "_step" + n + "_grad"), grads.get(n), 1e-3);
        }
        Golden.assertClose(pre + " final w+", Golden.npy(FOLDER, "drag" + k + "_final_ws"), s.ws(), 1e-4);
        Golden.assertClose(pre + " final image", Golden.npy(FOLDER, "drag" + k + "_final_img"), s.image(), 1e-3);
        assertEquals(List.of(DragSession.Start.FRESH, DragSession.Start.CONTINUED), s.history().stream().map(DragSession.DragRecord::start).toList());
    }
}
