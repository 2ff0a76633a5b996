package io.github.dragganjvm.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense n-dimensional array: a {@link Storage} seen through a shape, strides (in elements) and an offset.
 *
 * <p><b>Views versus copies are visible in the name.</b> Methods ending in {@code View} ({@link #reshapeView},
 * {@link #permuteView}, {@link #sliceView}, {@link #expandView}, ...) return a tensor that shares this tensor's
 * storage: writes through one are seen by the other, and nothing is allocated but the small header. Methods
 * named {@code copy...}/{@code to...} allocate new storage. Nothing else allocates behind your back.
 *
 * <p>Layouts are row-major (C order) unless a view says otherwise; image tensors are {@code [N, C, H, W]}.
 * Tensors are created on the host; {@link #toDevice} moves them to another backend's device.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    /** Low-level constructor: views {@code storage} with the given geometry (checked to stay within bounds). */
    public Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        if (shape.length != strides.length) throw new IllegalArgumentException("shape and strides differ in rank");
        this.storage = storage;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
        checkBounds();
    }

    private void checkBounds() {
        long lo = offset, hi = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            if (shape[i] == 0) return;
            long ext = (long) (shape[i] - 1) * strides[i];
            if (ext < 0) lo += ext; else hi += ext;
        }
        if (lo < 0 || hi >= storage.length() && !(storage.length() == 0 && Shapes.numel(shape) == 0)) {
            throw new IllegalArgumentException("view " + Arrays.toString(shape) + " strides " + Arrays.toString(strides)
                    + " offset " + offset + " reaches outside storage of length " + storage.length());
        }
    }

    // ---------------------------------------------------------------- factories (host)

    /** A zero-filled F32 host tensor. */
    public static Tensor zeros(int... shape) { return zeros(DType.F32, shape); }

    /** A zero-filled host tensor of the given dtype. */
    public static Tensor zeros(DType dtype, int... shape) {
        return new Tensor(HostStorage.allocate(dtype, Shapes.numel(shape)), shape, Shapes.contiguousStrides(shape), 0);
    }

    /** A host tensor filled with v. */
    public static Tensor full(DType dtype, double v, int... shape) {
        Tensor t = zeros(dtype, shape);
        t.host().fill(v);
        return t;
    }

    /** Wraps (does not copy) an F32 array as a contiguous tensor of the given shape. */
    public static Tensor of(float[] data, int... shape) {
        if (data.length != Shapes.numel(shape)) {
            throw new IllegalArgumentException("Tensor.of: " + data.length + " elements do not fill shape " + Arrays.toString(shape));
        }
        return new Tensor(HostStorage.wrap(data), shape, Shapes.contiguousStrides(shape), 0);
    }

    /** Wraps (does not copy) an F64 array as a contiguous tensor of the given shape. */
    public static Tensor of(double[] data, int... shape) {
        if (data.length != Shapes.numel(shape)) {
            throw new IllegalArgumentException("Tensor.of: " + data.length + " elements do not fill shape " + Arrays.toString(shape));
        }
        return new Tensor(HostStorage.wrap(data), shape, Shapes.contiguousStrides(shape), 0);
    }

    /** A 0-dimensional tensor holding v. */
    public static Tensor scalar(DType dtype, double v) { return full(dtype, v); }

    /** Standard-normal host tensor from a seeded generator (for tests and random weights; not NumPy's stream). */
    public static Tensor randn(DType dtype, long seed, int... shape) {
        Tensor t = zeros(dtype, shape);
        SplittableRandom r = new SplittableRandom(seed);
        HostStorage h = t.host();
        int n = t.numel();
        for (int i = 0; i < n; i += 2) {
            // Box-Muller: two normals from two uniforms
            double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * Math.log(u1));
            h.set(i, rad * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) h.set(i + 1, rad * Math.sin(2 * Math.PI * u2));
        }
        return t;
    }

    /** Uniform [lo, hi) host tensor from a seeded generator. */
    public static Tensor uniform(DType dtype, long seed, double lo, double hi, int... shape) {
        Tensor t = zeros(dtype, shape);
        SplittableRandom r = new SplittableRandom(seed);
        HostStorage h = t.host();
        for (int i = 0; i < t.numel(); i++) h.set(i, lo + (hi - lo) * r.nextDouble());
        return t;
    }

    // ---------------------------------------------------------------- geometry

    public int[] shape() { return shape.clone(); }
    public int[] strides() { return strides.clone(); }
    public int offset() { return offset; }
    public int dim() { return shape.length; }
    public int size(int d) { return shape[Shapes.dim("size", d, shape.length)]; }
    public int stride(int d) { return strides[Shapes.dim("stride", d, shape.length)]; }
    public int numel() { return Shapes.numel(shape); }
    public DType dtype() { return storage.dtype(); }
    public Device device() { return storage.device(); }
    public Storage storage() { return storage; }

    /** The host storage; fails with a clear message for device tensors. */
    public HostStorage host() {
        if (storage instanceof HostStorage h) return h;
        throw new IllegalStateException("tensor " + Arrays.toString(shape) + " lives on " + device() + "; call toHost() first");
    }

    /** True when the elements are laid out row-major without gaps (dimensions of size 1 may have any stride). */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** Storage index of the element at the given multi-index. */
    public int index(int... idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("index of rank " + idx.length + " for tensor of rank " + shape.length);
        int p = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " outside shape " + Arrays.toString(shape));
            }
            p += idx[i] * strides[i];
        }
        return p;
    }

    /** The element at idx, widened to double (host tensors). */
    public double get(int... idx) { return host().get(index(idx)); }

    /** Sets the element at idx (host tensors). */
    public void set(double v, int... idx) {
        Ops.requireMutable("set", this);
        host().set(index(idx), v);
    }

    /**
     * Marks this tensor's storage constant (see {@link Storage#markConstant()}): backends may cache layouts derived
     * from it, such as a convolution weight's packed panels, and in-place ops refuse to change it. Returns this.
     */
    public Tensor markConstant() {
        storage.markConstant();
        return this;
    }

    /** Whether the storage is marked constant. */
    public boolean isConstant() { return storage.isConstant(); }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("item() of a tensor with shape " + Arrays.toString(shape));
        Tensor h = toHost();
        return h.host().get(h.offset);
    }

    // ---------------------------------------------------------------- views (share storage)

    /** Same elements, new shape; one dimension may be -1. Only for contiguous tensors (use {@link #copy()} first). */
    public Tensor reshapeView(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1, known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshapeView: more than one -1 in " + Arrays.toString(newShape));
                infer = i;
            } else known *= s[i];
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new IllegalArgumentException("reshapeView: cannot infer -1 in " + Arrays.toString(newShape) + " for " + numel() + " elements");
            }
            s[infer] = numel() / known;
        }
        if (Shapes.numel(s) != numel()) {
            throw new IllegalArgumentException("reshapeView: shape " + Arrays.toString(shape) + " (" + numel()
                    + " elements) cannot be viewed as " + Arrays.toString(newShape));
        }
        if (!isContiguous()) {
            throw new IllegalArgumentException("reshapeView: tensor " + Arrays.toString(shape) + " with strides "
                    + Arrays.toString(strides) + " is not contiguous; call copy() first");
        }
        return new Tensor(storage, s, Shapes.contiguousStrides(s), offset);
    }

    /** Reorders dimensions: result dim i is this tensor's dim perm[i]. */
    public Tensor permuteView(int... perm) {
        if (perm.length != shape.length) throw new IllegalArgumentException("permuteView: permutation " + Arrays.toString(perm) + " for rank " + shape.length);
        int[] ns = new int[perm.length], nt = new int[perm.length];
        boolean[] seen = new boolean[perm.length];
        for (int i = 0; i < perm.length; i++) {
            int p = Shapes.dim("permuteView", perm[i], shape.length);
            if (seen[p]) throw new IllegalArgumentException("permuteView: repeated dim in " + Arrays.toString(perm));
            seen[p] = true;
            ns[i] = shape[p];
            nt[i] = strides[p];
        }
        return new Tensor(storage, ns, nt, offset);
    }

    /** Swaps two dimensions. */
    public Tensor transposeView(int d0, int d1) {
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        d0 = Shapes.dim("transposeView", d0, shape.length);
        d1 = Shapes.dim("transposeView", d1, shape.length);
        perm[d0] = d1;
        perm[d1] = d0;
        return permuteView(perm);
    }

    /** Elements start..end-1 (end exclusive) along dim. */
    public Tensor sliceView(int dim, int start, int end) {
        int d = Shapes.dim("sliceView", dim, shape.length);
        if (start < 0 || end > shape[d] || start > end) {
            throw new IllegalArgumentException("sliceView: range [" + start + ", " + end + ") outside dimension " + d + " of size " + shape[d]);
        }
        int[] ns = shape.clone();
        ns[d] = end - start;
        return new Tensor(storage, ns, strides, offset + start * strides[d]);
    }

    /** The sub-tensor at index along dim, with that dimension removed. */
    public Tensor selectView(int dim, int index) {
        int d = Shapes.dim("selectView", dim, shape.length);
        if (index < 0 || index >= shape[d]) throw new IndexOutOfBoundsException("selectView: index " + index + " outside dimension " + d + " of size " + shape[d]);
        int[] ns = new int[shape.length - 1], nt = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == d) continue;
            ns[j] = shape[i];
            nt[j++] = strides[i];
        }
        return new Tensor(storage, ns, nt, offset + index * strides[d]);
    }

    /** Inserts a dimension of size 1 at dim. */
    public Tensor unsqueezeView(int dim) {
        int d = Shapes.dim("unsqueezeView", dim, shape.length + 1);
        int[] ns = new int[shape.length + 1], nt = new int[shape.length + 1];
        for (int i = 0, j = 0; i < ns.length; i++) {
            if (i == d) {
                ns[i] = 1;
                nt[i] = j < shape.length ? strides[j] * shape[j] : 1;
            } else {
                ns[i] = shape[j];
                nt[i] = strides[j++];
            }
        }
        return new Tensor(storage, ns, nt, offset);
    }

    /** Removes dimension dim, which must have size 1. */
    public Tensor squeezeView(int dim) {
        int d = Shapes.dim("squeezeView", dim, shape.length);
        if (shape[d] != 1) throw new IllegalArgumentException("squeezeView: dimension " + d + " has size " + shape[d] + ", not 1");
        return selectView(d, 0);
    }

    /** Broadcasts to a larger shape (aligned at the right) with stride 0 in the repeated dimensions. */
    public Tensor expandView(int... target) {
        if (target.length < shape.length) throw new IllegalArgumentException("expandView: cannot expand " + Arrays.toString(shape) + " to " + Arrays.toString(target));
        int[] nt = new int[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            if (i < lead) { nt[i] = 0; continue; }
            int s = shape[i - lead];
            if (s == target[i]) nt[i] = strides[i - lead];
            else if (s == 1) nt[i] = 0;
            else throw new IllegalArgumentException("expandView: dimension " + i + " of size " + s + " cannot expand to " + target[i]
                    + " (" + Arrays.toString(shape) + " -> " + Arrays.toString(target) + ")");
        }
        return new Tensor(storage, target, nt, offset);
    }

    // ---------------------------------------------------------------- copies

    /** A contiguous copy (always allocates). */
    public Tensor copy() { return Ops.copy(this); }

    /** This tensor if it is already contiguous, otherwise a contiguous copy: the name says it may allocate. */
    public Tensor contiguousOrCopy() { return isContiguous() ? this : copy(); }

    /** A contiguous copy converted to the given dtype (a copy even when the dtype is unchanged). */
    public Tensor copyAs(DType dtype) { return Ops.convert(this, dtype); }

    /** The elements in row-major order as a new float array. */
    public float[] toFloatArray() {
        Tensor c = toHost().copyAs(DType.F32);
        return c.host().f32;
    }

    /** The elements in row-major order as a new double array. */
    public double[] toDoubleArray() {
        Tensor c = toHost().copyAs(DType.F64);
        return c.host().f64;
    }

    /** This tensor if it is on the host, else a host copy. */
    public Tensor toHost() { return device() == Device.CPU ? this : Backends.forDevice(device()).toHost(this); }

    /** This tensor if it is on the device, else a copy there. */
    public Tensor toDevice(Device d) {
        if (device() == d) return this;
        if (d == Device.CPU) return toHost();
        return Backends.forDevice(d).fromHost(toHost());
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Arrays.toString(shape)).append(' ').append(dtype());
        if (device() != Device.CPU) return sb.append(" on ").append(device()).toString();
        if (numel() <= 16) {
            double[] v = toDoubleArray();
            sb.append(' ').append(Arrays.toString(v));
        }
        return sb.toString();
    }
}
