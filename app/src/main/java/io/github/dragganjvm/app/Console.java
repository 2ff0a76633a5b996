package io.github.dragganjvm.app;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Where a program's words go. Results (what a script would read: a table, the JSON of {@code --json}, the editor's
 * address) go to {@link #out()}; everything that only tells a person what is happening (the model loaded, progress,
 * the backend, "wrote ...") to {@link #info()} on stderr, which {@code --quiet} silences; errors are printed by
 * {@link Main} on stderr whatever the flags.
 */
final class Console {
    private static final PrintStream NOWHERE = new PrintStream(OutputStream.nullOutputStream());

    private final PrintStream out, err;
    private final boolean quiet;

    Console(PrintStream out, PrintStream err, boolean quiet) {
        this.out = out;
        this.err = err;
        this.quiet = quiet;
    }

    /** The results: stdout. */
    PrintStream out() { return out; }

    /** Informational lines and progress: stderr, or nowhere with --quiet. */
    PrintStream info() { return quiet ? NOWHERE : err; }

    /** Warnings a person must see even with --quiet (e.g. an editor reachable from the network): stderr. */
    PrintStream warn() { return err; }

    boolean quiet() { return quiet; }

    /**
     * This console with the parsed command line's {@code --quiet}. Quiet also silences the library's one-line
     * backend report (the JVM-wide property draggan.quiet, read when the first tensor is made).
     */
    Console with(Args a) {
        boolean q = a.has("quiet");
        if (q) System.setProperty("draggan.quiet", "true");
        return q == quiet ? this : new Console(out, err, q);
    }
}
