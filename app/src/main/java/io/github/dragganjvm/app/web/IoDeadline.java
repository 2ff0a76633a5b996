package io.github.dragganjvm.app.web;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A time limit on the request thread's work with the client's socket (reading a body, writing a response). The
 * server's blocking socket channels cannot time out by themselves; when the limit passes this interrupts the
 * thread, which closes the channel under the blocked read or write (an interruptible channel's contract) and ends
 * the action with {@link TimedOut}. The interrupt never outlives the action: it is cleared before {@link #run}
 * returns.
 */
final class IoDeadline {
    /** Client I/O that did not finish within the limit; the connection is closed. */
    static final class TimedOut extends IOException {
        TimedOut(String what, Duration limit) {
            super(what + " took longer than " + limit.toMillis() + " ms; the connection was closed", null);
        }
    }

    /** Socket I/O of the calling thread. */
    interface IoAction<T> {
        T run() throws IOException;
    }

    private final ScheduledExecutorService timer;

    IoDeadline(ScheduledExecutorService timer) { this.timer = timer; }

    /**
     * Runs action on this thread; after limit it is interrupted (its blocked socket I/O fails and the channel closes).
     *
     * @param what  the action in words, for the TimedOut message
     * @throws TimedOut when the limit passed before the action ended (whatever the action threw instead)
     * @throws IOException what the action threw, or when the server is stopping (the timer is shut down)
     */
    <T> T run(String what, Duration limit, IoAction<T> action) throws IOException {
        Guard g = new Guard(Thread.currentThread());
        ScheduledFuture<?> f;
        try {
            f = timer.schedule(g::expire, limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            throw new IOException("the server is stopping", e);
        }
        T result;
        try {
            result = action.run();
        } catch (IOException | RuntimeException e) {
            f.cancel(false);
            if (g.finish()) throw e;
            throw new TimedOut(what, limit);
        }
        f.cancel(false);
        g.finish();         // expired after the last socket call: the channel is intact, only the flag is cleared
        return result;
    }

    /** The interrupt is sent only while the action runs, and cleared when it ends. */
    private static final class Guard {
        private final Thread thread;
        private boolean done, expired;

        Guard(Thread thread) { this.thread = thread; }

        synchronized void expire() {
            if (done) return;
            expired = true;
            thread.interrupt();
        }

        /** Ends the guard on the guarded thread; false (and the interrupt cleared) when the limit had passed. */
        synchronized boolean finish() {
            done = true;
            if (expired) Thread.interrupted();
            return !expired;
        }
    }
}
