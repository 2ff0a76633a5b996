package io.github.dragganjvm.tensor.internal.vector;

import java.util.SplittableRandom;

/**
 * The register tiles alone, one thread, data in L2: the numbers behind the choice of tiles per register count
 * (benchmarks/README.md, "Register tiles with 16 vector registers"). Not a test and not a JMH benchmark (the tiles
 * are package-private); prints GFLOP/s, the best of 30 repetitions of about 0.2 GFLOP each, over 5 rounds:
 * <pre>
 *   ./mvnw -q -o test-compile -pl core-tensor
 *   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector \
 *     -cp core-tensor/target/classes:core-tensor/target/test-classes \
 *     io.github.dragganjvm.tensor.internal.vector.RegisterTileMicro
 * </pre>
 * Every tile runs whatever this CPU's vector width is; the 8-row forward tile and the 4 x 6 weight tile are the
 * AVX-512 choices, spilling on 16 registers. (A 6-row forward tile for AVX2 ran faster here alone but slowed
 * training down; it was reverted, see the README.)
 */
public final class RegisterTileMicro {
    private RegisterTileMicro() {}

    private static final int VL = Sgemm.VL;
    private static final double WORK = 2e8;

    private interface Call { void run(int rep); }

    public static void main(String[] args) {
        SplittableRandom r = new SplittableRandom(1);
        // forward tiles: 144 taps (16 channels x 3 x 3) over a 16-row layout, cells advancing along the rows
        int kc = 144, rowLen = 4096, rows = 16;
        float[] x = fill(r, rows * rowLen + 256), a = fill(r, 8 * kc), c = new float[8 * 64];
        int[] koff = new int[kc];
        for (int i = 0; i < kc; i++) koff[i] = (i / 9 % rows) * rowLen + (i % 9) / 3 * 66 + i % 3;
        // weight-gradient tiles: 4 output-gradient rows and 6 taps over 1024 cells
        int len = 1024;
        float[] g = fill(r, 4 * len + 64), part = new float[24 * VL];
        int[] wk = {0, 1, 2, rowLen, rowLen + 1, rowLen + 2};
        // Sgemm's tile: packed panels, k = 256
        int gk = 256;
        float[] pa = fill(r, 4 * gk * 40), pb = fill(r, Sgemm.NR * gk);
        for (int round = 0; round < 5; round++) {
            System.out.println("round " + (round + 1));
            report("forward 4 rows x 2 vectors", 2.0 * 4 * 2 * VL * kc, q -> StackedConv.kernel4(kc, a, 0, kc, x, koff, 0, q * 2 * VL & 2047, c, 0, 64));
            report("forward 8 rows x 3 vectors", 2.0 * 8 * 3 * VL * kc, q -> StackedConv.kernel8(kc, a, 0, kc, x, koff, 0, q * 3 * VL & 2047, c, 0, 64));
            report("weight gradient 4 x 6", 2.0 * 24 * len, q -> StackedConv.weightTile(g, 0, len, x, wk, 0, q & 1023, len, part));
            report("weight gradient 2 x 6", 2.0 * 12 * len, q -> StackedConv.weightTile26(g, 0, len, x, wk, 0, q & 1023, len, part));
            report("Sgemm 4 rows x 2 vectors", 2.0 * 4 * Sgemm.NR * gk, q -> Sgemm.kernel4(gk, pa, q % 40 * 4 * gk, pb, 0, c, 0, 64));
        }
    }

    private static float[] fill(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextDouble(-1, 1);
        return v;
    }

    private static void report(String name, double flopsPerCall, Call call) {
        int calls = (int) Math.max(1, WORK / flopsPerCall);
        long best = Long.MAX_VALUE;
        for (int rep = 0; rep < 30; rep++) {
            long t0 = System.nanoTime();
            for (int q = 0; q < calls; q++) call.run(q);
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("  %-28s %6.1f GFLOP/s%n", name, calls * flopsPerCall / best);
    }
}
