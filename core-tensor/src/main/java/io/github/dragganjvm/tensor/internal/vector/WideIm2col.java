package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The im2col matrix of a stride-1 correlation, packed from a zero-bordered copy of the image on a <i>wide</i>
 * output grid: its rows are as long as the copy's rows, so that every im2col row is one contiguous run.
 *
 * <p>{@link #border} copies an image x [N, C, H, W] into {@code data} with {@code top}/{@code left} zero rows and
 * columns before each plane's cells and enough after them ({@link Border}): plane (b, c) starts at
 * {@code (b*C + c) * plane}, cell (y, x) of it at {@code (y + top) * pitch + x + left}. For a {@code kh x kw}
 * window whose row {@code i}, column {@code j} reads input cell {@code (t + i + offY, u + j + offX)} of output
 * (t, u), define the wide matrix
 * <pre>
 *   B[k, n] = data[base + c*plane + (i + offY + top)*pitch + (j + offX + left) + n]    k = (c*kh + i)*kw + j,
 *                                                                                     n = t*pitch + u
 * </pre>
 * For {@code u < wo} (the real output width) that is exactly {@link Im2col}'s element, the zero border standing in
 * for its bounds checks; the columns {@code u >= wo} read the next cells of the copy and their outputs are dropped
 * by the caller. So the product {@code W x B} has {@code pitch / wo} times the useful columns (1-6% more work for
 * StyleGAN2's up convs from 16x16 up), and in exchange packing a panel is {@code NR / VL} vector copies with no
 * branches. For a transposed conv's phase of a 128-channel 128x128 image the packing was 29% of the call's
 * samples through Im2col, whose vectors are cut at every output row and image border.
 *
 * <p>Exact: each output column is the same dot product over the same k order as Im2col's (the GEMM's sums do not
 * depend on the other columns), so the real outputs are bit-identical.
 */
final class WideIm2col implements Operand {
    private static final int NR = Sgemm.NR, VL = Sgemm.VL;
    private static final VectorSpecies<Float> S = Sgemm.S;

    /**
     * The layout of a bordered copy: {@code top}, {@code left} zero cells before an image of {@code h x w}, planes
     * of {@code rows x pitch} cells, and {@code tail} cells after the last plane so that a wide row read from the
     * last plane stays inside the array.
     */
    record Border(int h, int w, int top, int left, int rows, int pitch, int tail) {
        /**
         * The border that windows reading rows {@code [minY, maxY]} and columns {@code [minX, maxX]} (input
         * coordinates, possibly outside the image) need.
         */
        static Border of(int h, int w, int minY, int maxY, int minX, int maxX) {
            int top = Math.max(0, -minY), left = Math.max(0, -minX);
            int rows = top + Math.max(h, maxY + 1), pitch = left + Math.max(w, maxX + 1);
            return new Border(h, w, top, left, rows, pitch, pitch);
        }

        int plane() { return rows * pitch; }

        /** Floats of the copy of {@code planes} planes. */
        long floats(int planes) { return (long) planes * plane() + tail; }
    }

    /**
     * Copies x [N, C, H, W] (F32 host, any strides) into {@code dst} in the layout of {@code b}, writing every float
     * of {@code [0, b.floats(N*C))} (zeros around each image), on all threads.
     */
    static void border(Tensor x, Border b, float[] dst) {
        int n = x.size(0), c = x.size(1), h = b.h, w = b.w, pitch = b.pitch, plane = b.plane();
        int[] s = x.strides();
        float[] xv = x.host().f32;
        int xOff = x.offset();
        Parallel.forRange(n * c, (long) plane, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int d = p * plane, src = xOff + p / c * s[0] + p % c * s[1];
                Arrays.fill(dst, d, d + b.top * pitch, 0f);
                d += b.top * pitch;
                for (int y = 0; y < h; y++, d += pitch, src += s[2]) {
                    Arrays.fill(dst, d, d + b.left, 0f);
                    if (s[3] == 1) System.arraycopy(xv, src, dst, d + b.left, w);
                    else for (int q = 0; q < w; q++) dst[d + b.left + q] = xv[src + q * s[3]];
                    Arrays.fill(dst, d + b.left + w, d + pitch, 0f);
                }
                Arrays.fill(dst, d, (p + 1) * plane, 0f);
            }
        });
        int end = n * c * plane;
        Arrays.fill(dst, end, end + b.tail, 0f);
    }

    private final float[] data;
    private final int base, plane, pitch, kh, kw, start;

    /**
     * @param data the bordered copy ({@link #border})
     * @param b    its layout
     * @param base first float of the first channel's plane (sample and group offset)
     * @param kh   window height; {@code kw} its width
     * @param offY input row of window row 0 at output row 0; {@code offX} likewise
     */
    WideIm2col(float[] data, Border b, int base, int kh, int kw, int offY, int offX) {
        if (offY + b.top < 0 || offX + b.left < 0) {
            throw new IllegalArgumentException("WideIm2col: offsets (" + offY + ", " + offX + ") reach above or left of the border ("
                    + b.top + ", " + b.left + ")");
        }
        this.data = data; this.base = base; this.plane = b.plane(); this.pitch = b.pitch; this.kh = kh; this.kw = kw;
        this.start = (offY + b.top) * pitch + offX + b.left;
    }

    /** Columns of the wide matrix for {@code ho} output rows. */
    int columns(int ho) { return ho * pitch; }

    @Override public void packB(int k0, int kc, int j0, int nc, float[] dst) {
        // the first float of each row of the block (window tap (c, i, j) of row k advanced incrementally)
        int[] rowStart = rowStarts(kc);
        for (int kk = 0, c = k0 / (kh * kw), i = k0 % (kh * kw) / kw, j = k0 % kw; kk < kc; kk++) {
            rowStart[kk] = base + c * plane + i * pitch + j + start + j0;
            if (++j == kw) {
                j = 0;
                if (++i == kh) {
                    i = 0;
                    c++;
                }
            }
        }
        // panel by panel, so that the packed block is written in order
        int jp = 0, d = 0;
        for (; jp + NR <= nc; jp += NR) {
            for (int kk = 0; kk < kc; kk++, d += NR) {
                int src = rowStart[kk] + jp;
                for (int q = 0; q < NR; q += VL) FloatVector.fromArray(S, data, src + q).intoArray(dst, d + q);
            }
        }
        if (jp < nc) {
            int cols = nc - jp;
            for (int kk = 0; kk < kc; kk++, d += NR) {
                System.arraycopy(data, rowStart[kk] + jp, dst, d, cols);
                Arrays.fill(dst, d + cols, d + NR, 0f);
            }
        }
    }

    private static final ThreadLocal<int[]> ROW_STARTS = ThreadLocal.withInitial(() -> new int[Sgemm.KC]);

    private static int[] rowStarts(int kc) {
        int[] r = ROW_STARTS.get();
        if (r.length < kc) ROW_STARTS.set(r = new int[kc]);
        return r;
    }
}
