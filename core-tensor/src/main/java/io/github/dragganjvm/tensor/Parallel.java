package io.github.dragganjvm.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The CPU kernels' thread pool: one ForkJoinPool of {@code draggan.threads} workers (default: available
 * processors), shared by every kernel. Work is split into ranges so no per-element tasks are allocated.
 */
public final class Parallel {
    private Parallel() {}

    private static final int THREADS = Math.max(1, Integer.getInteger("draggan.threads", Runtime.getRuntime().availableProcessors()));
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
        if (parts <= 1 || POOL == null || inWorker()) {
            if (n > 0) body.run(0, n);
            return;
        }
        final int p = parts;
        POOL.invoke(new RecursiveAction() {
            @Override protected void compute() {
                RecursiveAction[] tasks = new RecursiveAction[p];
                for (int t = 0; t < p; t++) {
                    final int from = (int) ((long) n * t / p), to = (int) ((long) n * (t + 1) / p);
                    tasks[t] = new RecursiveAction() {
                        @Override protected void compute() { body.run(from, to); }
                    };
                }
                invokeAll(tasks);
            }
        });
    }

    private static boolean inWorker() {
        return Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == POOL;
    }
}
