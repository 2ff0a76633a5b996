package io.github.dragganjvm.tensor;

/**
 * A flat buffer of elements that one or more {@link Tensor}s view. Host storage is a Java array
 * ({@link HostStorage}); device backends (the CUDA module) add their own subclasses.
 */
public abstract class Storage {
    /** Element type of every element in this buffer. */
    public abstract DType dtype();

    /** Number of elements. */
    public abstract long length();

    /** Where the elements live. */
    public abstract Device device();

    private volatile boolean constant;

    /**
     * Promises that the elements will not change from now on. Backends may then keep layouts derived from them
     * (packed GEMM panels, transformed convolution weights) across calls; the in-place ops of {@link Ops} refuse to
     * write to it. Writing the backing array directly breaks the promise: don't.
     */
    public void markConstant() { constant = true; }

    /** Whether {@link #markConstant()} was called. */
    public boolean isConstant() { return constant; }
}
