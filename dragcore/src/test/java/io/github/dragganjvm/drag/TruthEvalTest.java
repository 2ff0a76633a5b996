package io.github.dragganjvm.drag;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** TruthEval's bookkeeping with a scripted locator on a small random model, and its task drawing. */
class TruthEvalTest {
    private static final Generator G = RandomModels.create(32, 512, 1);
    // radii scaled so that a 32 px image gets r1 = 3, r2 = 6 (as DragSessionTest)
    private static final DragConfig CFG = DragConfig.reference().withFeatureBlock(16).withLr(2e-3).withRadiiAt512(48, 96);

    /** Returns script[call] on call number call (the last one again after that) and keeps every image it was given. */
    static class ScriptedLocator implements KeypointLocator {
        final float[][][] script;
        final List<Tensor> seen = new ArrayList<>();

        ScriptedLocator(float[][]... script) { this.script = script; }

        @Override public int count() { return script[0].length; }
        @Override public String name(int k) { return "point " + k; }
        @Override public float[][] locate(Tensor image) {
            seen.add(image.copy());
            return script[Math.min(seen.size() - 1, script.length - 1)];
        }
    }

    private static float[][] points(int k, double x0, double y0, double sx, double sy) {
        float[][] p = new float[k][2];
        for (int j = 0; j < k; j++) {
            p[j][0] = (float) (x0 + sx * j);
            p[j][1] = (float) (y0 + sy * j);
        }
        return p;
    }

    /** Distances come from the locator's start and final outputs; the drift leaves the dragged keypoint out. */
    @Test void distancesAndDriftAreComputedFromTheLocatorsOutputs() {
        int k = 2;
        float[][] a = points(5, 10.25, 8.5, 1, 2);                 // start: (10.25 + j, 8.5 + 2 j)
        float[][] b = new float[5][2];
        double[] moved = {0.5, 1.0, 0, 2.0, 0.25};                  // other keypoints move straight right by these
        for (int j = 0; j < 5; j++) {
            b[j][0] = (float) (a[j][0] + moved[j]);
            b[j][1] = a[j][1];
        }
        b[k][0] = 20.0f;                                            // the dragged one ends far off: must not count as drift
        b[k][1] = 3.0f;
        ScriptedLocator loc = new ScriptedLocator(a, b);
        TruthEval.Task task = new TruthEval.Task(0, 3, k, "point 2", 4, TruthEval.Direction.UP_LEFT);
        TruthEval.Outcome o = TruthEval.run(G, task, loc, CFG, 3);

        assertNull(o.skipped());
        assertEquals(2, loc.seen.size(), "the locator runs on the start and the final image");
        Tensor startImage = DragSession.fromSeed(G, 3, 0.7, NoiseMode.CONST, CFG).image();
        Golden.assertBitEqual("the locator's first image is the task's start image", startImage, loc.seen.get(0));
        assertTrue(Golden.diff(startImage, loc.seen.get(1)).maxAbs() > 0, "its second image is the dragged one");

        double s = 4 / Math.sqrt(2);
        assertEquals(new Point(a[k][0], a[k][1]), o.start());
        assertEquals(a[k][0] - s, o.target().x(), 1e-12);
        assertEquals(a[k][1] - s, o.target().y(), 1e-12);
        assertEquals(new Point(20, 3), o.end());
        double expectedDistance = Math.hypot(20 - (a[k][0] - s), 3 - (a[k][1] - s));
        double expectedDrift = (0.5 + 1.0 + 2.0 + 0.25) / 4;
        System.out.printf(Locale.ROOT, "target distance %.6f (expected %.6f), drift %.6f (expected %.6f), %d steps%n",
                o.targetDistance(), expectedDistance, o.drift(), expectedDrift, o.steps());
        assertEquals(expectedDistance, o.targetDistance(), 1e-5);
        assertEquals(expectedDrift, o.drift(), 1e-6);
        assertFalse(o.arrived(), "about 12 px from the target is no arrival");
        assertTrue(o.steps() >= 1 && o.steps() <= 3, "steps " + o.steps());
        assertTrue(o.seconds() > 0);

        // a final keypoint on the target within the stop distance counts as arrived
        float[][] onTarget = new float[5][];
        for (int j = 0; j < 5; j++) onTarget[j] = a[j].clone();
        onTarget[k] = new float[]{(float) (a[k][0] - s + 1.5), (float) (a[k][1] - s)};
        TruthEval.Outcome o2 = TruthEval.run(G, task, new ScriptedLocator(a, onTarget), CFG, 2);
        assertEquals(1.5, o2.targetDistance(), 1e-5);
        assertEquals(0, o2.drift(), 0);
        assertTrue(o2.arrived(), "1.5 px <= stop distance " + CFG.stopDistance(32));

        TruthEval.Summary sum = TruthEval.summarize(List.of(o, o2));
        assertEquals(2, sum.cases());
        assertEquals(0, sum.skipped());
        assertEquals((expectedDistance + 1.5) / 2, sum.targetDistance(), 1e-5);
        assertEquals(expectedDrift / 2, sum.drift(), 1e-6);
        assertEquals(1, sum.arrived());
    }

    /** A target off the image is not dragged: the outcome says why and carries no distances. */
    @Test void aTargetOffTheImageIsSkipped() {
        float[][] a = points(3, 29.5, 10, 0, 1);
        ScriptedLocator loc = new ScriptedLocator(a);
        TruthEval.Outcome o = TruthEval.run(G, new TruthEval.Task(0, 3, 1, "point 1", 3, TruthEval.Direction.RIGHT), loc, CFG, 5);
        assertNotNull(o.skipped());
        assertTrue(o.skipped().contains("off the 32 px image"), o.skipped());
        assertEquals(0, o.steps());
        assertTrue(Double.isNaN(o.targetDistance()));
        assertEquals(1, loc.seen.size(), "only the start image was located");
        TruthEval.Summary sum = TruthEval.summarize(List.of(o));
        assertEquals(1, sum.skipped());
        assertTrue(Double.isNaN(sum.targetDistance()));
    }

    @Test void aLocatorReturningTheWrongNumberOfPointsIsAnError() {
        KeypointLocator bad = new ScriptedLocator(points(3, 5, 5, 1, 1)) {
            @Override public float[][] locate(Tensor image) { return points(2, 5, 5, 1, 1); }
        };
        var e = assertThrows(IllegalStateException.class,
                () -> TruthEval.run(G, new TruthEval.Task(0, 3, 0, "point 0", 3, TruthEval.Direction.DOWN), bad, CFG, 1));
        assertTrue(e.getMessage().contains("2 keypoints") && e.getMessage().contains("expected 3"), e.getMessage());
    }

    /** Tasks: deterministic, from the draggable list, integer magnitudes 3..6 px at 64 px along the named direction. */
    @Test void tasksAreDeterministicAndDescribedByTheirOffset() {
        ScriptedLocator loc = new ScriptedLocator(points(17, 0, 0, 1, 1));
        int[] draggable = {12, 13, 9, 2};
        Set<Integer> keypoints = new HashSet<>(), magnitudes = new HashSet<>();
        EnumSet<TruthEval.Direction> directions = EnumSet.noneOf(TruthEval.Direction.class);
        List<TruthEval.Task> first = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            TruthEval.Task t = TruthEval.task(i, 7, 64, loc, draggable);
            first.add(t);
            assertEquals(t, TruthEval.task(i, 7, 64, loc, draggable), "task " + i + " is deterministic");
            assertEquals(i, t.index());
            assertEquals(7 + i, t.imageSeed());
            assertTrue(List.of(12, 13, 9, 2).contains(t.keypoint()), "keypoint " + t.keypoint());
            assertEquals("point " + t.keypoint(), t.keypointName());
            int m = (int) t.magnitude();
            assertTrue(t.magnitude() == m && m >= 3 && m <= 6, "magnitude " + t.magnitude());
            assertEquals(m, Math.hypot(t.dx(), t.dy()), 1e-12, "offset length of task " + i);
            // the direction's words against the offset's signs (y grows downwards)
            String label = t.direction().label();
            assertEquals(label.contains("right") ? 1 : label.contains("left") ? -1 : 0, (int) Math.signum(t.dx()), label);
            assertEquals(label.contains("down") ? 1 : label.contains("up") ? -1 : 0, (int) Math.signum(t.dy()), label);
            assertEquals("point " + t.keypoint() + " " + m + " px " + label, t.description());
            TruthEval.Task at128 = TruthEval.task(i, 7, 128, loc, draggable);
            assertEquals(2 * t.magnitude(), at128.magnitude(), 0, "magnitudes scale with the resolution");
            assertEquals(t.direction(), at128.direction());
            keypoints.add(t.keypoint());
            magnitudes.add(m);
            directions.add(t.direction());
        }
        assertEquals(Set.of(12, 13, 9, 2), keypoints);
        assertEquals(Set.of(3, 4, 5, 6), magnitudes);
        assertEquals(EnumSet.allOf(TruthEval.Direction.class), directions);
        long same = 0;
        for (int i = 0; i < 400; i++) {
            TruthEval.Task o = TruthEval.task(i, 8, 64, loc, draggable);
            if (o.keypoint() == first.get(i).keypoint() && o.magnitude() == first.get(i).magnitude() && o.direction() == first.get(i).direction()) same++;
        }
        assertTrue(same < 40, "another seed0 draws other tasks (" + same + " of 400 equal)");
        assertEquals("left mouth corner 4 px up", new TruthEval.Task(0, 0, 12, "left mouth corner", 4, TruthEval.Direction.UP).description());
        assertEquals("chin 4.5 px down-left", new TruthEval.Task(0, 0, 2, "chin", 4.5, TruthEval.Direction.DOWN_LEFT).description());
        assertThrows(IllegalArgumentException.class, () -> TruthEval.task(0, 7, 64, loc, new int[]{17}));
        assertThrows(IllegalArgumentException.class, () -> TruthEval.task(0, 7, 64, loc, new int[0]));
    }
}
