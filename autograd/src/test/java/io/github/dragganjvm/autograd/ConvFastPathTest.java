package io.github.dragganjvm.autograd;

import io.github.dragganjvm.autograd.ops.ConvOps;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

/**
 * The F32 convolutions' forward and backward (which run on the vector backend's GEMM kernels) against the same
 * graph in F64 (which runs on the reference kernels, and whose gradients ConvGradTest checks numerically).
 */
class ConvFastPathTest {
    private static void compare(String what, Function<Var[], Var> f, int[]... shapes) {
        Tensor[] x64 = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) x64[i] = Tensor.randn(DType.F64, 60 + i, shapes[i]);
        Var[] p64 = new Var[shapes.length], p32 = new Var[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            p64[i] = Var.param(x64[i]);
            p32[i] = Var.param(x64[i].copyAs(DType.F32));
        }
        Var y64 = f.apply(p64), y32 = f.apply(p32);
        Tensor seed = Tensor.randn(DType.F64, 7, y64.shape());
        y64.backward(seed);
        y32.backward(seed.copyAs(DType.F32));
        Golden.assertCloseRel(what + " forward", y64.value(), y32.value(), 2e-6);
        for (int i = 0; i < shapes.length; i++) {
            Golden.assertCloseRel(what + " grad of input " + i, p64[i].grad(), p32[i].grad(), 2e-6);
        }
    }

    @Test void stridedPaddedGroupedConvAndTransposedConv() {
        System.out.println("cpu backend: " + Backends.cpu().name());
        compare("conv2d s1 p1", v -> ConvOps.conv2d(v[0], v[1], 1, 1, 1), new int[]{2, 16, 9, 11}, new int[]{12, 16, 3, 3});
        compare("conv2d s2 p1 (even input: cropped input gradient)", v -> ConvOps.conv2d(v[0], v[1], 2, 1, 1),
                new int[]{1, 8, 12, 10}, new int[]{6, 8, 3, 3});
        compare("conv2d s2 p1 (odd input)", v -> ConvOps.conv2d(v[0], v[1], 2, 1, 1), new int[]{1, 8, 13, 9}, new int[]{6, 8, 3, 3});
        compare("conv2d 1x1 groups 2", v -> ConvOps.conv2d(v[0], v[1], 1, 0, 2), new int[]{2, 8, 5, 5}, new int[]{6, 4, 1, 1});
        compare("convTranspose2d s2 p0 (StyleGAN2 up)", v -> ConvOps.convTranspose2d(v[0], v[1], 2, 0, 1),
                new int[]{1, 16, 4, 5}, new int[]{16, 8, 3, 3});
        compare("convTranspose2d s1 p1", v -> ConvOps.convTranspose2d(v[0], v[1], 1, 1, 1), new int[]{2, 6, 7, 7}, new int[]{6, 5, 3, 3});
    }
}
