package io.github.dragganjvm.cuda.internal;

/** The device has no room for an allocation (after the memory pool was trimmed and the GC had a chance). */
public final class CudaOutOfMemoryException extends RuntimeException {
    public CudaOutOfMemoryException(String message) { super(message); }
}
