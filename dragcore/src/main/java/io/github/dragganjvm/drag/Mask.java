package io.github.dragganjvm.drag;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;

/**
 * Which pixels may move. The user paints the <b>flexible</b> region; everything else is <b>fixed</b>
 * (the reference's mask m is 1 where fixed, 0 where flexible). A mask that is all flexible or all fixed adds no
 * loss term, as in the reference.
 */
public final class Mask {
    private final int size;
    private final boolean[] flexible;   // [size * size], row-major

    private Mask(int size, boolean[] flexible) {
        this.size = size;
        this.flexible = flexible;
    }

    /** Everything fixed (nothing painted yet). */
    public static Mask allFixed(int size) {
        if (size < 1) throw new IllegalArgumentException("mask size must be >= 1 but is " + size);
        return new Mask(size, new boolean[size * size]);
    }

    /** From a row-major flexible bitmap of size x size. */
    public static Mask ofFlexible(int size, boolean[] flexible) {
        if (flexible.length != size * size) throw new IllegalArgumentException("mask bitmap has " + flexible.length + " entries, expected " + size + "x" + size);
        return new Mask(size, flexible.clone());
    }

    /** Side length in pixels. */
    public int size() { return size; }

    /** Marks the box x0 &lt;= x &lt; x1, y0 &lt;= y &lt; y1 flexible; the box must lie inside the image and be non-empty. */
    public Mask withFlexibleBox(int x0, int y0, int x1, int y1) {
        if (x0 < 0 || y0 < 0 || x1 > size || y1 > size || x0 >= x1 || y0 >= y1) {
            throw new IllegalArgumentException("mask box " + x0 + "," + y0 + "," + x1 + "," + y1 + " must satisfy 0 <= x0 < x1 <= " + size + " and 0 <= y0 < y1 <= " + size);
        }
        boolean[] f = flexible.clone();
        for (int y = y0; y < y1; y++) Arrays.fill(f, y * size + x0, y * size + x1, true);
        return new Mask(size, f);
    }

    /** Paints (flexible = true) or erases a disc of the given radius around (x, y); parts off the image are ignored. */
    public Mask withBrush(double cx, double cy, double radius, boolean flexibleValue) {
        if (!Double.isFinite(cx) || !Double.isFinite(cy) || !(radius >= 0) || !Double.isFinite(radius)) {
            throw new IllegalArgumentException("brush needs a finite centre and radius >= 0 but got (" + cx + ", " + cy + ") r " + radius);
        }
        boolean[] f = flexible.clone();
        int y0 = (int) Math.max(0, Math.floor(cy - radius)), y1 = (int) Math.min(size - 1, Math.ceil(cy + radius));
        int x0 = (int) Math.max(0, Math.floor(cx - radius)), x1 = (int) Math.min(size - 1, Math.ceil(cx + radius));
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) f[y * size + x] = flexibleValue;
        return new Mask(size, f);
    }

    /** True at flexible pixels. */
    public boolean isFlexible(int x, int y) { return flexible[y * size + x]; }

    /** Number of flexible pixels. */
    public int flexibleCount() {
        int n = 0;
        for (boolean b : flexible) if (b) n++;
        return n;
    }

    /** The reference's condition for the mask term: m has both 0 and 1. */
    public boolean hasBothValues() {
        int n = flexibleCount();
        return n > 0 && n < flexible.length;
    }

    /** The reference's m: 1 where fixed, 0 where flexible, [size, size]. */
    public Tensor fixedTensor(DType dtype) {
        Tensor t = Tensor.zeros(dtype, size, size);
        for (int i = 0; i < flexible.length; i++) if (!flexible[i]) t.host().set(i, 1);
        return t;
    }

    /** A copy of the flexible bitmap (row-major). */
    public boolean[] flexibleBitmap() { return flexible.clone(); }

    /** Run-length encoding of the flexible bitmap (alternating runs, starting with fixed), for session files. */
    public int[] runLengths() {
        java.util.List<Integer> runs = new java.util.ArrayList<>();
        boolean cur = false;
        int n = 0;
        for (boolean b : flexible) {
            if (b == cur) n++;
            else {
                runs.add(n);
                cur = b;
                n = 1;
            }
        }
        runs.add(n);
        return runs.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Inverse of {@link #runLengths()}. */
    public static Mask fromRunLengths(int size, int[] runs) {
        boolean[] f = new boolean[size * size];
        int at = 0;
        boolean cur = false;
        for (int r : runs) {
            if (r < 0 || at + r > f.length) throw new IllegalArgumentException("mask run lengths do not fit a " + size + "x" + size + " mask");
            if (cur) Arrays.fill(f, at, at + r, true);
            at += r;
            cur = !cur;
        }
        if (at != f.length) throw new IllegalArgumentException("mask run lengths cover " + at + " pixels, expected " + f.length);
        return new Mask(size, f);
    }

    @Override public boolean equals(Object o) { return o instanceof Mask m && m.size == size && Arrays.equals(m.flexible, flexible); }

    @Override public int hashCode() { return 31 * size + Arrays.hashCode(flexible); }
}
