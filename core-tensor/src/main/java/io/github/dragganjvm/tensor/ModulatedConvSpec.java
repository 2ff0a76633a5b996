package io.github.dragganjvm.tensor;

/**
 * The fixed arguments of StyleGAN2's modulated convolution (NVlabs {@code networks.modulated_conv2d} with
 * {@code conv2d_resample}): up-sampling factor 1 or 2, the resample filter (needed for up 2; the 4x4 outer product
 * of [1, 3, 3, 1] / 64 in StyleGAN2), the conv's zero padding (StyleGAN2: kernel 3 padding 1; ToRGB: kernel 1
 * padding 0) and whether the output is demodulated (ToRGB: no).
 *
 * @param up             1 or 2
 * @param resampleFilter [fh, fw]; required for up 2, ignored (may be null) for up 1
 * @param padding        &gt;= 0
 * @param demodulate     whether to scale each output channel by dcoef (see {@link Backend#modulatedConv2d})
 */
public record ModulatedConvSpec(int up, Tensor resampleFilter, int padding, boolean demodulate) {
    /** NVlabs' demodulation epsilon: dcoef = rsqrt(sum w'^2 + EPS). */
    public static final double EPS = 1e-8;

    /**
     * Checks the call's tensors against this spec and works out its shapes and conv2d_resample paddings.
     *
     * @param x       [N, C, H, W]
     * @param weight  [O, C, kh, kw]
     * @param styles  [N, C]
     * @return the plan (shapes and paddings) of the call
     * @throws IllegalArgumentException naming the argument that does not fit
     */
    public ModulatedConvPlan plan(Tensor x, Tensor weight, Tensor styles) {
        return ModulatedConvPlan.of(x, weight, styles, this);
    }
}
