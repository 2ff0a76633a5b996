package io.github.dragganjvm.tensor.internal.reference;

import io.github.dragganjvm.tensor.Tensor;

/**
 * Walks the elements of any view in row-major order, yielding storage indices. The reference kernels use it so
 * they work on every stride pattern (transposes, slices, broadcasts) with one simple loop.
 */
public final class Cursor {
    private final int[] shape, strides, idx;
    private int pos;
    private final int n;
    private int count;

    public Cursor(Tensor t) {
        this.shape = t.shape();
        this.strides = t.strides();
        this.idx = new int[shape.length];
        this.pos = t.offset();
        this.n = t.numel();
    }

    /** True while elements remain. */
    public boolean hasNext() { return count < n; }

    /** The storage index of the next element. */
    public int next() {
        int p = pos;
        count++;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) {
                pos += strides[d];
                break;
            }
            pos -= strides[d] * (shape[d] - 1);
            idx[d] = 0;
        }
        return p;
    }

    /** The multi-index of the element the next call to {@link #next()} returns (do not modify). */
    public int[] index() { return idx; }
}
