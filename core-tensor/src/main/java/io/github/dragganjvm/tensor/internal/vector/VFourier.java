package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FourierFeatures;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Parallel;
import io.github.dragganjvm.tensor.Tensor;

/**
 * {@link FourierFeatures} on many cores: the reference's loops, channels split across threads, writing straight into
 * the output. The sine stays {@link Math#sin} (float64): HotSpot gives it the same value interpreted and compiled,
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
        Tensor out = Tensor.zeros(fx.dtype(), n, c, size, size);
        float[] o32 = out.host().f32;
        double[] o64 = out.host().f64;
        Parallel.forRange(n * c, 40L * hw, (from, to) -> {
            for (int q = from; q < to; q++) {
                int base = q * hw;
                for (int i = 0; i < size; i++) {
                    double row = g[i] * ay[q] + ph[q];
                    for (int j = 0; j < size; j++) {
                        double v = Math.sin(2 * Math.PI * (g[j] * ax[q] + row)) * am[q];
                        if (o32 != null) o32[base + i * size + j] = (float) v; else o64[base + i * size + j] = v;
                    }
                }
            }
        });
        return out;
    }

    public static Tensor[] backward(Tensor gout, Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        int n = fx.size(0), c = fx.size(1), hw = size * size;
        double[] g = FourierFeatures.grid(size, samplingRate), ax = fx.toDoubleArray(), ay = fy.toDoubleArray(), ph = phase.toDoubleArray(), am = amp.toDoubleArray();
        double[] go = gout.toDoubleArray();
        double[] dfx = new double[n * c], dfy = new double[n * c], dph = new double[n * c], dam = new double[n * c];
        Parallel.forRange(n * c, 80L * hw, (from, to) -> {
            for (int q = from; q < to; q++) {
                double sx = 0, sy = 0, sp = 0, sa = 0;
                for (int i = 0; i < size; i++) {
                    double row = 0, rowArg = g[i] * ay[q] + ph[q];
                    for (int j = 0; j < size; j++) {
                        double u = 2 * Math.PI * (g[j] * ax[q] + rowArg), d = go[q * hw + i * size + j];
                        double du = d * am[q] * 2 * Math.PI * Math.cos(u);
                        sa += d * Math.sin(u);
                        row += du;
                        sx += du * g[j];
                    }
                    sp += row;
                    sy += row * g[i];
                }
                dfx[q] = sx;
                dfy[q] = sy;
                dph[q] = sp;
                dam[q] = sa;
            }
        });
        DType t = fx.dtype();
        return new Tensor[]{Tensor.of(dfx, n, c).copyAs(t), Tensor.of(dfy, n, c).copyAs(t), Tensor.of(dph, n, c).copyAs(t), Tensor.of(dam, n, c).copyAs(t)};
    }
}
