package io.github.dragganjvm.cuda.internal.tools;

import io.github.dragganjvm.cuda.internal.CudaBackend;
import io.github.dragganjvm.cuda.internal.CudaRuntime;
import io.github.dragganjvm.cuda.internal.CudaScope;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * GPU timings for the note: GEMM and modulated-conv throughput next to cuBLAS, and the StyleGAN2-shaped
 * forward and drag step ({@link SynthesisProxy}) at 256 and 512 px. Run on a machine with a GPU:
 * <pre>java --enable-native-access=ALL-UNNAMED -cp cuda-kernels.jar:... io.github.dragganjvm.cuda.internal.tools.GpuBench [--quick]
 *     [-Ddraggan.cublas=/path/to/libcublas.so.13]</pre>
 * Every figure is the median of timed repetitions after warm-up, with the device synchronised around each.
 */
public final class GpuBench {
    private GpuBench() {}

    interface Work { void run(); }

    static double medianMs(CudaBackend be, int warmup, int reps, Work w) {
        for (int i = 0; i < warmup; i++) w.run();
        be.synchronize();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            w.run();
            be.synchronize();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    static long address(Tensor t) { return ((io.github.dragganjvm.cuda.internal.CudaStorage) t.storage()).address(); }

    /** Problem sizes: the real ones, or tiny ones for a smoke run (tests on the CPU emulator). */
    public record Sizes(int[][] gemms, int[][] modconvs, int[][] synthesis, int reps) {
        public static final Sizes REAL = new Sizes(
                new int[][]{{1024, 1024, 1024}, {4096, 4096, 4096}, {512, 4096, 4608}, {1, 512, 512}},
                new int[][]{{16, 512}, {64, 512}, {128, 256}, {256, 128}, {512, 64}},
                new int[][]{{256, 16384}, {512, 32768}}, 20);
        public static final Sizes SMOKE = new Sizes(new int[][]{{33, 65, 17}}, new int[][]{{8, 16}}, new int[][]{{16, 64}}, 2);
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        Sizes sizes = Arrays.asList(args).contains("--quick")
                ? new Sizes(Sizes.REAL.gemms(), Sizes.REAL.modconvs(), Sizes.REAL.synthesis(), 5) : Sizes.REAL;
        run(CudaRuntime.backend(), sizes, Cublas.tryOpen());
    }

    /** Runs every benchmark on be (cublas may be null) and prints the tables. */
    public static void run(CudaBackend be, Sizes sizes, Cublas cublas) {
        int reps = sizes.reps();
        System.out.println("device: " + be.driver().description());

        System.out.println("\n== GEMM, F32 row-major C = A B (TFLOP/s)");
        System.out.println("   M     N     K |  ours SIMT | ours TF32 | cuBLAS FP32 | cuBLAS TF32");
        for (int[] s : sizes.gemms()) {
            try (CudaScope scope = CudaScope.open()) {
                Tensor a = be.fromHost(Tensor.randn(DType.F32, 1, s[0], s[2])), b = be.fromHost(Tensor.randn(DType.F32, 2, s[2], s[1]));
                Tensor c = be.zeros(DType.F32, s[0], s[1]);
                double flop = 2.0 * s[0] * s[1] * s[2];
                double[] r = new double[4];
                for (int v = 0; v < 2; v++) {
                    be.setTf32(v == 1);
                    r[v] = flop / medianMs(be, 3, reps, () -> {
                        try (CudaScope inner = CudaScope.open()) { be.matmul(a, b); }
                    }) / 1e9;
                }
                be.setTf32(false);
                for (int v = 0; v < 2 && cublas != null; v++) {
                    boolean tf32 = v == 1;
                    r[2 + v] = flop / medianMs(be, 3, reps, () -> cublas.sgemm(address(a), address(b), address(c), s[0], s[1], s[2], tf32)) / 1e9;
                }
                System.out.printf("%5d %5d %5d | %10.2f | %9.2f | %11s | %11s%n", s[0], s[1], s[2], r[0], r[1],
                        cublas == null ? "n/a" : String.format("%.2f", r[2]), cublas == null ? "n/a" : String.format("%.2f", r[3]));
            }
        }

        System.out.println("\n== Modulated conv 3x3 (demodulated), batch 1: forward and backward (TFLOP/s; cuBLAS = SGEMM of the same M, N, K)");
        System.out.println(" res  C=O | fwd SIMT | fwd TF32 | bwd SIMT (dx+dw+ds) | cuBLAS FP32 GEMM | cuBLAS TF32 GEMM");
        for (int[] l : sizes.modconvs()) {
            int res = l[0], ch = l[1];
            try (CudaScope scope = CudaScope.open()) {
                Tensor x = be.fromHost(Tensor.randn(DType.F32, 3, 1, ch, res, res)), w = be.fromHost(Tensor.randn(DType.F32, 4, ch, ch, 3, 3));
                Tensor s = be.affine(be.fromHost(Tensor.uniform(DType.F32, 5, 0, 1, 1, ch)), 1, 0.5);
                double flop = 2.0 * res * res * ch * ch * 9;
                double[] r = new double[5];
                for (int v = 0; v < 2; v++) {
                    be.setTf32(v == 1);
                    r[v] = flop / medianMs(be, 2, reps, () -> {
                        try (CudaScope inner = CudaScope.open()) { be.modulatedConv2d(x, w, s, true, 1); }
                    }) / 1e9;
                }
                be.setTf32(false);
                Tensor[] f = be.modulatedConv2d(x, w, s, true, 1);
                Tensor g = be.fromHost(Tensor.randn(DType.F32, 6, f[0].shape()));
                r[2] = 2 * flop / medianMs(be, 2, reps, () -> {
                    try (CudaScope inner = CudaScope.open()) { be.modulatedConvBackward(g, f[0], x, w, s, f[1], false, 1, true, true, true); }
                }) / 1e9;
                if (cublas != null) {
                    Tensor a = be.fromHost(Tensor.randn(DType.F32, 7, ch, ch * 9)), bm = be.fromHost(Tensor.randn(DType.F32, 8, ch * 9, res * res));
                    Tensor c = be.zeros(DType.F32, ch, res * res);
                    for (int v = 0; v < 2; v++) {
                        boolean tf32 = v == 1;
                        r[3 + v] = flop / medianMs(be, 2, reps, () -> cublas.sgemm(address(a), address(bm), address(c), ch, res * res, ch * 9, tf32)) / 1e9;
                    }
                }
                System.out.printf("%4d %4d | %8.2f | %8.2f | %19.2f | %16s | %16s%n", res, ch, r[0], r[1], r[2],
                        cublas == null ? "n/a" : String.format("%.2f", r[3]), cublas == null ? "n/a" : String.format("%.2f", r[4]));
            }
        }

        System.out.println("\n== StyleGAN2-shaped synthesis (SynthesisProxy: the real op sequence and sizes, random weights)");
        for (int[] cfg : sizes.synthesis()) {
            int res = cfg[0];
            SynthesisProxy net = new SynthesisProxy(be, res, cfg[1], 42);
            Tensor ws = net.randomWs(7);
            for (int v = 0; v < 2; v++) {
                be.setTf32(v == 1);
                double fwd = medianMs(be, 2, reps, () -> {
                    try (CudaScope inner = CudaScope.open()) { net.forward(ws); }
                });
                Tensor wParam = be.copy(ws.selectView(0, 0).sliceView(0, 0, 6)), wRest = be.copy(ws.selectView(0, 0).sliceView(0, 6, net.numWs));
                Tensor m = be.zeros(DType.F32, 6, 512), vv = be.zeros(DType.F32, 6, 512);
                long[] step = {0};
                double drag = medianMs(be, 2, reps, () -> net.dragStep(wParam, wRest, m, vv, ++step[0]));
                System.out.printf("%d px (channel base %d) %s: forward %.2f ms (%.1f GMAC), drag step %.2f ms; live %.1f MiB, pool %.1f MiB%n",
                        res, cfg[1], v == 1 ? "TF32" : "FP32", fwd, net.forwardMacs() / 1e9, drag,
                        be.memory().liveBytes() / 1048576.0, be.memory().pooledBytes() / 1048576.0);
            }
            be.setTf32(false);
        }
        if (cublas != null) cublas.close();
    }
}
