package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
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
 * upfirdn2d at StyleGAN2's sizes, F32 on the default CPU backend, with the [1,3,3,1] filter:
 * <ul>
 *   <li>{@code up2}: the FIR 2x up-sampling (upsample2d: up 2, padding 2,1,2,1, gain 4), 128 channels 128 -> 256;</li>
 *   <li>{@code blur}: the FIR after a stride-2 transposed conv (padding 1, gain 4), 128 channels 257 -> 256;</li>
 *   <li>{@code blurBackward}: its gradient (flipped filter, padding 2), 128 channels 256 -> 257;</li>
 *   <li>{@code down2}: the gradient of up2 (down 2), 128 channels 256 -> 128.</li>
 * </ul>
 * Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar UpfirdnBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class UpfirdnBench {
    @Param({"up2", "blur", "blurBackward", "down2"})
    public String kind;

    @Param({"128"})
    public int channels;

    private Tensor x, f;
    private int up, down;
    private int[] pad;

    @Setup public void setup() {
        f = stylegan2Filter();
        switch (kind) {
            case "up2" -> { x = Tensor.randn(DType.F32, 1, 1, channels, 128, 128); up = 2; down = 1; pad = new int[]{2, 1, 2, 1}; }
            case "blur" -> { x = Tensor.randn(DType.F32, 1, 1, channels, 257, 257); up = 1; down = 1; pad = new int[]{1, 1, 1, 1}; }
            case "blurBackward" -> { x = Tensor.randn(DType.F32, 1, 1, channels, 256, 256); up = 1; down = 1; pad = new int[]{2, 2, 2, 2}; }
            case "down2" -> { x = Tensor.randn(DType.F32, 1, 1, channels, 256, 256); up = 1; down = 2; pad = new int[]{1, 2, 1, 2}; }
            default -> throw new IllegalArgumentException("kind " + kind);
        }
    }

    @Benchmark public Tensor upfirdn2d() { return Ops.upfirdn2d(x, f, up, down, pad, 4, false); }

    /** outer([1,3,3,1]) / 64. */
    static Tensor stylegan2Filter() {
        double[] k = {1, 3, 3, 1};
        Tensor f = Tensor.zeros(DType.F32, 4, 4);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) f.set(k[i] * k[j] / 64, i, j);
        return f;
    }
}
