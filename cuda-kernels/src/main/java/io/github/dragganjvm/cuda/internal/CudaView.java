package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;

/**
 * Builds the {@code View} struct of common.cuh (rank, offset, shape[8], stride[8]) for a tensor view: dimensions of
 * size 1 are dropped and neighbours that are contiguous with each other merged (outer stride == inner stride *
 * inner size), which keeps the row-major element order. A contiguous tensor becomes rank 1 with stride 1, so the
 * kernel's index arithmetic costs one division.
 */
final class CudaView {
    private CudaView() {}

    static final int MAX_RANK = 8;

    static int[] of(Tensor t) { return of(t.shape(), t.strides(), t.offset()); }

    static int[] of(int[] shape, int[] strides, int offset) {
        int[] ns = new int[shape.length], nt = new int[shape.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (r > 0 && nt[r - 1] == strides[d] * shape[d]) {
                ns[r - 1] *= shape[d];
                nt[r - 1] = strides[d];
            } else {
                ns[r] = shape[d];
                nt[r++] = strides[d];
            }
        }
        if (r > MAX_RANK) {
            throw new IllegalArgumentException("CUDA kernels take views of at most " + MAX_RANK + " non-mergeable dimensions; got shape "
                    + Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " (copy it first)");
        }
        int[] v = new int[2 + 2 * MAX_RANK];
        v[0] = r;
        v[1] = offset;
        for (int i = 0; i < r; i++) {
            v[2 + i] = ns[i];
            v[2 + MAX_RANK + i] = nt[i];
        }
        return v;
    }
}
