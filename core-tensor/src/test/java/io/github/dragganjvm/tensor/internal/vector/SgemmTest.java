package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The packed GEMM against the reference matmul, on sizes that hit every edge of the blocking. */
class SgemmTest {
    private final ReferenceBackend ref = new ReferenceBackend();
    private final VectorBackend vec = new VectorBackend();

    /** Sum of |a||b| products bounds the float rounding error of a dot product of length k. */
    private static double tol(int k) { return 1e-6 * Math.max(1, k); }

    @Test void awkwardShapes() {
        int[][] mnk = {{1, 1, 1}, {7, 33, 5}, {33, 7, 300}, {5, 1, 17}, {1, 40, 3}, {65, 70, 513},
                {Sgemm.MR + 1, Sgemm.NR + 1, Sgemm.KC + 1}, {Sgemm.MC + 3, 2 * Sgemm.NR - 1, 9}, {40, Sgemm.NC + 5, 20}};
        int seed = 0;
        for (int[] s : mnk) {
            Tensor a = Tensor.uniform(DType.F32, ++seed, -1, 1, s[0], s[2]), b = Tensor.uniform(DType.F32, ++seed, -1, 1, s[2], s[1]);
            Golden.assertClose("matmul " + s[0] + "x" + s[1] + "x" + s[2], ref.matmul(a, b), vec.matmul(a, b), tol(s[2]));
        }
    }

    @Test void transposedAndSlicedOperandsAreReadThroughTheirStrides() {
        Tensor a = Tensor.uniform(DType.F32, 1, -1, 1, 37, 29).transposeView(0, 1);          // [29, 37] column-major
        Tensor b = Tensor.uniform(DType.F32, 2, -1, 1, 50, 80).sliceView(1, 3, 76).sliceView(0, 5, 42); // [37, 73]
        Golden.assertClose("matmul a^T x b[slice]", ref.matmul(a, b), vec.matmul(a, b), tol(37));
        Tensor bt = Tensor.uniform(DType.F32, 3, -1, 1, 19, 37).transposeView(0, 1);         // [37, 19]
        Golden.assertClose("matmul a^T x b^T", ref.matmul(a, bt), vec.matmul(a, bt), tol(37));
    }

    @Test void batched() {
        for (int nb : new int[]{1, 3, 4}) {
            Tensor a = Tensor.uniform(DType.F32, nb, -1, 1, nb, 9, 33), b = Tensor.uniform(DType.F32, nb + 10, -1, 1, nb, 19, 33).transposeView(1, 2);
            Golden.assertClose("batched matmul B=" + nb, ref.matmul(a, b), vec.matmul(a, b), tol(33));
        }
    }

    @Test void accumulateAddsIntoCAndZeroDepthClears() {
        int m = 13, n = 21, k = 300;
        SplittableRandom r = new SplittableRandom(5);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n], c0 = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < c.length; i++) c[i] = c0[i] = (float) r.nextDouble(-1, 1);
        // C stored transposed (column stride m) to exercise the strided write-back as well
        Sgemm.gemm(m, n, k, new StridedMatrix(a, 0, k, 1), new StridedMatrix(b, 0, n, 1), c, 0, 1, m, true);
        double worst = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = c0[i + j * m];
                for (int q = 0; q < k; q++) s += (double) a[i * k + q] * b[q * n + j];
                worst = Math.max(worst, Math.abs(s - c[i + j * m]));
            }
        System.out.println("accumulate into transposed C: max |diff| " + worst);
        assertEquals(0, worst, tol(k));
        Sgemm.gemm(m, n, 0, new StridedMatrix(a, 0, k, 1), new StridedMatrix(b, 0, n, 1), c, 0, n, 1, false);
        for (float v : c) assertEquals(0f, v);
    }

    /** Both register tiles (the AVX-512 one and the AVX2 one) against a scalar product, whatever this CPU runs. */
    @Test void bothMicroKernels() {
        int kc = 37, nr = Sgemm.NR;
        for (int mr : new int[]{4, 8}) {
            SplittableRandom r = new SplittableRandom(mr);
            float[] a = new float[kc * mr], b = new float[kc * nr], c = new float[mr * nr + 3];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < c.length; i++) c[i] = 1f;
            if (mr == 4) Sgemm.kernel4(kc, a, 0, b, 0, c, 3, nr);
            else Sgemm.kernel8(kc, a, 0, b, 0, c, 3, nr);
            double worst = 0;
            for (int i = 0; i < mr; i++)
                for (int j = 0; j < nr; j++) {
                    double s = 0;
                    for (int q = 0; q < kc; q++) s += (double) a[q * mr + i] * b[q * nr + j];
                    worst = Math.max(worst, Math.abs(s - c[3 + i * nr + j]));
                }
            System.out.println("kernel " + mr + "x" + nr + ": max |diff| " + worst);
            assertEquals(0, worst, tol(kc));
            assertEquals(1f, c[0]);
        }
    }

    /**
     * A pre-packed A times a narrow B split by rows over a B packed once (the generator's small layers) gives the
     * same floats, bit for bit, as the single-threaded blocked product, with and without accumulating into C.
     */
    @Test void rowsOverSharedBMatchesTheBlockedProductBitForBit() {
        int[][] mnk = {{512, 16, 4608}, {517, 289, 2 * Sgemm.KC + 37}, {4 * Sgemm.MR + 3, Sgemm.NR - 5, 11}};
        int seed = 40;
        for (int[] s : mnk) {
            int m = s[0], n = s[1], k = s[2];
            SplittableRandom r = new SplittableRandom(++seed);
            float[] a = new float[m * k], b = new float[k * n], c0 = new float[m * n];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < c0.length; i++) c0[i] = (float) r.nextDouble(-1, 1);
            Sgemm.Packed pa = Sgemm.Packed.left(new StridedMatrix(a, 0, k, 1), m, k);
            StridedMatrix bm = new StridedMatrix(b, 0, n, 1);
            for (boolean accumulate : new boolean[]{false, true}) {
                float[] want = c0.clone(), got = c0.clone();
                Sgemm.block(0, m, 0, n, k, pa, bm, want, 0, n, 1, accumulate);
                Sgemm.rowsOverSharedB(m, n, k, pa, bm, got, 0, n, 1, accumulate, 2);
                int diffs = 0, first = -1;
                for (int i = 0; i < want.length; i++) {
                    if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i]) && diffs++ == 0) first = i;
                }
                String where = first < 0 ? "" : ", first at " + first + ": " + want[first] + " vs " + got[first];
                assertEquals(0, diffs, m + "x" + n + "x" + k + (accumulate ? " accumulate" : "") + ": values that differ" + where);
            }
        }
    }

    /**
     * A packed left operand read back through packA gives what its source packs, for any block (also across depth
     * blocks and past the rows); the same layout wrapped in place at an offset of another array ({@code leftInPlace},
     * as Winograd's transform writes it, located by {@code leftIndex}) reads back the same, and a product with it is
     * bit-identical to one with the packed copy.
     */
    @Test void packedLeftOperandReadsBackInPlaceAndAtAnOffset() {
        int m = 2 * Sgemm.MR + 3, k = Sgemm.KC + 37, n = Sgemm.NR + 7, base = 13;
        SplittableRandom r = new SplittableRandom(77);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble(-1, 1);
        StridedMatrix src = new StridedMatrix(a, 0, k, 1);
        Sgemm.Packed packed = Sgemm.Packed.left(src, m, k);
        float[] shifted = new float[base + Sgemm.Packed.leftSize(m, k) + 5];
        for (int i = 0; i < m; i++) for (int kk = 0; kk < k; kk++) shifted[base + Sgemm.Packed.leftIndex(m, k, i, kk)] = a[i * k + kk];
        Sgemm.Packed inPlace = Sgemm.Packed.leftInPlace(shifted, base, m, k);
        int[][] blocks = {{0, m, 0, k}, {Sgemm.MR, Sgemm.MR + 3, Sgemm.KC - 5, 9}, {0, m, 3, k - 3}};
        for (int[] bl : blocks) {
            int panels = Math.ceilDiv(bl[1], Sgemm.MR), len = panels * Sgemm.MR * bl[3];
            float[] want = new float[len], got = new float[len], got2 = new float[len];
            src.packA(bl[0], bl[1], bl[2], bl[3], want);
            packed.packA(bl[0], bl[1], bl[2], bl[3], got);
            inPlace.packA(bl[0], bl[1], bl[2], bl[3], got2);
            for (int i = 0; i < len; i++) {
                assertEquals(want[i], got[i], "packed, block " + java.util.Arrays.toString(bl) + " at " + i);
                assertEquals(want[i], got2[i], "in place, block " + java.util.Arrays.toString(bl) + " at " + i);
            }
        }
        float[] c1 = new float[m * n], c2 = new float[m * n];
        Sgemm.gemm(m, n, k, packed, new StridedMatrix(b, 0, n, 1), c1, 0, n, 1, false);
        Sgemm.gemm(m, n, k, inPlace, new StridedMatrix(b, 0, n, 1), c2, 0, n, 1, false);
        for (int i = 0; i < c1.length; i++) assertEquals(Float.floatToRawIntBits(c1[i]), Float.floatToRawIntBits(c2[i]), "C at " + i);
        assertThrows(IllegalArgumentException.class, () -> Sgemm.Packed.leftInPlace(shifted, shifted.length - Sgemm.Packed.leftSize(m, k) + 1, m, k));
    }
}
