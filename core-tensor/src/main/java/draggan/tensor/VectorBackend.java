package draggan.tensor;

import draggan.tensor.vector.VConv;
import draggan.tensor.vector.VMatmul;
import jdk.incubator.vector.FloatVector;

/**
 * Java Vector API kernels for F32 host tensors; everything else (F64, ops without a vector kernel yet, layouts a
 * kernel does not cover) falls through to the {@link ReferenceBackend} it extends. Kernels live in
 * {@code draggan.tensor.vector}; each is tested against its reference twin on awkward sizes.
 */
public class VectorBackend extends ReferenceBackend {
    /** Float lanes of the preferred species (16 with AVX-512, 8 with AVX2). */
    public static final int LANES = FloatVector.SPECIES_PREFERRED.length();

    @Override public String name() { return "vector"; }

    private static boolean f32(Tensor... ts) {
        for (Tensor t : ts) if (t != null && (t.dtype() != DType.F32 || !(t.storage() instanceof HostStorage))) return false;
        return true;
    }

    // ------------------------------------------------------------------ linear algebra and convolution

    @Override public Tensor matmul(Tensor a, Tensor b) {
        return f32(a, b) ? VMatmul.matmul(a, b) : super.matmul(a, b);
    }

    @Override public Tensor conv2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        return f32(x, w) ? VConv.conv2d(x, w, strideH, strideW, padH, padW, groups)
                : super.conv2d(x, w, strideH, strideW, padH, padW, groups);
    }

    @Override public Tensor convTranspose2d(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int groups) {
        return f32(x, w) ? VConv.convTranspose2d(x, w, strideH, strideW, padH, padW, groups)
                : super.convTranspose2d(x, w, strideH, strideW, padH, padW, groups);
    }

    @Override public Tensor conv2dWeightGrad(Tensor x, Tensor gout, int kh, int kw, int strideH, int strideW, int padH, int padW, int groups) {
        return f32(x, gout) ? VConv.conv2dWeightGrad(x, gout, kh, kw, strideH, strideW, padH, padW, groups)
                : super.conv2dWeightGrad(x, gout, kh, kw, strideH, strideW, padH, padW, groups);
    }
}
