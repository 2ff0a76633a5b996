package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Device;
import io.github.dragganjvm.tensor.Storage;

import java.lang.ref.Cleaner;

/**
 * A buffer of device memory that {@link io.github.dragganjvm.tensor.Tensor}s on {@link Device#CUDA} view.
 *
 * <p>Who frees it: the innermost {@link CudaScope} open on the allocating thread owns it and frees it when the
 * scope closes (unless {@link CudaScope#keep kept}); with no scope open it is unscoped and lives until
 * {@link #close()} or until it becomes unreachable, when a {@link Cleaner} returns it to the pool (a safety net,
 * not the plan: model weights are unscoped and long-lived, per-step work should run in a scope). Using a tensor
 * whose storage was freed fails with a message saying so.
 */
public final class CudaStorage extends Storage implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final DType dtype;
    private final long length;
    private final Block block;
    private final Cleaner.Cleanable cleanable;
    CudaScope owner;

    /** The device block and how to give it back; never references the storage, so the Cleaner can run. */
    private static final class Block implements Runnable {
        final CudaMemory memory;
        final long address, bytes;
        volatile boolean released;

        Block(CudaMemory memory, long address, long bytes) {
            this.memory = memory;
            this.address = address;
            this.bytes = bytes;
        }

        @Override public void run() {
            released = true;
            if (bytes > 0) memory.release(address, bytes);
        }
    }

    /** Allocates {@code length} elements (not zeroed) and registers with the current scope if one is open. */
    CudaStorage(CudaMemory memory, DType dtype, long length, boolean scoped) {
        this.dtype = dtype;
        this.length = length;
        long bytes = length * dtype.bytes();
        long address = bytes > 0 ? memory.allocate(bytes) : 0;
        this.block = new Block(memory, address, bytes);
        this.cleanable = CLEANER.register(this, block);
        if (scoped) CudaScope.adopt(this);
    }

    @Override public DType dtype() { return dtype; }
    @Override public long length() { return length; }
    @Override public Device device() { return Device.CUDA; }

    /** Device address of element 0; fails if the buffer was freed. */
    public long address() {
        if (block.released) {
            throw new IllegalStateException("CUDA buffer of " + length + " " + dtype + " elements was already freed (its CudaScope closed"
                    + " or it was closed); keep() tensors that must outlive their scope");
        }
        return block.address;
    }

    /** Bytes of device memory this buffer holds. */
    public long bytes() { return block.bytes; }

    /** True once freed. */
    public boolean isClosed() { return block.released; }

    /** Returns the memory to the pool now (idempotent). */
    @Override public void close() {
        CudaScope o = owner;
        if (o != null) {
            owner = null;
            o.forget(this);
        }
        cleanable.clean();
    }
}
