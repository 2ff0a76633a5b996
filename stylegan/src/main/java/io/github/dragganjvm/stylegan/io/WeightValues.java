package io.github.dragganjvm.stylegan.io;

import java.util.Arrays;

/**
 * The check every loaded weight passes: finite, and smaller in magnitude than {@link #MAX_ABS} = 2^64.
 *
 * <p>Why the bound: the generator squares its weights in float32 (weight demodulation sums (w * s)^2, the mapping
 * normalises by a second moment), and any |w| >= 2^64 squares past Float.MAX_VALUE (about 2^128) to infinity, which
 * turns the image into NaN, i.e. black. No trained network comes within many orders of magnitude of it (StyleGAN2
 * weights are O(1); the largest stored values are biases and constants of a few hundred at most), so a value beyond it
 * is corruption or an attack, refused like NaN and infinity instead of producing black images without a word.
 */
final class WeightValues {
    private WeightValues() {}

    /** Smallest magnitude refused: 2^64 (its square overflows float32). */
    static final float MAX_ABS = 0x1p64f;

    /** Throws naming the file, the tensor, its shape, the flat index and the value of the first bad element. */
    static void require(String file, String name, int[] shape, float[] v) throws CheckpointException {
        for (int i = 0; i < v.length; i++) {
            float x = v[i];
            if (!(Math.abs(x) < MAX_ABS)) {
                throw new CheckpointException(file + ": tensor " + name + " " + Arrays.toString(shape) + " holds " + x + " at flat index " + i
                        + (Float.isFinite(x) ? " (|w| >= 2^64 squares to infinity in float32)" : "") + "; a network's weights must be finite and below 2^64"
                        + " in magnitude (this file would render NaN, i.e. black images)");
            }
        }
    }
}
