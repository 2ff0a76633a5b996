package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Tensor;

/**
 * NumPy's legacy {@code np.random.RandomState(seed)} for an integer seed, bit for bit: the Mersenne Twister
 * MT19937, seeded the way NumPy's legacy seeding does ({@code init_genrand}), doubles made from two 32-bit draws,
 * and the legacy polar Box-Muller normal with its cached second value.
 *
 * <p>The reference DragGAN draws its latent with {@code np.random.RandomState(seed).randn(1, 512)}; {@link #latent}
 * gives the same z (as float32, the way the reference converts it). Not thread-safe: one instance per stream.
 */
public final class NumpyRandom {
    private static final int N = 624, M = 397;
    private static final int MATRIX_A = 0x9908b0df, UPPER_MASK = 0x80000000, LOWER_MASK = 0x7fffffff;

    private final int[] mt = new int[N];
    private int pos;
    private boolean hasGauss;
    private double gauss;

    /**
     * Same stream as {@code np.random.RandomState(seed)}.
     *
     * @param seed in [0, 2^32 - 1], as NumPy requires
     */
    public NumpyRandom(long seed) {
        if (seed < 0 || seed > 0xffffffffL) {
            throw new IllegalArgumentException("NumpyRandom: seed must be in [0, 4294967295] (NumPy's legacy seeding), got " + seed);
        }
        // mt19937_seed / init_genrand: key[0] = seed, key[i] = 1812433253 * (key[i-1] ^ (key[i-1] >>> 30)) + i (mod 2^32)
        int s = (int) seed;
        for (int i = 0; i < N; i++) {
            mt[i] = s;
            s = 1812433253 * (s ^ (s >>> 30)) + i + 1;
        }
        pos = N;
    }

    /** The next raw 32-bit output (NumPy's {@code random_integers} building block), as an unsigned value. */
    public long nextUInt32() {
        if (pos == N) twist();
        int y = mt[pos++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    /** Regenerates the 624-word state block (MT19937 "genrand" step). */
    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (mt[i] & UPPER_MASK) | (mt[(i + 1) % N] & LOWER_MASK);
            mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        pos = 0;
    }

    /** A double in [0, 1) with 53 random bits: {@code (a >> 5) * 2^26 + (b >> 6)) / 2^53}, as {@code random_sample}. */
    public double nextDouble() {
        long a = nextUInt32() >>> 5, b = nextUInt32() >>> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /**
     * A standard normal, NumPy's {@code legacy_gauss}: the polar Box-Muller method; each accepted pair yields two
     * values, the second cached for the next call.
     */
    public double nextGaussian() {
        if (hasGauss) {
            hasGauss = false;
            double g = gauss;
            gauss = 0;
            return g;
        }
        double x1, x2, r2;
        do {
            x1 = 2.0 * nextDouble() - 1.0;
            x2 = 2.0 * nextDouble() - 1.0;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        double f = Math.sqrt(-2.0 * Math.log(r2) / r2);
        gauss = f * x1;
        hasGauss = true;
        return f * x2;
    }

    /** {@code randn(*shape)}: standard normals in row-major order, as an F64 tensor (NumPy's exact doubles). */
    public Tensor randn(int... shape) {
        Tensor t = Tensor.zeros(DType.F64, shape);
        HostStorage h = t.host();
        for (int i = 0; i < t.numel(); i++) h.f64[i] = nextGaussian();
        return t;
    }

    /**
     * The reference's latent for a seed: {@code torch.from_numpy(np.random.RandomState(seed).randn(1, zDim))} cast
     * to float32, shape [1, zDim].
     */
    public static Tensor latent(long seed, int zDim) {
        if (zDim <= 0) throw new IllegalArgumentException("NumpyRandom.latent: zDim must be positive, got " + zDim);
        return new NumpyRandom(seed).randn(1, zDim).copyAs(DType.F32);
    }
}
