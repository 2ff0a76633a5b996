package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.reference.RefResample;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Fast F32 resampling kernels (multi-threaded with {@link Parallel}, Vector API where it pays): upfirdn2d,
 * bilinear resize and its gradient, grid sampling and its gradients. Each computes what its twin in
 * {@link RefResample} defines (same index conventions, same helpers for the source coordinates), summing in float;
 * the tests compare them on awkward sizes and strided views. Inputs may be any view; outputs are contiguous.
 */
public final class ResampleKernels {
    private ResampleKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Whether these kernels take the op: F32 host tensors (any strides). */
    public static boolean handles(Tensor... ts) {
        for (Tensor t : ts) if (t != null && (t.dtype() != DType.F32 || !(t.storage() instanceof HostStorage))) return false;
        return true;
    }

    // ================================================================== upfirdn2d

    /** Output rows per work unit (a unit copies the input rows its band reads once). */
    private static final int UPFIRDN_ROWS = 32;

    /**
     * upfirdn2d (see {@link RefResample#upfirdn2d}) in polyphase form, so that no multiply ever meets an inserted
     * zero and every inner loop reads contiguous memory.
     *
     * <p><b>Rows.</b> Output row oy reads up-sampled rows uy = oy*downY + i - padY0; only those with uy % upY == 0
     * are non-zero, and they are input rows uy / upY. Each output row keeps just those vertical taps.
     *
     * <p><b>Columns.</b> With g = gcd(upX, downX), the output columns fall into P = upX/g phases: column
     * ox = P*m + r reads, through horizontal tap j, input column ix = m*S + off(r, j) with S = downX/g, and only
     * for the taps with (r*downX + j - padX0) % upX == 0, off = (r*downX + j - padX0) / upX. So each phase is a
     * plain correlation over m with its own few taps and input step S. A unit copies each input row it needs
     * into {@code buf} split into S interleaved phases (column ix at phase (ix - ixMin) % S, index
     * (ix - ixMin) / S, zero outside the map), which makes the step-S reads contiguous; a phase's outputs go
     * straight to the output row when P == 1, else through a temporary row written back with step P.
     *
     * <p>For the StyleGAN2 cases: the blur after the transposed conv (up 1, down 1) is one phase of 16 taps;
     * the 2x up-sampling uses 2 of 4 filter rows and, per column phase, 2 of 4 taps; the 2x down-sampling reads
     * the even and odd input columns as two contiguous rows. Taps are flipped (unless flipFilter) and times gain.
     * Work units are (plane, band of {@value #UPFIRDN_ROWS} output rows).
     *
     * <p><b>Separable filters.</b> When the taps are an outer product (see {@link #separable}; every StyleGAN
     * filter is), each output row first combines its vertical taps over the whole buffered row, then each column
     * phase runs only its horizontal taps on that: a 4x4 blur costs 4 + 4 multiply-adds per output instead of 16.
     *
     * <p><b>Row ends.</b> The last outputs of a row that do not fill a vector are computed as one whole vector
     * (reading into the buffer's slack) of which only the valid lanes are kept: every output is the same
     * fused multiply-add sequence, and maps narrower than a vector (the 8 or 9 columns of a discriminator's blur
     * at 8x8; 16 lanes with AVX-512) no longer run tap by tap in scalar code (measured 3-4x slower per call).
     */
    public static Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                                   int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        return upfirdn2d(x, null, x.size(0), x.size(1), x.size(2), x.size(3), f, upX, upY, downX, downY, padX0, padX1, padY0, padY1, gain, flipFilter);
    }

    /**
     * The rows of an image [N, C, H, W] that exists only as pieces (a transposed conv's output phases, {@link
     * VConv#convTranspose2dFir}): writes row iy of plane p (= n*C + c), its W floats, at {@code dst[d .. d+W)}.
     * Called from several threads at once.
     */
    interface RowSource {
        void row(int plane, int iy, float[] dst, int d);
    }

    /**
     * {@link #upfirdn2d} of the image [n, c, h, w] whose rows {@code rows} writes, without down-sampling along x
     * (downX 1): every unit copies the input rows its band reads from the source instead of from a tensor. The same
     * floats as upfirdn2d of the image as a tensor.
     */
    static Tensor upfirdn2d(RowSource rows, int n, int c, int h, int w, Tensor f, int upX, int upY, int downY,
                            int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        return upfirdn2d(null, rows, n, c, h, w, f, upX, upY, 1, downY, padX0, padX1, padY0, padY1, gain, flipFilter);
    }

    private static Tensor upfirdn2d(Tensor x, RowSource rows, int n, int c, int h, int w, Tensor f, int upX, int upY, int downX, int downY,
                                    int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        int fh = f.size(0), fw = f.size(1);
        int outH = Math.floorDiv(h * upY + padY0 + padY1 - fh, downY) + 1;
        int outW = Math.floorDiv(w * upX + padX0 + padX1 - fw, downX) + 1;
        Tensor out = Tensor.zeros(DType.F32, n, c, outH, outW);
        // taps in correlation order (flipped unless flipFilter), times the gain
        float[] fk = new float[fh * fw];
        for (int i = 0; i < fh; i++)
            for (int j = 0; j < fw; j++) {
                int fi = flipFilter ? i : fh - 1 - i, fj = flipFilter ? j : fw - 1 - j;
                fk[i * fw + j] = (float) (f.get(fi, fj) * gain);
            }

        float[][] sep = separable(fk, fh, fw);        // {vertical taps by i, horizontal taps by j}, or null

        // ---- the column plan: phases r, their output counts, taps j and input offsets
        int g = gcd(upX, downX), phases = upX / g, step = downX / g;
        int[] count = new int[phases];
        int[][] tapJ = new int[phases][], tapOff = new int[phases][];
        int ixMin = Integer.MAX_VALUE, ixMax = Integer.MIN_VALUE;
        for (int r = 0; r < phases; r++) {
            count[r] = r < outW ? (outW - r + phases - 1) / phases : 0;
            int nt = 0;
            int[] js = new int[fw], offs = new int[fw];
            for (int j = 0; j < fw; j++) {
                int u = r * downX + j - padX0;
                if (Math.floorMod(u, upX) != 0) continue;
                js[nt] = j;
                offs[nt++] = Math.floorDiv(u, upX);
            }
            tapJ[r] = Arrays.copyOf(js, nt);
            tapOff[r] = Arrays.copyOf(offs, nt);
            if (count[r] == 0) continue;
            for (int t = 0; t < nt; t++) {
                ixMin = Math.min(ixMin, offs[t]);
                ixMax = Math.max(ixMax, (count[r] - 1) * step + offs[t]);
            }
        }
        if (ixMin > ixMax) return out;                  // no tap ever meets a sample: all zeros
        int span = ixMax - ixMin + 1, phaseLen = ceilDiv(span, step), rowLen = step * phaseLen;
        int[][] tapAt = new int[phases][];             // where tap t of phase r starts inside a buffered row
        for (int r = 0; r < phases; r++) {
            tapAt[r] = new int[tapOff[r].length];
            for (int t = 0; t < tapAt[r].length; t++) {
                int k = tapOff[r][t] - ixMin;
                tapAt[r][t] = (k % step) * phaseLen + k / step;
            }
        }

        int bandsPerPlane = (outH + UPFIRDN_ROWS - 1) / UPFIRDN_ROWS;
        int maxRows = ((UPFIRDN_ROWS - 1) * downY + fh - 1) / upY + 2;
        int maxCount = (outW + phases - 1) / phases;
        float[] xs = x == null ? null : x.host().f32, os = out.host().f32;
        int[] sx = x == null ? null : x.strides();
        int xOff = x == null ? 0 : x.offset();
        final int firstCol = ixMin;
        long costPerUnit = (long) Math.min(UPFIRDN_ROWS, outH) * outW * Math.max(1, fh / upY) * Math.max(1, fw / upX);
        Parallel.forRange(n * c * bandsPerPlane, costPerUnit, (from, to) -> {
            // once per thread range; L floats of slack so a tail vector may read past a row's end (lanes discarded)
            float[] buf = new float[maxRows * rowLen + L];
            float[] tmp = new float[maxCount], lanes = new float[L];
            float[] vrow = sep != null ? new float[rowLen + 2 * L] : null;   // a row's vertical pass (separable filters)
            float[] whole = rows != null ? new float[w] : null;               // a source row cropped to the band's columns
            int[] vTap = new int[fh], vRow = new int[fh], kAt = new int[fh * fw];
            float[] kW = new float[fh * fw];
            for (int unit = from; unit < to; unit++) {
                int plane = unit / bandsPerPlane, band = unit % bandsPerPlane;
                int oy0 = band * UPFIRDN_ROWS, oy1 = Math.min(outH, oy0 + UPFIRDN_ROWS);
                int iyLo = Math.max(0, ceilDiv(oy0 * downY - padY0, upY));
                int iyHi = Math.min(h - 1, Math.floorDiv((oy1 - 1) * downY + fh - 1 - padY0, upY));
                if (iyLo > iyHi) continue;                 // the band reads only padding: stays zero
                int src = x == null ? 0 : xOff + (plane / c) * sx[0] + (plane % c) * sx[1];
                // 1. copy the input rows iyLo..iyHi into buf, split into `step` column phases
                for (int iy = iyLo; iy <= iyHi; iy++) {
                    int at = (iy - iyLo) * rowLen;
                    int kLo = Math.max(0, -firstCol), kHi = Math.min(span, w - firstCol);   // columns inside the map
                    if (rows != null) {                     // step 1: the source writes the row (cropped if need be)
                        Arrays.fill(buf, at, at + span, 0f);
                        if (kHi <= kLo) continue;
                        if (kLo + firstCol == 0 && kHi + firstCol == w) {
                            rows.row(plane, iy, buf, at + kLo);
                        } else {
                            rows.row(plane, iy, whole, 0);
                            System.arraycopy(whole, kLo + firstCol, buf, at + kLo, kHi - kLo);
                        }
                        continue;
                    }
                    int srcRow = src + iy * sx[2];
                    if (step == 1 && sx[3] == 1) {
                        Arrays.fill(buf, at, at + span, 0f);
                        if (kHi > kLo) System.arraycopy(xs, srcRow + kLo + firstCol, buf, at + kLo, kHi - kLo);
                    } else {
                        Arrays.fill(buf, at, at + rowLen, 0f);
                        for (int q = 0; q < step; q++) {         // phase q holds columns k = q, q + step, ...
                            int k = kLo + Math.floorMod(q - kLo, step), d = at + q * phaseLen + k / step;
                            for (; k < kHi; k += step) buf[d++] = xs[srcRow + (k + firstCol) * sx[3]];
                        }
                    }
                }
                // 2. every output row of the band: its non-zero vertical taps, then each column phase
                for (int oy = oy0; oy < oy1; oy++) {
                    int nv = 0;
                    for (int i = 0; i < fh; i++) {
                        int uy = oy * downY + i - padY0;
                        if (uy < 0 || uy >= h * upY || uy % upY != 0) continue;
                        vTap[nv] = i;
                        vRow[nv++] = (uy / upY - iyLo) * rowLen;
                    }
                    if (nv == 0) continue;
                    int dst = (plane * outH + oy) * outW;
                    if (sep != null) verticalPass(buf, vRow, vTap, nv, sep[0], vrow, rowLen);   // once over the buffered row
                    float[] rowSrc = sep != null ? vrow : buf;
                    for (int r = 0; r < phases; r++) {
                        int m1 = count[r];
                        int[] tj = tapJ[r], ta = tapAt[r];
                        if (m1 == 0 || tj.length == 0) continue;
                        // this row's taps of this phase, flattened: buf offset (plus m) and weight
                        int nk = 0;
                        if (sep != null) {                  // horizontal taps over the vertical pass
                            for (int t = 0; t < tj.length; t++) {
                                kAt[nk] = ta[t];
                                kW[nk++] = sep[1][tj[t]];
                            }
                        } else {
                            for (int a = 0; a < nv; a++)
                                for (int t = 0; t < tj.length; t++) {
                                    kAt[nk] = vRow[a] + ta[t];
                                    kW[nk++] = fk[vTap[a] * fw + tj[t]];
                                }
                        }
                        float[] target = phases == 1 ? os : tmp;
                        int tOff = phases == 1 ? dst : 0;
                        rowTaps(rowSrc, kAt, kW, nk, m1, target, tOff, lanes);
                        if (phases > 1) for (int k = 0; k < m1; k++) os[dst + k * phases + r] = tmp[k];
                    }
                }
            }
        });
        return out;
    }

    // The vector loops of upfirdn2d, in methods of their own with arrays in and out: inside the work lambda, with
    // the rest of a unit's code, C2's inliner ran out of budget and boxed their vectors (JFR allocation samples of a
    // drag: 6% of all bytes allocated).

    /** vrow[q ..] = sum over a < nv of v[vTap[a]] * buf[vRow[a] + q], for q < rowLen in whole vectors (a separable filter's vertical pass). */
    private static void verticalPass(float[] buf, int[] vRow, int[] vTap, int nv, float[] v, float[] vrow, int rowLen) {
        for (int q = 0; q < rowLen; q += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int a = 0; a < nv; a++) acc = FloatVector.fromArray(S, buf, vRow[a] + q).fma(FloatVector.broadcast(S, v[vTap[a]]), acc);
            acc.intoArray(vrow, q);
        }
    }

    /**
     * target[tOff + m] = sum over k < nk of kW[k] * src[kAt[k] + m], for m < m1, the taps in order: two vectors per pass
     * (each tap's broadcast feeds two FMAs), then one; of the row's last vector only its valid lanes are written
     * (through {@code lanes}, L floats).
     */
    private static void rowTaps(float[] src, int[] kAt, float[] kW, int nk, int m1, float[] target, int tOff, float[] lanes) {
        int m = 0;
        for (; m <= m1 - 2 * L; m += 2 * L) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            for (int k = 0; k < nk; k++) {
                FloatVector wk = FloatVector.broadcast(S, kW[k]);
                acc0 = FloatVector.fromArray(S, src, kAt[k] + m).fma(wk, acc0);
                acc1 = FloatVector.fromArray(S, src, kAt[k] + m + L).fma(wk, acc1);
            }
            acc0.intoArray(target, tOff + m);
            acc1.intoArray(target, tOff + m + L);
        }
        for (; m < m1; m += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int k = 0; k < nk; k++) acc = FloatVector.fromArray(S, src, kAt[k] + m).fma(FloatVector.broadcast(S, kW[k]), acc);
            if (m + L <= m1) {
                acc.intoArray(target, tOff + m);
            } else {
                acc.intoArray(lanes, 0);
                System.arraycopy(lanes, 0, target, tOff + m, m1 - m);
            }
        }
    }

    /**
     * The taps k [fh, fw] (row-major) as an exact outer product {@code k[i][j] = v[i] * h[j]} (every product of the
     * two float factors equal to the tap, with no rounding), {v, h}, else null. Tries the factorisations through each
     * non-zero tap k[i0][j0] (v = column j0, h = row i0 / k[i0][j0]): StyleGAN's [1, 3, 3, 1] filters, normalised and
     * times any power-of-two gain, have exact ones (through a corner tap). Such a filter is applied as a vertical then a
     * horizontal pass (8 instead of 16 multiply-adds per output for a 4x4 blur); a filter that is separable only up to
     * rounding keeps the 2-D taps, whose results a rounded factor would move (measured: a discriminator's logit 2x
     * further from float64).
     */
    static float[][] separable(float[] k, int fh, int fw) {
        if (fh == 1 || fw == 1) return null;
        for (int i0 = 0; i0 < fh; i0++) {
            for (int j0 = 0; j0 < fw; j0++) {
                float pivot = k[i0 * fw + j0];
                if (pivot == 0) continue;
                float[] v = new float[fh], h = new float[fw];
                for (int i = 0; i < fh; i++) v[i] = k[i * fw + j0];
                for (int j = 0; j < fw; j++) h[j] = k[i0 * fw + j] / pivot;
                if (exactProduct(k, v, h)) return new float[][]{v, h};
            }
        }
        return null;
    }

    /** Whether (double) v[i] * h[j] == k[i][j] for every tap (a product of two floats is exact in double). */
    private static boolean exactProduct(float[] k, float[] v, float[] h) {
        for (int i = 0; i < v.length; i++)
            for (int j = 0; j < h.length; j++) if ((double) v[i] * h[j] != k[i * h.length + j]) return false;
        return true;
    }

    private static int ceilDiv(int a, int b) { return -Math.floorDiv(-a, b); }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

    // ================================================================== bilinear resize

    /** The source rows (or columns) of a resize axis: lower index, upper index and the upper weight. */
    private record Axis(int[] lo, int[] hi, float[] frac) {
        static Axis of(int in, int out, boolean alignCorners) {
            double scale = RefResample.resizeScale(in, out, alignCorners);
            int[] lo = new int[out], hi = new int[out];
            float[] frac = new float[out];
            for (int d = 0; d < out; d++) {
                double src = RefResample.resizeSource(scale, d, alignCorners);
                lo[d] = (int) src;
                hi[d] = lo[d] < in - 1 ? lo[d] + 1 : lo[d];
                frac[d] = (float) (src - lo[d]);
            }
            return new Axis(lo, hi, frac);
        }
    }

    /**
     * Bilinear resize (see {@link RefResample#resizeBilinear}), separably: per output row, first the vertical
     * blend of its two source rows into a temporary row (contiguous, on vectors), then the horizontal blend by
     * the precomputed column table. Work units are (plane, output row).
     */
    public static Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Axis ay = Axis.of(h, outH, alignCorners), ax = Axis.of(w, outW, alignCorners);
        Tensor out = Tensor.zeros(DType.F32, n, c, outH, outW);
        float[] xs = x.host().f32, os = out.host().f32;
        int[] sx = x.strides();
        int xOff = x.offset();
        Parallel.forRange(n * c * outH, w + 3L * outW, (from, to) -> {
            float[] tmp = new float[w];
            for (int unit = from; unit < to; unit++) {
                int plane = unit / outH, oy = unit % outH;
                int src = xOff + (plane / c) * sx[0] + (plane % c) * sx[1];
                int row0 = src + ay.lo[oy] * sx[2], row1 = src + ay.hi[oy] * sx[2];
                float ly = ay.frac[oy], ky = 1 - ly;
                int ix = 0;
                if (sx[3] == 1) {
                    for (; ix <= w - L; ix += L) {
                        FloatVector a = FloatVector.fromArray(S, xs, row0 + ix), b = FloatVector.fromArray(S, xs, row1 + ix);
                        a.mul(ky).add(b.mul(ly)).intoArray(tmp, ix);
                    }
                }
                for (; ix < w; ix++) tmp[ix] = ky * xs[row0 + ix * sx[3]] + ly * xs[row1 + ix * sx[3]];
                int dst = unit * outW;
                for (int ox = 0; ox < outW; ox++) {
                    float lx = ax.frac[ox];
                    os[dst + ox] = (1 - lx) * tmp[ax.lo[ox]] + lx * tmp[ax.hi[ox]];
                }
            }
        });
        return out;
    }

    /**
     * Gradient of resizeBilinear (see {@link RefResample#resizeBilinearBackward}): per output row, scatter its
     * gradient by the column table into a temporary input-width row, then add that row, weighted, into the two
     * source rows (on vectors). Planes are independent, so work units are whole planes.
     */
    public static Tensor resizeBilinearBackward(Tensor gout, int inH, int inW, boolean alignCorners) {
        int n = gout.size(0), c = gout.size(1), outH = gout.size(2), outW = gout.size(3);
        Axis ay = Axis.of(inH, outH, alignCorners), ax = Axis.of(inW, outW, alignCorners);
        Tensor dx = Tensor.zeros(DType.F32, n, c, inH, inW);
        float[] gs = gout.host().f32, ds = dx.host().f32;
        int[] sg = gout.strides();
        int gOff = gout.offset();
        Parallel.forRange(n * c, (long) outH * (3L * outW + 2L * inW), (from, to) -> {
            float[] tmp = new float[inW];
            for (int plane = from; plane < to; plane++) {
                int src = gOff + (plane / c) * sg[0] + (plane % c) * sg[1];
                int dst = plane * inH * inW;
                for (int oy = 0; oy < outH; oy++) {
                    Arrays.fill(tmp, 0f);
                    int row = src + oy * sg[2];
                    for (int ox = 0; ox < outW; ox++) {
                        float g = gs[row + ox * sg[3]], lx = ax.frac[ox];
                        tmp[ax.lo[ox]] += (1 - lx) * g;
                        tmp[ax.hi[ox]] += lx * g;
                    }
                    float ly = ay.frac[oy];
                    addScaled(tmp, 1 - ly, ds, dst + ay.lo[oy] * inW, inW);
                    addScaled(tmp, ly, ds, dst + ay.hi[oy] * inW, inW);
                }
            }
        });
        return dx;
    }

    /** d[at .. at+len) += k * src[0 .. len). */
    private static void addScaled(float[] src, float k, float[] d, int at, int len) {
        FloatVector kv = FloatVector.broadcast(S, k);
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector.fromArray(S, src, i).fma(kv, FloatVector.fromArray(S, d, at + i)).intoArray(d, at + i);
        }
        for (; i < len; i++) d[at + i] += k * src[i];
    }

    // ================================================================== grid sampling

    /**
     * Every sample point's four corners: storage offsets within a plane of the given row and column strides (-1
     * for corners outside the map), bilinear weights, and the cell fractions fx, fy (for the grid gradient).
     * Point p = (n*Ho + i)*Wo + j; corner k: 0 = (y0, x0), 1 = (y0, x0+1), 2 = (y0+1, x0), 3 = (y0+1, x0+1).
     */
    private record Corners(int[] off, float[] wgt, float[] fx, float[] fy) {
        static Corners of(Tensor grid, int h, int w, int rowStride, int colStride, boolean alignCorners) {
            int n = grid.size(0), ho = grid.size(1), wo = grid.size(2), points = n * ho * wo;
            int[] off = new int[points * 4];
            float[] wgt = new float[points * 4], fxs = new float[points], fys = new float[points];
            float[] gv = grid.host().f32;
            int[] sgr = grid.strides();
            for (int p = 0; p < points; p++) {
                int b = p / (ho * wo), i = (p / wo) % ho, j = p % wo;
                int gp = grid.offset() + b * sgr[0] + i * sgr[1] + j * sgr[2];
                double ix = RefResample.gridUnnormalize(gv[gp], w, alignCorners);
                double iy = RefResample.gridUnnormalize(gv[gp + sgr[3]], h, alignCorners);
                double flx = Math.floor(ix), fly = Math.floor(iy);
                double fx = ix - flx, fy = iy - fly;
                fxs[p] = (float) fx;
                fys[p] = (float) fy;
                for (int k = 0; k < 4; k++) {
                    double cy = fly + (k >> 1), cx = flx + (k & 1);
                    boolean inside = cy >= 0 && cy < h && cx >= 0 && cx < w;
                    off[p * 4 + k] = inside ? (int) cy * rowStride + (int) cx * colStride : -1;
                    wgt[p * 4 + k] = (float) (((k & 1) == 1 ? fx : 1 - fx) * ((k >> 1) == 1 ? fy : 1 - fy));
                }
            }
            return new Corners(off, wgt, fxs, fys);
        }
    }

    /** Grid sampling (see {@link RefResample#gridSample}); work units are (n, c) planes, each over all its points. */
    public static Tensor gridSample(Tensor x, Tensor grid, boolean alignCorners) {
        int n = x.size(0), c = x.size(1);
        int ho = grid.size(1), wo = grid.size(2), pts = ho * wo;
        Corners cs = Corners.of(grid, x.size(2), x.size(3), x.stride(2), x.stride(3), alignCorners);
        Tensor out = Tensor.zeros(DType.F32, n, c, ho, wo);
        float[] xs = x.host().f32, os = out.host().f32;
        int[] sx = x.strides();
        int xOff = x.offset();
        Parallel.forRange(n * c, 12L * pts, (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int b = plane / c, src = xOff + b * sx[0] + (plane % c) * sx[1];
                int dst = plane * pts;
                for (int q = 0; q < pts; q++) {
                    int p = (b * pts + q) * 4;
                    float s = 0;
                    for (int k = 0; k < 4; k++) {
                        int o = cs.off[p + k];
                        if (o >= 0) s += cs.wgt[p + k] * xs[src + o];
                        else if (Float.isNaN(cs.wgt[p + k])) s = Float.NaN;   // a NaN or infinite grid value: NaN, as torch and the reference
                    }
                    os[dst + q] = s;
                }
            }
        });
        return out;
    }

    /**
     * Gradients of grid sampling (see {@link RefResample#gridSampleBackward}), only those asked for: dx by planes
     * (each plane scatters only into itself, so threads never share a write), dgrid by points (each sums over the
     * channels).
     */
    public static Tensor[] gridSampleBackward(Tensor gout, Tensor x, Tensor grid, boolean alignCorners, boolean needX, boolean needGrid) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int ho = grid.size(1), wo = grid.size(2), pts = ho * wo;
        float[] gs = gout.host().f32, xs = x.host().f32;
        int[] sg = gout.strides(), sx = x.strides();
        int gOff = gout.offset(), xOff = x.offset();
        int[] gAt = new int[pts];                         // point q's offset inside a gout plane
        for (int q = 0; q < pts; q++) gAt[q] = (q / wo) * sg[2] + (q % wo) * sg[3];
        Tensor dx = null, dgrid = null;
        if (needX) {
            Corners cs = Corners.of(grid, h, w, w, 1, alignCorners);   // offsets into the contiguous dx
            dx = Tensor.zeros(DType.F32, n, c, h, w);
            float[] ds = dx.host().f32;
            Parallel.forRange(n * c, 12L * pts, (from, to) -> {
                for (int plane = from; plane < to; plane++) {
                    int b = plane / c, ch = plane % c;
                    int gsrc = gOff + b * sg[0] + ch * sg[1], dst = plane * h * w;
                    for (int q = 0; q < pts; q++) {
                        float g = gs[gsrc + gAt[q]];
                        int p = (b * pts + q) * 4;
                        for (int k = 0; k < 4; k++) {
                            int o = cs.off[p + k];
                            if (o >= 0) ds[dst + o] += cs.wgt[p + k] * g;
                        }
                    }
                }
            });
        }
        if (needGrid) {
            Corners cs = Corners.of(grid, h, w, sx[2], sx[3], alignCorners);   // offsets into x
            dgrid = Tensor.zeros(DType.F32, n, ho, wo, 2);
            float[] dg = dgrid.host().f32;
            float slopeX = (float) RefResample.gridUnnormalizeSlope(w, alignCorners);
            float slopeY = (float) RefResample.gridUnnormalizeSlope(h, alignCorners);
            Parallel.forRange(n * pts, 10L * c, (from, to) -> {
                for (int pp = from; pp < to; pp++) {
                    int b = pp / pts, q = pp % pts, p = pp * 4;
                    int o00 = cs.off[p], o01 = cs.off[p + 1], o10 = cs.off[p + 2], o11 = cs.off[p + 3];
                    float fx = cs.fx[pp], fy = cs.fy[pp];
                    float gix = 0, giy = 0;
                    int gq = gOff + b * sg[0] + gAt[q];
                    for (int ch = 0; ch < c; ch++) {
                        int src = xOff + b * sx[0] + ch * sx[1];
                        float g = gs[gq + ch * sg[1]];
                        float v00 = o00 < 0 ? 0 : xs[src + o00], v01 = o01 < 0 ? 0 : xs[src + o01];
                        float v10 = o10 < 0 ? 0 : xs[src + o10], v11 = o11 < 0 ? 0 : xs[src + o11];
                        gix += g * ((v01 - v00) * (1 - fy) + (v11 - v10) * fy);
                        giy += g * ((v10 - v00) * (1 - fx) + (v11 - v01) * fx);
                    }
                    dg[pp * 2] = gix * slopeX;
                    dg[pp * 2 + 1] = giy * slopeY;
                }
            });
        }
        return new Tensor[]{dx, dgrid};
    }
}
