package io.github.dragganjvm.data.toy;

import io.github.dragganjvm.data.ImageSource;
import io.github.dragganjvm.data.Rgb8;
import io.github.dragganjvm.tensor.Tensor;

/**
 * The toy world as an infinite {@link ImageSource}: image {@code i} is the face {@link FaceParams#sample(long)
 * sample(i)} drawn by {@link ToyFaceRenderer} at this source's resolution with 4 x 4 supersampling, quantized to
 * 8 bits and mapped to {@code b / 127.5 - 1} like any training folder. Every long (negative ones too) is an index.
 * Stateless apart from the resolution, so concurrent reads are safe.
 */
public final class ToyFaces implements ImageSource {
    private static final int CHANNELS = 3;
    private final int resolution;

    /** @param resolution image side in pixels, 8..4096 (any value, not only powers of two) */
    public ToyFaces(int resolution) {
        if (resolution < 8 || resolution > 4096) {
            throw new IllegalArgumentException("ToyFaces: resolution must be in [8, 4096] but got " + resolution);
        }
        this.resolution = resolution;
    }

    @Override public int resolution() { return resolution; }

    @Override public int channels() { return CHANNELS; }

    /** @return -1: infinite, every long is a seed */
    @Override public long size() { return -1; }

    /** The face of a seed: {@link FaceParams#sample(long)}. */
    public FaceParams params(long seed) { return FaceParams.sample(seed); }

    /** The keypoints of a seed's face at this resolution. */
    public Keypoints keypoints(long seed) { return params(seed).keypoints(resolution); }

    /** The 8-bit image of a seed, planar {@code [3, res, res]}. */
    public byte[] rgb8(long seed) { return ToyFaceRenderer.render(params(seed), resolution); }

    /** @return F32 {@code [3, res, res]}: {@link Rgb8#toUnit(int)} of {@link #rgb8(long)} */
    @Override public Tensor image(long seed) { return Rgb8.toTensor(rgb8(seed), CHANNELS, resolution); }

    /** Image, parameters and keypoints of a seed together. */
    public ToySample sample(long seed) {
        FaceParams p = params(seed);
        return new ToySample(seed, p, p.keypoints(resolution), Rgb8.toTensor(ToyFaceRenderer.render(p, resolution), CHANNELS, resolution));
    }

    @Override public Tensor batch(long[] seeds) {
        if (seeds == null || seeds.length == 0) return ImageSource.super.batch(seeds);   // reports the error
        int per = CHANNELS * resolution * resolution;
        float[] out = new float[Math.multiplyExact(seeds.length, per)];
        for (int n = 0; n < seeds.length; n++) Rgb8.toUnit(rgb8(seeds[n]), out, n * per);
        return Tensor.of(out, seeds.length, CHANNELS, resolution, resolution);
    }
}
