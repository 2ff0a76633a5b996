package draggan.tensor.testing;

import draggan.tensor.Tensor;
import draggan.tensor.io.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test helpers: where ../shared is, loading golden .npy files, and comparisons that print the worst element
 * with both values (llm.c dev/cuda style).
 */
public final class Golden {
    private Golden() {}

    /** The shared data folder: -Ddraggan.shared, else ../shared from the working directory or its parent. */
    public static Path shared() {
        String p = System.getProperty("draggan.shared");
        if (p != null && Files.isDirectory(Paths.get(p))) return Paths.get(p).normalize();
        for (Path c = Paths.get("").toAbsolutePath(); c != null; c = c.getParent()) {
            Path s = c.resolveSibling("shared");
            if (Files.isDirectory(s.resolve("golden"))) return s;
        }
        throw new IllegalStateException("cannot find ../shared (set -Ddraggan.shared)");
    }

    /** A golden folder, e.g. "ops" or "tiny-random-256". */
    public static Path dir(String name) { return shared().resolve("golden").resolve(name); }

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
