package io.github.dragganjvm.app;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The course in docs/course cannot rot: each chapter program is started as its readers start it (the JDK's
 * single-file source launcher, {@code java --source 25 ... ChapterN.java}) on this module's test class path, which
 * holds every module; it must exit 0, print no FAIL line and print every PASS line that docs/course/expected.txt
 * lists for it.
 */
class CourseTest {
    private static final Path COURSE = Path.of("").toAbsolutePath().getParent().resolve("docs").resolve("course");

    @ParameterizedTest(name = "chapter {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void chapterPassesEveryCheck(int chapter, @TempDir Path figures) throws Exception {
        Path program = COURSE.resolve("Chapter" + chapter + ".java");
        assertTrue(Files.isRegularFile(program), "course program missing: " + program);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--source", "25", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Ddraggan.quiet=true", "-cp", System.getProperty("java.class.path"), program.toString(), figures.toString());
        Path log = figures.resolve("output.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(300, TimeUnit.SECONDS);
        if (!finished) p.destroyForcibly();
        String out = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(out);
        assertTrue(finished, "chapter " + chapter + " did not finish within 300 s; it printed:\n" + out);
        List<String> expected = new ArrayList<>();
        for (String line : Files.readAllLines(COURSE.resolve("expected.txt"), StandardCharsets.UTF_8)) {
            if (line.startsWith(chapter + " | ")) expected.add(line.substring((chapter + " | ").length()));
        }
        assertFalse(expected.isEmpty(), "expected.txt lists no PASS line for chapter " + chapter);
        List<String> missing = new ArrayList<>();
        for (String label : expected) if (out.lines().noneMatch(l -> l.startsWith("PASS " + label))) missing.add(label);
        List<String> failed = out.lines().filter(l -> l.startsWith("FAIL")).toList();
        assertEquals(List.of(), failed, "chapter " + chapter + " printed FAIL lines");
        assertEquals(List.of(), missing, "chapter " + chapter + " did not print these PASS lines (exit " + p.exitValue() + "):\n" + out);
        assertEquals(0, p.exitValue(), "chapter " + chapter + " exit status; it printed:\n" + out);
        assertTrue(out.contains("Chapter " + chapter + ": all checks passed"), "chapter " + chapter + " final line missing:\n" + out);
    }
}
