package io.github.dragganjvm.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a program's CPU time goes, by method: reads a Java Flight Recording and prints its execution samples grouped
 * by the first frame (from the top of each stack) that belongs to this project, so time spent in a JDK method
 * (a Vector API intrinsic's bounds check, {@code Arrays.fill}, {@code System.arraycopy}) is charged to our method that
 * called it. Samples with no project frame are grouped by their top frame, marked {@code <jdk>}.
 *
 * <p>Record with {@code -XX:StartFlightRecording=filename=run.jfr,settings=profile} (the launcher passes
 * {@code DRAGGAN_JVM_OPTS}), e.g. a training benchmark, then:
 * <pre>
 *   DRAGGAN_JVM_OPTS="-XX:StartFlightRecording=filename=/tmp/train.jfr,settings=profile" \
 *     ./draggan train --bench --res 64 --cbase 4096 --cmax 256 --map 2 --bench-steps 8 --pl-weight 0 --mixing 0
 *   java -cp benchmarks/target/benchmarks.jar io.github.dragganjvm.bench.JfrTop /tmp/train.jfr [ROWS=25]
 * </pre>
 * Sampling profiles include the JIT warm-up of the first steps; record enough steps that it is small. JFR attributes
 * a sample inside inlined code to the innermost method with debug information at that point, so a hot loop is
 * sometimes charged to a small method inlined into it (a helper like {@code ceilDiv}); read the table by class.
 */
public final class JfrTop {
    private JfrTop() {}

    /** Frames of this project's classes. */
    static final String PROJECT_PACKAGE = "io.github.dragganjvm.";

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: JfrTop RECORDING.jfr [ROWS=25]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        if (!Files.isRegularFile(file)) {
            System.err.println("JfrTop: no recording at " + file);
            System.exit(2);
        }
        int rows;
        try {
            rows = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        } catch (NumberFormatException e) {
            System.err.println("JfrTop: ROWS must be a whole number but is '" + args[1] + "'");
            System.exit(2);
            return;
        }
        Map<String, Integer> counts = new HashMap<>();
        int total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) continue;
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) continue;
            total++;
            counts.merge(owner(st.getFrames()), 1, Integer::sum);
        }
        if (total == 0) {
            System.err.println("JfrTop: " + file + " holds no execution samples (record with settings=profile)");
            System.exit(1);
        }
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        System.out.printf(Locale.ROOT, "%d execution samples in %s%n%8s %6s  %s%n", total, file, "samples", "%", "method");
        for (Map.Entry<String, Integer> en : sorted.subList(0, Math.min(rows, sorted.size()))) {
            System.out.printf(Locale.ROOT, "%8d %5.1f%%  %s%n", en.getValue(), 100.0 * en.getValue() / total, en.getKey());
        }
    }

    /** The first project method from the top of the stack, else the top frame marked {@code <jdk>}. */
    static String owner(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            RecordedMethod m = f.getMethod();
            if (m == null) continue;
            String cls = m.getType().getName();
            if (cls.startsWith(PROJECT_PACKAGE)) {
                int lambda = cls.indexOf("$$Lambda");            // a lambda's hidden class: name it by its outer class
                if (lambda >= 0) cls = cls.substring(0, lambda) + "$$Lambda";
                return cls.substring(PROJECT_PACKAGE.length()) + "." + m.getName();
            }
        }
        RecordedMethod top = frames.get(0).getMethod();
        return "<jdk> " + (top == null ? "?" : top.getType().getName() + "." + top.getName());
    }
}
