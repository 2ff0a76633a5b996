package draggan.tensor.vector;

import draggan.tensor.DType;
import draggan.tensor.ReferenceBackend;
import draggan.tensor.Tensor;
import draggan.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The matrix-vector path of VMatmul (few rows of A) against the reference, both layouts of B, awkward sizes. */
class VMatmulSmallTest {
    @ParameterizedTest(name = "m {0} k {1} n {2}")
    @CsvSource({"1, 512, 512", "1, 1, 1", "2, 7, 33", "3, 33, 7", "4, 1000, 3", "1, 17, 129"})
    void matchesReference(int m, int k, int n) {
        Tensor a = Tensor.randn(DType.F32, m * 7 + k, m, k);
        Tensor wRows = Tensor.randn(DType.F32, n * 3 + k, n, k);            // B = wRows^T: columns contiguous
        Tensor bRows = Tensor.randn(DType.F32, n * 5 + k, k, n);            // rows contiguous
        Tensor aT = Tensor.randn(DType.F32, 11, k, m).transposeView(0, 1);  // A with strided rows
        ReferenceBackend ref = new ReferenceBackend();
        for (Tensor[] ab : new Tensor[][]{{a, wRows.transposeView(0, 1)}, {a, bRows}, {aT, wRows.transposeView(0, 1)}, {aT, bRows}}) {
            Tensor want = ref.matmul(ab[0].copyAs(DType.F64), ab[1].copyAs(DType.F64));
            Golden.assertClose("small-m matmul " + m + "x" + k + "x" + n, want, VMatmul.matmul(ab[0], ab[1]), 2e-6 * Math.sqrt(k) * 4);
        }
    }
}
