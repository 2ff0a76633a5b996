package io.github.dragganjvm.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Ops.modulatedConv2d (the composed default on the CPU) against NVlabs' fused form written independently: per-sample
 * modulated and demodulated weights [N*O, C, k, k] and one grouped conv2d over x reshaped to [1, N*C, H, W]
 * (float64); and the argument checks of the backward.
 */
class ModulatedConvSeamTest {
    private static void close(String what, Tensor expected, Tensor got, double tol) {
        double[] e = expected.toDoubleArray(), g = got.toDoubleArray();
        int worst = 0;
        for (int i = 0; i < e.length; i++) if (Math.abs(e[i] - g[i]) > Math.abs(e[worst] - g[worst])) worst = i;
        String msg = String.format("%s: worst index %d expected %.17g got %.17g", what, worst, e[worst], g[worst]);
        System.out.println(msg);
        if (Math.abs(e[worst] - g[worst]) > tol) fail(msg);
    }

    @Test void equalsTheFusedGroupedForm() {
        int n = 3, c = 4, o = 5, h = 7, w = 6;
        for (int k : new int[]{3, 1}) {
            for (boolean demod : new boolean[]{true, false}) {
                Tensor x = Tensor.randn(DType.F64, 1, n, c, h, w), wt = Tensor.randn(DType.F64, 2, o, c, k, k), s = Tensor.randn(DType.F64, 3, n, c);
                Tensor wn = Tensor.zeros(DType.F64, n * o, c, k, k);
                for (int b = 0; b < n; b++) {
                    for (int oo = 0; oo < o; oo++) {
                        double sum = 0;
                        for (int i = 0; i < c; i++) for (int p = 0; p < k; p++) for (int q = 0; q < k; q++) {
                            double v = wt.get(oo, i, p, q) * s.get(b, i);
                            sum += v * v;
                        }
                        double d = demod ? 1 / Math.sqrt(sum + ModulatedConvSpec.EPS) : 1;
                        for (int i = 0; i < c; i++) for (int p = 0; p < k; p++) for (int q = 0; q < k; q++) {
                            wn.set(wt.get(oo, i, p, q) * s.get(b, i) * d, b * o + oo, i, p, q);
                        }
                    }
                }
                Tensor expected = Ops.conv2d(x.reshapeView(1, n * c, h, w), wn, 1, k / 2, n).reshapeView(n, o, h, w);
                Tensor[] got = Ops.modulatedConv2d(x, ModulatedWeight.plain(wt), s, new ModulatedConvSpec(1, null, k / 2, demod));
                close("modulatedConv2d k " + k + " demod " + demod, expected, got[0], 1e-12);
                Tensor[] prepared = Ops.modulatedConv2d(x, ModulatedWeight.prepared(wt, 1), s, new ModulatedConvSpec(1, null, k / 2, demod));
                close("modulatedConv2d prepared k " + k + " demod " + demod, got[0], prepared[0], 0);
            }
        }
    }

    @Test void backwardChecksItsArguments() {
        Tensor x = Tensor.randn(DType.F32, 1, 2, 3, 5, 4), wt = Tensor.randn(DType.F32, 2, 4, 3, 3, 3), s = Tensor.randn(DType.F32, 3, 2, 3);
        ModulatedConvSpec spec = new ModulatedConvSpec(1, null, 1, true);
        Tensor[] f = Ops.modulatedConv2d(x, ModulatedWeight.plain(wt), s, spec);
        var e1 = assertThrows(IllegalArgumentException.class,
                () -> Ops.modulatedConv2dBackward(f[0], f[0], null, x, ModulatedWeight.plain(wt), s, spec, true, false, true));
        assertTrue(e1.getMessage().contains("dcoef"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> Ops.modulatedConv2dBackward(Tensor.zeros(DType.F32, 2, 4, 4, 4), f[0], f[1], x, ModulatedWeight.plain(wt), s, spec, true, false, true));
        assertTrue(e2.getMessage().contains("gout"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> Ops.modulatedConv2d(x, ModulatedWeight.plain(wt), s, new ModulatedConvSpec(2, null, 1, true)));
        assertTrue(e3.getMessage().contains("resample filter"), e3.getMessage());
    }
}
