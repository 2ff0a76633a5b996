package io.github.dragganjvm.app;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Where a command's outputs go, written so that a failed or killed run leaves nothing partial behind, in the
 * user's normal permissions. Every output of every command goes through this class.
 *
 * <p><b>A folder of outputs</b> ({@code drag --out DIR}): {@link #forOption} checks the argument before any work
 * (writes nothing); {@link #begin} creates the missing parent folders and a hidden staging folder beside DIR,
 * {@code .DIR.partial-PID-RANDOM}, into which the command writes every file; {@link #commit} renames it to DIR in
 * one step. A run that fails (any exception) discards the staging folder and the parents it created
 * ({@link #close}, and {@code Main} calls {@link #discardUncommitted} after every command); a run stopped by a
 * signal (SIGTERM, SIGINT) is given time to finish and commit, and what it left uncommitted is discarded at JVM
 * exit. Only SIGKILL (or a power cut) can leave a staging folder: it stays hidden and the next run into the same
 * DIR removes it once its process is gone. DIR itself is never seen half-written.
 *
 * <p><b>An existing DIR</b>: it must be empty or hold nothing but files the command writes (the output of an
 * earlier run, e.g. {@code start.png}, {@code final.png}, ...); it is then replaced as a whole at commit, so DIR
 * always holds the outputs of exactly one run. A DIR holding anything else (a user's own files, {@code --out .})
 * is refused before any work, naming the first foreign entry. Replacing takes two renames (old DIR to a hidden
 * {@code .DIR.old-...} sibling, then the staging folder to DIR); a SIGKILL between them leaves the old outputs in
 * that sibling.
 *
 * <p><b>Single files</b> ({@code generate --out X.png}, {@code drag-eval --out X.csv}, every PNG, GIF and text file
 * inside a folder): {@link #writeFile} writes a hidden temporary sibling and renames it over the file; missing
 * parent folders are created.
 *
 * <p><b>Permissions</b>: files and folders are created with the process's default permissions (0666 or 0777 less
 * the umask, typically 0644 and 0755), as any program's output; never the owner-only 0600 / 0700 of
 * {@link Files#createTempFile} / {@link Files#createTempDirectory}.
 */
public final class OutputFolder implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long PID = ProcessHandle.current().pid();
    /** How long JVM exit waits for a command to finish and commit what it is writing (a drag stopped by Ctrl-C). */
    private static final long EXIT_WAIT_MS = 130_000;
    /** Staging folders and temporary files not yet committed or discarded, with the thread that made them. */
    private static final Set<Pending> PENDING = new LinkedHashSet<>();
    private static boolean exitHookInstalled;

    private final String option;
    private final String command;
    private final Path target;
    private final Set<String> ownNames;
    private Path staging;
    private Pending pending;
    private final List<Path> createdParents = new ArrayList<>();
    private boolean committed;

    private OutputFolder(String option, String command, Path target, Set<String> ownNames) {
        this.option = option;
        this.command = command;
        this.target = target;
        this.ownNames = ownNames;
    }

    /**
     * Checks a folder argument before any work and writes nothing: it must not be a file, its nearest existing
     * ancestor must be a writable folder, and if it exists it must be empty or hold only names of {@code ownNames}.
     *
     * @param value    the argument as given (relative to the working directory or absolute; a symbolic link to a
     *                 folder stands for that folder)
     * @param option   the option's name without dashes, for messages ("out")
     * @param command  the command's name, for messages ("drag")
     * @param ownNames every file name the command may write into the folder
     * @throws UsageException naming the option, the path and what is wrong
     */
    public static OutputFolder forOption(String value, String option, String command, Collection<String> ownNames) {
        Path p = Path.of(value).toAbsolutePath().normalize();
        try {
            if (Files.isDirectory(p)) p = p.toRealPath();
        } catch (IOException e) {
            throw new UsageException("--" + option + ": cannot resolve " + p + ": " + e.getMessage());
        }
        if (p.getFileName() == null) throw new UsageException("--" + option + ": " + p + " cannot be an output folder");
        OutputFolder f = new OutputFolder(option, command, p, Set.copyOf(ownNames));
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p)) {
            throw new UsageException("--" + option + ": " + p + " exists and is not a folder");
        }
        checkAncestor(p, option);
        String foreign = f.foreignEntry();
        if (foreign != null) {
            throw new UsageException("--" + option + ": " + p + " holds '" + foreign + "', which " + command + " does not write; give a new or empty folder ("
                    + command + " replaces a folder only when it holds nothing but its own outputs: " + String.join(", ", ownNames) + ")");
        }
        return f;
    }

    /** The folder the outputs end up in (absolute). */
    public Path target() { return target; }

    /**
     * Creates the missing parent folders and the staging folder (default permissions) and returns the staging
     * folder: write every output into it, then {@link #commit}. Call once.
     */
    public synchronized Path begin() throws IOException {
        if (staging != null) throw new IllegalStateException("begin: already begun (" + staging + ")");
        Path parent = target.getParent();
        createdParents.addAll(createParents(parent));
        sweepStale(parent, target.getFileName().toString());
        staging = createUnique(parent, "." + target.getFileName() + ".partial-" + PID + "-", "", true);
        pending = register(staging, this::close);
        return staging;
    }

    /**
     * Moves the staging folder into place as {@link #target()} (replacing an earlier run's output, see the class
     * comment) and returns the target. If the target gained a foreign entry since {@link #forOption}, nothing is
     * replaced: an IOException names where the outputs were left.
     */
    public synchronized Path commit() throws IOException {
        if (staging == null) throw new IllegalStateException("commit: begin() was not called");
        if (committed) return target;
        Path parent = target.getParent();
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
                replace(parent);
            }
        } else {
            replace(parent);
        }
        committed = true;
        unregister(pending);
        return target;
    }

    private void replace(Path parent) throws IOException {
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            keepStaging();
            throw new IOException("--" + option + ": " + target + " is no longer a folder; the outputs are in " + staging);
        }
        String foreign = foreignEntry();
        if (foreign != null) {
            keepStaging();
            throw new IOException("--" + option + ": " + target + " gained '" + foreign + "' during the run, so it was not replaced; the outputs are in " + staging);
        }
        Path old = createUnique(parent, "." + target.getFileName() + ".old-" + PID + "-", "", false);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException back) {
                e.addSuppressed(back);
            }
            throw e;
        }
        deleteRecursively(old);
    }

    private void keepStaging() {
        committed = true;           // nothing to discard: the user keeps the outputs where the message says
        unregister(pending);
    }

    /** Discards the staging folder and the parent folders {@link #begin} created (when empty), unless committed. */
    @Override public synchronized void close() {
        if (committed || staging == null) return;
        committed = true;
        try {
            deleteRecursively(staging);
        } catch (IOException e) {
            System.err.println("draggan: could not remove the partial output " + staging + ": " + e.getMessage());
        }
        for (int i = createdParents.size() - 1; i >= 0; i--) {
            try {
                Files.deleteIfExists(createdParents.get(i));
            } catch (IOException ignored) {
                break;              // not empty (someone else wrote there): keep it and what is above it
            }
        }
        unregister(pending);
    }

    /**
     * Discards every staging folder and temporary file that the calling thread began and did not commit (and the
     * parent folders made for them). {@code Main} calls it after every command, so an exception anywhere in a
     * command leaves nothing behind.
     */
    static void discardUncommitted() {
        List<Pending> mine = new ArrayList<>();
        synchronized (PENDING) {
            for (Pending p : PENDING) if (p.thread == Thread.currentThread()) mine.add(p);
        }
        for (Pending p : mine) p.discard();
    }

    // ------------------------------------------------------------------ single files

    /** Writes the bytes of one output file. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code file} all or nothing: the missing parent folders are created, the body writes a hidden
     * temporary sibling {@code .NAME.PID-RANDOM.tmp} (default permissions), which is then renamed over
     * {@code file}. On any failure the temporary file and the parents made for it are removed and {@code file}
     * keeps its earlier contents (or stays absent).
     */
    public static void writeFile(Path file, Body body) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        List<Path> made = createParents(dir);
        sweepStale(dir, abs.getFileName().toString());
        Path tmp = null;
        Pending p = null;
        boolean done = false;
        try {
            tmp = createUnique(dir, "." + abs.getFileName() + "." + PID + "-", ".tmp", false);
            Path registered = tmp;
            p = register(tmp, () -> {
                try {
                    Files.deleteIfExists(registered);
                } catch (IOException e) {
                    System.err.println("draggan: could not remove the partial output " + registered + ": " + e.getMessage());
                }
            });
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), 1 << 16)) {
                body.writeTo(out);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } finally {
            if (!done) {
                if (tmp != null) Files.deleteIfExists(tmp);
                for (int i = made.size() - 1; i >= 0; i--) {
                    try {
                        Files.deleteIfExists(made.get(i));
                    } catch (IOException ignored) {
                        break;
                    }
                }
            }
            if (p != null) unregister(p);
        }
    }

    /**
     * A new empty hidden temporary sibling {@code .NAME.PID-RANDOM.tmp} of file (default permissions), for a file
     * written in pieces over time ({@link PendingFile}); the caller renames or deletes it.
     */
    static Path newTempSibling(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        return createUnique(abs.getParent(), "." + abs.getFileName() + "." + PID + "-", ".tmp", false);
    }

    /** {@link #writeFile} of a UTF-8 text. */
    public static void writeString(Path file, String text) throws IOException {
        writeFile(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Checks an output file argument before any work and writes nothing: it must end with {@code ext} (any case),
     * must not be a folder, and its nearest existing ancestor must be a writable folder (missing folders are created
     * when the file is written). Returns the absolute path.
     */
    public static Path checkFile(String value, String option, String ext) {
        if (!value.toLowerCase(java.util.Locale.ROOT).endsWith(ext)) throw new UsageException("--" + option + " must name a " + ext + " file but is '" + value + "'");
        Path p = Path.of(value).toAbsolutePath().normalize();
        if (Files.isDirectory(p)) throw new UsageException("--" + option + ": " + p + " is a folder");
        checkAncestor(p, option);
        return p;
    }

    /**
     * Checks a folder argument that a command fills over time (a training run) and writes nothing: not a file,
     * nearest existing ancestor a writable folder. Returns the absolute path; the command creates it (and its
     * parents) with {@link Files#createDirectories}.
     */
    public static Path checkGrowingFolder(String value, String option) {
        Path p = Path.of(value).toAbsolutePath().normalize();
        if (Files.exists(p) && !Files.isDirectory(p)) throw new UsageException("--" + option + ": " + p + " exists and is not a folder");
        checkAncestor(p, option);
        return p;
    }

    // ------------------------------------------------------------------ internals

    /** The nearest existing ancestor of p must be a folder we may write into. */
    private static void checkAncestor(Path p, String option) {
        Path a = p.getParent();
        while (a != null && !Files.exists(a)) a = a.getParent();
        if (a == null) throw new UsageException("--" + option + ": no existing folder above " + p);
        if (!Files.isDirectory(a)) throw new UsageException("--" + option + ": " + a + " is a file, so " + p + " cannot be created");
        if (!Files.isWritable(a)) throw new UsageException("--" + option + ": folder " + a + " is not writable");
    }

    /** The first entry of the existing target that the command does not write, or null (also when absent). */
    private String foreignEntry() {
        if (!Files.isDirectory(target)) return null;
        try (var s = Files.list(target)) {
            return s.map(e -> e.getFileName().toString()).filter(n -> !ownNames.contains(n)).sorted().findFirst().orElse(null);
        } catch (IOException e) {
            throw new UsageException("--" + option + ": cannot read the folder " + target + ": " + e.getMessage());
        }
    }

    /** Creates dir and its missing parents (default permissions); returns the folders made, outermost first. */
    private static List<Path> createParents(Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !Files.isDirectory(d); d = d.getParent()) missing.addFirst(d);
        List<Path> made = new ArrayList<>();
        for (Path d : missing) {
            try {
                Files.createDirectory(d);
                made.add(d);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(d)) throw e;   // made by a concurrent run: fine
            }
        }
        return made;
    }

    /** A new file or folder prefix + random + suffix in dir, created with the default permissions (never 0600). */
    private static Path createUnique(Path dir, String prefix, String suffix, boolean folder) throws IOException {
        for (int attempt = 0; ; attempt++) {
            byte[] r = new byte[6];
            RANDOM.nextBytes(r);
            Path p = dir.resolve(prefix + HexFormat.of().formatHex(r) + suffix);
            try {
                if (folder) Files.createDirectory(p);
                else if (suffix.isEmpty()) return p;           // a name for a rename target: not created
                else Files.createFile(p);
                return p;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) throw e;
            }
        }
    }

    /**
     * Removes what killed processes (now gone) left beside {@code name} in dir: staging folders
     * {@code .NAME.partial-PID-R}, replaced outputs {@code .NAME.old-PID-R} (only while NAME exists) and temporary
     * files {@code .NAME.PID-R.tmp}.
     */
    private static void sweepStale(Path dir, String name) {
        Pattern stale = Pattern.compile("\\." + Pattern.quote(name) + "\\.(partial-|old-|)(\\d+)-[0-9a-f]{12}(\\.tmp)?");
        try (var s = Files.list(dir)) {
            for (Path e : s.toList()) {
                var m = stale.matcher(e.getFileName().toString());
                if (!m.matches() || m.group(1).isEmpty() != (m.group(3) != null)) continue;
                long pid = Long.parseLong(m.group(2));
                if (pid == PID || ProcessHandle.of(pid).isPresent()) continue;
                if (m.group(1).equals("old-") && !Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) continue;  // the only copy: keep it
                deleteRecursively(e);
            }
        } catch (IOException | NumberFormatException | UncheckedIOException e) {
            // best effort: a leftover hidden folder is harmless
        }
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(f);
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) throw e;
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** A staging folder or temporary file not yet committed, the thread writing it, and how to discard it. */
    private record Pending(Path path, Thread thread, Runnable cleanup) {
        void discard() {
            cleanup.run();
            unregister(this);
        }
    }

    private static Pending register(Path path, Runnable cleanup) {
        Pending p = new Pending(path, Thread.currentThread(), cleanup);
        synchronized (PENDING) {
            PENDING.add(p);
            if (!exitHookInstalled) {
                try {
                    Runtime.getRuntime().addShutdownHook(new Thread(OutputFolder::atExit, "draggan-output-cleanup"));
                    exitHookInstalled = true;
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting already: the command's own finally / Main discards what it leaves
                }
            }
        }
        return p;
    }

    private static void unregister(Pending p) {
        if (p == null) return;
        synchronized (PENDING) {
            PENDING.remove(p);
            PENDING.notifyAll();
        }
    }

    /** JVM exit: give running commands time to commit (a drag stopped by Ctrl-C), then discard what is left. */
    private static void atExit() {
        List<Pending> left;
        synchronized (PENDING) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXIT_WAIT_MS);
            while (!PENDING.isEmpty() && PENDING.stream().anyMatch(p -> p.thread.isAlive())) {
                long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (ms <= 0) break;
                try {
                    PENDING.wait(Math.min(ms, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            left = new ArrayList<>(PENDING);
        }
        for (Pending p : left) p.discard();
    }
}
