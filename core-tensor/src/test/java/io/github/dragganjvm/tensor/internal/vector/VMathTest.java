package io.github.dragganjvm.tensor.internal.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * VMath against {@code (float) StrictMath.f((double) x)}: a sweep over every 1021st float bit pattern (both signs,
 * subnormals, infinities, NaNs: ~4.2 million inputs), dense sweeps where the functions are most delicate, and the
 * special values named one by one. Error in ulps of the expected float ({@code Math.ulp}, so a subnormal result is
 * measured in units of the smallest subnormal).
 */
class VMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static float[] apply(UnaryOperator<FloatVector> f, float[] x) {
        float[] y = new float[x.length];
        int i = 0;
        for (; i <= x.length - S.length(); i += S.length()) f.apply(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        float[] tail = new float[S.length()];
        System.arraycopy(x, i, tail, 0, x.length - i);
        float[] ty = new float[S.length()];
        f.apply(FloatVector.fromArray(S, tail, 0)).intoArray(ty, 0);
        System.arraycopy(ty, 0, y, i, x.length - i);
        return y;
    }

    private static double ulps(float expected, float actual) {
        if (Float.isNaN(expected) || Float.isNaN(actual)) return Float.isNaN(expected) && Float.isNaN(actual) ? 0 : Double.POSITIVE_INFINITY;
        if (expected == actual) return 0;
        if (Float.isInfinite(expected) || Float.isInfinite(actual)) return Double.POSITIVE_INFINITY;
        return Math.abs((double) actual - expected) / Math.ulp(expected);
    }

    /** Max ulp error of f over xs, with the worst input, against the strict double function rounded to float. */
    private static double check(String what, UnaryOperator<FloatVector> f, DoubleUnaryOperator strict, float[] xs, double maxUlps) {
        float[] y = apply(f, xs);
        double worst = 0;
        int wi = 0;
        for (int i = 0; i < xs.length; i++) {
            double e = ulps((float) strict.applyAsDouble(xs[i]), y[i]);
            if (e > worst) { worst = e; wi = i; }
        }
        float x = xs[wi];
        String msg = String.format("%s: %d inputs, max error %.3f ulp at x = %s (%08x): expected %s, got %s (tolerance %.1f)", what, xs.length,
                worst, x, Float.floatToRawIntBits(x), (float) strict.applyAsDouble(x), y[wi], maxUlps);
        System.out.println(msg);
        assertTrue(worst <= maxUlps, msg);
        return worst;
    }

    private static float[] bitSweep(int step) {
        int n = (int) ((1L << 32) / step) + 1;
        float[] xs = new float[n];
        long b = 0;
        for (int i = 0; i < n; i++, b += step) xs[i] = Float.intBitsToFloat((int) b);
        return xs;
    }

    private static float[] linear(float lo, float hi, int n) {
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) xs[i] = lo + (hi - lo) * i / (n - 1);
        return xs;
    }

    @Test void expOverEveryRange() {
        check("exp bit sweep", VMath::exp, StrictMath::exp, bitSweep(1021), 1);
        check("exp [-104, 89]", VMath::exp, StrictMath::exp, linear(-104, 89, 1 << 21), 1);
        check("exp [-1, 1]", VMath::exp, StrictMath::exp, linear(-1, 1, 1 << 20), 1);
        check("exp near overflow", VMath::exp, StrictMath::exp, linear(88.6f, 88.8f, 1 << 16), 1);
        check("exp into subnormals", VMath::exp, StrictMath::exp, linear(-104f, -87f, 1 << 18), 1);
    }

    @Test void logOverEveryRange() {
        check("log bit sweep", VMath::log, StrictMath::log, bitSweep(1021), 1);
        check("log near 1", VMath::log, StrictMath::log, linear(0.99f, 1.01f, 1 << 20), 1);
        check("log [1e-3, 1e3]", VMath::log, StrictMath::log, linear(1e-3f, 1e3f, 1 << 20), 1);
        float[] sub = new float[1 << 16];
        for (int i = 0; i < sub.length; i++) sub[i] = Float.intBitsToFloat(1 + i * 127);   // subnormal inputs
        check("log subnormals", VMath::log, StrictMath::log, sub, 1);
    }

    @Test void log1pOverEveryRange() {
        check("log1p bit sweep", VMath::log1p, StrictMath::log1p, bitSweep(1021), 2);
        check("log1p [-0.999, 1]", VMath::log1p, StrictMath::log1p, linear(-0.999f, 1, 1 << 20), 2);
        check("log1p [0, 5e8]", VMath::log1p, StrictMath::log1p, linear(0, 5e8f, 1 << 18), 2);   // softplus's range
        check("log1p tiny", VMath::log1p, StrictMath::log1p, linear(-1e-6f, 1e-6f, 1 << 16), 2);
    }

    @Test void specialValues() {
        float inf = Float.POSITIVE_INFINITY;
        assertEquals(0f, VMath.exp(-inf));
        assertEquals(inf, VMath.exp(inf));
        assertTrue(Float.isNaN(VMath.exp(Float.NaN)));
        assertEquals(1f, VMath.exp(0f));
        assertEquals(1f, VMath.exp(-0f));
        assertEquals(1f, VMath.exp(Float.MIN_VALUE));
        assertEquals(inf, VMath.exp(88.72284f));                  // just above ln(Float.MAX_VALUE)
        assertEquals((float) StrictMath.exp(88.72283f), VMath.exp(88.72283f));
        assertEquals(0f, VMath.exp(-104f));
        assertEquals(Float.MIN_VALUE, VMath.exp(-103.5f));         // rounds to the smallest subnormal
        assertEquals(-inf, VMath.log(0f));
        assertEquals(-inf, VMath.log(-0f));
        assertTrue(Float.isNaN(VMath.log(-1f)));
        assertTrue(Float.isNaN(VMath.log(-Float.MIN_VALUE)));
        assertTrue(Float.isNaN(VMath.log(-inf)));
        assertTrue(Float.isNaN(VMath.log(Float.NaN)));
        assertEquals(inf, VMath.log(inf));
        assertEquals(0f, VMath.log(1f));
        assertEquals((float) StrictMath.log(Float.MIN_VALUE), VMath.log(Float.MIN_VALUE));
        assertEquals((float) StrictMath.log(Float.MAX_VALUE), VMath.log(Float.MAX_VALUE));
        assertEquals(-inf, VMath.log1p(-1f));
        assertTrue(Float.isNaN(VMath.log1p(-2f)));
        assertEquals(inf, VMath.log1p(inf));
        assertEquals(-0f, VMath.log1p(-0f));
        assertEquals(1e-30f, VMath.log1p(1e-30f));
    }

    /**
     * The same inputs give the same bits on the first call (interpreted) and after enough calls for the JIT to
     * compile the loop: the property the Vector API's EXP/LOG lack.
     */
    @Test void sameBitsBeforeAndAfterCompilation() {
        float[] xs = linear(-30, 30, 1024);
        float[] pos = linear(1e-6f, 100, 1024);
        float[] e0 = apply(VMath::exp, xs), l0 = apply(VMath::log, pos), p0 = apply(VMath::log1p, pos);
        for (int i = 0; i < 2000; i++) {
            apply(VMath::exp, xs);
            apply(VMath::log, pos);
            apply(VMath::log1p, pos);
        }
        assertTrue(java.util.Arrays.equals(e0, apply(VMath::exp, xs)), "exp changed after warm-up");
        assertTrue(java.util.Arrays.equals(l0, apply(VMath::log, pos)), "log changed after warm-up");
        assertTrue(java.util.Arrays.equals(p0, apply(VMath::log1p, pos)), "log1p changed after warm-up");
    }
}
