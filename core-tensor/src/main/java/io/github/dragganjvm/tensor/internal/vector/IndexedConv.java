package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct convolutions over the whole batch (one group; F32 host tensors, NCHW, PyTorch semantics) that compute
 * exactly the real outputs: for the small images of training (4x4, 8x8), where {@link StackedConv}'s grid wastes a
 * third (4x4: 25 cells per 16 outputs) to a fifth (8x8: 81 per 64) of its work on the zero cells between rows.
 *
 * <p><b>Idea.</b> The input is laid out as for {@link StackedConv} (a {@link StackedImage}, tap offsets
 * {@code koff[k]}, k = (c, i, j)); real output pixel p (n, t, u) sits at grid cell {@code pos[p]}. Then, with
 * {@code X[k, p] = data[koff[k] + pos[p]]} (the im2col matrix of the whole batch, never formed),
 * <pre>
 *   conv2d / a transposed conv's phase:   out[p, o] = sum_k X[k, p] * Wt[k, o]      (Wt the weight, transposed)
 *   conv2dWeightGrad:                     dW[o, k]  = sum_p X[k, p] * Gt[p, o]      (Gt the output gradient, transposed)
 * </pre>
 * Both are one register tile, {@code C[r, o] = sum_s data[idx[s] + off[r]] * B[s, o]}: MR rows (output pixels, or
 * taps) whose elements are broadcast from the layout at a per-row offset ({@code off} = pos, or koff) plus a
 * per-step offset ({@code idx} = koff, or pos), times two vectors of output channels read from B packed in
 * column panels (the weight or the output gradient, transposed; once per call). The vectors run along the output
 * channels, so no cell is wasted and nothing is reduced across lanes; the per-row offsets are arbitrary, so the
 * broadcasts need no contiguity. {@link VConv} sends the shapes where this beats {@link StackedConv} here.
 *
 * <p><b>Order of the sums.</b> Every output is one chain of fused multiply-adds over s = 0, 1, ... in order
 * (k for the convolutions, p = (n, t, u) row-major for the weight gradient), whichever thread computes its tile:
 * results are bit-identical run to run and for any thread count; they differ from the reference only by rounding.
 */
final class IndexedConv {
    private IndexedConv() {}

    private static final VectorSpecies<Float> S = Sgemm.S;
    private static final int VL = Sgemm.VL;
    /** Rows of the register tile (output pixels or taps): 8 with AVX-512's 32 registers, 4 with AVX2's 16, as {@link Sgemm}. */
    static final int MR = Sgemm.MR;
    /** Output channels of the register tile (and of a packed panel of B): two vectors. */
    static final int NB = 2 * VL;

    // ------------------------------------------------------------------ public ops

    /** x [N, C, H, W], w [O, C, kh, kw] (any strides), groups 1 -> [N, O, Ho, Wo] (arguments checked by Ops). */
    static Tensor conv2d(Tensor x, Tensor w, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3);
        int ho = Shapes.convOut(h, kh, sh, ph), wo = Shapes.convOut(wd, kw, sw, pw);
        Tensor out = Tensor.zeros(n, o, ho, wo);
        if (n == 0 || o == 0 || c == 0 || ho <= 0 || wo <= 0) return out;
        StackedConv.Axis ay = StackedConv.Axis.conv(h, kh, sh, ph, ho), ax = StackedConv.Axis.conv(wd, kw, sw, pw, wo);
        int reach = (kh - 1) / sh * ax.cells() + (kw - 1) / sw;
        StackedImage xs = StackedImage.of(x, sh, sw, ph, pw, ay.cells(), ax.cells(), c, n * ay.cells() * ax.cells() + reach,
                StackedConv.scratch(0));
        StackedConv.keep(0, xs);
        int[] koff = StackedConv.convTaps(xs, c, kh, kw);
        // Wt[k, o] = w[o, c, i, j], k = (c*kh + i)*kw + j
        int[] s = w.strides(), wk = new int[c * kh * kw];
        for (int cc = 0, k = 0; cc < c; cc++) for (int i = 0; i < kh; i++) for (int j = 0; j < kw; j++) wk[k++] = cc * s[1] + i * s[2] + j * s[3];
        Panels b = Panels.pack(w.host().f32, w.offset(), s[0], wk, o, CallScratch.INDEXED_B);
        Pixels px = Pixels.of(n, ho, wo, ay.cells(), ax.cells(), o, ho, wo, 0, 0, 1, 1);
        product(px.count, px.pos, koff, xs.data, b, px.sink(out.host().f32, o, ho * wo));
        return out;
    }

    /** x [N, C, H, W], w [C, O, kh, kw] (any strides), groups 1 -> [N, O, (H-1)*sh - 2*ph + kh, ...]. */
    static Tensor convTranspose2d(Tensor x, Tensor w, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(1), kh = w.size(2), kw = w.size(3);
        int oh = Shapes.convTransposeOut(h, kh, sh, ph), ow = Shapes.convTransposeOut(wd, kw, sw, pw);
        Tensor out = Tensor.zeros(n, o, oh, ow);
        if (n == 0 || o == 0 || c == 0 || oh <= 0 || ow <= 0) return out;
        StackedConv.PhaseGrid grid = StackedConv.PhaseGrid.of(h, wd, kh, kw, sh, sw, ph, pw, oh, ow);
        if (grid == null) return out;                              // no phase has taps and outputs: all zero
        StackedConv.Axis ay = grid.ay(), ax = grid.ax();
        StackedImage xs = StackedImage.of(x, 1, 1, ay.pad(), ax.pad(), ay.cells(), ax.cells(), c, n * ay.cells() * ax.cells() + grid.reach(),
                StackedConv.scratch(0));
        StackedConv.keep(0, xs);
        float[] ov = out.host().f32;
        int[] s = w.strides();
        for (int ry = 0; ry < sh; ry++) {
            VConv.Phase qy = grid.py()[ry];
            if (!StackedConv.active(qy)) continue;
            for (int rx = 0; rx < sw; rx++) {
                VConv.Phase qx = grid.px()[rx];
                if (!StackedConv.active(qx)) continue;
                int ty = qy.taps(), tx = qx.taps();
                // tap (c, v, v') of the phase's flipped sub-kernel: its layout offset, and its weights
                // Wt[k, o] = w[c, o, i0y + sh*(ty-1-v), i0x + sw*(tx-1-v')], k = (c*ty + v)*tx + v'
                int[] koff = grid.taps(xs, c, qy, qx), wk = new int[koff.length];
                for (int cc = 0, k = 0; cc < c; cc++) {
                    for (int v = 0; v < ty; v++) {
                        for (int v2 = 0; v2 < tx; v2++) wk[k++] = cc * s[0] + (qy.i0() + sh * (ty - 1 - v)) * s[2] + (qx.i0() + sw * (tx - 1 - v2)) * s[3];
                    }
                }
                Panels b = Panels.pack(w.host().f32, w.offset(), s[1], wk, o, CallScratch.INDEXED_B);
                Pixels px = Pixels.of(n, qy.count(), qx.count(), ay.cells(), ax.cells(), o, oh, ow, ry, rx, sh, sw);
                product(px.count, px.pos, koff, xs.data, b, px.sink(ov, o, oh * ow));
            }
        }
        return out;
    }

    /**
     * dW [O, C, kh, kw] of conv2d (groups 1) from x [N, C, H, W] and gout [N, O, Ho, Wo] (any strides):
     * {@code dW[o, c, i, j] = sum_{n, t, u} gout[n, o, t, u] * x[n, c, sh*t + i - ph, sw*u + j - pw]}.
     */
    static Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = gout.size(1), ho = gout.size(2), wo = gout.size(3);
        Tensor dw = Tensor.zeros(o, c, kh, kw);
        if (n == 0 || o == 0 || c == 0 || ho == 0 || wo == 0) return dw;
        StackedConv.Axis ay = StackedConv.Axis.conv(h, kh, sh, ph, ho), ax = StackedConv.Axis.conv(wd, kw, sw, pw, wo);
        int reach = (kh - 1) / sh * ax.cells() + (kw - 1) / sw;
        StackedImage xs = StackedImage.of(x, sh, sw, ph, pw, ay.cells(), ax.cells(), c, n * ay.cells() * ax.cells() + reach,
                StackedConv.scratch(0));
        StackedConv.keep(0, xs);
        int[] koff = StackedConv.convTaps(xs, c, kh, kw);
        // Gt[p, o] = gout[n, o, t, u], p = (n*Ho + t)*Wo + u
        Pixels px = Pixels.of(n, ho, wo, ay.cells(), ax.cells(), o, ho, wo, 0, 0, 1, 1);
        int[] s = gout.strides(), gp = new int[px.count];
        for (int b = 0, p = 0; b < n; b++) for (int t = 0; t < ho; t++) for (int u = 0; u < wo; u++) gp[p++] = b * s[0] + t * s[2] + u * s[3];
        Panels g = Panels.pack(gout.host().f32, gout.offset(), s[1], gp, o, CallScratch.INDEXED_B);
        int k = koff.length;
        int[] taps = java.util.Arrays.copyOf(koff, Math.ceilDiv(k, MR) * MR);   // whole register tiles: tap 0 again, dropped
        java.util.Arrays.fill(taps, k, taps.length, koff[0]);
        float[] d = dw.host().f32;
        product(k, taps, px.pos, xs.data, g, (tile, r0, rows, o0, cols) -> {
            for (int q = 0; q < cols; q++) {
                int dst = (o0 + q) * k + r0;
                for (int r = 0; r < rows; r++) d[dst + r] = tile[r * NB + q];
            }
        });
        return dw;
    }

    // ------------------------------------------------------------------ operands

    /**
     * B [depth, m] in panels of NB columns: column block j (columns j*NB ..) at {@code data[j*depth*NB ..]}, row s of
     * it at {@code + s*NB}; columns past m are zero.
     */
    record Panels(float[] data, int depth, int m) {
        int count() { return Math.ceilDiv(m, NB); }

        /**
         * Packs {@code B[s, o] = src[off + o*so + rowOff[s]]} (s < rowOff.length, o < m) into the calling thread's
         * scratch slot (contents undefined on entry; every float of the panels is written).
         */
        static Panels pack(float[] src, int off, int so, int[] rowOff, int m, int slot) {
            int depth = rowOff.length, panels = Math.ceilDiv(m, NB);
            float[] data = CallScratch.get(slot, panels * depth * NB);
            int[] step = new int[VL];
            for (int q = 0; q < VL; q++) step[q] = q * so;
            Parallel.forRange(panels, (long) depth * NB, (from, to) -> {
                for (int j = from; j < to; j++) {
                    int cols = Math.min(NB, m - j * NB), o0 = off + j * NB * so;
                    // row by row, so the writes are sequential and the NB source lines of a row's neighbours stay
                    // in L1 (column by column, NB floats apart, every write missed: a fifth of a 4x4 conv's time)
                    for (int t = 0, d = j * depth * NB; t < depth; t++, d += NB) {
                        int src0 = o0 + rowOff[t];
                        if (cols == NB) {
                            // two gathers of VL channels (so floats apart): half the time of the scalar copy
                            FloatVector.fromArray(S, src, src0, step, 0).intoArray(data, d);
                            FloatVector.fromArray(S, src, src0 + VL * so, step, 0).intoArray(data, d + VL);
                            continue;
                        }
                        for (int q = 0; q < cols; q++) data[d + q] = src[src0 + q * so];
                        for (int q = cols; q < NB; q++) data[d + q] = 0f;
                    }
                }
            });
            return new Panels(data, depth, m);
        }
    }

    /**
     * The real output pixels of a convolution (or of one phase of a transposed conv), p = (n*cy + t)*cx + u for
     * t < cy, u < cx: {@code pos[p]} their grid cell on a layout of {@code rows x rowLen} cells per sample (padded
     * to whole register tiles with cell 0), {@code dst[p]} the index of their output for channel 0 in an
     * [N, O, oh, ow] tensor, {@code out[n, o, ry + sy*t, rx + sx*u]} ({@code + o*oh*ow} for channel o).
     */
    private record Pixels(int count, int[] pos, int[] dst) {
        static Pixels of(int n, int cy, int cx, int rows, int rowLen, int o, int oh, int ow, int ry, int rx, int sy, int sx) {
            int count = n * cy * cx;
            int[] pos = new int[Math.ceilDiv(count, MR) * MR], dst = new int[count];
            for (int b = 0, p = 0; b < n; b++) {
                for (int t = 0; t < cy; t++) {
                    for (int u = 0; u < cx; u++, p++) {
                        pos[p] = (b * rows + t) * rowLen + u;
                        dst[p] = (b * o * oh + ry + sy * t) * ow + rx + sx * u;
                    }
                }
            }
            return new Pixels(count, pos, dst);
        }

        /**
         * Writes tiles of out[p, o] to their pixels of {@code out} (plane = oh*ow floats per channel). Plain stores:
         * scatters (Vector API) were at most a few percent faster, and until C2 compiles this lambda they ran as
         * the API's Java fallback, ~100x slower (calls 20-30 of a 4x4 weight gradient took 250 ms instead of 1).
         */
        Sink sink(float[] out, int o, int plane) {
            return (tile, r0, rows, o0, cols) -> {
                for (int q = 0; q < cols; q++) {
                    int ob = (o0 + q) * plane;
                    for (int r = 0; r < rows; r++) out[dst[r0 + r] + ob] = tile[r * NB + q];
                }
            };
        }
    }

    /** Receives a computed tile: rows [r0, r0 + rows) x columns [o0, o0 + cols) at {@code tile[r*NB + q]}. */
    @FunctionalInterface
    interface Sink { void write(float[] tile, int r0, int rows, int o0, int cols); }

    // ------------------------------------------------------------------ the product

    /** Work units per thread, taken from a shared counter (see {@link StackedConv#UNITS_PER_THREAD}). */
    private static final int UNITS_PER_THREAD = StackedConv.UNITS_PER_THREAD;

    /**
     * {@code C[r, o] = sum_s data[idx[s] + off[r]] * B[s, o]} for r < rows, o < b.m, s < b.depth (at most idx.length),
     * handed tile by tile to the sink. {@code off} holds at least rows rounded up to MR entries, all valid offsets.
     * Work units are runs of row tiles times one panel of B.
     */
    static void product(int rows, int[] off, int[] idx, float[] data, Panels b, Sink sink) {
        int rowTiles = Math.ceilDiv(rows, MR), panels = b.count(), depth = b.depth();
        if (idx.length < depth || off.length < rowTiles * MR) {
            throw new IllegalArgumentException("IndexedConv.product: " + idx.length + " steps for B of depth " + depth
                    + ", " + off.length + " row offsets for " + rows + " rows");
        }
        int threads = Parallel.threads();
        int perRun = Math.max(1, Math.ceilDiv(rowTiles * panels, UNITS_PER_THREAD * threads));
        int runs = Math.ceilDiv(rowTiles, perRun), units = runs * panels, workers = Math.min(threads, units);
        AtomicInteger next = new AtomicInteger();
        float[] bd = b.data();
        Parallel.forRange(workers, 2L * MR * NB * depth * rowTiles * panels / workers, (unusedFrom, unusedTo) -> {
            float[] tile = new float[MR * NB];
            for (int q; (q = next.getAndIncrement()) < units; ) {
                int j = q % panels, t0 = q / panels * perRun, t1 = Math.min(rowTiles, t0 + perRun);
                int o0 = j * NB, cols = Math.min(NB, b.m() - o0);
                for (int t = t0; t < t1; t++) {
                    kernel(depth, idx, data, off, t * MR, bd, j * depth * NB, tile);
                    sink.write(tile, t * MR, Math.min(MR, rows - t * MR), o0, cols);
                }
            }
        });
    }

    // ------------------------------------------------------------------ register tiles

    /** The MR x NB register tile for this CPU (MR is a constant, so the JIT keeps one branch). */
    static void kernel(int depth, int[] idx, float[] x, int[] off, int r0, float[] b, int bo, float[] c) {
        if (MR == 8) kernel8(depth, idx, x, off, r0, b, bo, c);
        else kernel4(depth, idx, x, off, r0, b, bo, c);
    }

    /**
     * {@code c[r*NB + o] = sum_s x[idx[s] + off[r0 + r]] * b[bo + s*NB + o]} for 8 rows and NB = 2VL columns:
     * 16 accumulators; per step 2 loads, 8 broadcasts (at arbitrary offsets), 16 FMAs.
     */
    static void kernel8(int depth, int[] idx, float[] x, int[] off, int r0, float[] b, int bo, float[] c) {
        int q0 = off[r0], q1 = off[r0 + 1], q2 = off[r0 + 2], q3 = off[r0 + 3];
        int q4 = off[r0 + 4], q5 = off[r0 + 5], q6 = off[r0 + 6], q7 = off[r0 + 7];
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int s = 0; s < depth; s++, bo += NB) {
            int k = idx[s];
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + VL);
            FloatVector av;
            av = FloatVector.broadcast(S, x[k + q0]); c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, x[k + q1]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, x[k + q2]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, x[k + q3]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, x[k + q4]); c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, x[k + q5]); c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, x[k + q6]); c60 = av.fma(b0, c60); c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, x[k + q7]); c70 = av.fma(b0, c70); c71 = av.fma(b1, c71);
        }
        c00.intoArray(c, 0);
        c01.intoArray(c, VL);
        c10.intoArray(c, NB);
        c11.intoArray(c, NB + VL);
        c20.intoArray(c, 2 * NB);
        c21.intoArray(c, 2 * NB + VL);
        c30.intoArray(c, 3 * NB);
        c31.intoArray(c, 3 * NB + VL);
        c40.intoArray(c, 4 * NB);
        c41.intoArray(c, 4 * NB + VL);
        c50.intoArray(c, 5 * NB);
        c51.intoArray(c, 5 * NB + VL);
        c60.intoArray(c, 6 * NB);
        c61.intoArray(c, 6 * NB + VL);
        c70.intoArray(c, 7 * NB);
        c71.intoArray(c, 7 * NB + VL);
    }

    /** {@link #kernel8} with 4 rows (8 accumulators: AVX2's 16 registers). */
    static void kernel4(int depth, int[] idx, float[] x, int[] off, int r0, float[] b, int bo, float[] c) {
        int q0 = off[r0], q1 = off[r0 + 1], q2 = off[r0 + 2], q3 = off[r0 + 3];
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int s = 0; s < depth; s++, bo += NB) {
            int k = idx[s];
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + VL);
            FloatVector av;
            av = FloatVector.broadcast(S, x[k + q0]); c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, x[k + q1]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, x[k + q2]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, x[k + q3]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
        }
        c00.intoArray(c, 0);
        c01.intoArray(c, VL);
        c10.intoArray(c, NB);
        c11.intoArray(c, NB + VL);
        c20.intoArray(c, 2 * NB);
        c21.intoArray(c, 2 * NB + VL);
        c30.intoArray(c, 3 * NB);
        c31.intoArray(c, 3 * NB + VL);
    }
}
