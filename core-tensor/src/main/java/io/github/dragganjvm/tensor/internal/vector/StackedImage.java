package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;

/**
 * A batch of images x [N, C, H, W] copied into one zero-padded "tall image" per channel, so that a convolution
 * over the whole batch reads its operand rows as plain contiguous runs of one array (see {@link StackedConv}).
 *
 * <p><b>Layout.</b> A grid of {@code rows x rowLen} cells per sample, the samples stacked vertically, is stored
 * row-major per channel and per phase plane (a, b), {@code a < sy}, {@code b < sx}:
 * <pre>
 *   data[((a*sx + b)*channels + c)*chanStride + (n*rows + Y)*rowLen + X] = x[n, c, sy*Y + a - top, sx*X + b - left]
 * </pre>
 * zero where the source index falls outside the image (or c >= C), and zero from {@code n*rows*rowLen = pixels}
 * up to {@code chanStride}. With strides sy = sx = 1 there is one plane and the grid is the image with {@code top}
 * zero rows above and {@code left} zero columns to its left (and whatever is left of rows x rowLen after it as zeros
 * below / to the right); with stride s the s*s planes hold every s-th row and column, so a stride-s window reads
 * contiguous runs of one plane. A pixel of a convolution's output grid is then {@code p = (n*rows + t)*rowLen + u},
 * and its window tap reads {@code data[tapOffset + p]} for a fixed per-tap offset: the whole batch's output is one
 * product over p, cells with u or t beyond the real output being wasted ("garbage") work.
 *
 * <p>When a run of zero columns right of a row is shorter than the right padding a window needs, the window reads on
 * into the next row's left zeros (and likewise into the next sample's top rows), so the layout needs only
 * {@code max(left, right)} zero columns between rows, not their sum; {@link StackedConv} picks the grids.
 */
final class StackedImage {
    final float[] data;
    /** Channels laid out (C, or C rounded up with zero channels). */
    final int channels;
    /** Strides, i.e. phase planes per axis. */
    final int sy, sx;
    /** Grid rows per sample and cells per grid row. */
    final int rows, rowLen;
    /** Grid cells of the whole batch, n*rows*rowLen. */
    final int pixels;
    /** Floats from one channel (or plane) to the next: at least {@code pixels}. */
    final int chanStride;

    private StackedImage(float[] data, int channels, int sy, int sx, int rows, int rowLen, int pixels, int chanStride) {
        this.data = data; this.channels = channels; this.sy = sy; this.sx = sx; this.rows = rows; this.rowLen = rowLen;
        this.pixels = pixels; this.chanStride = chanStride;
    }

    /** Start of channel c of plane (a, b). */
    int channelBase(int a, int b, int c) { return ((a * sx + b) * channels + c) * chanStride; }

    /**
     * Lays out x [N, C, H, W] (any strides) as described in the class comment.
     *
     * @param sy         vertical stride (phase planes along rows); {@code sx} horizontal
     * @param top        zero rows above the image (in padded source rows); {@code left} zero columns
     * @param rows       grid rows per sample; every source row reaching a cell must fit: {@code (H-1+top)/sy < rows}
     * @param rowLen     grid cells per row; {@code (W-1+left)/sx < rowLen}
     * @param channels   channels to lay out, at least C (the extra ones are zero)
     * @param chanStride floats per channel, at least {@code N*rows*rowLen}
     * @param scratch    an array to lay it out in if it is large enough (every float of the layout is written,
     *                   zeros included, so it may hold anything), else null or too small: a new one is allocated
     */
    static StackedImage of(Tensor x, int sy, int sx, int top, int left, int rows, int rowLen, int channels, int chanStride, float[] scratch) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int pixels = n * rows * rowLen;
        long size = (long) sy * sx * channels * chanStride;
        if (channels < c || chanStride < pixels || (h - 1 + top) / sy >= rows || (w - 1 + left) / sx >= rowLen || top < 0 || left < 0
                || size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("StackedImage: a " + Arrays.toString(x.shape()) + " image with stride " + sy + "x" + sx
                    + " and padding " + top + "," + left + " does not fit " + channels + " channels of " + rows + "x" + rowLen
                    + " cells, channel stride " + chanStride);
        }
        float[] d = scratch != null && scratch.length >= size ? scratch : new float[(int) size];
        float[] src = x.host().f32;
        int[] s = x.strides();
        int off = x.offset(), block = rows * rowLen;
        Parallel.forRange(channels * n, (long) block * sy * sx, (from, to) -> {
            for (int task = from; task < to; task++) {
                int ch = task / n, b = task % n;
                for (int a = 0; a < sy; a++) {
                    for (int bx = 0; bx < sx; bx++) {
                        int chanBase = ((a * sx + bx) * channels + ch) * chanStride, base = chanBase + b * block;
                        if (b == n - 1) Arrays.fill(d, chanBase + pixels, chanBase + chanStride, 0f);   // the channel's tail
                        // source columns sx*X + bx - left in [0, w): X in [xLo, xHi)
                        int xLo = Math.max(0, Math.ceilDiv(left - bx, sx)), xHi = Math.min(rowLen, Math.floorDiv(w - 1 + left - bx, sx) + 1);
                        for (int y = 0; y < rows; y++) {
                            int yy = sy * y + a - top, dst = base + y * rowLen;
                            if (ch >= c || yy < 0 || yy >= h || xHi <= xLo) {
                                Arrays.fill(d, dst, dst + rowLen, 0f);
                                continue;
                            }
                            Arrays.fill(d, dst, dst + xLo, 0f);
                            Arrays.fill(d, dst + xHi, dst + rowLen, 0f);
                            int so = off + b * s[0] + ch * s[1] + yy * s[2] + (sx * xLo + bx - left) * s[3];
                            int step = sx * s[3];
                            if (step == 1) {
                                System.arraycopy(src, so, d, dst + xLo, xHi - xLo);
                            } else {
                                for (int X = xLo, q = dst + xLo; X < xHi; X++, so += step) d[q++] = src[so];
                            }
                        }
                    }
                }
            }
        });
        return new StackedImage(d, channels, sy, sx, rows, rowLen, pixels, chanStride);
    }
}
