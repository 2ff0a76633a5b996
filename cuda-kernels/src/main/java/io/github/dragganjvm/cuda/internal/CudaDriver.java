package io.github.dragganjvm.cuda.internal;

/**
 * The few things the CUDA backend needs from a device: memory, copies, kernel launches. Addresses are plain
 * {@code long}s. Two implementations: {@link JCudaDevice} (a real GPU through JCuda's driver API) and, in the tests,
 * an emulator that runs the same CUDA C sources compiled for the CPU. Every call is in stream order on one stream;
 * copies to the host wait for the kernels before them.
 */
public interface CudaDriver extends AutoCloseable {
    /** One line: device name, compute capability, memory. */
    String description();

    /** Compute capability as major*10 + minor (80 for an A100, 90 for an H100). */
    int computeCapability();

    /** Number of streaming multiprocessors (sizes split-K and grid choices). */
    int multiprocessors();

    /** Allocates device memory; throws {@link CudaOutOfMemoryException} when the device is full. */
    long malloc(long bytes);

    void free(long address);

    void upload(long dst, float[] src, int from, int count);
    void upload(long dst, double[] src, int from, int count);
    void upload(long dst, int[] src, int from, int count);

    void download(long src, float[] dst, int from, int count);
    void download(long src, double[] dst, int from, int count);
    void download(long src, int[] dst, int from, int count);

    void copy(long dst, long src, long bytes);

    /** Sets bytes to zero (0 bits is +0.0 for float and double). */
    void zero(long dst, long bytes);

    /** Launches a kernel; grid and block sizes as cuLaunchKernel. */
    void launch(Kernel k, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, KernelArgs args);

    /** Waits for everything launched so far. */
    void synchronize();

    @Override void close();
}
