package io.github.dragganjvm.cuda.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * Finds out once per JVM whether a real GPU can run our kernels, and keeps the answer: the shared
 * {@link CudaBackend}, or a one-line reason why not. Steps: the NVIDIA driver library (libcuda.so.1) must load
 * (probed with the FFM API before JCuda is touched, so the common "no driver" case gives a short message instead of
 * JCuda's multi-line one); JCuda's native library must load; cuInit must see a device of compute capability 8.0+;
 * every committed PTX module must load. {@code -Ddraggan.cuda.disable=true} skips all of it.
 */
public final class CudaRuntime {
    private CudaRuntime() {}

    private static CudaBackend backend;
    private static String unavailable;
    private static boolean probed;

    /** The shared backend on device 0, or throws IllegalStateException with the one-line reason. */
    public static synchronized CudaBackend backend() {
        probe();
        if (backend == null) throw new IllegalStateException(unavailable);
        return backend;
    }

    /** Null when a GPU is usable, else why not (one line). */
    public static synchronized String unavailableReason() {
        probe();
        return unavailable;
    }

    public static boolean available() { return unavailableReason() == null; }

    private static void probe() {
        if (probed) return;
        probed = true;
        try {
            if (Boolean.getBoolean("draggan.cuda.disable")) throw new IllegalStateException("disabled by -Ddraggan.cuda.disable=true");
            String os = System.getProperty("os.name", "").toLowerCase();
            String driverLib = os.contains("win") ? "nvcuda.dll" : "libcuda.so.1";
            if (!os.contains("linux") && !os.contains("win")) throw new IllegalStateException("no NVIDIA CUDA driver on " + System.getProperty("os.name"));
            try {
                SymbolLookup.libraryLookup(driverLib, Arena.global());
            } catch (IllegalArgumentException | IllegalCallerException e) {
                throw new IllegalStateException("no NVIDIA driver: " + driverLib + " not found");
            }
            JCudaDevice device;
            try {
                device = new JCudaDevice(0);
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                throw new IllegalStateException("JCuda's native library did not load: " + firstLine(e.getMessage()));
            }
            backend = new CudaBackend(device);
        } catch (RuntimeException e) {
            unavailable = "CUDA unavailable: " + firstLine(e.getMessage());
        }
    }

    static String firstLine(String s) {
        if (s == null) return "(no message)";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
