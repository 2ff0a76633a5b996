package io.github.dragganjvm.training.quality;

import io.github.dragganjvm.data.Rgb8;
import io.github.dragganjvm.data.toy.Keypoint;
import io.github.dragganjvm.data.toy.ToyFaces;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.training.keypoints.KeypointDetector;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How close a generator trained on the toy world comes to it, judged by the toy-face keypoint detector (which never
 * saw a generated image and does not use the generator's features). For each image set, against a reference set of
 * real (rendered) faces:
 * <ul>
 *   <li><b>peak mass</b>: how sure the detector is where each part is (the softmax mass of the 3 x 3 heatmap cells
 *       around its most probable cell, averaged over keypoints and images; {@link KeypointDetector.Readout});</li>
 *   <li><b>found</b>: the fraction of keypoints whose peak mass is at least {@value #FOUND_MASS};</li>
 *   <li><b>FKD</b>: the Fréchet distance (squared, px^2) between the 34-dimensional keypoint vectors' Gaussians, i.e.
 *       whether the generated faces have the real faces' geometry: positions, sizes, tilts and their correlations;</li>
 *   <li><b>FDD</b>: the Fréchet distance between the detector's deepest features (FID with the detector as the
 *       embedding).</li>
 * </ul>
 * The same numbers for a second, disjoint set of real faces give the floor a perfect generator would reach with
 * this many images (sampling noise); a generator with random weights gives the ceiling.
 */
public final class GeneratorQuality {
    private GeneratorQuality() {}

    /** Peak mass from which a keypoint counts as found. */
    public static final double FOUND_MASS = 0.5;
    /** First seed of the reference real faces and of the second real set (far from the seeds training draws first). */
    public static final long REAL_REFERENCE_SEED = 1_000_000_000L, REAL_SECOND_SEED = 2_000_000_000L;
    /** Generated images per batch. */
    private static final int CHUNK = 32;

    /** One image set's numbers (see the class comment). */
    public record Row(String name, int count, double peakMass, double found, double fkd, double fdd) {}

    /** Detector readouts of real faces from firstSeed (count of them). */
    public static KeypointDetector.Readout real(KeypointDetector det, long firstSeed, int count) {
        int r = det.resolution(), per = 3 * r * r;
        ToyFaces faces = new ToyFaces(r);
        float[] img = new float[Math.multiplyExact(count, per)];
        for (int i = 0; i < count; i++) Rgb8.toUnit(faces.rgb8(firstSeed + i), img, i * per);
        return det.read(Tensor.of(img, count, 3, r, r));
    }

    /**
     * Detector readouts of a generator's images for seeds 0 .. count-1 (z from NumPy RandomState(seed), truncation psi,
     * constant noise).
     */
    public static KeypointDetector.Readout generated(KeypointDetector det, Generator g, int count, double psi) {
        if (g.resolution() != det.resolution()) {
            throw new IllegalArgumentException("GeneratorQuality: the generator draws " + g.resolution() + " px images but the detector reads " + det.resolution() + " px");
        }
        List<Tensor> imgs = new ArrayList<>();
        for (int i = 0; i < count; i++) imgs.add(g.generate(i, psi, NoiseMode.CONST).toHost());
        List<KeypointDetector.Readout> parts = new ArrayList<>();
        for (int from = 0; from < count; from += CHUNK) parts.add(det.read(Ops.cat(0, imgs.subList(from, Math.min(count, from + CHUNK)).toArray(Tensor[]::new))));
        return concat(parts);
    }

    /** The row of set x against the reference set. */
    public static Row row(String name, KeypointDetector.Readout x, KeypointDetector.Readout reference) {
        double mass = 0, found = 0;
        int n = x.peakMass().length, k = x.peakMass()[0].length;
        for (float[] m : x.peakMass()) {
            for (float v : m) {
                mass += v;
                if (v >= FOUND_MASS) found++;
            }
        }
        return new Row(name, n, mass / (n * k), found / (n * k),
                FrechetDistance.squared(keypointVectors(x), keypointVectors(reference)),
                FrechetDistance.squared(toDouble(x.features()), toDouble(reference.features())));
    }

    /** A Markdown table of rows. */
    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| images | n | peak mass | found (>= " + FOUND_MASS + ") | FKD (px^2) | FDD |\n|---|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %.1f %% | %.2f | %.4f |%n", r.name(), r.count(), r.peakMass(), 100 * r.found(), r.fkd(), r.fdd()));
        }
        return sb.toString();
    }

    /**
     * Per keypoint, where the detector finds it in two sets: mean and standard deviation of x and y (px), side by side
     * (the parts' position and spread; a generator that collapsed to few faces has small spreads).
     */
    public static String keypointTable(String nameA, KeypointDetector.Readout a, String nameB, KeypointDetector.Readout b) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "| keypoint | %s mean x, y | %s std x, y | %s mean x, y | %s std x, y |%n|---|---:|---:|---:|---:|%n",
                nameA, nameA, nameB, nameB));
        double[][] va = keypointVectors(a), vb = keypointVectors(b);
        double[] ma = FrechetDistance.mean(va), mb = FrechetDistance.mean(vb);
        double[] sa = std(va, ma), sb2 = std(vb, mb);
        for (Keypoint k : Keypoint.values()) {
            int i = 2 * k.ordinal();
            sb.append(String.format(Locale.ROOT, "| %s | %.1f, %.1f | %.2f, %.2f | %.1f, %.1f | %.2f, %.2f |%n", k.name().toLowerCase(Locale.ROOT),
                    ma[i], ma[i + 1], sa[i], sa[i + 1], mb[i], mb[i + 1], sb2[i], sb2[i + 1]));
        }
        return sb.toString();
    }

    /** Per coordinate, the unbiased standard deviation: the root of the covariance's diagonal. */
    private static double[] std(double[][] v, double[] mean) {
        double[][] c = FrechetDistance.covariance(v, mean);
        double[] s = new double[mean.length];
        for (int i = 0; i < s.length; i++) s[i] = Math.sqrt(c[i][i]);
        return s;
    }

    static double[][] keypointVectors(KeypointDetector.Readout r) {
        float[][][] kp = r.keypoints();
        double[][] v = new double[kp.length][];
        for (int i = 0; i < kp.length; i++) {
            v[i] = new double[kp[i].length * 2];
            for (int q = 0; q < kp[i].length; q++) {
                v[i][2 * q] = kp[i][q][0];
                v[i][2 * q + 1] = kp[i][q][1];
            }
        }
        return v;
    }

    private static double[][] toDouble(float[][] f) {
        double[][] d = new double[f.length][];
        for (int i = 0; i < f.length; i++) {
            d[i] = new double[f[i].length];
            for (int j = 0; j < f[i].length; j++) d[i][j] = f[i][j];
        }
        return d;
    }

    private static KeypointDetector.Readout concat(List<KeypointDetector.Readout> parts) {
        List<float[][]> kp = new ArrayList<>();
        List<float[]> mass = new ArrayList<>(), feat = new ArrayList<>();
        for (KeypointDetector.Readout p : parts) {
            kp.addAll(List.of(p.keypoints()));
            mass.addAll(List.of(p.peakMass()));
            feat.addAll(List.of(p.features()));
        }
        return new KeypointDetector.Readout(kp.toArray(float[][][]::new), mass.toArray(float[][]::new), feat.toArray(float[][]::new));
    }
}
