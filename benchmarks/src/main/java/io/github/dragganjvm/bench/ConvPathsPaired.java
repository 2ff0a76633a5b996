package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.vector.VConv;
import io.github.dragganjvm.tensor.internal.vector.Winograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Every path the vector backend has for one convolution, called in turn in one JVM (each round calls every path
 * once), so that all paths see the same machine: on a shared VM whose speed drifts by tens of percent within
 * minutes, separate runs disagree by more than the paths differ. Prints, per shape, the median milliseconds of each
 * path and, in brackets, its GFLOP/s (2 flops per multiply-add of the dense definition); {@code auto} is what
 * {@code VConv} picks. This is how {@code VConv}'s bounds for batches ({@code winogradBeatsStacked},
 * {@code indexedBeatsStacked}, {@code winogradWeightGrad}) were measured.
 *
 * <p>A shape is {@code OP:N:C:O:H:STRIDE:PAD} (square images of H pixels, 3x3 kernels): OP {@code conv} (conv2d
 * x [N, C, H, H] with w [O, C, 3, 3]), {@code convT} (convTranspose2d x [N, C, H, H] with w [C, O, 3, 3]) or
 * {@code dw} (the weight gradient of that conv2d). Without shapes it runs the 3x3 layers of training at 64 px
 * (channel base 1024 / max 128, batch 16, as {@code benchmarks/compare-train.sh 64 1024 128}), their input and weight
 * gradients, the discriminator's stride-2 convs and the generator's up convs, and the 256-channel layers of the
 * 4096 / 256 configurations.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar io.github.dragganjvm.bench.ConvPathsPaired [ROUNDS=21] [SHAPE...]</pre>
 */
public final class ConvPathsPaired {
    private ConvPathsPaired() {}

    /** The training shapes run without arguments. */
    static final List<String> TRAINING = List.of(
            "conv:16:128:128:4:1:1", "conv:16:128:128:8:1:1", "conv:16:64:64:16:1:1", "conv:16:32:32:32:1:1", "conv:16:16:16:64:1:1",
            "conv:16:129:128:4:1:1", "conv:16:256:256:4:1:1", "conv:16:256:256:8:1:1", "conv:16:256:256:16:1:1",
            "convT:16:128:128:4:1:1", "convT:16:128:128:8:1:1", "convT:16:64:64:16:1:1", "convT:16:32:32:32:1:1", "convT:16:256:256:8:1:1",
            "conv:16:16:32:65:2:0", "conv:16:32:64:33:2:0", "conv:16:64:128:17:2:0", "conv:16:128:128:9:2:0",
            "convT:16:32:16:32:2:0", "convT:16:64:32:16:2:0", "convT:16:128:64:8:2:0", "convT:16:128:128:4:2:0",
            "dw:16:128:128:4:1:1", "dw:16:128:128:8:1:1", "dw:16:64:64:16:1:1", "dw:16:32:32:32:1:1", "dw:16:16:16:64:1:1",
            "dw:16:256:256:8:1:1", "dw:16:256:256:16:1:1", "dw:16:128:128:32:1:1", "dw:16:64:64:64:1:1",
            "dw:16:16:32:65:2:0", "dw:16:32:64:33:2:0", "dw:16:64:128:17:2:0", "dw:16:128:128:9:2:0");

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        if (rounds < 1) throw new IllegalArgumentException("ConvPathsPaired: ROUNDS must be >= 1 but is " + rounds);
        List<String> shapes = args.length > 1 ? Arrays.asList(args).subList(1, args.length) : TRAINING;
        // one throwaway pass over the first shape: its first calls compile the kernels every later shape uses
        run(shapes.get(0), Math.max(3, rounds / 3), false);
        for (String shape : shapes) run(shape, rounds, true);
    }

    private static void run(String shape, int rounds, boolean print) {
        String[] p = shape.split(":");
        if (p.length != 7 || !List.of("conv", "convT", "dw").contains(p[0])) {
            throw new IllegalArgumentException("ConvPathsPaired: a shape is OP:N:C:O:H:STRIDE:PAD with OP conv, convT or dw, got '" + shape + "'");
        }
        String op = p[0];
        int n = Integer.parseInt(p[1]), c = Integer.parseInt(p[2]), o = Integer.parseInt(p[3]), h = Integer.parseInt(p[4]);
        int st = Integer.parseInt(p[5]), pd = Integer.parseInt(p[6]);
        Map<String, Supplier<Tensor>> paths = new LinkedHashMap<>();
        double gflop;
        boolean winograd = st == 1 && Math.min(c, o) >= 32;
        if (op.equals("convT")) {
            Tensor x = Bench.randn(1, n, c, h, h), w = Bench.randn(2, c, o, 3, 3);
            gflop = 2.0 * c * o * 9 * h * h * n * 1e-9;
            paths.put("auto", () -> VConv.convTranspose2d(x, w, st, st, pd, pd, 1));
            paths.put("stacked", () -> VConv.convTranspose2dStacked(x, w, st, st, pd, pd));
            paths.put("indexed", () -> VConv.convTranspose2dIndexed(x, w, st, st, pd, pd));
            if (winograd) paths.put("winograd", () -> Winograd.convTranspose2d(x, w, pd, pd));
            paths.put("phases", () -> VConv.convTranspose2dPhases(x, w, st, st, pd, pd, 1));
        } else {
            Tensor x = Bench.randn(1, n, c, h, h), w = Bench.randn(2, o, c, 3, 3);
            int ho = Shapes.convOut(h, 3, st, pd);
            Tensor g = Bench.randn(3, n, o, ho, ho);
            gflop = 2.0 * c * o * 9 * ho * ho * n * 1e-9;
            if (op.equals("conv")) {
                paths.put("auto", () -> VConv.conv2d(x, w, st, st, pd, pd, 1));
                paths.put("stacked", () -> VConv.conv2dStacked(x, w, st, st, pd, pd));
                paths.put("indexed", () -> VConv.conv2dIndexed(x, w, st, st, pd, pd));
                if (winograd) paths.put("winograd", () -> Winograd.conv2d(x, w, pd, pd));
                paths.put("gemm", () -> VConv.conv2dGemm(x, w, st, st, pd, pd, 1));
            } else {
                paths.put("auto", () -> VConv.conv2dWeightGrad(x, g, 3, 3, st, st, pd, pd, 1));
                paths.put("stacked", () -> VConv.conv2dWeightGradStacked(x, g, 3, 3, st, st, pd, pd));
                paths.put("indexed", () -> VConv.conv2dWeightGradIndexed(x, g, 3, 3, st, st, pd, pd));
                if (st == 1) paths.put("winograd", () -> Winograd.conv2dWeightGrad(x, g, pd, pd));
                paths.put("gemm", () -> VConv.conv2dWeightGradGemm(x, g, 3, 3, st, st, pd, pd, 1));
            }
        }
        Map<String, double[]> ms = new LinkedHashMap<>();
        for (String k : paths.keySet()) ms.put(k, new double[rounds]);
        for (int r = -2; r < rounds; r++) {                     // two warm-up rounds
            for (Map.Entry<String, Supplier<Tensor>> e : paths.entrySet()) {
                long t0 = System.nanoTime();
                e.getValue().get();
                if (r >= 0) ms.get(e.getKey())[r] = (System.nanoTime() - t0) * 1e-6;
            }
        }
        if (!print) return;
        List<String> cells = new ArrayList<>();
        for (Map.Entry<String, double[]> e : ms.entrySet()) {
            double[] t = e.getValue();
            Arrays.sort(t);
            double med = t[rounds / 2];
            cells.add(String.format(Locale.ROOT, "%s %.2f (%.0f)", e.getKey(), med, gflop / (med * 1e-3)));
        }
        System.out.printf(Locale.ROOT, "%-24s %s%n", shape, String.join("  ", cells));
    }
}
