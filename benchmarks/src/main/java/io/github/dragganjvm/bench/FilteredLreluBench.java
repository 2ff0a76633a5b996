package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Backend;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FilteredLreluComposed;
import io.github.dragganjvm.tensor.FilteredLreluParams;
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
 * StyleGAN3's filtered leaky ReLU at a StyleGAN3 layer's size, F32 on the default CPU backend: x [1, 256, 36, 36],
 * up 2, down 2, 12-tap filters, padding 10/11 (the up-sampled image 82x82, output 36x36), gain sqrt(2), slope 0.2,
 * clamp 256.
 * <ul>
 *   <li>{@code impl}: {@code fused} (the backend's kernel) or {@code composed} ({@link FilteredLreluComposed}: the
 *       backend's biasAct and upfirdn2d passes, every intermediate materialised);</li>
 *   <li>{@code down}: {@code separable} (config T: 1-D fd) or {@code radial} (config R: 12x12 non-separable fd);</li>
 *   <li>{@code forward} and {@code backward} (dx from a random dL/dy).</li>
 * </ul>
 * Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar FilteredLreluBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class FilteredLreluBench {
    @Param({"fused", "composed"})
    public String impl;

    @Param({"separable", "radial"})
    public String down;

    @Param({"256"})
    public int channels;

    private Tensor x, b, fu, fd, gy;
    private FilteredLreluParams p;
    private Backend be;

    @Setup public void setup() {
        be = Backends.cpu();
        x = Tensor.randn(DType.F32, 1, 1, channels, 36, 36);
        b = Tensor.randn(DType.F32, 2, channels);
        fu = lowpass(12, 0.25);
        fd = down.equals("radial") ? outer(lowpass(12, 0.25)) : lowpass(12, 0.25);
        p = new FilteredLreluParams(2, 2, 10, 11, 10, 11, Math.sqrt(2), 0.2, 256, false);
        gy = Tensor.randn(DType.F32, 3, 1, channels, p.outHeight(36, fu, fd), p.outWidth(36, fu, fd));
    }

    @Benchmark public Tensor forward() {
        return impl.equals("fused") ? be.filteredLrelu(x, b, fu, fd, p) : FilteredLreluComposed.forward(be, x, b, fu, fd, p);
    }

    @Benchmark public Tensor backward() {
        return impl.equals("fused") ? be.filteredLreluBackward(gy, x, b, fu, fd, p) : FilteredLreluComposed.backward(be, gy, x, b, fu, fd, p);
    }

    /** A Kaiser-windowed sinc low-pass of unit DC gain (cutoff in cycles per sample). */
    static Tensor lowpass(int taps, double cutoff) {
        double[] h = new double[taps];
        double s = 0;
        for (int i = 0; i < taps; i++) {
            double t = i - (taps - 1) / 2.0, a = 2 * cutoff * t;
            double sinc = a == 0 ? 1 : Math.sin(Math.PI * a) / (Math.PI * a);
            double r = 2.0 * i / (taps - 1) - 1, beta = 5;
            h[i] = sinc * bessel0(beta * Math.sqrt(1 - r * r)) / bessel0(beta);
            s += h[i];
        }
        float[] f = new float[taps];
        for (int i = 0; i < taps; i++) f[i] = (float) (h[i] / s);
        return Tensor.of(f, taps);
    }

    /** The 2-D filter outer(f, f) (non-separable as far as the kernels know). */
    static Tensor outer(Tensor f) {
        int n = f.size(0);
        float[] o = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) o[i * n + j] = (float) (f.get(i) * f.get(j));
        return Tensor.of(o, n, n);
    }

    private static double bessel0(double x) {
        double sum = 1, term = 1;
        for (int k = 1; k < 30; k++) {
            term *= (x / (2 * k)) * (x / (2 * k));
            sum += term;
        }
        return sum;
    }
}
