package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ModulatedConv2d with a prepared constant weight gives exactly what the plain call gives, forward and backward. */
class PreparedWeightTest {
    @ParameterizedTest(name = "up {0}")
    @ValueSource(ints = {1, 2})
    void preparedEqualsPlain(int up) {
        Tensor x = Tensor.randn(DType.F32, 1, 2, 6, 7, 5), w = Tensor.randn(DType.F32, 2, 4, 6, 3, 3), s = Tensor.randn(DType.F32, 3, 2, 6);
        Tensor f = Ops.scale(Tensor.of(new float[]{1, 3, 3, 1, 3, 9, 9, 3, 3, 9, 9, 3, 1, 3, 3, 1}, 4, 4), 1 / 64.0);
        Tensor g = null;
        Tensor[] res = new Tensor[6];
        for (int k = 0; k < 2; k++) {
            Var xv = Var.param(x), sv = Var.param(s);
            Var y = k == 0 ? ModulatedConv2d.apply(xv, Var.constant(w), sv, up, f, 1, true)
                    : ModulatedConv2d.apply(xv, ModulatedConv2d.PreparedWeight.of(w, up), sv, up, f, 1, true);
            if (g == null) g = Tensor.randn(DType.F32, 4, y.shape());
            y.backward(g);
            res[3 * k] = y.value();
            res[3 * k + 1] = xv.grad();
            res[3 * k + 2] = sv.grad();
        }
        Golden.assertBitEqual("forward", res[0], res[3]);
        Golden.assertBitEqual("dx", res[1], res[4]);
        Golden.assertBitEqual("dstyles", res[2], res[5]);
    }
}
