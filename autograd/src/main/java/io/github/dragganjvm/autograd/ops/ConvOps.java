package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

/** Differentiable convolutions (NCHW, PyTorch semantics). */
public final class ConvOps {
    private ConvOps() {}

    /**
     * conv2d: x [N, C, H, W], w [O, C/groups, kh, kw] -> [N, O, Ho, Wo].
     * Backward: dx = conv_transpose2d(g, w) (cropped/padded back to x's size), dw = conv2dWeightGrad(x, g).
     */
    public static Var conv2d(Var x, Var w, int stride, int padding, int groups) {
        Tensor xv = x.value(), wv = w.value();
        return Var.record("conv2d", Ops.conv2d(xv, wv, stride, padding, groups), (g, gr) -> {
            if (gr.needs(0)) gr.add(0, convInputGrad(g, wv, xv.size(2), xv.size(3), stride, padding, groups));
            if (gr.needs(1)) gr.add(1, Ops.conv2dWeightGrad(xv, g, wv.size(2), wv.size(3), stride, padding, groups));
        }, (g, out, gr) -> {
            if (gr.needs(0)) gr.add(0, inputGrad(g, w, xv.size(2), xv.size(3), stride, padding, groups));
            if (gr.needs(1)) gr.add(1, conv2dWeightGrad(x, g, wv.size(2), wv.size(3), stride, padding, groups));
        }, x, w);
    }

    /**
     * conv_transpose2d: x [N, C, H, W], w [C, O/groups, kh, kw]. Backward: dx = conv2d(g, w),
     * dw = conv2dWeightGrad with the roles of input and output exchanged.
     */
    public static Var convTranspose2d(Var x, Var w, int stride, int padding, int groups) {
        Tensor xv = x.value(), wv = w.value();
        return Var.record("convTranspose2d", Ops.convTranspose2d(xv, wv, stride, padding, groups), (g, gr) -> {
            if (gr.needs(0)) gr.add(0, Ops.conv2d(g, wv, stride, padding, groups));
            if (gr.needs(1)) gr.add(1, Ops.conv2dWeightGrad(g, xv, wv.size(2), wv.size(3), stride, padding, groups));
        }, (g, out, gr) -> {
            if (gr.needs(0)) gr.add(0, conv2d(g, w, stride, padding, groups));
            if (gr.needs(1)) gr.add(1, conv2dWeightGrad(g, x, wv.size(2), wv.size(3), stride, padding, groups));
        }, x, w);
    }

    /**
     * The weight gradient of conv2d as a recorded op (for gradients of gradients): dw = conv2dWeightGrad(x, g),
     * [O, C/groups, kh, kw]. It is bilinear in x and g with {@code <G, dw(x, g)> = <g, conv2d(x, G)>}, so with
     * upstream G: dg = conv2d(x, G) and dx = the input gradient of conv2d(x, G) for the output gradient g.
     */
    public static Var conv2dWeightGrad(Var x, Var g, int kh, int kw, int stride, int padding, int groups) {
        Tensor xv = x.value(), gv = g.value();
        return Var.record("conv2dWeightGrad", Ops.conv2dWeightGrad(xv, gv, kh, kw, stride, padding, groups), (gw, gr) -> {
            if (gr.needs(0)) gr.add(0, convInputGrad(gv, gw, xv.size(2), xv.size(3), stride, padding, groups));
            if (gr.needs(1)) gr.add(1, Ops.conv2d(xv, gw, stride, padding, groups));
        }, (gw, out, gr) -> {
            if (gr.needs(0)) gr.add(0, inputGrad(g, gw, xv.size(2), xv.size(3), stride, padding, groups));
            if (gr.needs(1)) gr.add(1, conv2d(x, gw, stride, padding, groups));
        }, x, g);
    }

    /** {@link #convInputGrad} as recorded ops: the transposed conv, cropped and zero-padded to x's size when needed. */
    static Var inputGrad(Var g, Var w, int h, int wd, int stride, int padding, int groups) {
        int[] gs = g.shape(), ws = w.shape();
        int th = (gs[2] - 1) * stride - 2 * padding + ws[2], tw = (gs[3] - 1) * stride - 2 * padding + ws[3];
        if (th == h && tw == wd) return convTranspose2d(g, w, stride, padding, groups);
        Var full = convTranspose2d(g, w, stride, 0, groups);
        int[] fs = full.shape();
        int rows = Math.min(h, fs[2] - padding), cols = Math.min(wd, fs[3] - padding);
        Var cropped = ShapeOps.crop(full, new int[]{0, 0, padding, padding}, new int[]{fs[0], fs[1], rows, cols});
        return ShapeOps.embed(cropped, new int[]{fs[0], fs[1], h, wd}, new int[]{0, 0, 0, 0});
    }

    /**
     * dx of conv2d: the transposed conv of g. When the forward's floor division left a remainder, the plain
     * transposed conv is smaller than x (PyTorch's output_padding), so compute it unpadded and crop [pad, pad + H);
     * the output size is checked first so the transposed conv runs once either way.
     */
    static Tensor convInputGrad(Tensor g, Tensor w, int h, int wd, int stride, int padding, int groups) {
        int th = (g.size(2) - 1) * stride - 2 * padding + w.size(2), tw = (g.size(3) - 1) * stride - 2 * padding + w.size(3);
        if (th == h && tw == wd) return Ops.convTranspose2d(g, w, stride, padding, groups);
        Tensor full = Ops.convTranspose2d(g, w, stride, 0, groups);
        Tensor dx = Ops.zerosOn(g, g.size(0), w.size(1) * groups, h, wd);
        int rows = Math.min(h, full.size(2) - padding), cols = Math.min(wd, full.size(3) - padding);
        Ops.copyInto(full.sliceView(2, padding, padding + rows).sliceView(3, padding, padding + cols),
                dx.sliceView(2, 0, rows).sliceView(3, 0, cols));
        return dx;
    }
}
