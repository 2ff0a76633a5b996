package draggan.tensor.vector;

import draggan.tensor.DType;
import draggan.tensor.HostStorage;
import draggan.tensor.Parallel;
import draggan.tensor.Tensor;
import draggan.tensor.reference.RefResample;
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

    /** Output rows per work unit: a unit expands the (rows-1)*down + fh padded input rows it reads once. */
    private static final int UPFIRDN_ROWS = 32;

    /**
     * upfirdn2d (see {@link RefResample#upfirdn2d}). Work units are (plane, band of output rows). A unit first
     * builds the band of the up-sampled, padded signal it reads ({@code buf}, one row per padded row, zeros
     * inserted and padding applied, rows that are all zero marked invalid), then every output row is
     * {@code out[ox] = sum over valid taps (i, j) of fk[i, j] * buf[row oy*downY + i][ox*downX + j]}, with the
     * taps already flipped and multiplied by the gain. With downX == 1 the row loads are contiguous and run on
     * vectors, accumulating all taps in a register before one store.
     */
    public static Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                                   int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        int fh = f.size(0), fw = f.size(1);
        int outH = Math.floorDiv(h * upY + padY0 + padY1 - fh, downY) + 1;
        int outW = Math.floorDiv(w * upX + padX0 + padX1 - fw, downX) + 1;
        // taps in correlation order (flipped unless flipFilter), times the gain
        float[] fk = new float[fh * fw];
        for (int i = 0; i < fh; i++)
            for (int j = 0; j < fw; j++) {
                int fi = flipFilter ? i : fh - 1 - i, fj = flipFilter ? j : fw - 1 - j;
                fk[i * fw + j] = (float) (f.get(fi, fj) * gain);
            }
        // padded row width actually read: columns [0, (outW-1)*downX + fw)
        int bufW = (outW - 1) * downX + fw;
        int bandRows = (UPFIRDN_ROWS - 1) * downY + fh;
        int bandsPerPlane = (outH + UPFIRDN_ROWS - 1) / UPFIRDN_ROWS;
        int planes = n * c;
        Tensor out = Tensor.zeros(DType.F32, n, c, outH, outW);
        float[] xs = x.host().f32, os = out.host().f32;
        int[] sx = x.strides();
        int xOff = x.offset();
        long costPerUnit = (long) Math.min(UPFIRDN_ROWS, outH) * outW * fh * fw / Math.max(1, upY * upX);
        Parallel.forRange(planes * bandsPerPlane, costPerUnit, (from, to) -> {
            float[] buf = new float[bandRows * bufW];   // once per thread range
            boolean[] valid = new boolean[bandRows];
            int[] taps = new int[fh];
            for (int unit = from; unit < to; unit++) {
                int plane = unit / bandsPerPlane, band = unit % bandsPerPlane;
                int b = plane / c, ch = plane % c;
                int oy0 = band * UPFIRDN_ROWS, oy1 = Math.min(outH, oy0 + UPFIRDN_ROWS);
                int r0 = oy0 * downY, rows = (oy1 - 1) * downY + fh - r0;
                int src = xOff + b * sx[0] + ch * sx[1];
                // 1. expand the band: padded row r0 + k holds up-sampled row uy = r0 + k - padY0
                for (int k = 0; k < rows; k++) {
                    int uy = r0 + k - padY0;
                    valid[k] = uy >= 0 && uy < h * upY && uy % upY == 0;
                    if (!valid[k]) continue;
                    int iy = uy / upY, rowAt = k * bufW;
                    Arrays.fill(buf, rowAt, rowAt + bufW, 0f);
                    // input column ix lands on padded column ix*upX + padX0
                    int ixLo = Math.max(0, ceilDiv(-padX0, upX)), ixHi = Math.min(w, ceilDiv(bufW - padX0, upX));
                    int srcRow = src + iy * sx[2];
                    if (upX == 1 && sx[3] == 1) {
                        if (ixHi > ixLo) System.arraycopy(xs, srcRow + ixLo, buf, rowAt + ixLo + padX0, ixHi - ixLo);
                    } else {
                        for (int ix = ixLo; ix < ixHi; ix++) buf[rowAt + ix * upX + padX0] = xs[srcRow + ix * sx[3]];
                    }
                }
                // 2. filter every output row of the band
                for (int oy = oy0; oy < oy1; oy++) {
                    int nt = 0;
                    for (int i = 0; i < fh; i++) if (valid[oy * downY + i - r0]) taps[nt++] = i;
                    int dst = (plane * outH + oy) * outW;
                    if (nt == 0) continue;               // all-zero rows of the up-sampled signal: output stays 0
                    int ox = 0;
                    if (downX == 1) {
                        for (; ox <= outW - L; ox += L) {
                            FloatVector acc = FloatVector.zero(S);
                            for (int t = 0; t < nt; t++) {
                                int i = taps[t];
                                int rowAt = (oy * downY + i - r0) * bufW + ox;
                                for (int j = 0; j < fw; j++) {
                                    acc = FloatVector.fromArray(S, buf, rowAt + j).fma(FloatVector.broadcast(S, fk[i * fw + j]), acc);
                                }
                            }
                            acc.intoArray(os, dst + ox);
                        }
                    }
                    for (; ox < outW; ox++) {
                        float s = 0;
                        for (int t = 0; t < nt; t++) {
                            int i = taps[t];
                            int rowAt = (oy * downY + i - r0) * bufW + ox * downX;
                            for (int j = 0; j < fw; j++) s += fk[i * fw + j] * buf[rowAt + j];
                        }
                        os[dst + ox] = s;
                    }
                }
            }
        });
        return out;
    }

    private static int ceilDiv(int a, int b) { return -Math.floorDiv(-a, b); }

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
                        float g = gs[gsrc + (q / wo) * sg[2] + (q % wo) * sg[3]];
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
                    int gq = gOff + b * sg[0] + (q / wo) * sg[2] + (q % wo) * sg[3];
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
