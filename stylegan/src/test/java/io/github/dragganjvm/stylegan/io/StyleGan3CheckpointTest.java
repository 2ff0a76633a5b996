package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reading StyleGAN3 pickles: the kind from the content, the hyper-parameters and layer schedule against the golden
 * manifests, the StyleGAN2-only entry points refusing them in one line, and the schedule formula against the layer
 * names of NVlabs' published stylegan3-t 1024 px model.
 */
class StyleGan3CheckpointTest {
    @ParameterizedTest
    @ValueSource(strings = {"sg3-t-256", "sg3-r-256"})
    void readsTheGoldenPickles(String folder) throws Exception {
        Map<?, ?> manifest = (Map<?, ?>) StrictJson.parse(Files.readString(Golden.dir(folder).resolve("manifest.json")), 16, 1_000_000);
        Map<?, ?> model = (Map<?, ?>) manifest.get("model");
        StyleGan3Checkpoint c = assertInstanceOf(StyleGan3Checkpoint.class, Checkpoints.loadModel(Golden.dir(folder).resolve("model.pkl")));
        StyleGan3Config cfg = c.config();
        assertEquals(((Number) model.get("num_ws")).intValue(), cfg.numWs());
        assertEquals(256, cfg.imgResolution());
        assertEquals(folder.equals("sg3-r-256") ? 1 : 3, cfg.convKernel());
        assertEquals(folder.equals("sg3-r-256"), cfg.useRadialFilters());
        assertEquals(folder.equals("sg3-r-256") ? "StyleGAN3-R" : "StyleGAN3-T", c.architectureName());
        List<String> names = new ArrayList<>();
        for (StyleGan3Config.LayerSpec l : cfg.layers()) names.add(l.name());
        assertEquals(model.get("layer_names"), names);
        for (int i = 0; i < names.size(); i++) {
            List<?> s = (List<?>) ((List<?>) model.get("feature_shapes")).get(i);
            StyleGan3Config.LayerSpec l = cfg.layers().get(i);
            assertEquals(((Number) s.get(1)).intValue(), l.outChannels(), names.get(i));
            assertEquals(((Number) s.get(2)).intValue(), l.outSize(), names.get(i));
        }
        assertEquals(cfg.requiredShapes().keySet(), c.params().keySet());
        assertTrue(c.notes().isEmpty() || c.notes().stream().allMatch(n -> n.contains("default")), c.notes().toString());
    }

    @Test
    void stylegan2EntryPointsRefuseStyleGan3() {
        Path f = Golden.dir("sg3-t-256").resolve("model.pkl");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f));
        assertTrue(e.getMessage().contains("StyleGAN3") && e.getMessage().contains("loadModel"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> Checkpoints.loadNetwork(f, "G"));
        assertTrue(e.getMessage().contains("StyleGAN3"), e.getMessage());
    }

    @Test
    void loadModelStillReadsStyleGan2() throws Exception {
        assertInstanceOf(Checkpoint.class, Checkpoints.loadModel(Golden.dir("compact-128").resolve("model.pkl")));
    }

    /** stylegan3-t-ffhq-1024x1024.pkl (channel_base 32768, channel_max 512): its 15 layer names as NVlabs' model prints them. */
    @Test
    void scheduleOfThe1024pxModel() {
        StyleGan3Config cfg = new StyleGan3Config(512, 512, 1024, 3, 2, 0.01, 32768, 512, 14, 2, 2, Math.pow(2, 2.1), Math.pow(2, 0.3), 10, 0.25, 3, 6, 2, false, 256.0, 4);
        List<String> names = new ArrayList<>();
        for (StyleGan3Config.LayerSpec l : cfg.layers()) names.add(l.name());
        assertEquals(List.of("L0_36_512", "L1_36_512", "L2_52_512", "L3_52_512", "L4_84_512", "L5_148_512", "L6_148_512", "L7_276_323", "L8_276_203",
                "L9_532_128", "L10_1044_81", "L11_1044_51", "L12_1044_32", "L13_1024_32", "L14_1024_3"), names);
        assertEquals(16, cfg.numWs());
        assertEquals(512, cfg.input().channels());
    }

    /** The golden sg3-t pickle unpickled (inert data), for tampering. */
    private static Object unpickled() throws Exception {
        Path f = Golden.dir("sg3-t-256").resolve("model.pkl");
        try (ByteSource src = ByteSource.open(f)) {
            return new SafeUnpickler(f.toString(), AllowList.networkPickle(), null).loadFrom(new BoundedInput(src, 0));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> state(Object top, String... path) {
        Py.Persistent m = (Py.Persistent) ((Map<?, ?>) top).get("G_ema");
        for (String p : path) m = (Py.Persistent) ((Map<?, ?>) m.state().get("_modules")).get(p);
        return (Map<Object, Object>) m.state();
    }

    private static String refused(Object top) {
        assertTrue(StyleGan3Network.isStyleGan3(top));
        CheckpointException e = assertThrows(CheckpointException.class, () -> StyleGan3Network.read(null, "model.pkl", top));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    /** A stored attribute, a hyper-parameter or a tensor that disagrees with the rest is refused, naming it, before any tensor data is read. */
    @Test
    @SuppressWarnings("unchecked")
    void tamperedPicklesAreRefused() throws Exception {
        Object top = unpickled();
        state(top, "synthesis", "L3_52_16").put("padding", new ArrayList<>(List.of(0, 0, 0, 0)));
        String m = refused(top);
        assertTrue(m.contains("synthesis.L3_52_16.padding[0] is 0 but the hyper-parameters give"), m);

        top = unpickled();
        ((Map<Object, Object>) state(top, "synthesis").get("_init_kwargs")).put("channel_max", 32);
        m = refused(top);
        assertTrue(m.contains("synthesis.input.channels is 16 but the hyper-parameters give 32"), m);

        top = unpickled();
        Map<Object, Object> params = (Map<Object, Object>) state(top, "synthesis", "L0_36_16").get("_parameters");
        Object w = params.get("weight");
        params.put("weight", params.get("bias"));
        params.put("bias", w);
        m = refused(top);
        assertTrue(m.contains("synthesis.L0_36_16.weight has shape [16], expected [16, 16, 3, 3]"), m);

        top = unpickled();
        state(top, "synthesis", "L14_256_3").put("is_torgb", false);
        m = refused(top);
        assertTrue(m.contains("synthesis.L14_256_3.is_torgb is false, expected true"), m);
        assertTrue(m.startsWith("model.pkl (StyleGAN3 pickle): "), m);
    }
}
