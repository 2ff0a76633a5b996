package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.FilteredLreluCases;
import io.github.dragganjvm.tensor.testing.FilteredLreluCases.Case;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CUDA backend has no filtered leaky ReLU kernel yet: {@code Backend.filteredLrelu} and its backward fall back to
 * the composition of the backend's own upfirdn2d / biasAct / biasActBackward kernels. That fallback, on the device,
 * against the Java reference backend's fused kernel on the shared cases, float32 and float64.
 */
class FilteredLreluCompositionTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void compositionOnTheDeviceMatchesTheReference(String device) {
        CudaBackend be = Devices.get(device);
        int i = 0;
        for (Case k : FilteredLreluCases.cases()) {
            for (DType dt : DType.values()) {
                long seed = 300 + 10L * i++;
                Tensor x = FilteredLreluCases.input(k, dt, seed, false), b = Tensor.randn(dt, seed + 1, k.c());
                Tensor fu = FilteredLreluCases.filter(k.fuKind(), k.fuH(), k.fuW(), seed + 2, dt);
                Tensor fd = FilteredLreluCases.filter(k.fdKind(), k.fdH(), k.fdW(), seed + 3, dt);
                FilteredLreluParams p = FilteredLreluCases.params(k, x, b, fu, fd);
                Tensor g = Tensor.randn(dt, seed + 4, k.n(), k.c(), p.outHeight(k.h(), fu, fd), p.outWidth(k.w(), fu, fd));
                double tol = dt == DType.F32 ? 2e-6 : 1e-12;
                Tensor xd = be.fromHost(x), bd = be.fromHost(b), gd = be.fromHost(g);
                Tensor fud = fu == null ? null : be.fromHost(fu), fdd = fd == null ? null : be.fromHost(fd);
                FilteredLreluCases.compare(k.name() + " " + dt + " " + device + " forward", ref.filteredLrelu(x, b, fu, fd, p),
                        be.toHost(be.filteredLrelu(xd, bd, fud, fdd, p)), tol);
                FilteredLreluCases.compare(k.name() + " " + dt + " " + device + " backward", ref.filteredLreluBackward(g, x, b, fu, fd, p),
                        be.toHost(be.filteredLreluBackward(gd, xd, bd, fud, fdd, p)), tol);
            }
        }
    }
}
