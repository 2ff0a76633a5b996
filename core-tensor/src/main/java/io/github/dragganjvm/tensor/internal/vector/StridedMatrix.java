package io.github.dragganjvm.tensor.internal.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * A matrix stored in a float array with any row and column strides: element (i, j) is
 * {@code data[off + i*rs + j*cs]}. A transposed view is the same array with the strides swapped, and costs nothing:
 * the packing loops pick the order that reads memory contiguously.
 */
public record StridedMatrix(float[] data, int off, int rs, int cs) implements Operand {
    private static final int MR = Sgemm.MR, NR = Sgemm.NR, VL = Sgemm.VL;
    private static final VectorSpecies<Float> S = Sgemm.S;

    @Override public void packA(int i0, int mc, int k0, int kc, float[] dst) {
        for (int p = 0, i = 0; i < mc; p++, i += MR) {
            int rows = Math.min(MR, mc - i), base = p * kc * MR;
            if (cs == 1 || rs != 1) {
                // row by row: contiguous reads along k when cs == 1
                for (int r = 0; r < rows; r++) {
                    int src = off + (i0 + i + r) * rs + k0 * cs;
                    for (int k = 0, d = base + r; k < kc; k++, d += MR, src += cs) dst[d] = data[src];
                }
            } else {
                // column-major source (a transposed view): MR contiguous reads per step k
                for (int k = 0; k < kc; k++) {
                    int src = off + (i0 + i) * rs + (k0 + k) * cs, d = base + k * MR;
                    for (int r = 0; r < rows; r++) dst[d + r] = data[src + r * rs];
                }
            }
            if (rows < MR) {
                for (int k = 0; k < kc; k++) Arrays.fill(dst, base + k * MR + rows, base + k * MR + MR, 0f);
            }
        }
    }

    @Override public void packB(int k0, int kc, int j0, int nc, float[] dst) {
        if (cs == 1) {
            // row-major source: read each row k once, left to right, dealing NR-float pieces to the panels
            // (panel p starts at p*NR*kc = j*kc); sequential reads matter when rows are far apart (large N)
            for (int k = 0; k < kc; k++) {
                int src = off + (k0 + k) * rs + j0, j = 0;
                for (; j + NR <= nc; j += NR) {
                    int d = j * kc + k * NR;
                    for (int v = 0; v < NR; v += VL) FloatVector.fromArray(S, data, src + j + v).intoArray(dst, d + v);
                }
                if (j < nc) {
                    int d = j * kc + k * NR;
                    System.arraycopy(data, src + j, dst, d, nc - j);
                    Arrays.fill(dst, d + nc - j, d + NR, 0f);
                }
            }
            return;
        }
        for (int p = 0, j = 0; j < nc; p++, j += NR) {
            int cols = Math.min(NR, nc - j), base = p * kc * NR;
            // column by column: contiguous reads along k when rs == 1 (a transposed view)
            for (int c = 0; c < cols; c++) {
                int src = off + k0 * rs + (j0 + j + c) * cs;
                for (int k = 0, d = base + c; k < kc; k++, d += NR, src += rs) dst[d] = data[src];
            }
            if (cols < NR) {
                for (int k = 0; k < kc; k++) Arrays.fill(dst, base + k * NR + cols, base + k * NR + NR, 0f);
            }
        }
    }
}
