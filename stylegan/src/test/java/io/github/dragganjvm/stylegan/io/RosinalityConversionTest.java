package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** rosinality .pt files convert to exactly the NVlabs tensors of the same generator. */
class RosinalityConversionTest {

    /**
     * The golden .pt holds the golden .pkl's G_ema under rosinality's names; after conversion every tensor must be
     * bit-identical to the pickle's, and the only pickle tensors without a rosinality counterpart are the resample
     * filters NVlabs registers but never uses (b4's, and every conv1's).
     */
    @Test
    void goldenPtEqualsGoldenPklGEma() throws Exception {
        Checkpoint nv = Checkpoints.loadUncached(GoldenCheckpointTest.pkl("tiny-random-256"));
        Checkpoint ros = Checkpoints.loadUncached(GoldenCheckpointTest.rosinality());
        assertEquals(Checkpoint.Format.ROSINALITY_TORCH_ZIP, ros.format());
        assertEquals(nv.config(), ros.config(), "hyper-parameters inferred from the .pt");
        assertTrue(ros.notes().isEmpty(), ros.notes().toString());
        for (Map.Entry<String, Tensor> e : ros.params().entrySet()) {
            Tensor expected = nv.params().get(e.getKey());
            assertNotNull(expected, e.getKey() + " converted from the .pt has no counterpart in the .pkl");
            Golden.assertBitEqual(e.getKey(), expected, e.getValue());
        }
        Set<String> missing = new TreeSet<>(nv.params().keySet());
        missing.removeAll(ros.params().keySet());
        for (String k : missing) {
            assertTrue(k.equals("synthesis.b4.resample_filter") || k.endsWith(".conv1.resample_filter"),
                    k + " is in the .pkl but was not converted from the .pt");
        }
        assertEquals(1 + nv.config().blockResolutions().length, missing.size(), "missing: " + missing);
        System.out.println(ros.params().size() + " tensors converted, all bit-equal to the pickle's G_ema; not in a .pt: " + missing);
    }

    @Test
    void zipLegacyAndPickleOfTheSameWeightsAgree(@TempDir Path dir) throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 5);
        Path pkl = dir.resolve("mini.pkl"), zip = dir.resolve("mini.pt"), legacy = dir.resolve("mini-legacy.pt");
        java.nio.file.Files.write(pkl, MiniCheckpoints.nvlabsPkl(c, p, new MiniCheckpoints.Nv()));
        MiniCheckpoints.rosinalityZip(zip, c, p, true);
        MiniCheckpoints.rosinalityLegacy(legacy, c, p, true);
        Checkpoint a = Checkpoints.loadUncached(pkl), b = Checkpoints.loadUncached(zip), l = Checkpoints.loadUncached(legacy);
        assertEquals(Checkpoint.Format.NVLABS_PICKLE, a.format());
        assertEquals(Checkpoint.Format.ROSINALITY_TORCH_ZIP, b.format());
        assertEquals(Checkpoint.Format.ROSINALITY_TORCH_LEGACY, l.format());
        assertEquals(c, a.config());
        assertEquals(c, b.config());
        assertTrue(a.sameWeights(b), "pickle and zip");
        assertTrue(b.sameWeights(l), "zip and legacy");
        for (Map.Entry<String, Tensor> e : p.entrySet()) Golden.assertBitEqual(e.getKey(), e.getValue(), l.param(e.getKey()));
    }

    @Test
    void missingLatentAvgIsEstimatedAndSaysSo(@TempDir Path dir) throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 9);
        Path zip = dir.resolve("no-avg.pt");
        MiniCheckpoints.rosinalityZip(zip, c, p, false);
        Checkpoint ck = Checkpoints.loadUncached(zip);
        assertEquals(1, ck.notes().size(), ck.notes().toString());
        assertTrue(ck.notes().get(0).contains("estimated"), ck.notes().get(0));
        Tensor avg = ck.param("mapping.w_avg");
        assertArrayEquals(new int[] {c.wDim()}, avg.shape());
        for (float v : avg.toFloatArray()) assertTrue(Float.isFinite(v));
        // every other tensor is still the file's
        for (Map.Entry<String, Tensor> e : p.entrySet()) {
            if (!e.getKey().equals("mapping.w_avg")) Golden.assertBitEqual(e.getKey(), e.getValue(), ck.param(e.getKey()));
        }
    }

    /**
     * A checkpoint as rosinality's train.py writes it: g, d, g_ema, optimizer states (int keys, tuples, tensors for
     * 'step'), the argparse.Namespace of the run and ada_aug_p. Everything parses; only g_ema (and latent_avg when
     * present) is used.
     */
    @Test
    void fullTrainingCheckpointParses(@TempDir Path dir) throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 13);
        Map<String, MiniCheckpoints.Named> storages = new java.util.LinkedHashMap<>();
        Map<String, MiniCheckpoints.Named> sd = MiniCheckpoints.rosinalityStateDict(c, p);
        @SuppressWarnings("unchecked")
        Map<String, Object> top = (Map<String, Object>) MiniCheckpoints.rosinalityTop(sd, null, false, storages);
        @SuppressWarnings("unchecked")
        Map<String, Object> g = (Map<String, Object>) ((Map<String, Object>) MiniCheckpoints.rosinalityTop(sd, null, false, storages)).get("g_ema");
        top.put("g", g);
        top.put("d", new PickleWriter.ODict(Map.of("convs.0.0.weight", g.get("style.1.weight"))));
        Map<Object, Object> state = new java.util.LinkedHashMap<>();
        state.put(0, new java.util.LinkedHashMap<>(Map.of("step", g.get("style.1.bias"), "exp_avg", g.get("style.1.weight"))));
        Map<String, Object> group = new java.util.LinkedHashMap<>();
        group.put("lr", 0.002);
        group.put("betas", new Object[] {0.0, 0.99});
        group.put("eps", 1e-8);
        group.put("amsgrad", false);
        group.put("foreach", null);
        group.put("params", java.util.List.of(0, 1, 2));
        top.put("g_optim", new java.util.LinkedHashMap<>(Map.of("state", state, "param_groups", java.util.List.of(group))));
        Map<String, Object> args = new java.util.LinkedHashMap<>();
        args.put("size", 16);
        args.put("path", "/data/lmdb");
        args.put("r1", 10.0);
        args.put("augment", true);
        top.put("args", new PickleWriter.NewObj(new PickleWriter.G("argparse", "Namespace"), args));
        top.put("ada_aug_p", 0.25);
        Path f = dir.resolve("550000.pt");
        MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, top), storages, "550000");
        Checkpoint ck = Checkpoints.loadUncached(f);
        assertEquals(c, ck.config());
        for (Map.Entry<String, Tensor> e : p.entrySet()) {
            if (!e.getKey().equals("mapping.w_avg")) Golden.assertBitEqual(e.getKey(), e.getValue(), ck.param(e.getKey()));
        }
    }

    @Test
    void channelTableInference() throws Exception {
        // config-f 1024: min(32768 / r, 512)
        int[] res = {4, 8, 16, 32, 64, 128, 256, 512, 1024};
        int[] ch = new int[res.length];
        for (int i = 0; i < res.length; i++) ch[i] = Math.min(32768 / res[i], 512);
        assertArrayEquals(new int[] {32768, 512}, Checkpoints.inferChannels(res, ch, "f"));
        // variant-128's min(2048 / r, 256)
        int[] r2 = {4, 8, 16, 32, 64, 128};
        int[] c2 = {256, 256, 128, 64, 32, 16};
        assertArrayEquals(new int[] {2048, 256}, Checkpoints.inferChannels(r2, c2, "v"));
        // all the same width
        assertArrayEquals(new int[] {4096, 512}, Checkpoints.inferChannels(new int[] {4, 8}, new int[] {512, 512}, "s"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoints.inferChannels(new int[] {4, 8, 16}, new int[] {512, 100, 64}, "odd.pt"));
        assertTrue(e.getMessage().contains("odd.pt") && e.getMessage().contains("min(channel_base / res, channel_max)"), e.getMessage());
    }
}
