package io.github.dragganjvm.bench;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.ArrayList;
import java.util.List;

/**
 * A short run of the key benchmarks through the JMH Runner API (one fork, few iterations), printed as a table
 * {@code op | size | backend | GFLOP/s}. {@code ./draggan bench} calls
 * {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar io.github.dragganjvm.bench.QuickBench [--quick]}.
 * {@code --quick} runs fewer sizes and iterations and skips the (slow) reference backend.
 *
 * <p>To add a benchmark to the table, append a {@link Run} to {@link #RUNS} (and an op label to {@link #label}).
 */
public final class QuickBench {
    private QuickBench() {}

    /** Benchmark methods (a regex over "Class.method") run at the given sizes; quick = part of the --quick set. */
    public record Run(String methods, boolean quick, String... sizes) {}

    /** What the table shows. Benchmark methods take the "size" parameter (see package-info). */
    public static final List<Run> RUNS = new ArrayList<>(List.of(
            new Run("GemmBench\\.(vector|nd4j)", true, "1024x1024x1024", "512x1024x4608"),
            new Run("GemmBench\\.reference", false, "128x128x128"),
            new Run("ConvBench\\.(vector|nd4j)", true, "512x512@32"),
            new Run("ConvBench\\.(vector|nd4j)", false, "512x256@64", "128x64@256"),
            new Run("ConvBench\\.reference", false, "32x32@16"),
            new Run("ConvBench\\.vector(InputGrad|WeightGrad)", true, "512x512@32"),
            new Run("ConvTransposeBench\\.vector(Constant|InputGrad|WeightGrad)?", true, "512x256@32"),
            new Run("ConvTransposeBench\\.vector(Constant|InputGrad)?", false, "256x128@64"),
            new Run("TrainingConvBench\\.vector(|InputGrad|WeightGrad|Up)", false, "32x32@32")));

    public static void main(String[] args) throws RunnerException {
        boolean quick = false;
        for (String a : args) {
            switch (a) {
                case "--quick" -> quick = true;
                case "--help", "-h" -> {
                    System.out.println("""
                            usage: ./draggan bench [--quick]

                            A short JMH run of the key kernels (sgemm, 3x3 conv2d and its gradients, the stride-2 transposed
                            conv) on the Vector API backend, ND4J and the scalar reference, printed as op | size | backend |
                            GFLOP/s. Takes about 2 minutes; --quick (about 40 s) runs fewer sizes and skips the reference.
                            Full JMH runs: java -jar benchmarks/target/benchmarks.jar (see benchmarks/README.md).""");
                    return;
                }
                default -> {
                    System.err.println("draggan bench: unknown argument " + a + " (accepted: --quick, --help)");
                    System.exit(2);
                }
            }
        }
        int warmups = quick ? 1 : 2, measurements = quick ? 2 : 3;
        List<String[]> rows = new ArrayList<>();
        for (Run run : RUNS) {
            if (quick && !run.quick()) continue;
            System.err.println("QuickBench: " + run.methods() + " " + String.join(", ", run.sizes()) + " ...");
            ChainedOptionsBuilder opts = new OptionsBuilder()
                    .include(java.util.regex.Pattern.quote(QuickBench.class.getPackageName() + ".") + run.methods() + "$")
                    .param("size", run.sizes())
                    .forks(1).warmupIterations(warmups).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(measurements).measurementTime(TimeValue.seconds(1))
                    .shouldFailOnError(true).verbosity(VerboseMode.SILENT);
            for (RunResult r : new Runner(opts.build()).run()) {
                String bench = r.getParams().getBenchmark();
                String method = bench.substring(bench.lastIndexOf('.') + 1);
                String clazz = bench.substring(0, bench.lastIndexOf('.'));
                clazz = clazz.substring(clazz.lastIndexOf('.') + 1);
                Result<?> g = r.getSecondaryResults().get("gflop");
                rows.add(new String[]{label(clazz, method), r.getParams().getParam("size"), backend(method),
                        g == null ? "?" : String.format("%.1f", g.getScore())});
            }
        }
        print(rows);
    }

    /** The op a benchmark method measures, for the table. */
    static String label(String clazz, String method) {
        return switch (clazz) {
            case "GemmBench" -> "sgemm";
            case "ConvBench" -> method.endsWith("InputGrad") ? "conv2d 3x3 input-grad"
                    : method.endsWith("WeightGrad") ? "conv2d 3x3 weight-grad" : "conv2d 3x3";
            case "ConvTransposeBench" -> method.endsWith("InputGrad") ? "convT 3x3 stride 2 (up) input-grad"
                    : method.endsWith("WeightGrad") ? "convT 3x3 stride 2 (up) weight-grad"
                    : method.endsWith("Constant") ? "convT 3x3 stride 2 (up), constant weight" : "convT 3x3 stride 2 (up)";
            case "TrainingConvBench" -> method.equals("vector") ? "conv2d 3x3, batch 16" : "training " + method.substring(6, 7).toLowerCase() + method.substring(7) + ", batch 16";
            default -> clazz.replace("Bench", "") + " " + method;
        };
    }

    /** The backend: the method name's prefix (vector, nd4j, reference). */
    static String backend(String method) {
        for (String b : new String[]{"vector", "nd4j", "reference"}) if (method.startsWith(b)) return b;
        return method;
    }

    private static void print(List<String[]> rows) {
        String[] head = {"op", "size", "backend", "GFLOP/s"};
        int[] w = new int[head.length];
        for (int i = 0; i < w.length; i++) w[i] = head[i].length();
        for (String[] r : rows) for (int i = 0; i < w.length; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder sb = new StringBuilder();
        line(sb, head, w);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) rule.append(i == 0 ? "" : "-|-").append("-".repeat(w[i]));
        sb.append(rule).append('\n');
        for (String[] r : rows) line(sb, r, w);
        System.out.print(sb);
    }

    private static void line(StringBuilder sb, String[] cells, int[] w) {
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) sb.append(" | ");
            sb.append(i == cells.length - 1 ? String.format("%" + w[i] + "s", cells[i]) : String.format("%-" + w[i] + "s", cells[i]));
        }
        sb.append('\n');
    }
}
