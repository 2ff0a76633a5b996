package io.github.dragganjvm.drag;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Tensor;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A drag judged against an independent truth (the paper's face-landmark evaluation, section 4.2): a
 * {@link KeypointLocator} finds the keypoints of the start image, one keypoint is dragged by a known offset, and the
 * locator finds the keypoints again on the final image. Per task it reports
 * <ul>
 * <li><b>target distance</b>: |k1 - t| in px, where k0 is the dragged keypoint on the start image, t = k0 + offset the
 *     target (the drag's handle is k0, its target t, exactly as given) and k1 the same keypoint on the final image;</li>
 * <li><b>drift</b>: the mean over every other keypoint j of |k1_j - k0_j| in px (how much the rest of the face moved);</li>
 * <li>steps and seconds of the drag (the session's stop rule, at most {@code maxSteps}), whether the tracker stopped it
 *     (converged) and whether it truly arrived: target distance at most the stop distance.</li>
 * </ul>
 * Tasks are drawn deterministically from (seed0, i): image seed seed0 + i (psi {@value #PSI}, constant noise), a keypoint
 * from a caller-given draggable list, an offset of an integer magnitude {@value #MIN_OFFSET_PX}..{@value #MAX_OFFSET_PX}
 * px at {@value #OFFSET_RESOLUTION} px (scaled by resolution / {@value #OFFSET_RESOLUTION}) in one of 8 directions.
 */
public final class TruthEval {
    private TruthEval() {}

    /** Truncation of the task images. */
    public static final double PSI = 0.7;
    /** Smallest and largest offset magnitude (px) at {@link #OFFSET_RESOLUTION}. */
    public static final int MIN_OFFSET_PX = 3, MAX_OFFSET_PX = 6;
    /** Image side at which the offset magnitudes are given. */
    public static final int OFFSET_RESOLUTION = 64;

    /** The 8 directions of an offset; y grows downwards, so "up" is -y. */
    public enum Direction {
        RIGHT("right", 1, 0), DOWN_RIGHT("down-right", 1, 1), DOWN("down", 0, 1), DOWN_LEFT("down-left", -1, 1),
        LEFT("left", -1, 0), UP_LEFT("up-left", -1, -1), UP("up", 0, -1), UP_RIGHT("up-right", 1, -1);

        private final String label;
        private final int sx, sy;

        Direction(String label, int sx, int sy) {
            this.label = label;
            this.sx = sx;
            this.sy = sy;
        }

        /** As written in a task description, e.g. "up-left". */
        public String label() { return label; }

        /** x component of the unit vector. */
        public double dx() { return sx / Math.hypot(sx, sy); }

        /** y component of the unit vector. */
        public double dy() { return sy / Math.hypot(sx, sy); }
    }

    /**
     * One drag task.
     *
     * @param index        task number i
     * @param imageSeed    seed of the start image (seed0 + i)
     * @param keypoint     index of the dragged keypoint in the locator's output
     * @param keypointName its name (the locator's)
     * @param magnitude    length of the offset in px at the task's resolution
     * @param direction    direction of the offset
     */
    public record Task(int index, long imageSeed, int keypoint, String keypointName, double magnitude, Direction direction) {
        /** x of the offset in px. */
        public double dx() { return magnitude * direction.dx(); }

        /** y of the offset in px. */
        public double dy() { return magnitude * direction.dy(); }

        /** e.g. "left mouth corner 4 px up". */
        public String description() {
            String m = magnitude == Math.rint(magnitude) ? Long.toString((long) magnitude) : String.format(Locale.ROOT, "%.1f", magnitude);
            return keypointName + " " + m + " px " + direction.label();
        }
    }

    /**
     * The outcome of one task with one method. When the start keypoint or its target is off the image the drag is not
     * run: {@code skipped} says why, the distances are NaN and steps 0.
     *
     * @param start           dragged keypoint on the start image (the drag's handle), px
     * @param target          start + offset (the drag's target), px
     * @param end             dragged keypoint on the final image, px
     * @param trackerEnd      where the tracker believes the handle is at the end, px
     * @param targetDistance  |end - target| px
     * @param drift           mean over the other keypoints of their movement, px
     * @param steps           iterations run
     * @param converged       the session's stop rule ended the drag (the tracker saw the handle arrive)
     * @param arrived         targetDistance &lt;= the config's stop distance at this resolution
     * @param seconds         wall time of the drag alone (not the locator)
     * @param skipped         null, or why the drag was not run
     */
    public record Outcome(Task task, Point start, Point target, Point end, Point trackerEnd, double targetDistance, double drift,
                          int steps, boolean converged, boolean arrived, double seconds, String skipped) {}

    /** Means over the outcomes that ran (skipped ones only counted). */
    public record Summary(int cases, int skipped, double targetDistance, double trackerDistance, double drift,
                          int arrived, int converged, double steps, double seconds) {}

    /**
     * Task i of a run seeded with seed0 (see the class documentation), for images of the given resolution.
     *
     * @param locator   names the keypoints
     * @param draggable indices (into the locator's keypoints) a task may drag; non-empty, each in [0, count)
     */
    public static Task task(int i, long seed0, int resolution, KeypointLocator locator, int[] draggable) {
        if (i < 0) throw new IllegalArgumentException("TruthEval.task: index must be >= 0 but is " + i);
        if (resolution < 1) throw new IllegalArgumentException("TruthEval.task: resolution must be >= 1 but is " + resolution);
        if (draggable.length == 0) throw new IllegalArgumentException("TruthEval.task: the draggable list is empty");
        for (int k : draggable) {
            if (k < 0 || k >= locator.count()) throw new IllegalArgumentException("TruthEval.task: draggable keypoint " + k + " is not in [0, " + locator.count() + ")");
        }
        SplittableRandom r = new SplittableRandom(seed0 * 1_000_003L + i);
        int k = draggable[r.nextInt(draggable.length)];
        int px = MIN_OFFSET_PX + r.nextInt(MAX_OFFSET_PX - MIN_OFFSET_PX + 1);
        Direction d = Direction.values()[r.nextInt(Direction.values().length)];
        return new Task(i, seed0 + i, k, locator.name(k), px * (double) resolution / OFFSET_RESOLUTION, d);
    }

    /**
     * Runs one task: the session on the task's image (psi {@value #PSI}, constant noise) with one pair, handle = the
     * located start keypoint, target = handle + offset; the drag runs until the session's stop rule or maxSteps.
     */
    public static Outcome run(Generator g, Task task, KeypointLocator locator, DragConfig cfg, int maxSteps) {
        if (maxSteps < 1) throw new IllegalArgumentException("TruthEval.run: maxSteps must be >= 1 but is " + maxSteps);
        int res = g.resolution();
        DragSession s = DragSession.fromSeed(g, task.imageSeed(), PSI, NoiseMode.CONST, cfg);
        float[][] k0 = locate(locator, s.image(), "start");
        Point start = point(k0, task.keypoint());
        Point target = new Point(start.x() + task.dx(), start.y() + task.dy());
        String off = !start.inside(res) ? "start keypoint " + start + " is off the " + res + " px image"
                : !target.inside(res) ? "target " + target + " is off the " + res + " px image" : null;
        if (off != null) return new Outcome(task, start, target, null, null, Double.NaN, Double.NaN, 0, false, false, 0, off);
        s.addPair(start, target);
        long t0 = System.nanoTime();
        DragSession.RunResult rr = s.run(maxSteps, null);
        double secs = (System.nanoTime() - t0) / 1e9;
        float[][] k1 = locate(locator, s.image(), "final");
        Point end = point(k1, task.keypoint());
        double dist = end.distance(target);
        return new Outcome(task, start, target, end, rr.pairs().get(0).handle(), dist, drift(k0, k1, task.keypoint()),
                rr.steps(), rr.reason() == DragSession.EndReason.CONVERGED, dist <= cfg.stopDistance(res), secs, null);
    }

    /** Mean over j != excluded of |b_j - a_j| (px); NaN when there is no other keypoint. a, b: [K][2]. */
    public static double drift(float[][] a, float[][] b, int excluded) {
        double sum = 0;
        int n = 0;
        for (int j = 0; j < a.length; j++) {
            if (j == excluded) continue;
            sum += Math.hypot((double) b[j][0] - a[j][0], (double) b[j][1] - a[j][1]);
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Means of the outcomes that ran; counts of skipped, arrived and converged ones. */
    public static Summary summarize(List<Outcome> outcomes) {
        List<Outcome> ran = outcomes.stream().filter(o -> o.skipped() == null).toList();
        return new Summary(outcomes.size(), outcomes.size() - ran.size(),
                mean(ran.stream().mapToDouble(Outcome::targetDistance).toArray()),
                mean(ran.stream().mapToDouble(o -> o.trackerEnd().distance(o.target())).toArray()),
                mean(ran.stream().mapToDouble(Outcome::drift).toArray()),
                (int) ran.stream().filter(Outcome::arrived).count(), (int) ran.stream().filter(Outcome::converged).count(),
                mean(ran.stream().mapToDouble(Outcome::steps).toArray()),
                mean(ran.stream().mapToDouble(Outcome::seconds).toArray()));
    }

    private static double mean(double[] v) {
        if (v.length == 0) return Double.NaN;
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    private static Point point(float[][] k, int i) { return new Point(k[i][0], k[i][1]); }

    /** The locator's keypoints of image, checked: K rows of 2 finite numbers. */
    private static float[][] locate(KeypointLocator locator, Tensor image, String which) {
        float[][] k = locator.locate(image);
        if (k == null || k.length != locator.count()) {
            throw new IllegalStateException("TruthEval: the locator returned " + (k == null ? "null" : k.length + " keypoints")
                    + " for the " + which + " image, expected " + locator.count());
        }
        for (int j = 0; j < k.length; j++) {
            if (k[j] == null || k[j].length != 2 || !Float.isFinite(k[j][0]) || !Float.isFinite(k[j][1])) {
                throw new IllegalStateException("TruthEval: the locator's keypoint " + j + " (" + locator.name(j) + ") on the " + which
                        + " image is not two finite numbers");
            }
        }
        return k;
    }
}
