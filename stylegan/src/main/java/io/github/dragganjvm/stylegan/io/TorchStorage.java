package io.github.dragganjvm.stylegan.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * A torch storage: a typed flat buffer that tensors view. Its bytes are read only when a tensor that is needed
 * is materialised, and only after the claimed size has been checked against the bytes that really exist.
 */
abstract class TorchStorage {
    /** Element type. */
    abstract TorchDType dtype() throws IOException;

    /** Elements, as the file claims them (checked against the data before reading). */
    abstract long numel() throws IOException;

    /**
     * The bytes of elements [first, first + count) in the file's byte order, positioned at 0 (exactly count *
     * dtype.bytes bytes; only those are read).
     */
    abstract ByteBuffer data(long first, long count) throws IOException;

    /** All numel * dtype.bytes bytes. */
    final ByteBuffer data() throws IOException { return data(0, numel()); }

    /**
     * Checks, without reading or allocating, that the elements this storage claims exist in the file: after this,
     * {@link #data} of any range within numel reads bytes that are there.
     */
    abstract void verify() throws IOException;

    /**
     * Where the bytes of elements [first, first + count) lie: in which file, array or zip entry ({@code place},
     * compared with equals) and at which byte offset in it. Two tensors whose places overlap read the same bytes,
     * whatever storage objects the pickle made for them.
     */
    abstract Place place(long first, long count) throws IOException;

    /** Bytes [offset, offset + length) of a base (a file or array source's {@link ByteSource#baseKey()}, or a zip entry). */
    record Place(Object base, long offset, long length) {}

    /** Refuses a range outside [0, numel). */
    final void checkRange(long first, long count) throws IOException {
        if (first < 0 || count < 0 || first > numel() - count) {
            throw new CheckpointException(describe() + ": read of elements [" + first + ", " + (first + count) + ") outside its " + numel() + " elements");
        }
    }

    /** Where the storage lives, for messages. */
    abstract String describe();

    /** Checks that numel elements of dtype fit in available bytes, without allocating anything. */
    static void checkFits(String what, TorchDType dtype, long numel, long available) throws CheckpointException {
        if (numel < 0) throw new CheckpointException(what + ": negative element count " + numel);
        if (numel > Long.MAX_VALUE / 8 || numel * dtype.bytes > available) {
            throw new CheckpointException(what + ": storage claims " + numel + " " + dtype.storageClass + " elements ("
                    + (numel > Long.MAX_VALUE / 8 ? "over 2^60" : String.valueOf(numel * dtype.bytes)) + " bytes) but only "
                    + available + " bytes of data exist");
        }
        if (numel * dtype.bytes > Integer.MAX_VALUE - 16) {
            throw new CheckpointException(what + ": storage of " + numel + " elements is larger than 2 GiB, which this loader does not support");
        }
    }

    /**
     * A storage's persistent id as torch pickles it: ('storage', torch.XStorage, key, location, numel) in the zip
     * format, plus view_metadata (None or (view_key, offset, numel)) in the legacy format.
     */
    record Id(TorchDType dtype, String key, long numel, Object view) {
        static Id parse(Object pid, int length, String what) throws CheckpointException {
            if (pid instanceof Object[] t && t.length > 0 && "module".equals(t[0])) {
                throw new CheckpointException(what + ": this torch.save holds a whole pickled nn.Module (its source code); only state dicts are supported");
            }
            if (!(pid instanceof Object[] t) || t.length != length || !"storage".equals(t[0])) {
                throw new CheckpointException(what + ": persistent id must be a " + length + "-tuple ('storage', type, key, location, numel"
                        + (length == 6 ? ", view)" : ")") + ", got " + (pid instanceof Object[] t2 ? "a " + t2.length + "-tuple" : "a " + Py.typeName(pid)));
            }
            TorchDType dtype = AllowList.storageDType(t[1]);
            Long numel = Py.asLong(t[4]);
            if (dtype == null || !(t[2] instanceof String key) || numel == null || numel < 0) {
                throw new CheckpointException(what + ": malformed storage persistent id (type " + Py.typeName(t[1]) + ", key " + Py.describe(t[2])
                        + ", numel " + Py.describe(t[4]) + ")");
            }
            return new Id(dtype, key, numel, length == 6 ? t[5] : null);
        }

        /** The storage already made for this key (which must agree in type and size), or a new one. */
        <S extends TorchStorage> S intern(Map<String, S> made, java.util.function.Function<Id, S> make, String what) throws IOException {
            S s = made.get(key);
            if (s == null) {
                s = make.apply(this);
                made.put(key, s);
            } else if (s.dtype() != dtype || s.numel() != numel) {
                throw new CheckpointException(what + ": storage '" + SafeUnpickler.printable(key) + "' referenced with two different types or sizes");
            }
            return s;
        }
    }

    /** A storage whose bytes lie at a known place in a source (legacy files, embedded storages, zip entries read eagerly). */
    static final class Located extends TorchStorage {
        private final TorchDType dtype;
        private final long numel;
        private final ByteSource src;
        private final long offset;
        private final ByteOrder order;

        Located(TorchDType dtype, long numel, ByteSource src, long offset, ByteOrder order) throws CheckpointException {
            checkFits(src.name(), dtype, numel, src.size() - offset);
            this.dtype = dtype;
            this.numel = numel;
            this.src = src;
            this.offset = offset;
            this.order = order;
        }

        @Override TorchDType dtype() { return dtype; }
        @Override long numel() { return numel; }
        @Override void verify() {}  // checked when made
        @Override Place place(long first, long count) {
            return new Place(src.baseKey(), src.baseOffset() + offset + first * dtype.bytes, count * dtype.bytes);
        }
        @Override ByteBuffer data(long first, long count) throws IOException {
            checkRange(first, count);
            return ByteBuffer.wrap(src.readBytes(offset + first * dtype.bytes, (int) (count * dtype.bytes))).order(order);
        }
        @Override String describe() { return src.name() + " at byte " + offset; }
    }
}
