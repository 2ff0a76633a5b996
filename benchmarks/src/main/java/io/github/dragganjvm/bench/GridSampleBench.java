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
 * Bilinear grid sampling (F.grid_sample, zeros, align_corners True as DragGAN's motion supervision) and its
 * gradients, F32 on the default CPU backend, on a 128-channel 256x256 feature map:
 * {@code points} = 112 (four handles, a radius-3 disc each: DragGAN's loss at 256 px) or 65536 (a full-map warp).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class GridSampleBench {
    @Param({"112", "65536"})
    public int points;

    private Tensor x, grid, gout;

    @Setup public void setup() {
        x = Tensor.randn(DType.F32, 1, 1, 128, 256, 256);
        grid = Tensor.uniform(DType.F32, 2, -1, 1, 1, 1, points, 2);
        gout = Tensor.randn(DType.F32, 3, 1, 128, 1, points);
    }

    @Benchmark public Tensor gridSample() { return Ops.gridSample(x, grid, true); }

    @Benchmark public Tensor[] gridSampleBackward() { return Ops.gridSampleBackward(gout, x, grid, true, true, true); }
}
