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
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code -Ddraggan.profile=true}: wraps the CPU backend so every op call is timed, keyed by the op and its
 * tensors' shapes, and prints the table (sorted by total time) on stderr when the JVM exits. For finding where
 * the time goes; it adds a few hundred nanoseconds per call.
 */
final class ProfilingBackend {
    private ProfilingBackend() {}

    private record Stat(LongAdder calls, LongAdder nanos) {}

    private static final Map<String, Stat> STATS = new ConcurrentHashMap<>();

    static Backend wrap(Backend inner) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("name") || m.getName().equals("device")) return m.invoke(inner, args);
            long t0 = System.nanoTime();
            try {
                return m.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                long dt = System.nanoTime() - t0;
                Stat s = STATS.computeIfAbsent(key(m.getName(), args), k -> new Stat(new LongAdder(), new LongAdder()));
                s.calls.increment();
                s.nanos.add(dt);
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(ProfilingBackend::print, "draggan-profile"));
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
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "draggan profile: %.3f s in backend ops%n%10s %7s %6s  %s%n",
                total / 1e9, "ms", "calls", "%", "op and shapes"));
        for (var e : rows.subList(0, Math.min(60, rows.size()))) {
            long ns = e.getValue().nanos.sum();
            sb.append(String.format(Locale.ROOT, "%10.1f %7d %5.1f%%  %s%n", ns / 1e6, e.getValue().calls.sum(), 100.0 * ns / Math.max(total, 1), e.getKey()));
        }
        System.err.print(sb);
    }
}
