package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FourierFeatures;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;

/**
 * {@link FourierFeatures} on many cores: the reference's own loops ({@link FourierFeatures#forwardRange},
 * {@link FourierFeatures#backwardRange}), channels split across threads. The sine stays {@link Math#sin} (float64): HotSpot gives it the same value interpreted and compiled,
 * so this kernel is bit-identical to the reference backend and deterministic; the Vector API's lanewise SIN is not
 * guaranteed to be (its intrinsic and its Java fallback may differ in the last bit), and sines are a few percent of
 * a StyleGAN3 forward. Each channel's backward sums run in one thread in the reference's order.
 */
public final class VFourier {
    private VFourier() {}

    /** True when every tensor is a host F32 or F64 tensor (anything else goes to the default). */
    public static boolean handles(Tensor... ts) {
        for (Tensor t : ts) if (!(t.storage() instanceof HostStorage) || (t.dtype() != DType.F32 && t.dtype() != DType.F64)) return false;
        return true;
    }

    public static Tensor forward(Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        int n = fx.size(0), c = fx.size(1), hw = size * size;
        double[] g = FourierFeatures.grid(size, samplingRate), ax = fx.toDoubleArray(), ay = fy.toDoubleArray(), ph = phase.toDoubleArray(), am = amp.toDoubleArray();
        double[] y = new double[n * c * hw];
        Parallel.forRange(n * c, 40L * hw, (from, to) -> FourierFeatures.forwardRange(from, to, size, g, ax, ay, ph, am, y));
        return Tensor.of(y, n, c, size, size).copyAs(fx.dtype());
    }

    public static Tensor[] backward(Tensor gout, Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        int n = fx.size(0), c = fx.size(1), hw = size * size;
        double[] g = FourierFeatures.grid(size, samplingRate), ax = fx.toDoubleArray(), ay = fy.toDoubleArray(), ph = phase.toDoubleArray(), am = amp.toDoubleArray();
        double[] go = gout.toDoubleArray();
        double[][] d = new double[4][n * c];
        Parallel.forRange(n * c, 80L * hw, (from, to) -> FourierFeatures.backwardRange(from, to, size, g, ax, ay, ph, am, go, d));
        return FourierFeatures.gradients(d, n, c, fx.dtype());
    }
}
