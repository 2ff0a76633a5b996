package io.github.dragganjvm.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The CPU kernels' threads: {@code draggan.threads} of them (default: available processors), shared by every
 * kernel. Work is split into ranges so no per-element tasks are allocated.
 *
 * <p>A call runs on a {@link Team}: the calling thread and {@code threads() - 1} workers that wait for the next
 * call by spinning for a short while before they sleep ({@link Team#SPIN_NANOS}), so the thousands of calls of a
 * training step or a drag step do not each pay two thread wake-ups (on a 2-core VM a wake-up costs tens of
 * microseconds and a context switch). Which thread runs which range does not change any result: every range is
 * computed the same way by whichever thread takes it. A second thread that calls while the team is busy (a
 * server's request beside a running job) gets a ForkJoinPool instead, as every call did before the team; a call
 * from inside a range runs on its own thread.
 */
public final class Parallel {
    private Parallel() {}

    private static final int THREADS = Math.max(1, Integer.getInteger("draggan.threads", Runtime.getRuntime().availableProcessors()));
    private static final Team TEAM = THREADS == 1 ? null : new Team(THREADS - 1);
    /** For a call made while the team runs another caller's call. */
    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS);

    /** Number of CPU worker threads. */
    public static int threads() { return THREADS; }

    /** A range body: processes indices [from, to). */
    @FunctionalInterface
    public interface Range { void run(int from, int to); }

    /**
     * Runs body over [0, n) split into at most {@code threads()} contiguous ranges (fewer when n is small or the
     * work per index, {@code costPerIndex} in rough flops, is too small to be worth a thread).
     */
    public static void forRange(int n, long costPerIndex, Range body) {
        long work = (long) n * Math.max(costPerIndex, 1);
        int parts = (int) Math.min(THREADS, Math.max(1, work / 32_768));
        run(Math.min(parts, n), n, body);
    }

    /** Runs body(i) for each i in [0, n) in parallel (each index a sizeable piece of work). */
    public static void forEach(int n, IntConsumer body) {
        run(Math.min(THREADS, n), n, (from, to) -> {
            for (int i = from; i < to; i++) body.accept(i);
        });
    }

    private static void run(int parts, int n, Range body) {
        if (parts <= 1 || TEAM == null || TEAM.isMember(Thread.currentThread()) || inPoolWorker()) {
            if (n > 0) body.run(0, n);
            return;
        }
        if (TEAM.tryRun(parts, n, body)) return;
        final int p = parts;
        POOL.invoke(new RecursiveAction() {
            @Override protected void compute() {
                RecursiveAction[] tasks = new RecursiveAction[p];
                for (int t = 0; t < p; t++) {
                    final int from = Team.from(n, t, p), to = Team.from(n, t + 1, p);
                    tasks[t] = new RecursiveAction() {
                        @Override protected void compute() { body.run(from, to); }
                    };
                }
                invokeAll(tasks);
            }
        });
    }

    private static boolean inPoolWorker() {
        return Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == POOL;
    }
}
