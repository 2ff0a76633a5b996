package io.github.dragganjvm.cuda.internal;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The device allocator: a caching pool in front of cuMemAlloc. Blocks are rounded up to size classes (four per
 * power of two, at least 512 bytes, so at most 25% is wasted) and a released block waits in its class's free list
 * for the next request of that class, which is the common case in a training or drag loop whose shapes repeat every
 * step. Because every kernel runs on one stream, a block can be reused as soon as it is released: the kernels that
 * read it are ordered before the kernels of its next owner.
 *
 * <p>Counters tests and benchmarks read: {@link #liveBytes()} (held by live storages), {@link #pooledBytes()}
 * (cached, free for reuse), {@link #peakBytes()}. {@link #trim()} returns the cache to the driver. When the device
 * is full an allocation trims the pool, lets the garbage collector release unreachable unscoped storages, and
 * retries once before failing with a message giving these numbers.
 *
 * <p>Unscoped storages return to the pool only when the garbage collector finds them unreachable, and a drag or
 * generate loop makes little Java garbage, so collections are rare: measured on an H200, a 30-step 512 px drag asked
 * the driver 3,319 times and held 7.3 GiB. So a miss that would make the memory held (live and pooled) exceed what
 * was live after the last collection by more than {@link #reclaimBudget()} (default 2 GiB,
 * {@code -Ddraggan.cuda.reclaimAfterMiB}) first asks for a collection and takes its block from what the Cleaner
 * returns, as the JDK does for direct buffers beyond their limit. The memory held then stays within the budget of
 * what is really live; the price is one collection per budget of garbage (a few to a few tens of milliseconds).
 */
public final class CudaMemory {
    private final CudaDriver driver;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private final long reclaimBudget;
    private long live, pooled, peak, mallocs, liveAfterCollection, collections;

    /** Default of {@code -Ddraggan.cuda.reclaimAfterMiB}. */
    static final long DEFAULT_RECLAIM_MIB = 2048;
    /** The longest a miss waits for the Cleaner after a collection before it asks the driver. */
    private static final long RECLAIM_WAIT_NANOS = 50_000_000L;
    /** How long an allocation the driver refused waits for the Cleaner before the out-of-memory error. */
    private static final long OOM_WAIT_NANOS = 200_000_000L;

    CudaMemory(CudaDriver driver) { this(driver, Long.getLong("draggan.cuda.reclaimAfterMiB", DEFAULT_RECLAIM_MIB) << 20); }

    /** A pool that asks for a collection before it holds more than reclaimBudget bytes beyond what was live after the last one. */
    CudaMemory(CudaDriver driver, long reclaimBudget) {
        if (reclaimBudget <= 0) throw new IllegalArgumentException("CudaMemory: reclaim budget must be > 0 bytes but is " + reclaimBudget);
        this.driver = driver;
        this.reclaimBudget = reclaimBudget;
    }

    /** The size class a request of {@code bytes} is served from. */
    public static long sizeClass(long bytes) {
        if (bytes <= 512) return 512;
        int log2 = 63 - Long.numberOfLeadingZeros(bytes);
        long step = Math.max(512, 1L << Math.max(0, log2 - 2));
        return (bytes + step - 1) / step * step;
    }

    /** A block of at least {@code bytes} (> 0) bytes. */
    long allocate(long bytes) {
        long size = sizeClass(bytes);
        Long reused = takeFromPool(size);
        if (reused != null) return reused;
        if (overBudget(size)) {
            synchronized (this) { collections++; }
            reused = reclaim(size, RECLAIM_WAIT_NANOS, true);
            if (reused != null) return reused;
        }
        long address;
        try {
            address = driver.malloc(size);
        } catch (CudaOutOfMemoryException first) {
            trim();
            reused = reclaim(size, OOM_WAIT_NANOS, false);  // unreachable unscoped storages go back to the pool
            if (reused != null) return reused;
            trim();
            try {
                address = driver.malloc(size);
            } catch (CudaOutOfMemoryException again) {
                throw new CudaOutOfMemoryException("CUDA out of memory: cannot allocate " + mib(size) + " with " + mib(liveBytes())
                        + " held by live tensors (close CudaScopes or free tensors you no longer need) on " + driver.description());
            }
        }
        synchronized (this) {
            mallocs++;
            live += size;
            peak = Math.max(peak, live);
        }
        return address;
    }

    private synchronized boolean overBudget(long size) { return live + pooled + size > liveAfterCollection + reclaimBudget; }

    /**
     * Asks the garbage collector for the unreachable storages and waits for the Cleaner to return them: until a block
     * of this size class comes back, or {@code waitNanos} passed, or (when {@code untilStable}) the pool has stopped
     * growing for a few milliseconds. Returns that block, or null (the caller then asks the driver). The budget path
     * stops when the pool is stable; after the driver's out-of-memory error the whole wait is worth it.
     */
    private Long reclaim(long size, long waitNanos, boolean untilStable) {
        System.gc();
        long deadline = System.nanoTime() + waitNanos, seen = -1;
        int still = 0;
        Long reused = null;
        while (reused == null && System.nanoTime() < deadline && !(untilStable && still >= 3)) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            reused = takeFromPool(size);
            long p = pooledBytes();
            still = p == seen ? still + 1 : 0;
            seen = p;
        }
        synchronized (this) { liveAfterCollection = live - (reused != null ? size : 0); }
        return reused;
    }

    private synchronized Long takeFromPool(long size) {
        ArrayDeque<Long> q = free.get(size);
        if (q == null || q.isEmpty()) return null;
        pooled -= size;
        live += size;
        peak = Math.max(peak, live);
        return q.pop();
    }

    /** Returns a block (from {@link #allocate} with the same byte count) to the pool. Thread-safe (the Cleaner calls it). */
    synchronized void release(long address, long bytes) {
        long size = sizeClass(bytes);
        live -= size;
        pooled += size;
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(address);
    }

    /** Frees every cached block back to the driver (after waiting for the device). */
    public synchronized void trim() {
        if (pooled == 0) return;
        driver.synchronize();
        for (ArrayDeque<Long> q : free.values()) for (long a : q) driver.free(a);
        free.clear();
        pooled = 0;
    }

    /** Bytes held by storages that are alive (not closed, not collected). */
    public synchronized long liveBytes() { return live; }

    /** Bytes cached in the pool, free for reuse. */
    public synchronized long pooledBytes() { return pooled; }

    /** The largest {@link #liveBytes()} seen. */
    public synchronized long peakBytes() { return peak; }

    /** Number of allocations that reached the driver (cache misses). */
    public synchronized long driverAllocations() { return mallocs; }

    /** Number of collections asked for because the memory held would have exceeded the live memory by {@link #reclaimBudget()}. */
    public synchronized long collections() { return collections; }

    /** Bytes the pool may hold beyond what was live after the last collection. */
    public long reclaimBudget() { return reclaimBudget; }

    static String mib(long bytes) { return String.format("%.1f MiB", bytes / 1048576.0); }
}
