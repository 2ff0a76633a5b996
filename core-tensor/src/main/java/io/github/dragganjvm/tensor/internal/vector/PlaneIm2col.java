package io.github.dragganjvm.tensor.internal.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The im2col matrix of one sample of a strided convolution, packed from the phase planes of a {@link StackedImage}
 * instead of from the image: every row of it is then a set of contiguous runs of one plane, with no bounds checks
 * (the layout holds the zero padding) and no stride in the reads.
 *
 * <p>With per-row tap offsets {@code koff[k]} (tap (c, i, j) of a {@code kh x kw} window: plane (i mod sy, j mod sx)
 * of channel c, shifted by (i div sy) rows and (j div sx) cells) and an output grid {@code ho x wo},
 * <pre>
 *   B[k, n] = data[koff[kOff + k] + base + t*rowLen + u]      n = t*wo + u,  base = the sample's first grid cell
 * </pre>
 * which equals {@link Im2col}'s {@code B[k, n] = x[c, sy*t + i - padTop, sx*u + j - padLeft]} (zero outside). As
 * the right operand (this class) it is {@code [K, ho*wo]}, the conv2d's; {@link #transposed()} is
 * {@code [ho*wo, K]}, the weight gradient's. Packing copies the same floats Im2col would: products are bit-identical.
 */
final class PlaneIm2col implements Operand {
    private static final int NR = Sgemm.NR, VL = Sgemm.VL;
    private static final VectorSpecies<Float> S = Sgemm.S;

    private final float[] data;
    private final int[] koff;
    private final int kOff, base, rowLen, wo;

    /**
     * @param layout the sample's layout (its grid must hold every tap's reads: rows {@code t + i/sy < rows},
     *               cells {@code u + j/sx < rowLen})
     * @param koff   tap offsets in the layout (see {@link StackedConv#convTaps})
     * @param kOff   the first tap of this matrix (c0 * kh * kw for a group starting at channel c0)
     * @param base   the sample's first grid cell, {@code n * rows * rowLen}
     * @param wo     output width
     */
    PlaneIm2col(StackedImage layout, int[] koff, int kOff, int base, int wo) {
        this.data = layout.data; this.koff = koff; this.kOff = kOff; this.base = base; this.rowLen = layout.rowLen; this.wo = wo;
    }

    @Override public void packB(int k0, int kc, int j0, int nc, float[] dst) {
        int t0 = j0 / wo, u0 = j0 % wo;
        for (int kk = 0; kk < kc; kk++) {
            int row = koff[kOff + k0 + kk] + base;
            for (int jp = 0, t = t0, u = u0; jp < nc; jp += NR) {
                int cols = Math.min(NR, nc - jp), d = jp * kc + kk * NR;
                for (int q = 0; q < cols; ) {
                    int len = Math.min(cols - q, wo - u), src = row + t * rowLen + u;
                    if (len == VL) FloatVector.fromArray(S, data, src).intoArray(dst, d + q);
                    else System.arraycopy(data, src, dst, d + q, len);
                    q += len;
                    u += len;
                    if (u == wo) {
                        t++;
                        u = 0;
                    }
                }
                if (cols < NR) Arrays.fill(dst, d + cols, d + NR, 0f);
            }
        }
    }

    /** {@code B^T [ho*wo, K]}: rows are output pixels, columns window taps. */
    Operand transposed() { return new Transposed(); }

    private final class Transposed implements Operand {
        @Override public void packB(int k0, int kc, int j0, int nc, float[] dst) {
            int t0 = k0 / wo, u0 = k0 % wo;
            for (int p = 0, jp = 0; jp < nc; p++, jp += NR) {
                int cols = Math.min(NR, nc - jp), pb = p * kc * NR;
                for (int q = 0; q < cols; q++) {
                    int row = koff[kOff + j0 + jp + q] + base;
                    // column q of the panel: pixels k0 .. k0+kc, runs of one grid row each, written with stride NR
                    for (int kk = 0, t = t0, u = u0, d = pb + q; kk < kc; ) {
                        int len = Math.min(kc - kk, wo - u), src = row + t * rowLen + u;
                        for (int e = 0; e < len; e++, d += NR) dst[d] = data[src + e];
                        kk += len;
                        t++;
                        u = 0;
                    }
                }
                if (cols < NR) {
                    for (int kk = 0; kk < kc; kk++) Arrays.fill(dst, pb + kk * NR + cols, pb + kk * NR + NR, 0f);
                }
            }
        }
    }
}
