package io.github.dragganjvm.tensor.testing;

import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.io.Npy;

import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test helpers: where the golden data is, loading golden .npy files, and comparisons that print the worst element
 * with both values (llm.c dev/cuda style).
 *
 * <p>Golden data comes from two places. The repository's own copy, {@code testdata/golden/} at the repository root
 * (property {@code draggan.testdata}, set by the root pom to {@code testdata}), holds the small sets every clone
 * has ({@code compact-128}); {@link #dir} always takes a set from there when it is there. The larger sets live in
 * {@code ../shared/golden/} beside the repository (property {@code draggan.shared}). When {@code ../shared} is
 * absent a test that needs it is skipped (a JUnit assumption, {@link SharedDataMissing}), and the skip is
 * recorded in the file named by {@code draggan.skipReport} so that {@code ./draggan test} can say in one line
 * which suites it skipped; with {@code -Ddraggan.requireShared=true} or the environment variable
 * {@code DRAGGAN_REQUIRE_SHARED=1} (CI sets it) the absence is a failure instead.
 */
public final class Golden {
    private Golden() {}

    /** System property: the repository's own test data folder (holds {@code golden/}). */
    public static final String TESTDATA_PROPERTY = "draggan.testdata";
    /** System property: the shared data folder (holds {@code golden/}); set by the root pom to ../shared. */
    public static final String SHARED_PROPERTY = "draggan.shared";
    /** System property: "true" turns a missing ../shared from a skip into a failure. */
    public static final String REQUIRE_SHARED_PROPERTY = "draggan.requireShared";
    /** Environment variable: "1" turns a missing ../shared from a skip into a failure (CI sets it). */
    public static final String REQUIRE_SHARED_ENV = "DRAGGAN_REQUIRE_SHARED";
    /** System property: a file to which every skip for a missing ../shared appends one line "TestClass golden-set". */
    public static final String SKIP_REPORT_PROPERTY = "draggan.skipReport";

    /**
     * Thrown (as a JUnit assumption failure: the test is skipped, not failed) when a test needs a golden set of
     * ../shared and ../shared is not there.
     */
    public static final class SharedDataMissing extends TestAbortedException {
        private static final long serialVersionUID = 1L;

        SharedDataMissing(String message) { super(message); }
    }

    /**
     * The repository's own test data folder: -Ddraggan.testdata, else the first {@code testdata} folder holding
     * {@code golden/} found from the working directory upwards (a test run from an IDE).
     */
    public static Path testdata() {
        String p = System.getProperty(TESTDATA_PROPERTY);
        if (p != null) {
            Path d = Paths.get(p).toAbsolutePath().normalize();
            if (!Files.isDirectory(d.resolve("golden"))) {
                throw new IllegalStateException("-D" + TESTDATA_PROPERTY + "=" + p + ": expected a folder holding golden/ (the repository's testdata/)");
            }
            return d;
        }
        for (Path c = Paths.get("").toAbsolutePath(); c != null; c = c.getParent()) {
            Path d = c.resolve("testdata");
            if (Files.isDirectory(d.resolve("golden"))) return d;
        }
        throw new IllegalStateException("cannot find the repository's testdata/ folder (set -D" + TESTDATA_PROPERTY + ")");
    }

    /**
     * The shared data folder, or null when it is absent: -Ddraggan.shared when it holds golden/, else the first
     * {@code shared} folder holding golden/ beside the working directory or one of its parents (a git worktree
     * nested below the main checkout's parent, a test run from an IDE).
     */
    public static Path sharedOrNull() {
        String p = System.getProperty(SHARED_PROPERTY);
        if (p != null) {
            Path d = Paths.get(p).toAbsolutePath().normalize();
            if (Files.isDirectory(d.resolve("golden"))) return d;
        }
        for (Path c = Paths.get("").toAbsolutePath(); c != null; c = c.getParent()) {
            Path s = c.resolveSibling("shared");
            if (Files.isDirectory(s.resolve("golden"))) return s;
        }
        return null;
    }

    /** True when a missing ../shared must fail the tests (-Ddraggan.requireShared=true or DRAGGAN_REQUIRE_SHARED=1). */
    public static boolean sharedRequired() {
        return Boolean.parseBoolean(System.getProperty(REQUIRE_SHARED_PROPERTY, "false")) || "1".equals(System.getenv(REQUIRE_SHARED_ENV));
    }

    /**
     * The shared data folder (../shared). When it is absent: a {@link SharedDataMissing} (the calling test is
     * skipped and the skip recorded, see the class comment), or an IllegalStateException when
     * {@link #sharedRequired()}.
     *
     * @param what the golden set or file the caller needs, named in the message
     */
    public static Path shared(String what) {
        Path s = sharedOrNull();
        if (s != null) return s;
        String where = System.getProperty(SHARED_PROPERTY, "../shared");
        if (sharedRequired()) {
            throw new IllegalStateException("../shared is required (" + REQUIRE_SHARED_ENV + "=1 or -D" + REQUIRE_SHARED_PROPERTY
                    + "=true, as CI sets) but " + where + " holds no golden/; " + what + " lives there");
        }
        String suite = callingTestClass();
        recordSkip(suite, what);
        throw new SharedDataMissing(suite + " needs " + what + " from ../shared, which is not beside this clone (" + where + "); skipped");
    }

    /** The shared data folder; see {@link #shared(String)}. */
    public static Path shared() { return shared("../shared"); }

    /**
     * A golden folder, e.g. "compact-128", "ops" or "tiny-random-256": the repository's copy
     * ({@code testdata/golden/NAME}) when it has one, else {@code ../shared/golden/NAME} (see {@link #shared(String)}
     * for what happens when ../shared is absent).
     */
    public static Path dir(String name) {
        Path own = testdata().resolve("golden").resolve(name);
        if (Files.isDirectory(own)) return own;
        return shared("golden/" + name).resolve("golden").resolve(name);
    }

    /** The project's root package ("io.github.dragganjvm."), from this class's own. */
    private static final String PROJECT_PACKAGE = Golden.class.getPackageName().substring(0, Golden.class.getPackageName().indexOf(".tensor.") + 1);

    /** The outermost project test class on the stack (the suite a skip belongs to); "unknown" if none. */
    private static String callingTestClass() {
        return StackWalker.getInstance().walk(frames -> {
            String last = "unknown";
            for (StackWalker.StackFrame f : (Iterable<StackWalker.StackFrame>) frames::iterator) {
                String c = f.getClassName();
                if (c.startsWith(PROJECT_PACKAGE) && !c.equals(Golden.class.getName())) last = c;
            }
            int dollar = last.indexOf('$');
            return (dollar > 0 ? last.substring(0, dollar) : last).substring(last.lastIndexOf('.') + 1);
        });
    }

    /** Appends "Suite golden-set" to the skip report (when one is configured); best effort. */
    private static synchronized void recordSkip(String suite, String what) {
        String p = System.getProperty(SKIP_REPORT_PROPERTY);
        if (p == null) return;
        try {
            Path f = Paths.get(p);
            if (f.getParent() != null) Files.createDirectories(f.getParent());
            Files.writeString(f, suite + " " + what + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("Golden: could not append to the skip report " + p + ": " + e);
        }
    }

    /** Loads golden/{folder}/{file}.npy (file without extension). */
    public static Tensor npy(String folder, String file) {
        try {
            return Npy.read(dir(folder).resolve(file.endsWith(".npy") ? file : file + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Max-abs comparison report. */
    public record Diff(double maxAbs, int worstIndex, double expected, double actual, double maxRef) {
        public double relToMax() { return maxAbs / Math.max(maxRef, 1e-30); }

        @Override public String toString() {
            return String.format("max |diff| %.3e at flat index %d (expected %.9g, got %.9g); max |expected| %.4g",
                    maxAbs, worstIndex, expected, actual, maxRef);
        }
    }

    /** Elementwise comparison of two same-shaped tensors (any dtype). */
    public static Diff diff(Tensor expected, Tensor actual) {
        assertTrue(java.util.Arrays.equals(expected.shape(), actual.shape()),
                "shape: expected " + java.util.Arrays.toString(expected.shape()) + " got " + java.util.Arrays.toString(actual.shape()));
        double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
        double worst = -1, maxRef = 0;
        int wi = 0;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - a[i]);
            if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
            if (d > worst) { worst = d; wi = i; }
            maxRef = Math.max(maxRef, Math.abs(e[i]));
        }
        return new Diff(Math.max(worst, 0), wi, e.length == 0 ? 0 : e[wi], a.length == 0 ? 0 : a[wi], maxRef);
    }

    /** Asserts max |expected - actual| <= tol, printing the worst element either way. */
    public static Diff assertClose(String what, Tensor expected, Tensor actual, double tol) {
        Diff d = diff(expected, actual);
        System.out.println(what + ": " + d + " (tolerance " + tol + ")");
        if (!(d.maxAbs <= tol)) fail(what + ": " + d + " exceeds tolerance " + tol);
        return d;
    }

    /** Asserts max |expected - actual| <= rtol * max |expected| (max-norm relative error). */
    public static Diff assertCloseRel(String what, Tensor expected, Tensor actual, double rtol) {
        Diff d = diff(expected, actual);
        System.out.println(what + ": " + d + String.format(", relative %.3e (tolerance %.1e)", d.relToMax(), rtol));
        if (!(d.relToMax() <= rtol)) fail(what + ": relative " + d.relToMax() + " exceeds " + rtol + "; " + d);
        return d;
    }

    /** Asserts two tensors are bit-identical. */
    public static void assertBitEqual(String what, Tensor expected, Tensor actual) {
        Diff d = diff(expected, actual);
        assertEquals(0.0, d.maxAbs, what + ": " + d);
    }
}
