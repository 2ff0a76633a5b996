package io.github.dragganjvm.cuda.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs {@code build-ptx.sh --check} when the CUDA toolkit is on PATH (skipped otherwise): regenerates every PTX
 * with nvcc (compute_80 and compute_90) and fails if it differs from the committed PTX, if the source hashes are
 * stale, if ptxas -v reports an error for sm_80 or sm_90, or if the registers/spills table PTXAS.md changed.
 * Skipped as well when the local nvcc is another release than the one that made the committed PTX (its output
 * legitimately differs; regenerate with the same release or update the committed files), and with
 * -Ddraggan.ptx.check=skip (it takes a minute or two on a small machine).
 */
class PtxBuildCheckTest {
    private static boolean onPath(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String nvccRelease() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("nvcc", "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        for (String line : out.split("\n")) if (line.startsWith("Cuda compilation tools")) return line.trim();
        return out.trim();
    }

    @Test void committedPtxAndPtxasReportMatchWhatTheToolkitProducesNow() throws Exception {
        Assumptions.assumeFalse("skip".equals(System.getProperty("draggan.ptx.check")), "-Ddraggan.ptx.check=skip");
        Assumptions.assumeTrue(onPath("nvcc") && onPath("ptxas"), "nvcc/ptxas not on PATH: the PTX regeneration check needs the CUDA toolkit");
        String committed = new String(JCudaDevice.readPtx("80", "adam"), StandardCharsets.US_ASCII);
        String release = nvccRelease();
        Assumptions.assumeTrue(committed.contains(release), "local nvcc is '" + release + "', the committed PTX was made by another release");
        Process p = new ProcessBuilder("bash", ModuleDir.get().resolve("build-ptx.sh").toString(), "--check").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean done = p.waitFor(20, TimeUnit.MINUTES);
        System.out.println(out);
        assertEquals(0, done ? p.exitValue() : -1, "build-ptx.sh --check failed:\n" + out);
    }
}
