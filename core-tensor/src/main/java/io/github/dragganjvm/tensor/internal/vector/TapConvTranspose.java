package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A single image's stride-2, 3x3 transposed convolution without padding (StyleGAN2's up-sampling conv, before its
 * blur) on a small input: one GEMM over all nine taps, then every output row gathered from the taps that reach it.
 *
 * <h2>Meaning</h2>
 * PyTorch's {@code conv_transpose2d(x, w, stride=2)}, x [1, C, H, W], w [C, O, 3, 3]:
 * <pre>
 *   out[o, 2i + ky, 2j + kx] += sum_c x[c, i, j] * w[c, o, ky, kx]          out [1, O, 2H + 1, 2W + 1]
 * </pre>
 * Split at the sum: first the per-tap products, one GEMM of the weight's taps as rows against the image as columns,
 * <pre>
 *   T[(o, ky, kx), (i, j)] = sum_c w[c, o, ky, kx] * x[c, i, j]               T = A[9 O, C] x X[C, H W]
 * </pre>
 * then each output pixel the sum of the (at most four) products that land on it: output row 2i + ky takes tap row
 * ky of input row i, so an even row r takes ky = 0 (i = r / 2) and ky = 2 (i = r / 2 - 1), an odd row ky = 1; along
 * the row, even column 2t takes kx = 0 at j = t and kx = 2 at j = t - 1, odd column 2t + 1 takes kx = 1 at j = t:
 * <pre>
 *   out[o, r, 2t]     = sum over r's taps ky of  T[(o, ky, 0), (i, t)] + T[(o, ky, 2), (i, t - 1)]
 *   out[o, r, 2t + 1] = sum over r's taps ky of  T[(o, ky, 1), (i, t)]
 * </pre>
 * (terms outside the image left out). This is the "col2im" form of a transposed conv written as a gather, so every
 * output is written once and nothing is zeroed or scattered.
 *
 * <h2>Why, and where</h2>
 * The phase decomposition ({@link VConv}) runs four GEMMs of O rows whose columns are a phase's pixels: on a 4x4 to
 * 16x16 input that is 25-289 columns, a few register panels, against K = 512-2048; here there is one GEMM of 9 O rows
 * (4,608 for 512 channels) over all H W columns and K = C, a shape {@link Sgemm} runs near its full speed, and the
 * image is the right operand as it is (no im2col). The price is the taps' buffer, 9 O H W floats (up to 19 MB:
 * 512 output channels at 32x32, or 128 at 64x64), and one pass over it. Measured against the phases on a 2-core AVX2 EPYC (one
 * program per build, alternating three times, the weight packed per call as the generator's modulated weights are;
 * ms, up conv with its blur / transposed conv alone): 512x512 @4 19-22 / 19-22 -> 7-10 / 7-9, @8 26-30 / 23-28 ->
 * 10-17 / 9-13, @16 39-46 / 41-47 -> 24-31 / 23-25, 512x256 @32 55-71 / 51-61 -> 43-48 / 41-45; 256x128 @64
 * 54-74 / 51-70 -> 49-63 / 43-48; at 128x64 @128 neither was faster (and the buffer would be 38 MB). So
 * {@link #applies} takes inputs up to MAX_PIXELS (64x64) pixels whose buffer is at most MAX_TAP_FLOATS (19 MB).
 *
 * <h2>Exactness</h2>
 * Every T entry is one GEMM dot product over the C channels; every output is then the same fixed sequence of float
 * additions in the vector and the scalar code (taps ky ascending, and for even columns kx = 0 before kx = 2). The
 * result differs from the phases' in rounding only (the phases sum over channels and taps in one dot product), and is
 * deterministic for any thread count: the GEMM's blocking does not depend on it.
 */
final class TapConvTranspose {
    private TapConvTranspose() {}

    private static final VectorSpecies<Float> S = Sgemm.S;
    private static final int VL = Sgemm.VL;

    /** Largest input (H W pixels) taken: 64x64 (see the class comment); {@code -Ddraggan.tapConvT.maxPixels} for experiments. */
    static final int MAX_PIXELS = Integer.getInteger("draggan.tapConvT.maxPixels", 64 * 64);
    /**
     * Largest taps' buffer (9 O H W floats) taken: that of 128 output channels at 64x64, 19 MB, the largest measured
     * (a 512 px model's 256-channel up conv at 64x64 would need 38 MB and keeps the phases).
     */
    static final long MAX_TAP_FLOATS = 9L * 128 * 64 * 64;

    /**
     * Whether this class computes {@code convTranspose2d(x, w, stride 2, padding 0, groups 1)}: one image of at most
     * MAX_PIXELS pixels whose rows are contiguous (the GEMM reads it in place), a 3x3 weight, and a taps' buffer of at
     * most MAX_TAP_FLOATS.
     */
    static boolean applies(Tensor x, Tensor w, int sh, int sw, int ph, int pw, int groups) {
        return x.size(0) == 1 && groups == 1 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && w.size(2) == 3 && w.size(3) == 3
                && (long) x.size(2) * x.size(3) <= MAX_PIXELS && 9L * w.size(1) * x.size(2) * x.size(3) <= MAX_TAP_FLOATS
                && x.stride(3) == 1 && x.stride(2) == x.size(3);
    }

    /** conv_transpose2d(x, w, stride 2) for a case that {@link #applies}: [1, O, 2H + 1, 2W + 1]. */
    static Tensor convTranspose2d(Tensor x, Tensor w) {
        int h = x.size(2), wd = x.size(3), o = w.size(1), ho = outSize(h), wo = outSize(wd);
        float[] t = taps(x, w);
        Tensor out = Tensor.zeros(1, o, ho, wo);
        float[] ov = out.host().f32;
        Parallel.forRange(o * ho, 3L * wo, (from, to) -> {
            for (int p = from; p < to; p++) row(t, h, wd, p / ho, p % ho, ov, p * wo);
        });
        return out;
    }

    /**
     * upfirdn2d(conv_transpose2d(x, w, stride 2), f, filterPad, gain) for a case that {@link #applies}: the filter
     * reads each row of the transposed conv as {@link #row} gathers it, so that map is never a tensor.
     */
    static Tensor convTranspose2dFir(Tensor x, Tensor w, Tensor f, int[] filterPad, double gain) {
        int h = x.size(2), wd = x.size(3), o = w.size(1);
        float[] t = taps(x, w);
        ResampleKernels.RowSource rows = (plane, iy, dst, d) -> row(t, h, wd, plane, iy, dst, d);
        return ResampleKernels.upfirdn2d(rows, 1, o, outSize(h), outSize(wd), f, 1, 1, 1,
                filterPad[0], filterPad[1], filterPad[2], filterPad[3], gain, false);
    }

    private static int outSize(int in) { return Shapes.convTransposeOut(in, 3, 2, 0); }

    /**
     * T [9 O, H W] (class comment) into this thread's {@link CallScratch#TAPS} array: the weight packed as the left
     * operand (once in all when it is constant), the image packed whole as the right one (into this thread's
     * {@link CallScratch#TAP_IMAGE} array).
     */
    private static float[] taps(Tensor x, Tensor w) {
        int c = x.size(1), hw = x.size(2) * x.size(3), m = 9 * w.size(1);
        Sgemm.Packed a = ConstantCache.get(w, "TapConvTranspose.A",
                () -> Sgemm.Packed.left(new TapRows(w), m, c),
                () -> Sgemm.Packed.left(new TapRows(w), m, c, CallScratch.get(CallScratch.PHASE_A, Sgemm.Packed.leftSize(m, c))));
        Sgemm.Packed b = Sgemm.Packed.right(new StridedMatrix(x.host().f32, x.offset(), x.stride(1), 1), c, hw,
                CallScratch.get(CallScratch.TAP_IMAGE, Sgemm.Packed.rightSize(c, hw)));
        float[] t = CallScratch.get(CallScratch.TAPS, m * hw);
        Sgemm.gemm(m, hw, c, a, b, t, 0, hw, 1, false);
        return t;
    }

    /**
     * Output row r of channel o, its 2W + 1 floats, at dst[d ..]: the gather of the class comment. The vector loop
     * covers the columns 2t, 2t + 1 for t in [1, W - VL]; the scalar code the rest, with the same additions.
     */
    static void row(float[] t, int h, int wd, int o, int r, float[] dst, int d) {
        int hw = h * wd;
        // the tap rows that reach output row r, ky ascending, as offsets of their kx = 0 plane's input row (kx = 0, 1,
        // 2 at +0, +hw, +2 hw): an odd row takes ky = 1 only; an even row ky = 0 (input row r/2) and ky = 2 (row
        // r/2 - 1), the first and last rows only one of them
        int t0, t1 = -1;
        if ((r & 1) == 1) {
            t0 = (o * 9 + 3) * hw + (r / 2) * wd;
        } else {
            int ky0 = r / 2 < h ? (o * 9) * hw + (r / 2) * wd : -1, ky2 = r >= 2 ? (o * 9 + 6) * hw + (r / 2 - 1) * wd : -1;
            t0 = ky0 >= 0 ? ky0 : ky2;
            if (ky0 >= 0) t1 = ky2;
        }
        boolean two = t1 >= 0;
        // column 0 (kx = 0, j = 0) and 1 (kx = 1, j = 0)
        dst[d] = two ? t[t0] + t[t1] : t[t0];
        dst[d + 1] = two ? t[t0 + hw] + t[t1 + hw] : t[t0 + hw];
        int u = 1;
        for (; u + VL <= wd; u += VL) {
            FloatVector e = FloatVector.fromArray(S, t, t0 + u).add(FloatVector.fromArray(S, t, t0 + 2 * hw + u - 1));
            FloatVector od = FloatVector.fromArray(S, t, t0 + hw + u);
            if (two) {
                e = e.add(FloatVector.fromArray(S, t, t1 + u)).add(FloatVector.fromArray(S, t, t1 + 2 * hw + u - 1));
                od = od.add(FloatVector.fromArray(S, t, t1 + hw + u));
            }
            Winograd.lowHalves(e, od).intoArray(dst, d + 2 * u);
            Winograd.highHalves(e, od).intoArray(dst, d + 2 * u + VL);
        }
        for (; u < wd; u++) {
            float e = t[t0 + u] + t[t0 + 2 * hw + u - 1], od = t[t0 + hw + u];
            if (two) {
                e = e + t[t1 + u] + t[t1 + 2 * hw + u - 1];
                od += t[t1 + hw + u];
            }
            dst[d + 2 * u] = e;
            dst[d + 2 * u + 1] = od;
        }
        dst[d + 2 * wd] = two ? t[t0 + 2 * hw + wd - 1] + t[t1 + 2 * hw + wd - 1] : t[t0 + 2 * hw + wd - 1];   // kx = 2 at j = W - 1
    }

    /**
     * The left operand A[(o, ky, kx), c] = w[c, o, ky, kx] of w [C, O, 3, 3] with any strides. Panels are packed one
     * after the other so the writes are sequential.
     */
    private record TapRows(float[] w, int off, int s0, int s1, int s2, int s3) implements Operand {
        TapRows(Tensor wt) { this(wt.host().f32, wt.offset(), wt.stride(0), wt.stride(1), wt.stride(2), wt.stride(3)); }

        @Override public void packA(int i0, int mc, int k0, int kc, float[] dst) {
            int mr = Sgemm.MR;
            int[] rowOff = new int[mr];
            for (int i = 0; i < mc; i += mr) {
                int rows = Math.min(mr, mc - i), d = i * kc;
                for (int q = 0; q < rows; q++) {
                    int row = i0 + i + q, o = row / 9, tap = row % 9;
                    rowOff[q] = off + o * s1 + tap / 3 * s2 + tap % 3 * s3;
                }
                for (int k = k0; k < k0 + kc; k++, d += mr) {
                    int cOff = k * s0;
                    for (int q = 0; q < rows; q++) dst[d + q] = w[rowOff[q] + cOff];
                    for (int q = rows; q < mr; q++) dst[d + q] = 0f;
                }
            }
        }
    }
}
