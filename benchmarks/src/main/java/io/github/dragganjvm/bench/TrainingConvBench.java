package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The convolutions and matrix products of a StyleGAN2 <em>training</em> step at 64 px (channel base 1024, max 128:
 * 128 channels at 4-8 px down to 16 at 64 px), batch {@code batch} (default 16), on the Vector API backend; every
 * weight changes per step, so none is marked constant. Sizes are "C x O @ R" (C input, O output channels, R the
 * resolution named below); flops are those of the dense definition, {@code 2 * N * O * C * 9 * (output pixels of
 * the stride-1 / input pixels of the transposed conv)}, padding zeros included, so GFLOP/s compare times.
 * Methods are named after the backend ({@code vector}) and the op, as in {@link ConvBench}; the PyTorch script
 * {@code benchmarks/pytorch/training_conv_bench.py} prints the same rows without the prefix.
 * <ul>
 *   <li>{@code vector} / {@code vectorInputGrad} / {@code vectorWeightGrad} ({@link Same}, R = image size): the 3x3, stride 1,
 *       padding 1 conv2d x [N, C, R, R] * w [O, C, 3, 3]; its input gradient, the stride-1 transposed conv of
 *       g [N, O, R, R]; its weight gradient from x and g.</li>
 *   <li>{@code vectorUp} / {@code vectorUpInputGrad} / {@code vectorUpWeightGrad} ({@link Up}, R = input size): the generator's
 *       up-sampling conv, convTranspose2d x [N, C, R, R] * w [C, O, 3, 3], stride 2, padding 0 -> [N, O, 2R+1, 2R+1];
 *       its input gradient, the stride-2 conv2d of g [N, O, 2R+1, 2R+1] with w read as [C, O, 3, 3] (out C, in O);
 *       its weight gradient {@code conv2dWeightGrad(g, x)} with stride 2.</li>
 *   <li>{@code vectorDown} / {@code vectorDownWeightGrad} ({@link Down}, R = output size): the discriminator's down-sampling
 *       conv, conv2d x [N, C, 2R+1, 2R+1] * w [O, C, 3, 3], stride 2, padding 0 -> [N, O, R, R], and its weight
 *       gradient (its input gradient is {@code vectorUp}'s shape with C and O swapped).</li>
 *   <li>{@code vectorMatmulLinear} / {@code vectorMatmulInputGrad} / {@code vectorMatmulWeightGrad} ({@link Fc}, "M x N x K"): the
 *       mapping network's fully connected layer, {@code y = x w^T} with x [M, K] and w [N, K] read through a transposed
 *       view; its input gradient {@code g w} (g [M, N]); its weight gradient {@code g^T x} (a [N, M] view times
 *       [M, K]); 2*M*N*K flops each. {@code vectorAffineTransposed}: the weight gain {@code affine(w^T, s, 0)} on the
 *       transposed [K, N] view (2 flops per element).</li>
 * </ul>
 * Run: {@code java -jar benchmarks/target/benchmarks.jar TrainingConvBench -f 1 -wi 3 -i 5}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Bench.ADD_MODULES, Bench.VECTOR_MODULE, Bench.QUIET})
public class TrainingConvBench {

    /** 3x3, stride 1, padding 1: x [N, C, R, R], w [O, C, 3, 3], g [N, O, R, R]. */
    @State(Scope.Benchmark)
    public static class Same {
        @Param({"16x16@64", "32x32@32", "64x64@16", "128x128@8", "128x128@4"})
        public String size;
        @Param({"16"})
        public int batch;
        double gflop;
        Tensor x, w, g;

        @Setup public void setup() {
            int[] d = Bench.dims(size);
            int c = d[0], o = d[1], r = d[2];
            gflop = 2.0 * batch * o * c * 9 * r * r * 1e-9;
            x = Bench.randn(1, batch, c, r, r);
            w = Bench.randn(2, o, c, 3, 3);
            g = Bench.randn(3, batch, o, r, r);
        }
    }

    /** Stride-2 transposed conv: x [N, C, R, R], w [C, O, 3, 3], g [N, O, 2R+1, 2R+1]. */
    @State(Scope.Benchmark)
    public static class Up {
        @Param({"128x128@4", "128x64@8", "128x128@8", "64x32@16", "32x16@32"})
        public String size;
        @Param({"16"})
        public int batch;
        double gflop;
        Tensor x, w, g;

        @Setup public void setup() {
            int[] d = Bench.dims(size);
            int c = d[0], o = d[1], r = d[2];
            gflop = 2.0 * batch * o * c * 9 * r * r * 1e-9;
            x = Bench.randn(1, batch, c, r, r);
            w = Bench.randn(2, c, o, 3, 3);
            g = Bench.randn(3, batch, o, 2 * r + 1, 2 * r + 1);
        }
    }

    /** Stride-2 conv: x [N, C, 2R+1, 2R+1], w [O, C, 3, 3], g [N, O, R, R]. */
    @State(Scope.Benchmark)
    public static class Down {
        @Param({"16x32@32", "32x64@16", "64x128@8", "128x128@8", "128x128@4"})
        public String size;
        @Param({"16"})
        public int batch;
        double gflop;
        Tensor x, w, g;

        @Setup public void setup() {
            int[] d = Bench.dims(size);
            int c = d[0], o = d[1], r = d[2];
            gflop = 2.0 * batch * o * c * 9 * r * r * 1e-9;
            x = Bench.randn(1, batch, c, 2 * r + 1, 2 * r + 1);
            w = Bench.randn(2, o, c, 3, 3);
            g = Bench.randn(3, batch, o, r, r);
        }
    }

    /** Fully connected layer: x [M, K], w [N, K], g [M, N]. */
    @State(Scope.Benchmark)
    public static class Fc {
        @Param({"16x512x512"})
        public String size;
        double gflop, affineGflop;
        Tensor x, w, g;

        @Setup public void setup() {
            int[] d = Bench.dims(size);
            int m = d[0], n = d[1], k = d[2];
            gflop = 2.0 * m * n * k * 1e-9;
            affineGflop = 2.0 * n * k * 1e-9;
            x = Bench.randn(1, m, k);
            w = Bench.randn(2, n, k);
            g = Bench.randn(3, m, n);
        }
    }

    @Benchmark public Tensor vector(Same s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.conv2d(s.x, s.w, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorInputGrad(Same s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.convTranspose2d(s.g, s.w, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorWeightGrad(Same s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.conv2dWeightGrad(s.x, s.g, 3, 3, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorUp(Up s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.convTranspose2d(s.x, s.w, 2, 2, 0, 0, 1);
    }

    @Benchmark public Tensor vectorUpInputGrad(Up s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.conv2d(s.g, s.w, 2, 2, 0, 0, 1);
    }

    @Benchmark public Tensor vectorUpWeightGrad(Up s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.conv2dWeightGrad(s.g, s.x, 3, 3, 2, 2, 0, 0, 1);
    }

    @Benchmark public Tensor vectorDown(Down s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.conv2d(s.x, s.w, 2, 2, 0, 0, 1);
    }

    @Benchmark public Tensor vectorDownWeightGrad(Down s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.conv2dWeightGrad(s.x, s.g, 3, 3, 2, 2, 0, 0, 1);
    }

    @Benchmark public Tensor vectorMatmulLinear(Fc s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.matmul(s.x, s.w.transposeView(0, 1));
    }

    @Benchmark public Tensor vectorMatmulInputGrad(Fc s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.matmul(s.g, s.w);
    }

    @Benchmark public Tensor vectorMatmulWeightGrad(Fc s, Flops f) {
        f.gflop += s.gflop;
        return Bench.VECTOR.matmul(s.g.transposeView(0, 1), s.x);
    }

    @Benchmark public Tensor vectorAffineTransposed(Fc s, Flops f) {
        f.gflop += s.affineGflop;
        return Bench.VECTOR.affine(s.w.transposeView(0, 1), 0.5, 0);
    }
}
