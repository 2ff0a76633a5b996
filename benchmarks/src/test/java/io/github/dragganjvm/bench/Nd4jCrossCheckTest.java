package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Our GEMM and conv2d (vector backend) against ND4J's native CPU kernels on random inputs: ND4J as an oracle. */
class Nd4jCrossCheckTest {

    @Test void gemmAgreesWithNd4j() {
        assertEquals("vector", io.github.dragganjvm.tensor.Backends.cpu().name());
        int[][] sizes = {{1, 1, 1}, {7, 33, 5}, {67, 45, 129}, {256, 300, 513}};
        long seed = 1;
        for (int[] s : sizes) {
            Tensor a = Tensor.uniform(DType.F32, seed++, -1, 1, s[0], s[2]), b = Tensor.uniform(DType.F32, seed++, -1, 1, s[2], s[1]);
            INDArray c = Nd4j.zeros(DataType.FLOAT, s[0], s[1]);
            Tensor expected = Nd4jOps.toTensor(Nd4jOps.gemm(Nd4jOps.of(a), Nd4jOps.of(b), c));
            Golden.assertCloseRel("gemm " + s[0] + "x" + s[1] + "x" + s[2] + " vs ND4J", expected, Ops.matmul(a, b), 4e-6);
        }
        // a transposed operand is read in place by our GEMM; ND4J gets the materialised transpose
        Tensor at = Tensor.uniform(DType.F32, 9, -1, 1, 40, 30).transposeView(0, 1), b = Tensor.uniform(DType.F32, 10, -1, 1, 40, 20);
        INDArray c = Nd4j.zeros(DataType.FLOAT, 30, 20);
        Golden.assertCloseRel("gemm a^T vs ND4J", Nd4jOps.toTensor(Nd4jOps.gemm(Nd4jOps.of(at), Nd4jOps.of(b), c)), Ops.matmul(at, b), 4e-6);
    }

    @Test void conv2dAgreesWithNd4j() {
        // n, c, h, w, o, k, stride, pad
        int[][] cases = {{1, 3, 8, 8, 4, 3, 1, 1}, {2, 16, 13, 11, 8, 3, 2, 1}, {1, 32, 16, 16, 24, 3, 1, 1},
                {1, 5, 9, 7, 6, 1, 1, 0}, {1, 4, 10, 10, 3, 5, 1, 2}};
        long seed = 20;
        for (int[] k : cases) {
            Tensor x = Tensor.uniform(DType.F32, seed++, -1, 1, k[0], k[1], k[2], k[3]);
            Tensor w = Tensor.uniform(DType.F32, seed++, -1, 1, k[4], k[1], k[5], k[5]);
            Tensor ours = Ops.conv2d(x, w, k[6], k[7], 1);
            INDArray out = Nd4j.zeros(DataType.FLOAT, ours.size(0), ours.size(1), ours.size(2), ours.size(3));
            Nd4jOps.conv2d(Nd4jOps.of(x), Nd4jOps.of(w), out, Nd4jOps.conv2dConfig(k[5], k[5], k[6], k[7]));
            Golden.assertCloseRel("conv2d " + java.util.Arrays.toString(k) + " vs ND4J", Nd4jOps.toTensor(out), ours, 4e-6);
        }
    }
}
