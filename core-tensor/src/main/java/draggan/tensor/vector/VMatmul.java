package draggan.tensor.vector;

import draggan.tensor.Parallel;
import draggan.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

/** Matrix products of F32 host tensors through {@link Sgemm}; operands of any strides are read in place. */
public final class VMatmul {
    private VMatmul() {}

    /** a [M, K] x b [K, N] -> [M, N], or batched [B, M, K] x [B, K, N] -> [B, M, N] (shapes checked by Ops). */
    public static Tensor matmul(Tensor a, Tensor b) {
        boolean batched = a.dim() == 3;
        Tensor a3 = batched ? a : a.unsqueezeView(0), b3 = batched ? b : b.unsqueezeView(0);
        int nb = a3.size(0), m = a3.size(1), k = a3.size(2), n = b3.size(2);
        Tensor out = Tensor.zeros(nb, m, n);
        float[] ad = a.host().f32, bd = b.host().f32, od = out.host().f32;
        int[] sa = a3.strides(), sb = b3.strides();
        if (m <= SMALL_M && (sb[1] == 1 || sb[2] == 1)) {
            for (int p = 0; p < nb; p++) smallM(m, n, k, ad, a3.offset() + p * sa[0], sa[1], sa[2], bd, b3.offset() + p * sb[0], sb[1], sb[2], od, p * m * n);
            return batched ? out : out.reshapeView(m, n);
        }
        Parallel.Range body = (from, to) -> {
            for (int p = from; p < to; p++) {
                Sgemm.gemm(m, n, k, new StridedMatrix(ad, a3.offset() + p * sa[0], sa[1], sa[2]),
                        new StridedMatrix(bd, b3.offset() + p * sb[0], sb[1], sb[2]), od, p * m * n, n, 1, false);
            }
        };
        // many products: one per thread at a time (each then runs single-threaded); few: each uses every thread
        if (nb >= 2 * Parallel.threads() || (nb >= Parallel.threads() && nb % Parallel.threads() == 0)) {
            Parallel.forRange(nb, 2L * m * n * k, body);
        } else {
            body.run(0, nb);
        }
        return batched ? out : out.reshapeView(m, n);
    }

    /** Up to this many rows of A a product is a few matrix-vector products (StyleGAN's styles: [1, 512] x [512, C]). */
    static final int SMALL_M = 4;

    /**
     * C[m, n] = A[m, k] B[k, n] for small m without packing: when B's columns are contiguous (B is a transposed
     * row-major matrix, as {@code x W^T}) each C element is a vector dot product; when B's rows are contiguous,
     * rows of B are added into C's row with vector AXPYs. Lanes are added in a fixed order (deterministic).
     */
    static void smallM(int m, int n, int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int brs, int bcs, float[] c, int co) {
        var sp = Sgemm.S;
        int vl = sp.length();
        if (brs == 1) {
            Parallel.forRange(n, 2L * m * k, (from, to) -> {
                float[] lanes = new float[vl];
                for (int i = 0; i < m; i++) {
                    for (int j = from; j < to; j++) {
                        int bj = bo + j * bcs;
                        FloatVector acc = FloatVector.zero(sp);
                        int q = 0;
                        if (acs == 1) {
                            for (; q <= k - vl; q += vl) {
                                acc = FloatVector.fromArray(sp, a, ao + i * ars + q).fma(FloatVector.fromArray(sp, b, bj + q), acc);
                            }
                        }
                        acc.intoArray(lanes, 0);
                        float sum = 0f;
                        for (float l : lanes) sum += l;
                        for (; q < k; q++) sum += a[ao + i * ars + q * acs] * b[bj + q];
                        c[co + i * n + j] = sum;
                    }
                }
            });
        } else {
            // rows of B contiguous: C[i, :] = sum_q A[i, q] B[q, :]
            Parallel.forRange(m, 2L * n * k, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int ci = co + i * n;
                    for (int q = 0; q < k; q++) {
                        float aq = a[ao + i * ars + q * acs];
                        FloatVector av = FloatVector.broadcast(sp, aq);
                        int bq = bo + q * brs, j = 0;
                        for (; j <= n - vl; j += vl) {
                            av.fma(FloatVector.fromArray(sp, b, bq + j), FloatVector.fromArray(sp, c, ci + j)).intoArray(c, ci + j);
                        }
                        for (; j < n; j++) c[ci + j] += aq * b[bq + j];
                    }
                }
            });
        }
    }
}
