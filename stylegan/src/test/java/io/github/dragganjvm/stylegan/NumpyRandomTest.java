package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NumpyRandom against NumPy 1.24's legacy RandomState. The numbers below are what NumPy printed (repr, so every
 * digit of the double) for the commands in the comments, run with /usr/bin/python3 -c "import numpy as np; ...".
 */
class NumpyRandomTest {

    @ParameterizedTest
    @ValueSource(strings = {"compact-128", "tiny-random-256", "variant-128"})
    void goldenLatentsAreBitEqual(String model) {
        for (int seed = 0; seed < 2; seed++) {
            Tensor expected = Golden.npy(model, "seed" + seed + "_z");
            Tensor z = NumpyRandom.latent(seed, expected.size(1));
            assertEquals(DType.F32, z.dtype());
            assertArrayEquals(new int[] {1, 512}, z.shape());
            Golden.assertBitEqual(model + " seed" + seed + " z", expected, z);
        }
    }

    @Test
    void randnMatchesNumpyDoubles() {
        // np.random.RandomState(S).randn(5) for S = 42, 4294967295, 123456789
        double[][] expected = {
                {0.4967141530112327, -0.13826430117118466, 0.6476885381006925, 1.5230298564080254, -0.23415337472333597},
                {0.6484086742306527, 0.6693235306338161, -1.0805437227474493, 0.2845010447986309, 0.11388773652167104},
                {2.2129019979039612, 2.128397797652002, 1.8417114045748335, 0.08238247951406152, 0.858963679564603}};
        long[] seeds = {42, 4294967295L, 123456789};
        for (int s = 0; s < seeds.length; s++) {
            double[] got = new NumpyRandom(seeds[s]).randn(5).toDoubleArray();
            for (int i = 0; i < 5; i++) {
                assertEquals(Double.doubleToRawLongBits(expected[s][i]), Double.doubleToRawLongBits(got[i]),
                        "seed " + seeds[s] + " value " + i + ": numpy " + expected[s][i] + ", got " + got[i]);
            }
        }
    }

    @Test
    void rawDrawsAndUniformsMatchNumpy() {
        // list(np.random.RandomState(S).randint(0, 2**32, size=4, dtype=np.uint32)): the raw MT19937 outputs
        long[][] raw = {{1608637542L, 3421126067L, 4083286876L, 787846414L}, {419326371L, 479346978L, 3918654476L, 2416749639L}};
        // np.random.RandomState(S).random_sample(3)
        double[][] uni = {{0.3745401188473625, 0.9507143064099162, 0.7319939418114051}, {0.0976320289940138, 0.9123828453026218, 0.78903530185164}};
        long[] seeds = {42, 4294967295L};
        for (int s = 0; s < seeds.length; s++) {
            NumpyRandom r = new NumpyRandom(seeds[s]);
            for (long v : raw[s]) assertEquals(v, r.nextUInt32(), "seed " + seeds[s]);
            NumpyRandom u = new NumpyRandom(seeds[s]);
            for (double v : uni[s]) assertEquals(v, u.nextDouble(), 0.0, "seed " + seeds[s]);
        }
    }

    @Test
    void cachedSecondGaussianSurvivesOtherDraws() {
        // rs = np.random.RandomState(7); rs.randn(3); rs.random_sample(); rs.randn(2)
        NumpyRandom r = new NumpyRandom(7);
        double[] a = r.randn(3).toDoubleArray();
        double u = r.nextDouble();
        double[] b = r.randn(2).toDoubleArray();
        assertArrayEquals(new double[] {1.690525703800356, -0.4659373705408328, 0.0328201636785844}, a, 0.0);
        assertEquals(0.5011204636599379, u, 0.0);
        assertArrayEquals(new double[] {0.40751628299650783, -0.1569886595634109}, b, 0.0);
        // randn(2, 3) is row-major: np.random.RandomState(7).randn(2, 3)[1, 0] == 0.40751628...
        assertEquals(0.40751628299650783, new NumpyRandom(7).randn(2, 3).get(1, 0), 0.0);
    }

    @Test
    void seedsOutsideNumpysRangeAreRefused() {
        for (long bad : new long[] {-1, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NumpyRandom(bad));
            assertTrue(e.getMessage().contains("[0, 4294967295]") && e.getMessage().contains(Long.toString(bad)), e.getMessage());
        }
        assertDoesNotThrow(() -> new NumpyRandom(0));
        assertDoesNotThrow(() -> new NumpyRandom(4294967295L));
        assertThrows(IllegalArgumentException.class, () -> NumpyRandom.latent(0, 0));
    }
}
