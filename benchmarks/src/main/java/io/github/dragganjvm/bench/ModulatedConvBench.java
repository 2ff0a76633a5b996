package io.github.dragganjvm.bench;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ModulatedConv2d;
import io.github.dragganjvm.tensor.DType;
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
 * One StyleGAN2 synthesis layer's modulated conv (3x3, padding 1, demodulated), forward + backward, F32 on the
 * default CPU backend: {@code up} 1 (conv1) or 2 (conv0: transposed conv + FIR), at {@code channels} in and out
 * and input resolution {@code res}. {@code weightGrad} false is DragGAN's case (only w, hence x and the styles,
 * need gradients: no weight-gradient GEMM); {@code fused} false runs the composition from primitive ops instead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class ModulatedConvBench {
    @Param({"1", "2"})
    public int up;

    @Param({"256"})
    public int channels;

    @Param({"64"})
    public int res;

    @Param({"false", "true"})
    public boolean weightGrad;

    @Param({"true", "false"})
    public boolean fused;

    private Tensor x, w, s, gout, f;

    @Setup public void setup() {
        x = Tensor.randn(DType.F32, 1, 1, channels, res, res);
        w = Tensor.randn(DType.F32, 2, channels, channels, 3, 3);
        s = Tensor.randn(DType.F32, 3, 1, channels);
        gout = Tensor.randn(DType.F32, 4, 1, channels, res * up, res * up);
        f = UpfirdnBench.stylegan2Filter();
    }

    @Benchmark public Tensor forwardBackward() {
        Var xv = Var.param(x), wv = weightGrad ? Var.param(w) : Var.constant(w), sv = Var.param(s);
        Var y = fused ? ModulatedConv2d.apply(xv, wv, sv, up, f, 1, true) : ModulatedConv2d.composed(xv, wv, sv, up, f, 1, true);
        y.backward(gout);
        return sv.grad();
    }
}
