package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Operands packed once for constant tensors give bit-identical products, on every call; constants refuse writes. */
class ConstantCacheTest {
    @ParameterizedTest(name = "c {0} o {1} {2}x{3} stride {4} groups {5}")
    @CsvSource({"3, 5, 7, 9, 1, 1", "8, 4, 6, 5, 2, 2", "33, 17, 5, 4, 1, 1", "512, 6, 4, 4, 1, 1"})
    void convolutionsWithConstantWeightsAreBitIdentical(int c, int o, int h, int w, int stride, int groups) {
        Tensor x = Tensor.randn(DType.F32, 1, 2, c, h, w);
        Tensor wt = Tensor.randn(DType.F32, 2, o, c / groups, 3, 3), wc = wt.copy().markConstant();
        Tensor wtT = Tensor.randn(DType.F32, 3, c, o / groups * groups == o ? o / groups : 1, 3, 3), wcT = wtT.copy().markConstant();
        for (int rep = 0; rep < 3; rep++) {
            Golden.assertBitEqual("conv2d", Ops.conv2d(x, wt, stride, 1, groups), Ops.conv2d(x, wc, stride, 1, groups));
            Golden.assertBitEqual("convTranspose2d", Ops.convTranspose2d(x, wtT, stride, 0, groups), Ops.convTranspose2d(x, wcT, stride, 0, groups));
        }
    }

    @Test void matmulWithAConstantTransposedRightOperand() {
        Tensor a = Tensor.randn(DType.F32, 4, 3, 70), w = Tensor.randn(DType.F32, 5, 40, 70), wc = w.copy().markConstant();
        for (int rep = 0; rep < 3; rep++) {
            Golden.assertBitEqual("matmul", Ops.matmul(a, w.transposeView(0, 1)), Ops.matmul(a, wc.transposeView(0, 1)));
        }
    }

    @Test void constantsRefuseInPlaceWrites() {
        Tensor c = Tensor.randn(DType.F32, 6, 4, 4).markConstant();
        assertTrue(c.isConstant());
        assertTrue(c.reshapeView(16).isConstant(), "views share the promise");
        assertThrows(IllegalStateException.class, () -> Ops.fill(c, 0));
        assertThrows(IllegalStateException.class, () -> Ops.copyInto(Tensor.zeros(4, 4), c));
        assertThrows(IllegalStateException.class, () -> Ops.addInPlace(c, Tensor.zeros(4, 4)));
        assertThrows(IllegalStateException.class, () -> c.set(1, 0, 0));
        Ops.copyInto(c, Tensor.zeros(4, 4));    // reading is fine
    }
}
