package io.github.dragganjvm.tensor;

import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
/**
 * The backend seam: every op the library has, as one method each. {@link Ops} is the public entry point; it
 * validates arguments (so backends may assume well-formed input), then calls the backend of the inputs' device.
 *
 * <p>Implementations: {@code ReferenceBackend} (plain loops over any strides and both dtypes; the specification
 * every other backend is tested against), {@code VectorBackend} (Java Vector API kernels for F32, falling back to
 * the reference for anything else), and the CUDA backend of the {@code cuda-kernels} module.
 *
 * <p>Unless stated otherwise an op returns a new contiguous tensor on the backend's device, of its inputs' dtype.
 */
public interface Backend {
    /** Short name used in logs and the {@code draggan.backend} property: "reference", "vector", "cuda". */
    String name();

    /** The device whose tensors this backend computes on. */
    Device device();

    /**
     * Waits until every operation queued on this backend's device has finished (for timing; results never need it,
     * since every read-back waits for the work before it). CPU backends compute synchronously: nothing to wait for.
     */
    default void synchronize() {}

    // ------------------------------------------------------------------ memory and data movement

    /** A zero-filled contiguous tensor on this backend's device. */
    Tensor zeros(DType dtype, int... shape);

    /** A host copy of a tensor of this backend's device. */
    Tensor toHost(Tensor t);

    /** A copy on this backend's device of a host tensor. */
    Tensor fromHost(Tensor t);

    /** Contiguous copy of any view. */
    Tensor copy(Tensor x);

    /** Contiguous copy converted to dtype. */
    Tensor convert(Tensor x, DType dtype);

    /** Writes src into dst elementwise; same shape; dst may be any (non-overlapping) view. In place. */
    void copyInto(Tensor src, Tensor dst);

    /** Sets every element of dst (any view) to v. In place. */
    void fill(Tensor dst, double v);

    /** Rows of x along dim picked by index (values in [0, size(dim))); result dim has index.length entries. */
    Tensor indexSelect(Tensor x, int dim, int[] index);

    /** Adds src into dst's rows along dim picked by index (the backward of indexSelect); repeated indices add. In place. */
    void indexAdd(Tensor dst, int dim, int[] index, Tensor src);

    // ------------------------------------------------------------------ elementwise

    /** y = op(x) elementwise. */
    Tensor unary(UnaryOp op, Tensor x);

    /** y = op(a, b) with NumPy broadcasting. */
    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    /** y = x * scale + shift. */
    Tensor affine(Tensor x, double scale, double shift);

    /** y = clamp(x, lo, hi). */
    Tensor clamp(Tensor x, double lo, double hi);

    /** In place: acc += x (same shape; acc contiguous). Used to accumulate gradients without a temporary. */
    void addInPlace(Tensor acc, Tensor x);

    /**
     * Fused bias + activation + gain + clamp, as NVlabs {@code bias_act}:
     * {@code y = clamp(act(x + b) * gain, -clamp, clamp)}, b broadcast along dimension {@code dim} of x.
     * b may be null; clamp &lt; 0 means no clamp; act LINEAR or LRELU (slope alpha for x &lt; 0).
     */
    Tensor biasAct(Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp);

    /**
     * bias_act of a sum, {@code y = clamp(act((x + r) + b) * gain, -clamp, clamp)}: r broadcast to x's shape (a
     * StyleGAN2 layer's noise, added before the bias), the same floats as {@code biasAct(binary(ADD, x, r), b, ...)},
     * which is the default. A backend fuses the two to save a pass over the activations (the generator's layers
     * run without gradients: forward only; with gradients callers record the two ops).
     */
    default Tensor addBiasAct(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        return biasAct(binary(BinaryOp.ADD, x, r), b, dim, act, alpha, gain, clamp);
    }

    /**
     * {@link #addBiasAct} written into x (any view) instead of a new tensor: for a caller that owns x and needs
     * only the result (the generator's layers without gradients: the conv output is dead after it), which saves
     * allocating, zeroing and writing a second tensor of x's size. r and b must not overlap x. The default
     * computes {@link #addBiasAct} and copies it into x; a backend overwrites x element by element.
     */
    default void addBiasActInPlace(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        copyInto(addBiasAct(x, r, b, dim, act, alpha, gain, clamp), x);
    }

    /**
     * Gradient of {@link #biasAct} with respect to x, recomputed from the op's inputs (PyTorch autograd of the NVlabs
     * reference {@code _bias_act_ref}, whose order is bias, act, gain, clamp): with v = x + b,
     * {@code dx = gout * gain * (v > 0 ? 1 : alpha)} (the second factor only for LRELU) where there is no clamp or
     * {@code -clamp <= act(v) * gain <= clamp} (bounds inclusive, as torch.clamp's gradient), else 0. The output y
     * cannot stand in for v: with a negative gain or alpha its sign does not give v's, and on the bound it cannot
     * tell a value that reached it from one clamped to it. Float tensors compute v, act(v) * gain and the comparison
     * in float arithmetic, as PyTorch does. The bias gradient is dx summed over every dimension but dim.
     * gout: the shape of x (any view); x: any view; b: [x.size(dim)] or null; dim as in {@link #biasAct}.
     */
    Tensor biasActBackward(Tensor gout, Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp);

    // ------------------------------------------------------------------ reductions

    /** Sum over the listed dimensions (sorted, distinct), keeping them as size 1 when keepdim. */
    Tensor sum(Tensor x, int[] dims, boolean keepdim);

    // ------------------------------------------------------------------ linear algebra

    /**
     * Matrix product: a [M, K] x b [K, N] -> [M, N], or batched a [B, M, K] x b [B, K, N] -> [B, M, N].
     * Any strides (a transposeView is free).
     */
    Tensor matmul(Tensor a, Tensor b);

    // ------------------------------------------------------------------ convolution (NCHW, cross-correlation as PyTorch)

    /**
     * x [N, C, H, W], w [O, C/groups, kh, kw] -> [N, O, Ho, Wo], Ho = (H + 2*padH - kh)/strideH + 1.
     * Zero padding; cross-correlation (no kernel flip), exactly torch.nn.functional.conv2d.
     */
    Tensor conv2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups);

    /**
     * Transposed convolution, exactly torch.nn.functional.conv_transpose2d: x [N, C, H, W], w [C, O/groups, kh, kw]
     * -> [N, O, (H-1)*stride - 2*pad + kh, ...]. It is the gradient of conv2d with respect to its input.
     */
    Tensor convTranspose2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups);

    /**
     * Gradient of conv2d with respect to its weight: dw[o, c, i, j] = sum_{n, y, x} gout[n, o, y, x] *
     * xpad[n, g*C/groups + c, y*strideH + i, x*strideW + j], dw of shape [O, C/groups, kh, kw].
     */
    Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int strideH, int strideW, int padH, int padW, int groups);

    /**
     * NVlabs {@code conv2d_resample}'s up-sampling convolution: the transposed conv of x [N, C, H, W] with w
     * [C, O, kh, kw] (stride and padding both ways, one group), then upfirdn2d of its output with f (up 1, down 1,
     * padding {x0, x1, y0, y1} = filterPad, gain, f flipped as upfirdn2d's convolution does). The default is
     * exactly those two ops; a backend may fuse them so that the transposed conv's output (the largest map of an
     * up-sampling layer) never exists as a tensor, with the same floats.
     */
    default Tensor convTranspose2dFir(Tensor x, Tensor w, int stride, int padding, Tensor f, int[] filterPad, double gain) {
        return upfirdn2d(convTranspose2d(x, w, stride, stride, padding, padding, 1), f, 1, 1, 1, 1,
                filterPad[0], filterPad[1], filterPad[2], filterPad[3], gain, false);
    }

    // ------------------------------------------------------------------ StyleGAN2's modulated convolution

    /**
     * StyleGAN2's modulated convolution (NVlabs {@code networks.modulated_conv2d}, float32 path; its fused (grouped
     * conv with per-sample weights) and non-fused forms compute the same function):
     * <pre>
     *   y[n, o] = dcoef[n, o] * conv2d_resample(x[n] * s[n, :], W)[o]
     *   dcoef[n, o] = rsqrt(sum_{i, kh, kw} (W[o, i, kh, kw] s[n, i])^2 + 1e-8)    (1 without demodulation)
     * </pre>
     * conv2d_resample is a conv2d with the spec's padding (up 1) or NVlabs' up-sampling conv (up 2: transposed conv
     * stride 2, then upfirdn2d with the resample filter, gain 4), see {@link ModulatedConvPlan}. The default is
     * {@link ComposedModulatedConv#forward} (composed from other ops); the CUDA backend fuses the modulation and
     * demodulation into its convolution kernels.
     *
     * @param x      [N, C, H, W]
     * @param weight the weight [O, C, kh, kw], with optional precomputed squared sums and swapped copy
     * @param styles s [N, C]
     * @param spec   up, resample filter, padding, demodulation
     * @return {y [N, O, Ho, Wo], dcoef [N, O] (null without demodulation)}; keep both for the backward
     */
    default Tensor[] modulatedConv2d(Tensor x, ModulatedWeight weight, Tensor styles, ModulatedConvSpec spec) {
        return ComposedModulatedConv.forward(x, weight, styles, spec);
    }

    /**
     * Gradients of {@link #modulatedConv2d} from gout = dL/dy, computing only those asked for. The default is
     * {@link ComposedModulatedConv#backward}.
     *
     * @param gout       dL/dy [N, O, Ho, Wo]
     * @param y          the forward's y
     * @param dcoef      the forward's dcoef [N, O] (null without demodulation)
     * @param x          [N, C, H, W] as in the forward
     * @param weight     as in the forward
     * @param styles     [N, C] as in the forward
     * @param spec       as in the forward
     * @param needX      whether to compute dx
     * @param needWeight whether to compute dweight
     * @param needStyles whether to compute dstyles
     * @return {dx [N, C, H, W], dweight [O, C, kh, kw], dstyles [N, C]}, null where not asked for
     */
    default Tensor[] modulatedConv2dBackward(Tensor gout, Tensor y, Tensor dcoef, Tensor x, ModulatedWeight weight, Tensor styles,
                                             ModulatedConvSpec spec, boolean needX, boolean needWeight, boolean needStyles) {
        return ComposedModulatedConv.backward(gout, y, dcoef, x, weight, styles, spec, needX, needWeight, needStyles);
    }

    // ------------------------------------------------------------------ resampling

    /**
     * NVlabs upfirdn2d: x [N, C, H, W]; insert up-1 zeros between samples, pad (negative crops) by
     * padX0, padX1 (left, right), padY0, padY1 (top, bottom), correlate with the filter f [fh, fw]
     * flipped (convolution) unless flipFilter, multiply by gain, keep every down-th sample.
     */
    Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                     int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter);

    /**
     * StyleGAN3's Fourier features (see {@link FourierFeatures}): y[n, k, i, j] = sin(2 pi (g[j] fx + g[i] fy + phase))
     * amp, with fx, fy, phase, amp [N, C] -> y [N, C, size, size] in fx's dtype. Default: the scalar reference on the
     * host ({@link FourierFeatures#forward}), the result moved to fx's device.
     */
    default Tensor fourierFeatures(Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        return FourierFeatures.forward(fx.toHost(), fy.toHost(), phase.toHost(), amp.toHost(), size, samplingRate).toDevice(fx.device());
    }

    /**
     * The gradients {dfx, dfy, dphase, damp} [N, C] of {@link #fourierFeatures} from gout = dL/dy [N, C, size, size]
     * ({@link FourierFeatures#backward}). Default: the scalar reference on the host.
     */
    default Tensor[] fourierFeaturesBackward(Tensor gout, Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        Tensor[] r = FourierFeatures.backward(gout.toHost(), fx.toHost(), fy.toHost(), phase.toHost(), amp.toHost(), size, samplingRate);
        for (int i = 0; i < r.length; i++) r[i] = r[i].toDevice(fx.device());
        return r;
    }

    /**
     * StyleGAN3's filtered leaky ReLU, NVlabs {@code _filtered_lrelu_ref}: u = upfirdn2d(x + b, fu, up, padding,
     * gain up^2); a = clamp(lrelu(u, slope) * gain, -clamp, clamp); y = upfirdn2d(a, fd, down). x [N, C, H, W],
     * b [C] or null, fu and fd null (identity), [taps] (separable) or [fh, fw] -> [N, C, Ho, Wo] with the sizes of
     * {@link FilteredLreluParams}. The default composes this backend's own ops ({@link FilteredLreluComposed},
     * every intermediate materialised); the CPU backends override it with fused kernels.
     */
    default Tensor filteredLrelu(Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        return FilteredLreluComposed.forward(this, x, b, fu, fd, p);
    }

    /**
     * dL/dx of {@link #filteredLrelu} from gout = dL/dy [N, C, Ho, Wo], recomputed from the op's inputs: the
     * down-stage adjoint of gout, times gain * (u > 0 ? 1 : slope) where -clamp &lt;= that activation's result
     * &lt;= clamp (bounds inclusive, as {@link #biasActBackward}) and 0 elsewhere, then the up-stage adjoint.
     * The bias gradient is the result summed over N, H, W. Default: by composition.
     */
    default Tensor filteredLreluBackward(Tensor gout, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        return FilteredLreluComposed.backward(this, gout, x, b, fu, fd, p);
    }

    /** Bilinear resize of x [N, C, H, W] to [N, C, outH, outW], exactly F.interpolate(mode='bilinear'). */
    Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners);

    /** Gradient of resizeBilinear with respect to x: gout [N, C, outH, outW] -> [N, C, inH, inW]. */
    Tensor resizeBilinearBackward(Tensor gout, int inH, int inW, boolean alignCorners);

    /**
     * Bilinear grid sampling with zero padding, exactly F.grid_sample(mode='bilinear', padding_mode='zeros'):
     * x [N, C, H, W], grid [N, Ho, Wo, 2] with grid[..., 0] = x (width) and grid[..., 1] = y (height) in [-1, 1]
     * -> [N, C, Ho, Wo].
     */
    Tensor gridSample(Tensor x, Tensor grid, boolean alignCorners);

    /** Gradients of gridSample: {dx or null, dgrid or null}, computing only those asked for. */
    Tensor[] gridSampleBackward(Tensor gout, Tensor x, Tensor grid, boolean alignCorners, boolean needX, boolean needGrid);

    // ------------------------------------------------------------------ search

    /**
     * For point tracking: over the window rows y0..y1-1, columns x0..x1-1 of feat [C, H, W], the squared L2
     * distance sum_c (feat[c, y, x] - f0[c])^2 of every pixel to the query f0 [C]. Returns [y1-y0, x1-x0].
     */
    Tensor windowDistances(Tensor feat, Tensor f0, int y0, int y1, int x0, int x1);

    /**
     * Point tracking's window search (DragGAN's nearest-neighbour step): over the window rows y0..y1-1, columns
     * x0..x1-1 of feat [C, H, W], the pixel whose feature is nearest in L2 to the query f0 [C]. The distance of a
     * pixel is {@code (float) Math.sqrt((float) d2)}, d2 the squared distance as the reference computes it
     * ({@code RefBasics.windowDistances}: summed in double over the channels in order; also for F64 inputs); the
     * search is {@link WindowNearest#ofSquared} (first pixel in row-major order on ties). Every backend gives exactly
     * this result, so the tracked points do not depend on the backend. The default computes the window's distances
     * with this backend's {@link #windowDistances} (the reference's arithmetic on the CPU backends) and searches them
     * on the host; the CUDA backend does it all in one kernel and reads back three numbers instead of the window.
     *
     * @param feat [C, H, W]
     * @param f0   [C]
     * @param y0   first row of the window (inclusive)
     * @param y1   last row (exclusive)
     * @param x0   first column (inclusive)
     * @param x1   last column (exclusive)
     * @return the nearest pixel's row-major index in the window and the best and second best distances
     */
    default WindowNearest windowNearest(Tensor feat, Tensor f0, int y0, int y1, int x0, int x1) {
        return WindowNearest.ofSquared(toHost(windowDistances(feat, f0, y0, y1, x0, x1)).toFloatArray());
    }

    /**
     * The smallest box holding every non-zero element of x [N, C, H, W], over all N and C: {y0, y1, x0, x1}
     * (ends exclusive), or null when x is all zero. Lets backward passes skip the zeros of a sparse gradient.
     */
    default int[] nonzeroBox(Tensor x) { return io.github.dragganjvm.tensor.internal.reference.RefBasics.nonzeroBox(toHost(x)); }

    // ------------------------------------------------------------------ optimizer

    /**
     * One torch.optim.Adam step in place on p, m, v (all contiguous, same shape as g), step counted from 1:
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),
     * with the same operation order as PyTorch's single-tensor implementation.
     */
    void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, long step, double lr, double b1, double b2, double eps);
}
