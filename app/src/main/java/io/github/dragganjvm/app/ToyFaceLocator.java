package io.github.dragganjvm.app;

import io.github.dragganjvm.data.toy.Keypoint;
import io.github.dragganjvm.drag.KeypointLocator;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.training.keypoints.KeypointDetector;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The toy-face keypoint detector behind dragcore's {@link KeypointLocator} seam: keypoints in {@link Keypoint} order,
 * named for task descriptions ("left mouth corner"; left = image left, as {@link Keypoint}).
 */
final class ToyFaceLocator implements KeypointLocator {
    /** The keypoints a truth task may drag: marks with a visible position of their own. */
    static final List<Keypoint> DRAGGABLE = List.of(Keypoint.MOUTH_LEFT, Keypoint.MOUTH_RIGHT, Keypoint.LEFT_PUPIL, Keypoint.RIGHT_PUPIL,
            Keypoint.NOSE_TIP, Keypoint.CHIN, Keypoint.LEFT_BROW, Keypoint.RIGHT_BROW, Keypoint.UPPER_LIP, Keypoint.LOWER_LIP);

    private static final Map<Keypoint, String> NAMES = new EnumMap<>(Map.ofEntries(
            Map.entry(Keypoint.HEAD_CENTER, "head centre"), Map.entry(Keypoint.HEAD_TOP, "top of the head"),
            Map.entry(Keypoint.CHIN, "chin"), Map.entry(Keypoint.LEFT_EAR, "left ear"), Map.entry(Keypoint.RIGHT_EAR, "right ear"),
            Map.entry(Keypoint.LEFT_BROW, "left brow"), Map.entry(Keypoint.RIGHT_BROW, "right brow"),
            Map.entry(Keypoint.LEFT_EYE, "left eye"), Map.entry(Keypoint.RIGHT_EYE, "right eye"),
            Map.entry(Keypoint.LEFT_PUPIL, "left pupil"), Map.entry(Keypoint.RIGHT_PUPIL, "right pupil"),
            Map.entry(Keypoint.NOSE_TIP, "nose tip"), Map.entry(Keypoint.MOUTH_LEFT, "left mouth corner"),
            Map.entry(Keypoint.MOUTH_RIGHT, "right mouth corner"), Map.entry(Keypoint.MOUTH_CENTER, "mouth centre"),
            Map.entry(Keypoint.UPPER_LIP, "upper lip"), Map.entry(Keypoint.LOWER_LIP, "lower lip")));

    private final KeypointDetector detector;

    ToyFaceLocator(KeypointDetector detector) {
        if (NAMES.size() != Keypoint.values().length) throw new IllegalStateException("ToyFaceLocator: a Keypoint has no name");
        this.detector = detector;
    }

    /** The shipped 64 px detector ({@link KeypointDetector#toyFaces64()}). */
    static ToyFaceLocator toyFaces64() { return new ToyFaceLocator(KeypointDetector.toyFaces64()); }

    /** Image side the detector reads. */
    int resolution() { return detector.resolution(); }

    /** {@link #DRAGGABLE} as keypoint indices. */
    static int[] draggableIndices() { return DRAGGABLE.stream().mapToInt(Keypoint::ordinal).toArray(); }

    @Override public int count() { return Keypoint.values().length; }

    @Override public String name(int k) { return NAMES.get(Keypoint.values()[k]); }

    /** image: [1, 3, R, R] in [-1, 1] (R = the detector's resolution) -> [17][2] (x, y) px in Keypoint order. */
    @Override public float[][] locate(Tensor image) { return detector.predict(image)[0]; }

    /**
     * The detector's left-right consistency on one image, a truth-free check of how well it reads this model's images:
     * the mean over keypoints k of |p_k - m(q_{mirror(k)})| px, where p = locate(image), q = locate(image mirrored
     * left-right) and m(x, y) = (R - 1 - x, y). A perfect detector gives 0.
     *
     * @param image [1, 3, R, R] in [-1, 1]
     */
    double mirrorDisagreement(Tensor image) {
        int[] s = image.shape();
        if (s.length != 4 || s[0] != 1 || s[1] != 3) throw new IllegalArgumentException("ToyFaceLocator.mirrorDisagreement: image must be [1, 3, R, R] but is " + java.util.Arrays.toString(s));
        int h = s[2], w = s[3];
        float[] v = image.toHost().toFloatArray(), m = new float[v.length];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) m[(c * h + y) * w + x] = v[(c * h + y) * w + (w - 1 - x)];
        float[][] p = locate(image), q = locate(Tensor.of(m, 1, 3, h, w));
        double sum = 0;
        for (Keypoint k : Keypoint.values()) {
            float[] a = p[k.ordinal()], b = q[k.mirrored().ordinal()];
            sum += Math.hypot(a[0] - (w - 1 - b[0]), a[1] - b[1]);
        }
        return sum / Keypoint.values().length;
    }
}
