package io.github.dragganjvm.tensor;

import java.util.Arrays;

/**
 * Shapes and NVlabs {@code conv2d_resample} paddings of one modulated convolution call, and the four
 * convolution steps the composed implementation is built from (each through {@link Ops}).
 *
 * <p>For up 1 the conv is a plain conv2d with the spec's padding. For up 2 it is a transposed conv with stride 2
 * and the weight transposed [C, O, k, k] (unflipped, {@code flip_weight=False} there) with padding {@link #pt},
 * then upfirdn2d with the resample filter, gain 4 and padding {@link #filterPad}: px0 = padding + (fw+1)/2 - (kw-1),
 * px1 = padding + (fw-2)/2 - (kw-2) (floor division), pt = max(min(-px0, -px1), 0), filterPad = {px0+pt, px1+pt,
 * py0+pt, py1+pt}. For a 3x3 kernel, padding 1 and the 4x4 filter: pt = 0 and filterPad {1, 1, 1, 1}.
 *
 * @param n         batch N
 * @param c         input channels C
 * @param o         output channels O
 * @param kh        kernel rows
 * @param kw        kernel columns
 * @param up        1 or 2
 * @param padding   the spec's padding
 * @param f         the resample filter [fh, fw] (null for up 1)
 * @param pt        the transposed conv's padding (up 2; 0 for up 1)
 * @param filterPad upfirdn2d's {x0, x1, y0, y1} padding (up 2; null for up 1)
 */
public record ModulatedConvPlan(int n, int c, int o, int kh, int kw, int up, int padding, Tensor f, int pt, int[] filterPad) {
    static final String OP = "modulatedConv2d";

    static ModulatedConvPlan of(Tensor x, Tensor w, Tensor s, ModulatedConvSpec spec) {
        String op = OP;
        int up = spec.up(), padding = spec.padding();
        Tensor f = spec.resampleFilter();
        Shapes.requireRank(op, "x", x, 4, "[N, C, H, W]");
        Shapes.requireRank(op, "weight", w, 4, "[O, C, kh, kw]");
        Shapes.requireRank(op, "styles", s, 2, "[N, C]");
        Shapes.requireDim(op, "weight", w, 1, x.size(1), "input channels of x");
        Shapes.requireShape(op, "styles", s, x.size(0), x.size(1));
        Shapes.requireSameKind(op, x, w);
        Shapes.requireSameKind(op, x, s);
        if (padding < 0) throw new IllegalArgumentException(op + ": padding must be >= 0 but is " + padding);
        int kh = w.size(2), kw = w.size(3);
        Ops.checkKernel(op, kh, kw, 1, 1, padding, padding);
        if (up == 1) Ops.checkKernelFits(op, x.size(2), x.size(3), kh, kw, padding, padding);
        if (up == 1) return new ModulatedConvPlan(x.size(0), x.size(1), w.size(0), kh, kw, 1, padding, null, 0, null);
        if (up != 2) throw new IllegalArgumentException(op + ": up must be 1 or 2 but is " + up);
        if (f == null) throw new IllegalArgumentException(op + ": up 2 needs the resample filter [fh, fw] but got null");
        Shapes.requireRank(op, "resampleFilter", f, 2, "[fh, fw]");
        Shapes.requireSameKind(op, x, f);
        int fh = f.size(0), fw = f.size(1);
        // NVlabs conv2d_resample, up > 1 (Python // is floor division)
        int px0 = padding + Math.floorDiv(fw + up - 1, 2) - (kw - 1), px1 = padding + Math.floorDiv(fw - up, 2) - (kw - up);
        int py0 = padding + Math.floorDiv(fh + up - 1, 2) - (kh - 1), py1 = padding + Math.floorDiv(fh - up, 2) - (kh - up);
        int pxt = Math.max(Math.min(-px0, -px1), 0), pyt = Math.max(Math.min(-py0, -py1), 0);
        if (pxt != pyt) {
            throw new IllegalArgumentException(op + ": the transposed conv would need padding " + pyt + "x" + pxt
                    + " (kernel " + kh + "x" + kw + ", filter " + fh + "x" + fw + "); only equal paddings are supported");
        }
        int[] fp = {px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt};
        return new ModulatedConvPlan(x.size(0), x.size(1), w.size(0), kh, kw, up, padding, f, pxt, fp);
    }

    /**
     * The output's spatial size for an input of h x w: {Ho, Wo}.
     *
     * @param h input rows
     * @param w input columns
     * @return {Ho, Wo}
     */
    public int[] outputSize(int h, int w) {
        if (up == 1) return new int[]{Shapes.convOut(h, kh, 1, padding), Shapes.convOut(w, kw, 1, padding)};
        int th = Shapes.convTransposeOut(h, kh, 2, pt), tw = Shapes.convTransposeOut(w, kw, 2, pt);
        return new int[]{Ops.upfirdnSize(th, 1, filterPad[2], filterPad[3], f.size(0), 1), Ops.upfirdnSize(tw, 1, filterPad[0], filterPad[1], f.size(1), 1)};
    }

    /**
     * conv2d_resample(xs, w): [N, C, H, W] -> [N, O, Ho, Wo].
     *
     * @param xs the modulated input [N, C, H, W]
     * @param w  [O, C, kh, kw]
     * @param wT w with its first two dimensions swapped [C, O, kh, kw] (any view)
     * @return [N, O, Ho, Wo]
     */
    public Tensor conv(Tensor xs, Tensor w, Tensor wT) {
        if (up == 1) return Ops.conv2d(xs, w, 1, padding, 1);
        return Ops.convTranspose2dFir(xs, wT, up, pt, f, filterPad, (double) up * up);
    }

    /**
     * For up 2: dL/d(transposed conv output) from dL/d(filter output) g (upfirdn2d's adjoint); for up 1 g itself.
     *
     * @param g [N, O, Ho, Wo]
     * @return the gradient at the conv's output
     */
    public Tensor filterBackward(Tensor g) {
        if (up == 1) return g;
        int[] b = filterBackwardPadding(g.size(2), g.size(3));
        return Ops.upfirdn2d(g, f, 1, 1, 1, 1, b[0], b[1], b[2], b[3], (double) up * up, true);
    }

    /**
     * For up 2: the padding {x0, x1, y0, y1} of the upfirdn2d (flipped filter, gain up^2) that is the resample
     * filter's adjoint, for a gradient of gh x gw.
     *
     * @param gh rows of the gradient at the output
     * @param gw columns
     * @return {x0, x1, y0, y1}
     */
    public int[] filterBackwardPadding(int gh, int gw) {
        int fh = f.size(0), fw = f.size(1);
        // the conv output t had the size the filter's input needs: ho = gh, so t = ho + fh - 1 - py0 - py1
        int th = gh - 1 + fh - filterPad[2] - filterPad[3], tw = gw - 1 + fw - filterPad[0] - filterPad[1];
        return new int[]{fw - filterPad[0] - 1, tw - gw + filterPad[0], fh - filterPad[2] - 1, th - gh + filterPad[2]};
    }

    /**
     * dL/dxs from dL/d(conv output) gConv: the transposed conv (up 1), or the strided conv (up 2).
     *
     * @param gConv the gradient at the conv's output (after {@link #filterBackward})
     * @param w     [O, C, kh, kw]
     * @param wT    [C, O, kh, kw]
     * @return [N, C, H, W]
     */
    public Tensor convInputGrad(Tensor gConv, Tensor w, Tensor wT) {
        // stride 1: xs's size is gConv's + kh - 1 - 2 padding, exactly what the transposed conv gives
        if (up == 1) return Ops.convTranspose2d(gConv, w, 1, padding, 1);
        return Ops.conv2d(gConv, wT, up, pt, 1);
    }

    /**
     * dL/dW [O, C, kh, kw] from the conv's input xs and dL/d(conv output) gConv.
     *
     * @param xs    the modulated input [N, C, H, W]
     * @param gConv the gradient at the conv's output
     * @return [O, C, kh, kw]
     */
    public Tensor convWeightGrad(Tensor xs, Tensor gConv) {
        if (up == 1) return Ops.conv2dWeightGrad(xs, gConv, kh, kw, 1, padding, 1);
        // the transposed conv's weight [C, O, k, k] has the gradient of a conv from gConv to xs
        Tensor gwT = Ops.conv2dWeightGrad(gConv, xs, kh, kw, up, pt, 1);
        return gwT.transposeView(0, 1).copy();
    }

    @Override public String toString() {
        return "ModulatedConvPlan[up " + up + ", padding " + padding + ", pt " + pt + ", filterPad " + Arrays.toString(filterPad) + "]";
    }
}
