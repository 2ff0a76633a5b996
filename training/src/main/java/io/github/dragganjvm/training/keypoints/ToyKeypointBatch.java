package io.github.dragganjvm.training.keypoints;

import io.github.dragganjvm.data.Rgb8;
import io.github.dragganjvm.data.toy.FaceParams;
import io.github.dragganjvm.data.toy.Keypoint;
import io.github.dragganjvm.data.toy.Keypoints;
import io.github.dragganjvm.data.toy.ToyFaceRenderer;
import io.github.dragganjvm.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Toy-world faces with their true keypoints, ready for the detector: rendered at one resolution, mapped to [-1, 1]
 * as {@link io.github.dragganjvm.data.toy.ToyFaces} does, then degraded by an {@link ImageJitter}.
 *
 * @param images  F32 {@code [N, 3, R, R]}
 * @param targets F32 {@code [N, K, 2]}: the true (x, y) of each {@link Keypoint} in pixels
 */
public record ToyKeypointBatch(Tensor images, Tensor targets) {
    private static final int CHANNELS = 3;

    /**
     * The faces of the given seeds ({@link FaceParams#sample(long)}).
     *
     * @param resolution image side R
     * @param seeds      one face per seed
     * @param jitter     degradation applied to each image ({@link ImageJitter#NONE} for the clean renders)
     * @param rng        the jitter's random source, drawn from image by image in order
     */
    public static ToyKeypointBatch of(int resolution, long[] seeds, ImageJitter jitter, SplittableRandom rng) {
        FaceParams[] faces = new FaceParams[seeds.length];
        for (int i = 0; i < seeds.length; i++) faces[i] = FaceParams.sample(seeds[i]);
        return of(resolution, faces, jitter, rng);
    }

    /** The same for given faces (e.g. edited ones). */
    public static ToyKeypointBatch of(int resolution, FaceParams[] faces, ImageJitter jitter, SplittableRandom rng) {
        if (faces.length == 0) throw new IllegalArgumentException("ToyKeypointBatch: need at least one face");
        int k = KeypointDetector.KEYPOINTS, per = CHANNELS * resolution * resolution;
        float[] img = new float[Math.multiplyExact(faces.length, per)];
        float[] xy = new float[faces.length * k * 2];
        for (int i = 0; i < faces.length; i++) {
            Rgb8.toUnit(ToyFaceRenderer.render(faces[i], resolution), img, i * per);
            jitter.apply(img, i * per, CHANNELS, resolution, rng);
            Keypoints kp = faces[i].keypoints(resolution);
            for (Keypoint p : Keypoint.values()) {
                xy[(i * k + p.ordinal()) * 2] = (float) kp.x(p);
                xy[(i * k + p.ordinal()) * 2 + 1] = (float) kp.y(p);
            }
        }
        return new ToyKeypointBatch(Tensor.of(img, faces.length, CHANNELS, resolution, resolution), Tensor.of(xy, faces.length, k, 2));
    }
}
