package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Backend;
import io.github.dragganjvm.tensor.BinaryOp;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Device;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.ModulatedConvPlan;
import io.github.dragganjvm.tensor.ModulatedConvSpec;
import io.github.dragganjvm.tensor.ModulatedWeight;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.UnaryOp;
import io.github.dragganjvm.tensor.WindowNearest;

import java.util.Arrays;

/**
 * The CUDA backend: every {@link Backend} op as our own kernels (src/main/cuda, one .cu per family, committed as PTX)
 * launched through a {@link CudaDriver}. Tensors live in {@link CudaStorage}; results are contiguous, owned by the
 * current {@link CudaScope}. Both F32 and F64 run on the device (F64 for gradient checks). Inputs a kernel needs
 * contiguous are copied on the device first (into internal temporaries, freed before the op returns).
 *
 * <p>Deterministic: no kernel uses atomics, so repeated runs give bit-identical results. With
 * {@code -Ddraggan.cuda.tf32=true} (or {@link #setTf32}) the GEMM-shaped F32 kernels (matmul, convolutions,
 * modulated convolutions) use TF32 tensor cores: 10-bit mantissa products, float sums, relative error ~1e-3.
 *
 * <p>The seam's modulated convolution ({@code Backend.modulatedConv2d} and its backward) runs on the fused StyleGAN2
 * kernels, and its tracker search ({@code Backend.windowNearest}) on one kernel launch. Beyond the Backend interface
 * (callers reach them by casting {@code Backends.forDevice(Device.CUDA)}): {@link #noiseAdd}, {@link #argmin}, and
 * the fused kernels' own entry points {@link #modulatedConv2d(Tensor, Tensor, Tensor, boolean, int)},
 * {@link #modulatedConvTranspose2d}, {@link #modulatedConvBackward}.
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = 256;
    private static final int MAX_BLOCKS = 65536;
    private static final int MAX_GRID_YZ = 65535;

    private final CudaDriver driver;
    private final CudaMemory memory;
    private volatile boolean tf32 = Boolean.getBoolean("draggan.cuda.tf32");

    public CudaBackend(CudaDriver driver) {
        this.driver = driver;
        this.memory = new CudaMemory(driver);
    }

    @Override public String name() { return "cuda"; }
    @Override public Device device() { return Device.CUDA; }

    /** The device this backend launches on. */
    public CudaDriver driver() { return driver; }

    /** The device allocator and its counters. */
    public CudaMemory memory() { return memory; }

    /** Whether F32 GEMM-shaped kernels use TF32 tensor cores. */
    public boolean tf32() { return tf32; }

    public void setTf32(boolean on) { tf32 = on; }

    /** Waits for all launched work (for timing). */
    @Override public void synchronize() { driver.synchronize(); }

    // ================================================================== tensors, addresses, launches

    /** A new contiguous device tensor (not zeroed), owned by the current scope. */
    Tensor alloc(DType dtype, int... shape) {
        return new Tensor(new CudaStorage(memory, dtype, Shapes.numel(shape), true), shape, Shapes.contiguousStrides(shape), 0);
    }

    /** An internal temporary: never enters a scope; free it with {@link #free}. */
    Tensor temp(DType dtype, int... shape) {
        return new Tensor(new CudaStorage(memory, dtype, Shapes.numel(shape), false), shape, Shapes.contiguousStrides(shape), 0);
    }

    static void free(Tensor t) { ((CudaStorage) t.storage()).close(); }

    /** Frees {@code maybeTemp} if it is a temporary copy of {@code original}. */
    static void freeIfCopy(Tensor maybeTemp, Tensor original) { if (maybeTemp != original) free(maybeTemp); }

    static CudaStorage storage(Tensor t) {
        if (t.storage() instanceof CudaStorage s) return s;
        throw new IllegalArgumentException("tensor " + Arrays.toString(t.shape()) + " is on " + t.device()
                + ", not on CUDA; move it with toDevice(Device.CUDA)");
    }

    /** Address of the storage's element 0 (kernels that take a View add the view's offset themselves). */
    static long base(Tensor t) { return storage(t).address(); }

    /** Address of the view's first element (for kernels that take contiguous data). */
    static long addr(Tensor t) { return storage(t).address() + (long) t.offset() * t.dtype().bytes(); }

    /** t itself if contiguous, else a contiguous temporary copy (free with freeIfCopy). */
    Tensor contiguous(Tensor t) {
        if (t.isContiguous()) return t;
        Tensor c = temp(t.dtype(), t.shape());
        copyView(t, c);
        return c;
    }

    void launch1d(Kernel k, int n, KernelArgs a) {
        if (n <= 0) return;
        int blocks = (int) Math.min((n + (long) THREADS - 1) / THREADS, MAX_BLOCKS);
        driver.launch(k, blocks, 1, 1, THREADS, 1, 1, a);
    }

    void launch(Kernel k, long gx, long gy, long gz, int threads, KernelArgs a) {
        if (gx <= 0 || gy <= 0 || gz <= 0) return;
        if (gx > Integer.MAX_VALUE || gy > MAX_GRID_YZ || gz > MAX_GRID_YZ) {
            throw new IllegalArgumentException(k + ": problem too large for one launch (grid " + gx + " x " + gy + " x " + gz + ")");
        }
        driver.launch(k, (int) gx, (int) gy, (int) gz, threads, 1, 1, a);
    }

    static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    // ================================================================== memory and data movement

    @Override public Tensor zeros(DType dtype, int... shape) {
        Tensor t = alloc(dtype, shape);
        if (t.numel() > 0) driver.zero(addr(t), (long) t.numel() * dtype.bytes());
        return t;
    }

    @Override public Tensor toHost(Tensor t) {
        Tensor c = contiguous(t);
        try {
            Tensor h = Tensor.zeros(t.dtype(), t.shape());
            int n = t.numel();
            if (n > 0) {
                if (t.dtype() == DType.F32) driver.download(addr(c), h.host().f32, 0, n);
                else driver.download(addr(c), h.host().f64, 0, n);
            }
            return h;
        } finally {
            freeIfCopy(c, t);
        }
    }

    @Override public Tensor fromHost(Tensor t) {
        if (!(t.storage() instanceof HostStorage)) throw new IllegalArgumentException("fromHost: tensor is on " + t.device());
        Tensor h = t.isContiguous() ? t : t.copy();
        Tensor d = alloc(t.dtype(), t.shape());
        int n = t.numel();
        if (n > 0) {
            HostStorage hs = h.host();
            if (t.dtype() == DType.F32) driver.upload(addr(d), hs.f32, h.offset(), n);
            else driver.upload(addr(d), hs.f64, h.offset(), n);
        }
        return d;
    }

    /** dst[view] = src[view] (same shape and dtype; must not share storage). */
    private void copyView(Tensor src, Tensor dst) {
        launch1d(Kernels.COPY.of(src.dtype()), src.numel(), new KernelArgs()
                .ints(CudaView.of(src)).ptr(base(src)).ints(CudaView.of(dst)).ptr(base(dst)).i32(src.numel()));
    }

    @Override public Tensor copy(Tensor x) {
        Tensor out = alloc(x.dtype(), x.shape());
        if (x.numel() == 0) return out;
        if (x.isContiguous()) driver.copy(addr(out), addr(x), (long) x.numel() * x.dtype().bytes());
        else copyView(x, out);
        return out;
    }

    @Override public Tensor convert(Tensor x, DType dtype) {
        if (dtype == x.dtype()) return copy(x);
        Tensor out = alloc(dtype, x.shape());
        Kernel k = x.dtype() == DType.F32 ? Kernels.CONVERT_F32_F64 : Kernels.CONVERT_F64_F32;
        launch1d(k, x.numel(), new KernelArgs().ints(CudaView.of(x)).ptr(base(x)).ptr(addr(out)).i32(x.numel()));
        return out;
    }

    @Override public void copyInto(Tensor src, Tensor dst) {
        if (src.numel() == 0) return;
        if (storage(src) == storage(dst)) {   // may overlap: read everything first, as the reference does
            Tensor tmp = temp(src.dtype(), src.shape());
            copyView(src, tmp);
            copyView(tmp, dst);
            free(tmp);
        } else {
            copyView(src, dst);
        }
    }

    @Override public void fill(Tensor dst, double v) {
        launch1d(Kernels.FILL.of(dst.dtype()), dst.numel(), new KernelArgs()
                .ints(CudaView.of(dst)).ptr(base(dst)).i32(dst.numel()).scalar(dst.dtype(), v));
    }

    /** Uploads an int array into a temporary device buffer (free with {@link #free}). */
    private Tensor uploadInts(int[] values) {
        // an F32 buffer of the same byte size holds the ints; only kernels read it, as int*
        Tensor t = temp(DType.F32, Math.max(values.length, 1));
        if (values.length > 0) driver.upload(addr(t), values, 0, values.length);
        return t;
    }

    private static int prod(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }

    @Override public Tensor indexSelect(Tensor x, int dim, int[] index) {
        int[] shape = x.shape();
        int outer = prod(shape, 0, dim), inner = prod(shape, dim + 1, shape.length), dimIn = shape[dim];
        shape[dim] = index.length;
        Tensor out = alloc(x.dtype(), shape);
        if (out.numel() == 0) return out;
        Tensor xc = contiguous(x), idx = uploadInts(index);
        launch1d(Kernels.INDEX_SELECT.of(x.dtype()), out.numel(), new KernelArgs()
                .ptr(addr(xc)).ptr(addr(out)).ptr(addr(idx)).i32(outer).i32(dimIn).i32(index.length).i32(inner));
        free(idx);
        freeIfCopy(xc, x);
        return out;
    }

    @Override public void indexAdd(Tensor dst, int dim, int[] index, Tensor src) {
        if (src.numel() == 0) return;
        int[] shape = dst.shape();
        int outer = prod(shape, 0, dim), inner = prod(shape, dim + 1, shape.length);
        Tensor dc = contiguous(dst), sc = contiguous(src), idx = uploadInts(index);
        launch1d(Kernels.INDEX_ADD.of(dst.dtype()), outer * inner, new KernelArgs()
                .ptr(addr(dc)).ptr(addr(sc)).ptr(addr(idx)).i32(outer).i32(shape[dim]).i32(index.length).i32(inner));
        if (dc != dst) copyView(dc, dst);
        free(idx);
        freeIfCopy(dc, dst);
        freeIfCopy(sc, src);
    }

    // ================================================================== elementwise

    @Override public Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = alloc(x.dtype(), x.shape());
        launch1d(Kernels.UNARY.of(x.dtype()), x.numel(), new KernelArgs()
                .ints(CudaView.of(x)).ptr(base(x)).ptr(addr(out)).i32(x.numel()).i32(op.ordinal()));
        return out;
    }

    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(op.name(), a.shape(), b.shape());
        Tensor out = alloc(a.dtype(), shape);
        launch1d(Kernels.BINARY.of(a.dtype()), out.numel(), new KernelArgs()
                .ints(CudaView.of(a.expandView(shape))).ptr(base(a))
                .ints(CudaView.of(b.expandView(shape))).ptr(base(b))
                .ptr(addr(out)).i32(out.numel()).i32(op.ordinal()));
        return out;
    }

    @Override public Tensor affine(Tensor x, double scale, double shift) {
        Tensor out = alloc(x.dtype(), x.shape());
        launch1d(Kernels.AFFINE.of(x.dtype()), x.numel(), new KernelArgs()
                .ints(CudaView.of(x)).ptr(base(x)).ptr(addr(out)).i32(x.numel()).scalar(x.dtype(), scale).scalar(x.dtype(), shift));
        return out;
    }

    @Override public Tensor clamp(Tensor x, double lo, double hi) {
        Tensor out = alloc(x.dtype(), x.shape());
        launch1d(Kernels.CLAMP.of(x.dtype()), x.numel(), new KernelArgs()
                .ints(CudaView.of(x)).ptr(base(x)).ptr(addr(out)).i32(x.numel()).scalar(x.dtype(), lo).scalar(x.dtype(), hi));
        return out;
    }

    @Override public void addInPlace(Tensor acc, Tensor x) {
        launch1d(Kernels.ADD_INPLACE.of(acc.dtype()), acc.numel(), new KernelArgs()
                .ptr(addr(acc)).ints(CudaView.of(x)).ptr(base(x)).i32(acc.numel()));
    }

    @Override public Tensor biasAct(Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        Tensor out = alloc(x.dtype(), x.shape());
        launchBiasAct(x, b, addr(out), dim, act, alpha, gain, clamp);
        return out;
    }

    /** bias_act of x (any view) written to the contiguous buffer at out (x's own address for in place, x contiguous). */
    private void launchBiasAct(Tensor x, Tensor b, long out, int dim, Activation act, double alpha, double gain, double clamp) {
        int[] shape = x.shape();
        int dimSize = x.dim() == 0 ? 1 : shape[dim], inner = x.dim() == 0 ? 1 : prod(shape, dim + 1, shape.length);
        DType dt = x.dtype();
        launch1d(Kernels.BIAS_ACT.of(dt), x.numel(), new KernelArgs()
                .ints(CudaView.of(x)).ptr(base(x)).ptr(b == null ? 0 : addr(b)).i32(b == null ? 0 : b.stride(0))
                .ptr(out).i32(x.numel()).i32(dimSize).i32(inner).i32(act.ordinal())
                .scalar(dt, alpha).scalar(dt, gain).scalar(dt, clamp));
    }

    /**
     * The generator's noise + bias_act of a layer without gradient, written over x: x += r (r broadcast to x's
     * shape), then bias_act in place, each element read and written by the same thread. Two launches and no
     * allocation where the Backend default makes two tensors in three launches (measured on an H200: about 150 µs
     * of host time per call, the most of any op in a 256 px generate). The same arithmetic in the same order (x + r,
     * then + b, act, gain, clamp; float addition commutes exactly), so the same bits. A non-contiguous x takes the
     * default.
     */
    @Override public void addBiasActInPlace(Tensor x, Tensor r, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        if (!x.isContiguous() || x.numel() == 0) {
            Backend.super.addBiasActInPlace(x, r, b, dim, act, alpha, gain, clamp);
            return;
        }
        int[] shape = x.shape();
        Shapes.broadcast("addBiasActInPlace", shape, r.shape());   // r must broadcast to x's shape
        launch1d(Kernels.ADD_INPLACE.of(x.dtype()), x.numel(), new KernelArgs()
                .ptr(addr(x)).ints(CudaView.of(r.expandView(shape))).ptr(base(r)).i32(x.numel()));
        launchBiasAct(x, b, addr(x), dim, act, alpha, gain, clamp);
    }

    @Override public Tensor biasActBackward(Tensor gout, Tensor x, Tensor b, int dim, Activation act, double alpha, double gain, double clamp) {
        Tensor out = alloc(gout.dtype(), gout.shape());
        int[] shape = x.shape();
        int dimSize = x.dim() == 0 ? 1 : shape[dim], inner = x.dim() == 0 ? 1 : prod(shape, dim + 1, shape.length);
        DType dt = gout.dtype();
        launch1d(Kernels.BIAS_ACT_BACKWARD.of(dt), gout.numel(), new KernelArgs()
                .ints(CudaView.of(gout)).ptr(base(gout)).ints(CudaView.of(x)).ptr(base(x))
                .ptr(b == null ? 0 : addr(b)).i32(b == null ? 0 : b.stride(0)).ptr(addr(out)).i32(gout.numel())
                .i32(dimSize).i32(inner).i32(act.ordinal()).scalar(dt, alpha).scalar(dt, gain).scalar(dt, clamp));
        return out;
    }

    /**
     * StyleGAN2's noise injection: x [N, C, H, W] + noise [N or 1, 1, H, W] * strength (the binary ops'
     * broadcast, fused). Reference: {@code Ops.add(x, Ops.scale(noise, strength))}.
     */
    public Tensor noiseAdd(Tensor x, Tensor noise, double strength) {
        Shapes.requireRank("noiseAdd", "x", x, 4, "[N, C, H, W]");
        Shapes.requireRank("noiseAdd", "noise", noise, 4, "[N or 1, 1, H, W]");
        if ((noise.size(0) != 1 && noise.size(0) != x.size(0)) || noise.size(1) != 1 || noise.size(2) != x.size(2) || noise.size(3) != x.size(3)) {
            throw new IllegalArgumentException("noiseAdd: noise " + Shapes.str(noise.shape()) + " does not fit x " + Shapes.str(x.shape())
                    + "; expected [" + x.size(0) + " or 1, 1, " + x.size(2) + ", " + x.size(3) + "]");
        }
        Shapes.requireSameKind("noiseAdd", x, noise);
        Tensor xc = contiguous(x), nc = contiguous(noise);
        Tensor out = alloc(x.dtype(), x.shape());
        int hw = x.size(2) * x.size(3);
        launch1d(Kernels.NOISE_ADD.of(x.dtype()), x.numel(), new KernelArgs()
                .ptr(addr(xc)).ptr(addr(nc)).ptr(addr(out)).i32(x.numel()).i32(x.size(1)).i32(hw)
                .i32(noise.size(0) == 1 ? 0 : hw).scalar(x.dtype(), strength));
        freeIfCopy(xc, x);
        freeIfCopy(nc, noise);
        return out;
    }

    // ================================================================== reductions

    @Override public Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        int rank = x.dim();
        boolean[] reduce = new boolean[rank];
        for (int d : dims) reduce[d] = true;
        int[] shape = x.shape(), strides = x.strides();
        int nk = 0;
        for (int d = 0; d < rank; d++) if (!reduce[d]) nk++;
        int[] ks = new int[nk], kt = new int[nk], rs = new int[rank - nk], rt = new int[rank - nk];
        for (int d = 0, i = 0, j = 0; d < rank; d++) {
            if (reduce[d]) { rs[j] = shape[d]; rt[j++] = strides[d]; }
            else { ks[i] = shape[d]; kt[i++] = strides[d]; }
        }
        int[] outShape;
        if (keepdim) {
            outShape = shape.clone();
            for (int d : dims) outShape[d] = 1;
        } else {
            outShape = ks.clone();
        }
        int nOut = Shapes.numel(ks), nRed = Shapes.numel(rs);
        if (nOut == 0 || nRed == 0) return zeros(x.dtype(), outShape);
        Tensor out = alloc(x.dtype(), outShape);
        int[] kept = CudaView.of(ks, kt, x.offset()), red = CudaView.of(rs, rt, 0);
        DType dt = x.dtype();
        if (nRed <= 32 || (nOut >= 4096 && nRed <= 256)) {
            launch1d(Kernels.SUM_SMALL.of(dt), nOut, new KernelArgs()
                    .ints(kept).ints(red).ptr(base(x)).ptr(addr(out)).i32(nOut).i32(nRed));
            return out;
        }
        int chunks = nOut >= 256 || nRed < 65536 ? 1 : Math.max(1, Math.min(nRed / 16384, 1024 / nOut));
        if (chunks == 1) {
            launch(Kernels.SUM_ROWS.of(dt), nOut, 1, 1, THREADS, new KernelArgs()
                    .ints(kept).ints(red).ptr(base(x)).ptr(addr(out)).i32(nRed).i32(1));
            return out;
        }
        Tensor partial = temp(dt, nOut, chunks);
        launch(Kernels.SUM_ROWS.of(dt), (long) nOut * chunks, 1, 1, THREADS, new KernelArgs()
                .ints(kept).ints(red).ptr(base(x)).ptr(addr(partial)).i32(nRed).i32(chunks));
        launch(Kernels.SUM_ROWS.of(dt), nOut, 1, 1, THREADS, new KernelArgs()
                .ints(CudaView.of(new int[]{nOut}, new int[]{chunks}, 0)).ints(CudaView.of(new int[]{chunks}, new int[]{1}, 0))
                .ptr(addr(partial)).ptr(addr(out)).i32(chunks).i32(1));
        free(partial);
        return out;
    }

    // ================================================================== linear algebra

    @Override public Tensor matmul(Tensor a, Tensor b) {
        boolean batched = a.dim() == 3;
        Tensor a3 = batched ? a : a.unsqueezeView(0), b3 = batched ? b : b.unsqueezeView(0);
        int nb = a3.size(0), m = a3.size(1), k = a3.size(2), n = b3.size(2);
        Tensor out = alloc(a.dtype(), nb, m, n);
        if (out.numel() > 0) {
            Kernel kern = Kernels.MATMUL.of(a.dtype(), tf32);
            int bytes = a.dtype().bytes();
            for (int z0 = 0; z0 < nb; z0 += MAX_GRID_YZ) {
                int zn = Math.min(MAX_GRID_YZ, nb - z0);
                launch(kern, ceilDiv(n, 64), ceilDiv(m, 64), zn, THREADS, new KernelArgs()
                        .ptr(addr(a3) + (long) z0 * a3.stride(0) * bytes).ptr(addr(b3) + (long) z0 * b3.stride(0) * bytes)
                        .ptr(addr(out) + (long) z0 * m * n * bytes)
                        .i32(m).i32(n).i32(k).i32(a3.stride(0)).i32(a3.stride(1)).i32(a3.stride(2))
                        .i32(b3.stride(0)).i32(b3.stride(1)).i32(b3.stride(2)));
            }
        }
        return batched ? out : out.reshapeView(m, n);
    }

    // ================================================================== convolution

    @Override public Tensor conv2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = w.size(0), kh = w.size(2), kw = w.size(3), cg = c / groups;
        int ho = Shapes.convOut(h, kh, strideH, padH), wo = Shapes.convOut(wd, kw, strideW, padW);
        Tensor out = alloc(x.dtype(), n, o, ho, wo);
        if (out.numel() == 0) return out;
        Tensor xc = contiguous(x), wc = contiguous(w);
        ConvGeometry g = new ConvGeometry(n, c, h, wd, o, ho, wo, kh, kw, strideH, strideW, padH, padW, groups, cg * kh * kw, kh * kw);
        launch(Kernels.CONV2D.of(x.dtype(), tf32), ceilDiv(ho * wo, 64), ceilDiv(o / groups, 64), (long) n * groups, THREADS,
                new KernelArgs().ints(g.struct()).ptr(addr(xc)).ptr(addr(wc)).ptr(addr(out)));
        freeIfCopy(xc, x);
        freeIfCopy(wc, w);
        return out;
    }

    @Override public Tensor convTranspose2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int og = w.size(1), kh = w.size(2), kw = w.size(3), o = og * groups;
        int ho = Shapes.convTransposeOut(h, kh, strideH, padH), wo = Shapes.convTransposeOut(wd, kw, strideW, padW);
        Tensor out = alloc(x.dtype(), n, o, ho, wo);
        if (out.numel() == 0) return out;
        Tensor xc = contiguous(x), wc = contiguous(w);
        ConvGeometry g = new ConvGeometry(n, c, h, wd, o, ho, wo, kh, kw, strideH, strideW, padH, padW, groups, kh * kw, og * kh * kw);
        launchConvTranspose(Kernels.CONV_TRANSPOSE2D.of(x.dtype(), tf32), g,
                new KernelArgs().ints(g.struct()).ptr(addr(xc)).ptr(addr(wc)).ptr(addr(out)));
        freeIfCopy(xc, x);
        freeIfCopy(wc, w);
        return out;
    }

    /** Grid of a phase-split transposed conv: x covers the largest phase, z = N * groups * phases. */
    void launchConvTranspose(Kernel k, ConvGeometry g, KernelArgs args) {
        int phasePixels = ceilDiv(g.ho(), g.sh()) * ceilDiv(g.wo(), g.sw());
        launch(k, ceilDiv(phasePixels, 64), ceilDiv(g.o() / g.groups(), 64), (long) g.n() * g.groups() * g.sh() * g.sw(), THREADS, args);
    }

    @Override public Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int strideH, int strideW, int padH, int padW, int groups) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        int o = gout.size(1), ho = gout.size(2), wo = gout.size(3), cg = c / groups;
        Tensor out = alloc(x.dtype(), o, cg, kh, kw);
        if (out.numel() == 0) return out;
        Tensor xc = contiguous(x), gc = contiguous(gout);
        ConvGeometry g = new ConvGeometry(n, c, h, wd, o, ho, wo, kh, kw, strideH, strideW, padH, padW, groups, 0, 0);
        weightGrad(Kernels.CONV2D_WGRAD.of(x.dtype(), tf32), g, out, o / groups, cg * kh * kw, (long) n * ho * wo,
                (splits, splitStride, target) -> new KernelArgs().ints(g.struct()).ptr(addr(xc)).ptr(addr(gc)).ptr(target)
                        .i32(splits).i32(splitStride));
        freeIfCopy(xc, x);
        freeIfCopy(gc, gout);
        return out;
    }

    /** Arguments of a weight-gradient launch given its split count, split stride and output address. */
    interface SplitArgs { KernelArgs make(int splits, int splitStride, long target); }

    /**
     * Runs a weight-gradient GEMM (M x N per group, reduction length K) into out, splitting K over blocks when the
     * M x N tiles alone would leave the GPU idle: each split writes its partial sums to a workspace and
     * splitk_reduce adds them in split order (deterministic).
     */
    void weightGrad(Kernel k, ConvGeometry g, Tensor out, int m, int ncols, long kLen, SplitArgs args) {
        long tiles = (long) ceilDiv(m, 64) * ceilDiv(ncols, 64) * g.groups();
        long target = 2L * Math.max(driver.multiprocessors(), 1);
        int splits = (int) Math.max(1, Math.min(Math.min(ceilDiv((int) target, (int) Math.min(tiles, target)), 64), kLen / 512));
        int total = out.numel();
        if (splits == 1) {
            launch(k, ceilDiv(ncols, 64), ceilDiv(m, 64), g.groups(), THREADS, args.make(1, 0, addr(out)));
            return;
        }
        Tensor ws = temp(out.dtype(), splits, total);
        launch(k, ceilDiv(ncols, 64), ceilDiv(m, 64), (long) g.groups() * splits, THREADS, args.make(splits, total, addr(ws)));
        launch1d(Kernels.SPLITK_REDUCE.of(out.dtype()), total, new KernelArgs().ptr(addr(ws)).ptr(addr(out)).i32(splits).i32(total));
        free(ws);
    }

    // ================================================================== modulated convolution (StyleGAN2)

    /**
     * StyleGAN2's modulated convolution, stride 1: x [N, C, H, W], weight [O, C, kh, kw], styles [N, C] ->
     * {out [N, O, Ho, Wo], d [N, O] or null}, out = d[n, o] * conv2d(x * styles[n, c], weight, padding) with
     * d = rsqrt(sum_{c,i,j} (weight styles)^2 + 1e-8) when demodulating. Keep d for {@link #modulatedConvBackward}.
     * Equals NVlabs modulated_conv2d (fused_modconv or not) with up = 1.
     */
    public Tensor[] modulatedConv2d(Tensor x, Tensor weight, Tensor styles, boolean demodulate, int padding) {
        return ModulatedConv.forward(this, x, weight, styles, demodulate, false, padding);
    }

    /**
     * The up-sampling variant: modulated conv_transpose2d with stride 2 and padding 0 (weight [O, C, kh, kw] used as
     * the transposed conv's [C, O, kh, kw]): out [N, O, 2H + kh - 2, 2W + kw - 2]. StyleGAN2's conv0 follows it with
     * upfirdn2d(f, padding 1 each side, gain 4).
     */
    public Tensor[] modulatedConvTranspose2d(Tensor x, Tensor weight, Tensor styles, boolean demodulate) {
        return ModulatedConv.forward(this, x, weight, styles, demodulate, true, 0);
    }

    /**
     * Gradients of {@link #modulatedConv2d} (up false) or {@link #modulatedConvTranspose2d} (up true) from gout =
     * dL/dout, the forward's out and d: {dx, dweight, dstyles}, null where not asked for.
     */
    public Tensor[] modulatedConvBackward(Tensor gout, Tensor out, Tensor x, Tensor weight, Tensor styles, Tensor d,
                                          boolean up, int padding, boolean needX, boolean needWeight, boolean needStyles) {
        return ModulatedConv.backward(this, gout, out, x, weight, styles, d, up, padding, needX, needWeight, needStyles);
    }

    /**
     * The seam's modulated convolution on the fused kernels ({@link #modulatedConv2d(Tensor, Tensor, Tensor, boolean, int)},
     * or for up 2 {@link #modulatedConvTranspose2d} followed by the resample filter); a plan they do not cover (an
     * up-sampling conv whose transposed conv needs padding) runs the composed default. The precomputed parts of
     * the weight are not needed here.
     */
    @Override public Tensor[] modulatedConv2d(Tensor x, ModulatedWeight weight, Tensor styles, ModulatedConvSpec spec) {
        ModulatedConvPlan plan = spec.plan(x, weight.weight(), styles);
        if (!ModulatedConv.fuses(plan)) return Backend.super.modulatedConv2d(x, weight, styles, spec);
        return ModulatedConv.forward(this, x, weight.weight(), styles, plan, spec.demodulate());
    }

    /** The seam's modulated convolution backward on the fused kernels ({@link #modulatedConvBackward}); see {@link #modulatedConv2d(Tensor, ModulatedWeight, Tensor, ModulatedConvSpec)}. */
    @Override public Tensor[] modulatedConv2dBackward(Tensor gout, Tensor y, Tensor dcoef, Tensor x, ModulatedWeight weight, Tensor styles,
                                                      ModulatedConvSpec spec, boolean needX, boolean needWeight, boolean needStyles) {
        ModulatedConvPlan plan = spec.plan(x, weight.weight(), styles);
        if (!ModulatedConv.fuses(plan)) {
            return Backend.super.modulatedConv2dBackward(gout, y, dcoef, x, weight, styles, spec, needX, needWeight, needStyles);
        }
        return ModulatedConv.backward(this, gout, y, dcoef, x, weight.weight(), styles, plan, needX, needWeight, needStyles);
    }

    // ================================================================== resampling

    @Override public Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                                      int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), fh = f.size(0), fw = f.size(1);
        int outH = Math.floorDiv(h * upY + padY0 + padY1 - fh, downY) + 1;
        int outW = Math.floorDiv(w * upX + padX0 + padX1 - fw, downX) + 1;
        Tensor out = alloc(x.dtype(), n, c, outH, outW);
        if (out.numel() == 0) return out;
        Tensor xc = contiguous(x), fc = contiguous(f);
        int[] geom = {n * c, h, w, outH, outW, fh, fw, upX, upY, downX, downY, padX0, padY0, flipFilter ? 1 : 0};
        launch1d(Kernels.UPFIRDN2D.of(x.dtype()), out.numel(), new KernelArgs()
                .ints(geom).ptr(addr(xc)).ptr(addr(fc)).ptr(addr(out)).scalar(x.dtype(), gain));
        freeIfCopy(xc, x);
        freeIfCopy(fc, f);
        return out;
    }

    @Override public Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Tensor out = alloc(x.dtype(), n, c, outH, outW);
        if (out.numel() == 0 || x.numel() == 0) return out;
        Tensor xc = contiguous(x);
        launch1d(Kernels.RESIZE_BILINEAR.of(x.dtype()), out.numel(), new KernelArgs()
                .ptr(addr(xc)).ptr(addr(out)).i32(n * c).i32(h).i32(w).i32(outH).i32(outW).i32(alignCorners ? 1 : 0));
        freeIfCopy(xc, x);
        return out;
    }

    @Override public Tensor resizeBilinearBackward(Tensor gout, int inH, int inW, boolean alignCorners) {
        int n = gout.size(0), c = gout.size(1), outH = gout.size(2), outW = gout.size(3);
        Tensor dx = alloc(gout.dtype(), n, c, inH, inW);
        if (dx.numel() == 0) return dx;
        Tensor gc = contiguous(gout);
        launch1d(Kernels.RESIZE_BILINEAR_BACKWARD.of(gout.dtype()), dx.numel(), new KernelArgs()
                .ptr(addr(gc)).ptr(addr(dx)).i32(n * c).i32(inH).i32(inW).i32(outH).i32(outW).i32(alignCorners ? 1 : 0));
        freeIfCopy(gc, gout);
        return dx;
    }

    @Override public Tensor gridSample(Tensor x, Tensor grid, boolean alignCorners) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), ho = grid.size(1), wo = grid.size(2);
        Tensor out = alloc(x.dtype(), n, c, ho, wo);
        if (out.numel() == 0) return out;
        Tensor xc = contiguous(x), gc = contiguous(grid);
        launch1d(Kernels.GRID_SAMPLE.of(x.dtype()), n * ho * wo, new KernelArgs()
                .ptr(addr(xc)).ptr(addr(gc)).ptr(addr(out)).i32(n).i32(c).i32(h).i32(w).i32(ho).i32(wo).i32(alignCorners ? 1 : 0));
        freeIfCopy(xc, x);
        freeIfCopy(gc, grid);
        return out;
    }

    @Override public Tensor[] gridSampleBackward(Tensor gout, Tensor x, Tensor grid, boolean alignCorners, boolean needX, boolean needGrid) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), ho = grid.size(1), wo = grid.size(2);
        Tensor goc = contiguous(gout), gc = contiguous(grid);
        Tensor dx = null, dgrid = null;
        if (needX) {
            dx = zeros(x.dtype(), n, c, h, w);
            if (n * c > 0) {
                driver.launch(Kernels.GRID_SAMPLE_BACKWARD_X.of(x.dtype()), ceilDiv(n * c, 64), 1, 1, 64, 1, 1, new KernelArgs()
                        .ptr(addr(goc)).ptr(addr(gc)).ptr(addr(dx)).i32(n).i32(c).i32(h).i32(w).i32(ho).i32(wo).i32(alignCorners ? 1 : 0));
            }
        }
        if (needGrid) {
            dgrid = alloc(grid.dtype(), n, ho, wo, 2);
            Tensor xc = contiguous(x);
            launch1d(Kernels.GRID_SAMPLE_BACKWARD_GRID.of(x.dtype()), n * ho * wo, new KernelArgs()
                    .ptr(addr(goc)).ptr(addr(xc)).ptr(addr(gc)).ptr(addr(dgrid))
                    .i32(n).i32(c).i32(h).i32(w).i32(ho).i32(wo).i32(alignCorners ? 1 : 0));
            freeIfCopy(xc, x);
        }
        freeIfCopy(goc, gout);
        freeIfCopy(gc, grid);
        return new Tensor[]{dx, dgrid};
    }

    // ================================================================== search

    @Override public Tensor windowDistances(Tensor feat, Tensor f0, int y0, int y1, int x0, int x1) {
        int c = feat.size(0), h = feat.size(1), w = feat.size(2), wh = y1 - y0, ww = x1 - x0;
        Tensor out = alloc(feat.dtype(), wh, ww);
        Tensor fc = contiguous(feat), qc = contiguous(f0);
        launch1d(Kernels.WINDOW_DIST.of(feat.dtype()), wh * ww, new KernelArgs()
                .ptr(addr(fc)).ptr(addr(qc)).ptr(addr(out)).i32(c).i32(h).i32(w).i32(y0).i32(x0).i32(wh).i32(ww));
        freeIfCopy(fc, feat);
        freeIfCopy(qc, f0);
        return out;
    }

    /**
     * The tracker's window search in one launch (tracking.cu window_nearest, one block): reads back the index and
     * the two distances, bit-identical to the default ({@link WindowNearest#ofSquared} over the reference's
     * double-accumulated window distances).
     */
    @Override public WindowNearest windowNearest(Tensor feat, Tensor f0, int y0, int y1, int x0, int x1) {
        int c = feat.size(0), h = feat.size(1), w = feat.size(2), wh = y1 - y0, ww = x1 - x0;
        Tensor fc = contiguous(feat), qc = contiguous(f0), res = temp(DType.F32, 3);
        try {
            driver.launch(Kernels.WINDOW_NEAREST.of(feat.dtype()), 1, 1, 1, THREADS, 1, 1, new KernelArgs()
                    .ptr(addr(fc)).ptr(addr(qc)).ptr(addr(res)).i32(c).i32(h).i32(w).i32(y0).i32(x0).i32(wh).i32(ww));
            int[] r = new int[3];
            driver.download(addr(res), r, 0, 3);
            return new WindowNearest(r[0], Float.intBitsToFloat(r[1]), Float.intBitsToFloat(r[2]));
        } finally {
            free(res);
            freeIfCopy(fc, feat);
            freeIfCopy(qc, f0);
        }
    }

    /**
     * Index (row-major; the first on ties, as {@code Ops.argmin}) of the smallest element of a device tensor,
     * computed on the device: the tracker reads back one int instead of its window of distances.
     */
    public int argmin(Tensor t) {
        if (t.numel() == 0) throw new IllegalArgumentException("argmin of an empty tensor");
        Tensor tc = contiguous(t), idx = uploadInts(new int[]{0});
        driver.launch(Kernels.ARGMIN.of(t.dtype()), 1, 1, 1, THREADS, 1, 1, new KernelArgs().ptr(addr(tc)).i32(t.numel()).ptr(addr(idx)));
        int[] r = new int[1];
        driver.download(addr(idx), r, 0, 1);
        free(idx);
        freeIfCopy(tc, t);
        return r[0];
    }

    // ================================================================== optimizer

    @Override public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, long step, double lr, double b1, double b2, double eps) {
        double bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
        launch1d(Kernels.ADAM.of(p.dtype()), p.numel(), new KernelArgs()
                .ptr(addr(p)).ints(CudaView.of(g)).ptr(base(g)).ptr(addr(m)).ptr(addr(v)).i32(p.numel())
                .f64(lr / bc1).f64(b1).f64(b2).f64(Math.sqrt(bc2)).f64(eps));
    }
}
