package io.github.dragganjvm.tensor;

import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FourierFeatures} (StyleGAN3's input sinusoids): the forward against a direct evaluation of its formula; the
 * two CPU backends bit-equal in F32 and F64 (strided inputs too); the backward against central differences of the
 * forward in float64 along random directions; argument errors name the op and the argument.
 */
class FourierFeaturesTest {
    private final ReferenceBackend ref = new ReferenceBackend();
    private final VectorBackend vec = new VectorBackend();

    /** fx, fy, phase, amp [n, c] with StyleGAN3-like ranges (frequencies up to ~ the sampling rate / 2). */
    private static Tensor[] inputs(long seed, int n, int c, DType t) {
        Random r = new Random(seed);
        Tensor[] a = new Tensor[4];
        for (int k = 0; k < 4; k++) {
            double[] v = new double[n * c];
            for (int i = 0; i < v.length; i++) v[i] = k < 2 ? 8 * r.nextGaussian() : k == 2 ? r.nextDouble() - 0.5 : r.nextDouble();
            a[k] = Tensor.of(v, n, c).copyAs(t);
        }
        return a;
    }

    @Test void forwardIsItsFormula() {
        int size = 6;
        double rate = 16;
        Tensor[] in = inputs(1, 2, 3, DType.F64);
        Tensor y = vec.fourierFeatures(in[0], in[1], in[2], in[3], size, rate);
        assertArrayEquals(new int[]{2, 3, size, size}, y.shape());
        double worst = 0;
        for (int n = 0; n < 2; n++) for (int k = 0; k < 3; k++) for (int i = 0; i < size; i++) for (int j = 0; j < size; j++) {
            double gj = size / 2.0 / rate * ((2.0 * j + 1) / size - 1), gi = size / 2.0 / rate * ((2.0 * i + 1) / size - 1);
            double expected = Math.sin(2 * Math.PI * (gj * in[0].get(n, k) + gi * in[1].get(n, k) + in[2].get(n, k))) * in[3].get(n, k);
            worst = Math.max(worst, Math.abs(expected - y.get(n, k, i, j)));
        }
        System.out.println("fourierFeatures vs its formula: worst |diff| " + worst);
        assertTrue(worst < 1e-12, "worst " + worst);
    }

    @Test void backendsAgreeBitForBit() {
        for (DType t : new DType[]{DType.F32, DType.F64}) {
            Tensor[] in = inputs(2, 2, 17, t);
            Tensor fxT = Tensor.of(in[0].toDoubleArray(), 2, 17).copyAs(t);
            Tensor strided = Ops.cat(1, fxT, fxT).sliceView(1, 0, 17);                   // a view with row stride 34
            Tensor a = ref.fourierFeatures(in[0], in[1], in[2], in[3], 36, 20), b = vec.fourierFeatures(strided, in[1], in[2], in[3], 36, 20);
            assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), 0, t + " forward");
            Tensor g = Tensor.randn(t, 5, 2, 17, 36, 36);
            Tensor[] ga = ref.fourierFeaturesBackward(g, in[0], in[1], in[2], in[3], 36, 20), gb = vec.fourierFeaturesBackward(g, strided, in[1], in[2], in[3], 36, 20);
            for (int k = 0; k < 4; k++) assertArrayEquals(ga[k].toDoubleArray(), gb[k].toDoubleArray(), 0, t + " backward " + k);
        }
    }

    @Test void backwardMatchesCentralDifferences() {
        int size = 9;
        double rate = 12, eps = 1e-6;
        Tensor[] in = inputs(3, 2, 4, DType.F64);
        Tensor g = Tensor.randn(DType.F64, 6, 2, 4, size, size);
        Tensor[] grads = vec.fourierFeaturesBackward(g, in[0], in[1], in[2], in[3], size, rate);
        Random r = new Random(4);
        for (int k = 0; k < 4; k++) {
            double[] dir = new double[8];
            for (int i = 0; i < dir.length; i++) dir[i] = r.nextGaussian();
            Tensor d = Tensor.of(dir, 2, 4);
            Tensor[] plus = in.clone(), minus = in.clone();
            plus[k] = Ops.add(in[k], Ops.scale(d, eps));
            minus[k] = Ops.sub(in[k], Ops.scale(d, eps));
            double numeric = (dot(g, ref.fourierFeatures(plus[0], plus[1], plus[2], plus[3], size, rate))
                    - dot(g, ref.fourierFeatures(minus[0], minus[1], minus[2], minus[3], size, rate))) / (2 * eps);
            double analytic = dot(grads[k], d);
            double rel = Math.abs(numeric - analytic) / Math.max(1e-12, Math.abs(numeric));
            System.out.printf("fourierFeatures d/d%s: analytic %.10f numeric %.10f rel %.2e%n", new String[]{"fx", "fy", "phase", "amp"}[k], analytic, numeric, rel);
            assertTrue(rel < 1e-6, "argument " + k + ": rel " + rel);
        }
    }

    private static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    @Test void badArgumentsAreNamed() {
        Tensor[] in = inputs(5, 1, 3, DType.F32);
        var e = assertThrows(IllegalArgumentException.class, () -> Ops.fourierFeatures(in[0], Tensor.zeros(1, 4), in[2], in[3], 8, 16));
        assertTrue(e.getMessage().startsWith("fourierFeatures") && e.getMessage().contains("fy"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ops.fourierFeatures(in[0], in[1], in[2], in[3], 0, 16));
        assertTrue(e.getMessage().contains("size must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ops.fourierFeatures(in[0], in[1], in[2], in[3], 8, Double.NaN));
        assertTrue(e.getMessage().contains("samplingRate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ops.fourierFeaturesBackward(Tensor.zeros(1, 3, 8, 7), in[0], in[1], in[2], in[3], 8, 16));
        assertTrue(e.getMessage().contains("gout"), e.getMessage());
        assertEquals(Arrays.toString(new int[]{1, 3, 8, 8}), Arrays.toString(Ops.fourierFeatures(in[0], in[1], in[2], in[3], 8, 16).shape()));
    }
}
