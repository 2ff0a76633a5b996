package io.github.dragganjvm.tensor.internal.reference;

import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;

/**
 * Reference convolutions: the definitions, as plain loops over any strides and both dtypes, summing in double.
 * Cross-correlation (no kernel flip) with zero padding, exactly torch.nn.functional.conv2d / conv_transpose2d.
 */
public final class RefConv {
    private RefConv() {}

    /** out[n, o, y, x] = sum_{c, i, j} x[n, g*Cg + c, y*sh + i - ph, x*sw + j - pw] * w[o, c, i, j], g = o / (O/groups). */
    public static Tensor conv2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        int n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
        int cout = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3);
        int og = cout / groups;
        int ho = Shapes.convOut(h, kh, strideH, padH), wo = Shapes.convOut(wd, kw, strideW, padW);
        Tensor out = Tensor.zeros(x.dtype(), n, cout, ho, wo);
        HostStorage hx = x.host(), hw = w.host(), hout = out.host();
        int[] sx = x.strides(), sw = w.strides();
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++) {
                int g = o / og;
                for (int y = 0; y < ho; y++)
                    for (int xx = 0; xx < wo; xx++) {
                        double s = 0;
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < kh; i++) {
                                int iy = y * strideH + i - padH;
                                if (iy < 0 || iy >= h) continue;
                                for (int j = 0; j < kw; j++) {
                                    int ix = xx * strideW + j - padW;
                                    if (ix < 0 || ix >= wd) continue;
                                    s += hx.get(x.offset() + b * sx[0] + (g * cg + c) * sx[1] + iy * sx[2] + ix * sx[3])
                                            * hw.get(w.offset() + o * sw[0] + c * sw[1] + i * sw[2] + j * sw[3]);
                                }
                            }
                        hout.set(((b * cout + o) * ho + y) * wo + xx, s);
                    }
            }
        return out;
    }

    /**
     * Transposed convolution: every input pixel scatters its kernel. x [N, C, H, W], w [C, O/groups, kh, kw]:
     * out[n, g*Og + o, y*sh + i - ph, x*sw + j - pw] += x[n, c, y, x] * w[c, o, i, j] for c in group g.
     */
    public static Tensor convTranspose2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        int n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
        int og = w.size(1), kh = w.size(2), kw = w.size(3);
        int cg = cin / groups, cout = og * groups;
        int ho = Shapes.convTransposeOut(h, kh, strideH, padH), wo = Shapes.convTransposeOut(wd, kw, strideW, padW);
        double[] acc = new double[n * cout * ho * wo];
        HostStorage hx = x.host(), hw = w.host();
        int[] sx = x.strides(), sw = w.strides();
        for (int b = 0; b < n; b++)
            for (int c = 0; c < cin; c++) {
                int g = c / cg;
                for (int y = 0; y < h; y++)
                    for (int xx = 0; xx < wd; xx++) {
                        double v = hx.get(x.offset() + b * sx[0] + c * sx[1] + y * sx[2] + xx * sx[3]);
                        for (int o = 0; o < og; o++)
                            for (int i = 0; i < kh; i++) {
                                int oy = y * strideH + i - padH;
                                if (oy < 0 || oy >= ho) continue;
                                for (int j = 0; j < kw; j++) {
                                    int ox = xx * strideW + j - padW;
                                    if (ox < 0 || ox >= wo) continue;
                                    acc[((b * cout + g * og + o) * ho + oy) * wo + ox] +=
                                            v * hw.get(w.offset() + c * sw[0] + o * sw[1] + i * sw[2] + j * sw[3]);
                                }
                            }
                    }
            }
        Tensor out = Tensor.zeros(x.dtype(), n, cout, ho, wo);
        for (int i = 0; i < acc.length; i++) out.host().set(i, acc[i]);
        return out;
    }

    /** dw[o, c, i, j] = sum_{n, y, x} gout[n, o, y, x] * x[n, g*Cg + c, y*sh + i - ph, x*sw + j - pw]. */
    public static Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int strideH, int strideW, int padH, int padW, int groups) {
        int n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
        int cout = gout.size(1), ho = gout.size(2), wo = gout.size(3);
        int cg = cin / groups, og = cout / groups;
        Tensor out = Tensor.zeros(x.dtype(), cout, cg, kh, kw);
        HostStorage hx = x.host(), hg = gout.host(), hout = out.host();
        int[] sx = x.strides(), sg = gout.strides();
        for (int o = 0; o < cout; o++) {
            int g = o / og;
            for (int c = 0; c < cg; c++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++) {
                        double s = 0;
                        for (int b = 0; b < n; b++)
                            for (int y = 0; y < ho; y++) {
                                int iy = y * strideH + i - padH;
                                if (iy < 0 || iy >= h) continue;
                                for (int xx = 0; xx < wo; xx++) {
                                    int ix = xx * strideW + j - padW;
                                    if (ix < 0 || ix >= wd) continue;
                                    s += hg.get(gout.offset() + b * sg[0] + o * sg[1] + y * sg[2] + xx * sg[3])
                                            * hx.get(x.offset() + b * sx[0] + (g * cg + c) * sx[1] + iy * sx[2] + ix * sx[3]);
                                }
                            }
                        hout.set(((o * cg + c) * kh + i) * kw + j, s);
                    }
        }
        return out;
    }
}
