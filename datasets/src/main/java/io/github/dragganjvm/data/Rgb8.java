package io.github.dragganjvm.data;

import io.github.dragganjvm.tensor.Tensor;

/**
 * 8-bit images in planar order and their conversion to training tensors.
 *
 * <p>Storage layout used throughout this module: a {@code byte[]} of length {@code C * H * W} holding unsigned
 * samples in {@code [C, H, W]} (planar, row-major) order, i.e. sample {@code (c, y, x)} at {@code (c * H + y) * W + x}.
 */
public final class Rgb8 {
    private Rgb8() {}

    /**
     * The training value of one 8-bit sample, computed in float32 as NVlabs does
     * ({@code img.to(torch.float32) / 127.5 - 1}): 0 -> -1, 255 -> 1.
     *
     * @param b sample in 0..255
     */
    public static float toUnit(int b) {
        return (float) b / 127.5f - 1f;
    }

    /**
     * Converts planar 8-bit samples to a new F32 tensor of values {@link #toUnit(int)}.
     *
     * @param planar {@code [channels, res, res]} unsigned bytes (length {@code channels * res * res})
     * @return a new contiguous tensor {@code [channels, res, res]}
     */
    public static Tensor toTensor(byte[] planar, int channels, int res) {
        long n = (long) channels * res * res;
        if (planar.length != n) {
            throw new IllegalArgumentException("Rgb8.toTensor: expected " + n + " bytes for [" + channels + ", " + res + ", " + res
                    + "] but got " + planar.length);
        }
        float[] out = new float[planar.length];
        toUnit(planar, out, 0);
        return Tensor.of(out, channels, res, res);
    }

    /** Writes {@code toUnit(planar[i] & 0xFF)} into {@code out[offset + i]} for every i. */
    public static void toUnit(byte[] planar, float[] out, int offset) {
        for (int i = 0; i < planar.length; i++) out[offset + i] = toUnit(planar[i] & 0xFF);
    }
}
