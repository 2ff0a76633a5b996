package io.github.dragganjvm.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The profiler's wrapper (-Ddraggan.profile) around a stand-in device backend that records its calls: every op reaches
 * the backend unchanged; with -Ddraggan.profile.sync each op of a device backend is followed by one synchronize(),
 * and without it none; a CPU backend is never synchronised.
 */
class ProfilingBackendTest {
    @AfterEach void clear() { System.clearProperty("draggan.profile.sync"); }

    /** A backend on the given device that records the names of the methods called on it; zeros returns a host tensor. */
    private static Backend recording(Device device, List<String> calls) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (p, m, args) -> {
            calls.add(m.getName());
            return switch (m.getName()) {
                case "name" -> "stand-in";
                case "device" -> device;
                case "zeros" -> Tensor.zeros(DType.F32, (int[]) args[1]);
                default -> null;
            };
        });
    }

    private static List<String> opsAndSyncs(List<String> calls) {
        return calls.stream().filter(c -> !c.equals("name") && !c.equals("device")).toList();
    }

    @Test void syncWaitsAfterEachDeviceOpOnlyWhenAsked() {
        for (boolean sync : new boolean[]{false, true}) {
            if (sync) System.setProperty("draggan.profile.sync", "true");
            List<String> calls = new ArrayList<>();
            Backend b = ProfilingBackend.wrap(recording(Device.CUDA, calls));
            Tensor t = b.zeros(DType.F32, 2, 3);
            b.zeros(DType.F32, 4);
            b.synchronize();
            assertEquals(6, t.numel(), "the op's result passes through");
            assertEquals(sync ? List.of("zeros", "synchronize", "zeros", "synchronize", "synchronize") : List.of("zeros", "zeros", "synchronize"),
                    opsAndSyncs(calls), "sync " + sync);
        }
    }

    @Test void aCpuBackendIsNeverSynchronised() {
        System.setProperty("draggan.profile.sync", "true");
        List<String> calls = new ArrayList<>();
        Backend b = ProfilingBackend.wrap(recording(Device.CPU, calls));
        b.zeros(DType.F32, 3);
        assertEquals(List.of("zeros"), opsAndSyncs(calls));
    }
}
