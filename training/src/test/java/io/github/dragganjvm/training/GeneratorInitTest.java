package io.github.dragganjvm.training;

import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** NVlabs' initialisation: exact constants where NVlabs sets constants, N(0, 1) (mapping: / lr) elsewhere, seeded. */
class GeneratorInitTest {
    /** 64 px, channels 64 / 64 / 64 / 32 / 16, w_dim 128, 4 mapping layers. */
    private static final GeneratorConfig CFG = new GeneratorConfig(512, 128, 0, 64, 3, 4, 0.01, 1024, 64, null, 0, "skip");

    @Test
    void constantsAndDistributionsAreNvlabs() {
        Map<String, Tensor> p = GeneratorInit.nvlabs(CFG, 3, DType.F32);
        assertEquals(CFG.requiredShapes().keySet(), p.keySet());
        for (Map.Entry<String, Tensor> e : p.entrySet()) {
            String n = e.getKey();
            Tensor t = e.getValue();
            assertArrayEquals(CFG.requiredShapes().get(n), t.shape(), n);
            assertEquals(DType.F32, t.dtype(), n);
            double[] v = t.toDoubleArray();
            if (n.endsWith(".affine.bias")) assertAll(n, () -> assertTrue(Arrays.stream(v).allMatch(x -> x == 1)));
            else if (n.endsWith(".bias") || n.endsWith(".noise_strength") || n.equals("mapping.w_avg")) {
                assertTrue(Arrays.stream(v).allMatch(x -> x == 0), n + " is 0");
            } else {
                double sd = n.startsWith("mapping.fc") ? 1 / CFG.mappingLrMultiplier() : 1;
                double mean = Arrays.stream(v).average().orElseThrow();
                double std = Math.sqrt(Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (v.length - 1));
                double se = sd / Math.sqrt(v.length);
                System.out.printf("%s: n %d mean %.4g std %.4g (expected 0, %.4g)%n", n, v.length, mean, std, sd);
                assertTrue(Math.abs(mean) < 5 * se + 1e-12, n + " mean " + mean);
                // the sample std of n normals has a standard error of about sd / sqrt(2n)
                assertTrue(Math.abs(std - sd) < 5 * sd / Math.sqrt(2.0 * v.length), n + " std " + std + " expected " + sd);
            }
        }
    }

    @Test
    void seededAndIndependentPerTensor() {
        Map<String, Tensor> a = GeneratorInit.nvlabs(CFG, 3, DType.F32), b = GeneratorInit.nvlabs(CFG, 3, DType.F32), c = GeneratorInit.nvlabs(CFG, 4, DType.F32);
        for (String n : a.keySet()) assertArrayEquals(a.get(n).toFloatArray(), b.get(n).toFloatArray(), n + " same seed");
        String w = "synthesis.b8.conv1.weight";
        assertFalse(Arrays.equals(a.get(w).toFloatArray(), c.get(w).toFloatArray()), "another seed");
        assertFalse(Arrays.equals(a.get(w).toFloatArray(), a.get("synthesis.b16.conv0.weight").toFloatArray()), "two tensors of one shape differ");
        // F64 draws the same normals (rounded to float for F32)
        Map<String, Tensor> d = GeneratorInit.nvlabs(CFG, 3, DType.F64);
        assertArrayEquals(a.get(w).toFloatArray(), d.get(w).toFloatArray(), w + " F64 rounded");
    }
}
