package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ModulatedConv2d's backward on the non-zero box of a sparse upstream gradient equals the dense backward
 * (forced by letting the weight require a gradient), for boxes inside, at and across the borders.
 */
class SparseBackwardTest {
    @ParameterizedTest(name = "up {0} k {1} demod {2} box rows [{3},{4}) cols [{5},{6}) {7}")
    @CsvSource({
            "1, 3, true, 3, 6, 2, 5, F64", "1, 3, true, 0, 2, 0, 3, F64", "1, 3, true, 9, 10, 8, 10, F64",
            "2, 3, true, 4, 9, 6, 11, F64", "2, 3, true, 0, 3, 0, 1, F64", "2, 3, true, 17, 20, 15, 20, F64",
            "2, 3, true, 5, 6, 19, 20, F64", "1, 1, false, 2, 5, 4, 9, F64", "1, 3, false, 1, 4, 1, 4, F64",
            "2, 3, true, 4, 9, 6, 11, F32", "1, 3, true, 3, 6, 2, 5, F32"})
    void sparseEqualsDense(int up, int k, boolean demod, int y0, int y1, int x0, int x1, String dt) {
        DType t = DType.valueOf(dt);
        int n = 2, c = 5, o = 4, h = 10, w = 10;
        Tensor x = Tensor.randn(t, 1, n, c, h, w), wt = Tensor.randn(t, 2, o, c, k, k), s = Tensor.randn(t, 3, n, c);
        Tensor f = Ops.scale(Tensor.of(new float[]{1, 3, 3, 1, 3, 9, 9, 3, 3, 9, 9, 3, 1, 3, 3, 1}, 4, 4), 1 / 64.0).copyAs(t);
        int pad = k / 2;
        Tensor[] grads = new Tensor[4];
        for (int dense = 0; dense < 2; dense++) {
            Var xv = Var.param(x), sv = Var.param(s), wv = dense == 1 ? Var.param(wt) : Var.constant(wt);
            Var y = ModulatedConv2d.apply(xv, wv, sv, up, up == 2 ? f : null, pad, demod);
            Tensor g = Ops.zerosLike(y.value());
            Ops.copyInto(Tensor.randn(t, 4, n, o, y1 - y0, x1 - x0), g.sliceView(2, y0, y1).sliceView(3, x0, x1));
            y.backward(g);
            grads[2 * dense] = xv.grad();
            grads[2 * dense + 1] = sv.grad();
        }
        double tol = t == DType.F64 ? 1e-12 : 1e-4;
        Golden.assertCloseRel("dx sparse vs dense", grads[2], grads[0], tol);
        Golden.assertCloseRel("dstyles sparse vs dense", grads[3], grads[1], tol);
    }
}
