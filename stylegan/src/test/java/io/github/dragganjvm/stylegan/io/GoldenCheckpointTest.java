package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.NumpyRandom;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The golden NVlabs pickles and rosinality .pt load with the hyper-parameters and weights of G_ema. */
class GoldenCheckpointTest {
    static Path pkl(String model) { return Golden.dir(model).resolve("model.pkl"); }

    static Path rosinality() { return Golden.dir("tiny-random-256").resolve("model-rosinality.pt"); }

    /** A number from the golden manifest's "model" section (written by the reference script, not by us). */
    static int manifestInt(String model, String key) throws IOException {
        String json = Files.readString(Golden.dir(model).resolve("manifest.json"));
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(\\d+)").matcher(json.substring(json.indexOf("\"model\"")));
        assertTrue(m.find(), key + " in manifest");
        return Integer.parseInt(m.group(1));
    }

    @Test
    void tinyRandom256HyperParametersComeFromTheFile() throws Exception {
        Checkpoint c = Checkpoints.loadUncached(pkl("tiny-random-256"));
        GeneratorConfig g = c.config();
        System.out.println(g + " " + c.params().size() + " tensors, notes " + c.notes());
        assertEquals(Checkpoint.Format.NVLABS_PICKLE, c.format());
        assertEquals(manifestInt("tiny-random-256", "img_resolution"), g.imgResolution());
        assertEquals(manifestInt("tiny-random-256", "cbase"), g.channelBase());
        assertEquals(manifestInt("tiny-random-256", "num_ws"), g.numWs());
        assertEquals(512, g.zDim());
        assertEquals(512, g.wDim());
        assertEquals(0, g.cDim());
        assertEquals(3, g.imgChannels());
        assertEquals(8, g.mappingLayers());
        assertEquals(0.01, g.mappingLrMultiplier());
        assertEquals(512, g.channelMax());
        assertNull(g.convClamp());
        assertEquals(0, g.numFp16Res());
        assertEquals("skip", g.architecture());
        assertTrue(c.notes().isEmpty(), "a complete NVlabs pickle needs no inference: " + c.notes());
        assertFalse(c.fromCache());
        // every tensor of the golden feature maps' widths: block r has min(1024 / r, 512) channels
        assertEquals(Golden.npy("tiny-random-256", "seed0_feat2").size(1), g.channels(16));
        assertArrayEquals(new int[] {256, 256, 3, 3}, c.param("synthesis.b4.conv1.weight").shape());
        assertArrayEquals(new int[] {}, c.param("synthesis.b64.conv0.noise_strength").shape());
    }

    @Test
    void variant128HyperParametersComeFromTheFile() throws Exception {
        Checkpoint c = Checkpoints.loadUncached(pkl("variant-128"));
        GeneratorConfig g = c.config();
        System.out.println(g);
        assertEquals(manifestInt("variant-128", "img_resolution"), g.imgResolution());
        assertEquals(manifestInt("variant-128", "num_layers"), g.mappingLayers());
        assertEquals(manifestInt("variant-128", "channel_base"), g.channelBase());
        assertEquals(manifestInt("variant-128", "channel_max"), g.channelMax());
        assertEquals(manifestInt("variant-128", "num_fp16_res"), g.numFp16Res());
        assertEquals((double) manifestInt("variant-128", "conv_clamp"), g.convClamp());
        assertEquals(manifestInt("variant-128", "num_ws"), g.numWs());
        assertEquals(2, g.mappingLayers());
        assertTrue(c.params().containsKey("mapping.fc1.weight"));
        assertFalse(c.params().containsKey("mapping.fc2.weight"));
        for (Map.Entry<String, int[]> e : g.requiredShapes().entrySet()) {
            assertArrayEquals(e.getValue(), c.param(e.getKey()).shape(), e.getKey());
        }
    }

    @Test
    void takesGEmaNotG() throws Exception {
        Checkpoint c = Checkpoints.loadUncached(pkl("tiny-random-256"));
        NvlabsNetwork.Result gEma, g;
        try (ByteSource src = ByteSource.open(pkl("tiny-random-256"))) {
            Object top = new SafeUnpickler("model.pkl", AllowList.networkPickle(), null).loadFrom(new BoundedInput(src, 0));
            gEma = NvlabsNetwork.read("model.pkl", top, "G_ema");
            g = NvlabsNetwork.read("model.pkl", top, "G");
        }
        assertEquals(gEma.config(), g.config());
        int differ = 0;
        for (Map.Entry<String, Tensor> e : c.params().entrySet()) {
            assertArrayEquals(gEma.params().get(e.getKey()).toFloatArray(), e.getValue().toFloatArray(), e.getKey() + " is G_ema's");
            if (!Arrays.equals(g.params().get(e.getKey()).toFloatArray(), e.getValue().toFloatArray())) differ++;
        }
        System.out.println(differ + " of " + c.params().size() + " tensors differ between G and G_ema");
        assertTrue(differ > c.params().size() / 2, "G and G_ema should differ in the golden file");
    }

    @Test
    void resampleFiltersAreNormalisedFir() throws Exception {
        Checkpoint c = Checkpoints.loadUncached(pkl("tiny-random-256"));
        Golden.assertBitEqual("b8.resample_filter", MiniCheckpoints.fir(), c.param("synthesis.b8.resample_filter"));
        Golden.assertBitEqual("b8.conv0.resample_filter", MiniCheckpoints.fir(), c.param("synthesis.b8.conv0.resample_filter"));
    }

    /**
     * End to end through the loaded numbers: NumPy z, then the mapping network (NVlabs formulas, written here from
     * the paper-level description) with G_ema's weights, lr multiplier and w_avg reproduce the golden w and ws.
     */
    @Test
    void mappingWithLoadedWeightsReproducesGoldenW() throws Exception {
        for (String model : new String[] {"tiny-random-256", "variant-128"}) {
            Checkpoint c = Checkpoints.loadUncached(pkl(model));
            checkMapping(model, c);
        }
        checkMapping("tiny-random-256", Checkpoints.loadUncached(rosinality()));
    }

    static void checkMapping(String model, Checkpoint c) {
        GeneratorConfig g = c.config();
        for (int seed = 0; seed < 2; seed++) {
            Tensor z = NumpyRandom.latent(seed, g.zDim());
            Golden.assertBitEqual(model + " seed" + seed + " z", Golden.npy(model, "seed" + seed + "_z"), z);
            Tensor x = z.copy();
            float[] v = x.host().f32;
            double ss = 0;
            for (float f : v) ss += (double) f * f;
            float s = (float) (1 / Math.sqrt(ss / v.length + 1e-8));
            for (int i = 0; i < v.length; i++) v[i] *= s;
            for (int i = 0; i < g.mappingLayers(); i++) {
                Tensor w = c.param("mapping.fc" + i + ".weight");
                Tensor wt = Ops.scale(w, g.mappingLrMultiplier() / Math.sqrt(w.size(1))).transposeView(0, 1);
                x = Ops.biasAct(Ops.matmul(x, wt), Ops.scale(c.param("mapping.fc" + i + ".bias"), g.mappingLrMultiplier()), 1,
                        Activation.LRELU, 0.2, Math.sqrt(2), -1);
            }
            Golden.assertCloseRel(model + " " + c.format() + " seed" + seed + " w", Golden.npy(model, "seed" + seed + "_w_psi1"), x, 2e-5);
            Tensor avg = c.param("mapping.w_avg").reshapeView(1, g.wDim());
            Tensor trunc = Ops.add(avg, Ops.scale(Ops.sub(x, avg), 0.7));
            Tensor ws = Golden.npy(model, "seed" + seed + "_ws");
            assertEquals(g.numWs(), ws.size(1));
            Golden.assertCloseRel(model + " seed" + seed + " ws row 0", ws.selectView(1, 0), trunc, 2e-5);
        }
    }
}
