package io.github.dragganjvm.app.web;

import java.time.Duration;

/**
 * The editor's defences of its HTTP side against memory exhaustion and slow clients; {@link #defaults()} is what
 * {@code ./draggan edit} runs with, tests shrink the numbers.
 *
 * @param maxSessionBody bytes a session file may have ({@code POST .../load}); real ones are tens of KB
 * @param largeBodies    bodies larger than 64 KiB (the limit of ordinary requests) received at once; more wait
 *                       up to largeBodyWait and are then refused with 503
 * @param largeBodyWait  how long a large body waits for its turn
 * @param ioTimeout      the longest a request may take to send its body, and a response to be taken by the client;
 *                       a slower connection is closed
 */
public record HttpLimits(int maxSessionBody, int largeBodies, Duration largeBodyWait, Duration ioTimeout) {
    public HttpLimits {
        if (maxSessionBody < 1024) throw new IllegalArgumentException("HttpLimits: maxSessionBody must be at least 1024 bytes but is " + maxSessionBody);
        if (largeBodies < 1) throw new IllegalArgumentException("HttpLimits: largeBodies must be at least 1 but is " + largeBodies);
        if (largeBodyWait.isNegative()) throw new IllegalArgumentException("HttpLimits: largeBodyWait must not be negative but is " + largeBodyWait);
        if (ioTimeout.isNegative() || ioTimeout.isZero()) throw new IllegalArgumentException("HttpLimits: ioTimeout must be positive but is " + ioTimeout);
    }

    /** 1 MiB session files, 2 large bodies at once (others wait up to 1 s), 20 s to send a body or take a response. */
    public static HttpLimits defaults() {
        return new HttpLimits(1 << 20, 2, Duration.ofSeconds(1), Duration.ofSeconds(20));
    }

    HttpLimits withMaxSessionBody(int bytes) { return new HttpLimits(bytes, largeBodies, largeBodyWait, ioTimeout); }

    HttpLimits withLargeBodies(int n, Duration wait) { return new HttpLimits(maxSessionBody, n, wait, ioTimeout); }

    HttpLimits withIoTimeout(Duration d) { return new HttpLimits(maxSessionBody, largeBodies, largeBodyWait, d); }

    /**
     * The most a mask body may have on a res x res model: its run lengths sum to res^2, so the longest list is
     * res^2 runs of "1," (2 bytes each); twice that leaves room for spaces, plus 64 KiB for the rest of the JSON.
     */
    static int maxMaskBody(int res) {
        return (int) Math.min(Integer.MAX_VALUE - 8, Math.max(EditorServer.MAX_SMALL_BODY, 4L * res * res + (64 << 10)));
    }
}
