package io.github.dragganjvm.training.keypoints;

import java.util.SplittableRandom;

/**
 * Random, geometry-preserving image degradations for training the {@link KeypointDetector}, so that it also reads
 * generator outputs, which are softer and noisier than the renderer's crisp faces. Per image, in this order:
 * <pre>
 *   blur:      separable Gaussian, sigma ~ U[0, maxBlurSigma] px (taps out to ceil(3 sigma), edges replicated,
 *              weights normalised; skipped below {@value #MIN_SIGMA} px). Symmetric, so keypoints do not move.
 *   contrast:  v = (v - mean) * c + mean, c ~ U[1 - maxContrast, 1 + maxContrast], mean = the image's mean
 *   colour:    v += o_c, one offset per channel, o_c ~ U[-maxOffset, maxOffset]
 *   noise:     v += sigma_n * N(0, 1) per value, sigma_n ~ U[0, maxNoise]
 * </pre>
 * Values are in the [-1, 1] image scale and are not clamped (the generator's outputs are not either).
 *
 * @param maxBlurSigma largest blur sigma in pixels, >= 0
 * @param maxContrast  largest relative contrast change, in [0, 1)
 * @param maxOffset    largest per-channel offset, >= 0
 * @param maxNoise     largest noise standard deviation, >= 0
 */
public record ImageJitter(double maxBlurSigma, double maxContrast, double maxOffset, double maxNoise) {
    /** Blur sigmas below this are treated as no blur. */
    public static final double MIN_SIGMA = 0.05;
    /** No degradation. */
    public static final ImageJitter NONE = new ImageJitter(0, 0, 0, 0);
    /**
     * What the shipped detector was trained with: blur sigma up to 1 px (a soft GAN edge is about that wide at
     * 64 px), contrast +-10 %, colour offsets +-0.05 (2.5 % of the range), noise up to 0.03 (about 4 of 255 levels).
     */
    public static final ImageJitter DEFAULT = new ImageJitter(1.0, 0.10, 0.05, 0.03);

    public ImageJitter {
        if (!(maxBlurSigma >= 0) || !(maxContrast >= 0 && maxContrast < 1) || !(maxOffset >= 0) || !(maxNoise >= 0)
                || !Double.isFinite(maxBlurSigma) || !Double.isFinite(maxOffset) || !Double.isFinite(maxNoise)) {
            throw new IllegalArgumentException("ImageJitter: need maxBlurSigma >= 0, maxContrast in [0, 1), maxOffset >= 0, maxNoise >= 0 (finite) but got "
                    + maxBlurSigma + ", " + maxContrast + ", " + maxOffset + ", " + maxNoise);
        }
    }

    /**
     * Degrades one planar image in place.
     *
     * @param img      values, image at {@code img[offset .. offset + channels * res * res)}, planar {@code [C, res, res]}
     * @param offset   first value of the image
     * @param channels C
     * @param res      image side
     * @param rng      the random source (its draws fully decide the result)
     */
    public void apply(float[] img, int offset, int channels, int res, SplittableRandom rng) {
        double sigma = maxBlurSigma * rng.nextDouble();
        double contrast = 1 + maxContrast * (2 * rng.nextDouble() - 1);
        double[] shift = new double[channels];
        for (int c = 0; c < channels; c++) shift[c] = maxOffset * (2 * rng.nextDouble() - 1);
        double noise = maxNoise * rng.nextDouble();
        int plane = res * res, n = channels * plane;
        if (sigma >= MIN_SIGMA) {
            float[] k = gaussianTaps(sigma);
            float[] tmp = new float[plane];
            for (int c = 0; c < channels; c++) blurPlane(img, offset + c * plane, res, k, tmp);
        }
        double mean = 0;
        for (int i = 0; i < n; i++) mean += img[offset + i];
        mean /= n;
        for (int c = 0; c < channels; c++) {
            int base = offset + c * plane;
            for (int i = 0; i < plane; i++) {
                double v = (img[base + i] - mean) * contrast + mean + shift[c];
                if (noise > 0) v += noise * gaussian(rng);
                img[base + i] = (float) v;
            }
        }
    }

    /** Normalised Gaussian taps for offsets -r..r, r = ceil(3 sigma). */
    static float[] gaussianTaps(double sigma) {
        int r = (int) Math.ceil(3 * sigma);
        float[] k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += Math.exp(-i * i / (2 * sigma * sigma));
        for (int i = -r; i <= r; i++) k[i + r] = (float) (Math.exp(-i * i / (2 * sigma * sigma)) / sum);
        return k;
    }

    /** Separable blur of one res x res plane at img[base..], edges replicated; tmp holds res * res values. */
    private static void blurPlane(float[] img, int base, int res, float[] k, float[] tmp) {
        int r = k.length / 2;
        for (int y = 0; y < res; y++) {
            for (int x = 0; x < res; x++) {
                float s = 0;
                for (int t = -r; t <= r; t++) s += k[t + r] * img[base + y * res + Math.clamp(x + t, 0, res - 1)];
                tmp[y * res + x] = s;
            }
        }
        for (int y = 0; y < res; y++) {
            for (int x = 0; x < res; x++) {
                float s = 0;
                for (int t = -r; t <= r; t++) s += k[t + r] * tmp[Math.clamp(y + t, 0, res - 1) * res + x];
                img[base + y * res + x] = s;
            }
        }
    }

    /** A standard normal draw (Box-Muller, one of the pair). */
    private static double gaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
