package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * numpy arrays and scalars as a pickle stores them, turned into F32 tensors with every claim checked before anything
 * is read or allocated.
 *
 * <p>Format: an array is {@code numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')} followed by BUILD
 * with the state {@code (version, shape, dtype, fortran_order, raw)}: shape a tuple of ints, dtype a
 * {@code numpy.dtype} ('f2', 'f4' or 'f8' here; byte order '&lt;', '|' or '=' little-endian, '&gt;' big-endian),
 * raw the elements as bytes, row-major (C order) unless fortran_order, then column-major. A scalar
 * ({@code numpy.float32(x)}) arrives as a Double from {@code numpy.core.multiarray.scalar} (see {@link AllowList}).
 */
final class NumpyArrays {
    private NumpyArrays() {}

    /**
     * A value that passed {@link #check}: its shape and, for an array, its element width, byte order, memory order
     * and bytes (a byte[] or a {@link Py.ByteSlice} of the file); for a scalar, the value.
     *
     * @param shape     the array's shape ([] for a scalar)
     * @param itemBytes 2, 4 or 8 (float16, float32, float64); 0 for a scalar
     * @param bigEndian the elements' byte order
     * @param fortran   column-major element order
     * @param data      byte[] or Py.ByteSlice of exactly numel * itemBytes bytes; null for a scalar
     * @param scalar    the scalar's value (arrays: NaN, unused)
     */
    record Checked(int[] shape, int itemBytes, boolean bigEndian, boolean fortran, Object data, double scalar) {
        long byteLength() { return data instanceof byte[] b ? b.length : data instanceof Py.ByteSlice s ? s.length() : 0; }
    }

    /**
     * Checks a pickled numpy array or float scalar without reading its data: a floating dtype of 2, 4 or 8 bytes, a
     * shape of at most {@link TensorRef#MAX_RANK} non-negative ints with fewer than 2^31 elements, and data of
     * exactly numel * itemsize bytes.
     *
     * @param value what the pickle holds for the variable (a {@link Py.NumpyArray} or a Double)
     * @param name  the variable's name, for messages
     * @param file  the file, for messages
     */
    static Checked check(Object value, String name, String file) throws CheckpointException {
        if (value instanceof Double d) return new Checked(new int[0], 0, false, false, null, d);
        if (!(value instanceof Py.NumpyArray a)) {
            throw new CheckpointException(file + ": " + name + " is a " + Py.typeName(value) + ", expected a float numpy array or numpy float scalar");
        }
        if (!(a.dtype instanceof Py.NumpyDtype dt)) {
            throw new CheckpointException(file + ": " + name + " is a numpy array without a dtype (got " + Py.typeName(a.dtype) + "); the array's state was not set");
        }
        int item = switch (dt.name) {
            case "f2" -> 2; case "f4" -> 4; case "f8" -> 8; default -> -1;
        };
        if (item < 0) {
            throw new CheckpointException(file + ": " + name + " is a numpy array of dtype '" + SafeUnpickler.printable(dt.name)
                    + "'; a float array (f2, f4 or f8) is needed");
        }
        boolean big = switch (dt.byteOrder) {
            case "<", "|", "=" -> false;
            case ">" -> true;
            default -> throw new CheckpointException(file + ": " + name + " has numpy byte order '" + SafeUnpickler.printable(dt.byteOrder) + "' (expected <, >, | or =)");
        };
        if (!(a.shape instanceof Object[] sz) || sz.length > TensorRef.MAX_RANK) {
            throw new CheckpointException(file + ": " + name + " has a numpy shape that is a " + Py.typeName(a.shape) + (a.shape instanceof Object[] t ? " of rank " + t.length : "")
                    + "; expected a tuple of at most " + TensorRef.MAX_RANK + " ints");
        }
        int[] shape = new int[sz.length];
        long numel = 1;
        for (int i = 0; i < sz.length; i++) {
            Long d = Py.asLong(sz[i]);
            if (d == null || d < 0 || d > Integer.MAX_VALUE) {
                throw new CheckpointException(file + ": " + name + " dimension " + i + " of its numpy shape is " + Py.describe(sz[i]) + " (expected an int in [0, 2^31))");
            }
            shape[i] = (int) (long) d;
            numel = numel > Integer.MAX_VALUE ? numel : numel * d;
        }
        if (numel > Integer.MAX_VALUE) throw new CheckpointException(file + ": " + name + " of numpy shape " + Arrays.toString(shape) + " has more than 2^31 elements");
        long have = a.data instanceof byte[] b ? b.length : a.data instanceof Py.ByteSlice s ? s.length() : -1;
        if (have < 0) throw new CheckpointException(file + ": " + name + " has numpy data that is a " + Py.typeName(a.data) + ", expected bytes");
        if (have != numel * item) {
            throw new CheckpointException(file + ": " + name + " of numpy shape " + Arrays.toString(shape) + " and dtype f" + item + " needs " + numel * item
                    + " bytes of data but holds " + have);
        }
        return new Checked(shape, item, big, a.fortranOrder, a.data, Double.NaN);
    }

    /**
     * Refuses two arrays that read the same bytes (one memoized byte string under two variables, or two slices of the
     * same place in the file): then the arrays together read each byte at most once, and reading costs no more than
     * the file's size. Call before reading any of them.
     */
    static void requireDistinct(Map<String, Checked> arrays, String file) throws CheckpointException {
        Map<Object, String> byArray = new IdentityHashMap<>();
        Map<Py.ByteSlice, String> bySlice = new HashMap<>();
        for (Map.Entry<String, Checked> e : arrays.entrySet()) {
            Object d = e.getValue().data();
            String before = d instanceof Py.ByteSlice s ? bySlice.putIfAbsent(s, e.getKey()) : d != null ? byArray.putIfAbsent(d, e.getKey()) : null;
            if (before != null) {
                throw new CheckpointException(file + ": variables " + before + " and " + e.getKey() + " share the same numpy data; each weight must have its own");
            }
        }
    }

    /**
     * Reads a checked value into a new contiguous F32 tensor of its shape (C order; float16 and float64 convert),
     * every value finite with |w| &lt; 2^64 ({@link WeightValues#require}).
     */
    static Tensor toF32(Checked c, String name, String file) throws IOException {
        if (c.data() == null) {
            float[] v = {(float) c.scalar()};
            WeightValues.require(file, name, c.shape(), v);
            return Tensor.of(v, c.shape());
        }
        int n = 1;
        for (int d : c.shape()) n *= d;
        byte[] raw = c.data() instanceof byte[] b ? b : read((Py.ByteSlice) c.data());
        ByteBuffer bb = ByteBuffer.wrap(raw).order(c.bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[n];
        if (!c.fortran() || c.shape().length < 2) {
            for (int i = 0; i < n; i++) out[i] = element(bb, c.itemBytes(), i);
        } else {
            int[] shape = c.shape();
            long[] stride = new long[shape.length];
            long s = 1;
            for (int d = 0; d < shape.length; d++) { stride[d] = s; s *= shape[d]; }
            int[] idx = new int[shape.length];
            for (int i = 0; i < n; i++) {
                long p = 0;
                for (int d = 0; d < shape.length; d++) p += idx[d] * stride[d];
                out[i] = element(bb, c.itemBytes(), (int) p);
                for (int d = shape.length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
            }
        }
        WeightValues.require(file, name, c.shape(), out);
        return Tensor.of(out, c.shape());
    }

    private static byte[] read(Py.ByteSlice s) throws IOException {
        return s.source().readBytes(s.offset(), s.length());
    }

    private static float element(ByteBuffer bb, int item, int i) {
        return switch (item) {
            case 2 -> Float.float16ToFloat(bb.getShort(2 * i));
            case 4 -> bb.getFloat(4 * i);
            default -> (float) bb.getDouble(8 * i);
        };
    }
}
