package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

/**
 * Differentiable resampling: NVlabs upfirdn2d and its StyleGAN2 wrappers (upsample2d, filter2d), bilinear resize
 * (F.interpolate) and bilinear grid sampling (F.grid_sample). Filters are constants (never differentiated).
 */
public final class ResampleOps {
    private ResampleOps() {}

    /**
     * upfirdn2d (see {@link Ops#upfirdn2d}): x [N, C, H, W], f [fh, fw], padding {x0, x1, y0, y1}.
     * Backward (exactly NVlabs' {@code _upfirdn2d_cuda} backward): dx = upfirdn2d(g, f, up = down, down = up,
     * padding {fw - x0 - 1, W*up - Wo*down + x0 - up + 1, fh - y0 - 1, H*up - Ho*down + y0 - up + 1}, the same
     * gain, flipFilter negated). That op is the exact adjoint: output tap j of the forward meets input sample
     * ix where Xo*down + j - x0 = ix*up, and the backward's tap fw-1-j meets the same pair.
     */
    public static Var upfirdn2d(Var x, Tensor f, int up, int down, int[] padding, double gain, boolean flipFilter) {
        Tensor xv = x.value();
        Tensor y = Ops.upfirdn2d(xv, f, up, down, padding, gain, flipFilter);
        int h = xv.size(2), w = xv.size(3), ho = y.size(2), wo = y.size(3), fh = f.size(0), fw = f.size(1);
        int[] bp = {fw - padding[0] - 1, w * up - wo * down + padding[0] - up + 1, fh - padding[2] - 1, h * up - ho * down + padding[2] - up + 1};
        return Var.record("upfirdn2d", y,
                (g, gr) -> gr.add(0, Ops.upfirdn2d(g, f, down, down, up, up, bp[0], bp[1], bp[2], bp[3], gain, !flipFilter)),
                // the adjoint as a recorded upfirdn2d: linear in g, so its own backward is the forward again
                (g, out, gr) -> gr.add(0, upfirdn2d(g, f, down, up, bp, gain, !flipFilter)), x);
    }

    /**
     * NVlabs upfirdn2d.upsample2d with padding 0, gain 1, flip_filter False: up-sample by {@code up} with the FIR f,
     * i.e. upfirdn2d(x, f, up, 1, {(fw+up-1)/2, (fw-up)/2, (fh+up-1)/2, (fh-up)/2}, gain up^2).
     * For StyleGAN2's [1,3,3,1] filter and up 2: padding {2, 1, 2, 1}, gain 4; [N, C, H, W] -> [N, C, 2H, 2W].
     */
    public static Var upsample2d(Var x, Tensor f, int up) {
        int fh = f.size(0), fw = f.size(1);
        int[] p = {(fw + up - 1) / 2, (fw - up) / 2, (fh + up - 1) / 2, (fh - up) / 2};
        return upfirdn2d(x, f, up, 1, p, (double) up * up, false);
    }

    /**
     * NVlabs upfirdn2d.filter2d (flip_filter False): filter keeping the size (plus padding), i.e.
     * upfirdn2d(x, f, 1, 1, {x0 + fw/2, x1 + (fw-1)/2, y0 + fh/2, y1 + (fh-1)/2}, gain). padding {x0, x1, y0, y1}.
     */
    public static Var filter2d(Var x, Tensor f, int[] padding, double gain) {
        if (padding == null || padding.length != 4) {
            throw new IllegalArgumentException("filter2d: padding must be {x0, x1, y0, y1} but is " + java.util.Arrays.toString(padding));
        }
        int fh = f.size(0), fw = f.size(1);
        int[] p = {padding[0] + fw / 2, padding[1] + (fw - 1) / 2, padding[2] + fh / 2, padding[3] + (fh - 1) / 2};
        return upfirdn2d(x, f, 1, 1, p, gain, false);
    }

    /**
     * Bilinear resize, exactly F.interpolate(x, size=(outH, outW), mode='bilinear', align_corners):
     * [N, C, H, W] -> [N, C, outH, outW]. Backward: the adjoint scatter {@link Ops#resizeBilinearBackward}.
     */
    public static Var resizeBilinear(Var x, int outH, int outW, boolean alignCorners) {
        Tensor xv = x.value();
        return Var.record("resizeBilinear", Ops.resizeBilinear(xv, outH, outW, alignCorners),
                (g, gr) -> gr.add(0, Ops.resizeBilinearBackward(g, xv.size(2), xv.size(3), alignCorners)), x);
    }

    /**
     * Bilinear grid sampling with zero padding, exactly F.grid_sample(x, grid, 'bilinear', 'zeros', align_corners):
     * x [N, C, H, W], grid [N, Ho, Wo, 2] ((x, y) in [-1, 1]) -> [N, C, Ho, Wo]. Gradients to x and to grid,
     * each computed only when needed.
     */
    public static Var gridSample(Var x, Var grid, boolean alignCorners) {
        Tensor xv = x.value(), gv = grid.value();
        return Var.record("gridSample", Ops.gridSample(xv, gv, alignCorners), (g, gr) -> {
            Tensor[] d = Ops.gridSampleBackward(g, xv, gv, alignCorners, gr.needs(0), gr.needs(1));
            if (d[0] != null) gr.add(0, d[0]);
            if (d[1] != null) gr.add(1, d[1]);
        }, x, grid);
    }
}
