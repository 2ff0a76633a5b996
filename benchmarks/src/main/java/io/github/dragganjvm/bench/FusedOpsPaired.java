package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The generator's fused ops against the ops they replace, alternating call by call in one JVM so that both sides
 * see the same machine (on a shared VM whose speed drifts by tens of percent within minutes, separate JMH forks of
 * the two sides often disagree by more than the difference; see {@code ConvTransposeBench.vectorFirConstant} and
 * {@code AddBiasActBench.inPlaceLinear} for the JMH forms):
 * <ul>
 *   <li>{@code convTranspose2dFir} (the up-sampling conv with its 4x4 blur, constant weight, single image) against
 *       {@code convTranspose2d} then {@code upfirdn2d};</li>
 *   <li>{@code addBiasActInPlace} against {@code addBiasAct} into a new tensor (linear, gain 1, so that repeating it
 *       in place keeps x finite and away from subnormals).</li>
 * </ul>
 * Prints the median and the first quartile of each side's milliseconds after a warm-up.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar io.github.dragganjvm.bench.FusedOpsPaired [CALLS=120]</pre>
 */
public final class FusedOpsPaired {
    private FusedOpsPaired() {}

    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 120;
        if (calls < 4) throw new IllegalArgumentException("FusedOpsPaired: CALLS must be >= 4 but is " + calls);
        Tensor blur = Tensor.zeros(4, 4);
        double[] k = {1, 3, 3, 1};
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) blur.set(k[i] * k[j] / 64, i, j);
        int[] pad = {1, 1, 1, 1};
        for (String size : new String[]{"128x64@128", "256x128@64", "512x256@32", "512x512@16"}) {
            int[] d = Bench.dims(size);
            Tensor x = Bench.randn(1, 1, d[0], d[2], d[2]), w = Bench.randn(2, d[0], d[1], 3, 3).copy().markConstant();
            pair("up conv " + size, calls,
                    () -> Ops.convTranspose2dFir(x, w, 2, 0, blur, pad, 4), "fused",
                    () -> Ops.upfirdn2d(Ops.convTranspose2d(x, w, 2, 0, 1), blur, 1, 1, pad, 4, false), "two ops");
        }
        for (String size : new String[]{"64@256", "128@128", "256@64"}) {
            String[] p = size.split("@");
            int c = Integer.parseInt(p[0]), r = Integer.parseInt(p[1]);
            Tensor x = Bench.randn(1, 1, c, r, r), noise = Bench.randn(2, r, r), bias = Bench.randn(3, c);
            pair("noise + bias_act " + size, 2 * calls,
                    () -> Ops.addBiasActInPlace(x, noise, bias, 1, Activation.LINEAR, 0, 1, -1), "in place",
                    () -> Ops.addBiasAct(x, noise, bias, 1, Activation.LINEAR, 0, 1, -1), "new tensor");
        }
    }

    private static void pair(String what, int calls, Supplier<Tensor> a, String aName, Supplier<Tensor> b, String bName) {
        int warm = Math.max(2, calls / 4);
        double[] ta = new double[calls], tb = new double[calls];
        for (int i = -warm; i < calls; i++) {
            long t0 = System.nanoTime();
            a.get();
            long t1 = System.nanoTime();
            b.get();
            long t2 = System.nanoTime();
            if (i >= 0) {
                ta[i] = (t1 - t0) / 1e6;
                tb[i] = (t2 - t1) / 1e6;
            }
        }
        Arrays.sort(ta);
        Arrays.sort(tb);
        System.out.printf(Locale.ROOT, "%-26s %s %8.3f ms (q1 %8.3f)   %s %8.3f ms (q1 %8.3f)   ratio %.2f%n", what,
                aName, ta[calls / 2], ta[calls / 4], bName, tb[calls / 2], tb[calls / 4], ta[calls / 2] / tb[calls / 2]);
    }
}
