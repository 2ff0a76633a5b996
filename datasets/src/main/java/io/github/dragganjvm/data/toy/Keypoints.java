package io.github.dragganjvm.data.toy;

import java.util.Arrays;
import java.util.Locale;

/**
 * The {@link Keypoint}s of one image at one resolution, in pixel coordinates: x = column, y = row, pixel centres at
 * integers (the image spans [-0.5, res - 0.5] on both axes). Immutable.
 */
public final class Keypoints {
    private static final Keypoint[] ALL = Keypoint.values();
    private final int resolution;
    private final double[] xy;   // [K, 2] in Keypoint order

    /**
     * @param resolution image side in pixels, >= 1
     * @param xy         {@code [K, 2]} flattened: x then y of each keypoint in {@link Keypoint} order (copied)
     */
    public Keypoints(int resolution, double[] xy) {
        if (resolution < 1) throw new IllegalArgumentException("Keypoints: resolution must be >= 1 but got " + resolution);
        if (xy.length != 2 * ALL.length) {
            throw new IllegalArgumentException("Keypoints: expected " + 2 * ALL.length + " coordinates ([" + ALL.length + ", 2]) but got " + xy.length);
        }
        this.resolution = resolution;
        this.xy = xy.clone();
    }

    /** Image side in pixels these coordinates refer to. */
    public int resolution() { return resolution; }

    /** Column of a keypoint. */
    public double x(Keypoint k) { return xy[2 * k.ordinal()]; }

    /** Row of a keypoint. */
    public double y(Keypoint k) { return xy[2 * k.ordinal() + 1]; }

    /** A copy of all coordinates, {@code [K, 2]} flattened (x, y per keypoint in {@link Keypoint} order). */
    public double[] toArray() { return xy.clone(); }

    /**
     * The same points at another resolution of the same picture: {@code p' = (p + 0.5) * newRes / res - 0.5}.
     */
    public Keypoints atResolution(int newResolution) {
        if (newResolution < 1) throw new IllegalArgumentException("Keypoints.atResolution: resolution must be >= 1 but got " + newResolution);
        double s = newResolution / (double) resolution;
        double[] out = new double[xy.length];
        for (int i = 0; i < xy.length; i++) out[i] = (xy[i] + 0.5) * s - 0.5;
        return new Keypoints(newResolution, out);
    }

    /**
     * The points of the left-right mirrored picture: {@code x' = res - 1 - x}, {@code y' = y}, and each point takes
     * the place of its {@link Keypoint#mirrored()} partner (the mirrored left eye is the new right eye).
     */
    public Keypoints mirrored() {
        double[] out = new double[xy.length];
        for (Keypoint k : ALL) {
            Keypoint m = k.mirrored();
            out[2 * m.ordinal()] = resolution - 1 - x(k);
            out[2 * m.ordinal() + 1] = y(k);
        }
        return new Keypoints(resolution, out);
    }

    @Override public boolean equals(Object o) {
        return o instanceof Keypoints k && k.resolution == resolution && Arrays.equals(k.xy, xy);
    }

    @Override public int hashCode() { return 31 * resolution + Arrays.hashCode(xy); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("Keypoints@" + resolution + "{");
        for (Keypoint k : ALL) {
            if (k.ordinal() > 0) sb.append(", ");
            sb.append(String.format(Locale.ROOT, "%s=(%.3f, %.3f)", k, x(k), y(k)));
        }
        return sb.append('}').toString();
    }
}
