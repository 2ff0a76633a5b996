package io.github.dragganjvm.tensor;

/** Element types. Models run in {@link #F32}; {@link #F64} exists for gradient checks and golden comparisons. */
public enum DType {
    F32(4), F64(8);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Size of one element in bytes. */
    public int bytes() { return bytes; }
}
