package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.BackendProvider;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Registration and the unavailable path: the provider is found through ServiceLoader under the name "cuda"; on a
 * machine without a usable GPU, creating it fails with the same single line every time (probed once), and
 * Backends reports it once and runs on the CPU.
 */
class BackendAvailabilityTest {

    @Test void providerIsRegisteredThroughServiceLoader() {
        List<String> names = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) names.add(p.name() + "=" + p.getClass().getName());
        assertTrue(names.contains("cuda=" + CudaBackendProvider.class.getName()), "ServiceLoader found " + names);
    }

    @Test void withoutAGpuCreateFailsWithOneClearLineEveryTime() {
        Assumptions.assumeFalse(CudaRuntime.available(), "a GPU is present: the unavailable path cannot be shown here");
        String reason = CudaRuntime.unavailableReason();
        System.out.println("reason: " + reason);
        assertFalse(reason.contains("\n"), "one line: " + reason);
        assertTrue(reason.startsWith("CUDA unavailable: "), reason);
        if (!new File("/usr/lib/x86_64-linux-gnu/libcuda.so.1").exists() && !new File("/usr/lib64/libcuda.so.1").exists()) {
            assertTrue(reason.contains("libcuda.so.1"), "with no driver installed the reason names libcuda.so.1: " + reason);
        }
        CudaBackendProvider provider = new CudaBackendProvider();
        IllegalStateException first = assertThrows(IllegalStateException.class, provider::create);
        IllegalStateException second = assertThrows(IllegalStateException.class, provider::create);
        assertEquals(reason, first.getMessage());
        assertEquals(reason, second.getMessage());
        assertSame(reason, CudaRuntime.unavailableReason(), "probed once, the same answer afterwards");
    }

    @Test void withAGpuTheSharedBackendOpens() {
        Assumptions.assumeTrue(CudaRuntime.available(), CudaRuntime.unavailableReason());
        CudaBackend be = CudaRuntime.backend();
        assertSame(be, new CudaBackendProvider().create());
        assertEquals(Device.CUDA, be.device());
        System.out.println("device: " + be.driver().description());
        assertTrue(be.driver().computeCapability() >= 80);
    }

    /** Backends in a fresh JVM (its choice is made once per JVM): what it prints and what it throws. */
    private static String[] runProbe(String backendProperty) throws Exception {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Ddraggan.backend=" + backendProperty,
                "-cp", System.getProperty("java.class.path"), BackendsProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "probe failed:\n" + out + err);
        return new String[]{out, err};
    }

    @Test void backendsLogsTheReasonOnceAndFallsBackToTheCpu() throws Exception {
        Assumptions.assumeFalse(CudaRuntime.available(), "a GPU is present");
        String[] auto = runProbe("auto");
        System.out.println("auto stdout:\n" + auto[0] + "auto stderr:\n" + auto[1]);
        List<String> errLines = auto[1].lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(1, errLines.size(), "exactly one line on stderr: " + errLines);
        assertTrue(errLines.get(0).startsWith("draggan: backend vector") || errLines.get(0).startsWith("draggan: backend reference"), errLines.get(0));
        assertTrue(errLines.get(0).contains("cuda: " + CudaRuntime.unavailableReason()), errLines.get(0));
        assertTrue(auto[0].contains("current=vector") || auto[0].contains("current=reference"), auto[0]);
        List<String> cudaErrors = auto[0].lines().filter(l -> l.startsWith("forDevice(CUDA) failed: ")).toList();
        assertEquals(2, cudaErrors.size(), auto[0]);
        assertEquals(cudaErrors.get(0), cudaErrors.get(1), "the same reason each time, never retried");

        String[] forced = runProbe("cuda");
        System.out.println("cuda stdout:\n" + forced[0]);
        assertTrue(forced[0].contains("current failed: -Ddraggan.backend=cuda: CUDA backend unavailable: " + CudaRuntime.unavailableReason()), forced[0]);
    }
}
