package io.github.dragganjvm.tensor;

/**
 * The scalar arguments of StyleGAN3's filtered leaky ReLU ({@link Ops#filteredLrelu}) and its geometry, written
 * once: every kernel, the composition and the autograd op take their sizes from here.
 *
 * <p>Filters: null (identity, one tap), rank 1 {@code [taps]} (separable: applied along x, then along y, each
 * pass with the square root of its gain, as NVlabs upfirdn2d does with a 1-D filter) or rank 2 {@code [fh, fw]}.
 * A filter's width is its last dimension and its height its first (both the taps of a 1-D filter), as NVlabs'
 * {@code _get_filter_size}.
 *
 * @param up         up-sampling factor (>= 1) of the first stage
 * @param down       down-sampling factor (>= 1) of the last stage
 * @param padX0      padding (negative crops) left of the up-sampled image, in up-sampled pixels
 * @param padX1      padding right
 * @param padY0      padding on top
 * @param padY1      padding at the bottom
 * @param gain       factor after the leaky ReLU (> 0; StyleGAN3 uses sqrt(2))
 * @param slope      leaky ReLU slope for negative values (>= 0)
 * @param clamp      the result of the activation is clamped to [-clamp, clamp]; negative: no clamp
 *                   (NVlabs' {@code clamp=None}; use {@link #NO_CLAMP})
 * @param flipFilter false: true convolution (the filters flipped), true: correlation
 */
public record FilteredLreluParams(int up, int down, int padX0, int padX1, int padY0, int padY1,
                                  double gain, double slope, double clamp, boolean flipFilter) {
    /** The clamp value meaning "no clamp". */
    public static final double NO_CLAMP = -1;

    public FilteredLreluParams {
        if (up < 1 || down < 1) throw new IllegalArgumentException("filteredLrelu: up and down must be >= 1 but are " + up + " and " + down);
        if (!(gain > 0) || !Double.isFinite(gain)) throw new IllegalArgumentException("filteredLrelu: gain must be finite and > 0 but is " + gain);
        if (!(slope >= 0) || !Double.isFinite(slope)) throw new IllegalArgumentException("filteredLrelu: slope must be finite and >= 0 but is " + slope);
        if (Double.isNaN(clamp) || Double.isInfinite(clamp)) throw new IllegalArgumentException("filteredLrelu: clamp must be finite (negative: none) but is " + clamp);
    }

    /** Whether the activation's result is clamped. */
    public boolean clamped() { return clamp >= 0; }

    /** Gain of the up-sampling stage: up^2 (NVlabs' filtered_lrelu passes {@code gain=up**2} to upfirdn2d). */
    public double upGain() { return (double) up * up; }

    /** Padding as {x0, x1, y0, y1}. */
    public int[] padding() { return new int[]{padX0, padX1, padY0, padY1}; }

    /** Width (taps along x) of a filter: 1 for null, else its last dimension. */
    public static int filterWidth(Tensor f) { return f == null ? 1 : f.size(f.dim() - 1); }

    /** Height (taps along y) of a filter: 1 for null, else its first dimension. */
    public static int filterHeight(Tensor f) { return f == null ? 1 : f.size(0); }

    /**
     * Length along one axis after the up-sampling stage (before the activation):
     * {@code in*up + pad0 + pad1 - (fuTaps - 1)}.
     */
    public int upSize(int in, int pad0, int pad1, int fuTaps) { return in * up + pad0 + pad1 - (fuTaps - 1); }

    /**
     * Output length along one axis, the formula of NVlabs' {@code _filtered_lrelu_ref}:
     * {@code floor((in*up + pad0 + pad1 - (fuTaps - 1) - (fdTaps - 1) + (down - 1)) / down)}.
     */
    public int outSize(int in, int pad0, int pad1, int fuTaps, int fdTaps) {
        return Math.floorDiv(upSize(in, pad0, pad1, fuTaps) - (fdTaps - 1) + (down - 1), down);
    }

    /** Output height for an input of height h. */
    public int outHeight(int h, Tensor fu, Tensor fd) { return outSize(h, padY0, padY1, filterHeight(fu), filterHeight(fd)); }

    /** Output width for an input of width w. */
    public int outWidth(int w, Tensor fu, Tensor fd) { return outSize(w, padX0, padX1, filterWidth(fu), filterWidth(fd)); }

    /** Height of the up-sampled (activation) image. */
    public int upHeight(int h, Tensor fu) { return upSize(h, padY0, padY1, filterHeight(fu)); }

    /** Width of the up-sampled (activation) image. */
    public int upWidth(int w, Tensor fu) { return upSize(w, padX0, padX1, filterWidth(fu)); }

    /** This with another clamp (negative: none). */
    public FilteredLreluParams withClamp(double c) {
        return new FilteredLreluParams(up, down, padX0, padX1, padY0, padY1, gain, slope, c, flipFilter);
    }
}
