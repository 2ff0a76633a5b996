package io.github.dragganjvm.tensor.internal.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Deterministic float exp, log and log1p for vectors, built only from IEEE operations that are exactly rounded
 * (add, sub, mul, div, fused multiply-add, min/max, compares, integer bit operations and exact conversions), so
 * the interpreter's fallback and the JIT's intrinsics give the same bits. The Vector API's own
 * {@code VectorOperators.EXP/LOG/LOG1P} do not promise that: compiled they call a vector math library, interpreted
 * they loop over {@code Math}, and the two can differ in the last bit, which made runs with one seed differ
 * depending on when the JIT compiled the loop.
 *
 * <p>Accuracy against {@code (float) StrictMath.f((double) x)} (VMathTest: every 1021st float bit pattern and dense ranges):
 * exp within 1 ulp (subnormal results: within 1 unit of the smallest subnormal), log within 1 ulp, log1p within
 * 2 ulp. Special values as {@code Math}: exp(-inf) = 0, exp(+inf) = +inf, exp overflows to +inf above
 * ln(Float.MAX_VALUE); log(0) = -inf, log(x &lt; 0) = NaN, log(+inf) = +inf, log1p(-1) = -inf; NaN gives NaN.
 */
public final class VMath {
    private VMath() {}

    // exp: x = n ln2 + r, |r| <= ln2 / 2 (Cody-Waite with FMA), exp(r) = 1 + r + r^2 P(r) (Cephes expf
    // coefficients), times 2^n applied in two halves so that subnormal results are rounded once.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f;        // 0x3f317200: 16 significant bits
    private static final float LN2_LO = 1.428606765330187e-06f;    // ln 2 - LN2_HI
    private static final float ROUND_MAGIC = 12582912f;            // 1.5 * 2^23: x + M - M rounds x to an integer
    private static final float EXP_LO = -104f, EXP_HI = 89f;       // exp(-104) rounds to 0, exp(89) overflows
    private static final float E5 = 1.9875691500e-4f, E4 = 1.3981999507e-3f, E3 = 8.3334519073e-3f,
            E2 = 4.1665795894e-2f, E1 = 1.6666665459e-1f, E0 = 5.0000001201e-1f;

    // log: x = 2^k m, m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)),
    // s = f / (2 + f) (FreeBSD logf's reduction and coefficients), plus k ln2 in two parts.
    private static final float LN2_HI_LOG = 6.9313812256e-01f;     // 0x3f317180
    private static final float LN2_LO_LOG = 9.0580006145e-06f;     // 0x3717f7d1
    private static final float LG1 = 0.66666662693f, LG2 = 0.40000972152f, LG3 = 0.28498786688f, LG4 = 0.24279078841f;
    private static final float SQRT2 = 1.41421356f;
    private static final float TWO23 = 8388608f;                   // subnormal inputs are scaled by 2^23 first

    /** a * b + c per lane, rounded once. */
    private static FloatVector fma(FloatVector a, float b, FloatVector c) { return a.fma(FloatVector.broadcast(a.species(), b), c); }

    /** e^x per lane. */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);                                   // NaN stays NaN
        FloatVector n = xc.mul(LOG2E).add(ROUND_MAGIC).sub(ROUND_MAGIC);
        FloatVector r = fma(n.neg(), LN2_HI, xc);
        r = fma(n.neg(), LN2_LO, r);
        FloatVector r2 = r.mul(r);
        FloatVector p = r.fma(E5, E4);
        p = p.fma(r, FloatVector.broadcast(x.species(), E3));
        p = p.fma(r, FloatVector.broadcast(x.species(), E2));
        p = p.fma(r, FloatVector.broadcast(x.species(), E1));
        p = p.fma(r, FloatVector.broadcast(x.species(), E0));
        FloatVector y = p.fma(r2, r).add(1f);
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);                 // NaN -> 0, harmless
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2);
    }

    /** Natural logarithm per lane. */
    public static FloatVector log(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(TWO23), tiny);
        IntVector bits = xs.reinterpretAsInts();
        IntVector k = bits.lanewise(VectorOperators.LSHR, 23).and(0xff).sub(127);
        k = k.blend(k.sub(23), tiny.cast(k.species()));
        FloatVector m = bits.and(0x7fffff).or(0x3f800000).reinterpretAsFloats();       // [1, 2)
        VectorMask<Float> big = m.compare(VectorOperators.GE, SQRT2);
        m = m.blend(m.mul(0.5f), big);
        k = k.blend(k.add(1), big.cast(k.species()));
        FloatVector f = m.sub(1f);
        FloatVector kf = (FloatVector) k.convert(VectorOperators.I2F, 0);
        FloatVector s = f.div(f.add(2f));
        FloatVector z = s.mul(s), w = z.mul(z);
        FloatVector t1 = w.fma(LG4, LG2).mul(w);
        FloatVector t2 = w.fma(LG3, LG1).mul(z);
        FloatVector rr = t2.add(t1);
        FloatVector hfsq = f.mul(f).mul(0.5f);
        // k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f)
        FloatVector inner = s.fma(hfsq.add(rr), kf.mul(LN2_LO_LOG));
        FloatVector y = fma(kf, LN2_HI_LOG, hfsq.sub(inner).sub(f).neg());
        y = y.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        y = y.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
        return y.blend(x, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
    }

    /**
     * log(1 + x) per lane, accurate for small x: with u = 1 + x rounded, log(u) * x / (u - 1) (u - 1 is exact and
     * the quotient corrects the rounding of u), and x itself where u == 1.
     */
    public static FloatVector log1p(FloatVector x) {
        FloatVector u = x.add(1f);
        FloatVector d = u.sub(1f);
        FloatVector y = log(u).mul(x.div(d));
        y = y.blend(x, d.compare(VectorOperators.EQ, 0f));
        y = y.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, -1f));
        return y.blend(x, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
    }

    /** {@link #exp} of one float (the same arithmetic in one lane). */
    public static float exp(float x) { return exp(FloatVector.broadcast(FloatVector.SPECIES_64, x)).lane(0); }

    /** {@link #log} of one float. */
    public static float log(float x) { return log(FloatVector.broadcast(FloatVector.SPECIES_64, x)).lane(0); }

    /** {@link #log1p} of one float. */
    public static float log1p(float x) { return log1p(FloatVector.broadcast(FloatVector.SPECIES_64, x)).lane(0); }
}
