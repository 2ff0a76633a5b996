package io.github.dragganjvm.data;

import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;

/**
 * A source of square training images, addressed by index.
 *
 * <p>Images come as F32 tensors {@code [C, H, W]} (RGB, {@code C = 3}, {@code H = W = resolution()}) with values in
 * {@code [-1, 1]}, made from 8-bit samples exactly as NVlabs' StyleGAN2 training loop does:
 * {@code x = (float) b / 127.5f - 1f} for {@code b} in {@code 0..255} (see {@link Rgb8#toUnit(int)}).
 * The same index always gives the same image, and implementations must be safe for concurrent reads from many
 * threads (they are immutable after construction).
 */
public interface ImageSource {

    /** Image side in pixels (height = width). */
    int resolution();

    /** Channels per image; 3 (RGB) for every source in this module. */
    int channels();

    /** Number of images, or -1 for an infinite source (every long is a valid index, e.g. a seed). */
    long size();

    /**
     * One image.
     *
     * @param index {@code 0 <= index < size()} for a finite source; any long for an infinite one
     * @return a new contiguous F32 tensor {@code [C, H, W]}, values {@code b / 127.5 - 1}
     * @throws IndexOutOfBoundsException if a finite source has no such index
     */
    Tensor image(long index);

    /**
     * Several images stacked: {@code out[n] = image(indices[n])}.
     *
     * @param indices N >= 1 indices, repeats allowed
     * @return a new contiguous F32 tensor {@code [N, C, H, W]}
     */
    default Tensor batch(long[] indices) {
        if (indices == null || indices.length == 0) {
            throw new IllegalArgumentException("ImageSource.batch: expected at least one index but got " + Arrays.toString(indices));
        }
        int c = channels(), r = resolution();
        int per = c * r * r;
        float[] out = new float[Math.multiplyExact(indices.length, per)];
        for (int n = 0; n < indices.length; n++) {
            Tensor img = image(indices[n]);
            if (!Arrays.equals(img.shape(), new int[]{c, r, r})) {
                throw new IllegalStateException("ImageSource.batch: image " + indices[n] + " has shape " + Arrays.toString(img.shape())
                        + " but the source declares [" + c + ", " + r + ", " + r + "]");
            }
            System.arraycopy(img.toFloatArray(), 0, out, n * per, per);
        }
        return Tensor.of(out, indices.length, c, r, r);
    }
}
