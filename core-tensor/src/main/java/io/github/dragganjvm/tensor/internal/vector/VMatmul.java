package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;

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
        Parallel.Range body = (from, to) -> {
            for (int p = from; p < to; p++) {
                int batch = p;
                Operand bop = ConstantCache.get(b3, java.util.List.of("matmul.B", batch),
                        () -> Sgemm.Packed.right(new StridedMatrix(bd, b3.offset() + batch * sb[0], sb[1], sb[2]), k, n),
                        () -> new StridedMatrix(bd, b3.offset() + batch * sb[0], sb[1], sb[2]));
                Sgemm.gemm(m, n, k, new StridedMatrix(ad, a3.offset() + p * sa[0], sa[1], sa[2]), bop, od, p * m * n, n, 1, false);
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
}
