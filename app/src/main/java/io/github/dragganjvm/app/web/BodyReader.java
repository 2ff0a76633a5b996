package io.github.dragganjvm.app.web;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Receives request bodies within bounds, so that no number of clients can make the editor hold much memory or many
 * threads: a body over its endpoint's limit is refused (413) from its Content-Length before a byte is read (or as
 * soon as the limit is passed when it has none); bodies over {@link EditorServer#MAX_SMALL_BODY} are received
 * {@link HttpLimits#largeBodies()} at a time, the others wait {@link HttpLimits#largeBodyWait()} for a turn and are
 * then refused (503, Retry-After); and every body must arrive within {@link HttpLimits#ioTimeout()} or its
 * connection is closed ({@link IoDeadline}), so a client that trickles bytes holds nothing for long.
 */
final class BodyReader {
    private final HttpLimits limits;
    private final IoDeadline deadline;
    private final Semaphore largeTurns;

    BodyReader(HttpLimits limits, IoDeadline deadline) {
        this.limits = limits;
        this.deadline = deadline;
        this.largeTurns = new Semaphore(limits.largeBodies(), true);
    }

    /**
     * The whole body of ex.
     *
     * @param limit the most bytes accepted
     * @param what  the body in words for the 413's message, e.g. "a session file"
     * @param hint  appended to the 413's message (what to do instead), or ""
     * @throws HttpError 413 over the limit, 503 while too many large bodies arrive, 400 for a bad Content-Length
     * @throws IoDeadline.TimedOut when the body did not arrive in time (the connection is closed)
     * @throws IOException when the client went away
     */
    byte[] read(HttpExchange ex, int limit, String what, String hint) throws IOException {
        long declared = declaredLength(ex);
        if (declared > limit) throw tooLarge(what, declared + " bytes", limit, hint);
        boolean large = declared < 0 ? limit > EditorServer.MAX_SMALL_BODY : declared > EditorServer.MAX_SMALL_BODY;
        if (large) acquireTurn();
        try {
            byte[] b = deadline.run("receiving " + what, limits.ioTimeout(), () -> readAtMost(ex.getRequestBody(), limit));
            if (b.length > limit) throw tooLarge(what, "more than " + limit + " bytes", limit, hint);
            return b;
        } finally {
            if (large) largeTurns.release();
        }
    }

    /** Content-Length, or -1 when the body is chunked or absent. */
    private static long declaredLength(HttpExchange ex) {
        String cl = ex.getRequestHeaders().getFirst("Content-Length");
        if (cl == null) return -1;
        try {
            long n = Long.parseLong(cl.trim());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw HttpError.badRequest("Content-Length is not a byte count: " + cl);
        }
    }

    private void acquireTurn() {
        boolean got;
        try {
            got = largeTurns.tryAcquire(limits.largeBodyWait().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw HttpError.busy("the server is shutting down", 5);
        }
        if (!got) {
            throw HttpError.busy("the editor is busy receiving " + limits.largeBodies() + " other large request" + (limits.largeBodies() == 1 ? "" : "s")
                    + "; try again in a moment", 1);
        }
    }

    /** Up to limit + 1 bytes (one more than allowed tells "too large" without reading the rest). */
    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        return in.readNBytes(limit + 1);
    }

    private static HttpError tooLarge(String what, String size, int limit, String hint) {
        return new HttpError(413, what + " of " + size + " is too large: this editor accepts at most " + bytes(limit) + hint);
    }

    /** A byte count for people: 1 MiB, 64 KiB, 1000 bytes. */
    static String bytes(long n) {
        if (n >= 1 << 20 && n % (1 << 20) == 0) return (n >> 20) + " MiB";
        if (n >= 1 << 10 && n % (1 << 10) == 0) return (n >> 10) + " KiB";
        if (n >= 1 << 20) return String.format(Locale.ROOT, "%.1f MiB", n / 1048576.0);
        return n + " bytes";
    }
}
