package io.github.dragganjvm.tensor;

import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The reference kernels on hand-computable cases. */
class ReferenceOpsTest {
    private final Backend ref = new ReferenceBackend();

    @Test void broadcastBinaryOverStridedViews() {
        Tensor a = Tensor.of(new double[]{1, 2, 3, 4, 5, 6}, 2, 3).transposeView(0, 1); // [3, 2]
        Tensor b = Tensor.of(new double[]{10, 20}, 2);
        Tensor c = ref.binary(BinaryOp.ADD, a, b);
        assertArrayEquals(new double[]{11, 24, 12, 25, 13, 26}, c.toDoubleArray());
        var ex = assertThrows(IllegalArgumentException.class, () -> Ops.add(a, Tensor.of(new double[]{1, 2, 3}, 3)));
        assertTrue(ex.getMessage().contains("do not broadcast"), ex.getMessage());
    }

    @Test void sumOverDimsWithAndWithoutKeepdim() {
        Tensor x = Tensor.of(new double[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 3, 2);
        assertArrayEquals(new double[]{9, 12, 27, 30}, ref.sum(x, new int[]{1}, false).toDoubleArray());
        assertArrayEquals(new int[]{2, 1, 2}, ref.sum(x, new int[]{1}, true).shape());
        assertEquals(78, Ops.sumAll(x).item());
        assertEquals(6.5, Ops.mean(x, false).item());
    }

    @Test void matmulWithTransposedOperand() {
        Tensor a = Tensor.of(new double[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new double[]{1, 0, 1, 2, 1, 0}, 2, 3).transposeView(0, 1); // [3, 2]
        assertArrayEquals(new double[]{4, 4, 10, 13}, ref.matmul(a, b).toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> Ops.matmul(a, a));
    }

    /** torch.matmul's broadcasting of a 2-D operand over the other's batch: each batch is the 2-D product. */
    @Test void matmulBroadcastsATwoDimensionalOperandOverTheBatch() {
        Tensor a3 = Tensor.randn(DType.F64, 1, 3, 2, 4), b2 = Tensor.randn(DType.F64, 2, 4, 5);
        Tensor a2 = Tensor.randn(DType.F64, 3, 2, 4), b3 = Tensor.randn(DType.F64, 4, 3, 4, 5).transposeView(1, 2).transposeView(1, 2);
        Tensor left = Ops.matmul(a3, b2), right = Ops.matmul(a2, b3);
        assertArrayEquals(new int[]{3, 2, 5}, left.shape());
        assertArrayEquals(new int[]{3, 2, 5}, right.shape());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(Ops.matmul(a3.selectView(0, i), b2).toDoubleArray(), left.selectView(0, i).copy().toDoubleArray(), 1e-12);
            assertArrayEquals(Ops.matmul(a2, b3.selectView(0, i)).toDoubleArray(), right.selectView(0, i).copy().toDoubleArray(), 1e-12);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Ops.matmul(a3, Tensor.randn(DType.F64, 5, 3, 5)));
        assertTrue(e.getMessage().contains("K = a's columns"), e.getMessage());
    }

    @Test void biasActLreluGainClamp() {
        Tensor x = Tensor.of(new double[]{-1, 0.5, 2, -3}, 1, 2, 2);
        Tensor b = Tensor.of(new double[]{0, 1}, 2);
        Tensor y = ref.biasAct(x, b, 1, Activation.LRELU, 0.2, 2, 3);
        assertArrayEquals(new double[]{-0.4, 1, 3, -0.8}, y.toDoubleArray(), 1e-12);
        Tensor g = ref.biasActBackward(Tensor.full(DType.F64, 1, 1, 2, 2), x, b, 1, Activation.LRELU, 0.2, 2, 3);
        assertArrayEquals(new double[]{0.4, 2, 0, 0.4}, g.toDoubleArray(), 1e-12);
    }

    /**
     * Negative alpha and gain, values exactly on the bound (worked by hand from PyTorch's rules: leaky_relu passes
     * g where v > 0 else alpha g, clamp passes g where -c <= t <= c): alpha -0.5, gain -2, clamp 3.
     * v = -1: t = -2 * 0.5 = -1 inside, dx = -2 * -0.5 = 1; v = 0.5: t = -1, dx = -2; v = 1.5: t = -3 on the bound,
     * dx = -2; v = -3: t = -3 on the bound, dx = 1; v = -4: t = -4 outside, 0; v = 0: t = 0, dx = 1; v = 2: t = -4, 0.
     */
    @Test void biasActBackwardNegativeAlphaGainAndTheBound() {
        for (DType dt : DType.values()) {
            Tensor x = Tensor.of(new double[]{-1, 0.5, 1.5, -3, -4, 0, 2}, 7).copyAs(dt);
            Tensor y = ref.biasAct(x, null, 0, Activation.LRELU, -0.5, -2, 3);
            assertArrayEquals(new double[]{-1, -1, -3, -3, -3, 0, -3}, y.toDoubleArray(), 0, dt + " forward");
            Tensor g = ref.biasActBackward(Tensor.full(dt, 1, 7), x, null, 0, Activation.LRELU, -0.5, -2, 3);
            assertArrayEquals(new double[]{1, -2, -2, 1, 0, 1, 0}, g.toDoubleArray(), 0, dt + " backward");
        }
    }

    @Test void windowDistancesAndArgmin() {
        Tensor f = Tensor.zeros(DType.F64, 2, 3, 3);
        f.set(1, 0, 2, 1);
        f.set(1, 1, 2, 1);
        Tensor q = Tensor.of(new double[]{1, 1}, 2);
        Tensor d = Ops.windowDistances(f, q, 1, 3, 0, 3);
        assertArrayEquals(new int[]{2, 3}, d.shape());
        assertEquals(0, d.get(1, 1));
        assertEquals(4, Ops.argmin(d));
        assertThrows(IllegalArgumentException.class, () -> Ops.windowDistances(f, q, 0, 4, 0, 3));
    }

    @Test void catStackAndIndexSelect() {
        Tensor a = Tensor.of(new double[]{1, 2}, 1, 2), b = Tensor.of(new double[]{3, 4, 5, 6}, 2, 2);
        assertArrayEquals(new double[]{1, 2, 3, 4, 5, 6}, Ops.cat(0, a, b).toDoubleArray());
        assertArrayEquals(new int[]{2, 1, 2}, Ops.stack(0, a, a).shape());
        assertArrayEquals(new double[]{5, 6, 3, 4, 5, 6}, Ops.indexSelect(b, 0, 1, 0, 1).toDoubleArray());
        var ex = assertThrows(IllegalArgumentException.class, () -> Ops.cat(1, a, b));
        assertTrue(ex.getMessage().contains("dimension 0"), ex.getMessage());
    }
}
