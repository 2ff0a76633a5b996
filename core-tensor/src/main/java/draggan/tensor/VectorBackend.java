package draggan.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * Java Vector API kernels for contiguous F32 host tensors; everything else (F64, odd strides, ops without a
 * vector kernel yet) falls through to the {@link ReferenceBackend} it extends. Kernels live in
 * {@code draggan.tensor.vector}; each is tested against its reference twin on awkward sizes.
 */
public class VectorBackend extends ReferenceBackend {
    /** Float lanes of the preferred species (16 with AVX-512). */
    public static final int LANES = FloatVector.SPECIES_PREFERRED.length();

    @Override public String name() { return "vector"; }
}
