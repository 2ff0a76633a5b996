package draggan.stylegan.sg3;

import draggan.autograd.Var;
import draggan.autograd.ops.ElementwiseOps;
import draggan.tensor.Activation;
import draggan.tensor.Ops;
import draggan.tensor.Tensor;

/**
 * StyleGAN3's filtered leaky ReLU exactly as NVlabs' reference path {@code _filtered_lrelu_ref} computes it, composed
 * of existing differentiable ops (one static entry point, so a fused op can replace the body later):
 * <pre>
 *   y = x + b                                                     (bias_act, linear)
 *   y = upfirdn2d(y, fu, up, padding, gain = up^2)                (up-sample)
 *   y = clamp(lrelu(y, slope) * gain, -clamp, clamp)              (bias_act, lrelu)
 *   y = upfirdn2d(y, fd, down)                                    (down-sample, no padding)
 * </pre>
 * Output size: (W * up + x0 + x1 - (fuw - 1) - (fdw - 1) + (down - 1)) / down, likewise H.
 *
 * <p>Filters as the reference's upfirdn2d takes them: null (one tap: nothing to filter), 1-D [taps] (separable: the
 * same taps along x, then along y, each pass with gain^(1/2)), or 2-D [fh, fw] (non-separable, e.g. StyleGAN3-R's
 * radial down filter). Filters are constants. Gradients flow to x and b (each op's backward is its exact adjoint).
 */
public final class FilteredLreluComposed {
    private FilteredLreluComposed() {}

    /**
     * @param x        [N, C, H, W]
     * @param fu       up-sampling filter: null, [taps] or [fh, fw]
     * @param fd       down-sampling filter: null, [taps] or [fh, fw]
     * @param b        bias [C] or null
     * @param up       up-sampling factor >= 1
     * @param down     down-sampling factor >= 1
     * @param padding  {x0, x1, y0, y1} of the up-sampling (negative crops)
     * @param gain     activation gain (sqrt 2 for the synthesis layers, 1 for ToRGB)
     * @param slope    negative slope (0.2; 1 = linear)
     * @param clamp    output clamp, &lt; 0 for none
     * @param flipFilter false = convolution (the reference's default), true = correlation
     * @return [N, C, Ho, Wo]
     */
    public static Var apply(Var x, Tensor fu, Tensor fd, Var b, int up, int down, int[] padding, double gain, double slope, double clamp, boolean flipFilter) {
        int[] s = x.shape();
        if (s.length != 4) throw new IllegalArgumentException("filteredLrelu: x must be [N, C, H, W] but is " + java.util.Arrays.toString(s));
        if (up < 1 || down < 1) throw new IllegalArgumentException("filteredLrelu: up and down must be >= 1 but are " + up + " and " + down);
        if (padding == null || padding.length != 4) throw new IllegalArgumentException("filteredLrelu: padding must be {x0, x1, y0, y1} but is " + java.util.Arrays.toString(padding));
        if (!(gain > 0) || !(slope >= 0)) throw new IllegalArgumentException("filteredLrelu: gain must be > 0 and slope >= 0 but are " + gain + " and " + slope);
        checkFilter("fu", fu);
        checkFilter("fd", fd);
        Var y = b == null ? x : ElementwiseOps.biasAct(x, b, 1, Activation.LINEAR, 0, 1, -1);
        y = resample(y, fu, up, 1, padding, (double) up * up, flipFilter);
        y = ElementwiseOps.biasAct(y, null, 1, slope == 1 ? Activation.LINEAR : Activation.LRELU, slope, gain, clamp);
        return resample(y, fd, 1, down, new int[] {0, 0, 0, 0}, 1, flipFilter);
    }

    private static void checkFilter(String name, Tensor f) {
        if (f != null && f.dim() != 1 && f.dim() != 2) {
            throw new IllegalArgumentException("filteredLrelu: " + name + " must be null, [taps] or [fh, fw] but is " + java.util.Arrays.toString(f.shape()));
        }
    }

    /** upfirdn2d with a null, 1-D (two separable passes) or 2-D filter. */
    private static Var resample(Var x, Tensor f, int up, int down, int[] p, double gain, boolean flip) {
        if (f == null) {
            if (up == 1 && down == 1 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0 && gain == 1) return x;
            return upfirdn(x, Tensor.full(x.value().dtype(), 1, 1, 1).toDevice(x.value().device()), up, up, down, down, p, gain, flip);
        }
        if (f.dim() == 2) return upfirdn(x, f, up, up, down, down, p, gain, flip);
        int taps = f.size(0);
        double g = Math.sqrt(gain);
        Var y = upfirdn(x, f.reshapeView(1, taps), up, 1, down, 1, new int[] {p[0], p[1], 0, 0}, g, flip);
        return upfirdn(y, f.reshapeView(taps, 1), 1, up, 1, down, new int[] {0, 0, p[2], p[3]}, g, flip);
    }

    /**
     * upfirdn2d with separate factors per axis: x [N, C, H, W], f [fh, fw], padding {x0, x1, y0, y1}. Backward: the
     * exact adjoint, upfirdn2d(g, f, up = down, down = up, padding {fw - x0 - 1, W upX - Wo downX + x0 - upX + 1,
     * fh - y0 - 1, H upY - Ho downY + y0 - upY + 1}, same gain, flip negated); linear in g, so its own backward is this
     * op again.
     */
    static Var upfirdn(Var x, Tensor f, int upX, int upY, int downX, int downY, int[] p, double gain, boolean flip) {
        Tensor xv = x.value();
        Tensor y = Ops.upfirdn2d(xv, f, upX, upY, downX, downY, p[0], p[1], p[2], p[3], gain, flip);
        int h = xv.size(2), w = xv.size(3), ho = y.size(2), wo = y.size(3), fh = f.size(0), fw = f.size(1);
        int[] bp = {fw - p[0] - 1, w * upX - wo * downX + p[0] - upX + 1, fh - p[2] - 1, h * upY - ho * downY + p[2] - upY + 1};
        return Var.record("upfirdn2d", y,
                (g, gr) -> gr.add(0, Ops.upfirdn2d(g, f, downX, downY, upX, upY, bp[0], bp[1], bp[2], bp[3], gain, !flip)),
                (g, out, gr) -> gr.add(0, upfirdn(g, f, downX, downY, upX, upY, bp, gain, !flip)), x);
    }
}
