package io.github.dragganjvm.tensor;

import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The programmatic backend choice ({@link Backends#use(String)}, {@link Backends#use(Backend)}) and query
 * ({@link Backends#current()}), and the one-time warning when the JVM lacks the Vector API module (child JVMs).
 */
class BackendsTest {
    private Backend before;

    @BeforeEach void remember() { before = Backends.current(); }

    @AfterEach void restore() { Backends.use(before); }

    @Test void useByNameSwitchesAndTheQueryAnswers() {
        assertTrue(Backends.vectorApiPresent(), "the tests run with --add-modules jdk.incubator.vector");
        assertEquals("reference", Backends.use("reference").name());
        assertEquals("reference", Backends.current().name());
        assertEquals("reference", Backends.cpu().name());
        // an op now computes on the chosen backend and gives the reference's values
        Tensor a = Tensor.of(new float[]{1, -2, 3}, 3);
        assertArrayEquals(new float[]{2, -4, 6}, Ops.affine(a, 2, 0).toFloatArray());

        assertEquals("vector", Backends.use(" Vector ").name(), "case and blanks ignored");
        assertEquals("vector", Backends.current().name());
        assertArrayEquals(new float[]{2, -4, 6}, Ops.affine(a, 2, 0).toFloatArray());
    }

    @Test void aWrongNameFailsNamingItAndKeepsTheChoice() {
        Backends.use("reference");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.use("gpu"));
        assertTrue(e.getMessage().contains("\"gpu\"") && e.getMessage().contains("auto, reference, vector or cuda"), e.getMessage());
        assertEquals("reference", Backends.current().name(), "the earlier choice stays");
        assertThrows(IllegalArgumentException.class, () -> Backends.use((String) null));
        assertThrows(IllegalArgumentException.class, () -> Backends.use((Backend) null));
    }

    @Test void useABackendInstance() {
        Backend mine = new ReferenceBackend();
        assertSame(mine, Backends.use(mine));
        assertSame(mine, Backends.current());
        assertSame(mine, Backends.cpu());
        assertSame(mine, Backends.forDevice(Device.CPU));
    }

    /** Starts BackendsProbeMain in a fresh JVM with the given flags; returns {stdout, stderr}. */
    private static String[] probe(String... jvmFlags) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BackendsProbeMain.class.getName()));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "probe failed:\n" + out + err);
        System.out.println("flags " + List.of(jvmFlags) + "\nstdout:\n" + out + "stderr:\n" + err);
        return new String[]{out, err};
    }

    @Test void withoutTheVectorModuleOneLoudWarningAndTheReferenceBackend() throws Exception {
        String[] r = probe("-Ddraggan.backend=auto", "-Ddraggan.quiet=true");
        assertTrue(r[0].contains("vectorApiPresent=false"), r[0]);
        assertTrue(r[0].contains("current=reference"), r[0]);
        assertTrue(r[0].contains("use(auto)=reference"), r[0]);
        assertTrue(r[0].contains("use(vector) failed: Backends.use(\"vector\"): the Vector API module is absent; start the JVM with --add-modules jdk.incubator.vector"), r[0]);
        assertTrue(r[0].contains("current after=reference"), "a failed use keeps the earlier choice: " + r[0]);
        List<String> warnings = r[1].lines().filter(l -> l.startsWith("draggan: WARNING: the Java Vector API module")).toList();
        assertEquals(1, warnings.size(), "exactly one warning per JVM, even when quiet, in:\n" + r[1]);
        assertTrue(warnings.get(0).contains("about 4x slower") && warnings.get(0).contains("--add-modules jdk.incubator.vector"), warnings.get(0));
    }

    @Test void withTheVectorModuleNoWarning() throws Exception {
        String[] r = probe("--add-modules", "jdk.incubator.vector", "-Ddraggan.backend=auto");
        assertTrue(r[0].contains("vectorApiPresent=true") && r[0].contains("current=vector") && r[0].contains("use(vector)=vector"), r[0]);
        assertFalse(r[1].contains("WARNING: the Java Vector API"), r[1]);
        assertTrue(r[1].lines().anyMatch(l -> l.startsWith("draggan: backend vector")), "the choice is logged when not quiet: " + r[1]);
    }
}
