package io.github.dragganjvm.tensor;

import java.util.Arrays;

/** Storage on the Java heap: a {@code float[]} for F32 or a {@code double[]} for F64 (exactly one is non-null). */
public final class HostStorage extends Storage {
    /** The F32 elements, or null for F64 storage. Kernels read and write this array directly. */
    public final float[] f32;
    /** The F64 elements, or null for F32 storage. */
    public final double[] f64;

    private HostStorage(float[] f32, double[] f64) {
        this.f32 = f32;
        this.f64 = f64;
    }

    /** Wraps (does not copy) an F32 array. */
    public static HostStorage wrap(float[] data) { return new HostStorage(data, null); }

    /** Wraps (does not copy) an F64 array. */
    public static HostStorage wrap(double[] data) { return new HostStorage(null, data); }

    /** A zero-filled buffer of {@code n} elements. */
    public static HostStorage allocate(DType dtype, int n) {
        return dtype == DType.F32 ? wrap(new float[n]) : wrap(new double[n]);
    }

    @Override public DType dtype() { return f32 != null ? DType.F32 : DType.F64; }

    @Override public long length() { return f32 != null ? f32.length : f64.length; }

    @Override public Device device() { return Device.CPU; }

    /** Element i widened to double. */
    public double get(int i) { return f32 != null ? f32[i] : f64[i]; }

    /** Stores v at element i, rounded to float for F32 storage. */
    public void set(int i, double v) {
        if (f32 != null) f32[i] = (float) v; else f64[i] = v;
    }

    /** Sets every element to v. */
    public void fill(double v) {
        if (f32 != null) Arrays.fill(f32, (float) v); else Arrays.fill(f64, v);
    }
}
