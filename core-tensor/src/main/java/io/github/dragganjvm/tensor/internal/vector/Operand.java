package io.github.dragganjvm.tensor.internal.vector;

/**
 * A logical F32 matrix that knows how to copy blocks of itself into the packed layouts of {@link Sgemm}. The
 * packing routine is the only place an operand is read, so an operand need not exist as a matrix at all:
 * {@link Im2col} packs straight from an image, which is how convolution avoids materialising im2col.
 *
 * <p>Packed layouts ({@code MR = Sgemm.MR}, {@code NR = Sgemm.NR}); panels are zero-padded past the matrix edge so
 * the micro-kernel never needs an edge case:
 * <pre>
 *   packA: rows [i0, i0+mc) x cols [k0, k0+kc) as ceil(mc/MR) panels; panel p, step k, row r:
 *          dst[(p*kc + k)*MR + r] = A[i0 + p*MR + r, k0 + k]      (0 where p*MR + r >= mc)
 *   packB: rows [k0, k0+kc) x cols [j0, j0+nc) as ceil(nc/NR) panels; panel p, step k, column j:
 *          dst[(p*kc + k)*NR + j] = B[k0 + k, j0 + p*NR + j]      (0 where p*NR + j >= nc)
 * </pre>
 */
public interface Operand {
    /** Packs a block of this matrix as the left operand A (see the class comment). */
    default void packA(int i0, int mc, int k0, int kc, float[] dst) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be packed as the left operand");
    }

    /** Packs a block of this matrix as the right operand B (see the class comment). */
    default void packB(int k0, int kc, int j0, int nc, float[] dst) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be packed as the right operand");
    }
}
