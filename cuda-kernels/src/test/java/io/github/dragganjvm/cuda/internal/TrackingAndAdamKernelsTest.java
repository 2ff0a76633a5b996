package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** tracking.cu and adam.cu against RefBasics / Ops.argmin, and the Adam golden trajectory (torch.optim.Adam). */
class TrackingAndAdamKernelsTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void windowDistancesAndArgmin(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor feat = Tensor.randn(dt, 121, 33, 20, 17), f0 = Tensor.randn(dt, 122, 33);
            Tensor dfeat = be.fromHost(feat), df0 = be.fromHost(f0);
            int[][] windows = {{0, 20, 0, 17}, {3, 16, 5, 12}, {7, 8, 9, 10}};
            for (int[] w : windows) {
                Tensor r = ref.windowDistances(feat, f0, w[0], w[1], w[2], w[3]);
                Tensor d = be.windowDistances(dfeat, df0, w[0], w[1], w[2], w[3]);
                Check.close("windowDistances " + java.util.Arrays.toString(w) + " " + dt, r, be.toHost(d), 0, 16 * Check.eps(dt));
                assertEquals(Ops.argmin(r), be.argmin(d), "argmin of the window " + java.util.Arrays.toString(w));
            }
            // a channel-last view of the features
            Tensor hwc = Tensor.randn(dt, 123, 20, 17, 33);
            Check.close("windowDistances of a permuted view " + dt, ref.windowDistances(hwc.permuteView(2, 0, 1), f0, 2, 9, 1, 16),
                    be.toHost(be.windowDistances(be.fromHost(hwc).permuteView(2, 0, 1), df0, 2, 9, 1, 16)), 0, 16 * Check.eps(dt));
        }
        // ties resolve to the first index in row-major order, across thread strides and blocks of the reduction
        float[] v = new float[1000];
        java.util.Arrays.fill(v, 5f);
        v[777] = 1f;
        v[301] = 1f;
        v[999] = 1f;
        assertEquals(301, be.argmin(be.fromHost(Tensor.of(v, 1000))));
        assertEquals(0, be.argmin(be.fromHost(Tensor.of(new float[]{2f}, 1))));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void adamIsBitIdenticalToTheReference(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor p = Tensor.randn(dt, 131, 6, 77), m = Tensor.zeros(dt, 6, 77), v = Tensor.zeros(dt, 6, 77);
            Tensor dp = be.fromHost(p), dm = be.fromHost(m), dv = be.fromHost(v);
            for (int step = 1; step <= 5; step++) {
                Tensor g = Tensor.randn(dt, 140 + step, 77, 6);
                ref.adamStep(p, g.transposeView(0, 1), m, v, step, 2e-3, 0.9, 0.999, 1e-8);
                be.adamStep(dp, be.fromHost(g).transposeView(0, 1), dm, dv, step, 2e-3, 0.9, 0.999, 1e-8);
            }
            Check.bitEqual("adam p after 5 steps " + dt, p, be.toHost(dp));
            Check.bitEqual("adam m after 5 steps " + dt, m, be.toHost(dm));
            Check.bitEqual("adam v after 5 steps " + dt, v, be.toHost(dv));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void adamGoldenTrajectory(String device) {
        CudaBackend be = Devices.get(device);
        Tensor p = be.fromHost(Golden.npy("ops", "adam__p0").copyAs(DType.F64));
        Tensor grads = Golden.npy("ops", "adam__grads").copyAs(DType.F64), traj = Golden.npy("ops", "adam__trajectory");
        Tensor m = be.zeros(DType.F64, p.shape()), v = be.zeros(DType.F64, p.shape());
        for (int step = 1; step <= grads.size(0); step++) {
            be.adamStep(p, be.fromHost(grads.selectView(0, step - 1)), m, v, step, 1e-3, 0.9, 0.999, 1e-8);
            Check.close("adam golden step " + step, traj.selectView(0, step - 1).copy(), be.toHost(p), 1e-15, 1e-15);
        }
    }
}
