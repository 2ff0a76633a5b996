package io.github.dragganjvm.tensor;

import java.util.Arrays;

/** Shape arithmetic and argument checks shared by all ops. Errors name the op, the argument and both shapes. */
public final class Shapes {
    private Shapes() {}

    /**
     * Output size of a convolution along one axis, {@code (in + 2*pad - k) / stride + 1} (PyTorch's conv2d, dilation 1):
     * the one place every conv2d path computes it (Ops checks that the kernel fits first).
     */
    public static int convOut(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

    /**
     * Output size of a transposed convolution along one axis, {@code (in - 1)*stride - 2*pad + k} (PyTorch's
     * conv_transpose2d, no output padding, dilation 1): the one place every convTranspose2d path computes it.
     */
    public static int convTransposeOut(int in, int k, int stride, int pad) { return (in - 1) * stride - 2 * pad + k; }

    /** Product of the dimensions, checked to fit an int (host tensors are Java arrays). */
    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31 elements");
        }
        return (int) n;
    }

    /** Row-major (C order) strides of a shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /** The NumPy/PyTorch broadcast of two shapes (aligned at the right); fails naming the op. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast (dimension " + i + " of the result: " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Normalises a possibly negative dimension index; fails naming the op. */
    public static int dim(String op, int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new IllegalArgumentException(op + ": dim " + dim + " out of range for a tensor of rank " + rank);
        return d;
    }

    /** Requires the tensor to have the given rank. */
    public static void requireRank(String op, String arg, Tensor t, int rank, String layout) {
        if (t.dim() != rank) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' must have rank " + rank + " " + layout
                    + " but has shape " + Arrays.toString(t.shape()));
        }
    }

    /** Requires dimension d of t to equal expected. */
    public static void requireDim(String op, String arg, Tensor t, int d, int expected, String what) {
        if (t.size(d) != expected) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' dimension " + d + " (" + what + ") expected "
                    + expected + " but got " + t.size(d) + "; shape " + Arrays.toString(t.shape()));
        }
    }

    /** Requires exactly the given shape. */
    public static void requireShape(String op, String arg, Tensor t, int... expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' expected shape " + Arrays.toString(expected)
                    + " but got " + Arrays.toString(t.shape()));
        }
    }

    /** Requires both tensors to have the same dtype and device. */
    public static void requireSameKind(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) throw new IllegalArgumentException(op + ": dtype mismatch " + a.dtype() + " vs " + b.dtype());
        if (a.device() != b.device()) throw new IllegalArgumentException(op + ": device mismatch " + a.device() + " vs " + b.device());
    }

    /** Requires a finite value. */
    public static double requireFinite(String op, String arg, double v) {
        if (!Double.isFinite(v)) throw new IllegalArgumentException(op + ": argument '" + arg + "' must be finite but is " + v);
        return v;
    }

    /** Shape as "[1, 3, 256, 256]". */
    public static String str(int[] shape) { return Arrays.toString(shape); }
}
