package io.github.dragganjvm.autograd;

import io.github.dragganjvm.autograd.ops.ConvOps;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvGradTest {
    private static void check(String what, java.util.function.Function<Var[], Var> f, int[]... shapes) {
        Tensor[] xs = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) xs[i] = Tensor.randn(DType.F64, 40 + i, shapes[i]);
        GradCheck.Result r = GradCheck.check(f, xs, 3, 1e-6);
        System.out.println(what + ": " + r);
        assertTrue(r.relError() < 1e-7, what + ": " + r);
    }

    @Test void conv2dStridePaddingGroups() {
        check("conv2d s1 p1", v -> ConvOps.conv2d(v[0], v[1], 1, 1, 1), new int[]{2, 3, 5, 4}, new int[]{4, 3, 3, 3});
        check("conv2d s2 p1 (odd size)", v -> ConvOps.conv2d(v[0], v[1], 2, 1, 1), new int[]{1, 2, 6, 7}, new int[]{3, 2, 3, 3});
        check("conv2d groups 2", v -> ConvOps.conv2d(v[0], v[1], 1, 0, 2), new int[]{2, 4, 4, 4}, new int[]{6, 2, 3, 3});
    }

    @Test void convTranspose2dStride2() {
        check("convT s2 p0", v -> ConvOps.convTranspose2d(v[0], v[1], 2, 0, 1), new int[]{1, 3, 4, 3}, new int[]{3, 2, 3, 3});
        check("convT s1 p1 groups 2", v -> ConvOps.convTranspose2d(v[0], v[1], 1, 1, 2), new int[]{2, 4, 3, 3}, new int[]{4, 3, 3, 3});
    }
}
