package io.github.dragganjvm.tensor;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The team behind {@link Parallel}: every index covered exactly once with the documented ranges, the workers
 * take part (also after they went to sleep), nested calls run on their own thread, a range's exception reaches the
 * caller and leaves the team usable, and a second caller while the team is busy is refused (Parallel then uses
 * its pool), with Parallel's answers right under concurrent callers.
 */
class TeamTest {
    /** Runs parts ranges over n on team and checks each index is visited once, by the range it belongs to. */
    private static void coversOnce(Team team, int parts, int n) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        AtomicIntegerArray rangeOf = new AtomicIntegerArray(n);
        assertTrue(team.tryRun(parts, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
                rangeOf.set(i, from);
            }
        }));
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), "index " + i + " of " + n + " in " + parts + " ranges");
            int t = (int) ((long) i * parts / n);
            while (Team.from(n, t, parts) > i) t--;
            while (Team.from(n, t + 1, parts) <= i) t++;
            assertEquals(Team.from(n, t, parts), rangeOf.get(i), "range of index " + i);
        }
    }

    @Test void everyIndexOnceInItsRange() {
        Team team = new Team(3);
        for (int parts = 1; parts <= 9; parts++) {
            for (int n : new int[] {parts, parts + 1, 17, 1000, 12345}) coversOnce(team, parts, n);
        }
    }

    @Test void workersTakeRangesAlsoAfterSleeping() throws InterruptedException {
        Team team = new Team(2);
        Set<String> names = ConcurrentHashMap.newKeySet();
        for (int call = 0; call < 40 && names.size() < 3; call++) {
            if (call % 10 == 9) Thread.sleep(Team.SPIN_NANOS / 1_000_000 + 20);   // past the spin: the workers park
            team.tryRun(3, 3, (from, to) -> {
                names.add(Thread.currentThread().getName());
                long end = System.nanoTime() + 2_000_000;
                while (System.nanoTime() < end) Thread.onSpinWait();
            });
        }
        assertTrue(names.contains(Thread.currentThread().getName()), "caller takes part: " + names);
        assertTrue(names.stream().anyMatch(s -> s.startsWith("draggan-parallel-")), "a worker takes part: " + names);
        Thread.sleep(Team.SPIN_NANOS / 1_000_000 + 50);
        coversOnce(team, 3, 999);                                                // woken from parking
    }

    @Test void nestedCallsRunOnTheirOwnThread() {
        Team team = new Team(2);
        assertTrue(team.tryRun(4, 4, (from, to) -> assertTrue(team.isMember(Thread.currentThread()), "a thread running a range is a member")));
        assertFalse(team.isMember(Thread.currentThread()), "the caller is a member only during its call");
        // through Parallel: a call from inside a range (on the caller or a worker) runs whole on that thread
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        Set<String> mixed = ConcurrentHashMap.newKeySet();
        Parallel.forEach(4, row -> {
            Thread me = Thread.currentThread();
            Set<Thread> ran = ConcurrentHashMap.newKeySet();
            Parallel.forRange(16, 1_000_000, (a, b) -> {
                ran.add(Thread.currentThread());
                for (int i = a; i < b; i++) hits.incrementAndGet(row * 16 + i);
            });
            if (!ran.equals(Set.of(me))) mixed.add("row " + row + " ran on " + ran + ", called from " + me);
        });
        assertTrue(mixed.isEmpty(), mixed.toString());
        for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i), "index " + i);
    }

    @Test void exceptionReachesCallerAndTeamStaysUsable() {
        Team team = new Team(2);
        IllegalArgumentException boom = new IllegalArgumentException("range 2 failed");
        IllegalArgumentException got = assertThrows(IllegalArgumentException.class, () -> team.tryRun(4, 4, (from, to) -> {
            if (from == 2) throw boom;
        }));
        assertSame(boom, got);
        StackOverflowError err = new StackOverflowError("deep");
        assertSame(err, assertThrows(StackOverflowError.class, () -> team.tryRun(3, 3, (from, to) -> { throw err; })));
        coversOnce(team, 4, 1000);
    }

    @Test void busyTeamRefusesASecondCaller() throws Exception {
        Team team = new Team(1);
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1), release = new java.util.concurrent.CountDownLatch(1);
        Thread first = new Thread(() -> team.tryRun(2, 2, (from, to) -> {
            if (from == 0) {
                inside.countDown();
                try { release.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            }
        }));
        first.start();
        inside.await();
        assertFalse(team.tryRun(2, 2, (from, to) -> {}), "refused while another caller holds the team");
        release.countDown();
        first.join();
        coversOnce(team, 2, 100);
    }

    @Test void parallelIsRightUnderConcurrentCallers() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Long>> sums = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                final int n = 10_000 + c;
                sums.add(pool.submit(() -> {
                    long total = 0;
                    for (int rep = 0; rep < 50; rep++) {
                        long[] part = new long[n];
                        Parallel.forRange(n, 1_000_000, (from, to) -> {
                            for (int i = from; i < to; i++) part[i] = i;
                        });
                        for (long v : part) total += v;
                    }
                    return total;
                }));
            }
            for (int c = 0; c < 8; c++) {
                long n = 10_000 + c;
                assertEquals(50 * n * (n - 1) / 2, (long) sums.get(c).get(), "caller " + c);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
