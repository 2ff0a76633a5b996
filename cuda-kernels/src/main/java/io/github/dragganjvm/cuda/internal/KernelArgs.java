package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;

import java.util.Arrays;

/**
 * The arguments of one kernel launch, in order, with their C types: device pointers, int, float, double, and
 * structs of ints passed by value ({@code View}, {@code ConvGeom}). A driver turns them into what its launch call
 * needs (cuLaunchKernel's array of pointers to values, or the emulator's). Not reused between launches.
 */
public final class KernelArgs {
    /** C type of an argument. */
    public enum Kind { PTR, I32, F32, F64, INTS }

    private Kind[] kinds = new Kind[16];
    private long[] bits = new long[16];
    private int[][] structs = new int[16][];
    private int n;

    private KernelArgs add(Kind k, long v, int[] s) {
        if (n == kinds.length) {
            kinds = Arrays.copyOf(kinds, n * 2);
            bits = Arrays.copyOf(bits, n * 2);
            structs = Arrays.copyOf(structs, n * 2);
        }
        kinds[n] = k;
        bits[n] = v;
        structs[n++] = s;
        return this;
    }

    /** A device pointer (0 for a null pointer). */
    public KernelArgs ptr(long address) { return add(Kind.PTR, address, null); }

    public KernelArgs i32(int v) { return add(Kind.I32, v, null); }

    public KernelArgs f32(float v) { return add(Kind.F32, Float.floatToRawIntBits(v), null); }

    public KernelArgs f64(double v) { return add(Kind.F64, Double.doubleToRawLongBits(v), null); }

    /** A scalar of the kernel's element type T: float for F32 kernels, double for F64 ones. */
    public KernelArgs scalar(DType dtype, double v) { return dtype == DType.F32 ? f32((float) v) : f64(v); }

    /** A struct of ints passed by value (its fields in declaration order). */
    public KernelArgs ints(int[] struct) { return add(Kind.INTS, 0, struct.clone()); }

    public int size() { return n; }
    public Kind kind(int i) { return kinds[i]; }
    /** The pointer or integer value, the float's or double's raw bits. */
    public long bits(int i) { return bits[i]; }
    public int[] struct(int i) { return structs[i]; }
}
