package io.github.dragganjvm.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The command-line conventions (issue 14): results on stdout and informational lines on stderr, --quiet, --json
 * (exactly one JSON object on stdout), --version from the Maven project version, and the exit statuses and model
 * specs that --help documents.
 */
class CliConventionsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static CliTest.Result run(String... argv) { return CliTest.run(argv); }

    /** stdout is one line holding one JSON object of the given command. */
    static JsonNode onlyJson(CliTest.Result r, String command) throws Exception {
        assertEquals(0, r.code(), r.err());
        String out = r.out().strip();
        assertEquals(1, out.lines().count(), "one line on stdout: " + r.out());
        JsonNode n = JSON.readTree(out);
        assertTrue(n.isObject(), out);
        assertEquals(command, n.get("command").asText(), out);
        return n;
    }

    @Test void versionIsTheMavenProjectVersion() throws Exception {
        // the version written in app/pom.xml's parent element, read here independently of the build's filtering
        Matcher m = Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(m.find(), "app/pom.xml names its parent's version");
        CliTest.Result r = run("--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("draggan " + m.group(1) + " (Java "), r.out());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        assertEquals("", r.err());
    }

    @Test void helpDocumentsExitStatusesModelSpecsAndTheCommonFlags() {
        CliTest.Result r = run("--help");
        assertEquals(0, r.code());
        String h = r.out();
        for (String s : new String[]{"exit status:", "  0  success", "  1  the run failed", "  2  usage error", "random:RES[:CBASE]",
                "FILE.pkl", "FILE.pt", "FILE.safetensors", "--quiet", "--json", "--version"}) {
            assertTrue(h.contains(s), "--help mentions '" + s + "':\n" + h);
        }
        CliTest.Result none = run();
        assertEquals(Main.EXIT_USAGE, none.code(), "no subcommand is a usage error");
        assertTrue(none.err().contains("usage:"), "its usage goes to stderr: " + none.err());
        assertEquals("", none.out());
        for (String c : new String[]{"generate", "drag", "drag-eval"}) {
            String sub = run(c, "--help").out();
            assertTrue(sub.contains("--json") && sub.contains("--quiet") && sub.contains("random:RES[:CBASE]"), c + " --help:\n" + sub);
        }
    }

    @Test void exitStatusesAreOkUsageAndFailure(@TempDir Path dir) throws Exception {
        Path junk = dir.resolve("junk.pkl");
        Files.writeString(junk, "not a checkpoint");
        CliTest.Result r = run("generate", "--seed", "1", "--model", junk.toString(), "--out", dir.resolve("x.png").toString());
        assertEquals(Main.EXIT_FAILED, r.code(), "an unreadable checkpoint fails the run: " + r.err());
        assertTrue(r.err().contains(junk.getFileName().toString()), "the error names the file: " + r.err());
        r = run("generate", "--seed", "1", "--bogus", "--out", dir.resolve("x.png").toString());
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertFalse(Files.exists(dir.resolve("x.png")));
    }

    @Test void generateWritesInfoOnStderrAndWithJsonOneObjectOnStdout(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("g.png");
        CliTest.Result r = run("generate", "--model", "random:64:1024", "--seed", "7", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out(), "a plain generate has no result to print but its file");
        assertTrue(r.err().contains("loaded built-in random StyleGAN2 random:64:1024") && r.err().contains("wrote " + png), r.err());

        Path png2 = dir.resolve("g2.png");
        r = run("generate", "--model", "random:64:1024", "--seeds", "3-4", "--grid", "2x1", "--json", "--out", png2.toString());
        JsonNode j = onlyJson(r, "generate");
        assertEquals(png2.toString(), j.get("out").asText());
        assertEquals("random:64:1024", j.get("model").asText());
        assertEquals("[3,4]", j.get("seeds").toString());
        assertEquals("[2,1]", j.get("grid").toString());
        assertEquals(128, ImageIO.read(png2.toFile()).getWidth(), "the file the JSON names: two 64 px images side by side");
        assertTrue(r.err().contains("wrote"), "informational lines stay on stderr with --json: " + r.err());

        r = run("generate", "--model", "random:64:1024", "--seed", "7", "--quiet", "--out", dir.resolve("g3.png").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err(), "--quiet: nothing on stderr");
        assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(dir.resolve("g3.png")), "--quiet changes nothing else");
    }

    @Test void dragJsonNamesItsFilesPointsStepsAndLoss(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("drag");
        CliTest.Result r = run("drag", "--model", "random:64:1024", "--seed", "0", "--points", "20,20->30,24", "--steps", "2", "--json", "--quiet",
                "--out", out.toString());
        JsonNode j = onlyJson(r, "drag");
        assertEquals("", r.err(), "--quiet: no progress, no summary");
        assertEquals(2, j.get("steps").asInt());
        assertEquals("MAX_STEPS", j.get("reason").asText());
        assertEquals("[[30.0,24.0]]", j.get("targets").toString());
        assertEquals(1, j.get("handles").size());
        assertTrue(j.get("loss").isNumber() && j.get("loss").asDouble() > 0, "the last step's loss: " + j);
        assertTrue(j.get("seconds").asDouble() > 0, j.toString());
        for (String f : DragJson.DRAG_FILES) {
            assertEquals(out.resolve(f).toString(), j.get("files").get(f).asText(), f);
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        // the trace's last row holds the same handle the JSON reports
        java.util.List<String> trace = Files.readAllLines(out.resolve("trace.csv"));
        JsonNode h = j.get("handles").get(0);
        String expect = String.format(java.util.Locale.ROOT, "2,\"%s\"", new io.github.dragganjvm.drag.Point(h.get(0).asDouble(), h.get(1).asDouble()));
        assertTrue(trace.get(2).startsWith(expect), trace.get(2) + " vs " + expect);

        CliTest.Result rr = run("drag", "--replay", out.resolve("session.json").toString(), "--json", "--out", dir.resolve("again").toString());
        JsonNode jr = onlyJson(rr, "drag");
        assertTrue(jr.get("replay").asBoolean());
        assertEquals(2, jr.get("steps").asInt());
        assertEquals(1, jr.get("drags").asInt());
        assertTrue(rr.err().contains("replayed 1 drags"), "informational lines on stderr: " + rr.err());
    }

    @Test void dragEvalJsonHoldsTheTableRows() throws Exception {
        CliTest.Result r = run("drag-eval", "--model", "random:64:1024", "--cases", "1", "--steps", "2", "--reconstruction", "0",
                "--methods", "reference", "--json");
        JsonNode j = onlyJson(r, "drag-eval");
        assertEquals(1, j.get("table").size());
        JsonNode row = j.get("table").get(0);
        assertEquals("reference", row.get("method").asText());
        assertEquals(1, row.get("cases").asInt());
        JsonNode o = j.get("outcomes").get(0);
        assertEquals(o.get("trackerPx").asDouble(), row.get("trackerPx").asDouble(), 1e-12, "one case: the row's mean is the case");
        assertTrue(r.err().contains("| reference | 1 |"), "with --json the table is printed for people on stderr: " + r.err());
    }

    /**
     * A backend named with -Ddraggan.backend that this JVM cannot run (misspelt; or cuda, without a usable GPU) is a
     * bad setting: exit status 2 and one line naming it, before any work and without "internal error". A child JVM,
     * since the backend is chosen once per JVM.
     */
    @Test void anUnusableBackendSettingIsOneUsageLine(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        for (String backend : new String[]{"cuda", "no-such-backend"}) {
            Path out = dir.resolve(backend + ".png");
            Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Ddraggan.backend=" + backend,
                    "-cp", System.getProperty("java.class.path"), "io.github.dragganjvm.app.Main",
                    "generate", "--model", "random:64:256", "--seed", "0", "--out", out.toString())
                    .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            if (backend.equals("cuda") && p.exitValue() == 0) continue;       // this machine has a usable GPU
            String[] lines = text.lines().filter(l -> !l.startsWith("WARNING:") && !l.isBlank()).toArray(String[]::new);
            assertEquals(Main.EXIT_USAGE, p.exitValue(), text);
            assertEquals(1, lines.length, "one line: " + text);
            assertTrue(lines[0].startsWith("draggan generate: -Ddraggan.backend=" + backend), lines[0]);
            assertFalse(lines[0].contains("internal error"), lines[0]);
            assertFalse(Files.exists(out), "nothing written");
        }
    }
}
