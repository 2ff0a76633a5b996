package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.ref.SoftReference;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct convolutions over the whole batch (one group; F32 host tensors, NCHW, PyTorch semantics), for the
 * shapes of training: many samples, few channels, small images, weights that change every call.
 *
 * <p><b>Idea.</b> The input is copied once into a {@link StackedImage}: all samples stacked into one zero-padded
 * "tall image" per channel (per phase plane for strides above 1). On its grid, output pixel
 * {@code p = (n*rows + t)*rowLen + u} of every sample reads window tap (c, i, j) at {@code data[koff[c,i,j] + p]} for
 * a per-tap offset, so the convolution of the whole batch is ONE matrix product
 * <pre>
 *   out[o, p] = sum_k A[o, k] * data[koff[k] + p]        k = (c, i, j), p over every grid cell of every sample
 * </pre>
 * whose right operand is never packed: its rows are read straight from the layout (the register tile loads
 * {@link #NR} consecutive cells at {@code koff[k] + p}), and whose left operand is the weight read in place. That
 * removes what made the per-sample im2col GEMMs slow for
 * these shapes: packing the im2col panels (per sample, element by element at the borders) cost as much as the
 * multiply-adds when the output has only 16-64 channels, and the per-sample products of a small image were too
 * short to amortise anything. Grid cells outside the real output (the zero columns between rows, the rows between
 * samples) are computed and dropped: 3% of the work at 64x64 with padding 1, 27% at 8x8.
 * <ul>
 *   <li>{@link #conv2d}: A is the weight, {@code koff} walks the kernel window (on the stride's phase planes).</li>
 *   <li>{@link #convTranspose2d}: per output phase (see {@link VConv}) a stride-1 correlation with the phase's
 *       flipped sub-kernel on one shared stride-1 layout, its outputs written to every s-th pixel.</li>
 *   <li>{@link #conv2dWeightGrad}: {@code dW[o, k] = sum_p G[o, p] * data[koff[k] + p]} with the output gradient
 *       G laid out on the same grid (zero on the dropped cells), reduced in vector lanes over p.</li>
 * </ul>
 * <b>Order of the sums.</b> Forward and transposed: over k in order, in blocks of {@link #KC} added to the output,
 * as {@link Sgemm} does. Weight gradient: per lane over the pixels of a chunk of cells ({@link #weightChunk}), then the
 * lanes, then the chunks in order. Neither depends on the number of threads, so results are bit-identical run to
 * run; they differ from the reference only by float rounding.
 */
final class StackedConv {
    private StackedConv() {}

    private static final VectorSpecies<Float> S = Sgemm.S;
    private static final int VL = Sgemm.VL, MR = Sgemm.MR;
    /**
     * Grid cells of the forward register tile: three vectors with 32 registers (AVX-512: 8 x 3 = 24 accumulators,
     * 3 loads + 8 broadcasts per 24 FMAs), two with 16 (AVX2: 4 x 2, as {@link Sgemm}).
     */
    static final int NR = (MR == 8 ? 3 : 2) * VL;
    /**
     * Taps per pass of the forward kernel (as {@link Sgemm}'s KC: a panel's A block stays in L1); for experiments
     * {@code -Ddraggan.stacked.kc}.
     */
    static final int KC = Integer.getInteger("draggan.stacked.kc", 256);
    /** Most grid cells per forward work unit (its output block, O x cells, stays in L2). */
    static final int NC_MAX = 512;
    /**
     * Work units per thread the forward and weight-gradient loops aim for, handed out from a shared counter: on a
     * machine shared with other work a thread that is descheduled for a while then holds up less at the end.
     */
    static final int UNITS_PER_THREAD = 8;
    /**
     * Output channels and taps of the weight gradient's register tile: 4 x 6 = 24 accumulators with 32 vector
     * registers (AVX-512), 2 x 6 = 12 with 16 (AVX2, where 24 accumulators spill: a loop over the tile alone on one
     * core of a Zen 1 EPYC ran 15 GFLOP/s with 4 x 6, 23 with 2 x 6). Every (o, k) sum runs in the same order with
     * either tile, so the results are the same bits.
     */
    static final int WO = MR == 8 ? 4 : 2, WK = 6;
    /** Bounds of the weight gradient's chunk of grid cells, and the floats (input and gradient rows) it aims to span. */
    static final int WCHUNK_MIN = 1024, WCHUNK_MAX = 8192, WCHUNK_FLOATS = 1 << 18;

    /**
     * Grid cells the weight gradient reduces in vector lanes before it sums the lanes: as many as keep a chunk's
     * C + O rows within about 1 MB (L2), 1024 to 8192. Each tile's lanes are summed once per chunk (24 butterflies
     * per tile), so longer chunks cost less there; a function of the shapes only, so results do not depend on threads.
     */
    static int weightChunk(int c, int o) {
        int chunk = Integer.highestOneBit(Math.max(1, WCHUNK_FLOATS / (c + o)));
        return Math.max(WCHUNK_MIN, Math.min(WCHUNK_MAX, chunk));
    }

    // ------------------------------------------------------------------ geometry

    /**
     * One axis of a layout: stride (phase planes), zero cells before the image ({@code pad}) and grid cells per
     * sample. With stride 1 the zeros between two rows serve as the right padding of one and the left padding of
     * the next, so a row needs only max(left, right) of them.
     */
    record Axis(int stride, int pad, int cells) {
        /**
         * A stride-1 axis of {@code size} source cells whose {@code out} outputs read, all together, the source
         * indices {@code lo .. hi} (outside 0 .. size-1: zeros). The grid has {@code -lo} zeros before the image
         * and {@code size + max(-lo, hi - size + 1)} cells per line, more only if the output needs them.
         */
        static Axis stride1(int size, int lo, int hi, int out) {
            int pad = Math.max(0, -lo), after = Math.max(0, hi - (size - 1));
            int shared = size + Math.max(pad, after);
            return new Axis(1, pad, shared >= out ? shared : pad + size + after);
        }

        /** The axis of a conv2d: input size, kernel k, stride, padding, output size. */
        static Axis conv(int size, int k, int stride, int pad, int out) {
            if (stride == 1) return stride1(size, -pad, out - 1 + k - 1 - pad, out);
            return new Axis(stride, pad, Math.max(Math.ceilDiv(pad + size, stride), out + (k - 1) / stride));
        }
    }

    /**
     * Per calling thread, the arrays of its last layouts (slot 0: the input, slot 1: the output gradient), held
     * softly and reused by the next call: a fresh array costs its zeroing by the JVM and, at these sizes (MBs), a
     * humongous allocation; {@link StackedImage#of} writes every float of a reused one.
     */
    @SuppressWarnings("unchecked")
    private static final ThreadLocal<SoftReference<float[]>[]> SCRATCH = ThreadLocal.withInitial(() -> new SoftReference[2]);
    /** Largest layout kept for reuse (floats). */
    private static final int SCRATCH_MAX = 1 << 26;

    static float[] scratch(int slot) {
        SoftReference<float[]> r = SCRATCH.get()[slot];
        return r == null ? null : r.get();
    }

    static void keep(int slot, StackedImage layout) {
        if (layout.data.length <= SCRATCH_MAX && layout.data != scratch(slot)) SCRATCH.get()[slot] = new SoftReference<>(layout.data);
    }

    /** Cells of the grid rounded up to whole register tiles. */
    private static int padded(int pixels) { return Math.ceilDiv(pixels, NR) * NR; }

    // ------------------------------------------------------------------ public ops

    /** x [N, C, H, W], w [O, C, kh, kw] (any strides), groups 1 -> [N, O, Ho, Wo] (arguments checked by Ops). */
    static Tensor conv2d(Tensor x, Tensor w, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3);
        int ho = Shapes.convOut(h, kh, sh, ph), wo = Shapes.convOut(wd, kw, sw, pw);
        Tensor out = Tensor.zeros(n, o, ho, wo);
        if (n == 0 || o == 0 || c == 0) return out;
        Axis ay = Axis.conv(h, kh, sh, ph, ho), ax = Axis.conv(wd, kw, sw, pw, wo);
        int pixels = n * ay.cells * ax.cells;
        int reach = (kh - 1) / sh * ax.cells + (kw - 1) / sw;
        StackedImage xs = StackedImage.of(x, sh, sw, ph, pw, ay.cells, ax.cells, c, padded(pixels) + reach, scratch(0));
        keep(0, xs);
        int[] koff = convTaps(xs, c, kh, kw);
        Weights a = Weights.of(w, false, kh, kw, 0, 0, 1, 1);
        forward(xs, koff, a, new Target(out.host().f32, o, ho, wo, ho, wo, 0, 0, 1, 1));
        return out;
    }

    /** x [N, C, H, W], w [C, O, kh, kw] (any strides), groups 1 -> [N, O, (H-1)*sh - 2*ph + kh, ...]. */
    static Tensor convTranspose2d(Tensor x, Tensor w, int sh, int sw, int ph, int pw) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(1), kh = w.size(2), kw = w.size(3);
        int oh = Shapes.convTransposeOut(h, kh, sh, ph), ow = Shapes.convTransposeOut(wd, kw, sw, pw);
        Tensor out = Tensor.zeros(n, o, oh, ow);
        if (n == 0 || o == 0 || c == 0) return out;
        PhaseGrid grid = PhaseGrid.of(h, wd, kh, kw, sh, sw, ph, pw, oh, ow);
        if (grid == null) return out;                              // no phase has taps and outputs: all zero
        Axis ay = grid.ay(), ax = grid.ax();
        int pixels = n * ay.cells * ax.cells;
        StackedImage xs = StackedImage.of(x, 1, 1, ay.pad, ax.pad, ay.cells, ax.cells, c, padded(pixels) + grid.reach(), scratch(0));
        keep(0, xs);
        float[] ov = out.host().f32;
        for (int ry = 0; ry < sh; ry++) {
            VConv.Phase qy = grid.py()[ry];
            if (!active(qy)) continue;
            for (int rx = 0; rx < sw; rx++) {
                VConv.Phase qx = grid.px()[rx];
                if (!active(qx)) continue;
                int[] koff = grid.taps(xs, c, qy, qx);
                Weights a = Weights.of(w, true, qy.taps(), qx.taps(), qy.i0(), qx.i0(), sh, sw);
                forward(xs, koff, a, new Target(ov, o, oh, ow, qy.count(), qx.count(), ry, rx, sh, sw));
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
        if (n == 0 || o == 0 || c == 0) return dw;
        Axis ay = Axis.conv(h, kh, sh, ph, ho), ax = Axis.conv(wd, kw, sw, pw, wo);
        int pixels = n * ay.cells * ax.cells, padded = padded(pixels);
        int reach = (kh - 1) / sh * ax.cells + (kw - 1) / sw;
        StackedImage xs = StackedImage.of(x, sh, sw, ph, pw, ay.cells, ax.cells, c, padded + reach, scratch(0));
        keep(0, xs);
        int oPad = Math.ceilDiv(o, WO) * WO;
        // the output gradient on the same grid, zero on the dropped cells and the padded channels
        StackedImage gs = StackedImage.of(gout, 1, 1, 0, 0, ay.cells, ax.cells, oPad, padded, scratch(1));
        keep(1, gs);
        int[] taps = convTaps(xs, c, kh, kw);
        int k = taps.length, kPad = Math.ceilDiv(k, WK) * WK;
        int[] koff = java.util.Arrays.copyOf(taps, kPad);
        for (int i = k; i < kPad; i++) koff[i] = taps[0];         // dummy taps of the last tile, dropped
        float[] acc = new float[oPad * kPad];
        int kBlocks = kPad / WK, tiles = oPad / WO * kBlocks;
        float[] g = gs.data, xd = xs.data;
        int gStride = gs.chanStride, chunk = weightChunk(c, oPad);
        // runs of tiles taken by the threads from a shared counter (a thread slowed by other work takes fewer);
        // each tile reduces all chunks in order, whichever thread runs it: thread-count independent
        int threads = Parallel.threads(), runs = Math.min(tiles, UNITS_PER_THREAD * threads), perRun = Math.ceilDiv(tiles, runs);
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(threads, runs), 2L * WO * WK * padded * tiles / Math.min(threads, runs), (unusedFrom, unusedTo) -> {
            float[] part = new float[WO * WK * VL];
            for (int run; (run = next.getAndIncrement()) * perRun < tiles; ) {
                int from = run * perRun, to = Math.min(tiles, from + perRun);
                for (int p0 = 0; p0 < padded; p0 += chunk) {
                    int len = Math.min(chunk, padded - p0);
                    for (int tile = from; tile < to; tile++) {
                        int ob = tile / kBlocks, kb = tile % kBlocks;
                        weightTileOfCpu(g, ob * WO * gStride + p0, gStride, xd, koff, kb * WK, p0, len, part);
                        addLanes(part, acc, ob * WO * kPad + kb * WK, kPad);
                    }
                }
            }
        });
        float[] d = dw.host().f32;
        for (int oo = 0; oo < o; oo++) System.arraycopy(acc, oo * kPad, d, oo * k, k);
        return dw;
    }

    // ------------------------------------------------------------------ helpers

    /** Tap offsets of a kh x kw window on a conv2d layout: koff[(c*kh + i)*kw + j]. */
    static int[] convTaps(StackedImage xs, int c, int kh, int kw) {
        int[] koff = new int[c * kh * kw];
        for (int cc = 0; cc < c; cc++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    koff[(cc * kh + i) * kw + j] = xs.channelBase(i % xs.sy, j % xs.sx, cc) + i / xs.sy * xs.rowLen + j / xs.sx;
                }
            }
        }
        return koff;
    }

    /** Whether a transposed conv's output phase has both taps and outputs. */
    static boolean active(VConv.Phase q) { return q.taps() > 0 && q.count() > 0; }

    /**
     * A transposed conv's output phases along each axis ({@link VConv.Phase}), the stride-1 layout axes holding every
     * active phase's reads, and the reach: how far past the grid's last cell a tap reads (the layout's tail).
     */
    record PhaseGrid(VConv.Phase[] py, VConv.Phase[] px, Axis ay, Axis ax, int reach) {
        /** The grid of x [.., h, wd] * w [.., .., kh, kw], stride sh x sw, padding ph x pw, output oh x ow; null when no phase is active. */
        static PhaseGrid of(int h, int wd, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
            VConv.Phase[] py = new VConv.Phase[sh], px = new VConv.Phase[sw];
            for (int r = 0; r < sh; r++) py[r] = VConv.Phase.of(r, sh, ph, kh, oh);
            for (int r = 0; r < sw; r++) px[r] = VConv.Phase.of(r, sw, pw, kw, ow);
            Axis ay = phaseAxis(h, py), ax = phaseAxis(wd, px);
            if (ay == null || ax == null) return null;
            return new PhaseGrid(py, px, ay, ax, phaseReach(ay, py) * ax.cells + phaseReach(ax, px));
        }

        /**
         * The layout offsets of phase (qy, qx)'s taps: {@code koff[(c*ty + v)*tx + v']} for channel c and tap (v, v')
         * of its ty x tx flipped sub-kernel, on the stride-1 layout xs of this grid.
         */
        int[] taps(StackedImage xs, int c, VConv.Phase qy, VConv.Phase qx) {
            int ty = qy.taps(), tx = qx.taps();
            int[] koff = new int[c * ty * tx];
            for (int cc = 0; cc < c; cc++) {
                for (int v = 0; v < ty; v++) {
                    for (int v2 = 0; v2 < tx; v2++) {
                        koff[(cc * ty + v) * tx + v2] = xs.channelBase(0, 0, cc) + (ay.pad + qy.offset() + v) * ax.cells + ax.pad + qx.offset() + v2;
                    }
                }
            }
            return koff;
        }
    }

    /** The stride-1 axis holding every active phase's reads (t + offset + v for t < count, v < taps), or null if none is active. */
    private static Axis phaseAxis(int size, VConv.Phase[] phases) {
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE, out = 0;
        for (VConv.Phase q : phases) {
            if (!active(q)) continue;
            lo = Math.min(lo, q.offset());
            hi = Math.max(hi, q.count() - 1 + q.offset() + q.taps() - 1);
            out = Math.max(out, q.count());
        }
        return out == 0 ? null : Axis.stride1(size, lo, hi, out);
    }

    /** The largest in-row (or in-column) offset of a tap of an active phase on axis a. */
    private static int phaseReach(Axis a, VConv.Phase[] phases) {
        int r = 0;
        for (VConv.Phase q : phases) if (active(q)) r = Math.max(r, a.pad + q.offset() + q.taps() - 1);
        return r;
    }

    /**
     * The left operand A [m, k], row-major: element (o, k) at {@code a[offset + o*lda + k]}. A contiguous conv2d
     * weight [O, C, kh, kw] is that already and is used in place; any other weight (a view, a transposed conv's
     * flipped sub-kernel, fewer than MR rows) is copied once per call into that layout (the kernel reads A rows
     * side by side; a per-tap offset table instead cost 13% of the kernel's speed). Panel pn covers rows
     * {@link #row0}(pn) .. + MR: the last one is moved up to end at row m (overlapping its neighbour, whose rows it
     * recomputes bit for bit), so no row past m is read; a copy of fewer than MR rows is zero-padded to MR.
     */
    record Weights(float[] a, int offset, int lda, int m) {
        /** First row of panel pn. */
        int row0(int pn) { return Math.min(pn * MR, m - MR); }

        /**
         * A conv2d weight w [O, C, kh, kw] (transposed false: {@code A[o, (c*th + i)*tw + j] = w[o, c, i, j]}, th x tw
         * = kh x kw, i0y = i0x = 0, sh = sw = 1), or the flipped sub-kernel of one phase of a transposed conv's weight
         * w [C, O, kh', kw'] (transposed true: {@code A[o, (c*th + v)*tw + v'] = w[c, o, i0y + sh*(th-1-v), i0x + sw*(tw-1-v')]}).
         */
        static Weights of(Tensor w, boolean transposed, int th, int tw, int i0y, int i0x, int sh, int sw) {
            int m = transposed ? w.size(1) : w.size(0), c = transposed ? w.size(0) : w.size(1), taps = th * tw, k = c * taps;
            if (!transposed && m >= MR && w.isContiguous()) return new Weights(w.host().f32, w.offset(), k, m);
            int[] st = w.strides();
            int so = transposed ? st[1] : st[0], sc = transposed ? st[0] : st[1];
            int[] tapOff = new int[taps];
            for (int v = 0, t = 0; v < th; v++) {
                for (int v2 = 0; v2 < tw; v2++, t++) {
                    int i = transposed ? i0y + sh * (th - 1 - v) : v, j = transposed ? i0x + sw * (tw - 1 - v2) : v2;
                    tapOff[t] = i * st[2] + j * st[3];
                }
            }
            float[] src = w.host().f32, a = new float[Math.max(m, MR) * k];
            int off = w.offset();
            Parallel.forRange(m, k / 4, (from, to) -> {          // threads only for large weights
                for (int o = from; o < to; o++) {
                    for (int t = 0; t < taps; t++) {
                        // along the channels, so the inner loop is long (looping over the 1-4 taps of a phase
                        // innermost cost a mispredicted branch per channel: 2.7 ns per float)
                        for (int cc = 0, d = o * k + t, q = off + o * so + tapOff[t]; cc < c; cc++, d += taps, q += sc) a[d] = src[q];
                    }
                }
            });
            return new Weights(a, 0, k, Math.max(m, MR));
        }
    }

    /**
     * Where the grid's outputs go: cell (n, t, u) with t < cy, u < cx is written to
     * {@code out[n, o, ry + sy*t, rx + sx*u]} of an [N, outChannels, oh, ow] tensor (a transposed conv's phase writes
     * every s-th pixel).
     */
    private record Target(float[] out, int outChannels, int oh, int ow, int cy, int cx, int ry, int rx, int sy, int sx) {}

    /** Per-thread output block of a forward work unit. */
    private static final ThreadLocal<float[][]> BLOCK = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * out[o, p] = sum_k A[o, k] data[koff[k] + p] over the whole grid of xs. Work units are equal blocks of up to
     * NC_MAX cells times a group of output-channel panels, taken by the threads from a shared counter; the cells are
     * cut as little as possible (A, O x K floats, is read once per cell block) and the channels into as many groups
     * as it takes to give every thread about {@link #UNITS_PER_THREAD} units.
     */
    private static void forward(StackedImage xs, int[] koff, Weights w, Target target) {
        int m = target.outChannels(), panels = Math.ceilDiv(m, MR), k = koff.length, padded = padded(xs.pixels), lda = w.lda();
        float[] a = w.a();
        int threads = Parallel.threads();
        // cell blocks of equal size (whole register tiles, at most NC_MAX), channel groups for enough units
        int blocks = Math.ceilDiv(padded, NC_MAX / NR * NR), nc = Math.ceilDiv(Math.ceilDiv(padded, blocks), NR) * NR;
        blocks = Math.ceilDiv(padded, nc);
        int pg = Math.ceilDiv(panels, Math.min(panels, Math.max(1, Math.ceilDiv(UNITS_PER_THREAD * threads, blocks))));
        int groups = Math.ceilDiv(panels, pg), units = blocks * groups, workers = Math.min(threads, units);
        AtomicInteger next = new AtomicInteger();
        float[] x = xs.data;
        Parallel.forRange(workers, 2L * m * k * padded / workers, (from, to) -> {
            float[][] holder = BLOCK.get();
            if (holder[0].length < pg * MR * nc) holder[0] = new float[pg * MR * nc];
            float[] buf = holder[0], tile = new float[MR * NR];
            int[] seg = new int[3 * (nc + 2)];
            for (int q; (q = next.getAndIncrement()) < units; ) {
                int p0 = q / groups * nc, len = Math.min(nc, padded - p0);
                int pn0 = q % groups * pg, pn1 = Math.min(panels, pn0 + pg);
                for (int k0 = 0; k0 < k; k0 += KC) {
                    int kc = Math.min(KC, k - k0);
                    for (int jr = 0; jr < len; jr += NR) {
                        for (int pn = pn0; pn < pn1; pn++) {
                            int co = (pn - pn0) * MR * nc + jr, ao = w.offset() + w.row0(pn) * lda + k0;
                            if (k0 == 0) {
                                kernel(kc, a, ao, lda, x, koff, k0, p0 + jr, buf, co, nc);
                            } else {
                                kernel(kc, a, ao, lda, x, koff, k0, p0 + jr, tile, 0, NR);
                                addTile(tile, buf, co, nc);
                            }
                        }
                    }
                }
                int segs = segments(p0, len, xs, target, seg);
                for (int pn = pn0; pn < pn1; pn++) {
                    int r0 = w.row0(pn);
                    write(buf, (pn - pn0) * MR * nc, nc, r0, Math.min(m, r0 + MR), seg, segs, target);
                }
            }
        });
    }

    /**
     * The runs of real outputs among cells [p0, p0 + len): for each, {@code seg[3i]} its first cell's offset from
     * p0, {@code seg[3i + 1]} the target index of its first output for channel 0 ({@code + o*oh*ow} for channel o),
     * {@code seg[3i + 2]} its length. Returns the number of runs (at most one per grid row).
     */
    private static int segments(int p0, int len, StackedImage xs, Target t, int[] seg) {
        int cellsPerSample = xs.rows * xs.rowLen, samples = xs.pixels / cellsPerSample, count = 0;
        for (int p = p0, end = p0 + len; p < end; ) {
            int n = p / cellsPerSample, rem = p - n * cellsPerSample, row = rem / xs.rowLen, u = rem - row * xs.rowLen;
            int run = Math.min(xs.rowLen - u, end - p);
            if (n < samples && row < t.cy && u < t.cx) {
                seg[3 * count] = p - p0;
                seg[3 * count + 1] = (n * t.outChannels * t.oh + t.ry + t.sy * row) * t.ow + t.rx + t.sx * u;
                seg[3 * count + 2] = Math.min(run, t.cx - u);
                count++;
            }
            p += run;
        }
        return count;
    }

    /** Copies output channels [o0, o1) (channel o at {@code buf[b0 + (o - o0)*nc]}) of a unit's runs to the target. */
    private static void write(float[] buf, int b0, int nc, int o0, int o1, int[] seg, int segs, Target t) {
        int plane = t.oh * t.ow, sx = t.sx;
        float[] out = t.out;
        for (int o = o0; o < o1; o++) {
            int sb = b0 + (o - o0) * nc, ob = o * plane;
            for (int i = 0; i < 3 * segs; i += 3) {
                int src = sb + seg[i], dst = ob + seg[i + 1], cnt = seg[i + 2];
                if (sx == 1) {
                    System.arraycopy(buf, src, out, dst, cnt);
                } else {
                    for (int q = 0; q < cnt; q++, dst += sx) out[dst] = buf[src + q];
                }
            }
        }
    }

    // ------------------------------------------------------------------ register tiles

    /** The MR x NR register tile for this CPU (MR is a constant, so the JIT keeps one branch). */
    private static void kernel(int kc, float[] a, int ao, int lda, float[] x, int[] koff, int k0, int p, float[] c, int co, int rs) {
        if (MR == 8) kernel8(kc, a, ao, lda, x, koff, k0, p, c, co, rs);
        else kernel4(kc, a, ao, lda, x, koff, k0, p, c, co, rs);
    }

    /**
     * C[8, 3VL] = A[8, kc] x B[kc, 3VL] for the taps k = k0 .. k0+kc: B's row k the 3VL cells at {@code x[koff[k] + p]}
     * (read in place from the layout), A's element (r, k) at {@code a[ao + r*lda + k - k0]}. 24 accumulators; per
     * step 3 loads, 8 broadcasts, 24 FMAs (measured on one core, AVX-512: 125 GFLOP/s; 2 vectors per row: 92).
     */
    static void kernel8(int kc, float[] a, int ao, int lda, float[] x, int[] koff, int k0, int p, float[] c, int co, int rs) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z;
        FloatVector c10 = z, c11 = z, c12 = z;
        FloatVector c20 = z, c21 = z, c22 = z;
        FloatVector c30 = z, c31 = z, c32 = z;
        FloatVector c40 = z, c41 = z, c42 = z;
        FloatVector c50 = z, c51 = z, c52 = z;
        FloatVector c60 = z, c61 = z, c62 = z;
        FloatVector c70 = z, c71 = z, c72 = z;
        for (int k = k0, end = k0 + kc; k < end; k++, ao++) {
            int bo = koff[k] + p;
            FloatVector b0 = FloatVector.fromArray(S, x, bo), b1 = FloatVector.fromArray(S, x, bo + VL), b2 = FloatVector.fromArray(S, x, bo + 2 * VL);
            FloatVector av;
            av = FloatVector.broadcast(S, a[ao]); c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02);
            av = FloatVector.broadcast(S, a[ao + lda]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12);
            av = FloatVector.broadcast(S, a[ao + 2 * lda]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22);
            av = FloatVector.broadcast(S, a[ao + 3 * lda]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32);
            av = FloatVector.broadcast(S, a[ao + 4 * lda]); c40 = av.fma(b0, c40); c41 = av.fma(b1, c41); c42 = av.fma(b2, c42);
            av = FloatVector.broadcast(S, a[ao + 5 * lda]); c50 = av.fma(b0, c50); c51 = av.fma(b1, c51); c52 = av.fma(b2, c52);
            av = FloatVector.broadcast(S, a[ao + 6 * lda]); c60 = av.fma(b0, c60); c61 = av.fma(b1, c61); c62 = av.fma(b2, c62);
            av = FloatVector.broadcast(S, a[ao + 7 * lda]); c70 = av.fma(b0, c70); c71 = av.fma(b1, c71); c72 = av.fma(b2, c72);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + VL);
        c02.intoArray(c, co + 2 * VL);
        c10.intoArray(c, co + rs);
        c11.intoArray(c, co + rs + VL);
        c12.intoArray(c, co + rs + 2 * VL);
        c20.intoArray(c, co + 2 * rs);
        c21.intoArray(c, co + 2 * rs + VL);
        c22.intoArray(c, co + 2 * rs + 2 * VL);
        c30.intoArray(c, co + 3 * rs);
        c31.intoArray(c, co + 3 * rs + VL);
        c32.intoArray(c, co + 3 * rs + 2 * VL);
        c40.intoArray(c, co + 4 * rs);
        c41.intoArray(c, co + 4 * rs + VL);
        c42.intoArray(c, co + 4 * rs + 2 * VL);
        c50.intoArray(c, co + 5 * rs);
        c51.intoArray(c, co + 5 * rs + VL);
        c52.intoArray(c, co + 5 * rs + 2 * VL);
        c60.intoArray(c, co + 6 * rs);
        c61.intoArray(c, co + 6 * rs + VL);
        c62.intoArray(c, co + 6 * rs + 2 * VL);
        c70.intoArray(c, co + 7 * rs);
        c71.intoArray(c, co + 7 * rs + VL);
        c72.intoArray(c, co + 7 * rs + 2 * VL);
    }

    /** {@link #kernel8} with 4 rows of 2 vectors (16 vector registers: AVX2). */
    static void kernel4(int kc, float[] a, int ao, int lda, float[] x, int[] koff, int k0, int p, float[] c, int co, int rs) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int k = k0, end = k0 + kc; k < end; k++, ao++) {
            int bo = koff[k] + p;
            FloatVector b0 = FloatVector.fromArray(S, x, bo), b1 = FloatVector.fromArray(S, x, bo + VL);
            FloatVector av;
            av = FloatVector.broadcast(S, a[ao]); c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ao + lda]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ao + 2 * lda]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ao + 3 * lda]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + VL);
        c10.intoArray(c, co + rs);
        c11.intoArray(c, co + rs + VL);
        c20.intoArray(c, co + 2 * rs);
        c21.intoArray(c, co + 2 * rs + VL);
        c30.intoArray(c, co + 3 * rs);
        c31.intoArray(c, co + 3 * rs + VL);
    }

    /** c[co + r*rs .. + NR) += tile[r*NR .. + NR) for the MR rows (see {@link Sgemm#addTile} for why not a kernel flag). */
    private static void addTile(float[] tile, float[] c, int co, int rs) {
        for (int r = 0; r < MR; r++, co += rs) {
            for (int v = 0; v < NR; v += VL) {
                FloatVector.fromArray(S, c, co + v).add(FloatVector.fromArray(S, tile, r * NR + v)).intoArray(c, co + v);
            }
        }
    }

    /** The WO x WK tile of this CPU (WO is a constant, so the JIT keeps one branch). */
    private static void weightTileOfCpu(float[] g, int go, int gs, float[] x, int[] koff, int k0, int p0, int len, float[] part) {
        if (WO == 4) weightTile(g, go, gs, x, koff, k0, p0, len, part);
        else weightTile26(g, go, gs, x, koff, k0, p0, len, part);
    }

    /**
     * The weight gradient's 4 x 6 tile over cells [p0, p0 + len) (len a multiple of VL): lane l of
     * {@code part[(r*WK + t)*VL + l] = sum_{p = p0 + l (mod VL)} g[go + r*gs + p - p0] * x[koff[k0 + t] + p]}
     * (then {@link #addLanes}). Per VL cells: 4 + 6 loads, 24 FMAs.
     */
    static void weightTile(float[] g, int go, int gs, float[] x, int[] koff, int k0, int p0, int len, float[] part) {
        FloatVector z = FloatVector.zero(S);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a24 = z, a25 = z;
        FloatVector a30 = z, a31 = z, a32 = z, a33 = z, a34 = z, a35 = z;
        int x0 = koff[k0] + p0, x1 = koff[k0 + 1] + p0, x2 = koff[k0 + 2] + p0;
        int x3 = koff[k0 + 3] + p0, x4 = koff[k0 + 4] + p0, x5 = koff[k0 + 5] + p0;
        for (int i = 0; i < len; i += VL) {
            FloatVector g0 = FloatVector.fromArray(S, g, go + i), g1 = FloatVector.fromArray(S, g, go + gs + i);
            FloatVector g2 = FloatVector.fromArray(S, g, go + 2 * gs + i), g3 = FloatVector.fromArray(S, g, go + 3 * gs + i);
            FloatVector v;
            v = FloatVector.fromArray(S, x, x0 + i); a00 = g0.fma(v, a00); a10 = g1.fma(v, a10); a20 = g2.fma(v, a20); a30 = g3.fma(v, a30);
            v = FloatVector.fromArray(S, x, x1 + i); a01 = g0.fma(v, a01); a11 = g1.fma(v, a11); a21 = g2.fma(v, a21); a31 = g3.fma(v, a31);
            v = FloatVector.fromArray(S, x, x2 + i); a02 = g0.fma(v, a02); a12 = g1.fma(v, a12); a22 = g2.fma(v, a22); a32 = g3.fma(v, a32);
            v = FloatVector.fromArray(S, x, x3 + i); a03 = g0.fma(v, a03); a13 = g1.fma(v, a13); a23 = g2.fma(v, a23); a33 = g3.fma(v, a33);
            v = FloatVector.fromArray(S, x, x4 + i); a04 = g0.fma(v, a04); a14 = g1.fma(v, a14); a24 = g2.fma(v, a24); a34 = g3.fma(v, a34);
            v = FloatVector.fromArray(S, x, x5 + i); a05 = g0.fma(v, a05); a15 = g1.fma(v, a15); a25 = g2.fma(v, a25); a35 = g3.fma(v, a35);
        }
        // the partial sums go to memory and are reduced by another method, all in plain statements: vectors passed
        // to a call that C2 does not inline (its node budget runs out in a kernel this size) are boxed, and the
        // accumulators with them, in the loop: ~8x slower (see Sgemm#addTile)
        a00.intoArray(part, 0 * VL);
        a01.intoArray(part, 1 * VL);
        a02.intoArray(part, 2 * VL);
        a03.intoArray(part, 3 * VL);
        a04.intoArray(part, 4 * VL);
        a05.intoArray(part, 5 * VL);
        a10.intoArray(part, 6 * VL);
        a11.intoArray(part, 7 * VL);
        a12.intoArray(part, 8 * VL);
        a13.intoArray(part, 9 * VL);
        a14.intoArray(part, 10 * VL);
        a15.intoArray(part, 11 * VL);
        a20.intoArray(part, 12 * VL);
        a21.intoArray(part, 13 * VL);
        a22.intoArray(part, 14 * VL);
        a23.intoArray(part, 15 * VL);
        a24.intoArray(part, 16 * VL);
        a25.intoArray(part, 17 * VL);
        a30.intoArray(part, 18 * VL);
        a31.intoArray(part, 19 * VL);
        a32.intoArray(part, 20 * VL);
        a33.intoArray(part, 21 * VL);
        a34.intoArray(part, 22 * VL);
        a35.intoArray(part, 23 * VL);
    }

    /** {@link #weightTile} with 2 output channels (16 vector registers: AVX2). Per VL cells: 2 + 6 loads, 12 FMAs. */
    static void weightTile26(float[] g, int go, int gs, float[] x, int[] koff, int k0, int p0, int len, float[] part) {
        FloatVector z = FloatVector.zero(S);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z;
        int x0 = koff[k0] + p0, x1 = koff[k0 + 1] + p0, x2 = koff[k0 + 2] + p0;
        int x3 = koff[k0 + 3] + p0, x4 = koff[k0 + 4] + p0, x5 = koff[k0 + 5] + p0;
        for (int i = 0; i < len; i += VL) {
            FloatVector g0 = FloatVector.fromArray(S, g, go + i), g1 = FloatVector.fromArray(S, g, go + gs + i);
            FloatVector v;
            v = FloatVector.fromArray(S, x, x0 + i); a00 = g0.fma(v, a00); a10 = g1.fma(v, a10);
            v = FloatVector.fromArray(S, x, x1 + i); a01 = g0.fma(v, a01); a11 = g1.fma(v, a11);
            v = FloatVector.fromArray(S, x, x2 + i); a02 = g0.fma(v, a02); a12 = g1.fma(v, a12);
            v = FloatVector.fromArray(S, x, x3 + i); a03 = g0.fma(v, a03); a13 = g1.fma(v, a13);
            v = FloatVector.fromArray(S, x, x4 + i); a04 = g0.fma(v, a04); a14 = g1.fma(v, a14);
            v = FloatVector.fromArray(S, x, x5 + i); a05 = g0.fma(v, a05); a15 = g1.fma(v, a15);
        }
        a00.intoArray(part, 0 * VL);
        a01.intoArray(part, 1 * VL);
        a02.intoArray(part, 2 * VL);
        a03.intoArray(part, 3 * VL);
        a04.intoArray(part, 4 * VL);
        a05.intoArray(part, 5 * VL);
        a10.intoArray(part, 6 * VL);
        a11.intoArray(part, 7 * VL);
        a12.intoArray(part, 8 * VL);
        a13.intoArray(part, 9 * VL);
        a14.intoArray(part, 10 * VL);
        a15.intoArray(part, 11 * VL);
    }

    /** Lane i exchanged with lane i ^ h (h = 8, 4, 2, 1; null where h >= VL). */
    private static final VectorShuffle<Float> X8 = xor(8), X4 = xor(4), X2 = xor(2), X1 = xor(1);

    private static VectorShuffle<Float> xor(int h) { return h < VL ? VectorShuffle.fromOp(S, lane -> lane ^ h) : null; }

    /**
     * acc[ao + r*ars + t] += the sum of the VL lanes of part[(r*WK + t)*VL ..], for the WO x WK tile, by a fixed
     * butterfly (exchange halves and add, log2(VL) times; VL <= 16): the same float additions in every JIT tier,
     * unlike {@code reduceLanes(ADD)}, whose order is unspecified.
     */
    static void addLanes(float[] part, float[] acc, int ao, int ars) {
        for (int r = 0; r < WO; r++) {
            for (int t = 0; t < WK; t++) {
                FloatVector v = FloatVector.fromArray(S, part, (r * WK + t) * VL);
                if (X8 != null) v = v.add(v.rearrange(X8));
                if (X4 != null) v = v.add(v.rearrange(X4));
                if (X2 != null) v = v.add(v.rearrange(X2));
                if (X1 != null) v = v.add(v.rearrange(X1));
                acc[ao + r * ars + t] += v.lane(0);
            }
        }
    }
}
