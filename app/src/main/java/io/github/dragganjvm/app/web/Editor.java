package io.github.dragganjvm.app.web;

import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.Frame;
import io.github.dragganjvm.drag.SessionFile;
import io.github.dragganjvm.stylegan.DragGenerator;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What every session of one editor shares: the model, the two worker pools (long jobs: drags and session loads;
 * short jobs: rendering, encoding, export), the limits, and the registry of sessions (bounded in number, closed
 * when idle too long, least recently used evicted first).
 */
final class Editor implements AutoCloseable {
    /** The editor's limits and pool sizes. */
    record Options(int maxSessions, Duration idleTimeout, int dragWorkers, int maxSteps, int maxPairs, int minFrameIntervalMs,
                   int maxRecordedFrames, long maxRecordedBytes, double dragLr) {
        static Options defaults() {
            return new Options(8, Duration.ofMinutes(30), 2, 10_000, 64, 33, 200, 64L << 20, DragConfig.reference().lr());
        }

        Options withMaxSessions(int n) { return new Options(n, idleTimeout, dragWorkers, maxSteps, maxPairs, minFrameIntervalMs, maxRecordedFrames, maxRecordedBytes, dragLr); }
        Options withIdleTimeout(Duration d) { return new Options(maxSessions, d, dragWorkers, maxSteps, maxPairs, minFrameIntervalMs, maxRecordedFrames, maxRecordedBytes, dragLr); }
        /** The shortest interval between two frames of a drag (0: a frame for every step, however fast). */
        Options withMinFrameIntervalMs(int ms) { return new Options(maxSessions, idleTimeout, dragWorkers, maxSteps, maxPairs, ms, maxRecordedFrames, maxRecordedBytes, dragLr); }
        /** The Adam learning rate new drags start with (the page can change it): the model's recommended one. */
        Options withDragLr(double lr) { return new Options(maxSessions, idleTimeout, dragWorkers, maxSteps, maxPairs, minFrameIntervalMs, maxRecordedFrames, maxRecordedBytes, lr); }
    }

    final DragGenerator generator;
    final int resolution;
    /** The model's own image frame (a StyleGAN-Human model's 128x256 picture), in which the page shows and sends everything. */
    final Frame frame;
    final String modelDescription;
    final Options options;
    private final Supplier<SessionFile.ModelRef> modelRef;
    final ExecutorService drags;
    final ExecutorService quick;
    private final Map<String, EditorSession> sessions = new LinkedHashMap<>(16, 0.75f, true);   // access order: LRU first
    private final SecureRandom random = new SecureRandom();

    Editor(DragGenerator generator, Supplier<SessionFile.ModelRef> modelRef, String modelDescription, Options options) {
        this.generator = generator;
        this.resolution = generator.resolution();
        this.frame = Frame.of(generator);
        this.modelRef = modelRef;
        this.modelDescription = modelDescription;
        this.options = options;
        this.drags = Executors.newFixedThreadPool(options.dragWorkers(), daemon("draggan-drag"));
        this.quick = Executors.newFixedThreadPool(2, daemon("draggan-render"));
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * The drag config of new drags at this model's size: the reference tool's numbers at 256 px and above. Smaller
     * models (tests, previews) read the largest block up to 128 and keep the motion disc and tracking window at least
     * 2 and 3 px, where the reference's scaling would round them to nothing.
     */
    DragConfig baseConfig() {
        DragConfig c = DragConfig.reference().fittedTo(resolution).withLr(options.dragLr());
        double r1 = c.r1(resolution) >= 2 ? c.r1At512() : 2.0 * 512 / resolution;
        double r2 = c.r2(resolution) >= 3 ? c.r2At512() : 3.0 * 512 / resolution;
        return c.withRadiiAt512(r1, r2);
    }

    SessionFile.ModelRef modelRef() { return modelRef.get(); }

    /** Runs a short job on the render pool and waits for it (request threads never compute themselves). */
    <T> T compute(Callable<T> job) {
        Future<T> f = quick.submit(job);
        try {
            return f.get(10, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new IllegalStateException("the job took longer than 10 minutes");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    // ------------------------------------------------------------------ the registry

    /** A fresh session id: 128 random bits in hex. */
    private String newId() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Registers a new session, evicting the least recently used idle one when full; 503 when every one is busy. */
    EditorSession register(EditorSession.Factory factory) {
        EditorSession victim = null, s;
        synchronized (this) {
            if (sessions.size() >= options.maxSessions()) {
                for (EditorSession o : sessions.values()) {
                    if (!o.isBusy()) {
                        victim = o;
                        break;
                    }
                }
                if (victim == null) throw new HttpError(503, "too many sessions (" + options.maxSessions() + "), all running a drag; close a tab or wait");
                sessions.remove(victim.id);
            }
            s = factory.create(newId());
            sessions.put(s.id, s);
        }
        if (victim != null) victim.close("closed to make room for a new session (the limit is " + options.maxSessions() + ")");
        return s;
    }

    /** The session of an id (and marks it used); 404 when unknown. */
    synchronized EditorSession get(String id) {
        EditorSession s = sessions.get(id);
        if (s == null) throw HttpError.notFound("unknown session '" + id + "' (it may have expired or been closed; reload the page)");
        s.touch();
        return s;
    }

    /** Closes and forgets a session; false when unknown. */
    boolean remove(String id, String why) {
        EditorSession s;
        synchronized (this) {
            s = sessions.remove(id);
        }
        if (s == null) return false;
        s.close(why);
        return true;
    }

    synchronized int sessionCount() { return sessions.size(); }

    /** Closes sessions idle for longer than the timeout (a running drag or an open page keeps a session alive). */
    void sweep() {
        List<EditorSession> idle = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            sessions.values().removeIf(s -> {
                boolean expired = s.idleNanos(now) > options.idleTimeout().toNanos();
                if (expired) idle.add(s);
                return expired;
            });
        }
        for (EditorSession s : idle) s.close("closed after " + options.idleTimeout().toMinutes() + " idle minutes");
    }

    @Override public void close() {
        List<EditorSession> all;
        synchronized (this) {
            all = new ArrayList<>(sessions.values());
            sessions.clear();
        }
        for (EditorSession s : all) s.close("the server is shutting down");
        drags.shutdownNow();
        quick.shutdownNow();
    }

    /**
     * Waits after {@link #close()} until the pools' jobs have ended (a drag stops at its next step), at most wait.
     *
     * @return whether they ended in time
     */
    boolean awaitStopped(Duration wait) {
        long end = System.nanoTime() + wait.toNanos();
        try {
            return drags.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)
                    && quick.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
