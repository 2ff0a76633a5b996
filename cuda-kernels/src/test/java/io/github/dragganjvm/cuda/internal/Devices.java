package io.github.dragganjvm.cuda.internal;

import org.junit.jupiter.api.Assumptions;

/**
 * Where a kernel test runs: "gpu" (the real device; skipped, not failed, when there is none) or "emulator" (the
 * same kernels compiled for the CPU; skipped when g++ is missing, or with -Ddraggan.cuda.noEmulator=true as on the
 * GPU machine). Every kernel test runs on both.
 */
final class Devices {
    private Devices() {}

    static final String GPU = "gpu", EMULATOR = "emulator";

    static CudaBackend get(String which) {
        if (which.equals(GPU)) {
            String why = CudaRuntime.unavailableReason();
            Assumptions.assumeTrue(why == null, why);
            return CudaRuntime.backend();
        }
        Assumptions.assumeFalse(Boolean.getBoolean("draggan.cuda.noEmulator"), "emulator runs disabled (-Ddraggan.cuda.noEmulator)");
        String why = Emulator.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
        return Emulator.backend();
    }

    /**
     * Runs body with be as {@code Backends.current()} and the backend of CUDA tensors (so {@code Ops} on device
     * tensors, and models built meanwhile, use it), then makes the CPU backend current again.
     */
    static void asCurrent(CudaBackend be, Runnable body) {
        io.github.dragganjvm.tensor.Backend cpu = io.github.dragganjvm.tensor.Backends.cpu();
        io.github.dragganjvm.tensor.Backends.use(be);
        try {
            body.run();
        } finally {
            io.github.dragganjvm.tensor.Backends.use(cpu);
        }
    }

    /** A backend of its own (own memory pool and counters) on the same device, for memory accounting tests. */
    static CudaBackend fresh(String which) { return new CudaBackend(get(which).driver()); }
}
