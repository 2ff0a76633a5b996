package draggan.stylegan.io;

import draggan.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A pickled torch tensor (torch._utils._rebuild_tensor_v2): a view of a {@link TorchStorage} with offset, size and
 * stride, all in elements. Nothing is read until {@link #toF32} is called.
 */
final class TensorRef {
    static final int MAX_RANK = 16;

    final TorchStorage storage;
    final long offset;
    final int[] size;
    final long[] stride;

    TensorRef(TorchStorage storage, long offset, int[] size, long[] stride) {
        this.storage = storage;
        this.offset = offset;
        this.size = size;
        this.stride = stride;
    }

    /** Builds from _rebuild_tensor(_v2) arguments, checking every type and range (nothing is read yet). */
    static TensorRef fromArgs(Object storage, Object offset, Object size, Object stride, String source) throws CheckpointException {
        if (!(storage instanceof TorchStorage s)) {
            throw new CheckpointException(source + ": _rebuild_tensor_v2 expects a storage as its first argument, got " + Py.typeName(storage));
        }
        Long off = Py.asLong(offset);
        if (off == null || off < 0) throw new CheckpointException(source + ": _rebuild_tensor_v2 storage offset must be an int >= 0, got " + Py.typeName(offset));
        if (!(size instanceof Object[] sz) || !(stride instanceof Object[] st)) {
            throw new CheckpointException(source + ": _rebuild_tensor_v2 size and stride must be tuples, got " + Py.typeName(size) + " and " + Py.typeName(stride));
        }
        if (sz.length != st.length || sz.length > MAX_RANK) {
            throw new CheckpointException(source + ": _rebuild_tensor_v2 size of rank " + sz.length + " and stride of rank " + st.length
                    + " must match and be at most " + MAX_RANK);
        }
        int[] dims = new int[sz.length];
        long[] strides = new long[st.length];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            Long d = Py.asLong(sz[i]), t = Py.asLong(st[i]);
            if (d == null || d < 0 || d > Integer.MAX_VALUE || t == null || t < 0) {
                throw new CheckpointException(source + ": tensor dimension " + i + " has size " + Py.describe(sz[i]) + " and stride " + Py.describe(st[i])
                        + " (expected ints, size in [0, 2^31), stride >= 0)");
            }
            dims[i] = (int) (long) d;
            strides[i] = t;
            numel = numel > Integer.MAX_VALUE ? numel : numel * d;  // both factors < 2^31: no overflow
        }
        if (numel > Integer.MAX_VALUE) {
            throw new CheckpointException(source + ": tensor of shape " + Arrays.toString(dims) + " has more than 2^31 elements");
        }
        return new TensorRef(s, off, dims, strides);
    }

    long numel() {
        long n = 1;
        for (int d : size) n *= d;
        return n;
    }

    /**
     * Reads the tensor into a new contiguous F32 host tensor (float16, bfloat16 and float64 convert; integer types
     * are refused). name is the parameter's name, for messages.
     */
    Tensor toF32(String name, String source) throws IOException {
        try {
            return read(name, source);
        } catch (CheckpointException e) {
            if (e.getMessage().contains(name)) throw e;
            throw new CheckpointException(e.getMessage() + " (while reading " + name + ")", e);
        }
    }

    private Tensor read(String name, String source) throws IOException {
        TorchDType dt = storage.dtype();
        if (!dt.floating) {
            throw new CheckpointException(source + ": " + name + " is stored as " + dt.storageClass + "; a floating-point tensor is needed");
        }
        int n = (int) numel();
        float[] out = new float[n];
        if (n == 0) return Tensor.of(out, size);
        long last = offset;
        try {
            for (int i = 0; i < size.length; i++) last = Math.addExact(last, Math.multiplyExact(size[i] - 1L, stride[i]));
        } catch (ArithmeticException e) {
            last = Long.MAX_VALUE;
        }
        long have = storage.numel();
        if (last >= have) {
            throw new CheckpointException(source + ": " + name + " (shape " + Arrays.toString(size) + ", stride " + Arrays.toString(stride)
                    + ", offset " + offset + ") reaches element " + last + " of a storage of " + have + " elements (" + storage.describe() + ")");
        }
        ByteBuffer bb = storage.data();
        boolean contiguous = true;
        long expect = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expect) contiguous = false;
            expect *= size[i];
        }
        if (contiguous && dt == TorchDType.FLOAT32) {
            bb.position((int) offset * 4);
            bb.asFloatBuffer().get(out);
        } else if (contiguous) {
            for (int i = 0; i < n; i++) out[i] = element(bb, dt, (int) offset + i);
        } else {
            int[] idx = new int[size.length];
            for (int i = 0; i < n; i++) {
                long p = offset;
                for (int d = 0; d < size.length; d++) p += idx[d] * stride[d];
                out[i] = element(bb, dt, (int) p);
                for (int d = size.length - 1; d >= 0 && ++idx[d] == size[d]; d--) idx[d] = 0;
            }
        }
        return Tensor.of(out, size);
    }

    private static float element(ByteBuffer bb, TorchDType dt, int i) {
        return switch (dt) {
            case FLOAT32 -> bb.getFloat(4 * i);
            case FLOAT64 -> (float) bb.getDouble(8 * i);
            case FLOAT16 -> Float.float16ToFloat(bb.getShort(2 * i));
            case BFLOAT16 -> Float.intBitsToFloat((bb.getShort(2 * i) & 0xffff) << 16);
            default -> throw new IllegalStateException("not a float type: " + dt);
        };
    }
}
