package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * 3x3, stride 1, groups 1 convolutions (any zero padding) of F32 host tensors by Winograd's minimal filtering
 * algorithm F(2x2, 3x3): every 2x2 block of outputs comes from a 4x4 input tile with 16 multiplies per channel pair
 * instead of 36, so the GEMM work is 4/9 of the direct method's. F(4x4, 3x3) (36 multiplies per 4x4 block, 1/4 of
 * the direct work, several times the rounding error) is there as an option, {@code -Ddraggan.winograd.tile=4}.
 *
 * <h2>The algorithm</h2>
 * For an input tile d [4, 4] (rows 2ty-p .. 2ty-p+3, columns 2tx-p .. 2tx-p+3 of one channel, p the padding, zero
 * outside the image) and a kernel g [3, 3], the 2x2 outputs are {@code Y = A^T [(G g G^T) * (B^T d B)] A}
 * (elementwise product in the middle) with
 * <pre>
 *         | 1  0 -1  0 |          | 1    0    0  |
 *   B^T = | 0  1  1  0 |      G = | 1/2  1/2  1/2 |      A^T = | 1  1  1  0 |
 *         | 0 -1  1  0 |          | 1/2 -1/2  1/2 |            | 0  1 -1 -1 |
 *         | 0  1  0 -1 |          | 0    0    1  |
 * </pre>
 * Summed over the input channels, the middle product becomes 16 independent matrix products, one per transform
 * point xi = 4*i + j of the 4x4 tile ({@code T} = number of tiles):
 * <pre>
 *   U[xi][O, C] = (G w[o, c] G^T)[i, j]        weight transform, once per weight ({@link #prepareWeights})
 *   V[xi][C, T] = (B^T d[c, t] B)[i, j]         input transform
 *   M[xi][O, T] = U[xi] x V[xi]                 16 GEMMs through {@link Sgemm}
 *   y[o, tile t] = A^T M[.][o, t] A             output transform, cropped at odd output sizes
 * </pre>
 * F(4x4, 3x3) is the same with 6x6 tiles, 36 points and the transforms of the points 0, 1, -1, 2, -2, inf
 * ({@link #bt}, {@link #at}, {@link #g1d}).
 *
 * <h2>Layout and threads</h2>
 * The tiles of all samples are numbered row-major ({@code n*TH} tile rows of {@code TW} tiles, TH = ceil(Ho/m),
 * TW = ceil(Wo/m)) and processed in bands of whole tile rows, sized so a band's V and M (points*(C+O) floats per
 * tile) stay within {@link #BAND_FLOATS} (cache-sized; a batch of small images shares one band). Per band three
 * steps, each spread over the {@link Parallel} pool: the input transform (by channel), the GEMMs (one at a time
 * per thread, taken from a shared counter), the output transform (by output channel). With a small transformed
 * weight and many bands, each thread instead runs whole bands alone, in its own V and M ({@link #bandsPerThread}).
 * The transforms run across
 * {@code VL} horizontally adjacent tiles at once; the stride-m tile columns are handled by deinterleaving input
 * rows into m phases (and interleaving output rows back) with in-register shuffles.
 *
 * <h2>Accuracy and determinism</h2>
 * The weight transform is computed in double and rounded once. The input and output transforms are fixed
 * sequences of float operations (adds for F(2x2); adds and fused multiply-adds, also in the scalar tails, for
 * F(4x4); no lane reductions), the GEMMs sum in Sgemm's fixed order, and the band size depends only on the shapes,
 * so results are bit-identical run to run, for any thread count and JIT tier. F(2x2)'s error is a few ulps of the
 * sum of |products|, like the direct method's; F(4x4)'s about 15 times that. {@code WinogradTest} states the bounds.
 *
 * <h2>When it is used</h2>
 * {@link VConv} calls {@link #conv2d(Tensor, Tensor, int, int)} / {@link #convTranspose2d} when {@link #worthIt}
 * (3x3, stride 1, one group, enough channels and pixels to pay for the transforms); a weight marked constant has
 * its transform made once and cached. A batch's weight gradient goes to {@link #conv2dWeightGrad} where
 * {@code VConv.winogradWeightGrad} says so (large layers, AVX2). {@code -Ddraggan.winograd=false} turns it off.
 */
public final class Winograd {
    private Winograd() {}

    /** {@code -Ddraggan.winograd=false} sends every convolution to the direct GEMM path. */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("draggan.winograd", "true"));
    /** Floats of V and M per band (default 2M = 8 MB, within the L3 cache). */
    static final int BAND_FLOATS = Integer.getInteger("draggan.winograd.bandFloats", 1 << 21);

    /**
     * Output tile side m of F(m x m, 3x3): 2 (16 transform points per 2x2 outputs, the default) or 4 (36 points
     * per 4x4 outputs: 2.25 instead of 4 GEMM multiply-adds per output and channel pair, larger transform
     * coefficients, so several times the rounding error); {@code -Ddraggan.winograd.tile=4}, used for outputs of
     * 32x32 and more ({@link #tileFor}).
     */
    static final int TILE = Integer.getInteger("draggan.winograd.tile", 2);

    private static final VectorSpecies<Float> S = Sgemm.S;
    private static final int VL = S.length(), MR = Sgemm.MR;
    /** Lane i takes lane 2*(i mod VL/2) (even) or that + 1 (odd): half a deinterleave; blend two halves with HI. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * (i % (VL / 2)));
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * (i % (VL / 2)) + 1);
    private static final VectorMask<Float> HI = VectorMask.fromLong(S, -1L << (VL / 2));
    /** Lane i takes lane i/2 (LO) or VL/2 + i/2 (HI_HALF); blend with ODD_LANES to interleave two vectors. */
    private static final VectorShuffle<Float> LO = VectorShuffle.fromOp(S, i -> i / 2);
    private static final VectorShuffle<Float> HI_HALF = VectorShuffle.fromOp(S, i -> VL / 2 + i / 2);
    private static final VectorMask<Float> ODD_LANES = VectorMask.fromLong(S, 0xAAAA_AAAA_AAAA_AAAAL);

    /** The even lanes of the 2*VL floats p ++ q. */
    private static FloatVector evens(FloatVector p, FloatVector q) { return p.rearrange(EVEN).blend(q.rearrange(EVEN), HI); }

    /** The odd lanes of the 2*VL floats p ++ q. */
    private static FloatVector odds(FloatVector p, FloatVector q) { return p.rearrange(ODD).blend(q.rearrange(ODD), HI); }

    /** Lanes 0 .. VL/2 of p and q interleaved: p0 q0 p1 q1 ... */
    static FloatVector lowHalves(FloatVector p, FloatVector q) { return p.rearrange(LO).blend(q.rearrange(LO), ODD_LANES); }

    /** Lanes VL/2 .. VL of p and q interleaved. */
    static FloatVector highHalves(FloatVector p, FloatVector q) { return p.rearrange(HI_HALF).blend(q.rearrange(HI_HALF), ODD_LANES); }

    /**
     * Whether VConv should take the Winograd path: enabled, a case {@link #handles} covers, and one where it
     * {@link #pays}. For conv2d x [N, C, H, W] and w [O, C, kh, kw]; for a transposed conv (transposed true)
     * w [C, O, kh, kw]. Weights marked constant count as prepared (their transform is cached, see
     * {@link #conv2d(Tensor, Tensor, int, int)}). Depends on shapes and constness only, never on the thread count.
     */
    public static boolean worthIt(Tensor x, Tensor w, int sh, int sw, int ph, int pw, int groups, boolean transposed) {
        if (!ENABLED || !handles(w.size(2), w.size(3), sh, sw, transposed ? 2 - ph : ph, transposed ? 2 - pw : pw, groups)) return false;
        int ho = x.size(2) + (transposed ? 2 - 2 * ph : 2 * ph - 2), wo = x.size(3) + (transposed ? 2 - 2 * pw : 2 * pw - 2);
        int cout = transposed ? w.size(1) : w.size(0);
        return ho > 0 && wo > 0 && pays(x.size(0), ho, wo, x.size(1), cout, w.isConstant());
    }

    /**
     * The convolutions this class computes: 3x3 kernel, stride 1, one group, conv2d padding >= 0 in each direction
     * (for a stride-1 transposed conv with padding p: the conv2d padding 2 - p).
     */
    public static boolean handles(int kh, int kw, int sh, int sw, int ph, int pw, int groups) {
        return kh == 3 && kw == 3 && sh == 1 && sw == 1 && ph >= 0 && pw >= 0 && groups == 1;
    }

    /**
     * Whether Winograd beats the direct GEMM path for n images of {@code ho x wo} output pixels. Measured on a
     * 2-core AVX2 machine (interleaved runs in one JVM, medians in ms, forward; the input gradient is alike;
     * "per call" = the weight transformed or packed in every call, "constant" = a weight marked constant):
     * <pre>
     *                        per call          constant
     *   C -> O @ size       direct  F(2x2)   direct  F(2x2)  F(4x4)
     *   512->512 @ 4x4        4.4    25.2      2.5     3.3     6.2
     *   512->512 @ 8x8       12.3    39.8      8.2     4.8    11.2
     *   512->512 @ 16x16     34.8    41.2     30.2    13.7    10.3
     *   512->512 @ 32x32     55.7    42.0     53.8    24.9    16.4
     *   256->256 @ 64x64     46.0    29.9     43.6    24.4    20.8
     *   128->128 @ 128x128   64.9    38.3     61.9    36.1    27.1
     *   64->64 @ 256x256    148      89.6    148      89.1    67.2
     *   32->32 @ 256x256     20.8    16.4              15.4          (earlier run)
     *   16->16 @ 128x128      2.4     3.0               2.9          (earlier run)
     * </pre>
     * So: at least 32 channels in and out (with fewer the GEMMs are too thin), and at least 64 output pixels
     * (over the batch) with constant weights, 512 when the O*C*16 weight transform is part of the call.
     */
    public static boolean pays(int n, int ho, int wo, int cin, int cout, boolean weightsPrepared) {
        long pixels = (long) n * ho * wo;
        return Math.min(cin, cout) >= 32 && pixels >= (weightsPrepared ? 64 : 512);
    }

    // ------------------------------------------------------------------ weights

    /**
     * Transformed weights {@code U[xi][O, C]}, one GEMM left operand per transform point, each in Sgemm's packed
     * layout for a left operand ({@link Sgemm.Packed#leftIndex}: depth blocks of KC input channels, MR-row panels
     * within them, zero rows past O), point xi at {@code xi * Sgemm.Packed.leftSize(O, C)}. The transform writes
     * that layout directly, so the GEMMs read U in place whether it was made for one call or prepared for many.
     */
    public static final class Weights {
        final int out, in, panels, tile, count;
        private final float[] u;
        private final Operand[] points;

        /** Transformed weights in {@code u}, at least {@link #floats} long (every float written by the transform). */
        private Weights(int out, int in, int tile, float[] u) {
            this.out = out;
            this.in = in;
            this.tile = tile;
            this.count = (tile + 2) * (tile + 2);
            this.panels = (out + MR - 1) / MR;
            this.u = u;
            this.points = new Operand[count];
            int stride = Sgemm.Packed.leftSize(out, in);
            for (int xi = 0; xi < count; xi++) points[xi] = Sgemm.Packed.leftInPlace(u, xi * stride, out, in);
        }

        /** A copy of one call's weights in an array of their own, for many calls. */
        private Weights(Weights once) { this(once.out, once.in, once.tile, java.util.Arrays.copyOf(once.u, floats(once.out, once.in, once.tile))); }

        /** Floats of the panels of O x C kernels transformed for F(tile x tile, 3x3). */
        static int floats(int out, int in, int tile) { return (tile + 2) * (tile + 2) * Sgemm.Packed.leftSize(out, in); }

        /** Output tile side m of F(m x m, 3x3) these weights are transformed for. */
        public int tile() { return tile; }

        /** Output channels O. */
        public int outChannels() { return out; }

        /** Input channels C. */
        public int inChannels() { return in; }

        /** The left operand U[xi] of one GEMM. */
        Operand operand(int xi) { return points[xi]; }
    }

    /**
     * Weights of conv2d: w [O, C, 3, 3] (any strides) transformed and packed for many calls of
     * {@link #conv2d(Tensor, Weights, int, int)}. (Weights marked constant get this automatically, cached.)
     */
    public static Weights prepareWeights(Tensor w) { return new Weights(forOneCall(w, false, TILE)); }

    /** The weights of convTranspose2d (see {@link #weights}) transformed and packed for many calls. */
    public static Weights prepareTransposedWeights(Tensor w) { return new Weights(forOneCall(w, true, TILE)); }

    /** {@link #prepareWeights} (or, transposed, {@link #prepareTransposedWeights}) for F(tile x tile, 3x3), tile 2 or 4. */
    static Weights prepareWeights(Tensor w, boolean transposed, int tile) { return new Weights(forOneCall(w, transposed, tile)); }

    /**
     * The output tile for an {@code ho x wo} output: {@link #TILE}, except that F(4x4) is only used from 32x32
     * outputs on (below, its 6x6 tiles waste too much at the borders and F(2x2) was as fast or faster).
     */
    static int tileFor(int ho, int wo) { return TILE == 4 && (long) ho * wo >= 1024 ? 4 : 2; }

    /**
     * Transformed weights for F(tile x tile, 3x3) for one call, or from the cache when w is constant. conv2d:
     * w [O, C, 3, 3]; transposed: the weight of a stride-1 convTranspose2d, w [C, O, 3, 3], which is the conv2d
     * with the kernel flipped and its channel axes swapped, {@code w'[o, c, i, j] = w[c, o, 2-i, 2-j]}.
     */
    static Weights weights(Tensor w, boolean transposed, int tile) {
        return ConstantCache.get(w, java.util.List.of(transposed ? "winograd.transposed" : "winograd", tile),
                () -> new Weights(forOneCall(w, transposed, tile)), () -> forOneCall(w, transposed, tile));
    }

    /**
     * The transform in panels (no second packing: for one call), in this thread's {@link CallScratch#WINOGRAD_U}
     * array: valid until the thread's next transform. Every caller uses it within its call (a conv) or copies it
     * (the prepared and cached weights pack it into {@link Sgemm.Packed}): a fresh 16 MB array for a 512-channel
     * weight cost its zeroing on every call.
     */
    private static Weights forOneCall(Tensor w, boolean transposed, int tile) {
        checkKernel(transposed ? "prepareTransposedWeights" : "prepareWeights", w);
        if (tile != 2 && tile != 4) throw new IllegalArgumentException("Winograd: output tile must be 2 or 4, got " + tile);
        int[] s = w.strides();
        int out = transposed ? w.size(1) : w.size(0), in = transposed ? w.size(0) : w.size(1);
        float[] u = CallScratch.get(CallScratch.WINOGRAD_U, Weights.floats(out, in, tile));
        return transposed
                ? transform(w.host().f32, w.offset() + 2 * s[2] + 2 * s[3], s[1], s[0], -s[2], -s[3], out, in, tile, u)
                : transform(w.host().f32, w.offset(), s[0], s[1], s[2], s[3], out, in, tile, u);
    }

    private static void checkKernel(String op, Tensor w) {
        if (w.dim() != 4 || w.size(2) != 3 || w.size(3) != 3 || w.dtype() != DType.F32 || !(w.storage() instanceof HostStorage)) {
            throw new IllegalArgumentException("Winograd." + op + ": weight must be an F32 host tensor [*, *, 3, 3], got "
                    + w.dtype() + " " + java.util.Arrays.toString(w.shape()) + " on " + w.device());
        }
    }

    /** Input channels per chunk of the weight transform (its scratch is points * CHUNK * MR floats). */
    private static final int CHUNK = 16;

    /**
     * U = G g G^T for kernel (o, c) at {@code w[off + o*so + c*sc + i*si + j*sj]}, in double, rounded once, into u
     * in the packed layout of {@link Weights}. By panel and chunks of input channels (within one depth block): a
     * chunk's points go to a small scratch first, then each point's piece is copied to its place in one run (writing
     * the points, a power of two apart, value by value would keep evicting one cache set). Every float of u's first
     * {@link Weights#floats} is written (rows past O as zeros). F(2x2) runs in double vectors ({@link #transform2}),
     * F(4x4) kernel by kernel ({@link #transform4}).
     */
    private static Weights transform(float[] w, int off, int so, int sc, int si, int sj, int out, int in, int tile, float[] u) {
        Weights wt = new Weights(out, in, tile, u);
        Parallel.forRange(wt.panels, 30L * wt.count * in * MR, (from, to) -> {
            if (tile == 2) transform2(w, off, so, sc, si, sj, out, in, from, to, u);
            else transform4(w, off, so, sc, si, sj, out, in, from, to, u);
        });
        return wt;
    }

    /** Double vectors of one panel's MR rows (MR is half a float vector, so this is a whole vector register). */
    private static final VectorSpecies<Double> DM = VectorSpecies.of(double.class, VectorShape.forBitSize(64 * MR));

    /** Where a chunk of channels [c0, c0 + cn) of panel p begins in each point's packed operand (see {@link Weights}). */
    private static int chunkStart(int out, int in, int p, int c0) {
        int k0 = c0 - c0 % Sgemm.KC;
        return Sgemm.Packed.leftIndex(out, in, p * MR, k0) + (c0 - k0) * MR;
    }

    /** Channels in the chunk from c0: at most CHUNK, within c0's depth block of the packed layout. */
    private static int chunkSize(int in, int c0) { return Math.min(Math.min(CHUNK, in - c0), c0 - c0 % Sgemm.KC + Sgemm.KC - c0); }

    /**
     * The taps of kernels (o, c), o = p*MR + r for the panel's first {@code rows} rows, as doubles by tap and row:
     * {@code g[(3i + j) * MR + r] = w[off + o*so + c*sc + i*si + j*sj]} (rows past them are left as they are).
     */
    private static void gatherTaps(float[] w, int off, int so, int sc, int si, int sj, int p, int rows, int c, double[] g) {
        for (int r = 0; r < rows; r++) {
            int b = off + (p * MR + r) * so + c * sc;
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) g[(3 * i + j) * MR + r] = w[b + i * si + j * sj];
        }
    }

    /**
     * F(2x2) weight transform of panels [from, to): the MR kernels of a panel row at once, in double vectors of MR
     * lanes (taps {@link #gatherTaps gathered}, zero past O), {@link #g1d}'s operations in its order down
     * the three columns and then along the four rows, each point rounded to float once: the bits of the scalar
     * definition (WinogradTest). One flat method, so that C2 compiles its vectors into registers; split into helpers,
     * some were left as calls past C2's inlining budget and every vector was allocated.
     */
    private static void transform2(float[] w, int off, int so, int sc, int si, int sj, int out, int in, int from, int to, float[] u) {
        int xiStride = Sgemm.Packed.leftSize(out, in);
        double[] tmp = new double[16 * CHUNK * MR];                  // [xi][c - c0][r]
        double[] g = new double[9 * MR];
        for (int p = from; p < to; p++) {
            int rows = Math.min(MR, out - p * MR);
            java.util.Arrays.fill(g, 0.0);                            // rows past O stay zero
            for (int c0 = 0, cn; c0 < in; c0 += cn) {
                cn = chunkSize(in, c0);
                int piece = cn * MR;
                for (int cc = 0; cc < cn; cc++) {
                    gatherTaps(w, off, so, sc, si, sj, p, rows, c0 + cc, g);
                    DoubleVector g00 = DoubleVector.fromArray(DM, g, 0), g01 = DoubleVector.fromArray(DM, g, MR), g02 = DoubleVector.fromArray(DM, g, 2 * MR);
                    DoubleVector g10 = DoubleVector.fromArray(DM, g, 3 * MR), g11 = DoubleVector.fromArray(DM, g, 4 * MR), g12 = DoubleVector.fromArray(DM, g, 5 * MR);
                    DoubleVector g20 = DoubleVector.fromArray(DM, g, 6 * MR), g21 = DoubleVector.fromArray(DM, g, 7 * MR), g22 = DoubleVector.fromArray(DM, g, 8 * MR);
                    // G g: rows (g0j, (g0j + g1j + g2j)/2, (g0j - g1j + g2j)/2, g2j) of each column j
                    DoubleVector h0 = g00.add(g10).add(g20).mul(0.5), h1 = g01.add(g11).add(g21).mul(0.5), h2 = g02.add(g12).add(g22).mul(0.5);
                    DoubleVector k0 = g00.sub(g10).add(g20).mul(0.5), k1 = g01.sub(g11).add(g21).mul(0.5), k2 = g02.sub(g12).add(g22).mul(0.5);
                    // then each row (q0, q1, q2) times G^T: points 4i + (q0, (q0 + q1 + q2)/2, (q0 - q1 + q2)/2, q2)
                    int d = cc * MR;
                    g00.intoArray(tmp, d);
                    g00.add(g01).add(g02).mul(0.5).intoArray(tmp, d + piece);
                    g00.sub(g01).add(g02).mul(0.5).intoArray(tmp, d + 2 * piece);
                    g02.intoArray(tmp, d + 3 * piece);
                    h0.intoArray(tmp, d + 4 * piece);
                    h0.add(h1).add(h2).mul(0.5).intoArray(tmp, d + 5 * piece);
                    h0.sub(h1).add(h2).mul(0.5).intoArray(tmp, d + 6 * piece);
                    h2.intoArray(tmp, d + 7 * piece);
                    k0.intoArray(tmp, d + 8 * piece);
                    k0.add(k1).add(k2).mul(0.5).intoArray(tmp, d + 9 * piece);
                    k0.sub(k1).add(k2).mul(0.5).intoArray(tmp, d + 10 * piece);
                    k2.intoArray(tmp, d + 11 * piece);
                    g20.intoArray(tmp, d + 12 * piece);
                    g20.add(g21).add(g22).mul(0.5).intoArray(tmp, d + 13 * piece);
                    g20.sub(g21).add(g22).mul(0.5).intoArray(tmp, d + 14 * piece);
                    g22.intoArray(tmp, d + 15 * piece);
                }
                int dst = chunkStart(out, in, p, c0);
                for (int xi = 0; xi < 16; xi++) {                      // each point rounded to float once, here
                    for (int e = 0, t = xi * piece, q = xi * xiStride + dst; e < piece; e++) u[q + e] = (float) tmp[t + e];
                }
            }
        }
    }

    /** F(4x4) weight transform of panels [from, to), kernel by kernel with {@link #g1d}. */
    private static void transform4(float[] w, int off, int so, int sc, int si, int sj, int out, int in, int from, int to, float[] u) {
        int a = 6, count = a * a, xiStride = Sgemm.Packed.leftSize(out, in);
        float[] tmp = new float[count * CHUNK * MR];                 // [xi][c - c0][r]
        double[] g = new double[9 * MR], gg = new double[3 * a], col = new double[a];
        for (int p = from; p < to; p++) {
            int rows = Math.min(MR, out - p * MR);
            for (int c0 = 0, cn; c0 < in; c0 += cn) {
                cn = chunkSize(in, c0);
                int piece = cn * MR;
                java.util.Arrays.fill(tmp, 0f);                       // rows past O stay zero
                for (int cc = 0; cc < cn; cc++) {
                    gatherTaps(w, off, so, sc, si, sj, p, rows, c0 + cc, g);
                    for (int r = 0; r < rows; r++) {
                        // G g down each kernel column j: gg[j*a + i] = (G g)[i, j]
                        for (int j = 0; j < 3; j++) g1d(4, g[j * MR + r], g[(3 + j) * MR + r], g[(6 + j) * MR + r], gg, j * a);
                        // (G g) G^T along each row i: point xi = a*i + j
                        for (int i = 0; i < a; i++) {
                            g1d(4, gg[i], gg[a + i], gg[2 * a + i], col, 0);
                            for (int j = 0; j < a; j++) tmp[(a * i + j) * piece + cc * MR + r] = (float) col[j];
                        }
                    }
                }
                int dst = chunkStart(out, in, p, c0);
                for (int xi = 0; xi < count; xi++) System.arraycopy(tmp, xi * piece, u, xi * xiStride + dst, piece);
            }
        }
    }

    /**
     * G (g0, g1, g2) for F(tile, 3), into dst[d .. d + tile + 2): for tile 2 (points 0, 1, -1, inf)
     * {@code (g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2)}; for tile 4 (points 0, 1, -1, 2, -2, inf)
     * {@code (g0/4, -(g0+g1+g2)/6, -(g0-g1+g2)/6, g0/24 + g1/12 + g2/6, g0/24 - g1/12 + g2/6, g2)}.
     */
    private static void g1d(int tile, double g0, double g1, double g2, double[] dst, int d) {
        if (tile == 2) {
            dst[d] = g0;
            dst[d + 1] = (g0 + g1 + g2) * 0.5;
            dst[d + 2] = (g0 - g1 + g2) * 0.5;
            dst[d + 3] = g2;
        } else {
            dst[d] = g0 / 4;
            dst[d + 1] = -(g0 + g1 + g2) / 6;
            dst[d + 2] = -(g0 - g1 + g2) / 6;
            dst[d + 3] = g0 / 24 + g1 / 12 + g2 / 6;
            dst[d + 4] = g0 / 24 - g1 / 12 + g2 / 6;
            dst[d + 5] = g2;
        }
    }

    // ------------------------------------------------------------------ convolutions

    /**
     * conv2d(x, w, stride 1, padding (ph, pw)): x [N, C, H, W] (any strides), w [O, C, 3, 3]
     * -> [N, O, H + 2ph - 2, W + 2pw - 2]. A constant w's transform is made once and cached.
     */
    public static Tensor conv2d(Tensor x, Tensor w, int ph, int pw) {
        return conv2d(x, weights(w, false, tileFor(x.size(2) + 2 * ph - 2, x.size(3) + 2 * pw - 2)), ph, pw);
    }

    /**
     * convTranspose2d(x, w, stride 1, padding (ph, pw)), ph, pw &lt;= 2: x [N, C, H, W], w [C, O, 3, 3]
     * -> [N, O, H - 2ph + 2, W - 2pw + 2]; the conv2d with the flipped, swapped kernel and padding 2 - p.
     */
    public static Tensor convTranspose2d(Tensor x, Tensor w, int ph, int pw) {
        return conv2d(x, weights(w, true, tileFor(x.size(2) + 2 - 2 * ph, x.size(3) + 2 - 2 * pw)), 2 - ph, 2 - pw);
    }

    /**
     * The weight gradient of conv2d(x, w, stride 1, padding (ph, pw)) with a 3x3 w: x [N, C, H, W] (any strides),
     * gout [N, O, Ho, Wo] with Ho = H + 2ph - 2, Wo = W + 2pw - 2 (any strides with unit column stride) -> dW
     * [O, C, 3, 3], {@code dW[o, c, i, j] = sum_{n, y, x} gout[n, o, y, x] * x[n, c, y + i - ph, x + j - pw]} (zero
     * outside the image), as PyTorch's convolution_backward for the weight.
     *
     * <p>By F(2x2, 3x3) read backwards. For one output tile, the forward's 2x2 outputs are the trilinear form
     * {@code sum_k (A e)_k (G g)_k (B^T d)_k} in 1-D (e the outputs' weights, g the kernel, d the 4-pixel input
     * tile), so its derivative by the kernel is {@code G^T [(A e) * (B^T d)]}: the same input transform as the
     * forward, the output gradient transformed by A = (A^T)^T, and G^T as the output transform. In 2-D, summed
     * over the tiles t of every sample,
     * <pre>
     *   V[xi][C, T]  = (B^T d[c, t] B)[i, j]        the forward's input transform
     *   E[xi][O, T]  = (A gout[o, t] A^T)[i, j]      the gradient of tile t's 2x2 outputs, transformed
     *   M[xi][C, O] += V[xi] x E[xi]^T               16 GEMMs, K = the tiles of a band, summed over the bands
     *   dW[o, c]     = G^T M[.][c, o] G              3x3 from 4x4, in double, rounded once
     * </pre>
     * 4 GEMM multiply-adds per output pixel and channel pair instead of the direct method's 9. Bands of tile rows
     * as in the forward; each GEMM sums its K in Sgemm's fixed order and the bands in order, so the result does not
     * depend on the thread count. The error is of the order of the direct sum's (the transforms only add and
     * subtract, and G^T halves).
     */
    public static Tensor conv2dWeightGrad(Tensor x, Tensor gout, int ph, int pw) {
        if (x.dim() != 4 || gout.dim() != 4 || x.dtype() != DType.F32 || gout.dtype() != DType.F32
                || !(x.storage() instanceof HostStorage) || !(gout.storage() instanceof HostStorage)) {
            throw new IllegalArgumentException("Winograd.conv2dWeightGrad: x and gout must be F32 host tensors [N, C, H, W] and [N, O, Ho, Wo], got "
                    + x.dtype() + " " + java.util.Arrays.toString(x.shape()) + " and " + gout.dtype() + " " + java.util.Arrays.toString(gout.shape()));
        }
        int n = x.size(0), c = x.size(1), o = gout.size(1), ho = x.size(2) + 2 * ph - 2, wo = x.size(3) + 2 * pw - 2;
        if (ph < 0 || pw < 0 || gout.size(0) != n || gout.size(2) != ho || gout.size(3) != wo) {
            throw new IllegalArgumentException("Winograd.conv2dWeightGrad: for x " + java.util.Arrays.toString(x.shape()) + " and padding ("
                    + ph + ", " + pw + ") >= 0, gout must be [" + n + ", O, " + ho + ", " + wo + "], got " + java.util.Arrays.toString(gout.shape()));
        }
        Tensor dw = Tensor.zeros(o, c, 3, 3);
        int th = (ho + 1) / 2, tw = (wo + 1) / 2, rows = n * th;
        if (rows == 0 || tw == 0 || c == 0 || o == 0) return dw;
        Tensor g = gout.stride(3) == 1 ? gout : gout.contiguousOrCopy();
        int[] gs = g.strides();
        float[] gv = g.host().f32;
        long floatsPerRow = 16L * tw * (c + o);
        int maxRows = (int) Math.max(1, Math.min(rows, BAND_FLOATS / floatsPerRow));
        int bands = (rows + maxRows - 1) / maxRows;
        int bandRows = (rows + bands - 1) / bands;
        Plan plan = new Plan(x, o, ph, pw, ho, wo, th, tw, bandRows * tw);
        float[] acc = CallScratch.get(CallScratch.WINOGRAD_DW, 16 * c * o);   // M[xi][C, O]: the first band writes it all
        for (int band = 0; band < bands; band++) {
            int r0 = band * bandRows, r1 = Math.min(rows, r0 + bandRows), tiles = (r1 - r0) * tw;
            boolean add = band > 0;
            Parallel.forRange(c, 3L * 16 * tiles, (from, to) -> {
                float[] rowsBuf = new float[4 * 2 * plan.slot];
                for (int ch = from; ch < to; ch++) plan.inputTransform(ch, r0, r1, tiles, rowsBuf);
            });
            Parallel.forRange(o, 3L * 16 * tiles, (from, to) -> {
                for (int oc = from; oc < to; oc++) plan.gradTransform(gv, g.offset(), gs[0], gs[1], gs[2], oc, r0, r1, tiles);
            });
            AtomicInteger next = new AtomicInteger();
            Parallel.forRange(16, 2L * o * c * tiles, (from, to) -> {
                for (int xi; (xi = next.getAndIncrement()) < 16; ) {
                    Sgemm.gemm(c, o, tiles, new StridedMatrix(plan.v, xi * c * tiles, tiles, 1),
                            new StridedMatrix(plan.m, xi * o * tiles, 1, tiles), acc, xi * c * o, o, 1, add);
                }
            });
        }
        // dW[o, c] = G^T M G, G^T = [[1, 1/2, 1/2, 0], [0, 1/2, -1/2, 0], [0, 1/2, 1/2, 1]]
        float[] d = dw.host().f32;
        Parallel.forRange(o, 64L * c, (from, to) -> {
            double[] t = new double[12];
            for (int oc = from; oc < to; oc++) {
                for (int ch = 0; ch < c; ch++) {
                    int q = ch * o + oc, xs = c * o;
                    for (int i = 0; i < 4; i++) {                 // across each row i: t[i][j] = (M[i][.] G)[j]
                        double m0 = acc[q + (4 * i) * xs], m1 = acc[q + (4 * i + 1) * xs], m2 = acc[q + (4 * i + 2) * xs], m3 = acc[q + (4 * i + 3) * xs];
                        t[3 * i] = m0 + 0.5 * (m1 + m2);
                        t[3 * i + 1] = 0.5 * (m1 - m2);
                        t[3 * i + 2] = 0.5 * (m1 + m2) + m3;
                    }
                    int dd = (oc * c + ch) * 9;
                    for (int j = 0; j < 3; j++) {                 // then down each column j
                        d[dd + j] = (float) (t[j] + 0.5 * (t[3 + j] + t[6 + j]));
                        d[dd + 3 + j] = (float) (0.5 * (t[3 + j] - t[6 + j]));
                        d[dd + 6 + j] = (float) (0.5 * (t[3 + j] + t[6 + j]) + t[9 + j]);
                    }
                }
            }
        });
        return dw;
    }

    /** The 3x3, stride 1 convolution of x [N, C, H, W] (any strides) with padding (ph, pw) >= 0 and transformed weights. */
    public static Tensor conv2d(Tensor x, Weights wt, int ph, int pw) {
        boolean own = bandsPerThread(wt, x.size(0) * tiles(x.size(2) + 2 * ph - 2, wt.tile), tiles(x.size(3) + 2 * pw - 2, wt.tile));
        return conv2d(x, wt, ph, pw, own ? THREAD_BAND_FLOATS : BAND_FLOATS, own);
    }

    /** {@link #conv2d(Tensor, Weights, int, int)} with bands of at most {@code bandFloats} floats of V and M (at least one tile row). */
    static Tensor conv2d(Tensor x, Weights wt, int ph, int pw, int bandFloats) { return conv2d(x, wt, ph, pw, bandFloats, false); }

    /** Tiles of side {@code tile} along an output axis of {@code size}. */
    private static int tiles(int size, int tile) { return (size + tile - 1) / tile; }

    /**
     * Floats of V and M per band when each thread runs whole bands (see {@link #bandsPerThread}): 1M (4 MB). Measured
     * (ConvBench.vectorWinograd, 2 threads, AVX-512 VM, three alternating runs, ops/s): 128->128 @ 128x128 shared
     * bands 41.5-43.3, bands per thread of 1M floats 45.4-49.0, of 2M 46.0-48.1 (256K: 40-42, 128K: 38-50);
     * 64->64 @ 256x256 28.2-29.2 vs 31.8-34.1 and 32.3-33.3.
     */
    static final int THREAD_BAND_FLOATS = Integer.getInteger("draggan.winograd.threadBandFloats", 1 << 20);
    /** Largest transformed weight (floats, points * O * C) whose bands are run a whole band per thread. */
    static final int THREAD_BAND_MAX_WEIGHT = 1 << 18;
    /** {@code -Ddraggan.winograd.threadBands=false} keeps every band spread over all threads (for comparisons). */
    static final boolean THREAD_BANDS = Boolean.parseBoolean(System.getProperty("draggan.winograd.threadBands", "true"));

    /**
     * Whether each thread runs whole bands, small ones, instead of all threads running each of the larger bands
     * step by step: when the transformed weight is small enough to stay in every core's L2 cache (at most
     * {@value #THREAD_BAND_MAX_WEIGHT} floats: 128 channels in and out for F(2x2)) and there are at least two
     * such bands per thread. A band's V and M are then written and read by one core, and the threads meet once
     * per call instead of three times per band. (With the shared bands, the generator's 128-channel conv at
     * 128x128 ran only 1.07x faster on two threads than on one, in a generate's profile.) Values
     * do not depend on the band split (see the class comment), so both ways give the same floats.
     */
    static boolean bandsPerThread(Weights wt, int tileRows, int tilesPerRow) {
        return bandsPerThread(wt.count, wt.out, wt.in, tileRows, tilesPerRow);
    }

    /**
     * Whether the Winograd conv of x (arguments as {@link #worthIt}; stride 1) would run with bands per thread
     * ({@link #bandsPerThread(Weights, int, int)}).
     */
    public static boolean bandsPerThread(Tensor x, Tensor w, int ph, int pw, boolean transposed) {
        int ho = x.size(2) + (transposed ? 2 - 2 * ph : 2 * ph - 2), wo = x.size(3) + (transposed ? 2 - 2 * pw : 2 * pw - 2);
        int tile = tileFor(ho, wo), cout = transposed ? w.size(1) : w.size(0);
        return ho > 0 && wo > 0 && bandsPerThread((tile + 2) * (tile + 2), cout, x.size(1), x.size(0) * tiles(ho, tile), tiles(wo, tile));
    }

    private static boolean bandsPerThread(int count, int out, int in, int tileRows, int tilesPerRow) {
        int threads = Parallel.threads();
        if (!THREAD_BANDS || threads < 2 || (long) count * out * in > THREAD_BAND_MAX_WEIGHT) return false;
        long floatsPerRow = (long) count * tilesPerRow * (in + out);
        long rowsPerBand = Math.max(1, THREAD_BAND_FLOATS / floatsPerRow);
        return (tileRows + rowsPerBand - 1) / rowsPerBand >= 2L * threads;
    }

    /**
     * {@link #conv2d(Tensor, Weights, int, int, int)}; with {@code bandPerThread} the threads take whole bands from
     * a shared counter, each running a band's three steps alone in its own V and M.
     */
    static Tensor conv2d(Tensor x, Weights wt, int ph, int pw, int bandFloats, boolean bandPerThread) {
        if (x.dim() != 4 || x.size(1) != wt.in || x.dtype() != DType.F32 || !(x.storage() instanceof HostStorage)) {
            throw new IllegalArgumentException("Winograd.conv2d: x must be an F32 host tensor [N, " + wt.in + ", H, W] for weights of "
                    + wt.in + " input channels, got " + x.dtype() + " " + java.util.Arrays.toString(x.shape()) + " on " + x.device());
        }
        int n = x.size(0), c = wt.in, o = wt.out, ho = x.size(2) + 2 * ph - 2, wo = x.size(3) + 2 * pw - 2;
        if (ph < 0 || pw < 0 || ho < 1 || wo < 1) {
            throw new IllegalArgumentException("Winograd.conv2d: padding (" + ph + ", " + pw + ") must be >= 0 and leave an output of"
                    + " at least 1x1 for a " + x.size(2) + "x" + x.size(3) + " image, got " + ho + "x" + wo);
        }
        Tensor out = Tensor.zeros(n, o, ho, wo);
        int t = wt.tile, th = (ho + t - 1) / t, tw = (wo + t - 1) / t, rows = n * th;
        if (rows == 0) return out;
        // bands of whole tile rows, as equal as possible, V and M within bandFloats
        long floatsPerRow = (long) wt.count * tw * (c + o);
        int bandRows = (int) Math.max(1, Math.min(rows, bandFloats / floatsPerRow));
        int bands = (rows + bandRows - 1) / bandRows;
        bandRows = (rows + bands - 1) / bands;
        int br = bandRows;
        if (bandPerThread) {
            AtomicInteger next = new AtomicInteger();
            Parallel.forRange(Parallel.threads(), 2L * o * c * br * tw * wt.count * bands, (from, to) -> {
                Plan plan = new Plan(x, out, wt, ph, pw, th, tw, br * tw);     // this thread's V and M
                for (int b; (b = next.getAndIncrement()) < bands; ) plan.band(b * br, Math.min(rows, (b + 1) * br));
            });
            return out;
        }
        Plan plan = new Plan(x, out, wt, ph, pw, th, tw, br * tw);
        for (int r0 = 0; r0 < rows; r0 += br) plan.band(r0, Math.min(rows, r0 + br));
        return out;
    }

    /**
     * V and M of the calling thread, kept between calls (a band's worth, at most about BAND_FLOATS floats, unless a
     * single tile row is larger): every element a band reads was written by it first, so they are never cleared.
     */
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[][]{new float[0], new float[0]});

    /** One call's shapes and buffers; {@link #band} runs the three steps over tile rows [r0, r1). */
    private static final class Plan {
        final float[] x, y, v, m;
        final int xOff, sN, sC, sH, sW, c, o, h, w, ph, pw, ho, wo, th, tw, slot, count;
        final Weights wt;

        Plan(Tensor xt, Tensor out, Weights wt, int ph, int pw, int th, int tw, int maxTiles) {
            this(xt, out.host().f32, wt, wt.out, wt.count, ph, pw, out.size(2), out.size(3), th, tw, maxTiles);
        }

        /**
         * A weight gradient's plan ({@link #conv2dWeightGrad}): no weights and no output image; V holds the input's
         * transform as for the forward, M the output gradient's ({@link #gradTransform}), both F(2x2).
         */
        Plan(Tensor xt, int o, int ph, int pw, int ho, int wo, int th, int tw, int maxTiles) {
            this(xt, null, null, o, 16, ph, pw, ho, wo, th, tw, maxTiles);
        }

        private Plan(Tensor xt, float[] y, Weights wt, int o, int count, int ph, int pw, int ho, int wo, int th, int tw, int maxTiles) {
            int[] s = xt.strides();
            this.x = xt.host().f32; this.xOff = xt.offset(); this.sN = s[0]; this.sC = s[1]; this.sH = s[2]; this.sW = s[3];
            this.y = y; this.wt = wt;
            this.c = xt.size(1); this.o = o; this.h = xt.size(2); this.w = xt.size(3); this.ph = ph; this.pw = pw;
            this.ho = ho; this.wo = wo; this.th = th; this.tw = tw;
            this.slot = tw + 1;
            this.count = count;
            float[][] work = WORK.get();
            if (work[0].length < count * c * maxTiles) work[0] = new float[count * c * maxTiles];
            if (work[1].length < count * o * maxTiles) work[1] = new float[count * o * maxTiles];
            this.v = work[0];
            this.m = work[1];
        }

        void band(int r0, int r1) {
            int tiles = (r1 - r0) * tw;
            boolean f4 = wt.tile == 4;
            Parallel.forRange(c, 3L * count * tiles, (from, to) -> {
                float[] rowsBuf = new float[f4 ? (8 + 6) * 4 * slot : 4 * 2 * slot];
                for (int ch = from; ch < to; ch++) {
                    if (f4) inputTransform4(ch, r0, r1, tiles, rowsBuf);
                    else inputTransform(ch, r0, r1, tiles, rowsBuf);
                }
            });
            long gemmFlops = 2L * o * c * tiles;
            AtomicInteger next = new AtomicInteger();
            Parallel.forRange(count, gemmFlops, (from, to) -> {
                for (int xi; (xi = next.getAndIncrement()) < count; ) {
                    Sgemm.gemm(o, tiles, c, wt.operand(xi), new StridedMatrix(v, xi * c * tiles, tiles, 1),
                            m, xi * o * tiles, tiles, 1, false);
                }
            });
            Parallel.forRange(o, 3L * count * tiles, (from, to) -> {
                float[] buf = f4 ? new float[(6 + 4) * 4 * tw] : null;
                for (int oc = from; oc < to; oc++) {
                    if (f4) outputTransform4(oc, r0, r1, tiles, buf);
                    else outputTransform(oc, r0, r1, tiles);
                }
            });
        }

        /**
         * V[xi][ch, t] for the tiles of rows [r0, r1). Tile (ty, tx) reads input rows 2ty-ph .. 2ty-ph+3 and
         * columns 2tx-pw .. 2tx-pw+3. The four input rows of a tile row are kept deinterleaved in {@code buf}:
         * slot (y+ph) mod 4 holds row y as even[j] = x[y, 2j-pw] then odd[j] = x[y, 2j-pw+1], j = 0 .. TW, so tile
         * tx reads columns a[tx], b[tx], a[tx+1], b[tx+1]; the next tile row reuses two of the rows.
         */
        void inputTransform(int ch, int r0, int r1, int tiles, float[] buf) {
            int xiStride = c * tiles, L = slot;
            for (int r = r0; r < r1; r++) {
                int b = r / th, ty = r % th;
                int first = r == r0 || ty == 0 ? 0 : 2;       // the first two rows are the previous tile row's last two
                for (int i = first; i < 4; i++) deinterleave(b, ch, 2 * ty - ph + i, buf, ((2 * ty + i) & 3) * 2 * L);
                int a0 = ((2 * ty) & 3) * 2 * L, a1 = ((2 * ty + 1) & 3) * 2 * L;
                int a2 = ((2 * ty + 2) & 3) * 2 * L, a3 = ((2 * ty + 3) & 3) * 2 * L;
                int vo = ch * tiles + (r - r0) * tw;
                int tx = 0;
                for (; tx + VL <= tw; tx += VL) {
                    // row transform B^T d: t0 = d0 - d2, t1 = d1 + d2, t2 = d2 - d1, t3 = d1 - d3 (d_i = input row i),
                    // then the column transform of each t_k: (a0 - a1, b0 + a1, a1 - b0, b0 - b1)
                    vcols(buf, a0 + tx, a2 + tx, L, false, v, vo + tx, xiStride);
                    vcols(buf, a1 + tx, a2 + tx, L, true, v, vo + tx + 4 * xiStride, xiStride);
                    vcols(buf, a2 + tx, a1 + tx, L, false, v, vo + tx + 8 * xiStride, xiStride);
                    vcols(buf, a1 + tx, a3 + tx, L, false, v, vo + tx + 12 * xiStride, xiStride);
                }
                for (; tx < tw; tx++) {
                    scols(buf, a0 + tx, a2 + tx, L, false, v, vo + tx, xiStride);
                    scols(buf, a1 + tx, a2 + tx, L, true, v, vo + tx + 4 * xiStride, xiStride);
                    scols(buf, a2 + tx, a1 + tx, L, false, v, vo + tx + 8 * xiStride, xiStride);
                    scols(buf, a1 + tx, a3 + tx, L, false, v, vo + tx + 12 * xiStride, xiStride);
                }
            }
        }

        /**
         * Row yy (zeros outside the image) of sample b, channel ch, deinterleaved into buf[d ..]: even columns
         * a[j] = x[yy, 2j-pw] at d + j, odd columns b[j] = x[yy, 2j-pw+1] at d + L + j, for j = 0 .. TW.
         */
        void deinterleave(int b, int ch, int yy, float[] buf, int d) {
            int L = slot, e = d, od = d + L;
            if (yy < 0 || yy >= h) {
                java.util.Arrays.fill(buf, d, d + 2 * L, 0f);
                return;
            }
            int base = xOff + b * sN + ch * sC + yy * sH;
            int j = 0;
            if (sW == 1) {
                // the left padding element by element, then 2*VL source columns 2j-pw .. at a time give VL even
                // and VL odd entries
                for (int j0 = Math.min(L, (pw + 1) / 2); j < j0; j++) gather(base, j, buf, e, od);
                for (; j + VL <= L && 2 * j - pw + 2 * VL <= w; j += VL) {
                    FloatVector p = FloatVector.fromArray(S, x, base + 2 * j - pw), q = FloatVector.fromArray(S, x, base + 2 * j - pw + VL);
                    evens(p, q).intoArray(buf, e + j);
                    odds(p, q).intoArray(buf, od + j);
                }
            }
            for (; j < L; j++) gather(base, j, buf, e, od);
        }

        /** a[j] and b[j] of {@link #deinterleave}, with zeros outside the row. */
        private void gather(int base, int j, float[] buf, int e, int od) {
            int xa = 2 * j - pw, xb = xa + 1;
            buf[e + j] = xa >= 0 && xa < w ? x[base + xa * sW] : 0f;
            buf[od + j] = xb >= 0 && xb < w ? x[base + xb * sW] : 0f;
        }

        /**
         * One row of the transformed tile for VL tiles: t = p - q (or p + q when add) for the even and odd
         * columns at p and q (a row of the row transform), then the column transform into 4 transform points.
         */
        private static void vcols(float[] buf, int p, int q, int L, boolean add, float[] v, int vo, int xiStride) {
            FloatVector pa0 = FloatVector.fromArray(S, buf, p), pa1 = FloatVector.fromArray(S, buf, p + 1);
            FloatVector pb0 = FloatVector.fromArray(S, buf, p + L), pb1 = FloatVector.fromArray(S, buf, p + L + 1);
            FloatVector qa0 = FloatVector.fromArray(S, buf, q), qa1 = FloatVector.fromArray(S, buf, q + 1);
            FloatVector qb0 = FloatVector.fromArray(S, buf, q + L), qb1 = FloatVector.fromArray(S, buf, q + L + 1);
            FloatVector a0, a1, b0, b1;
            if (add) {
                a0 = pa0.add(qa0); a1 = pa1.add(qa1); b0 = pb0.add(qb0); b1 = pb1.add(qb1);
            } else {
                a0 = pa0.sub(qa0); a1 = pa1.sub(qa1); b0 = pb0.sub(qb0); b1 = pb1.sub(qb1);
            }
            a0.sub(a1).intoArray(v, vo);
            b0.add(a1).intoArray(v, vo + xiStride);
            a1.sub(b0).intoArray(v, vo + 2 * xiStride);
            b0.sub(b1).intoArray(v, vo + 3 * xiStride);
        }

        /** {@link #vcols} for one tile (the same float operations, so the same results). */
        private static void scols(float[] buf, int p, int q, int L, boolean add, float[] v, int vo, int xiStride) {
            float a0, a1, b0, b1;
            if (add) {
                a0 = buf[p] + buf[q]; a1 = buf[p + 1] + buf[q + 1]; b0 = buf[p + L] + buf[q + L]; b1 = buf[p + L + 1] + buf[q + L + 1];
            } else {
                a0 = buf[p] - buf[q]; a1 = buf[p + 1] - buf[q + 1]; b0 = buf[p + L] - buf[q + L]; b1 = buf[p + L + 1] - buf[q + L + 1];
            }
            v[vo] = a0 - a1;
            v[vo + xiStride] = b0 + a1;
            v[vo + 2 * xiStride] = a1 - b0;
            v[vo + 3 * xiStride] = b0 - b1;
        }

        /**
         * Output channel oc for the tiles of rows [r0, r1): Y = A^T M A, i.e. per tile row i of M,
         * s0 = m0 + m1 + m2 and s1 = m1 - m2 - m3 down the columns, then the same across; written to rows 2ty and
         * 2ty+1, columns 2tx and 2tx+1 (cropped to the output).
         */
        void outputTransform(int oc, int r0, int r1, int tiles) {
            int xiStride = o * tiles;
            for (int r = r0; r < r1; r++) {
                int b = r / th, ty = r % th;
                int mo = oc * tiles + (r - r0) * tw;
                int row0 = ((b * o + oc) * ho + 2 * ty) * wo;
                boolean second = 2 * ty + 1 < ho;
                int tx = 0;
                for (; tx + VL <= tw && 2 * (tx + VL) <= wo; tx += VL) outputRows(m, mo + tx, xiStride, y, row0 + 2 * tx, wo, second ? 2 : 1);
                for (; tx < tw; tx++) {
                    int q = mo + tx;
                    boolean right = 2 * tx + 1 < wo;
                    float s00 = scol0(m, q, xiStride), s01 = scol0(m, q + xiStride, xiStride);
                    float s02 = scol0(m, q + 2 * xiStride, xiStride), s03 = scol0(m, q + 3 * xiStride, xiStride);
                    int d = row0 + 2 * tx;
                    y[d] = s00 + s01 + s02;
                    if (right) y[d + 1] = s01 - s02 - s03;
                    if (second) {
                        float s10 = scol1(m, q, xiStride), s11 = scol1(m, q + xiStride, xiStride);
                        float s12 = scol1(m, q + 2 * xiStride, xiStride), s13 = scol1(m, q + 3 * xiStride, xiStride);
                        y[d + wo] = s10 + s11 + s12;
                        if (right) y[d + wo + 1] = s11 - s12 - s13;
                    }
                }
            }
        }

        /**
         * Output rows 0 .. rows-1 (rows 1 or 2) of the VL tiles whose M column 0 is at q, row r's 2*VL outputs (column 0
         * of every tile, then column 1, interleaved) at {@code y[d + r*wo ..]}. Row 0 sums M's rows 0, 1, 2 and row 1
         * takes (m1 - m2) - m3, as {@link #scol0} and {@link #scol1} do per tile: here both are {@code (mr + s*m(r+1)) + s*m(r+2)}
         * with s = +1, -1 (a + (-1)b is a - b, the same float). One copy of the vector code in a loop over the rows,
         * in a method with arrays in and out, because with a copy per row C2's inliner reached its node budget
         * (NodeCountInliningCutoff) inside the second and boxed its vectors, ~25 MB per 16 x 64 x 64 x 64 conv
         * (JFR allocation samples).
         */
        private static void outputRows(float[] m, int q, int xiStride, float[] y, int d, int wo, int rows) {
            for (int r = 0; r < rows; r++) {
                FloatVector sign = FloatVector.broadcast(S, r == 0 ? 1f : -1f);
                int p = q + 4 * r * xiStride;
                FloatVector s0 = col(m, p, xiStride, sign), s1 = col(m, p + xiStride, xiStride, sign);
                FloatVector s2 = col(m, p + 2 * xiStride, xiStride, sign), s3 = col(m, p + 3 * xiStride, xiStride, sign);
                FloatVector e = s0.add(s1).add(s2), o = s1.sub(s2).sub(s3);
                lowHalves(e, o).intoArray(y, d + r * wo);
                highHalves(e, o).intoArray(y, d + r * wo + VL);
            }
        }

        /** (m[p] + s*m[p + 4 xiStride]) + s*m[p + 8 xiStride]: column 0 or 1 of the tiles' M (see {@link #outputRows}). */
        private static FloatVector col(float[] m, int p, int xiStride, FloatVector s) {
            return FloatVector.fromArray(S, m, p).add(FloatVector.fromArray(S, m, p + 4 * xiStride).mul(s))
                    .add(FloatVector.fromArray(S, m, p + 8 * xiStride).mul(s));
        }

        /** Column j of M (points xi = j, 4+j, 8+j, 12+j, the first at q): m0 + m1 + m2 (output row 0). */
        private static float scol0(float[] m, int q, int xiStride) { return m[q] + m[q + 4 * xiStride] + m[q + 8 * xiStride]; }

        /** Column j of M: m1 - m2 - m3 (output row 1). */
        private static float scol1(float[] m, int q, int xiStride) { return m[q + 4 * xiStride] - m[q + 8 * xiStride] - m[q + 12 * xiStride]; }

        /**
         * The output gradient's transform for the weight gradient, {@code E'[xi][oc, t] = (A E A^T)[i, j]}, xi = 4i + j,
         * of the 2x2 block E of g (sample b, channel oc, rows 2ty, 2ty+1, columns 2tx, 2tx+1; zero past the output)
         * for the tiles of rows [r0, r1), into M's layout (o-major, as V is c-major). With
         * {@code A = [[1, 0], [1, 1], [1, -1], [0, -1]]}, A e = (e0, e0 + e1, e0 - e1, -e1): down the two rows, then
         * across. VL tiles at a time from deinterleaved rows; the scalar tail does the same float operations.
         */
        void gradTransform(float[] g, int gOff, int gsN, int gsC, int gsH, int oc, int r0, int r1, int tiles) {
            int xiStride = o * tiles;
            for (int r = r0; r < r1; r++) {
                int b = r / th, ty = r % th;
                int row0 = gOff + b * gsN + oc * gsC + 2 * ty * gsH;
                boolean second = 2 * ty + 1 < ho;
                int mo = oc * tiles + (r - r0) * tw;
                int tx = 0;
                FloatVector zero = FloatVector.zero(S);
                for (; tx + VL <= tw && 2 * (tx + VL) <= wo; tx += VL) {
                    FloatVector p = FloatVector.fromArray(S, g, row0 + 2 * tx), q = FloatVector.fromArray(S, g, row0 + 2 * tx + VL);
                    FloatVector e0 = evens(p, q), o0 = odds(p, q), e1 = zero, o1 = zero;
                    if (second) {
                        FloatVector p1 = FloatVector.fromArray(S, g, row0 + gsH + 2 * tx), q1 = FloatVector.fromArray(S, g, row0 + gsH + 2 * tx + VL);
                        e1 = evens(p1, q1);
                        o1 = odds(p1, q1);
                    }
                    int d = mo + tx;
                    gradCols(e0, o0, m, d, xiStride);
                    gradCols(e0.add(e1), o0.add(o1), m, d + 4 * xiStride, xiStride);
                    gradCols(e0.sub(e1), o0.sub(o1), m, d + 8 * xiStride, xiStride);
                    gradCols(e1.neg(), o1.neg(), m, d + 12 * xiStride, xiStride);
                }
                for (; tx < tw; tx++) {
                    boolean right = 2 * tx + 1 < wo;
                    float e0 = g[row0 + 2 * tx], o0 = right ? g[row0 + 2 * tx + 1] : 0f;
                    float e1 = second ? g[row0 + gsH + 2 * tx] : 0f, o1 = second && right ? g[row0 + gsH + 2 * tx + 1] : 0f;
                    int d = mo + tx;
                    sgradCols(e0, o0, m, d, xiStride);
                    sgradCols(e0 + e1, o0 + o1, m, d + 4 * xiStride, xiStride);
                    sgradCols(e0 - e1, o0 - o1, m, d + 8 * xiStride, xiStride);
                    sgradCols(-e1, -o1, m, d + 12 * xiStride, xiStride);
                }
            }
        }

        /** One row (u = left column, v = right column) of A E A^T across: (u, u + v, u - v, -v) at points d, d + xiStride, ... */
        private static void gradCols(FloatVector u, FloatVector v, float[] m, int d, int xiStride) {
            u.intoArray(m, d);
            u.add(v).intoArray(m, d + xiStride);
            u.sub(v).intoArray(m, d + 2 * xiStride);
            v.neg().intoArray(m, d + 3 * xiStride);
        }

        /** {@link #gradCols} for one tile. */
        private static void sgradCols(float u, float v, float[] m, int d, int xiStride) {
            m[d] = u;
            m[d + xiStride] = u + v;
            m[d + 2 * xiStride] = u - v;
            m[d + 3 * xiStride] = -v;
        }

        // -------------------------------------------------------------- F(4x4, 3x3)

        /**
         * F(4x4, 3x3) input transform, V[xi][ch, t] = (B^T d B)[i, j], xi = 6i + j, for the tiles of rows
         * [r0, r1); tile (ty, tx) reads input rows 4ty-ph .. +5 and columns 4tx-pw .. +5. buf holds 8 row slots
         * (row y in slot (y+ph) mod 8), each deinterleaved into 4 phases P_k[j] = x[y, 4j+k-pw] (so tile tx reads
         * P0[tx], P1[tx], P2[tx], P3[tx], P0[tx+1], P1[tx+1]), then R[i][k][j]: B^T down the 6 rows of each phase.
         */
        void inputTransform4(int ch, int r0, int r1, int tiles, float[] buf) {
            int L = slot, slotSize = 4 * L, rBase = 8 * slotSize, xiStride = c * tiles;
            for (int r = r0; r < r1; r++) {
                int b = r / th, ty = r % th;
                int first = r == r0 || ty == 0 ? 0 : 2;       // the first two rows are the previous tile row's last two
                for (int i = first; i < 6; i++) deinterleave4(b, ch, 4 * ty - ph + i, buf, ((4 * ty + i) & 7) * slotSize);
                int s0 = ((4 * ty) & 7) * slotSize, s1 = ((4 * ty + 1) & 7) * slotSize, s2 = ((4 * ty + 2) & 7) * slotSize;
                int s3 = ((4 * ty + 3) & 7) * slotSize, s4 = ((4 * ty + 4) & 7) * slotSize, s5 = ((4 * ty + 5) & 7) * slotSize;
                // rows: R[i][k][j] = (B^T (P_k of rows 0..5))[i], for all 4L entries of a slot at once
                int q = 0;
                for (; q + VL <= slotSize; q += VL) {
                    bt(FloatVector.fromArray(S, buf, s0 + q), FloatVector.fromArray(S, buf, s1 + q), FloatVector.fromArray(S, buf, s2 + q),
                            FloatVector.fromArray(S, buf, s3 + q), FloatVector.fromArray(S, buf, s4 + q), FloatVector.fromArray(S, buf, s5 + q),
                            buf, rBase + q, slotSize);
                }
                for (; q < slotSize; q++) bts(buf[s0 + q], buf[s1 + q], buf[s2 + q], buf[s3 + q], buf[s4 + q], buf[s5 + q], buf, rBase + q, slotSize);
                // columns: for each row i of the tile, B^T across (P0, P1, P2, P3 at tx, P0, P1 at tx+1)
                int vo = ch * tiles + (r - r0) * tw;
                for (int i = 0; i < 6; i++) {
                    int ri = rBase + i * slotSize, dst = vo + 6 * i * xiStride;
                    int tx = 0;
                    for (; tx + VL <= tw; tx += VL) {
                        bt(FloatVector.fromArray(S, buf, ri + tx), FloatVector.fromArray(S, buf, ri + L + tx),
                                FloatVector.fromArray(S, buf, ri + 2 * L + tx), FloatVector.fromArray(S, buf, ri + 3 * L + tx),
                                FloatVector.fromArray(S, buf, ri + tx + 1), FloatVector.fromArray(S, buf, ri + L + tx + 1),
                                v, dst + tx, xiStride);
                    }
                    for (; tx < tw; tx++) {
                        bts(buf[ri + tx], buf[ri + L + tx], buf[ri + 2 * L + tx], buf[ri + 3 * L + tx], buf[ri + tx + 1], buf[ri + L + tx + 1],
                                v, dst + tx, xiStride);
                    }
                }
            }
        }

        /** Row yy (zeros outside the image) of sample b, channel ch, as 4 phases P_k[j] = x[yy, 4j+k-pw] at buf[d + k*L + j]. */
        void deinterleave4(int b, int ch, int yy, float[] buf, int d) {
            int L = slot;
            if (yy < 0 || yy >= h) {
                java.util.Arrays.fill(buf, d, d + 4 * L, 0f);
                return;
            }
            int base = xOff + b * sN + ch * sC + yy * sH;
            int j = 0;
            if (sW == 1) {
                // the left padding element by element, then 4*VL source columns at a time: deinterleave twice
                for (int j0 = Math.min(L, (pw + 3) / 4); j < j0; j++) gather4(base, j, buf, d);
                for (; j + VL <= L && 4 * j - pw + 4 * VL <= w; j += VL) {
                    int src = base + 4 * j - pw;
                    FloatVector q0 = FloatVector.fromArray(S, x, src), q1 = FloatVector.fromArray(S, x, src + VL);
                    FloatVector q2 = FloatVector.fromArray(S, x, src + 2 * VL), q3 = FloatVector.fromArray(S, x, src + 3 * VL);
                    FloatVector e0 = evens(q0, q1), o0 = odds(q0, q1), e1 = evens(q2, q3), o1 = odds(q2, q3);
                    evens(e0, e1).intoArray(buf, d + j);
                    evens(o0, o1).intoArray(buf, d + L + j);
                    odds(e0, e1).intoArray(buf, d + 2 * L + j);
                    odds(o0, o1).intoArray(buf, d + 3 * L + j);
                }
            }
            for (; j < L; j++) gather4(base, j, buf, d);
        }

        /** P_k[j], k = 0..3, of {@link #deinterleave4}, with zeros outside the row. */
        private void gather4(int base, int j, float[] buf, int d) {
            for (int k = 0, xi = 4 * j - pw; k < 4; k++, xi++) buf[d + k * slot + j] = xi >= 0 && xi < w ? x[base + xi * sW] : 0f;
        }

        /**
         * F(4x4, 3x3) output transform of output channel oc for the tiles of rows [r0, r1): A^T across each of
         * the 6 rows of M into Z[i][c] (buf), A^T down the 6 rows into Y[r][c] (buf after Z), then each output
         * row 4ty + r gets Y[r][c][tx] at column 4tx + c (cropped to the output).
         */
        void outputTransform4(int oc, int r0, int r1, int tiles, float[] buf) {
            int xiStride = o * tiles, zs = 4 * tw, yBase = 6 * zs;   // Z[i][c][tx] = buf[i*zs + c*tw + tx]
            for (int r = r0; r < r1; r++) {
                int b = r / th, ty = r % th, mo = oc * tiles + (r - r0) * tw;
                for (int i = 0; i < 6; i++) {
                    int src = mo + 6 * i * xiStride, dst = i * zs;
                    int tx = 0;
                    for (; tx + VL <= tw; tx += VL) {
                        int q = src + tx;
                        at(FloatVector.fromArray(S, m, q), FloatVector.fromArray(S, m, q + xiStride), FloatVector.fromArray(S, m, q + 2 * xiStride),
                                FloatVector.fromArray(S, m, q + 3 * xiStride), FloatVector.fromArray(S, m, q + 4 * xiStride),
                                FloatVector.fromArray(S, m, q + 5 * xiStride), buf, dst + tx, tw);
                    }
                    for (; tx < tw; tx++) {
                        int q = src + tx;
                        ats(m[q], m[q + xiStride], m[q + 2 * xiStride], m[q + 3 * xiStride], m[q + 4 * xiStride], m[q + 5 * xiStride], buf, dst + tx, tw);
                    }
                }
                int q = 0;
                for (; q + VL <= zs; q += VL) {
                    at(FloatVector.fromArray(S, buf, q), FloatVector.fromArray(S, buf, zs + q), FloatVector.fromArray(S, buf, 2 * zs + q),
                            FloatVector.fromArray(S, buf, 3 * zs + q), FloatVector.fromArray(S, buf, 4 * zs + q), FloatVector.fromArray(S, buf, 5 * zs + q),
                            buf, yBase + q, zs);
                }
                for (; q < zs; q++) ats(buf[q], buf[zs + q], buf[2 * zs + q], buf[3 * zs + q], buf[4 * zs + q], buf[5 * zs + q], buf, yBase + q, zs);
                // Y[r][c][tx] = buf[yBase + r*zs + c*tw + tx] to row 4ty + r, column 4tx + c: interleave the 4 c twice
                for (int rr = 0; rr < 4 && 4 * ty + rr < ho; rr++) {
                    int row = ((b * o + oc) * ho + 4 * ty + rr) * wo, yr = yBase + rr * zs;
                    int tx = 0;
                    for (; tx + VL <= tw && 4 * (tx + VL) <= wo; tx += VL) {
                        FloatVector c0 = FloatVector.fromArray(S, buf, yr + tx), c1 = FloatVector.fromArray(S, buf, yr + tw + tx);
                        FloatVector c2 = FloatVector.fromArray(S, buf, yr + 2 * tw + tx), c3 = FloatVector.fromArray(S, buf, yr + 3 * tw + tx);
                        FloatVector p0 = lowHalves(c0, c2), p1 = highHalves(c0, c2), q0 = lowHalves(c1, c3), q1 = highHalves(c1, c3);
                        int d = row + 4 * tx;
                        lowHalves(p0, q0).intoArray(y, d);
                        highHalves(p0, q0).intoArray(y, d + VL);
                        lowHalves(p1, q1).intoArray(y, d + 2 * VL);
                        highHalves(p1, q1).intoArray(y, d + 3 * VL);
                    }
                    for (; tx < tw; tx++) {
                        for (int cc = 0; cc < 4 && 4 * tx + cc < wo; cc++) y[row + 4 * tx + cc] = buf[yr + cc * tw + tx];
                    }
                }
            }
        }
    }

    private static final FloatVector TWO = FloatVector.broadcast(S, 2f), FOUR = FloatVector.broadcast(S, 4f);
    private static final FloatVector EIGHT = FloatVector.broadcast(S, 8f), M_FOUR = FloatVector.broadcast(S, -4f);
    private static final FloatVector M_FIVE = FloatVector.broadcast(S, -5f);

    /**
     * The F(4, 3) input transform B^T d of 6 values, stored at dst[off + i*stride], i = 0..5:
     * <pre>
     *   v0 = 4 d0 - 5 d2 + d4          v1 = (d4 - 4 d2) + (d3 - 4 d1)   v2 = (d4 - 4 d2) - (d3 - 4 d1)
     *   v3 = (d4 - d2) + 2 (d3 - d1)   v4 = (d4 - d2) - 2 (d3 - d1)     v5 = 4 d1 - 5 d3 + d5
     * </pre>
     * with fused multiply-adds in this order ({@link #bts} does the same operations on single floats).
     */
    private static void bt(FloatVector d0, FloatVector d1, FloatVector d2, FloatVector d3, FloatVector d4, FloatVector d5,
                           float[] dst, int off, int stride) {
        FloatVector t0 = d2.fma(M_FOUR, d4), t1 = d1.fma(M_FOUR, d3), t2 = d4.sub(d2), t3 = d3.sub(d1).mul(TWO);
        d2.fma(M_FIVE, d0.fma(FOUR, d4)).intoArray(dst, off);
        t0.add(t1).intoArray(dst, off + stride);
        t0.sub(t1).intoArray(dst, off + 2 * stride);
        t2.add(t3).intoArray(dst, off + 3 * stride);
        t2.sub(t3).intoArray(dst, off + 4 * stride);
        d3.fma(M_FIVE, d1.fma(FOUR, d5)).intoArray(dst, off + 5 * stride);
    }

    /** {@link #bt} on single floats (the same operations, so the same results). */
    private static void bts(float d0, float d1, float d2, float d3, float d4, float d5, float[] dst, int off, int stride) {
        float t0 = Math.fma(d2, -4f, d4), t1 = Math.fma(d1, -4f, d3), t2 = d4 - d2, t3 = (d3 - d1) * 2f;
        dst[off] = Math.fma(d2, -5f, Math.fma(d0, 4f, d4));
        dst[off + stride] = t0 + t1;
        dst[off + 2 * stride] = t0 - t1;
        dst[off + 3 * stride] = t2 + t3;
        dst[off + 4 * stride] = t2 - t3;
        dst[off + 5 * stride] = Math.fma(d3, -5f, Math.fma(d1, 4f, d5));
    }

    /**
     * The F(4, 3) output transform A^T m of 6 values into 4, stored at dst[off + i*stride]: with s1 = m1 + m2,
     * d1 = m1 - m2, s2 = m3 + m4, d2 = m3 - m4: {@code (m0 + s1 + s2, d1 + 2 d2, s1 + 4 s2, d1 + 8 d2 + m5)}.
     */
    private static void at(FloatVector m0, FloatVector m1, FloatVector m2, FloatVector m3, FloatVector m4, FloatVector m5,
                           float[] dst, int off, int stride) {
        FloatVector s1 = m1.add(m2), d1 = m1.sub(m2), s2 = m3.add(m4), d2 = m3.sub(m4);
        m0.add(s1).add(s2).intoArray(dst, off);
        d2.fma(TWO, d1).intoArray(dst, off + stride);
        s2.fma(FOUR, s1).intoArray(dst, off + 2 * stride);
        d2.fma(EIGHT, d1).add(m5).intoArray(dst, off + 3 * stride);
    }

    /** {@link #at} on single floats. */
    private static void ats(float m0, float m1, float m2, float m3, float m4, float m5, float[] dst, int off, int stride) {
        float s1 = m1 + m2, d1 = m1 - m2, s2 = m3 + m4, d2 = m3 - m4;
        dst[off] = m0 + s1 + s2;
        dst[off + stride] = Math.fma(d2, 2f, d1);
        dst[off + 2 * stride] = Math.fma(s2, 4f, s1);
        dst[off + 3 * stride] = Math.fma(d2, 8f, d1) + m5;
    }
}
