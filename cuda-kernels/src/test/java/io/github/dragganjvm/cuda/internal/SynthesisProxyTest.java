package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.cuda.internal.tools.SynthesisProxy;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/** The benchmark's StyleGAN2-shaped network runs (tiny on the emulator): finite image, drag steps move w, memory flat. */
class SynthesisProxyTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void forwardAndDragStepsRun(String device) {
        CudaBackend be = Devices.fresh(device);
        SynthesisProxy net = new SynthesisProxy(be, 16, 64, 1);
        Tensor ws = net.randomWs(2);
        Tensor img;
        try (CudaScope scope = CudaScope.open()) {
            img = scope.keep(net.forward(ws));
        }
        assertArrayEquals(new int[]{1, 3, 16, 16}, img.shape());
        for (double v : be.toHost(img).toDoubleArray()) assertTrue(Double.isFinite(v));
        Tensor wParam = be.copy(ws.selectView(0, 0).sliceView(0, 0, 6)), wRest = be.copy(ws.selectView(0, 0).sliceView(0, 6, net.numWs));
        Tensor before = be.toHost(wParam), m = be.zeros(DType.F32, 6, 512), v = be.zeros(DType.F32, 6, 512);
        long live = be.memory().liveBytes();
        for (int step = 1; step <= 3; step++) {
            int tracked = net.dragStep(wParam, wRest, m, v, step);
            assertTrue(tracked >= 0 && tracked < 9, "index inside the 3x3 tracking window: " + tracked);
            assertEquals(live, be.memory().liveBytes(), "live device memory after drag step " + step);
        }
        double[] a = before.toDoubleArray(), b = be.toHost(wParam).toDoubleArray();
        int moved = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) moved++;
        System.out.println(device + ": drag steps moved " + moved + " of " + a.length + " w entries");
        assertTrue(moved > 0, "Adam moved the optimised rows");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void gpuBenchRunsEndToEndOnTinySizes(String device) {
        // the benchmark the GPU session runs, on tiny sizes: catches plumbing errors before device time is spent
        io.github.dragganjvm.cuda.internal.tools.GpuBench.run(Devices.fresh(device), io.github.dragganjvm.cuda.internal.tools.GpuBench.Sizes.SMOKE, null);
    }
}
