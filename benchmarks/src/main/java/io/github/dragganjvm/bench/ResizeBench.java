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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * DragGAN's feature resize: the 128-channel b128 features 128x128 -> 256x256, bilinear, align_corners False
 * (F.interpolate), forward and backward, F32 on the default CPU backend.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class ResizeBench {
    private Tensor feat128, gout256;

    @Setup public void setup() {
        feat128 = Tensor.randn(DType.F32, 4, 1, 128, 128, 128);
        gout256 = Tensor.randn(DType.F32, 5, 1, 128, 256, 256);
    }

    @Benchmark public Tensor resize128to256() { return Ops.resizeBilinear(feat128, 256, 256, false); }

    @Benchmark public Tensor resize128to256Backward() { return Ops.resizeBilinearBackward(gout256, 128, 128, false); }
}
