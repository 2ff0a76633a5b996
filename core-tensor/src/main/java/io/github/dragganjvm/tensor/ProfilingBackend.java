package io.github.dragganjvm.tensor;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code -Ddraggan.profile=true}: wraps the CPU backend and the CUDA backend so every op call is timed, keyed by the
 * op and its tensors' shapes (a CUDA op's key starts with "cuda: "), and prints one table (sorted by total time) on
 * stderr when the JVM exits. A CUDA op's time is the host's time in the call: kernel launches are asynchronous, so a
 * kernel's device time shows up in whichever later call waits for the device (a copy to the host), and the table
 * shows where the host spends its time between launches. With {@code -Ddraggan.profile.sync=true} every CUDA op
 * waits for the device before its time is taken, so each row is the op's host and device time together (and the
 * run loses the overlap of host and device: its total is longer). For finding where
 * the time goes; it adds a few hundred nanoseconds per call. Besides the total, each row has the median of the
 * op's last {@value #RECENT} calls: the first call of a shape also pays for JIT compilation and for packing constant
 * weights, which inflates the total of an op that runs only a few dozen times.
 */
final class ProfilingBackend {
    private ProfilingBackend() {}

    /** Calls per op whose times are kept for the median. */
    static final int RECENT = 4096;

    private record Stat(LongAdder calls, LongAdder nanos, long[] recent) {
        Stat() { this(new LongAdder(), new LongAdder(), new long[RECENT]); }

        void add(long dt) {
            long n;
            synchronized (this) {
                n = calls.sum();
                recent[(int) (n % RECENT)] = dt;
                calls.increment();
            }
            nanos.add(dt);
        }

        synchronized double medianMillis() {
            int n = (int) Math.min(calls.sum(), RECENT);
            long[] r = Arrays.copyOf(recent, n);
            Arrays.sort(r);
            return n == 0 ? 0 : (n % 2 == 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2.0) / 1e6;
        }
    }

    private static final Map<String, Stat> STATS = new ConcurrentHashMap<>();

    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    static Backend wrap(Backend inner) {
        String tag = inner.device() == Device.CPU ? "" : inner.name() + ": ";
        // -Ddraggan.profile.sync: a device backend's op waits for the device before its time is taken
        boolean sync = Boolean.getBoolean("draggan.profile.sync") && inner.device() != Device.CPU;
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("name") || m.getName().equals("device") || m.getName().equals("synchronize")) return m.invoke(inner, args);
            long t0 = System.nanoTime();
            try {
                Object result = m.invoke(inner, args);
                if (sync) inner.synchronize();
                return result;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                long dt = System.nanoTime() - t0;
                STATS.computeIfAbsent(tag + key(m.getName(), args), k -> new Stat()).add(dt);
            }
        };
        if (HOOKED.compareAndSet(false, true)) Runtime.getRuntime().addShutdownHook(new Thread(ProfilingBackend::print, "draggan-profile"));
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, h);
    }

    private static String key(String op, Object[] args) {
        StringBuilder sb = new StringBuilder(op);
        if (args != null) {
            for (Object a : args) {
                if (a instanceof Tensor t) sb.append(' ').append(Arrays.toString(t.shape()).replace(" ", ""));
                else if (a instanceof Enum<?> e) sb.append(' ').append(e.name().toLowerCase());
                else if (a instanceof Integer || a instanceof Boolean) sb.append(' ').append(a);
            }
        }
        return sb.toString();
    }

    private static void print() {
        List<Map.Entry<String, Stat>> rows = new ArrayList<>(STATS.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue().nanos.sum(), a.getValue().nanos.sum()));
        long total = rows.stream().mapToLong(e -> e.getValue().nanos.sum()).sum();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "draggan profile: %.3f s in backend ops%n%10s %7s %6s %10s  %s%n",
                total / 1e9, "ms", "calls", "%", "median ms", "op and shapes"));
        for (var e : rows.subList(0, Math.min(60, rows.size()))) {
            long ns = e.getValue().nanos.sum();
            sb.append(String.format(Locale.ROOT, "%10.1f %7d %5.1f%% %10.3f  %s%n", ns / 1e6, e.getValue().calls.sum(), 100.0 * ns / Math.max(total, 1),
                    e.getValue().medianMillis(), e.getKey()));
        }
        System.err.print(sb);
    }
}
