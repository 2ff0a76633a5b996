package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CudaMemory} when the driver runs out: an allocation the driver refuses first gets back what unreachable
 * storages hold (a collection, then the Cleaner), and fails with one clear message only when live tensors hold the
 * memory. The driver here is a fake with a fixed capacity (no GPU needed; the emulator never runs out).
 */
class OutOfMemoryTest {
    /** A memory-only driver that holds at most {@code capacity} bytes. */
    static final class CappedDriver implements CudaDriver {
        final long capacity;
        long used, next = 1 << 20, refusals;
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        CappedDriver(long capacity) { this.capacity = capacity; }

        @Override public synchronized long malloc(long bytes) {
            if (used + bytes > capacity) {
                refusals++;
                throw new CudaOutOfMemoryException("cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY");
            }
            used += bytes;
            long a = next;
            next += bytes;
            sizes.put(a, bytes);
            return a;
        }

        @Override public synchronized void free(long address) { used -= sizes.remove(address); }
        @Override public String description() { return "a fake device of " + capacity + " bytes"; }
        @Override public int computeCapability() { return 0; }
        @Override public int multiprocessors() { return 1; }
        @Override public void upload(long dst, float[] src, int from, int count) { throw new UnsupportedOperationException(); }
        @Override public void upload(long dst, double[] src, int from, int count) { throw new UnsupportedOperationException(); }
        @Override public void upload(long dst, int[] src, int from, int count) { throw new UnsupportedOperationException(); }
        @Override public void download(long src, float[] dst, int from, int count) { throw new UnsupportedOperationException(); }
        @Override public void download(long src, double[] dst, int from, int count) { throw new UnsupportedOperationException(); }
        @Override public void download(long src, int[] dst, int from, int count) { throw new UnsupportedOperationException(); }
        @Override public void copy(long dst, long src, long bytes) { throw new UnsupportedOperationException(); }
        @Override public void zero(long dst, long bytes) { }
        @Override public void launch(Kernel k, int gx, int gy, int gz, int bx, int by, int bz, KernelArgs args) { throw new UnsupportedOperationException(); }
        @Override public void synchronize() { }
        @Override public void close() { }
    }

    @Test void aRefusedAllocationTakesBackWhatUnreachableStoragesHeld() {
        CappedDriver d = new CappedDriver(1 << 20);                   // room for 16 blocks of 64 KiB
        CudaMemory mem = new CudaMemory(d, 1L << 40);                  // a budget that never asks for a collection itself
        for (int i = 0; i < 100; i++) new CudaStorage(mem, DType.F32, 16384, false);   // 64 KiB each, dropped unscoped
        assertTrue(d.refusals >= 1, "the driver ran out at least once");
        assertTrue(mem.driverAllocations() <= 16, mem.driverAllocations() + " driver allocations for a 16-block device");
        System.gc();
        mem.trim();
    }

    @Test void memoryHeldByLiveTensorsFailsWithOneClearMessage() {
        CappedDriver d = new CappedDriver(1 << 20);
        CudaMemory mem = new CudaMemory(d, 1L << 40);
        List<CudaStorage> live = new ArrayList<>();
        for (int i = 0; i < 16; i++) live.add(new CudaStorage(mem, DType.F32, 16384, false));
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> new CudaStorage(mem, DType.F32, 16384, false));
        assertTrue(e.getMessage().startsWith("CUDA out of memory: cannot allocate 0.1 MiB with 1.0 MiB held by live tensors"), e.getMessage());
        assertTrue(e.getMessage().contains("a fake device of 1048576 bytes"), e.getMessage());
        assertEquals(16, live.size());
        for (CudaStorage s : live) s.close();
        assertEquals(0, mem.liveBytes());
    }
}
