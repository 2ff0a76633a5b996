package io.github.dragganjvm.tensor.internal;

import io.github.dragganjvm.tensor.*;
import io.github.dragganjvm.tensor.internal.reference.RefBasics;
import io.github.dragganjvm.tensor.internal.reference.RefConv;
import io.github.dragganjvm.tensor.internal.reference.RefFilteredLrelu;
import io.github.dragganjvm.tensor.internal.reference.RefResample;

/**
 * The specification backend: plain loops over any strides, F32 and F64, arithmetic in double. Slow by design and
 * written to be read; every faster backend is tested against it. Kernels live in {@code io.github.dragganjvm.tensor.internal.reference}.
 */
public class ReferenceBackend implements Backend {
    @Override public String name() { return "reference"; }
    @Override public Device device() { return Device.CPU; }

    @Override public Tensor zeros(DType dtype, int... shape) { return Tensor.zeros(dtype, shape); }
    @Override public Tensor toHost(Tensor t) { return t; }
    @Override public Tensor fromHost(Tensor t) { return t; }
    @Override public Tensor copy(Tensor x) { return RefBasics.copy(x); }
    @Override public Tensor convert(Tensor x, DType dtype) { return RefBasics.convert(x, dtype); }
    @Override public void copyInto(Tensor src, Tensor dst) { RefBasics.copyInto(src, dst); }
    @Override public void fill(Tensor dst, double v) { RefBasics.fill(dst, v); }
    @Override public Tensor indexSelect(Tensor x, int dim, int[] index) { return RefBasics.indexSelect(x, dim, index); }
    @Override public void indexAdd(Tensor dst, int dim, int[] index, Tensor src) { RefBasics.indexAdd(dst, dim, index, src); }

    @Override public Tensor unary(UnaryOp op, Tensor x) { return RefBasics.unary(op, x); }
    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return RefBasics.binary(op, a, b); }
    @Override public Tensor affine(Tensor x, double scale, double shift) { return RefBasics.affine(x, scale, shift); }
    @Override public Tensor clamp(Tensor x, double lo, double hi) { return RefBasics.clamp(x, lo, hi); }
    @Override public void addInPlace(Tensor acc, Tensor x) { RefBasics.addInPlace(acc, x); }

    @Override public Tensor biasAct(Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        return RefBasics.biasAct(x, b, dim, act, alpha, gain, clamp);
    }

    @Override public Tensor biasActBackward(Tensor gout, Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        return RefBasics.biasActBackward(gout, x, b, dim, act, alpha, gain, clamp);
    }

    @Override public Tensor sum(Tensor x, int[] dims, boolean keepdim) { return RefBasics.sum(x, dims, keepdim); }
    @Override public Tensor matmul(Tensor a, Tensor b) { return RefBasics.matmul(a, b); }

    @Override public Tensor conv2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        return RefConv.conv2d(x, w, strideH, strideW, padH, padW, groups);
    }

    @Override public Tensor convTranspose2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        return RefConv.convTranspose2d(x, w, strideH, strideW, padH, padW, groups);
    }

    @Override public Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int strideH, int strideW, int padH, int padW, int groups) {
        return RefConv.conv2dWeightGrad(x, gout, kh, kw, strideH, strideW, padH, padW, groups);
    }

    @Override public Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                                      int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        return RefResample.upfirdn2d(x, f, upX, upY, downX, downY, padX0, padX1, padY0, padY1, gain, flipFilter);
    }

    @Override public Tensor filteredLrelu(Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        return RefFilteredLrelu.forward(x, b, fu, fd, p);
    }

    @Override public Tensor filteredLreluBackward(Tensor gout, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        return RefFilteredLrelu.backward(gout, x, b, fu, fd, p);
    }

    @Override public Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
        return RefResample.resizeBilinear(x, outH, outW, alignCorners);
    }

    @Override public Tensor resizeBilinearBackward(Tensor gout, int inH, int inW, boolean alignCorners) {
        return RefResample.resizeBilinearBackward(gout, inH, inW, alignCorners);
    }

    @Override public Tensor gridSample(Tensor x, Tensor grid, boolean alignCorners) { return RefResample.gridSample(x, grid, alignCorners); }

    @Override public Tensor[] gridSampleBackward(Tensor gout, Tensor x, Tensor grid, boolean alignCorners, boolean needX, boolean needGrid) {
        return RefResample.gridSampleBackward(gout, x, grid, alignCorners, needX, needGrid);
    }

    @Override public Tensor windowDistances(Tensor feat, Tensor f0, int y0, int y1, int x0, int x1) {
        return RefBasics.windowDistances(feat, f0, y0, y1, x0, x1);
    }

    @Override public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, long step, double lr, double b1, double b2, double eps) {
        RefBasics.adamStep(p, g, m, v, step, lr, b1, b2, eps);
    }
}
