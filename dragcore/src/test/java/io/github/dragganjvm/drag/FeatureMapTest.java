package io.github.dragganjvm.drag;

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The direct window of the resized map equals the same window of the full resize, values and gradients. */
class FeatureMapTest {
    @ParameterizedTest(name = "block {0} -> image {1}, rows [{2},{3}) cols [{4},{5})")
    @CsvSource({
            "8, 16, 0, 5, 3, 9", "8, 16, 11, 16, 0, 16", "8, 32, 7, 20, 13, 14", "8, 32, 0, 1, 31, 32",
            "16, 16, 2, 9, 4, 7", "4, 32, 10, 30, 0, 32", "8, 24, 3, 17, 5, 11"})
    void windowEqualsCropOfFullResize(int hb, int h, int y0, int y1, int x0, int x1) {
        Tensor x = Tensor.randn(DType.F32, hb * 131 + h, 1, 3, hb, hb);
        FeatureMap direct = new FeatureMap(Var.constant(x), h, true);
        FeatureMap full = new FeatureMap(Var.constant(x), h, false);
        Golden.assertClose("window " + hb + "->" + h, full.window(y0, y1, x0, x1).value(), direct.window(y0, y1, x0, x1).value(), 1e-6);
    }

    @ParameterizedTest(name = "gradient, block {0} -> image {1}")
    @CsvSource({"8, 16", "8, 32", "5, 5"})
    void windowGradientMatchesFiniteDifferences(int hb, int h) {
        GradCheck.Result r = GradCheck.check(v -> new FeatureMap(v[0], h, true).window(1, Math.min(h, 7), 2, Math.min(h, 9)),
                new Tensor[]{Tensor.randn(DType.F64, 9, 1, 2, hb, hb)}, 4, 1e-6);
        assertTrue(r.relError() < 1e-7, r.toString());
        // and the same window read from the full resize has the same gradient
        Tensor x = Tensor.randn(DType.F64, 10, 1, 2, hb, hb);
        Var a = Var.param(x), b = Var.param(x.copy());
        Tensor seed = Tensor.randn(DType.F64, 12, 1, 2, Math.min(h, 7) - 1, Math.min(h, 9) - 2);
        new FeatureMap(a, h, true).window(1, Math.min(h, 7), 2, Math.min(h, 9)).backward(seed);
        Var fullWin = ShapeOps.sliceView(ShapeOps.sliceView(hb == h ? b : ResampleOps.resizeBilinear(b, h, h, false), 2, 1, Math.min(h, 7)), 3, 2, Math.min(h, 9));
        fullWin.backward(seed);
        Golden.assertClose("gradient direct vs full", b.grad(), a.grad(), 1e-12);
    }
}
