package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.vector.VConv;
import io.github.dragganjvm.tensor.internal.vector.Winograd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;
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
 * 3x3 convolutions of StyleGAN2's synthesis layers at batch 1, sizes "C x O @ R" (C -> O channels at R x R, stride
 * 1, padding 1); 2 * O * C * 9 * R * R flops each:
 * <ul>
 *   <li>{@code vector}/{@code nd4j}/{@code reference}: conv2d forward;</li>
 *   <li>{@code vectorInputGrad}: its input gradient, the transposed conv of an [1, O, R, R] gradient;</li>
 *   <li>{@code vectorWeightGrad}/{@code referenceWeightGrad}: its weight gradient;</li>
 *   <li>Direct GEMM path vs {@link Winograd} F(2x2, 3x3), whatever VConv would choose: {@code vectorDirect} /
 *       {@code vectorWinograd} (forward) and {@code vectorDirectInputGrad} / {@code vectorWinogradInputGrad} (input
 *       gradient), with the weight transformed (or packed) in every call; the {@code ...Constant} twins take a
 *       weight marked constant, whose packed panels / Winograd transform are made once and cached (how the
 *       generator's weights run). Flops are those of the direct definition, so GFLOP/s compare times.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Bench.ADD_MODULES, Bench.VECTOR_MODULE, Bench.QUIET})
public class ConvBench {

    /** Inputs of one size. */
    static final class Data {
        final double gflop;
        final Tensor x, w, g;
        INDArray nx, nw, nout;
        Conv2DConfig config;

        Data(String size) {
            int[] d = Bench.dims(size);
            int c = d[0], o = d[1], r = d[2];
            gflop = 2.0 * o * c * 9 * r * r * 1e-9;
            x = Bench.randn(1, 1, c, r, r);
            w = Bench.randn(2, o, c, 3, 3);
            g = Bench.randn(3, 1, o, r, r);
        }

        Data withNd4j() {
            nx = Nd4jOps.of(x);
            nw = Nd4jOps.of(w);
            nout = Nd4j.zeros(DataType.FLOAT, g.size(0), g.size(1), g.size(2), g.size(3));
            config = Nd4jOps.conv2dConfig(3, 3, 1, 1);
            return this;
        }
    }

    @State(Scope.Benchmark)
    public static class Fast {
        @Param({"512x512@32", "512x512@8", "512x512@16", "512x256@64", "256x128@128", "128x128@128", "128x64@256"})
        public String size;
        Data d;

        @Setup public void setup() { d = new Data(size); }
    }

    @State(Scope.Benchmark)
    public static class WinogradSizes {
        @Param({"512x512@4", "512x512@8", "512x512@16", "512x512@32", "512x512@64", "512x256@64", "256x256@64",
                "256x256@128", "128x128@128", "64x64@256"})
        public String size;
        Data d;
        Tensor constantW;

        @Setup public void setup() {
            d = new Data(size);
            constantW = d.w.copy().markConstant();
        }
    }

    @State(Scope.Benchmark)
    public static class Nd4jSizes {
        @Param({"512x512@32", "512x512@8", "512x512@16", "512x256@64", "256x128@128", "128x128@128", "128x64@256"})
        public String size;
        Data d;

        @Setup public void setup() { d = new Data(size).withNd4j(); }
    }

    @State(Scope.Benchmark)
    public static class Small {
        @Param({"32x32@16"})
        public String size;
        Data d;

        @Setup public void setup() { d = new Data(size); }
    }

    @Benchmark public Tensor vector(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.conv2d(s.d.x, s.d.w, 1, 1, 1, 1, 1);
    }

    @Benchmark public INDArray nd4j(Nd4jSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return Nd4jOps.conv2d(s.d.nx, s.d.nw, s.d.nout, s.d.config);
    }

    @Benchmark public Tensor reference(Small s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.REFERENCE.conv2d(s.d.x, s.d.w, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorInputGrad(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.convTranspose2d(s.d.g, s.d.w, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorWeightGrad(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.conv2dWeightGrad(s.d.x, s.d.g, 3, 3, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor referenceWeightGrad(Small s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.REFERENCE.conv2dWeightGrad(s.d.x, s.d.g, 3, 3, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorDirect(WinogradSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return VConv.conv2dGemm(s.d.x, s.d.w, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorDirectConstant(WinogradSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return VConv.conv2dGemm(s.d.x, s.constantW, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorWinograd(WinogradSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return Winograd.conv2d(s.d.x, s.d.w, 1, 1);
    }

    @Benchmark public Tensor vectorWinogradConstant(WinogradSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return Winograd.conv2d(s.d.x, s.constantW, 1, 1);
    }

    @Benchmark public Tensor vectorDirectInputGrad(WinogradSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return VConv.convTranspose2dPhases(s.d.g, s.d.w, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorDirectConstantInputGrad(WinogradSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return VConv.convTranspose2dPhases(s.d.g, s.constantW, 1, 1, 1, 1, 1);
    }

    @Benchmark public Tensor vectorWinogradInputGrad(WinogradSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return Winograd.convTranspose2d(s.d.g, s.d.w, 1, 1);
    }

    @Benchmark public Tensor vectorWinogradConstantInputGrad(WinogradSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return Winograd.convTranspose2d(s.d.g, s.constantW, 1, 1);
    }
}
