package io.github.dragganjvm.app;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.github.dragganjvm.app.CliTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code ./draggan train} end to end on a tiny 16 px network: outputs, resume, and one-line errors for bad input. */
class TrainCommandTest {
    /** A tiny run: 16 px, 16 channels, batch 4; 0.008 kimg = 2 steps. */
    static String[] tiny(Path out, String kimg, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--data", "toy:faces", "--res", "16", "--cbase", "128", "--cmax", "16", "--wdim", "32",
                "--batch", "4", "--kimg", kimg, "--snap-kimg", "0.008", "--tick-kimg", "0.004", "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static void assertOneLineError(CliTest.Result r, int code, String... words) {
        assertEquals(code, r.code(), "exit code; stderr: " + r.err());
        String last = r.err().strip();
        assertFalse(last.contains("\tat "), "no stack trace: " + r.err());
        for (String w : words) assertTrue(r.err().contains(w), "the error names '" + w + "': " + r.err());
    }

    @Test void resumingDropsTheMetricsRowsWrittenAfterTheSnapshot(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("metrics.csv");
        Files.write(m, List.of(TrainCommand.METRICS_HEADER, "0.500,31,10.0", "1.000,62,20.0", "1.504,94,30.0", "2.000,125,40.0"));
        TrainCommand.dropRowsAfter(m, 1000);                              // the snapshot was taken at 1.000 kimg
        assertEquals(List.of(TrainCommand.METRICS_HEADER, "0.500,31,10.0", "1.000,62,20.0"), Files.readAllLines(m));
        TrainCommand.dropRowsAfter(m, 5000);                              // nothing after: unchanged
        assertEquals(3, Files.readAllLines(m).size());
    }

    @Test void aRunWritesItsOutputsAndResumesWhereItStopped(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");                                     // created by the command
        CliTest.Result r = run(tiny(out, "0.008"));
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("snapshot.safetensors", "model.safetensors", "metrics.csv", "samples.png", "loss.png", "command.txt")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f + " written");
        }
        assertEquals(64, ImageIO.read(out.resolve("samples.png").toFile()).getWidth(), "4 x 4 samples of 16 px");
        List<String> rows = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(TrainCommand.METRICS_HEADER, rows.get(0));
        assertEquals(3, rows.size(), "a header and one row per tick (2 ticks): " + rows);
        assertTrue(rows.get(2).startsWith("0.008,2,"), "the second tick at 8 images, step 2: " + rows);

        r = run("train", "--resume", out.toString(), "--kimg", "0.016");
        assertEquals(0, r.code(), r.err());
        rows = Files.readAllLines(out.resolve("metrics.csv"));
        assertTrue(rows.get(rows.size() - 1).startsWith("0.016,4,"), "the run went on from step 2 to step 4: " + rows);

        // the model loads in the other programs
        Path png = dir.resolve("g.png");
        r = run("generate", "--model", out.resolve("model.safetensors").toString(), "--seed", "3", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(16, ImageIO.read(png.toFile()).getWidth());
    }

    @Test void resumingWithAnotherConfigurationIsRefusedAndTheSnapshotKept(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        assertEquals(0, run(tiny(out, "0.004")).code());
        byte[] before = Files.readAllBytes(out.resolve("snapshot.safetensors"));
        assertOneLineError(run("train", "--resume", out.toString(), "--res", "32"), 2, "another configuration", "--res 32");
        assertOneLineError(run("train", "--resume", out.toString(), "--cmax", "32"), 2, "another configuration", "network");
        assertOneLineError(run("train", "--resume", out.toString(), "--batch", "8"), 2, "another configuration", "--batch 8");
        assertOneLineError(run("train", "--resume", dir.toString()), 2, "holds no snapshot.safetensors");
        assertOneLineError(run(tiny(out, "0.004")), 2, "already holds a run", "--resume");
        assertArrayEquals(before, Files.readAllBytes(out.resolve("snapshot.safetensors")), "the snapshot is untouched");
    }

    @Test void badDataAndResolutionGiveOneLine(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertOneLineError(run("train", "--data", empty.toString(), "--res", "16", "--out", dir.resolve("o1").toString()), 2, "--data", "holds no");
        Path mixed = Files.createDirectories(dir.resolve("mixed"));
        ImageIO.write(new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", mixed.resolve("a.png").toFile());
        ImageIO.write(new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", mixed.resolve("b.png").toFile());
        assertOneLineError(run("train", "--data", mixed.toString(), "--res", "16", "--out", dir.resolve("o2").toString()), 2, "a.png", "b.png");
        assertOneLineError(run("train", "--data", "toy:faces", "--res", "48", "--out", dir.resolve("o3").toString()), 2, "--res", "power of two");
        assertOneLineError(run("train", "--data", "toy:cats", "--res", "16", "--out", dir.resolve("o4").toString()), 2, "toy:cats");
        assertOneLineError(run("train", "--data", dir.resolve("nope").toString(), "--res", "16", "--out", dir.resolve("o5").toString()), 2, "not a folder");
        for (String o : List.of("o1", "o2", "o3", "o4", "o5")) assertFalse(Files.exists(dir.resolve(o)), o + ": nothing written for bad input");
    }

    /** A full disk while the snapshot is written: one line, exit 1, the previous snapshot intact (needs root to mount a tmpfs). */
    @Test void aFullDiskKeepsThePreviousSnapshot(@TempDir Path dir) throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("small"));
        Assumptions.assumeTrue(exec("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt.toString()) == 0, "cannot mount a tmpfs here (not root?)");
        try {
            Path out = mnt.resolve("run");
            assertEquals(0, run(tiny(out, "0.004")).code());
            byte[] before = Files.readAllBytes(out.resolve("snapshot.safetensors"));
            // fill the disk so the next snapshot cannot be written
            long free = Files.getFileStore(mnt).getUsableSpace();
            try (var f = java.nio.channels.FileChannel.open(mnt.resolve("filler"), java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                byte[] chunk = new byte[64 * 1024];
                long written = 0;
                try {
                    while (written < free) written += f.write(java.nio.ByteBuffer.wrap(chunk));
                } catch (IOException full) {
                    // the disk is full now
                }
            }
            CliTest.Result r = run("train", "--resume", out.toString(), "--kimg", "0.008");
            assertOneLineError(r, 1, "No space left");
            assertArrayEquals(before, Files.readAllBytes(out.resolve("snapshot.safetensors")), "the previous snapshot is intact");
            try (var files = Files.list(out)) {
                List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
                assertTrue(names.stream().noneMatch(n -> n.endsWith(".tmp")), "no temporary file left: " + names);
            }
        } finally {
            exec("umount", mnt.toString());
        }
    }

    private static int exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    @Test void benchPrintsOneParsableLine() {
        CliTest.Result r = run("train", "--bench", "--res", "16", "--cbase", "128", "--cmax", "16", "--wdim", "32", "--batch", "4", "--bench-steps", "2");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        List<String> lines = Arrays.stream(out.split("\n")).filter(l -> l.startsWith("java train:")).toList();
        assertEquals(1, lines.size(), out);
        assertTrue(lines.get(0).matches("java train: res 16 cbase 128 cmax 16 batch 4: [0-9.]+ img/s .*"), lines.get(0));
        String all = out + "\n" + r.err();
        assertTrue(all.lines().anyMatch(l -> l.matches("time per step by phase .*GMAIN [0-9]+ \\([0-9]+%\\).*")), all);
        assertTrue(all.lines().anyMatch(l -> l.matches("garbage collection during the timed steps: [0-9]+ collections?, [0-9]+ ms per step \\([0-9.]+% .*")), all);
    }
}
