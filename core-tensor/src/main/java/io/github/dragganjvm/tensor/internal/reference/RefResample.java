package io.github.dragganjvm.tensor.internal.reference;

import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Tensor;

/**
 * Reference resampling kernels: the definitions, as plain loops over any strides and both dtypes, in double.
 *
 * <p>Three families, each exactly as the PyTorch code DragGAN runs:
 * <ul>
 *   <li>{@link #upfirdn2d}: NVlabs {@code upfirdn2d} (the StyleGAN2 FIR up/down-sampling).</li>
 *   <li>{@link #resizeBilinear}: {@code F.interpolate(mode='bilinear')} with an explicit output size.</li>
 *   <li>{@link #gridSample}: {@code F.grid_sample(mode='bilinear', padding_mode='zeros')}.</li>
 * </ul>
 * Coordinates: pixel (x, y) is column x, row y; tensors are {@code [N, C, H, W]}.
 */
public final class RefResample {
    private RefResample() {}

    // ================================================================== upfirdn2d

    /**
     * NVlabs upfirdn2d. Think of three signals along each axis (shown for x; y is the same):
     * <ol>
     *   <li>up-sampled: {@code u[k] = x[k / up]} when {@code k % up == 0}, else 0, for k in [0, W*up);</li>
     *   <li>padded: {@code p[k] = u[k - padX0]} (0 outside u; a negative padX0 crops from the start, a negative
     *       padX1 from the end: both only move the window);</li>
     *   <li>filtered and down-sampled: {@code out[X] = gain * sum_j fk[j] p[X*down + j]}, where fk is f flipped in
     *       both axes (a true convolution) unless flipFilter.</li>
     * </ol>
     * x [N, C, H, W], f [fh, fw] -> [N, C, outH, outW], outH = (H*upY + padY0 + padY1 - fh) / downY + 1.
     */
    public static Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                                   int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int fh = f.size(0), fw = f.size(1);
        int outH = Math.floorDiv(h * upY + padY0 + padY1 - fh, downY) + 1;
        int outW = Math.floorDiv(w * upX + padX0 + padX1 - fw, downX) + 1;
        Tensor out = Tensor.zeros(x.dtype(), n, c, outH, outW);
        HostStorage hx = x.host(), hf = f.host(), ho = out.host();
        int[] sx = x.strides(), sf = f.strides();
        int o = 0;
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++) {
                int plane = x.offset() + b * sx[0] + ch * sx[1];
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = 0; ox < outW; ox++) {
                        double s = 0;
                        for (int i = 0; i < fh; i++) {
                            int uy = oy * downY + i - padY0;                       // row in the up-sampled signal
                            if (uy < 0 || uy >= h * upY || uy % upY != 0) continue;
                            int iy = uy / upY;
                            for (int j = 0; j < fw; j++) {
                                int ux = ox * downX + j - padX0;
                                if (ux < 0 || ux >= w * upX || ux % upX != 0) continue;
                                int ix = ux / upX;
                                int fi = flipFilter ? i : fh - 1 - i, fj = flipFilter ? j : fw - 1 - j;
                                s += hf.get(f.offset() + fi * sf[0] + fj * sf[1]) * hx.get(plane + iy * sx[2] + ix * sx[3]);
                            }
                        }
                        ho.set(o++, s * gain);
                    }
            }
        return out;
    }

    // ================================================================== bilinear resize (F.interpolate)

    /**
     * PyTorch's source-index scale for one axis ({@code area_pixel_compute_scale} with an explicit output size):
     * align_corners: (in - 1) / (out - 1) (0 when out == 1); otherwise in / out.
     */
    public static double resizeScale(int in, int out, boolean alignCorners) {
        if (alignCorners) return out > 1 ? (double) (in - 1) / (out - 1) : 0.0;
        return (double) in / out;
    }

    /**
     * PyTorch's source coordinate of output index dst ({@code area_pixel_compute_source_index}, linear mode):
     * align_corners: scale * dst; otherwise max(scale * (dst + 0.5) - 0.5, 0).
     */
    public static double resizeSource(double scale, int dst, boolean alignCorners) {
        if (alignCorners) return scale * dst;
        double src = scale * (dst + 0.5) - 0.5;
        return src < 0 ? 0 : src;
    }

    /**
     * Bilinear resize, exactly F.interpolate(x, size=(outH, outW), mode='bilinear', align_corners) (no antialias).
     * For each output row: src = resizeSource(.), y0 = (int) src, y1 = min(y0 + 1, H - 1), ly = src - y0;
     * likewise columns; out = (1-ly)((1-lx) x[y0,x0] + lx x[y0,x1]) + ly((1-lx) x[y1,x0] + lx x[y1,x1]).
     * x [N, C, H, W] -> [N, C, outH, outW].
     */
    public static Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        double sh = resizeScale(h, outH, alignCorners), sw = resizeScale(w, outW, alignCorners);
        Tensor out = Tensor.zeros(x.dtype(), n, c, outH, outW);
        HostStorage hx = x.host(), ho = out.host();
        int[] sx = x.strides();
        int o = 0;
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++) {
                int plane = x.offset() + b * sx[0] + ch * sx[1];
                for (int oy = 0; oy < outH; oy++) {
                    double srcY = resizeSource(sh, oy, alignCorners);
                    int y0 = (int) srcY, y1 = y0 < h - 1 ? y0 + 1 : y0;
                    double ly = srcY - y0;
                    for (int ox = 0; ox < outW; ox++) {
                        double srcX = resizeSource(sw, ox, alignCorners);
                        int x0 = (int) srcX, x1 = x0 < w - 1 ? x0 + 1 : x0;
                        double lx = srcX - x0;
                        double top = (1 - lx) * hx.get(plane + y0 * sx[2] + x0 * sx[3]) + lx * hx.get(plane + y0 * sx[2] + x1 * sx[3]);
                        double bot = (1 - lx) * hx.get(plane + y1 * sx[2] + x0 * sx[3]) + lx * hx.get(plane + y1 * sx[2] + x1 * sx[3]);
                        ho.set(o++, (1 - ly) * top + ly * bot);
                    }
                }
            }
        return out;
    }

    /**
     * Gradient of {@link #resizeBilinear}: every output pixel adds gout times its four weights into the input
     * pixels it read (the adjoint). gout [N, C, outH, outW] -> [N, C, inH, inW].
     */
    public static Tensor resizeBilinearBackward(Tensor gout, int inH, int inW, boolean alignCorners) {
        int n = gout.size(0), c = gout.size(1), outH = gout.size(2), outW = gout.size(3);
        double sh = resizeScale(inH, outH, alignCorners), sw = resizeScale(inW, outW, alignCorners);
        double[] acc = new double[n * c * inH * inW];
        HostStorage hg = gout.host();
        int[] sg = gout.strides();
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++) {
                int plane = gout.offset() + b * sg[0] + ch * sg[1];
                int base = (b * c + ch) * inH * inW;
                for (int oy = 0; oy < outH; oy++) {
                    double srcY = resizeSource(sh, oy, alignCorners);
                    int y0 = (int) srcY, y1 = y0 < inH - 1 ? y0 + 1 : y0;
                    double ly = srcY - y0;
                    for (int ox = 0; ox < outW; ox++) {
                        double srcX = resizeSource(sw, ox, alignCorners);
                        int x0 = (int) srcX, x1 = x0 < inW - 1 ? x0 + 1 : x0;
                        double lx = srcX - x0;
                        double g = hg.get(plane + oy * sg[2] + ox * sg[3]);
                        acc[base + y0 * inW + x0] += (1 - ly) * (1 - lx) * g;
                        acc[base + y0 * inW + x1] += (1 - ly) * lx * g;
                        acc[base + y1 * inW + x0] += ly * (1 - lx) * g;
                        acc[base + y1 * inW + x1] += ly * lx * g;
                    }
                }
            }
        return fromDoubles(gout, acc, n, c, inH, inW);
    }

    // ================================================================== grid sampling (F.grid_sample)

    /**
     * PyTorch's un-normalisation of a grid coordinate in [-1, 1] to a pixel coordinate over a size-long axis
     * ({@code grid_sampler_unnormalize}): align_corners: (g + 1) / 2 * (size - 1) (-1 and 1 are the centres of
     * the corner pixels); otherwise ((g + 1) * size - 1) / 2 (-1 and 1 are the outer edges of the corner pixels).
     */
    public static double gridUnnormalize(double g, int size, boolean alignCorners) {
        return alignCorners ? (g + 1) / 2 * (size - 1) : ((g + 1) * size - 1) / 2;
    }

    /** d(pixel coordinate)/d(grid coordinate): (size - 1) / 2 with align_corners, else size / 2. */
    public static double gridUnnormalizeSlope(int size, boolean alignCorners) {
        return alignCorners ? (size - 1) / 2.0 : size / 2.0;
    }

    /**
     * Bilinear grid sampling with zero padding. For output (n, c, i, j): ix = unnormalize(grid[n, i, j, 0], W),
     * iy = unnormalize(grid[n, i, j, 1], H); x0 = floor(ix), y0 = floor(iy), fx = ix - x0, fy = iy - y0;
     * out = (1-fx)(1-fy) v(y0, x0) + fx(1-fy) v(y0, x0+1) + (1-fx)fy v(y0+1, x0) + fx fy v(y0+1, x0+1),
     * where v is x[n, c] inside the map and 0 outside. x [N, C, H, W], grid [N, Ho, Wo, 2] -> [N, C, Ho, Wo].
     */
    public static Tensor gridSample(Tensor x, Tensor grid, boolean alignCorners) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int ho = grid.size(1), wo = grid.size(2);
        Tensor out = Tensor.zeros(x.dtype(), n, c, ho, wo);
        HostStorage hx = x.host(), hgr = grid.host(), hout = out.host();
        int[] sx = x.strides(), sgr = grid.strides();
        for (int b = 0; b < n; b++)
            for (int i = 0; i < ho; i++)
                for (int j = 0; j < wo; j++) {
                    int gp = grid.offset() + b * sgr[0] + i * sgr[1] + j * sgr[2];
                    double ix = gridUnnormalize(hgr.get(gp), w, alignCorners);
                    double iy = gridUnnormalize(hgr.get(gp + sgr[3]), h, alignCorners);
                    int x0 = (int) Math.floor(ix), y0 = (int) Math.floor(iy);
                    double fx = ix - x0, fy = iy - y0;
                    for (int ch = 0; ch < c; ch++) {
                        int plane = x.offset() + b * sx[0] + ch * sx[1];
                        double v00 = at(hx, plane, sx, h, w, y0, x0), v01 = at(hx, plane, sx, h, w, y0, x0 + 1);
                        double v10 = at(hx, plane, sx, h, w, y0 + 1, x0), v11 = at(hx, plane, sx, h, w, y0 + 1, x0 + 1);
                        double s = (1 - fx) * (1 - fy) * v00 + fx * (1 - fy) * v01 + (1 - fx) * fy * v10 + fx * fy * v11;
                        hout.set(((b * c + ch) * ho + i) * wo + j, s);
                    }
                }
        return out;
    }

    /**
     * Gradients of {@link #gridSample}, computing only those asked for:
     * dx[n, c, y, x] += gout * (bilinear weight of that corner) for the in-map corners;
     * dgrid[n, i, j, 0] = slopeX * sum_c gout * ((v01 - v00)(1 - fy) + (v11 - v10) fy), and
     * dgrid[n, i, j, 1] = slopeY * sum_c gout * ((v10 - v00)(1 - fx) + (v11 - v01) fx), with v = 0 outside
     * (the derivative of the bilinear form on the cell that floor() picked, as PyTorch). Returns {dx, dgrid}.
     */
    public static Tensor[] gridSampleBackward(Tensor gout, Tensor x, Tensor grid, boolean alignCorners, boolean needX, boolean needGrid) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int ho = grid.size(1), wo = grid.size(2);
        double[] dx = needX ? new double[n * c * h * w] : null;
        double[] dgrid = needGrid ? new double[n * ho * wo * 2] : null;
        double slopeX = gridUnnormalizeSlope(w, alignCorners), slopeY = gridUnnormalizeSlope(h, alignCorners);
        HostStorage hx = x.host(), hgr = grid.host(), hg = gout.host();
        int[] sx = x.strides(), sgr = grid.strides(), sg = gout.strides();
        for (int b = 0; b < n; b++)
            for (int i = 0; i < ho; i++)
                for (int j = 0; j < wo; j++) {
                    int gp = grid.offset() + b * sgr[0] + i * sgr[1] + j * sgr[2];
                    double ix = gridUnnormalize(hgr.get(gp), w, alignCorners);
                    double iy = gridUnnormalize(hgr.get(gp + sgr[3]), h, alignCorners);
                    int x0 = (int) Math.floor(ix), y0 = (int) Math.floor(iy);
                    double fx = ix - x0, fy = iy - y0;
                    double gix = 0, giy = 0;
                    for (int ch = 0; ch < c; ch++) {
                        double g = hg.get(gout.offset() + b * sg[0] + ch * sg[1] + i * sg[2] + j * sg[3]);
                        if (needX) {
                            int base = (b * c + ch) * h * w;
                            addAt(dx, base, h, w, y0, x0, (1 - fx) * (1 - fy) * g);
                            addAt(dx, base, h, w, y0, x0 + 1, fx * (1 - fy) * g);
                            addAt(dx, base, h, w, y0 + 1, x0, (1 - fx) * fy * g);
                            addAt(dx, base, h, w, y0 + 1, x0 + 1, fx * fy * g);
                        }
                        if (needGrid) {
                            int plane = x.offset() + b * sx[0] + ch * sx[1];
                            double v00 = at(hx, plane, sx, h, w, y0, x0), v01 = at(hx, plane, sx, h, w, y0, x0 + 1);
                            double v10 = at(hx, plane, sx, h, w, y0 + 1, x0), v11 = at(hx, plane, sx, h, w, y0 + 1, x0 + 1);
                            gix += g * ((v01 - v00) * (1 - fy) + (v11 - v10) * fy);
                            giy += g * ((v10 - v00) * (1 - fx) + (v11 - v01) * fx);
                        }
                    }
                    if (needGrid) {
                        int q = ((b * ho + i) * wo + j) * 2;
                        dgrid[q] = gix * slopeX;
                        dgrid[q + 1] = giy * slopeY;
                    }
                }
        return new Tensor[]{
                needX ? fromDoubles(x, dx, n, c, h, w) : null,
                needGrid ? fromDoubles(grid, dgrid, n, ho, wo, 2) : null};
    }

    /** x[plane + y*sy + x*sx], or 0 outside the h x w map. */
    private static double at(HostStorage hx, int plane, int[] sx, int h, int w, int y, int x) {
        return y < 0 || y >= h || x < 0 || x >= w ? 0 : hx.get(plane + y * sx[2] + x * sx[3]);
    }

    /** acc[base + y*w + x] += v when (y, x) lies inside the h x w map. */
    private static void addAt(double[] acc, int base, int h, int w, int y, int x, double v) {
        if (y >= 0 && y < h && x >= 0 && x < w) acc[base + y * w + x] += v;
    }

    /** A contiguous tensor of like's dtype holding the given values (rounded for F32). */
    private static Tensor fromDoubles(Tensor like, double[] values, int... shape) {
        Tensor out = Tensor.zeros(like.dtype(), shape);
        HostStorage h = out.host();
        for (int i = 0; i < values.length; i++) h.set(i, values[i]);
        return out;
    }
}
