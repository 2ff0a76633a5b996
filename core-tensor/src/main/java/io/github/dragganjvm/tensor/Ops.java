package io.github.dragganjvm.tensor;

import java.util.Arrays;

/**
 * The one public entry point of every tensor op. Each method documents its math and shapes, validates its
 * arguments (errors name the op, the argument, the dimension, what was expected and what came), and dispatches
 * to the {@link Backend} of its inputs' device. No gradients here: see the autograd module.
 *
 * <p>Conventions stated once: tensors of images and features are {@code [N, C, H, W]}; filters are
 * {@code [O, I, kh, kw]}; pixel (x, y) means column x, row y.
 */
public final class Ops {
    private Ops() {}

    // ================================================================== data movement

    /** Contiguous copy of any view. */
    public static Tensor copy(Tensor x) { return Backends.of("copy", x).copy(x); }

    /** Contiguous copy converted to dtype. */
    public static Tensor convert(Tensor x, DType dtype) { return Backends.of("convert", x).convert(x, dtype); }

    /** A zero tensor like t (same dtype, device, shape). */
    public static Tensor zerosLike(Tensor t) { return Backends.of("zerosLike", t).zeros(t.dtype(), t.shape()); }

    /** A zero tensor of the given shape with like's dtype, on like's device. */
    public static Tensor zerosOn(Tensor like, int... shape) { return Backends.of("zeros", like).zeros(like.dtype(), shape); }

    /** A zero tensor on the default backend's device. */
    public static Tensor zeros(DType dtype, int... shape) { return Backends.current().zeros(dtype, shape); }

    /** In place: writes src into the view dst (same shape and dtype). */
    public static void copyInto(Tensor src, Tensor dst) {
        if (!Arrays.equals(src.shape(), dst.shape())) {
            throw new IllegalArgumentException("copyInto: source shape " + Shapes.str(src.shape()) + " differs from destination " + Shapes.str(dst.shape()));
        }
        Shapes.requireSameKind("copyInto", src, dst);
        requireWritable("copyInto", dst);
        Backends.of("copyInto", src, dst).copyInto(src, dst);
    }

    /** In place: every element of dst set to v. */
    public static void fill(Tensor dst, double v) {
        requireMutable("fill", dst);
        Backends.of("fill", dst).fill(dst, v);
    }

    /**
     * For an op that writes every element of t: t is mutable and no two of its elements share memory (an expanded
     * view, stride 0 along a dimension of size 2 or more, would have the last write win, as torch refuses too).
     */
    static void requireWritable(String op, Tensor t) {
        requireMutable(op, t);
        for (int d = 0; d < t.dim(); d++) {
            if (t.stride(d) == 0 && t.size(d) > 1) {
                throw new IllegalArgumentException(op + ": the destination " + Shapes.str(t.shape()) + " is an expanded view (stride 0 along dim "
                        + d + "), so several of its elements are one memory location; write into a contiguous copy");
            }
        }
    }

    /** Fails when t's storage is marked constant (an in-place op must not change it). */
    static void requireMutable(String op, Tensor t) {
        if (t.isConstant()) throw new IllegalStateException(op + ": the destination " + Shapes.str(t.shape()) + " is marked constant (Tensor.markConstant) and may not change");
    }

    /** Concatenation along dim; all other dimensions must agree. */
    public static Tensor cat(int dim, Tensor... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("cat: no tensors");
        int rank = xs[0].dim();
        int d = Shapes.dim("cat", dim, rank);
        int total = 0;
        for (int i = 0; i < xs.length; i++) {
            Tensor t = xs[i];
            if (t.dim() != rank) throw new IllegalArgumentException("cat: tensor " + i + " has rank " + t.dim() + ", expected " + rank);
            Shapes.requireSameKind("cat", xs[0], t);
            for (int k = 0; k < rank; k++) {
                if (k != d && t.size(k) != xs[0].size(k)) {
                    throw new IllegalArgumentException("cat: tensor " + i + " dimension " + k + " expected " + xs[0].size(k)
                            + " but got " + t.size(k) + " (shapes " + Shapes.str(xs[0].shape()) + " and " + Shapes.str(t.shape()) + ")");
                }
            }
            total += t.size(d);
        }
        int[] shape = xs[0].shape();
        shape[d] = total;
        Backend be = Backends.of("cat", xs);
        Tensor out = be.zeros(xs[0].dtype(), shape);
        int at = 0;
        for (Tensor t : xs) {
            be.copyInto(t, out.sliceView(d, at, at + t.size(d)));
            at += t.size(d);
        }
        return out;
    }

    /** Stacks equal-shaped tensors along a new dimension dim. */
    public static Tensor stack(int dim, Tensor... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("stack: no tensors");
        Tensor[] us = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            if (!Arrays.equals(xs[i].shape(), xs[0].shape())) {
                throw new IllegalArgumentException("stack: tensor " + i + " has shape " + Shapes.str(xs[i].shape()) + ", expected " + Shapes.str(xs[0].shape()));
            }
            us[i] = xs[i].unsqueezeView(dim);
        }
        return cat(dim, us);
    }

    /** Gathers entries index[i] along dim (a copy). */
    public static Tensor indexSelect(Tensor x, int dim, int... index) {
        int d = Shapes.dim("indexSelect", dim, x.dim());
        for (int i : index) {
            if (i < 0 || i >= x.size(d)) throw new IndexOutOfBoundsException("indexSelect: index " + i + " outside dimension " + d + " of size " + x.size(d));
        }
        return Backends.of("indexSelect", x).indexSelect(x, d, index.clone());
    }

    /** In place: dst's entries index[i] along dim += src's entry i (the backward of indexSelect). */
    public static void indexAdd(Tensor dst, int dim, int[] index, Tensor src) {
        int d = Shapes.dim("indexAdd", dim, dst.dim());
        for (int i : index) {
            if (i < 0 || i >= dst.size(d)) throw new IndexOutOfBoundsException("indexAdd: index " + i + " outside dimension " + d + " of size " + dst.size(d));
        }
        int[] expect = dst.shape();
        expect[d] = index.length;
        Shapes.requireShape("indexAdd", "src", src, expect);
        requireMutable("indexAdd", dst);
        Backends.of("indexAdd", dst, src).indexAdd(dst, d, index.clone(), src);
    }

    // ================================================================== elementwise

    public static Tensor unary(UnaryOp op, Tensor x) { return Backends.of(op.name().toLowerCase(), x).unary(op, x); }
    public static Tensor neg(Tensor x) { return unary(UnaryOp.NEG, x); }
    public static Tensor abs(Tensor x) { return unary(UnaryOp.ABS, x); }
    public static Tensor sign(Tensor x) { return unary(UnaryOp.SIGN, x); }
    public static Tensor exp(Tensor x) { return unary(UnaryOp.EXP, x); }
    public static Tensor log(Tensor x) { return unary(UnaryOp.LOG, x); }
    public static Tensor sqrt(Tensor x) { return unary(UnaryOp.SQRT, x); }
    public static Tensor rsqrt(Tensor x) { return unary(UnaryOp.RSQRT, x); }
    public static Tensor square(Tensor x) { return unary(UnaryOp.SQUARE, x); }
    /** softplus(x) = log(1 + exp(x)), x itself above 20 (torch.nn.functional.softplus with its defaults). */
    public static Tensor softplus(Tensor x) { return unary(UnaryOp.SOFTPLUS, x); }
    /** sigmoid(x) = 1 / (1 + exp(-x)) (torch.sigmoid). */
    public static Tensor sigmoid(Tensor x) { return unary(UnaryOp.SIGMOID, x); }

    /** y = op(a, b) with NumPy broadcasting. */
    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        Shapes.broadcast(name, a.shape(), b.shape());
        Shapes.requireSameKind(name, a, b);
        return Backends.of(name, a, b).binary(op, a, b);
    }
    public static Tensor add(Tensor a, Tensor b) { return binary(BinaryOp.ADD, a, b); }
    public static Tensor sub(Tensor a, Tensor b) { return binary(BinaryOp.SUB, a, b); }
    public static Tensor mul(Tensor a, Tensor b) { return binary(BinaryOp.MUL, a, b); }
    public static Tensor div(Tensor a, Tensor b) { return binary(BinaryOp.DIV, a, b); }
    public static Tensor maximum(Tensor a, Tensor b) { return binary(BinaryOp.MAX, a, b); }
    public static Tensor minimum(Tensor a, Tensor b) { return binary(BinaryOp.MIN, a, b); }
    /** 1 where a > b, else 0. */
    public static Tensor greater(Tensor a, Tensor b) { return binary(BinaryOp.GT, a, b); }

    /** y = x * scale + shift. */
    public static Tensor affine(Tensor x, double scale, double shift) { return Backends.of("affine", x).affine(x, scale, shift); }
    public static Tensor scale(Tensor x, double s) { return affine(x, s, 0); }
    public static Tensor addScalar(Tensor x, double s) { return affine(x, 1, s); }

    /** y = clamp(x, lo, hi); lo &lt;= hi. */
    public static Tensor clamp(Tensor x, double lo, double hi) {
        if (!(lo <= hi)) throw new IllegalArgumentException("clamp: lo " + lo + " must be <= hi " + hi);
        return Backends.of("clamp", x).clamp(x, lo, hi);
    }

    /** Leaky ReLU times gain: y = (x >= 0 ? x : alpha x) * gain. */
    public static Tensor leakyRelu(Tensor x, double alpha, double gain) {
        return biasAct(x, null, 1, Activation.LRELU, alpha, gain, -1);
    }

    /** In place acc += x (same shape, acc contiguous). */
    public static void addInPlace(Tensor acc, Tensor x) {
        if (!Arrays.equals(acc.shape(), x.shape())) {
            throw new IllegalArgumentException("addInPlace: shapes " + Shapes.str(acc.shape()) + " and " + Shapes.str(x.shape()) + " differ");
        }
        if (!acc.isContiguous()) throw new IllegalArgumentException("addInPlace: accumulator must be contiguous");
        requireMutable("addInPlace", acc);
        Shapes.requireSameKind("addInPlace", acc, x);
        Backends.of("addInPlace", acc, x).addInPlace(acc, x);
    }

    /**
     * NVlabs bias_act: {@code y = clamp(act(x + b) * gain, -clamp, clamp)}.
     * x: any rank; b: [x.size(dim)] or null; act LINEAR or LRELU(alpha); clamp &lt; 0 disables clamping.
     */
    public static Tensor biasAct(Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        int d = checkBiasAct("biasAct", x, b, dim, alpha, gain);
        checkActClamp("biasAct", act, clamp);
        return Backends.of("biasAct", x, b).biasAct(x, b, d, act, alpha, gain, clamp);
    }

    /**
     * bias_act of x + r (see {@link Backend#addBiasAct}): {@code y = clamp(act((x + r) + b) * gain, -clamp, clamp)},
     * the same floats as {@code biasAct(add(x, r), b, ...)} without the sum as a tensor. r broadcasts to x's shape
     * (the sum must keep x's shape); the other arguments as {@link #biasAct}. Forward only.
     */
    public static Tensor addBiasAct(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        int d = checkAddBiasAct("addBiasAct", x, r, b, dim, alpha, gain);
        checkActClamp("addBiasAct", act, clamp);
        return Backends.of("addBiasAct", x, r, b).addBiasAct(x, r, b, d, act, alpha, gain, clamp);
    }

    /**
     * {@link #addBiasAct} written over x, which is returned (see {@link Backend#addBiasActInPlace}): for a caller that
     * owns x and needs only the result. r and b must not share x's storage. Forward only.
     */
    public static Tensor addBiasActInPlace(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        int d = checkAddBiasAct("addBiasActInPlace", x, r, b, dim, alpha, gain);
        checkActClamp("addBiasActInPlace", act, clamp);
        requireWritable("addBiasActInPlace", x);
        if (r.storage() == x.storage() || b != null && b.storage() == x.storage()) {
            throw new IllegalArgumentException("addBiasActInPlace: " + (r.storage() == x.storage() ? "r" : "b")
                    + " shares x's storage; the in-place op would read values it already overwrote");
        }
        Backends.of("addBiasActInPlace", x, r, b).addBiasActInPlace(x, r, b, d, act, alpha, gain, clamp);
        return x;
    }

    private static int checkAddBiasAct(String op, Tensor x, Tensor r, Tensor b, int dim, double alpha, double gain) {
        if (!Arrays.equals(Shapes.broadcast(op, x.shape(), r.shape()), x.shape())) {
            throw new IllegalArgumentException(op + ": r " + Arrays.toString(r.shape()) + " must broadcast to x's shape "
                    + Arrays.toString(x.shape()) + " (the sum keeps x's shape)");
        }
        Shapes.requireSameKind(op, x, r);
        return checkBiasAct(op, x, b, dim, alpha, gain);
    }

    /**
     * The arguments bias_act and its variants share: b [x.size(dim)] (or null) of x's kind, finite gain and alpha.
     * Returns dim made non-negative (0 for a scalar x).
     */
    private static int checkBiasAct(String op, Tensor x, Tensor b, int dim, double alpha, double gain) {
        int d = x.dim() == 0 ? 0 : Shapes.dim(op, dim, x.dim());
        if (b != null) {
            Shapes.requireRank(op, "b", b, 1, "[C]");
            Shapes.requireDim(op, "b", b, 0, x.dim() == 0 ? 1 : x.size(d), x.dim() == 0 ? "1 for a scalar x" : "size of x along dim " + d);
            Shapes.requireSameKind(op, x, b);
        }
        Shapes.requireFinite(op, "gain", gain);
        Shapes.requireFinite(op, "alpha", alpha);
        return d;
    }

    /** bias_act's activation (not null) and clamp (a number; negative disables clamping). */
    private static void checkActClamp(String op, Activation act, double clamp) {
        if (act == null) throw new IllegalArgumentException(op + ": the activation is null; expected one of " + Arrays.toString(Activation.values()));
        if (Double.isNaN(clamp)) throw new IllegalArgumentException(op + ": argument 'clamp' is NaN; expected a bound >= 0, or a negative value for no clamping");
    }

    /**
     * dL/dx of {@link #biasAct}, recomputed from the op's inputs (see {@link Backend#biasActBackward}):
     * {@code gout * gain * act'(x + b)} where {@code -clamp <= act(x + b) * gain <= clamp} or clamp &lt; 0, else 0.
     * gout: the shape of x; x: any rank; b: [x.size(dim)] or null; the other arguments those of the forward.
     */
    public static Tensor biasActBackward(Tensor gout, Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        if (!Arrays.equals(gout.shape(), x.shape())) {
            throw new IllegalArgumentException("biasActBackward: gout " + Shapes.str(gout.shape()) + " and x " + Shapes.str(x.shape()) + " differ");
        }
        Shapes.requireSameKind("biasActBackward", gout, x);
        int d = checkBiasAct("biasActBackward", x, b, dim, alpha, gain);
        checkActClamp("biasActBackward", act, clamp);
        return Backends.of("biasActBackward", gout, x, b).biasActBackward(gout, x, b, d, act, alpha, gain, clamp);
    }

    // ================================================================== reductions

    /** Sum over dims (any order, negative allowed; none listed = all). */
    public static Tensor sum(Tensor x, boolean keepdim, int... dims) {
        int[] ds = normaliseDims("sum", x, dims);
        return Backends.of("sum", x).sum(x, ds, keepdim);
    }

    /** Sum of every element, as a 0-d tensor. */
    public static Tensor sumAll(Tensor x) { return sum(x, false); }

    /** Mean over dims (none listed = all). */
    public static Tensor mean(Tensor x, boolean keepdim, int... dims) {
        int[] ds = normaliseDims("mean", x, dims);
        long n = 1;
        for (int d : ds) n *= x.size(d);
        Tensor s = Backends.of("mean", x).sum(x, ds, keepdim);
        return n == 1 ? s : affine(s, 1.0 / n, 0);
    }

    /** The listed dims normalised, sorted and distinct; all dims when none are listed. */
    public static int[] normaliseDims(String op, Tensor x, int... dims) {
        if (dims.length == 0) {
            int[] all = new int[x.dim()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        int[] ds = new int[dims.length];
        for (int i = 0; i < dims.length; i++) ds[i] = Shapes.dim(op, dims[i], x.dim());
        Arrays.sort(ds);
        for (int i = 1; i < ds.length; i++) if (ds[i] == ds[i - 1]) throw new IllegalArgumentException(op + ": dim " + ds[i] + " listed twice");
        return ds;
    }

    /** L2 norm over dim: sqrt(sum x^2). */
    public static Tensor l2Norm(Tensor x, int dim, boolean keepdim) { return sqrt(sum(square(x), keepdim, dim)); }

    // ================================================================== linear algebra

    /**
     * torch.matmul for 2-D and 3-D operands: a [M, K] x b [K, N] -> [M, N]; batched [B, M, K] x [B, K, N] -> [B, M, N];
     * a 2-D operand with a 3-D one is broadcast over its batch ([B, M, K] x [K, N] and [M, K] x [B, K, N] -> [B, M, N]).
     * Any strides.
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        Shapes.requireSameKind("matmul", a, b);
        if (a.dim() == 2 && b.dim() == 2) {
            Shapes.requireDim("matmul", "b", b, 0, a.size(1), "K = a's columns");
        } else if (a.dim() == 3 && b.dim() == 3) {
            Shapes.requireDim("matmul", "b", b, 0, a.size(0), "batch");
            Shapes.requireDim("matmul", "b", b, 1, a.size(2), "K = a's columns");
        } else if (a.dim() == 3 && b.dim() == 2) {
            // torch.matmul broadcasts b over the batch: [B, M, K] x [K, N] is one [B M, K] x [K, N] product
            Shapes.requireDim("matmul", "b", b, 0, a.size(2), "K = a's columns");
            int batch = a.size(0), m = a.size(1);
            return matmul(a.contiguousOrCopy().reshapeView(batch * m, a.size(2)), b).reshapeView(batch, m, b.size(1));
        } else if (a.dim() == 2 && b.dim() == 3) {
            // torch.matmul broadcasts a over the batch: [M, K] x [B, K, N] -> [B, M, N]
            Shapes.requireDim("matmul", "b", b, 1, a.size(1), "K = a's columns");
            return matmul(a.unsqueezeView(0).expandView(b.size(0), a.size(0), a.size(1)).copy(), b);
        } else {
            throw new IllegalArgumentException("matmul: expected a [M, K] or [B, M, K] and b [K, N] or [B, K, N] but got "
                    + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        return Backends.of("matmul", a, b).matmul(a, b);
    }

    // ================================================================== convolution

    /** torch conv2d: x [N, C, H, W], w [O, C/groups, kh, kw] -> [N, O, Ho, Wo]. */
    public static Tensor conv2d(Tensor x, Tensor w, int stride, int padding, int groups) {
        return conv2d(x, w, stride, stride, padding, padding, groups);
    }

    /** torch conv2d with separate vertical and horizontal stride and padding. */
    public static Tensor conv2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        checkConv("conv2d", x, w, strideH, strideW, padH, padW, groups, false);
        return Backends.of("conv2d", x, w).conv2d(x, w, strideH, strideW, padH, padW, groups);
    }

    /** torch conv_transpose2d: x [N, C, H, W], w [C, O/groups, kh, kw] -> [N, O, (H-1)*stride - 2*pad + kh, ...]. */
    public static Tensor convTranspose2d(Tensor x, Tensor w, int stride, int padding, int groups) {
        checkConv("convTranspose2d", x, w, stride, stride, padding, padding, groups, true);
        return Backends.of("convTranspose2d", x, w).convTranspose2d(x, w, stride, stride, padding, padding, groups);
    }

    /** Gradient of conv2d with respect to w: x [N, C, H, W], gout [N, O, Ho, Wo] -> [O, C/groups, kh, kw]. */
    public static Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int stride, int padding, int groups) {
        Shapes.requireRank("conv2dWeightGrad", "x", x, 4, "[N, C, H, W]");
        Shapes.requireRank("conv2dWeightGrad", "gout", gout, 4, "[N, O, Ho, Wo]");
        Shapes.requireSameKind("conv2dWeightGrad", x, gout);
        Shapes.requireDim("conv2dWeightGrad", "gout", gout, 0, x.size(0), "batch");
        if (groups < 1 || x.size(1) % groups != 0 || gout.size(1) % groups != 0) {
            throw new IllegalArgumentException("conv2dWeightGrad: groups " + groups + " must divide C " + x.size(1) + " and O " + gout.size(1));
        }
        checkKernel("conv2dWeightGrad", kh, kw, stride, stride, padding, padding);
        checkKernelFits("conv2dWeightGrad", x.size(2), x.size(3), kh, kw, padding, padding);
        int ho = Shapes.convOut(x.size(2), kh, stride, padding), wo = Shapes.convOut(x.size(3), kw, stride, padding);
        Shapes.requireDim("conv2dWeightGrad", "gout", gout, 2, ho, "output height");
        Shapes.requireDim("conv2dWeightGrad", "gout", gout, 3, wo, "output width");
        return Backends.of("conv2dWeightGrad", x, gout).conv2dWeightGrad(x, gout, kh, kw, stride, stride, padding, padding, groups);
    }

    /** A convolution's kernel (at least 1x1), stride (at least 1) and padding (at least 0), as torch requires. */
    static void checkKernel(String op, int kh, int kw, int sh, int sw, int ph, int pw) {
        if (kh < 1 || kw < 1) throw new IllegalArgumentException(op + ": kernel must be at least 1x1 but is " + kh + "x" + kw);
        if (sh < 1 || sw < 1) throw new IllegalArgumentException(op + ": stride must be >= 1 but is " + sh + "x" + sw);
        if (ph < 0 || pw < 0) throw new IllegalArgumentException(op + ": padding must be >= 0 but is " + ph + "x" + pw);
    }

    /** A (non-transposed) convolution's kh x kw kernel fits its h x w input padded by ph x pw: the output is not empty. */
    static void checkKernelFits(String op, int h, int w, int kh, int kw, int ph, int pw) {
        if (h + 2 * ph < kh || w + 2 * pw < kw) throw kernelDoesNotFit(op, h, w, kh, kw, ph, pw);
    }

    private static IllegalArgumentException kernelDoesNotFit(String op, int h, int w, int kh, int kw, int ph, int pw) {
        return new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + " does not fit input " + h + "x" + w + " with padding " + ph + "x" + pw);
    }

    private static void checkConv(String op, Tensor x, Tensor w, int sh, int sw, int ph, int pw, int groups, boolean transposed) {
        Shapes.requireRank(op, "x", x, 4, "[N, C, H, W]");
        Shapes.requireRank(op, "w", w, 4, transposed ? "[C, O/groups, kh, kw]" : "[O, C/groups, kh, kw]");
        Shapes.requireSameKind(op, x, w);
        checkKernel(op, w.size(2), w.size(3), sh, sw, ph, pw);
        int c = x.size(1);
        if (groups < 1 || c % groups != 0) throw new IllegalArgumentException(op + ": groups " + groups + " must divide x's channels " + c);
        if (transposed) {
            Shapes.requireDim(op, "w", w, 0, c, "input channels");
        } else {
            Shapes.requireDim(op, "w", w, 1, c / groups, "input channels / groups");
            if (w.size(0) % groups != 0) throw new IllegalArgumentException(op + ": groups " + groups + " must divide w's output channels " + w.size(0));
        }
        int kh = w.size(2), kw = w.size(3);
        if (!transposed) checkKernelFits(op, x.size(2), x.size(3), kh, kw, ph, pw);
        int ho = transposed ? Shapes.convTransposeOut(x.size(2), kh, sh, ph) : Shapes.convOut(x.size(2), kh, sh, ph);
        int wo = transposed ? Shapes.convTransposeOut(x.size(3), kw, sw, pw) : Shapes.convOut(x.size(3), kw, sw, pw);
        if (ho < 1 || wo < 1) throw kernelDoesNotFit(op, x.size(2), x.size(3), kh, kw, ph, pw);   // a transposed conv's padding crops it all
    }

    // ================================================================== resampling

    /**
     * NVlabs upfirdn2d. x [N, C, H, W], f [fh, fw]; padding {x0, x1, y0, y1} (negative crops).
     * Output height floor((H*up + y0 + y1 - fh) / down) + 1, likewise width.
     */
    public static Tensor upfirdn2d(Tensor x, Tensor f, int up, int down, int[] padding, double gain, boolean flipFilter) {
        if (padding == null || padding.length != 4) {
            throw new IllegalArgumentException("upfirdn2d: padding must be {x0, x1, y0, y1} but is " + Arrays.toString(padding));
        }
        return upfirdn2d(x, f, up, up, down, down, padding[0], padding[1], padding[2], padding[3], gain, flipFilter);
    }

    /** upfirdn2d with separate factors per axis. */
    public static Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                                   int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        Shapes.requireRank("upfirdn2d", "x", x, 4, "[N, C, H, W]");
        if (f == null) throw new IllegalArgumentException("upfirdn2d: the filter f [fh, fw] is null");
        Shapes.requireSameKind("upfirdn2d", x, f);
        checkUpfirdn("upfirdn2d", "input", x.shape(), f, upX, upY, downX, downY, padX0, padX1, padY0, padY1, gain);
        return Backends.of("upfirdn2d", x, f).upfirdn2d(x, f, upX, upY, downX, downY, padX0, padX1, padY0, padY1, gain, flipFilter);
    }

    /** upfirdn2d's checks of everything but x itself, for an input of shape xShape [N, C, H, W] (named what). */
    private static void checkUpfirdn(String op, String what, int[] xShape, Tensor f, int upX, int upY, int downX, int downY,
                                     int padX0, int padX1, int padY0, int padY1, double gain) {
        Shapes.requireRank(op, "f", f, 2, "[fh, fw]");
        if (upX < 1 || upY < 1 || downX < 1 || downY < 1) {
            throw new IllegalArgumentException(op + ": up and down must be >= 1 but are " + upX + "," + upY + " / " + downX + "," + downY);
        }
        Shapes.requireFinite(op, "gain", gain);
        int outH = upfirdnSize(xShape[2], upY, padY0, padY1, f.size(0), downY);
        int outW = upfirdnSize(xShape[3], upX, padX0, padX1, f.size(1), downX);
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException(op + ": output would be " + outH + "x" + outW + " for " + what + " " + Shapes.str(xShape)
                    + ", filter " + Shapes.str(f.shape()) + ", padding " + Arrays.toString(new int[]{padX0, padX1, padY0, padY1}));
        }
    }

    /**
     * NVlabs {@code conv2d_resample}'s up-sampling convolution as one op: {@code upfirdn2d(convTranspose2d(x, w,
     * stride, padding), f, up 1, down 1, filterPad {x0, x1, y0, y1}, gain)} (no flip), the same floats as the two ops
     * (see {@link Backend#convTranspose2dFir}). x [N, C, H, W], w [C, O, kh, kw] (one group).
     */
    public static Tensor convTranspose2dFir(Tensor x, Tensor w, int stride, int padding, Tensor f, int[] filterPad, double gain) {
        String op = "convTranspose2dFir";
        checkConv(op, x, w, stride, stride, padding, padding, 1, true);
        Shapes.requireSameKind(op, x, f);
        if (filterPad == null || filterPad.length != 4) {
            throw new IllegalArgumentException(op + ": filterPad must be {x0, x1, y0, y1} but is " + Arrays.toString(filterPad));
        }
        int[] t = {x.size(0), w.size(1), Shapes.convTransposeOut(x.size(2), w.size(2), stride, padding),
                Shapes.convTransposeOut(x.size(3), w.size(3), stride, padding)};
        checkUpfirdn(op, "transposed conv output", t, f, 1, 1, 1, 1, filterPad[0], filterPad[1], filterPad[2], filterPad[3], gain);
        return Backends.of(op, x, w, f).convTranspose2dFir(x, w, stride, padding, f, filterPad.clone(), gain);
    }

    /** Output size of upfirdn2d along one axis. */
    public static int upfirdnSize(int in, int up, int pad0, int pad1, int taps, int down) {
        return Math.floorDiv(in * up + pad0 + pad1 - taps, down) + 1;
    }

    /**
     * StyleGAN3's Fourier features (see {@link FourierFeatures}): fx, fy, phase, amp [N, C] -> [N, C, size, size],
     * y = sin(2 pi (g[j] fx + g[i] fy + phase)) amp on the grid g of size points at samplingRate.
     */
    public static Tensor fourierFeatures(Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        checkFourier("fourierFeatures", fx, fy, phase, amp, size, samplingRate);
        return Backends.of("fourierFeatures", fx, fy, phase, amp).fourierFeatures(fx, fy, phase, amp, size, samplingRate);
    }

    /** {dfx, dfy, dphase, damp} [N, C] of {@link #fourierFeatures} from gout [N, C, size, size]; other arguments those of the forward. */
    public static Tensor[] fourierFeaturesBackward(Tensor gout, Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        checkFourier("fourierFeaturesBackward", fx, fy, phase, amp, size, samplingRate);
        Shapes.requireShape("fourierFeaturesBackward", "gout", gout, fx.size(0), fx.size(1), size, size);
        Shapes.requireSameKind("fourierFeaturesBackward", fx, gout);
        return Backends.of("fourierFeaturesBackward", gout, fx, fy, phase, amp).fourierFeaturesBackward(gout, fx, fy, phase, amp, size, samplingRate);
    }

    private static void checkFourier(String op, Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        Shapes.requireRank(op, "fx", fx, 2, "[N, C]");
        for (var e : java.util.Map.of("fy", fy, "phase", phase, "amp", amp).entrySet()) {
            Shapes.requireShape(op, e.getKey(), e.getValue(), fx.shape());
            Shapes.requireSameKind(op, fx, e.getValue());
        }
        if (size < 1) throw new IllegalArgumentException(op + ": size must be >= 1 but is " + size);
        if (!(samplingRate > 0) || Double.isInfinite(samplingRate)) throw new IllegalArgumentException(op + ": samplingRate must be a positive finite number but is " + samplingRate);
    }

    /**
     * StyleGAN3's filtered leaky ReLU, exactly NVlabs {@code _filtered_lrelu_ref}:
     * <ol>
     *   <li>u = upfirdn2d(x + b, fu, up, padding {x0, x1, y0, y1}, gain up^2) (zero insertion, pad or crop, FIR);</li>
     *   <li>a = clamp(lrelu(u) * gain, -clamp, clamp), lrelu(u) = u &gt; 0 ? u : slope * u (no clamp when
     *       clamp &lt; 0);</li>
     *   <li>y = upfirdn2d(a, fd, down) (FIR without padding, every down-th sample).</li>
     * </ol>
     * x [N, C, H, W]; b [C] or null; fu, fd null (identity), [taps] (separable, applied along x then y, each
     * with the square root of its gain) or [fh, fw]; filters flipped (true convolution) unless p.flipFilter().
     * Output [N, C, Ho, Wo], Ho = floor((H*up + y0 + y1 - (fuh - 1) - (fdh - 1) + down - 1) / down), likewise Wo
     * ({@link FilteredLreluParams#outSize}).
     */
    public static Tensor filteredLrelu(Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        checkFilteredLrelu("filteredLrelu", x, b, fu, fd, p);
        return Backends.of("filteredLrelu", x, b, fu, fd).filteredLrelu(x, b, fu, fd, p);
    }

    /**
     * dL/dx of {@link #filteredLrelu} from gout = dL/dy [N, C, Ho, Wo] (see {@link Backend#filteredLreluBackward});
     * the bias gradient is the result summed over dimensions 0, 2 and 3. The other arguments those of the forward.
     */
    public static Tensor filteredLreluBackward(Tensor gout, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        int[] out = checkFilteredLrelu("filteredLreluBackward", x, b, fu, fd, p);
        Shapes.requireShape("filteredLreluBackward", "gout", gout, out);
        Shapes.requireSameKind("filteredLreluBackward", x, gout);
        return Backends.of("filteredLreluBackward", gout, x, b, fu, fd).filteredLreluBackward(gout, x, b, fu, fd, p);
    }

    /**
     * The Jacobian-vector product of {@link #filteredLrelu} with respect to x at (x, b), applied to h [N, C, H, W]:
     * upfirdn2d(act'(u) * gain * mask * upfirdn2d(h, fu, up, padding, gain up^2), fd, down), with u and the clamp
     * mask of (x, b) (see {@link Backend#filteredLreluBackward}). It is the adjoint of
     * {@link #filteredLreluBackward}'s map gout -&gt; dx, which makes the op differentiable to any order. Runs as a
     * composition of the backend's ops ({@link FilteredLreluComposed#linearized}).
     */
    public static Tensor filteredLreluJvp(Tensor h, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        checkFilteredLrelu("filteredLreluJvp", x, b, fu, fd, p);
        Shapes.requireShape("filteredLreluJvp", "h", h, x.shape());
        Shapes.requireSameKind("filteredLreluJvp", x, h);
        return FilteredLreluComposed.linearized(Backends.of("filteredLreluJvp", h, x, b, fu, fd), h, x, b, fu, fd, p);
    }

    /** Validates filteredLrelu's arguments; returns the output shape. */
    private static int[] checkFilteredLrelu(String op, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        if (p == null) throw new IllegalArgumentException(op + ": params must not be null");
        Shapes.requireRank(op, "x", x, 4, "[N, C, H, W]");
        if (b != null) {
            Shapes.requireShape(op, "b", b, x.size(1));
            Shapes.requireSameKind(op, x, b);
        }
        for (Tensor f : new Tensor[]{fu, fd}) {
            if (f == null) continue;
            String name = f == fu ? "fu" : "fd";
            if (f.dim() != 1 && f.dim() != 2) {
                throw new IllegalArgumentException(op + ": " + name + " must be [taps] (separable) or [fh, fw] but has shape " + Shapes.str(f.shape()));
            }
            if (f.numel() == 0) throw new IllegalArgumentException(op + ": " + name + " is empty: " + Shapes.str(f.shape()));
            Shapes.requireSameKind(op, x, f);
        }
        int uh = p.upHeight(x.size(2), fu), uw = p.upWidth(x.size(3), fu);
        int ho = p.outHeight(x.size(2), fu, fd), wo = p.outWidth(x.size(3), fu, fd);
        if (uh < 1 || uw < 1 || ho < 1 || wo < 1) {
            throw new IllegalArgumentException(op + ": output would be " + ho + "x" + wo + " (up-sampled " + uh + "x" + uw + ") for input "
                    + Shapes.str(x.shape()) + ", fu " + (fu == null ? "none" : Shapes.str(fu.shape())) + ", fd "
                    + (fd == null ? "none" : Shapes.str(fd.shape())) + ", up " + p.up() + ", down " + p.down()
                    + ", padding " + Arrays.toString(p.padding()));
        }
        return new int[]{x.size(0), x.size(1), ho, wo};
    }

    /** Bilinear resize, exactly F.interpolate(x, size=(outH, outW), mode='bilinear', align_corners). */
    public static Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
        Shapes.requireRank("resizeBilinear", "x", x, 4, "[N, C, H, W]");
        requireImage("resizeBilinear", x);
        if (outH < 1 || outW < 1) throw new IllegalArgumentException("resizeBilinear: output size must be >= 1 but is " + outH + "x" + outW);
        return Backends.of("resizeBilinear", x).resizeBilinear(x, outH, outW, alignCorners);
    }

    /** Gradient of resizeBilinear: gout [N, C, outH, outW] -> [N, C, inH, inW]. */
    public static Tensor resizeBilinearBackward(Tensor gout, int inH, int inW, boolean alignCorners) {
        Shapes.requireRank("resizeBilinearBackward", "gout", gout, 4, "[N, C, H, W]");
        if (inH < 1 || inW < 1) throw new IllegalArgumentException("resizeBilinearBackward: input size must be >= 1 but is " + inH + "x" + inW);
        return Backends.of("resizeBilinearBackward", gout).resizeBilinearBackward(gout, inH, inW, alignCorners);
    }

    /** F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners). x [N, C, H, W], grid [N, Ho, Wo, 2]. */
    public static Tensor gridSample(Tensor x, Tensor grid, boolean alignCorners) {
        checkGrid("gridSample", x, grid);
        return Backends.of("gridSample", x, grid).gridSample(x, grid, alignCorners);
    }

    /** {dx, dgrid} of gridSample (null where not asked for). */
    public static Tensor[] gridSampleBackward(Tensor gout, Tensor x, Tensor grid, boolean alignCorners, boolean needX, boolean needGrid) {
        checkGrid("gridSampleBackward", x, grid);
        Shapes.requireShape("gridSampleBackward", "gout", gout, x.size(0), x.size(1), grid.size(1), grid.size(2));
        return Backends.of("gridSampleBackward", gout, x, grid).gridSampleBackward(gout, x, grid, alignCorners, needX, needGrid);
    }

    /** An image x [N, C, H, W] with at least one row and column (as F.interpolate and F.grid_sample require). */
    private static void requireImage(String op, Tensor x) {
        if (x.size(2) < 1 || x.size(3) < 1) {
            throw new IllegalArgumentException(op + ": x " + Shapes.str(x.shape()) + " has no pixels; the input size must be at least 1x1");
        }
    }

    private static void checkGrid(String op, Tensor x, Tensor grid) {
        Shapes.requireRank(op, "x", x, 4, "[N, C, H, W]");
        requireImage(op, x);
        Shapes.requireRank(op, "grid", grid, 4, "[N, Ho, Wo, 2]");
        Shapes.requireDim(op, "grid", grid, 0, x.size(0), "batch");
        Shapes.requireDim(op, "grid", grid, 3, 2, "(x, y) pair");
        Shapes.requireSameKind(op, x, grid);
    }

    // ================================================================== StyleGAN2's modulated convolution

    /**
     * StyleGAN2's modulated convolution: {y [N, O, Ho, Wo], dcoef [N, O] or null}; see {@link Backend#modulatedConv2d}.
     * x [N, C, H, W], weight [O, C, kh, kw] (with optional precomputed parts), styles [N, C].
     */
    public static Tensor[] modulatedConv2d(Tensor x, ModulatedWeight weight, Tensor styles, ModulatedConvSpec spec) {
        spec.plan(x, weight.weight(), styles);
        return Backends.of("modulatedConv2d", x, weight.weight(), styles, spec.resampleFilter()).modulatedConv2d(x, weight, styles, spec);
    }

    /**
     * Gradients {dx, dweight, dstyles} (null where not asked for) of {@link #modulatedConv2d} from gout = dL/dy and
     * the forward's y and dcoef; see {@link Backend#modulatedConv2dBackward}.
     */
    public static Tensor[] modulatedConv2dBackward(Tensor gout, Tensor y, Tensor dcoef, Tensor x, ModulatedWeight weight, Tensor styles,
                                                   ModulatedConvSpec spec, boolean needX, boolean needWeight, boolean needStyles) {
        String op = "modulatedConv2dBackward";
        ModulatedConvPlan plan = spec.plan(x, weight.weight(), styles);
        int[] hw = plan.outputSize(x.size(2), x.size(3));
        Shapes.requireShape(op, "gout", gout, plan.n(), plan.o(), hw[0], hw[1]);
        Shapes.requireShape(op, "y", y, plan.n(), plan.o(), hw[0], hw[1]);
        Shapes.requireSameKind(op, x, gout);
        Shapes.requireSameKind(op, x, y);
        if (spec.demodulate()) {
            if (dcoef == null) throw new IllegalArgumentException(op + ": demodulation needs the forward's dcoef [N, O] but got null");
            Shapes.requireShape(op, "dcoef", dcoef, plan.n(), plan.o());
            Shapes.requireSameKind(op, x, dcoef);
        }
        return Backends.of(op, gout, y, dcoef, x, weight.weight(), styles, spec.resampleFilter())
                .modulatedConv2dBackward(gout, y, dcoef, x, weight, styles, spec, needX, needWeight, needStyles);
    }

    // ================================================================== search

    /**
     * Squared L2 distances sum_c (feat[c, y, x] - f0[c])^2 for the window rows y0..y1-1, columns x0..x1-1.
     * feat [C, H, W], f0 [C] -> [y1-y0, x1-x0]. The window must lie inside the map.
     */
    public static Tensor windowDistances(Tensor feat, Tensor f0, int y0, int y1, int x0, int x1) {
        checkWindow("windowDistances", feat, f0, y0, y1, x0, x1);
        return Backends.of("windowDistances", feat, f0).windowDistances(feat, f0, y0, y1, x0, x1);
    }

    /**
     * Point tracking's window search: the pixel of the window rows y0..y1-1, columns x0..x1-1 of feat [C, H, W]
     * nearest in L2 to f0 [C] (first in row-major order on ties), with the best and second best distances; see
     * {@link Backend#windowNearest}. The window must lie inside the map.
     */
    public static WindowNearest windowNearest(Tensor feat, Tensor f0, int y0, int y1, int x0, int x1) {
        checkWindow("windowNearest", feat, f0, y0, y1, x0, x1);
        return Backends.of("windowNearest", feat, f0).windowNearest(feat, f0, y0, y1, x0, x1);
    }

    private static void checkWindow(String op, Tensor feat, Tensor f0, int y0, int y1, int x0, int x1) {
        Shapes.requireRank(op, "feat", feat, 3, "[C, H, W]");
        Shapes.requireShape(op, "f0", f0, feat.size(0));
        Shapes.requireSameKind(op, feat, f0);
        if (y0 < 0 || x0 < 0 || y1 > feat.size(1) || x1 > feat.size(2) || y0 >= y1 || x0 >= x1) {
            throw new IllegalArgumentException(op + ": window rows [" + y0 + ", " + y1 + ") columns [" + x0 + ", " + x1
                    + ") is empty or outside the " + feat.size(1) + "x" + feat.size(2) + " map");
        }
    }

    /** Index (row-major, first wins on ties) of the smallest element of a host-readable tensor. */
    public static int argmin(Tensor t) {
        double[] v = t.toDoubleArray();
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] < v[best]) best = i;
        return best;
    }

    /**
     * The smallest box {y0, y1, x0, x1} (ends exclusive) holding every non-zero element of x [N, C, H, W] over all
     * N and C, or null when x is all zero. A NaN counts as non-zero.
     */
    public static int[] nonzeroBox(Tensor x) {
        Shapes.requireRank("nonzeroBox", "x", x, 4, "[N, C, H, W]");
        return Backends.of("nonzeroBox", x).nonzeroBox(x);
    }

    // ================================================================== optimizer

    /** One torch.optim.Adam step in place (see {@link Backend#adamStep}). */
    public static void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, long step, double lr, double b1, double b2, double eps) {
        for (Tensor t : new Tensor[]{g, m, v}) {
            if (!Arrays.equals(t.shape(), p.shape())) throw new IllegalArgumentException("adamStep: shape " + Shapes.str(t.shape()) + " differs from parameter " + Shapes.str(p.shape()));
            Shapes.requireSameKind("adamStep", p, t);
        }
        if (!p.isContiguous() || !m.isContiguous() || !v.isContiguous()) throw new IllegalArgumentException("adamStep: p, m and v must be contiguous");
        if (step < 1) throw new IllegalArgumentException("adamStep: step counts from 1 but is " + step);
        // torch.optim.Adam's checks (written so that NaN fails them too)
        if (!(lr >= 0) || lr == Double.POSITIVE_INFINITY) throw new IllegalArgumentException("adamStep: learning rate must be finite and >= 0 but is " + lr);
        if (!(b1 >= 0 && b1 < 1)) throw new IllegalArgumentException("adamStep: beta1 must be in [0, 1) but is " + b1);
        if (!(b2 >= 0 && b2 < 1)) throw new IllegalArgumentException("adamStep: beta2 must be in [0, 1) but is " + b2);
        if (!(eps >= 0) || eps == Double.POSITIVE_INFINITY) throw new IllegalArgumentException("adamStep: eps must be finite and >= 0 but is " + eps);
        for (Tensor t : new Tensor[]{p, m, v}) requireMutable("adamStep", t);
        Backends.of("adamStep", p, g, m, v).adamStep(p, g, m, v, step, lr, b1, b2, eps);
    }
}
