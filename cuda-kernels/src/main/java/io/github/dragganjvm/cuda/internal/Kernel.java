package io.github.dragganjvm.cuda.internal;

/**
 * One CUDA kernel: the PTX module it lives in (the .cu file's base name under {@code src/main/cuda}) and its
 * {@code extern "C"} entry name. Instances are created once, in {@link Kernels}, which is the complete list of
 * what the Java side launches (a test checks every one exists in the committed PTX, and every PTX entry here).
 */
public record Kernel(String module, String name) {
    @Override public String toString() { return module + ".cu:" + name; }
}
