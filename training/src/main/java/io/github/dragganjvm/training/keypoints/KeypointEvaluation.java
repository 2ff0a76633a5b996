package io.github.dragganjvm.training.keypoints;

import io.github.dragganjvm.data.toy.Keypoint;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How far a {@link KeypointDetector}'s predictions are from the truth on toy faces: per keypoint, the Euclidean
 * pixel error {@code |predicted - true|} of every image, and its mean, 95th percentile (nearest rank:
 * the ceil(0.95 n)-th smallest) and maximum.
 *
 * @param firstSeed first face seed; the faces are seeds firstSeed .. firstSeed + count - 1
 * @param jitter    the degradation applied to the images ({@link ImageJitter#NONE}: the clean renders)
 * @param errors    {@code [K][count]} pixel errors in {@link Keypoint} order
 */
public record KeypointEvaluation(long firstSeed, ImageJitter jitter, double[][] errors) {
    /** Faces rendered and predicted at once. */
    private static final int CHUNK = 100;

    /**
     * Evaluates on {@code count} faces from {@code firstSeed}.
     *
     * @param jitterSeed seed of the jitter's random draws (unused for {@link ImageJitter#NONE})
     */
    public static KeypointEvaluation run(KeypointDetector detector, long firstSeed, int count, ImageJitter jitter, long jitterSeed) {
        if (count < 1) throw new IllegalArgumentException("KeypointEvaluation: count must be >= 1 but is " + count);
        int k = KeypointDetector.KEYPOINTS;
        double[][] err = new double[k][count];
        SplittableRandom rng = new SplittableRandom(jitterSeed);
        for (int from = 0; from < count; from += CHUNK) {
            int n = Math.min(CHUNK, count - from);
            long[] seeds = new long[n];
            for (int i = 0; i < n; i++) seeds[i] = firstSeed + from + i;
            ToyKeypointBatch b = ToyKeypointBatch.of(detector.resolution(), seeds, jitter, rng);
            float[][][] pred = detector.predict(b.images());
            float[] truth = b.targets().toFloatArray();
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < k; p++) {
                    double dx = pred[i][p][0] - truth[(i * k + p) * 2], dy = pred[i][p][1] - truth[(i * k + p) * 2 + 1];
                    err[p][from + i] = Math.hypot(dx, dy);
                }
            }
        }
        return new KeypointEvaluation(firstSeed, jitter, err);
    }

    /** Number of faces. */
    public int count() { return errors[0].length; }

    /** Mean pixel error of one keypoint. */
    public double mean(Keypoint k) { return Arrays.stream(errors[k.ordinal()]).average().orElseThrow(); }

    /** 95th-percentile pixel error of one keypoint (nearest rank). */
    public double p95(Keypoint k) { return percentile(errors[k.ordinal()], 0.95); }

    /** Largest pixel error of one keypoint. */
    public double max(Keypoint k) { return Arrays.stream(errors[k.ordinal()]).max().orElseThrow(); }

    /** Mean pixel error over every keypoint and image. */
    public double overallMean() { return Arrays.stream(errors).flatMapToDouble(Arrays::stream).average().orElseThrow(); }

    /** 95th-percentile pixel error over every keypoint and image. */
    public double overallP95() { return percentile(Arrays.stream(errors).flatMapToDouble(Arrays::stream).toArray(), 0.95); }

    /** Largest pixel error over every keypoint and image. */
    public double overallMax() { return Arrays.stream(errors).flatMapToDouble(Arrays::stream).max().orElseThrow(); }

    /** The keypoint with the largest mean error. */
    public Keypoint worst() {
        Keypoint w = Keypoint.values()[0];
        for (Keypoint k : Keypoint.values()) if (mean(k) > mean(w)) w = k;
        return w;
    }

    /** A Markdown table: one row per keypoint (mean, p95, max in pixels) and an "all" row. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| keypoint | mean px | p95 px | max px |%n|---|---:|---:|---:|%n"));
        for (Keypoint k : Keypoint.values()) {
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f |%n", k, mean(k), p95(k), max(k)));
        }
        sb.append(String.format(Locale.ROOT, "| **all** | **%.3f** | **%.3f** | **%.3f** |%n", overallMean(), overallP95(), overallMax()));
        return sb.toString();
    }

    private static double percentile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(q * s.length);
        return s[Math.max(0, rank - 1)];
    }
}
