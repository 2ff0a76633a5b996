package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickled torch tensor (torch._utils._rebuild_tensor_v2): a view of a {@link TorchStorage} with offset, size and
 * stride, all in elements. Nothing is read until {@link #toF32} is called, and nothing is allocated before the layout
 * has been checked against the storage ({@link #checkLayout}, {@link #checkAll}).
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
     * Checks this tensor against its storage without reading or allocating anything, and returns the bytes it reads
     * (for overlap checks between tensors; length 0 for an empty tensor). Checked: a floating-point dtype;
     * the storage's claimed size against the bytes that exist; no dimension of size > 1 with stride 0, and no two
     * elements at the same place (sorted by stride, each stride exceeds the reach of the smaller ones, so the
     * tensor's elements are distinct: it never reads more elements than it has); the last element, offset + sum (size
     * - 1) * stride, computed without overflow, inside the storage. Sizes are >= 0 and strides >= 0 by construction.
     */
    TorchStorage.Place checkLayout(String name, String source) throws IOException {
        try {
            return layout(name, source);
        } catch (CheckpointException e) {
            throw named(e, name);
        }
    }

    /** The exception, with the tensor's name added when its message lacks it (a storage's own errors do not know it). */
    private static CheckpointException named(CheckpointException e, String name) {
        return e.getMessage().contains(name) ? e : new CheckpointException(e.getMessage() + " (while reading " + name + ")", e);
    }

    private TorchStorage.Place layout(String name, String source) throws IOException {
        TorchDType dt = storage.dtype();
        if (!dt.floating) {
            throw new CheckpointException(source + ": " + name + " is stored as " + dt.storageClass + "; a floating-point tensor is needed");
        }
        storage.verify();
        long n = numel();
        if (n == 0) return new TorchStorage.Place(storage, 0, 0);
        Integer[] order = new Integer[size.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Long.compare(stride[a], stride[b]));
        long reach = 0;   // largest offset the dimensions seen so far reach
        try {
            for (int i : order) {
                if (size[i] == 1) continue;
                if (stride[i] <= reach) {
                    throw new CheckpointException(source + ": " + name + " (shape " + Arrays.toString(size) + ", stride " + Arrays.toString(stride)
                            + ") has overlapping elements: dimension " + i + (stride[i] == 0 ? " has stride 0 (every index reads the same element)"
                            : " has stride " + stride[i] + ", within the reach " + reach + " of the dimensions with smaller strides")
                            + "; a weight's elements must be distinct");
                }
                reach = Math.addExact(reach, Math.multiplyExact(size[i] - 1L, stride[i]));
            }
        } catch (ArithmeticException e) {
            reach = Long.MAX_VALUE;
        }
        long have = storage.numel();
        if (reach == Long.MAX_VALUE || offset > have || reach >= have - offset) {
            throw new CheckpointException(source + ": " + name + " (shape " + Arrays.toString(size) + ", stride " + Arrays.toString(stride)
                    + ", offset " + offset + ") reaches element " + (reach == Long.MAX_VALUE || offset > Long.MAX_VALUE - reach ? "beyond 2^63" : offset + reach)
                    + " of a storage of " + have + " elements (" + storage.describe() + ")");
        }
        return storage.place(offset, reach + 1);
    }

    /**
     * Checks every tensor's layout ({@link #checkLayout}) and that no two of them read the same bytes of the file
     * or of the same zip entry (whatever storage objects the pickle made for them), all before any tensor data is
     * read. Then the tensors together read each byte at most once (what a torch zip's entries may inflate to is bounded
     * separately, see {@link WorkBudget#forZipData}), and allocate at most twice as many bytes as they read (float16
     * widens to float32): loading costs no more than the file's size warrants.
     *
     * @param refs   the tensors to be read, by the names messages use
     * @param prefix put before each name in messages (e.g. "D."), or ""
     */
    static void checkAll(Map<String, TensorRef> refs, String prefix, String source) throws IOException {
        Map<Object, List<Map.Entry<String, TorchStorage.Place>>> byBase = new HashMap<>();
        for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
            TorchStorage.Place p = e.getValue().checkLayout(prefix + e.getKey(), source);
            if (p.length() > 0) byBase.computeIfAbsent(p.base(), k -> new ArrayList<>()).add(Map.entry(prefix + e.getKey(), p));
        }
        for (List<Map.Entry<String, TorchStorage.Place>> places : byBase.values()) {
            places.sort(Comparator.comparingLong(x -> x.getValue().offset()));
            for (int i = 1; i < places.size(); i++) {
                TorchStorage.Place a = places.get(i - 1).getValue(), b = places.get(i).getValue();
                if (b.offset() < a.offset() + a.length()) {
                    throw new CheckpointException(source + ": tensors " + places.get(i - 1).getKey() + " and " + places.get(i).getKey()
                            + " read the same bytes (" + a.length() + " bytes at " + a.offset() + " and " + b.length() + " bytes at " + b.offset()
                            + " of the same data); each weight must have its own data");
                }
            }
        }
    }

    /**
     * Reads the tensor into a new contiguous F32 host tensor (float16, bfloat16 and float64 convert; integer types
     * are refused), after {@link #checkLayout}; only the storage elements it spans are read. Every value must pass
     * {@link WeightValues#require} (finite, |w| &lt; 2^64). name is the parameter's name, for messages.
     */
    Tensor toF32(String name, String source) throws IOException {
        try {
            return read(name, source);
        } catch (CheckpointException e) {
            throw named(e, name);
        }
    }

    private Tensor read(String name, String source) throws IOException {
        TorchStorage.Place place = checkLayout(name, source);
        TorchDType dt = storage.dtype();
        int n = (int) numel();
        float[] out = new float[n];
        if (n == 0) return Tensor.of(out, size);
        ByteBuffer bb = storage.data(offset, place.length() / dt.bytes);   // element offset + k is at k
        boolean contiguous = true;
        long expect = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expect) contiguous = false;
            expect *= size[i];
        }
        if (contiguous && dt == TorchDType.FLOAT32) {
            bb.asFloatBuffer().get(out);
        } else if (contiguous) {
            for (int i = 0; i < n; i++) out[i] = element(bb, dt, i);
        } else {
            int[] idx = new int[size.length];
            for (int i = 0; i < n; i++) {
                long p = 0;
                for (int d = 0; d < size.length; d++) p += idx[d] * stride[d];
                out[i] = element(bb, dt, (int) p);
                for (int d = size.length - 1; d >= 0 && ++idx[d] == size[d]; d--) idx[d] = 0;
            }
        }
        WeightValues.require(source, name, size, out);
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
