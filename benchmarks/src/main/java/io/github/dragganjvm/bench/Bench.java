package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Backend;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.VectorBackend;

/** Shared constants and helpers of the benchmarks. */
public final class Bench {
    private Bench() {}

    /** JVM flags every fork needs (use in {@code @Fork(jvmArgsAppend = {...})}). */
    public static final String ADD_MODULES = "--add-modules", VECTOR_MODULE = "jdk.incubator.vector";
    /** Silences the one-line backend log of the library. */
    public static final String QUIET = "-Ddraggan.quiet=true";

    public static final Backend VECTOR = new VectorBackend();
    public static final Backend REFERENCE = new ReferenceBackend();

    /** A seeded standard-normal F32 tensor. */
    public static Tensor randn(long seed, int... shape) { return Tensor.randn(DType.F32, seed, shape); }

    /** "a x b x c ..." -> {a, b, c, ...}; also accepts '@' as a separator ("512x512@32" -> {512, 512, 32}). */
    public static int[] dims(String size) {
        String[] parts = size.split("[x@]");
        int[] d = new int[parts.length];
        for (int i = 0; i < parts.length; i++) d[i] = Integer.parseInt(parts[i].trim());
        return d;
    }
}
