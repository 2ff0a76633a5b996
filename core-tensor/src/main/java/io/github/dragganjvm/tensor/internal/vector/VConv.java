package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * Convolutions of F32 host tensors (NCHW, PyTorch semantics).
 *
 * <p><b>Which path.</b> Batches (N >= 2, one group) go to {@link StackedConv}: the whole batch as one product on a
 * padded, stacked copy of the input, nothing packed (training: N = 16, 16-256 channels, 4-64 px, weights that
 * change every step). Two exceptions, whose bounds depend on the vector width because they were measured apart on
 * an AVX-512 and an AVX2 machine ({@link #winogradBeatsStacked}, {@link #indexedBeatsStacked}): 3x3 stride-1
 * convolutions (and their input gradients) large enough for {@link Winograd} to beat it (with AVX-512 at least
 * {@value #WINOGRAD_BATCH_WORK} of {@code min(C, O) * Ho * Wo} per sample, 128 channels at 32x32; with AVX2 from
 * 8x8 outputs up, 32 channels or more), and small images (at most 64 output pixels per sample, 8x8, with 32 or more
 * output channels; with AVX2 a weight gradient up to 32x32), which go to {@link IndexedConv}: it computes only the
 * real output pixels where StackedConv's grid wastes a fifth to a third of its work on the zero cells between rows,
 * and runs its vectors along the output channels. Single images (DragGAN,
 * batch 1, 128-512 channels, weights packed once) keep the per-sample GEMMs and Winograd, as below.
 *
 * <p><b>Per sample.</b> Packed GEMMs, one per sample and group:
 * <pre>
 *   conv2d            out[O, Ho*Wo]     = W[O, C*kh*kw] x im2col(x)[C*kh*kw, Ho*Wo]
 *   conv2dWeightGrad  dW[O, C*kh*kw]   += gout[O, Ho*Wo] x im2col(x)^T[Ho*Wo, C*kh*kw]     (summed over samples)
 *   convTranspose2d   one stride-1 conv2d per output phase (sub-pixel decomposition, below)
 * </pre>
 * im2col is never materialised: {@link Im2col} packs the GEMM's B panels straight from the image. With a stride
 * above 1 (the input and weight gradients of StyleGAN2's up-sampling transposed conv) the image is first split
 * into its stride phase planes ({@link StackedImage}), and {@link PlaneIm2col} packs from those: every im2col row is
 * then contiguous runs with no stride and no border checks (Im2col gathers a strided row element by element).
 * The weight (A) is packed once per call, or once in all when it is constant, into per-thread arrays reused by the
 * next call; {@link Sgemm} would otherwise pack it again for every block of output columns. 3x3, stride 1
 * convolutions (and stride-1 transposed ones, their input gradients) with enough channels and pixels go to
 * {@link Winograd} instead (see {@link Winograd#worthIt}).
 *
 * <p><b>Transposed convolution by phases.</b> With stride s, output row {@code oy = s*t + r} (phase r in [0, s))
 * only receives kernel taps {@code i = i0 + s*u} with {@code i0 = (r + pad) mod s}, from input row
 * {@code t + q - u}, {@code q = (r + pad - i0) / s}. So each phase is an ordinary stride-1 correlation of x with the
 * sub-kernel {@code w[i0 + s*(taps-1-v)]} (flipped, every s-th tap) and input offset {@code q - taps + 1}, written to
 * every s-th output pixel. The s*s phases together do exactly the useful multiply-adds of the scatter definition,
 * with no col2im buffer and no zero-inserted input; for stride 1 it is the familiar "conv2d with the flipped,
 * transposed kernel and padding k-1-p". The alternative, one GEMM {@code W^T[O*kh*kw, C] x X[C, H*W]} followed by a
 * col2im scatter-add, needs a {@code kh*kw*O*H*W} buffer and an extra pass over it; the phases need neither (their
 * only extra is a small dense-to-strided copy of each phase's output when the stride is above 1).
 *
 * <p>A single image's stride-2 3x3 up-sampling conv (no padding) of at most {@link TapConvTranspose#MAX_PIXELS}
 * input pixels goes to {@link TapConvTranspose} instead: one GEMM of all nine taps' rows against the image, then each
 * output row gathered from the taps that reach it. On a 4x4 to 64x64 input the phases' GEMMs have only a few register
 * panels of columns; that single GEMM has 9 O rows and all H W columns (measured 1.3-2.5x faster at 4x4 to 16x16).
 *
 * <p>With a stride above 1, every phase packs its im2col from one zero-bordered copy of x on a wide grid
 * ({@link WideIm2col}: contiguous runs, no border checks), and with stride 2 each task computes both column phases of
 * an output row parity and interleaves their rows into the output with vector shuffles ({@link #interleave}). For the
 * 128->64 up conv of a 128x128 image (a 256 px generator's largest) a profile of the call (JFR, 300 calls) had
 * 1557 samples: GEMM kernel 55%, Im2col packing 29%, scalar scatter 12%; with both changes 1137 samples (GEMM 66%,
 * packing 16%, interleave 8%). The outputs are bit-identical.
 */
public final class VConv {
    private VConv() {}

    private static final VectorSpecies<Float> S = Sgemm.S;
    private static final int VL = Sgemm.VL;

    /** Per-sample {@code min(C, O) * Ho * Wo} from which a batch's 3x3 stride-1 conv goes to Winograd (see the class comment). */
    static final long WINOGRAD_BATCH_WORK = 128L * 32 * 32;

    /** x [N, C, H, W], w [O, C/groups, kh, kw] -> [N, O, Ho, Wo] (arguments checked by Ops). */
    public static Tensor conv2d(Tensor x, Tensor w, int sh, int sw, int ph, int pw, int groups) {
        boolean winograd = Winograd.worthIt(x, w, sh, sw, ph, pw, groups, false);
        if (stackedSingle(x, w, groups, x.size(1), w.size(0)) && !(winograd && Winograd.bandsPerThread(x, w, ph, pw, false))) {
            return StackedConv.conv2d(x, w, sh, sw, ph, pw);
        }
        if (batched(x, groups) && !(winograd && winogradBeatsStacked(x.size(1), w.size(0), x.size(2) + 2 * ph - 2, x.size(3) + 2 * pw - 2))) {
            int ho = Shapes.convOut(x.size(2), w.size(2), sh, ph), wo = Shapes.convOut(x.size(3), w.size(3), sw, pw);
            if (indexedBeatsStacked(w.size(0), (long) ho * wo, false)) return IndexedConv.conv2d(x, w, sh, sw, ph, pw);
            return StackedConv.conv2d(x, w, sh, sw, ph, pw);
        }
        if (winograd) return Winograd.conv2d(x, w, ph, pw);
        return conv2dGemm(x, w, sh, sw, ph, pw, groups);
    }

    /**
     * Whether {@link StackedConv} takes the call: a batch (N >= 2), one group, and an input whose padded copy
     * stays far from the 2^31 floats a Java array can hold (at most {@value #STACKED_MAX_ELEMENTS} elements).
     */
    private static boolean batched(Tensor x, int groups) {
        return groups == 1 && x.size(0) >= 2 && x.numel() <= STACKED_MAX_ELEMENTS;
    }

    /**
     * Whether a single image goes to {@link StackedConv} too: few channels on a large map (min(C, O) <=
     * {@value #STACKED_SINGLE_MAX_CHANNELS}, at least {@value #STACKED_SINGLE_MIN_PIXELS} input pixels), the
     * generator's top layers at 256-1024 px, where reading the padded map in place beats packing im2col panels.
     * Measured (one JVM, best of 24 calls, a 2-core AVX-512 VM, ms, weight not constant, stacked vs the other
     * paths): conv 64@512 147 vs 241, 32@512 51 vs 66 (its stride-1 transposed conv 44 vs 78), 64@256 38 vs 39, the
     * up-sampling conv 128->64 of a 256 px input 109 vs 122; at 128@256 the other paths won (91 vs 134), as at 128 px.
     * A stride-1 3x3 conv that {@link Winograd} runs with bands per thread ({@link Winograd#bandsPerThread}) goes
     * there instead (ConvBench, 2 threads, two runs, ops/s, stacked vs Winograd: 64@256 25.2-28.2 vs 34.1-35.1,
     * 64@512 6.5-6.9 vs 8.4-9.2, 32@512 20.8-23.4 vs 23.2). Not for 1x1 kernels (toRGB), whose im2col is a plain
     * copy: the GEMM path took half the time (ms, 2 threads, best of 5x20 calls, stacked vs GEMM: 64->3 @256 4.1 vs
     * 2.1, 128->3 @256 8.5 vs 4.4, 32->3 @512 5.9 vs 4.7, 64->3 @512 14.4 vs 8.3).
     */
    private static boolean stackedSingle(Tensor x, Tensor w, int groups, int cin, int cout) {
        return groups == 1 && x.size(0) == 1 && w.size(2) * w.size(3) > 1 && Math.min(cin, cout) <= STACKED_SINGLE_MAX_CHANNELS
                && (long) x.size(2) * x.size(3) >= STACKED_SINGLE_MIN_PIXELS && x.numel() <= STACKED_MAX_ELEMENTS;
    }

    /** See {@link #stackedSingle}. */
    static final int STACKED_SINGLE_MAX_CHANNELS = 64, STACKED_SINGLE_MIN_PIXELS = 256 * 256;

    /** Largest input (elements) {@link StackedConv} takes; its layout adds the padding, at most a few times that. */
    static final int STACKED_MAX_ELEMENTS = 1 << 28;

    /**
     * For a batch that goes to {@link StackedConv}: whether {@link IndexedConv} is faster, i.e. the images are small
     * enough that StackedConv's grid wastes much (at most {@value #INDEXED_MAX_PIXELS} output pixels per sample, per
     * phase for a transposed conv: 25 grid cells per 16 outputs at 4x4, 81 per 64 at 8x8, 289 per 256 at 16x16) and
     * there are at least {@value #INDEXED_MIN_CHANNELS} output channels (IndexedConv's vectors run along them, two at
     * a time). Measured on a 2-core AVX-512 Xeon shared with other work (load 3-5), N = 16, 3x3, C = O: time with
     * IndexedConv over time with StackedConv, the median of 30 paired calls alternating in one JVM (2 threads; the
     * noise of such ratios, from shapes whose path did not change, 1.00 in this run and +-8% in others):
     * <pre>
     *                        4x4         8x8
     *   conv2d s1         128: 0.79   128: 0.90       256@4: 0.76
     *   convT  s1 (dx)    128: 0.70   128: 0.88       256@4: 0.66
     *   wgrad  s1         128: 0.64   128: 0.73       256@4: 0.51   256@8: 0.72
     *   conv2d s2 (down, 2R+1 -> R; also the up conv's dx)    128: 0.75   128: 0.85
     *   wgrad  s2 (down; also the up conv's dw)               128: 0.67   128: 0.70
     *   convT  s2 (up, R -> 2R+1)                             128@4: 0.72
     * </pre>
     * Not sent here, one thread, IndexedConv / StackedConv: 16x16 (256 pixels) 0.95-1.06 (64-128 channels, all three
     * ops), the up conv at 8 (phases of 81 pixels) about 1.0, 16 channels at 64x64 1.5-2.1 (half-empty panels).
     * <p>With AVX2 (the 2-core Zen 1 EPYC, two runs of the median of 15-21 calls alternating in one JVM, N = 16,
     * 2 threads, C = O unless given as C->O) the same bounds hold, and a weight gradient ({@link #conv2dWeightGrad},
     * {@code weightGrad} true) goes here up to {@value #INDEXED_AVX2_WEIGHT_GRAD_PIXELS} output pixels per sample:
     * <pre>
     *   conv2d s1        128@4: 0.69 0.72   129->128@4: 0.74 0.68   256@4: 0.69 0.68
     *   convT  s1 (dx)   128@4: 0.75 0.69
     *   conv2d s2        128@9->4: 0.68 0.73   64->128@17->8: 0.80 0.83   32->64@33->16: 0.89 0.98
     *   convT  s2        128@4: 0.93 0.77   128->64@8: 0.89 0.95
     *   wgrad  s1        128@4: 0.48 0.59   128@8: 0.58 0.61   256@8: 0.55 0.55   64@16: 0.82 0.73
     *                    32@32: 0.85 0.81   128@32: 0.75 0.72   16@64: 1.12 1.17   64@64: 1.13 1.31
     *   wgrad  s2        128@9->4: 0.53 0.50   64->128@17->8: 0.58 0.59   32->64@33->16: 0.80 0.83
     *                    16->32@65->32: 0.91 0.94
     * </pre>
     */
    static boolean indexedBeatsStacked(int outChannels, long phasePixels, boolean weightGrad) {
        long maxPixels = weightGrad && Sgemm.MR == 4 ? INDEXED_AVX2_WEIGHT_GRAD_PIXELS : INDEXED_MAX_PIXELS;
        return outChannels >= INDEXED_MIN_CHANNELS && phasePixels <= maxPixels;
    }

    /** Bounds of {@link #indexedBeatsStacked}: output pixels per sample (and phase), output channels. */
    static final int INDEXED_MAX_PIXELS = 64, INDEXED_MIN_CHANNELS = 32, INDEXED_AVX2_WEIGHT_GRAD_PIXELS = 32 * 32;

    /**
     * For a batch whose 3x3 stride-1 conv Winograd handles ({@link Winograd#worthIt}: 32 or more channels in and
     * out): whether it is large enough for Winograd to be faster than the direct batch kernels. With AVX-512:
     * {@code min(C, O) * Ho * Wo >= }{@value #WINOGRAD_BATCH_WORK} per sample (measured on a 2-core AVX-512 Xeon at
     * N = 16: stacked 93-98 GFLOP/s vs Winograd 51-70 below that, 88-109 vs 104-161 above). With AVX2's 16
     * registers the direct kernels run 4-row tiles at 25-38 GFLOP/s, and Winograd wins from 8x8 outputs up
     * ({@value #WINOGRAD_AVX2_MIN_PIXELS} pixels per sample). Measured on the 2-core Zen 1 EPYC (AVX2), N = 16,
     * C = O, two runs of the median of 15-21 calls alternating in one JVM, Winograd's time over the best direct
     * kernel's (StackedConv or IndexedConv):
     * <pre>
     *                    128@8       64@16       32@32       256@8       256@16      128@4
     *   conv2d           0.94 0.86   0.75 0.85   0.91 0.90   0.84 0.75   0.62 0.54   1.15 1.24 (IndexedConv)
     *   convT s1 (dx)    0.95 0.89   0.70 0.66   0.88 0.81   0.71 0.79               1.17 1.15
     * </pre>
     */
    static boolean winogradBeatsStacked(int cin, int cout, int ho, int wo) {
        if (Sgemm.MR == 4) return (long) ho * wo >= WINOGRAD_AVX2_MIN_PIXELS;
        return (long) Math.min(cin, cout) * ho * wo >= WINOGRAD_BATCH_WORK;
    }

    /** See {@link #winogradBeatsStacked}: output pixels per sample from which a batch goes to Winograd with AVX2. */
    static final int WINOGRAD_AVX2_MIN_PIXELS = 64;

    /** {@link #conv2d} by {@link StackedConv} (groups 1), whatever the shape (for comparisons). */
    public static Tensor conv2dStacked(Tensor x, Tensor w, int sh, int sw, int ph, int pw) {
        return StackedConv.conv2d(x, w, sh, sw, ph, pw);
    }

    /** {@link #convTranspose2d} by {@link StackedConv} (groups 1), whatever the shape (for comparisons). */
    public static Tensor convTranspose2dStacked(Tensor x, Tensor w, int sh, int sw, int ph, int pw) {
        return StackedConv.convTranspose2d(x, w, sh, sw, ph, pw);
    }

    /** {@link #conv2dWeightGrad} by {@link StackedConv} (groups 1), whatever the shape (for comparisons). */
    public static Tensor conv2dWeightGradStacked(Tensor x, Tensor gout, int kh, int kw, int sh, int sw, int ph, int pw) {
        return StackedConv.conv2dWeightGrad(x, gout, kh, kw, sh, sw, ph, pw);
    }

    /** {@link #conv2d} by {@link IndexedConv} (groups 1), whatever the shape (for comparisons). */
    public static Tensor conv2dIndexed(Tensor x, Tensor w, int sh, int sw, int ph, int pw) {
        return IndexedConv.conv2d(x, w, sh, sw, ph, pw);
    }

    /** {@link #convTranspose2d} by {@link IndexedConv} (groups 1), whatever the shape (for comparisons). */
    public static Tensor convTranspose2dIndexed(Tensor x, Tensor w, int sh, int sw, int ph, int pw) {
        return IndexedConv.convTranspose2d(x, w, sh, sw, ph, pw);
    }

    /** {@link #conv2dWeightGrad} by {@link IndexedConv} (groups 1), whatever the shape (for comparisons). */
    public static Tensor conv2dWeightGradIndexed(Tensor x, Tensor gout, int kh, int kw, int sh, int sw, int ph, int pw) {
        return IndexedConv.conv2dWeightGrad(x, gout, kh, kw, sh, sw, ph, pw);
    }

    /** {@link #conv2dWeightGrad} as GEMMs per group and sample, whatever the shape (for comparisons). */
    public static Tensor conv2dWeightGradGemm(Tensor x, Tensor gout, int kh, int kw, int sh, int sw, int ph, int pw, int groups) {
        return weightGradGemm(x, gout, kh, kw, sh, sw, ph, pw, groups);
    }

    /** {@link #conv2d} as one GEMM per sample and group, whatever the shape (the direct path, for comparisons). */
    public static Tensor conv2dGemm(Tensor x, Tensor w, int sh, int sw, int ph, int pw, int groups) {
        int n = x.size(0), h = x.size(2), wd = x.size(3);
        int cout = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3), og = cout / groups;
        int ho = Shapes.convOut(h, kh, sh, ph), wo = Shapes.convOut(wd, kw, sw, pw), k = cg * kh * kw, pix = ho * wo;
        Tensor out = Tensor.zeros(n, cout, ho, wo);
        Tensor wc = w.contiguousOrCopy();
        float[] wv = wc.host().f32, ov = out.host().f32;
        // the weight packed once per call (or once in all for a constant one): Sgemm would pack it again for
        // every block of output columns
        Operand[] a = new Operand[groups];
        for (int g = 0; g < groups; g++) {
            int row0 = g * og;
            a[g] = ConstantCache.get(wc, List.of("conv2d.A", g),
                    () -> Sgemm.Packed.left(new StridedMatrix(wv, wc.offset() + row0 * k, k, 1), og, k),
                    () -> Sgemm.Packed.left(new StridedMatrix(wv, wc.offset() + row0 * k, k, 1), og, k,
                            groups == 1 ? CallScratch.get(CallScratch.CONV_A, Sgemm.Packed.leftSize(og, k)) : null));
        }
        Planes planes = Planes.worthIt(x, sh, sw) ? Planes.of(x, kh, kw, sh, sw, ph, pw, ho, wo) : null;
        tasks(n * groups, 2L * og * pix * k, task -> {
            int b = task / groups, g = task % groups;
            Operand bop = planes != null ? planes.im2col(b, g * cg * kh * kw, wo)
                    : image(x, b, g * cg, h, wd, kh, kw, sh, sw, -ph, -pw, wo);
            Sgemm.gemm(og, pix, k, a[g], bop, ov, (b * cout + g * og) * pix, pix, 1, false);
        });
        if (planes != null) StackedConv.keep(0, planes.layout);
        return out;
    }

    /**
     * The input of a strided convolution as phase planes ({@link StackedImage}, one sample per grid block of
     * rows x rowLen cells) with its tap offsets: its im2col rows are then contiguous runs ({@link PlaneIm2col}).
     */
    private record Planes(StackedImage layout, int[] koff) {
        static Planes of(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, int ho, int wo) {
            int n = x.size(0), c = x.size(1);
            StackedConv.Axis ay = StackedConv.Axis.conv(x.size(2), kh, sh, ph, ho), ax = StackedConv.Axis.conv(x.size(3), kw, sw, pw, wo);
            // a stride-1 axis shares its zero columns (rows) between neighbours, so the last row's window may read
            // on past the grid: the channel stride leaves room for that (zeros)
            int reach = (kh - 1) / sh * ax.cells() + (kw - 1) / sw;
            StackedImage layout = StackedImage.of(x, sh, sw, ph, pw, ay.cells(), ax.cells(), c, n * ay.cells() * ax.cells() + reach,
                    StackedConv.scratch(0));
            return new Planes(layout, StackedConv.convTaps(layout, c, kh, kw));
        }

        /** Whether a strided convolution's input goes to planes: stride above 1, and a layout far from 2^31 floats. */
        static boolean worthIt(Tensor x, int sh, int sw) {
            return (sh > 1 || sw > 1) && x.numel() <= STACKED_MAX_ELEMENTS;
        }

        /** Sample b's im2col matrix from tap kOff on (taps of channels c0.. start at c0*kh*kw). */
        PlaneIm2col im2col(int b, int kOff, int wo) {
            return new PlaneIm2col(layout, koff, kOff, b * layout.rows * layout.rowLen, wo);
        }
    }

    /** dW [O, C/groups, kh, kw] of conv2d from x [N, C, H, W] and gout [N, O, Ho, Wo] (arguments checked by Ops). */
    public static Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int sh, int sw, int ph, int pw, int groups) {
        if (batched(x, groups) && winogradWeightGrad(kh, kw, sh, sw, ph, pw, x.size(1), gout.size(1), gout.size(2), gout.size(3))) {
            return Winograd.conv2dWeightGrad(x, gout, ph, pw);
        }
        if (batched(x, groups) && gout.numel() <= STACKED_MAX_ELEMENTS) {
            if (indexedBeatsStacked(gout.size(1), (long) gout.size(2) * gout.size(3), true)) {
                return IndexedConv.conv2dWeightGrad(x, gout, kh, kw, sh, sw, ph, pw);
            }
            return StackedConv.conv2dWeightGrad(x, gout, kh, kw, sh, sw, ph, pw);
        }
        return weightGradGemm(x, gout, kh, kw, sh, sw, ph, pw, groups);
    }

    /**
     * Whether a batch's 3x3 stride-1 weight gradient goes to {@link Winograd#conv2dWeightGrad}: with AVX2 only (not
     * measured with AVX-512), from 8x8 outputs up with 256 or more channels in and out, or with 64 or more from
     * {@code min(C, O) * Ho * Wo >= }{@value #WINOGRAD_WEIGHT_GRAD_WORK} per sample (128 channels at 32x32). Its 16
     * GEMMs have C rows, O columns and the tiles as depth; with fewer channels the transformed input and gradient
     * (4 floats per pixel and channel each) cost more memory traffic than the GEMMs save. Measured on the 2-core Zen
     * 1 EPYC ({@code ConvPathsPaired} in the benchmarks, N = 16, C = O, the median of 15-21 calls alternating in one
     * JVM, two or three runs), ms, Winograd against the best direct kernel: 256@8 30.5 vs 36.6, 21.9 vs 22.5; 256@16
     * 75 vs 99, 52 vs 85; 128@32 102 vs 106, 86 vs 118; 64@64 147 vs 187, 119 vs 157; not sent: 128@8 9.1 vs 7.0,
     * 11.2 vs 10.6; 64@16 8.9 vs 7.2, 8.6 vs 7.3; 32@32 12.2 vs 7.6, 11.0 vs 7.8; 16@64 33 vs 12, 29 vs 15
     * (IndexedConv or StackedConv).
     */
    static boolean winogradWeightGrad(int kh, int kw, int sh, int sw, int ph, int pw, int cin, int cout, int ho, int wo) {
        if (Sgemm.MR != 4 || !Winograd.ENABLED || !Winograd.handles(kh, kw, sh, sw, ph, pw, 1)) return false;
        long ch = Math.min(cin, cout), pixels = (long) ho * wo;
        return (ch >= 256 && pixels >= 64) || (ch >= 64 && ch * pixels >= WINOGRAD_WEIGHT_GRAD_WORK);
    }

    /** See {@link #winogradWeightGrad}. */
    static final long WINOGRAD_WEIGHT_GRAD_WORK = 128L * 32 * 32;

    private static Tensor weightGradGemm(Tensor x, Tensor gout, int kh, int kw, int sh, int sw, int ph, int pw, int groups) {
        int n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
        int cout = gout.size(1), ho = gout.size(2), wo = gout.size(3), cg = cin / groups, og = cout / groups;
        int k = cg * kh * kw, pix = ho * wo;
        Tensor dw = Tensor.zeros(cout, cg, kh, kw);
        Tensor gc = gout.contiguousOrCopy();
        float[] gv = gc.host().f32, dv = dw.host().f32;
        Planes planes = Planes.worthIt(x, sh, sw) ? Planes.of(x, kh, kw, sh, sw, ph, pw, ho, wo) : null;
        tasks(groups, 2L * og * pix * k * n, g -> {
            for (int b = 0; b < n; b++) {
                Operand xt = planes != null ? planes.im2col(b, g * cg * kh * kw, wo).transposed()
                        : image(x, b, g * cg, h, wd, kh, kw, sh, sw, -ph, -pw, wo).transposed();
                Sgemm.gemm(og, k, pix, new StridedMatrix(gv, gc.offset() + (b * cout + g * og) * pix, pix, 1), xt,
                        dv, g * og * k, k, 1, b > 0);
            }
        });
        if (planes != null) StackedConv.keep(0, planes.layout);
        return dw;
    }

    /** x [N, C, H, W], w [C, O/groups, kh, kw] -> [N, O, (H-1)*sh - 2*ph + kh, ...] (arguments checked by Ops). */
    public static Tensor convTranspose2d(Tensor x, Tensor w, int sh, int sw, int ph, int pw, int groups) {
        boolean winograd = Winograd.worthIt(x, w, sh, sw, ph, pw, groups, true);
        if (stackedSingle(x, w, groups, x.size(1), w.size(1)) && !(winograd && Winograd.bandsPerThread(x, w, ph, pw, true))) {
            return StackedConv.convTranspose2d(x, w, sh, sw, ph, pw);
        }
        if (batched(x, groups) && !(winograd && winogradBeatsStacked(x.size(1), w.size(1), x.size(2) + 2 - 2 * ph, x.size(3) + 2 - 2 * pw))) {
            // the largest phase: ceil(output / stride) pixels along each axis
            long phasePixels = (long) Math.ceilDiv(Shapes.convTransposeOut(x.size(2), w.size(2), sh, ph), sh)
                    * Math.ceilDiv(Shapes.convTransposeOut(x.size(3), w.size(3), sw, pw), sw);
            if (indexedBeatsStacked(w.size(1), phasePixels, false)) return IndexedConv.convTranspose2d(x, w, sh, sw, ph, pw);
            return StackedConv.convTranspose2d(x, w, sh, sw, ph, pw);
        }
        if (winograd) return Winograd.convTranspose2d(x, w, ph, pw);
        if (TapConvTranspose.applies(x, w, sh, sw, ph, pw, groups)) return TapConvTranspose.convTranspose2d(x, w);
        return convTranspose2dPhases(x, w, sh, sw, ph, pw, groups);
    }

    /**
     * Whether {@link #convTranspose2dFir} takes this up-sampling conv: a single image whose transposed conv (stride 2
     * both ways, one group) {@link #convTranspose2d} sends to the phases, with all four phases non-empty.
     */
    public static boolean firFusable(Tensor x, Tensor w, int stride, int pad) {
        if (x.size(0) != 1 || stride != 2 || stackedSingle(x, w, 1, x.size(1), w.size(1)) || batched(x, 1)) return false;
        int ho = Shapes.convTransposeOut(x.size(2), w.size(2), 2, pad), wo = Shapes.convTransposeOut(x.size(3), w.size(3), 2, pad);
        for (int r = 0; r < 2; r++) {
            Phase py = Phase.of(r, 2, pad, w.size(2), ho), px = Phase.of(r, 2, pad, w.size(3), wo);
            if (py.taps == 0 || py.count == 0 || px.taps == 0 || px.count == 0) return false;
        }
        return true;
    }

    /**
     * upfirdn2d(convTranspose2d(x, w, stride 2, pad), f, up 1, down 1, filterPad {x0, x1, y0, y1}, gain) for a
     * {@link #firFusable} conv, without the transposed conv's output as a tensor: the four phase products stay in
     * per-thread scratch ({@link CallScratch#PHASE_OUT}) and the filter reads each of its input rows by
     * interleaving the two column phases of that row's parity ({@link ResampleKernels.RowSource}). That saves
     * allocating, zeroing, writing and reading back the [O, 2H+1, 2W+1] map (17 MB for a 256 px generator's last
     * up conv). The same floats as the two ops: the phases compute what {@link #convTranspose2dPhases} does, and the
     * filter sees the same rows.
     */
    public static Tensor convTranspose2dFir(Tensor x, Tensor w, int pad, Tensor f, int[] filterPad, double gain) {
        if (TapConvTranspose.applies(x, w, 2, 2, pad, pad, 1)) return TapConvTranspose.convTranspose2dFir(x, w, f, filterPad, gain);
        return convTranspose2dFirPhases(x, w, pad, f, filterPad, gain);
    }

    /** {@link #convTranspose2dFir} by the phases, whatever the input size (for comparisons; {@link #firFusable} cases only). */
    public static Tensor convTranspose2dFirPhases(Tensor x, Tensor w, int pad, Tensor f, int[] filterPad, double gain) {
        int cin = x.size(1), h = x.size(2), wd = x.size(3), og = w.size(1), kh = w.size(2), kw = w.size(3);
        int ho = Shapes.convTransposeOut(h, kh, 2, pad), wo = Shapes.convTransposeOut(wd, kw, 2, pad);
        Object[] wLast = w.isConstant() ? null : FlippedWeight.channelsLast(w);
        WideIm2col.Border border = phaseBorder(h, wd, kh, kw, 2, 2, pad, pad, ho, wo);
        float[] bordered = CallScratch.get(CallScratch.BORDERED_X, Math.toIntExact(border.floats(cin)));
        WideIm2col.border(x, border, bordered);
        int pitch = border.pitch();
        Phase[] pys = new Phase[2], pxs = new Phase[2];
        float[][] dense = new float[4][];                      // phase (ry, rx) at 2*ry + rx: [og, py.count * pitch]
        for (int r = 0; r < 2; r++) {
            pys[r] = Phase.of(r, 2, pad, kh, ho);
            pxs[r] = Phase.of(r, 2, pad, kw, wo);
        }
        for (int ry = 0; ry < 2; ry++) {
            for (int rx = 0; rx < 2; rx++) {
                Phase py = pys[ry], px = pxs[rx];
                int k = cin * py.taps * px.taps, cols = py.count * pitch, phase = 2 * ry + rx;
                Operand a = phaseWeight(w, wLast, 0, cin, og, py, px, 2, 2, 1, phase, k);
                dense[phase] = CallScratch.get(CallScratch.PHASE_OUT + phase, og * cols);
                Sgemm.gemm(og, cols, k, a, new WideIm2col(bordered, border, 0, py.taps, px.taps, py.offset, px.offset), dense[phase], 0, cols, 1, false);
            }
        }
        int[] planeCols = {pys[0].count * pitch, pys[1].count * pitch};
        int nEven = pxs[0].count, nOdd = pxs[1].count;
        ResampleKernels.RowSource rows = (plane, iy, dst, d) -> {
            int ry = iy & 1;                                   // output row iy = 2t + ry comes from phase row t
            interleave(dense[2 * ry], dense[2 * ry + 1], plane * planeCols[ry] + (iy >> 1) * pitch, nEven, nOdd, dst, d);
        };
        return ResampleKernels.upfirdn2d(rows, 1, og, ho, wo, f, 1, 1, 1, filterPad[0], filterPad[1], filterPad[2], filterPad[3], gain, false);
    }

    /**
     * Phase (py, px)'s flipped sub-kernel of group g as the GEMM's packed left operand [og, k]: once in all for a
     * constant weight (cached), else packed per call from the channels-last copy wLast into this thread's slot.
     */
    private static Operand phaseWeight(Tensor w, Object[] wLast, int g, int cg, int og, Phase py, Phase px, int sh, int sw, int groups, int phase, int k) {
        int c0 = g * cg;
        return ConstantCache.get(w, List.of("convTranspose2d.A", g, py, px, sh, sw),
                () -> Sgemm.Packed.left(new FlippedWeight(w, c0, py, px, sh, sw), og, k),
                () -> Sgemm.Packed.left(new FlippedWeight((float[]) wLast[0], 0, (int[]) wLast[1], c0, py, px, sh, sw), og, k,
                        groups == 1 && phase < CallScratch.PHASE_SLOTS ? CallScratch.get(CallScratch.PHASE_A + phase, Sgemm.Packed.leftSize(og, k)) : null));
    }

    /** {@link #convTranspose2d} by output phases, whatever the shape (the direct path, for comparisons). */
    public static Tensor convTranspose2dPhases(Tensor x, Tensor w, int sh, int sw, int ph, int pw, int groups) {
        int n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
        int og = w.size(1), kh = w.size(2), kw = w.size(3), cg = cin / groups, cout = og * groups;
        int ho = Shapes.convTransposeOut(h, kh, sh, ph), wo = Shapes.convTransposeOut(wd, kw, sw, pw);
        Tensor out = Tensor.zeros(n, cout, ho, wo);
        float[] ov = out.host().f32;
        Object[] wLast = w.isConstant() ? null : FlippedWeight.channelsLast(w);   // {float[] data, int[] strides}
        boolean direct = sh == 1 && sw == 1;
        // strided: every phase reads x through one zero-bordered copy, as a wide im2col (WideIm2col)
        WideIm2col.Border border = direct ? null : phaseBorder(h, wd, kh, kw, sh, sw, ph, pw, ho, wo);
        float[] bordered = direct ? null : CallScratch.get(CallScratch.BORDERED_X, Math.toIntExact(border.floats(n * cin)));
        if (!direct) WideIm2col.border(x, border, bordered);
        for (int ry = 0; ry < sh; ry++) {
            Phase py = Phase.of(ry, sh, ph, kh, ho);
            if (py.taps == 0 || py.count == 0) continue;                                  // these rows stay zero
            // the phases of this output row parity: their sub-kernels, each group's packed once per call (once in
            // all for a constant weight); a phase with no taps or no pixels stays zero (null)
            Phase[] pxs = new Phase[sw];
            Operand[][] as = new Operand[sw][];
            long flops = 0;
            for (int rx = 0; rx < sw; rx++) {
                Phase px = Phase.of(rx, sw, pw, kw, wo);
                if (px.taps == 0 || px.count == 0) continue;
                int k = cg * py.taps * px.taps, phase = ry * sw + rx;
                pxs[rx] = px;
                as[rx] = new Operand[groups];
                for (int g = 0; g < groups; g++) as[rx][g] = phaseWeight(w, wLast, g, cg, og, py, px, sh, sw, groups, phase, k);
                flops += 2L * og * py.count * px.count * k;
            }
            int firstRow = ry;
            tasks(n * groups, flops, task -> {
                int b = task / groups, g = task % groups, outBase = (b * cout + g * og) * ho * wo;
                if (direct) {
                    Phase px = pxs[0];
                    Operand xs = image(x, b, g * cg, h, wd, py.taps, px.taps, 1, 1, py.offset, px.offset, px.count);
                    Sgemm.gemm(og, py.count * px.count, cg * py.taps * px.taps, as[0][g], xs, ov, outBase, ho * wo, 1, false);
                    return;
                }
                // a phase's pixels are every s-th one: compute them densely on the wide grid (rows of the bordered
                // copy's pitch), then copy the real ones out. With stride 2 and both column phases present, their
                // rows are interleaved with vectors; otherwise each phase is scattered alone. The copies run on all
                // threads when this is the only product (a pool worker runs them alone).
                boolean pair = sw == 2 && pxs[0] != null && pxs[1] != null;
                int pitch = border.pitch(), cols = py.count * pitch;
                float[][] dense = new float[sw][];
                for (int rx = 0; rx < sw; rx++) {
                    Phase px = pxs[rx];
                    if (px == null) continue;
                    WideIm2col xs = new WideIm2col(bordered, border, (b * cin + g * cg) * border.plane(), py.taps, px.taps, py.offset, px.offset);
                    float[] tmp = CallScratch.get(pair ? CallScratch.PHASE_OUT + rx : CallScratch.PHASE_OUT, og * cols);
                    Sgemm.gemm(og, cols, cg * py.taps * px.taps, as[rx][g], xs, tmp, 0, cols, 1, false);
                    if (pair) {
                        dense[rx] = tmp;
                        continue;
                    }
                    int firstCol = rx;
                    Parallel.forRange(og, (long) py.count * px.count, (o0, o1) -> {
                        for (int o = o0; o < o1; o++) {
                            for (int t = 0; t < py.count; t++) {
                                int src = o * cols + t * pitch, dst = outBase + o * ho * wo + (firstRow + sh * t) * wo + firstCol;
                                for (int u = 0; u < px.count; u++, dst += sw) ov[dst] = tmp[src + u];
                            }
                        }
                    });
                }
                if (pair) {
                    float[] even = dense[0], odd = dense[1];
                    int nEven = pxs[0].count, nOdd = pxs[1].count;
                    Parallel.forRange(og, (long) py.count * wo, (o0, o1) -> {
                        for (int o = o0; o < o1; o++) {
                            for (int t = 0; t < py.count; t++) {
                                int src = o * cols + t * pitch;
                                interleave(even, odd, src, nEven, nOdd, ov, outBase + o * ho * wo + (firstRow + sh * t) * wo);
                            }
                        }
                    });
                }
            });
        }
        return out;
    }

    /**
     * One output row of a stride-2 transposed conv from its two column phases: {@code out[d + 2u] = even[src + u]}
     * (u < nEven) and {@code out[d + 2u + 1] = odd[src + u]} (u < nOdd), where nEven - nOdd is 0 or 1.
     */
    static void interleave(float[] even, float[] odd, int src, int nEven, int nOdd, float[] out, int d) {
        int u = 0;
        for (; u + VL <= nOdd; u += VL) {
            FloatVector e = FloatVector.fromArray(S, even, src + u), o = FloatVector.fromArray(S, odd, src + u);
            Winograd.lowHalves(e, o).intoArray(out, d + 2 * u);
            Winograd.highHalves(e, o).intoArray(out, d + 2 * u + VL);
        }
        for (; u < nOdd; u++) {
            out[d + 2 * u] = even[src + u];
            out[d + 2 * u + 1] = odd[src + u];
        }
        if (nEven > nOdd) out[d + 2 * nOdd] = even[src + nOdd];
    }

    /** The border of x that every phase of a strided transposed conv reads through (input rows/columns of all phases). */
    private static WideIm2col.Border phaseBorder(int h, int wd, int kh, int kw, int sh, int sw, int ph, int pw, int ho, int wo) {
        int minY = 0, maxY = h - 1, minX = 0, maxX = wd - 1;
        for (int r = 0; r < sh; r++) {
            Phase p = Phase.of(r, sh, ph, kh, ho);
            if (p.taps == 0 || p.count == 0) continue;
            minY = Math.min(minY, p.offset);
            maxY = Math.max(maxY, p.count - 1 + p.taps - 1 + p.offset);
        }
        for (int r = 0; r < sw; r++) {
            Phase p = Phase.of(r, sw, pw, kw, wo);
            if (p.taps == 0 || p.count == 0) continue;
            minX = Math.min(minX, p.offset);
            maxX = Math.max(maxX, p.count - 1 + p.taps - 1 + p.offset);
        }
        return WideIm2col.Border.of(h, wd, minY, maxY, minX, maxX);
    }

    /**
     * One output phase r of a transposed convolution along one axis (stride s, padding p, kernel k, output size):
     * sub-kernel taps {@code i0 + s*u}, u < taps; input offset of the equivalent stride-1 correlation; outputs r, r+s, ...
     */
    record Phase(int i0, int taps, int offset, int count) {
        static Phase of(int r, int s, int p, int k, int outSize) {
            int i0 = Math.floorMod(r + p, s);
            int taps = i0 < k ? (k - i0 + s - 1) / s : 0;
            int q = (r + p - i0) / s;                       // input index t + q - u feeds output t of this phase
            int count = r < outSize ? (outSize - r + s - 1) / s : 0;
            return new Phase(i0, taps, q - taps + 1, count);
        }
    }

    /**
     * A phase's flipped sub-kernel as the GEMM's left operand, packed straight from w [C, O/groups, kh, kw] (any
     * strides): {@code A[o, (c*tapsY + v)*tapsX + v'] = w[c0 + c, o, i0y + sh*(tapsY-1-v), i0x + sw*(tapsX-1-v')]}.
     */
    private static final class FlippedWeight implements Operand {
        private final float[] w;
        private final int off, s0, s1, s2, s3, c0, ty, tx, i0y, i0x, sh, sw;

        FlippedWeight(Tensor wt, int c0, Phase py, Phase px, int sh, int sw) {
            this(wt.host().f32, wt.offset(), wt.strides(), c0, py, px, sh, sw);
        }

        /** The same from w's elements (c, o, i, j) at {@code w[off + c*s[0] + o*s[1] + i*s[2] + j*s[3]]}. */
        FlippedWeight(float[] w, int off, int[] s, int c0, Phase py, Phase px, int sh, int sw) {
            this.w = w; this.off = off; this.s0 = s[0]; this.s1 = s[1]; this.s2 = s[2]; this.s3 = s[3];
            this.c0 = c0; this.ty = py.taps; this.tx = px.taps; this.i0y = py.i0; this.i0x = px.i0; this.sh = sh; this.sw = sw;
        }

        /**
         * w [C, O', kh, kw] copied channels-last, [C, kh, kw, O'], with its strides: the packing then reads the MR
         * output channels of a panel side by side (from w itself they are kh*kw floats apart and the pack of a
         * 512x256 weight took a third of the transposed conv's time).
         */
        static Object[] channelsLast(Tensor wt) {
            int c = wt.size(0), o = wt.size(1), kh = wt.size(2), kw = wt.size(3), taps = kh * kw;
            int[] s = wt.strides();
            float[] src = wt.host().f32, dst = CallScratch.get(CallScratch.W_LAST, c * taps * o);
            int off = wt.offset();
            Parallel.forRange(c, (long) o * taps, (from, to) -> {
                int s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
                for (int cc = from; cc < to; cc++) {
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            // one tap of channel cc: O floats s1 apart (in one small block of w) to a contiguous row
                            int d = ((cc * kh + i) * kw + j) * o, so = off + cc * s0 + i * s2 + j * s3;
                            for (int oo = 0; oo < o; oo++, so += s1) dst[d + oo] = src[so];
                        }
                    }
                }
            });
            return new Object[]{dst, new int[]{taps * o, 1, kw * o, o}};
        }

        @Override public void packA(int i0, int mc, int k0, int kc, float[] dst) {
            int mr = Sgemm.MR, taps = ty * tx;
            for (int i = 0; i < mc; i += mr) {
                int rows = Math.min(mr, mc - i), d = i * kc;
                // panel by panel, so the writes are sequential (column-major writes across panels 4 KB apart
                // thrash one L1 set); tap (c, v, v') of column k advanced incrementally, without divisions
                int c = k0 / taps, v = k0 % taps / tx, v2 = k0 % tx;
                for (int kk = 0; kk < kc; kk++, d += mr) {
                    int src = off + (c0 + c) * s0 + (i0 + i) * s1 + (i0y + sh * (ty - 1 - v)) * s2 + (i0x + sw * (tx - 1 - v2)) * s3;
                    for (int q = 0; q < rows; q++, src += s1) dst[d + q] = w[src];
                    for (int q = rows; q < mr; q++) dst[d + q] = 0f;
                    if (++v2 == tx) {
                        v2 = 0;
                        if (++v == ty) {
                            v = 0;
                            c++;
                        }
                    }
                }
            }
        }
    }

    /** The im2col operand of sample b, channels from c0, of x [N, C, H, W] (any strides). */
    private static Im2col image(Tensor x, int b, int c0, int h, int w, int kh, int kw, int sh, int sw, int offY, int offX, int wo) {
        int[] s = x.strides();
        return new Im2col(x.host().f32, x.offset() + b * s[0] + c0 * s[1], s[1], s[2], s[3], h, w, kh, kw, sh, sw, offY, offX, wo);
    }

    /**
     * Runs body(0 .. count-1). With enough independent products to keep every thread busy, one product per thread
     * at a time (each GEMM then runs single-threaded inside the pool); otherwise in order, each GEMM using all threads.
     */
    private static void tasks(int count, long flopsEach, IntConsumer body) {
        int t = Parallel.threads();
        if (count >= 2 * t || (count >= t && count % t == 0)) {
            Parallel.forRange(count, flopsEach, (from, to) -> {
                for (int i = from; i < to; i++) body.accept(i);
            });
        } else {
            for (int i = 0; i < count; i++) body.accept(i);
        }
    }
}
