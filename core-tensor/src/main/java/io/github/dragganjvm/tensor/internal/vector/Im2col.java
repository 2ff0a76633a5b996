package io.github.dragganjvm.tensor.internal.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The im2col matrix of one image, packed straight from the image so that it never exists in memory.
 *
 * <p>For an image {@code x[c, y, x]} (channels {@code [0, channels)} starting at {@code off}, any strides) and a
 * {@code kh x kw} window moved with stride {@code (sh, sw)} over an output grid {@code ho x wo}, the matrix is
 * <pre>
 *   B[k, n] = x[c, t*sh + i + offY, u*sw + j + offX]   with k = (c*kh + i)*kw + j  and  n = t*wo + u,
 * </pre>
 * zero where the row or column falls outside the {@code h x w} image ({@code offY = -padTop}; a positive offset
 * crops). {@code conv2d} is then {@code out[O, ho*wo] = W[O, C*kh*kw] x B}. As the right operand (this class)
 * it is {@code [C*kh*kw, ho*wo]}; {@link Transposed} is the same matrix transposed, {@code [ho*wo, C*kh*kw]}, the
 * right operand of the weight gradient {@code dW = gout x B^T}.
 */
public final class Im2col implements Operand {
    private static final int NR = Sgemm.NR, VL = Sgemm.VL;
    private static final VectorSpecies<Float> S = Sgemm.S;

    private final float[] x;
    private final int off, sC, sH, sW, h, w, kh, kw, sh, sw, offY, offX, wo;

    /**
     * @param x     image storage; element (c, y, x) at {@code off + c*sC + y*sH + x*sW}
     * @param h     image height; {@code w} its width
     * @param kh    window height; {@code kw} its width
     * @param sh    vertical stride; {@code sw} horizontal
     * @param offY  image row of window row 0 at output row 0 (minus the top padding); {@code offX} likewise
     * @param wo    output width (the output height only bounds n, which the caller does)
     */
    public Im2col(float[] x, int off, int sC, int sH, int sW, int h, int w, int kh, int kw,
                  int sh, int sw, int offY, int offX, int wo) {
        this.x = x; this.off = off; this.sC = sC; this.sH = sH; this.sW = sW; this.h = h; this.w = w;
        this.kh = kh; this.kw = kw; this.sh = sh; this.sw = sw; this.offY = offY; this.offX = offX; this.wo = wo;
    }

    /** The transposed matrix {@code B^T [ho*wo, C*kh*kw]}, packed as a right operand. */
    public Operand transposed() { return new Transposed(); }

    /**
     * Writes {@code len} consecutive output pixels of one im2col row into {@code dst[d], dst[d + step], ...}:
     * the pixels n = t*wo + u .. with u + len <= wo (one output row), for window tap (c, i, j).
     */
    private void gatherRow(int c, int i, int j, int t, int u, int len, float[] dst, int d, int step) {
        int iy = t * sh + i + offY;
        if (iy < 0 || iy >= h) {
            for (int q = 0; q < len; q++, d += step) dst[d] = 0f;
            return;
        }
        int rowBase = off + c * sC + iy * sH;
        int ix = u * sw + j + offX;
        if (sw == 1 && sW == 1 && step == 1) {
            // a contiguous run of the image row, with zeros where it hangs over the left or right border
            int lo = Math.max(0, -ix), hi = Math.min(len, w - ix);
            if (hi <= lo) {
                Arrays.fill(dst, d, d + len, 0f);
                return;
            }
            if (lo > 0) Arrays.fill(dst, d, d + lo, 0f);
            System.arraycopy(x, rowBase + ix + lo, dst, d + lo, hi - lo);
            if (hi < len) Arrays.fill(dst, d + hi, d + len, 0f);
            return;
        }
        for (int q = 0; q < len; q++, d += step, ix += sw) dst[d] = ix >= 0 && ix < w ? x[rowBase + ix * sW] : 0f;
    }

    @Override public void packB(int k0, int kc, int j0, int nc, float[] dst) {
        boolean unitStride = sw == 1 && sW == 1;
        // window tap (c, i, j) of row k, advanced incrementally (divisions per row cost more than the copying)
        int c = k0 / (kh * kw), i = k0 % (kh * kw) / kw, j = k0 % kw;
        int t0 = j0 / wo, u0 = j0 % wo;
        for (int kk = 0; kk < kc; kk++) {
            int rowOff = off + c * sC;
            // row k of the block: consecutive pixels j0 .. j0+nc, i.e. row kk of every panel
            for (int jp = 0, t = t0, u = u0; jp < nc; jp += NR) {
                int cols = Math.min(NR, nc - jp), d = jp * kc + kk * NR;
                for (int q = 0; q < cols; ) {
                    int len;
                    int iy = t * sh + i + offY, ix = u + j + offX;
                    if (unitStride && q + VL <= cols && u + VL <= wo && (iy < 0 || iy >= h || ix >= 0 && ix + VL <= w)) {
                        // VL pixels of one output row, all inside the image row (or all in a padding row)
                        len = VL;
                        if (iy < 0 || iy >= h) FloatVector.zero(S).intoArray(dst, d + q);
                        else FloatVector.fromArray(S, x, rowOff + iy * sH + ix).intoArray(dst, d + q);
                    } else {
                        // borders, strides and the ends of output rows: element by element
                        len = Math.min(Math.min(cols - q, wo - u), VL);
                        gatherRow(c, i, j, t, u, len, dst, d + q, 1);
                    }
                    q += len;
                    u += len;
                    if (u == wo) {
                        t++;
                        u = 0;
                    }
                }
                if (cols < NR) Arrays.fill(dst, d + cols, d + NR, 0f);
            }
            if (++j == kw) {
                j = 0;
                if (++i == kh) {
                    i = 0;
                    c++;
                }
            }
        }
    }

    /** {@code B^T [ho*wo, C*kh*kw]}: rows are output pixels, columns window taps. */
    private final class Transposed implements Operand {
        @Override public void packB(int k0, int kc, int j0, int nc, float[] dst) {
            int taps = kh * kw;
            for (int p = 0, jp = 0; jp < nc; p++, jp += NR) {
                int cols = Math.min(NR, nc - jp), base = p * kc * NR;
                for (int q = 0; q < cols; q++) {
                    int n = j0 + jp + q, c = n / taps, r = n - c * taps, i = r / kw, j = r - i * kw;
                    // column q of the panel: pixels k0 .. k0+kc, written with stride NR
                    for (int kk = 0, t = k0 / wo, u = k0 % wo; kk < kc; ) {
                        int len = Math.min(kc - kk, wo - u);
                        gatherRow(c, i, j, t, u, len, dst, base + kk * NR + q, NR);
                        kk += len;
                        t++;
                        u = 0;
                    }
                }
                if (cols < NR) {
                    for (int kk = 0; kk < kc; kk++) Arrays.fill(dst, base + kk * NR + cols, base + kk * NR + NR, 0f);
                }
            }
        }
    }
}
