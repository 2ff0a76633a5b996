package draggan.stylegan.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A torch storage: a typed flat buffer that tensors view. Its bytes are read only when a tensor that is needed
 * is materialised, and only after the claimed size has been checked against the bytes that really exist.
 */
abstract class TorchStorage {
    /** Element type. */
    abstract TorchDType dtype() throws IOException;

    /** Elements, as the file claims them (checked against the data before reading). */
    abstract long numel() throws IOException;

    /** Exactly numel * dtype.bytes bytes in the file's byte order, positioned at 0. */
    abstract ByteBuffer data() throws IOException;

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
        @Override ByteBuffer data() throws IOException {
            return ByteBuffer.wrap(src.readBytes(offset, (int) (numel * dtype.bytes))).order(order);
        }
        @Override String describe() { return src.name() + " at byte " + offset; }
    }
}
