package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Checkpoints.loadDiscriminator: the golden training snapshot's D, and small pickles broken one way at a time. */
class DiscriminatorCheckpointTest {
    @TempDir Path tmp;

    /** An int of the train-128 manifest's D_init_kwargs (written by the reference script). */
    static int dKwarg(String key) throws IOException {
        String json = Files.readString(Golden.dir("train-128").resolve("manifest.json"));
        String section = json.substring(json.indexOf("\"D_init_kwargs\""));
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(\\d+)").matcher(section.substring(0, section.indexOf('}')));
        assertTrue(m.find(), key + " in the manifest's D_init_kwargs");
        return Integer.parseInt(m.group(1));
    }

    @Test
    void goldenSnapshotDiscriminator() throws Exception {
        DiscriminatorCheckpoint d = Checkpoints.loadDiscriminator(Golden.dir("compact-128").resolve("model.pkl"));
        DiscriminatorConfig c = d.config();
        System.out.println(c + ", " + d.params().size() + " tensors, notes " + d.notes());
        assertEquals(dKwarg("c_dim"), c.cDim());
        assertEquals(dKwarg("img_resolution"), c.imgResolution());
        assertEquals(dKwarg("img_channels"), c.imgChannels());
        assertEquals(dKwarg("channel_base"), c.channelBase());
        assertEquals(dKwarg("channel_max"), c.channelMax());
        assertEquals("resnet", c.architecture());
        assertEquals(4, c.mbstdGroupSize());
        assertEquals(1, c.mbstdNumChannels());
        // the file's layers clamp at 256 although D's init kwargs do not say so; the modules are what NVlabs runs
        assertEquals(256.0, c.convClamp());
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("conv_clamp")), d.notes().toString());
        assertEquals(4, c.numFp16Res(), "b128..b16 have use_fp16");
        assertArrayEquals(new int[] {128, 64, 32, 16, 8}, c.blockResolutions());
        assertEquals(new ArrayList<>(c.requiredShapes().keySet()), new ArrayList<>(d.params().keySet()));
        // every parameter has the shape of the golden gradient the reference wrote for it
        for (Map.Entry<String, Tensor> e : d.params().entrySet()) {
            Tensor g = Golden.npy("train-128", "dmain_grad_D." + e.getKey());
            assertArrayEquals(g.shape(), e.getValue().shape(), e.getKey());
        }
        assertArrayEquals(new int[] {16, 17, 3, 3}, d.param("b4.conv.weight").shape());
        assertArrayEquals(new int[] {2, 3, 1, 1}, d.param("b128.fromrgb.weight").shape());
        // the generator path still reads the same file
        assertEquals(128, Checkpoints.loadUncached(Golden.dir("compact-128").resolve("model.pkl")).config().imgResolution());
    }

    private static DiscriminatorConfig tiny() {
        return new DiscriminatorConfig(0, 16, 3, "resnet", 64, 8, 2, 2, 64.0, 0);
    }

    private Path write(DiscriminatorConfig c, Map<String, Tensor> p, MiniDiscriminatorPickle.Opt o) throws IOException {
        Path f = tmp.resolve("d" + System.nanoTime() + ".pkl");
        Files.write(f, MiniDiscriminatorPickle.pkl(c, p, o));
        return f;
    }

    @Test
    void smallPickleRoundTrips() throws Exception {
        DiscriminatorConfig c = tiny();
        Map<String, Tensor> p = MiniDiscriminatorPickle.randomParams(c, 5);
        DiscriminatorCheckpoint d = Checkpoints.loadDiscriminator(write(c, p, new MiniDiscriminatorPickle.Opt()));
        assertEquals(c, d.config());
        assertTrue(d.notes().isEmpty(), d.notes().toString());
        assertEquals(new ArrayList<>(p.keySet()), new ArrayList<>(d.params().keySet()));
        for (String k : p.keySet()) Golden.assertBitEqual(k, p.get(k), d.param(k));

        // widths left out of the init kwargs are inferred from the shapes
        MiniDiscriminatorPickle.Opt o = new MiniDiscriminatorPickle.Opt();
        o.widthKwargs = false;
        DiscriminatorCheckpoint inferred = Checkpoints.loadDiscriminator(write(c, p, o));
        assertEquals(c.channelBase(), inferred.config().channelBase());
        assertEquals(c.channelMax(), inferred.config().channelMax());

        // no mbstd layer (num_channels 0) and a whole-batch group (None)
        for (DiscriminatorConfig v : List.of(c.withMbstd(4, 0), c.withMbstd(null, 1))) {
            DiscriminatorCheckpoint dv = Checkpoints.loadDiscriminator(write(v, MiniDiscriminatorPickle.randomParams(v, 6), new MiniDiscriminatorPickle.Opt()));
            assertEquals(v.mbstdNumChannels(), dv.config().mbstdNumChannels());
            if (v.mbstdNumChannels() > 0) assertEquals(v.mbstdGroupSize(), dv.config().mbstdGroupSize());
        }
    }

    private void assertRefused(Path f, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadDiscriminator(f));
        System.out.println("refused: " + e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), "names the file: " + e.getMessage());
        for (String s : fragments) assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
    }

    @Test
    void refusesWhatThePortDoesNotRun() throws Exception {
        DiscriminatorConfig c = tiny();
        Map<String, Tensor> p = MiniDiscriminatorPickle.randomParams(c, 7);

        MiniDiscriminatorPickle.Opt skip = new MiniDiscriminatorPickle.Opt();
        skip.architecture = "skip";
        assertRefused(write(c, p, skip), "architecture 'skip'", "resnet");

        MiniDiscriminatorPickle.Opt cond = new MiniDiscriminatorPickle.Opt();
        cond.cDim = 10;
        assertRefused(write(c, p, cond), "c_dim = 10");

        Map<String, Tensor> bad = new java.util.LinkedHashMap<>(p);
        bad.put("b16.conv0.weight", Tensor.randn(io.github.dragganjvm.tensor.DType.F32, 1, 4, 5, 3, 3));
        assertRefused(write(c, bad, new MiniDiscriminatorPickle.Opt()), "b16.conv0.weight has shape [4, 5, 3, 3], expected [4, 4, 3, 3]");

        MiniDiscriminatorPickle.Opt clamp = new MiniDiscriminatorPickle.Opt();
        clamp.clampLayer = "b8.conv1";
        clamp.clampValue = 32;
        assertRefused(write(c, p, clamp), "conv_clamp differs", "D.b8.conv1: 32.0");

        MiniDiscriminatorPickle.Opt fir = new MiniDiscriminatorPickle.Opt();
        fir.filter = new float[16];
        fir.filter[5] = 1;
        assertRefused(write(c, p, fir), "resample_filter is not NVlabs' setup_filter([1,3,3,1])");

        MiniDiscriminatorPickle.Opt noD = new MiniDiscriminatorPickle.Opt();
        noD.editTop = m -> m.remove("D");
        assertRefused(write(c, p, noD), "no 'D' in the pickle");

        MiniDiscriminatorPickle.Opt notD = new MiniDiscriminatorPickle.Opt();
        notD.editTop = m -> m.put("D", List.of(1, 2));
        assertRefused(write(c, p, notD), "D is a list");

        assertRefused(Golden.dir("compact-128").resolve("model-rosinality.pt").toAbsolutePath().normalize(), "NVlabs network pickles only");
    }

    @Test
    void configRefusesUnsupportedSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DiscriminatorConfig(0, 16, 3, "orig", 64, 8, 4, 1, null, 0));
        assertTrue(e.getMessage().contains("'orig'") && e.getMessage().contains("resnet"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DiscriminatorConfig(5, 16, 3, "resnet", 64, 8, 4, 1, null, 0));
        assertTrue(e.getMessage().contains("c_dim is 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiscriminatorConfig.defaults(4, 3));
        assertTrue(e.getMessage().contains("img_resolution 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiscriminatorConfig.defaults(48, 3));
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tiny().withMbstd(4, 3));
        assertTrue(e.getMessage().contains("must divide"), e.getMessage());
        // NVlabs defaults
        DiscriminatorConfig d = DiscriminatorConfig.defaults(256, 3);
        assertEquals(128, d.channels(256));
        assertEquals(512, d.channels(4));
        assertEquals(4, d.mbstdGroup(8));
        assertEquals(2, d.mbstdGroup(2));
        assertEquals(6, d.withMbstd(null, 1).mbstdGroup(6));
    }
}
