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
 * StyleGAN2's up-sampling convolution: conv_transpose2d with stride 2, padding 0 and a 3x3 kernel, x [1, C, R, R]
 * -> [1, O, 2R+1, 2R+1] (the FIR filter that follows is a separate op). Sizes "C x O @ R" (R the input size);
 * 2 * C * O * 9 * R * R flops (every input pixel meets every kernel tap once). {@code vectorInputGrad} is its
 * gradient with respect to x, the stride-2 conv2d of a [1, O, 2R+1, 2R+1] gradient (what DragGAN's backward runs);
 * {@code vectorInputGradConstant} the same with the weight marked constant (the generator's swapped weight);
 * {@code vectorWeightGrad} its weight gradient dW [C, O, 3, 3] (training). The {@code stacked*} methods run the same
 * three ops through the batch path ({@code StackedConv}) at N = 1, for comparison. All count the same flops.
 * {@code vectorFirConstant} is the whole up-sampling conv as the generator runs it, the transposed conv and its 4x4
 * blur fused ({@code convTranspose2dFir}: the transposed conv's output never becomes a tensor), and
 * {@code vectorThenBlurConstant} the same two ops one after the other; both count only the transposed conv's flops.
 * {@code vectorFir} is the fused op with the weight packed per call (a modulated weight), {@code phasesFir} and
 * {@code phases} the phase decomposition whatever the size, to compare with the tap GEMM that small inputs take.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Bench.ADD_MODULES, Bench.VECTOR_MODULE, Bench.QUIET})
public class ConvTransposeBench {

    static final class Data {
        final double gflop;
        final Tensor x, w, g, constantW, blur;

        Data(String size) {
            int[] d = Bench.dims(size);
            int c = d[0], o = d[1], r = d[2];
            gflop = 2.0 * c * o * 9 * r * r * 1e-9;
            x = Bench.randn(1, 1, c, r, r);
            w = Bench.randn(2, c, o, 3, 3);
            constantW = w.copy().markConstant();             // as a model's weight: packed once, then read in place
            g = Bench.randn(3, 1, o, 2 * r + 1, 2 * r + 1);
            blur = Tensor.zeros(4, 4);                         // StyleGAN2's [1, 3, 3, 1] resample filter
            double[] k = {1, 3, 3, 1};
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) blur.set(k[i] * k[j] / 64, i, j);
        }
    }

    @State(Scope.Benchmark)
    public static class Fast {
        @Param({"512x512@16", "512x512@4", "512x512@8", "512x256@32", "256x128@64", "128x64@128"})
        public String size;
        Data d;

        @Setup public void setup() { d = new Data(size); }
    }

    @State(Scope.Benchmark)
    public static class Small {
        @Param({"32x32@8"})
        public String size;
        Data d;

        @Setup public void setup() { d = new Data(size); }
    }

    @Benchmark public Tensor vector(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.convTranspose2d(s.d.x, s.d.w, 2, 2, 0, 0, 1);
    }

    /** As the generator calls it: the weight marked constant, so its phase sub-kernels are packed once. */
    @Benchmark public Tensor vectorConstant(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.convTranspose2d(s.d.x, s.d.constantW, 2, 2, 0, 0, 1);
    }

    /** The up-sampling conv as the generator runs it: transposed conv and blur fused, the weight constant. */
    @Benchmark public Tensor vectorFirConstant(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.convTranspose2dFir(s.d.x, s.d.constantW, 2, 0, s.d.blur, BLUR_PAD, 4);
    }

    /** The same two ops one after the other (the transposed conv's output a tensor). */
    @Benchmark public Tensor vectorThenBlurConstant(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        Tensor t = Bench.VECTOR.convTranspose2d(s.d.x, s.d.constantW, 2, 2, 0, 0, 1);
        return Bench.VECTOR.upfirdn2d(t, s.d.blur, 1, 1, 1, 1, BLUR_PAD[0], BLUR_PAD[1], BLUR_PAD[2], BLUR_PAD[3], 4, false);
    }

    /**
     * The up-sampling conv as a single image's modulated conv runs it in generate and in a drag step: transposed conv
     * and blur fused, the weight packed per call (the modulated weight is new every call). At 64x64 inputs or less
     * this is the tap GEMM ({@code TapConvTranspose}); {@link #phasesFir} is the same op by the phases.
     */
    @Benchmark public Tensor vectorFir(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.convTranspose2dFir(s.d.x, s.d.w, 2, 0, s.d.blur, BLUR_PAD, 4);
    }

    /** {@link #vectorFir} by the phase decomposition, whatever the size (the path before the tap GEMM). */
    @Benchmark public Tensor phasesFir(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return io.github.dragganjvm.tensor.internal.vector.VConv.convTranspose2dFirPhases(s.d.x, s.d.w, 0, s.d.blur, BLUR_PAD, 4);
    }

    /** {@link #vector} by the phase decomposition, whatever the size. */
    @Benchmark public Tensor phases(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return io.github.dragganjvm.tensor.internal.vector.VConv.convTranspose2dPhases(s.d.x, s.d.w, 2, 2, 0, 0, 1);
    }

    /** The blur's padding {x0, x1, y0, y1} after a 3x3 stride-2 transposed conv (NVlabs conv2d_resample). */
    private static final int[] BLUR_PAD = {1, 1, 1, 1};

    @Benchmark public Tensor vectorInputGrad(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.conv2d(s.d.g, s.d.w, 2, 2, 0, 0, 1);
    }

    /** The input gradient with the weight marked constant (as the generator's swapped weight). */
    @Benchmark public Tensor vectorInputGradConstant(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.conv2d(s.d.g, s.d.constantW, 2, 2, 0, 0, 1);
    }

    /** The weight gradient, dW [C, O, 3, 3] from x and the output gradient (conv2dWeightGrad with the roles swapped). */
    @Benchmark public Tensor vectorWeightGrad(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.conv2dWeightGrad(s.d.g, s.d.x, 3, 3, 2, 2, 0, 0, 1);
    }

    @Benchmark public Tensor stacked(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return io.github.dragganjvm.tensor.internal.vector.VConv.convTranspose2dStacked(s.d.x, s.d.w, 2, 2, 0, 0);
    }

    @Benchmark public Tensor stackedInputGrad(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return io.github.dragganjvm.tensor.internal.vector.VConv.conv2dStacked(s.d.g, s.d.w, 2, 2, 0, 0);
    }

    @Benchmark public Tensor stackedWeightGrad(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return io.github.dragganjvm.tensor.internal.vector.VConv.conv2dWeightGradStacked(s.d.g, s.d.x, 3, 3, 2, 2, 0, 0);
    }

    @Benchmark public Tensor reference(Small s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.REFERENCE.convTranspose2d(s.d.x, s.d.w, 2, 2, 0, 0, 1);
    }
}
