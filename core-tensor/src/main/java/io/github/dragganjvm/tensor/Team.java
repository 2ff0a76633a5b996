package io.github.dragganjvm.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The threads of {@link Parallel}: the caller of a parallel call and a fixed set of daemon workers, handing calls
 * over without a wake-up when they come close together.
 *
 * <p><b>Protocol.</b> A call is a {@link Job}: the body, n, the number of ranges, and two counters. The caller
 * publishes it in {@link #current} (a volatile write), wakes the workers that went to sleep, and takes ranges
 * itself; every thread takes the next range with {@code next.getAndIncrement()} until none are left, and counts
 * each finished range in {@code done}. The caller returns when {@code done} reaches the number of ranges. A worker,
 * having finished, spins on {@link #current} for up to {@link #SPIN_NANOS} waiting for the next job and then
 * parks; before parking it sets its {@link #sleeping} flag and looks at {@link #current} once more, and the caller
 * reads the flags after publishing, so of the two volatile write-then-read pairs at least one sees the other: a
 * worker never sleeps through a job (and a job is never lost anyway: the caller alone can run every range).
 * A worker that sees a job late (or an old one) finds its counter used up and takes nothing.
 *
 * <p><b>Results.</b> Range t is always {@code [from(n, t, p), from(n, t + 1, p))}, computed by one thread from start
 * to end, so which thread takes it never changes a value.
 */
final class Team {
    /** How long an idle worker (and a caller waiting for the last range) spins before it parks: {@code draggan.parallel.spinMicros}. */
    static final long SPIN_NANOS = Math.max(0, Long.getLong("draggan.parallel.spinMicros", 200)) * 1000;

    private final Worker[] workers;
    private final AtomicIntegerArray sleeping;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Job current;
    /** Sequence number of the next job (written under the lock). */
    private long jobs;

    Team(int workerCount) {
        workers = new Worker[workerCount];
        sleeping = new AtomicIntegerArray(workerCount);
        for (int i = 0; i < workerCount; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
    }

    /** First index of range t of p over [0, n). */
    static int from(int n, int t, int p) { return (int) ((long) n * t / p); }

    /** Whether t is one of the workers or the thread running a call now (its nested calls run on itself). */
    boolean isMember(Thread t) {
        return t instanceof Worker w && w.team() == this || lock.isHeldByCurrentThread();
    }

    /**
     * Runs body over [0, n) in {@code parts} ranges on this team and returns true, or returns false at once if
     * another thread's call holds the team. A range's exception is rethrown here after every range has ended
     * (RuntimeException and Error as they are, others wrapped).
     */
    boolean tryRun(int parts, int n, Parallel.Range body) {
        if (!lock.tryLock()) return false;
        try {
            Job job = new Job(++jobs, body, n, parts);
            current = job;
            for (int i = 0; i < workers.length; i++) {
                if (sleeping.get(i) == 1) LockSupport.unpark(workers[i]);
            }
            job.work();
            job.await();
            Throwable f = job.failure.get();
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            if (f != null) throw new IllegalStateException("a parallel range failed", f);
            return true;
        } finally {
            current = null;
            lock.unlock();
        }
    }

    /** One call: its ranges are taken from {@code next}, finished ones counted in {@code done}. */
    private static final class Job {
        final long seq;
        final Parallel.Range body;
        final int n, parts;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile Thread waiter;

        Job(long seq, Parallel.Range body, int n, int parts) {
            this.seq = seq;
            this.body = body;
            this.n = n;
            this.parts = parts;
        }

        /** Takes and runs ranges until none are left. */
        void work() {
            for (int t; (t = next.getAndIncrement()) < parts; ) {
                try {
                    body.run(from(n, t, parts), from(n, t + 1, parts));
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    if (done.incrementAndGet() == parts) {
                        Thread w = waiter;
                        if (w != null) LockSupport.unpark(w);
                    }
                }
            }
        }

        /** Returns when every range has ended: spins a while, then parks until the last range's thread unparks it. */
        void await() {
            if (done.get() == parts) return;
            long start = System.nanoTime();
            for (int i = 0; done.get() < parts; i++) {
                if ((i & 63) == 63 && System.nanoTime() - start > SPIN_NANOS) break;
                Thread.onSpinWait();
            }
            if (done.get() == parts) return;
            waiter = Thread.currentThread();
            while (done.get() < parts) LockSupport.park(this);
        }
    }

    private final class Worker extends Thread {
        private final int index;

        Worker(int index) {
            super("draggan-parallel-" + (index + 1));
            this.index = index;
            setDaemon(true);
        }

        Team team() { return Team.this; }

        @Override public void run() {
            long last = 0;                                      // the last job's number (not the job: its body may hold large arrays)
            while (true) {
                Job job = current;
                if (job != null && job.seq != last) {
                    last = job.seq;
                    job.work();
                    continue;
                }
                job = null;
                long start = System.nanoTime();
                for (int i = 0; !isNew(current, last); i++) {
                    if ((i & 63) == 63 && System.nanoTime() - start > SPIN_NANOS) {
                        sleeping.set(index, 1);
                        if (!isNew(current, last)) LockSupport.park(this);
                        sleeping.set(index, 0);
                        break;
                    }
                    Thread.onSpinWait();
                }
            }
        }

        private static boolean isNew(Job j, long last) { return j != null && j.seq != last; }
    }
}
