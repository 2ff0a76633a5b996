package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.BinaryOp;
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
 * A StyleGAN2 layer's noise and bias_act on the vector backend: {@code fused} is {@code addBiasAct} (one pass),
 * {@code composed} the add then bias_act it replaces in the generator (two passes and a temporary), on the
 * generator's [1, C, R, R] activations with a [R, R] noise plane. {@code inPlaceLinear} writes the result over x
 * ({@code addBiasActInPlace}, as the generator does now) and {@code newTensorLinear} into a new tensor, both with a
 * linear activation and gain 1 (repeated in place, lrelu's gain would grow x without bound and its slope shrink it
 * towards subnormals).
 * Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar AddBiasActBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class AddBiasActBench {
    /** Channels x resolution: the 256 px generator's top two blocks. */
    @Param({"64@256", "128@128"})
    public String size;

    private Tensor x, noise, bias;

    @Setup public void setup() {
        String[] p = size.split("@");
        int c = Integer.parseInt(p[0]), r = Integer.parseInt(p[1]);
        x = Bench.randn(1, 1, c, r, r);
        noise = Bench.randn(2, r, r);
        bias = Bench.randn(3, c);
    }

    @Benchmark public Tensor fused() {
        return Bench.VECTOR.addBiasAct(x, noise, bias, 1, Activation.LRELU, 0.2, Math.sqrt(2), -1);
    }

    @Benchmark public Tensor inPlaceLinear() {
        Bench.VECTOR.addBiasActInPlace(x, noise, bias, 1, Activation.LINEAR, 0, 1, -1);
        return x;
    }

    @Benchmark public Tensor newTensorLinear() {
        return Bench.VECTOR.addBiasAct(x, noise, bias, 1, Activation.LINEAR, 0, 1, -1);
    }

    @Benchmark public Tensor composed() {
        return Bench.VECTOR.biasAct(Bench.VECTOR.binary(BinaryOp.ADD, x, noise), bias, 1, Activation.LRELU, 0.2, Math.sqrt(2), -1);
    }
}
