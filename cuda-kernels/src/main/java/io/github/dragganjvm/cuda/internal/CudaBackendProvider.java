package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.Backend;
import io.github.dragganjvm.tensor.BackendProvider;

/** Registers the CUDA backend with {@code io.github.dragganjvm.tensor.Backends} through {@link java.util.ServiceLoader}. */
public final class CudaBackendProvider implements BackendProvider {
    @Override public String name() { return "cuda"; }

    /** The shared {@link CudaBackend}; throws with a one-line reason (no driver, no device, PTX failed to load). */
    @Override public Backend create() {
        CudaBackend be = CudaRuntime.backend();
        if (Boolean.getBoolean("draggan.profile")) {      // beside the op table: how often the pool missed
            CudaMemory m = be.memory();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.printf(java.util.Locale.ROOT,
                    "draggan profile: CUDA memory: %d driver allocations, %d collections asked for, peak %.1f MiB, %.1f MiB live and %.1f MiB pooled at exit%n",
                    m.driverAllocations(), m.collections(), m.peakBytes() / 1048576.0, m.liveBytes() / 1048576.0, m.pooledBytes() / 1048576.0), "draggan-profile-cuda"));
        }
        return be;
    }
}
