package io.github.dragganjvm.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Outputs are all or nothing, in the user's normal permissions: {@link OutputFolder} directly (a failure in the middle
 * of writing, replacing an earlier output, refusing foreign folders, stale staging folders of killed runs), and the
 * commands through it (parents created, a drag killed with SIGKILL in a child JVM leaves no --out folder).
 */
class OutputFolderTest {
    private static final List<String> OWN = List.of("a.txt", "b.txt");

    /** Every entry of dir (recursively), relative, sorted: what a user would see, hidden files included. */
    static List<String> tree(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    /** The permissions a file / folder gets when a program creates it plainly (0666 / 0777 less the umask). */
    static String defaultPerms(Path dir, boolean folder) throws IOException {
        Path ref = dir.resolve(folder ? "ref-dir" : "ref-file");
        if (folder) Files.createDirectory(ref);
        else Files.createFile(ref);
        String p = PosixFilePermissions.toString(Files.getPosixFilePermissions(ref));
        Files.delete(ref);
        return p;
    }

    static String perms(Path p) throws IOException { return PosixFilePermissions.toString(Files.getPosixFilePermissions(p)); }

    @Test void parentsAreCreatedAndEverythingGetsTheDefaultPermissions(@TempDir Path dir) throws Exception {
        String filePerms = defaultPerms(dir, false), dirPerms = defaultPerms(dir, true);
        System.out.println("default permissions here: files " + filePerms + ", folders " + dirPerms);
        Path target = dir.resolve("x/y/out");
        OutputFolder f = OutputFolder.forOption(target.toString(), "out", "test", OWN);
        assertEquals(List.of(), tree(dir), "checking the argument writes nothing");
        Path staging = f.begin();
        assertEquals(dir.resolve("x/y"), staging.getParent());
        assertTrue(staging.getFileName().toString().startsWith(".out.partial-"), staging.toString());
        OutputFolder.writeString(staging.resolve("a.txt"), "alpha\n");
        Images.writePng(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB), staging.resolve("b.txt"));
        assertFalse(Files.exists(target), "nothing at --out before commit");
        assertEquals(target, f.commit());
        assertEquals(List.of("x", "x/y", "x/y/out", "x/y/out/a.txt", "x/y/out/b.txt"), tree(dir));
        assertEquals("alpha\n", Files.readString(target.resolve("a.txt")));
        for (String p : List.of("x/y/out/a.txt", "x/y/out/b.txt")) assertEquals(filePerms, perms(dir.resolve(p)), p);
        for (String p : List.of("x", "x/y", "x/y/out")) assertEquals(dirPerms, perms(dir.resolve(p)), p);
        // a single file into missing folders
        Path png = dir.resolve("g/h/img.png");
        Images.writePng(new java.awt.image.BufferedImage(2, 2, java.awt.image.BufferedImage.TYPE_INT_RGB), png);
        assertEquals(filePerms, perms(png));
        assertEquals(dirPerms, perms(dir.resolve("g/h")));
        assertEquals(List.of("h", "h/img.png"), tree(dir.resolve("g")));
    }

    /** A run killed by an exception in the middle of writing: no --out, no staging folder, no parent folders it made. */
    @Test void aFailureMidWriteLeavesNothing(@TempDir Path dir) throws Exception {
        OutputFolder f = OutputFolder.forOption(dir.resolve("p/q/out").toString(), "out", "test", OWN);
        Path staging = f.begin();
        OutputFolder.writeString(staging.resolve("a.txt"), "complete");
        IOException thrown = assertThrows(IOException.class, () -> OutputFolder.writeFile(staging.resolve("b.txt"), out -> {
            out.write("half of it".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk on fire");
        }));
        assertEquals("disk on fire", thrown.getMessage());
        assertEquals(List.of("a.txt"), tree(staging), "the failed file left no temporary file");
        f.close();
        assertEquals(List.of(), tree(dir), "nothing left");
        f.close();                                            // idempotent
    }

    /** The same through Main's safety net: whatever the command's thread began and did not commit is discarded. */
    @Test void discardUncommittedRemovesWhatTheThreadBegan(@TempDir Path dir) throws Exception {
        Path[] staging = new Path[1];
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                staging[0] = OutputFolder.forOption(dir.resolve("other").toString(), "out", "test", OWN).begin();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        other.join();
        Path mine = OutputFolder.forOption(dir.resolve("deep/mine").toString(), "out", "test", OWN).begin();
        OutputFolder.writeString(mine.resolve("a.txt"), "x");
        OutputFolder.discardUncommitted();
        assertFalse(Files.exists(dir.resolve("deep")), "this thread's staging folder and the parent made for it are gone");
        assertTrue(Files.isDirectory(staging[0]), "another thread's is not touched");
        OutputFolder.deleteRecursively(staging[0]);
    }

    @Test void aFailedRunKeepsThePreviousOutputAndASuccessfulOneReplacesItWhole(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("out");
        Files.createDirectories(target);
        Files.writeString(target.resolve("a.txt"), "first run");
        Files.writeString(target.resolve("b.txt"), "first run");

        OutputFolder failed = OutputFolder.forOption(target.toString(), "out", "test", OWN);
        OutputFolder.writeString(failed.begin().resolve("a.txt"), "second run, killed");
        failed.close();
        assertEquals(List.of("out", "out/a.txt", "out/b.txt"), tree(dir));
        assertEquals("first run", Files.readString(target.resolve("a.txt")));

        OutputFolder ok = OutputFolder.forOption(target.toString(), "out", "test", OWN);
        OutputFolder.writeString(ok.begin().resolve("a.txt"), "third run");
        ok.commit();
        assertEquals(List.of("out", "out/a.txt"), tree(dir), "the folder holds exactly the last run's outputs, no hidden leftovers");
        assertEquals("third run", Files.readString(target.resolve("a.txt")));
    }

    @Test void aFolderWithForeignFilesOrAFileIsRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("mine");
        Files.createDirectories(target);
        Files.writeString(target.resolve("a.txt"), "ours");
        Files.writeString(target.resolve("thesis.tex"), "the user's");
        UsageException e = assertThrows(UsageException.class, () -> OutputFolder.forOption(target.toString(), "out", "drag", OWN));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().startsWith("--out: " + target.toRealPath() + " holds 'thesis.tex', which drag does not write"), e.getMessage());
        Path file = dir.resolve("file");
        Files.writeString(file, "x");
        e = assertThrows(UsageException.class, () -> OutputFolder.forOption(file.toString(), "out", "drag", OWN));
        assertEquals("--out: " + file + " exists and is not a folder", e.getMessage());
        e = assertThrows(UsageException.class, () -> OutputFolder.forOption(file.resolve("below").toString(), "out", "drag", OWN));
        assertEquals("--out: " + file + " is a file, so " + file.resolve("below") + " cannot be created", e.getMessage());
        assertEquals(List.of("file", "mine", "mine/a.txt", "mine/thesis.tex"), tree(dir));
    }

    @Test void aSingleFileIsAllOrNothing(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("result.csv");
        Files.writeString(f, "old,complete\n");
        assertThrows(IllegalStateException.class, () -> OutputFolder.writeFile(f, out -> {
            out.write("new,hal".getBytes(StandardCharsets.UTF_8));
            throw new IllegalStateException("killed");
        }));
        assertEquals("old,complete\n", Files.readString(f));
        assertEquals(List.of("result.csv"), tree(dir));
        assertThrows(IllegalStateException.class, () -> OutputFolder.writeFile(dir.resolve("new/deeper/x.csv"), out -> {
            throw new IllegalStateException("killed");
        }));
        assertEquals(List.of("result.csv"), tree(dir), "the folders made for a file that failed are removed");
    }

    /** A staging folder left by a SIGKILLed process (gone now) is removed by the next run into the same folder. */
    @Test void stagingOfAKilledProcessIsSweptByTheNextRun(@TempDir Path dir) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        long pid = gone.pid();
        Path stale = dir.resolve(".out.partial-" + pid + "-0123456789ab");
        Files.createDirectories(stale);
        Files.writeString(stale.resolve("a.txt"), "half");
        Path alive = dir.resolve(".out.partial-" + ProcessHandle.current().pid() + "-0123456789ab");   // this JVM: alive
        Files.createDirectories(alive);
        Path tmp = dir.resolve(".x.png." + pid + "-0123456789ab.tmp");
        Files.writeString(tmp, "half");
        OutputFolder f = OutputFolder.forOption(dir.resolve("out").toString(), "out", "test", OWN);
        f.begin();
        f.commit();
        assertFalse(Files.exists(stale), "stale staging folder of process " + pid + " removed");
        assertTrue(Files.exists(alive), "a live process's staging folder is kept");
        OutputFolder.writeString(dir.resolve("x.png"), "png");
        assertFalse(Files.exists(tmp), "stale temporary file removed");
    }

    /**
     * Starts {@code drag} with many steps in a child JVM and waits until it has written start.png into its staging
     * folder. The learning rate is the smallest the CLI takes, so w+ hardly moves, the handle stays where it is and
     * the run cannot reach its target and finish before the test stops it (a random model's drag sometimes arrives
     * within a second).
     */
    static Process startChildDrag(Path dir, Path out) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "io.github.dragganjvm.app.Main", "drag", "--model", "random:64:256", "--seed", "0", "--points", "10,10->50,50", "--steps", "100000", "--lr", "1e-12",
                "--frame-every", "1", "--out", out.toString()));
        Path log = dir.resolve("child-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path parent = out.getParent();
        String staged = "\\." + Pattern.quote(out.getFileName().toString()) + "\\.partial-\\d+-[0-9a-f]{12}/start\\.png";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (tree(parent).stream().anyMatch(n -> n.matches(staged))) {
                Thread.sleep(300);                              // a few drag steps into the run
                return p;
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new AssertionError("the child did not begin writing: " + tree(dir) + "\n" + Files.readString(log));
    }

    /** SIGTERM (as Ctrl-C): the drag stops, writes everything and commits; the exit hook waits for it, nothing is left staged. */
    @Test void aDragStoppedBySigtermStillWritesEverything(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("runs/drag");
        Process p = startChildDrag(dir, out);
        p.destroy();                                            // SIGTERM
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child ended");
        System.out.println("after SIGTERM: " + tree(dir.resolve("runs")));
        assertEquals(DragCommand.OUTPUTS.stream().sorted().toList(), tree(out), "every output, complete");
        assertEquals(List.of("drag"), tree(dir.resolve("runs")).stream().filter(n -> !n.contains("/")).toList(), "no staging folder left");
        assertTrue(Files.readAllLines(out.resolve("trace.csv")).size() >= 2, "trace.csv holds the steps made");
    }

    /**
     * The real thing: {@code ./draggan drag} in a child JVM, SIGKILLed while it runs, leaves no --out folder (nor the
     * parents it made visible: only its hidden staging folder, which the next run removes); then the same command in
     * this JVM creates the parents and writes every output with the default permissions.
     */
    @Test void aKilledDragLeavesNoOutFolder(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("runs/drag");
        Process p = startChildDrag(dir, out);
        Path runs = dir.resolve("runs");
        p.destroyForcibly();                                    // SIGKILL: no hook, no cleanup
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        System.out.println("after SIGKILL: " + tree(runs));
        assertFalse(Files.exists(out), "no --out folder after a killed run");
        assertTrue(tree(runs).stream().allMatch(n -> n.startsWith(".drag.partial-")), "only the hidden staging folder: " + tree(runs));

        CliTest.Result r = CliTest.run("drag", "--model", "random:64:256", "--seed", "0", "--points", "10,10->12,12", "--steps", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("drag"), tree(runs).stream().filter(n -> !n.contains("/")).toList(), "the killed run's staging folder was swept");
        List<String> names = tree(out);
        assertEquals(DragCommand.OUTPUTS.stream().sorted().toList(), names);
        String filePerms = defaultPerms(dir, false);
        for (String n : names) assertEquals(filePerms, perms(out.resolve(n)), n);
    }
}
