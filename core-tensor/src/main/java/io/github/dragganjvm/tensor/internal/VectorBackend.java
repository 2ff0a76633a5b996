package io.github.dragganjvm.tensor.internal;

import io.github.dragganjvm.tensor.*;
import io.github.dragganjvm.tensor.internal.reference.RefBasics;
import io.github.dragganjvm.tensor.internal.vector.FilteredLreluKernels;
import io.github.dragganjvm.tensor.internal.vector.ResampleKernels;
import io.github.dragganjvm.tensor.internal.vector.VBasics;
import io.github.dragganjvm.tensor.internal.vector.VConv;
import io.github.dragganjvm.tensor.internal.vector.VFourier;
import io.github.dragganjvm.tensor.internal.vector.VMatmul;
import jdk.incubator.vector.FloatVector;

/**
 * Java Vector API kernels for F32 host tensors; everything else (F64, ops without a vector kernel yet, layouts a
 * kernel does not cover) falls through to the {@link ReferenceBackend} it extends. Kernels live in
 * {@code io.github.dragganjvm.tensor.internal.vector}; each is tested against its reference twin on awkward sizes.
 */
public class VectorBackend extends ReferenceBackend {
    /** Float lanes of the preferred species (16 with AVX-512, 8 with AVX2). */
    public static final int LANES = FloatVector.SPECIES_PREFERRED.length();

    @Override public String name() { return "vector"; }

    // ------------------------------------------------------------------ resampling: ResampleKernels (F32, any strides)

    @Override public Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                                      int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        if (!ResampleKernels.handles(x, f)) return super.upfirdn2d(x, f, upX, upY, downX, downY, padX0, padX1, padY0, padY1, gain, flipFilter);
        return ResampleKernels.upfirdn2d(x, f, upX, upY, downX, downY, padX0, padX1, padY0, padY1, gain, flipFilter);
    }

    @Override public Tensor fourierFeatures(Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        if (!VFourier.handles(fx, fy, phase, amp)) return super.fourierFeatures(fx, fy, phase, amp, size, samplingRate);
        return VFourier.forward(fx, fy, phase, amp, size, samplingRate);
    }

    @Override public Tensor[] fourierFeaturesBackward(Tensor gout, Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        if (!VFourier.handles(gout, fx, fy, phase, amp)) return super.fourierFeaturesBackward(gout, fx, fy, phase, amp, size, samplingRate);
        return VFourier.backward(gout, fx, fy, phase, amp, size, samplingRate);
    }

    @Override public Tensor filteredLrelu(Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        if (!FilteredLreluKernels.handles(x, b, fu, fd)) return super.filteredLrelu(x, b, fu, fd, p);
        return FilteredLreluKernels.forward(x, b, fu, fd, p);
    }

    @Override public Tensor filteredLreluBackward(Tensor gout, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        if (!FilteredLreluKernels.handles(gout, x, b, fu, fd)) return super.filteredLreluBackward(gout, x, b, fu, fd, p);
        return FilteredLreluKernels.backward(gout, x, b, fu, fd, p);
    }

    @Override public Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
        if (!ResampleKernels.handles(x)) return super.resizeBilinear(x, outH, outW, alignCorners);
        return ResampleKernels.resizeBilinear(x, outH, outW, alignCorners);
    }

    @Override public Tensor resizeBilinearBackward(Tensor gout, int inH, int inW, boolean alignCorners) {
        if (!ResampleKernels.handles(gout)) return super.resizeBilinearBackward(gout, inH, inW, alignCorners);
        return ResampleKernels.resizeBilinearBackward(gout, inH, inW, alignCorners);
    }

    @Override public Tensor gridSample(Tensor x, Tensor grid, boolean alignCorners) {
        if (!ResampleKernels.handles(x, grid)) return super.gridSample(x, grid, alignCorners);
        return ResampleKernels.gridSample(x, grid, alignCorners);
    }

    @Override public Tensor[] gridSampleBackward(Tensor gout, Tensor x, Tensor grid, boolean alignCorners, boolean needX, boolean needGrid) {
        if (!ResampleKernels.handles(gout, x, grid)) return super.gridSampleBackward(gout, x, grid, alignCorners, needX, needGrid);
        return ResampleKernels.gridSampleBackward(gout, x, grid, alignCorners, needX, needGrid);
    }

    private static boolean f32(Tensor... ts) {
        for (Tensor t : ts) if (t != null && (t.dtype() != DType.F32 || !(t.storage() instanceof HostStorage))) return false;
        return true;
    }

    // ------------------------------------------------------------------ data movement and elementwise

    @Override public Tensor copy(Tensor x) { return f32(x) ? VBasics.copy(x) : super.copy(x); }

    @Override public void copyInto(Tensor src, Tensor dst) {
        // overlapping views keep the reference's read-everything-first semantics
        if (f32(src, dst) && src.storage() != dst.storage()) VBasics.copyStrided(src, dst);
        else super.copyInto(src, dst);
    }

    @Override public Tensor unary(UnaryOp op, Tensor x) { return f32(x) ? VBasics.unary(op, x) : super.unary(op, x); }

    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Tensor y = f32(a, b) ? VBasics.binary(op, a, b) : null;
        return y != null ? y : super.binary(op, a, b);
    }

    @Override public Tensor affine(Tensor x, double scale, double shift) {
        return f32(x) ? VBasics.affine(x, scale, shift) : super.affine(x, scale, shift);
    }

    @Override public Tensor clamp(Tensor x, double lo, double hi) { return f32(x) ? VBasics.clamp(x, lo, hi) : super.clamp(x, lo, hi); }

    @Override public void addInPlace(Tensor acc, Tensor x) {
        if (!f32(acc, x) || !VBasics.addInPlace(acc, x)) super.addInPlace(acc, x);
    }

    @Override public Tensor biasAct(Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        Tensor y = f32(x, b) ? VBasics.biasAct(x, b, dim, act, alpha, gain, clamp) : null;
        return y != null ? y : super.biasAct(x, b, dim, act, alpha, gain, clamp);
    }

    @Override public Tensor addBiasAct(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        Tensor y = f32(x, r, b) ? VBasics.addBiasAct(x, r, b, dim, act, alpha, gain, clamp) : null;
        return y != null ? y : super.addBiasAct(x, r, b, dim, act, alpha, gain, clamp);
    }

    @Override public void addBiasActInPlace(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        if (!f32(x, r, b) || !VBasics.addBiasActInPlace(x, r, b, dim, act, alpha, gain, clamp)) {
            super.addBiasActInPlace(x, r, b, dim, act, alpha, gain, clamp);
        }
    }

    @Override public Tensor biasActBackward(Tensor gout, Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        Tensor dx = f32(gout, x, b) ? VBasics.biasActBackward(gout, x, b, dim, act, alpha, gain, clamp) : null;
        return dx != null ? dx : super.biasActBackward(gout, x, b, dim, act, alpha, gain, clamp);
    }

    @Override public Tensor sum(Tensor x, int[] dims, boolean keepdim) { return f32(x) ? VBasics.sum(x, dims, keepdim) : super.sum(x, dims, keepdim); }

    // ------------------------------------------------------------------ linear algebra and convolution

    @Override public Tensor matmul(Tensor a, Tensor b) {
        return f32(a, b) ? VMatmul.matmul(a, b) : super.matmul(a, b);
    }

    @Override public Tensor conv2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        return f32(x, w) ? VConv.conv2d(x, w, strideH, strideW, padH, padW, groups)
                : super.conv2d(x, w, strideH, strideW, padH, padW, groups);
    }

    @Override public Tensor convTranspose2dFir(Tensor x, Tensor w, int stride, int padding, Tensor f, int[] filterPad, double gain) {
        return f32(x, w, f) && VConv.firFusable(x, w, stride, padding) ? VConv.convTranspose2dFir(x, w, padding, f, filterPad, gain)
                : super.convTranspose2dFir(x, w, stride, padding, f, filterPad, gain);
    }

    @Override public Tensor convTranspose2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        return f32(x, w) ? VConv.convTranspose2d(x, w, strideH, strideW, padH, padW, groups)
                : super.convTranspose2d(x, w, strideH, strideW, padH, padW, groups);
    }

    @Override public Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int strideH, int strideW, int padH, int padW, int groups) {
        return f32(x, gout) ? VConv.conv2dWeightGrad(x, gout, kh, kw, strideH, strideW, padH, padW, groups)
                : super.conv2dWeightGrad(x, gout, kh, kw, strideH, strideW, padH, padW, groups);
    }

    // ------------------------------------------------------------------ optimizer

    /** The reference's Adam arithmetic ({@link RefBasics#adamRange}) split across threads: bit-identical results. */
    @Override public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, long step, double lr, double b1, double b2, double eps) {
        if (!f32(p, g, m, v) || !g.isContiguous()) {
            super.adamStep(p, g, m, v, step, lr, b1, b2, eps);
            return;
        }
        float[] ps = p.host().f32, gs = g.host().f32, ms = m.host().f32, vs = v.host().f32;
        int po = p.offset(), go = g.offset(), mo = m.offset(), vo = v.offset();
        Parallel.forRange(p.numel(), ADAM_COST, (from, to) -> RefBasics.adamRange(ps, po, gs, go, ms, mo, vs, vo, from, to, step, lr, b1, b2, eps));
    }

    /** Rough cost of one Adam element for {@link Parallel#forRange} (a double sqrt and divide dominate). */
    private static final long ADAM_COST = 40;
}
