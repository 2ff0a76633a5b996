package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Any resolution from 32 to 1024 px loads with nothing but the file: seeded random generators with tiny channels
 * (channel base 4096, max 16, so 1024 px has 4 channels and the test stays fast), square and StyleGAN-Human's
 * half-width layout, written as NVlabs network pickles and as our safetensors; both load to the config they were
 * written from (resolution, channels, aspect inferred), bit-identical weights, and the generate path gives an image
 * of the right shape with finite values (the same from both files, whose configs and weights are equal).
 */
class AnyResolutionTest {
    @TempDir Path dir;

    @ParameterizedTest(name = "{0} px {1}")
    @CsvSource({"32, SQUARE", "32, HALF_WIDTH", "1024, SQUARE"})
    void loadsAndGenerates(int res, GeneratorConfig.Aspect aspect) throws Exception {
        GeneratorConfig c = new GeneratorConfig(16, 16, 0, res, 3, 2, 0.01, 4096, 16, null, 0, "skip", aspect);
        Map<String, Tensor> params = MiniCheckpoints.randomParams(c, res);
        Path pkl = dir.resolve("random-" + res + ".pkl"), st = dir.resolve("random-" + res + ".safetensors");
        Files.write(pkl, MiniCheckpoints.nvlabsPkl(c, params, new MiniCheckpoints.Nv()));
        Checkpoints.saveSafetensors(st, c, params, Map.of(), Map.of());

        Checkpoint a = Checkpoints.load(pkl), b = Checkpoints.load(st);
        assertEquals(c, a.config(), "NVlabs pickle: config read back");
        assertEquals(c, b.config(), "safetensors: config read back");
        for (var e : c.requiredShapes().entrySet()) {
            Golden.assertBitEqual(e.getKey() + " (pickle)", params.get(e.getKey()), a.params().get(e.getKey()));
            Golden.assertBitEqual(e.getKey() + " (safetensors)", params.get(e.getKey()), b.params().get(e.getKey()));
        }
        Generator g = new Generator(a.config(), a.params());
        int log2 = Integer.numberOfTrailingZeros(res);
        assertEquals(2 * log2 - 2, g.numWs(), "num_ws at " + res + " px");
        assertEquals(log2 - 1, g.blockResolutions().length);
        assertEquals(res, g.resolution());
        assertEquals(aspect.width(res), g.imageWidth());

        Tensor img = g.generate(0, 0.7, NoiseMode.CONST);
        assertArrayEquals(new int[] {1, 3, res, res}, img.shape(), "image (padded to square when half-width)");
        for (float v : img.toFloatArray()) assertTrue(Float.isFinite(v), "finite image values");
    }
}
