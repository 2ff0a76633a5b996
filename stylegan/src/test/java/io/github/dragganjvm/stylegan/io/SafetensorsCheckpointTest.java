package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The project's own generator checkpoint (safetensors, {@link GeneratorSafetensors}): golden models survive the round
 * trip bit for bit (images included), the loader checks metadata, names and shapes before it reads data, reads only
 * G_ema, refuses non-finite weights, bypasses the weight cache; the writer is atomic and refuses bad input.
 */
class SafetensorsCheckpointTest {
    @TempDir Path dir;
    final GeneratorConfig c = MiniCheckpoints.tinyConfig();
    final Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 5);

    private Path saved(String name) throws IOException {
        Path f = dir.resolve(name);
        Checkpoints.saveSafetensors(f, c, p, Map.of(), Map.of());
        return f;
    }

    // ------------------------------------------------------------------ golden round trip

    @ParameterizedTest
    @ValueSource(strings = {"compact-128", "tiny-random-256"})
    void goldenPickleRoundTripsBitForBit(String model) throws Exception {
        Checkpoint pkl = Checkpoints.loadUncached(GoldenCheckpointTest.pkl(model));
        Path f = dir.resolve(model + ".safetensors");
        Checkpoints.saveSafetensors(f, pkl);
        Checkpoint st = Checkpoints.loadUncached(f);
        System.out.println(model + ": " + Files.size(GoldenCheckpointTest.pkl(model)) + " bytes .pkl -> " + Files.size(f) + " bytes .safetensors, "
                + st.params().size() + " tensors");
        assertEquals(Checkpoint.Format.SAFETENSORS, st.format());
        assertEquals(pkl.config(), st.config());
        assertTrue(st.notes().isEmpty());
        assertTrue(pkl.sameWeights(st), "same names, shapes and bits");

        Generator a = new Generator(pkl.config(), pkl.params()), b = new Generator(st.config(), st.params());
        for (int seed = 0; seed < 2; seed++) {
            Golden.assertBitEqual(model + " seed " + seed + " image, .pkl vs .safetensors", a.generate(seed, 0.7, NoiseMode.CONST), b.generate(seed, 0.7, NoiseMode.CONST));
        }
        try (var ng = GradMode.noGrad()) {
            Tensor img = b.synthesis(Var.constant(Golden.npy(model, "seed0_ws")), Generator.Request.full(NoiseMode.CONST)).image().value();
            Golden.assertClose(model + " .safetensors seed0 image vs the PyTorch reference", Golden.npy(model, "seed0_img"), img, 1e-3);
        }
    }

    // ------------------------------------------------------------------ the convention

    @Test
    void layoutAndMetadataFollowTheConvention() throws Exception {
        Map<String, Tensor> extra = new LinkedHashMap<>();
        extra.put("G.mapping.fc0.weight", Tensor.randn(DType.F32, 9, 16, 16));
        extra.put("D.b4.fc.weight", Tensor.randn(DType.F32, 10, 4, 8));
        extra.put("opt.step", Tensor.scalar(DType.F64, 1200));
        Path f = dir.resolve("snapshot.safetensors");
        Checkpoints.saveSafetensors(f, c, p, extra, Map.of("kimg", "12.5", "dataset", "toy"));

        SafeTensors.Contents all = SafeTensors.read(f);
        assertEquals("draggan-stylegan2", all.metadata().get("format"));
        assertEquals("1", all.metadata().get("format_version"));
        assertEquals("{\"z_dim\":16,\"w_dim\":16,\"c_dim\":0,\"img_resolution\":16,\"img_channels\":3,\"mapping_layers\":2,\"mapping_lr_multiplier\":0.01,"
                + "\"channel_base\":128,\"channel_max\":16,\"conv_clamp\":null,\"num_fp16_res\":0,\"architecture\":\"skip\"}", all.metadata().get("G_ema.config"));
        assertEquals("12.5", all.metadata().get("kimg"));
        assertEquals("toy", all.metadata().get("dataset"));
        for (Map.Entry<String, Tensor> e : p.entrySet()) Golden.assertBitEqual("G_ema." + e.getKey(), e.getValue(), all.tensors().get("G_ema." + e.getKey()));
        for (Map.Entry<String, Tensor> e : extra.entrySet()) Golden.assertBitEqual(e.getKey(), e.getValue(), all.tensors().get(e.getKey()));
        assertEquals(p.size() + extra.size(), all.tensors().size());
        assertEquals(DType.F64, all.tensors().get("opt.step").dtype());

        Checkpoint loaded = Checkpoints.loadUncached(f);
        assertEquals(c, loaded.config());
        assertEquals(p.keySet(), loaded.params().keySet(), "G_ema only, without the prefix");
        assertTrue(loaded.sameWeights(Checkpoints.loadUncached(saved("plain.safetensors"))));
    }

    @Test
    void everyConfigFieldRoundTrips() throws Exception {
        GeneratorConfig v = new GeneratorConfig(16, 8, 0, 8, 1, 3, 0.0123456789012345, 64, 8, 256.5, 2, "skip");
        Map<String, Tensor> params = MiniCheckpoints.randomParams(v, 3);
        Path f = dir.resolve("v.safetensors");
        Checkpoints.saveSafetensors(f, v, params, Map.of(), Map.of());
        Checkpoint back = Checkpoints.loadUncached(f);
        assertEquals(v, back.config());
        assertEquals(256.5, back.config().convClamp());
        assertEquals(0.0123456789012345, back.config().mappingLrMultiplier());
    }

    @Test
    void recognisedByContentNotByName() throws Exception {
        Path st = saved("model.pkl");
        assertEquals(Checkpoint.Format.SAFETENSORS, Checkpoints.loadUncached(st).format());
        Path pkl = dir.resolve("model.safetensors");
        Files.write(pkl, MiniCheckpoints.nvlabsPkl(c, p, new MiniCheckpoints.Nv()));
        Checkpoint fromPkl = Checkpoints.loadUncached(pkl);
        assertEquals(Checkpoint.Format.NVLABS_PICKLE, fromPkl.format());
        assertTrue(fromPkl.sameWeights(Checkpoints.loadUncached(st)));
    }

    @Test
    void halfAndDoublePrecisionGEmaIsConvertedToF32() throws Exception {
        // an independent writer (RawSafetensors): G_ema as F16, BF16 and F64 by turns
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"draggan-stylegan2\",\"format_version\":\"1\",\"G_ema.config\":"
                + "\"" + GeneratorSafetensors.configJson(c).replace("\"", "\\\"") + "\"}");
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        Map<String, float[]> expected = new LinkedHashMap<>();
        String[] dtypes = {"F16", "BF16", "F64", "F32"};
        int i = 0;
        for (Map.Entry<String, Tensor> e : p.entrySet()) {
            String dtype = dtypes[i++ % 4];
            float[] v = e.getValue().toFloatArray();
            float[] want = new float[v.length];
            ByteBuffer b = ByteBuffer.allocate(v.length * (dtype.equals("F64") ? 8 : dtype.equals("F32") ? 4 : 2)).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < v.length; k++) {
                switch (dtype) {
                    case "F16" -> { short s = Float.floatToFloat16(v[k]); b.putShort(s); want[k] = Float.float16ToFloat(s); }
                    case "BF16" -> { int bits = Float.floatToIntBits(v[k]) >>> 16; b.putShort((short) bits); want[k] = Float.intBitsToFloat(bits << 16); }
                    case "F64" -> { b.putDouble(v[k] * (1 + 1e-12)); want[k] = (float) (v[k] * (1 + 1e-12)); }
                    default -> { b.putFloat(v[k]); want[k] = v[k]; }
                }
            }
            long begin = data.size();
            data.writeBytes(b.array());
            header.append(',').append(RawSafetensors.entry("G_ema." + e.getKey(), dtype, java.util.Arrays.toString(e.getValue().shape()).replace(" ", ""), begin, data.size()));
            expected.put(e.getKey(), want);
        }
        Path f = dir.resolve("mixed.safetensors");
        Files.write(f, RawSafetensors.file(header.append('}').toString(), data.toByteArray()));
        Checkpoint ck = Checkpoints.loadUncached(f);
        assertEquals(c, ck.config());
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            Tensor t = ck.param(e.getKey());
            assertEquals(DType.F32, t.dtype());
            assertArrayEquals(e.getValue(), t.toFloatArray(), e.getKey());
        }
    }

    // ------------------------------------------------------------------ the loader refuses

    private String refused(Path f, String... expected) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f));
        System.out.println(f.getFileName() + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
        return e.getMessage();
    }

    /** A file with our tensors and the given metadata, written by the generic writer. */
    private Path withMetadata(String name, Map<String, String> meta) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : p.entrySet()) t.put("G_ema." + e.getKey(), e.getValue());
        Path f = dir.resolve(name);
        SafeTensors.write(f, meta, t);
        return f;
    }

    private Map<String, String> meta(String config) {
        return Map.of("format", "draggan-stylegan2", "format_version", "1", "G_ema.config", config);
    }

    @Test
    void metadataIsChecked() throws Exception {
        String good = GeneratorSafetensors.configJson(c);
        refused(withMetadata("no-format.safetensors", Map.of()), "not a draggan-stylegan2 generator checkpoint (metadata 'format' is missing");
        refused(withMetadata("v2.safetensors", Map.of("format", "draggan-stylegan2", "format_version", "2", "G_ema.config", good)),
                "format_version '2'; this program reads version 1");
        refused(withMetadata("no-config.safetensors", Map.of("format", "draggan-stylegan2", "format_version", "1")), "no 'G_ema.config' in the metadata");
        refused(withMetadata("bad-json.safetensors", meta(good.substring(1))), "G_ema.config rejected by the strict JSON parser");
        refused(withMetadata("dup.safetensors", meta(good.replace("{", "{\"z_dim\":16,"))), "duplicate key 'z_dim'");
        refused(withMetadata("unknown.safetensors", meta(good.replace("{", "{\"truncation\":0.7,"))), "unknown field 'truncation'");
        refused(withMetadata("missing.safetensors", meta(good.replace(",\"num_fp16_res\":0", ""))), "no field 'num_fp16_res'");
        refused(withMetadata("string.safetensors", meta(good.replace("\"w_dim\":16", "\"w_dim\":\"16\""))), "w_dim is the string '16', expected an integer");
        refused(withMetadata("float.safetensors", meta(good.replace("\"w_dim\":16", "\"w_dim\":16.0"))), "w_dim is 16.0, expected an integer");
        refused(withMetadata("huge.safetensors", meta(good.replace("\"w_dim\":16", "\"w_dim\":4194304"))), "w_dim is 4194304, expected an integer in [0, 2^20]");
        refused(withMetadata("cond.safetensors", meta(good.replace("\"c_dim\":0", "\"c_dim\":10"))), "c_dim = 10 is a conditional generator");
        refused(withMetadata("resnet.safetensors", meta(good.replace("skip", "resnet"))), "architecture 'resnet'; only the 'skip' architecture");
        refused(withMetadata("lr.safetensors", meta(good.replace("0.01", "0"))), "mapping_lr_multiplier is 0, expected a positive finite number");
        refused(withMetadata("lr-inf.safetensors", meta(good.replace("0.01", "1e999"))), "mapping_lr_multiplier is 1e999");
        refused(withMetadata("clamp.safetensors", meta(good.replace("\"conv_clamp\":null", "\"conv_clamp\":-1"))), "conv_clamp is -1");
        refused(withMetadata("res.safetensors", meta(good.replace("\"img_resolution\":16", "\"img_resolution\":12"))), "imgResolution 12 must be a power of two");
        refused(withMetadata("aspect.safetensors", meta(good.replace("}", ",\"aspect\":\"wide\"}"))), "aspect is the string 'wide', expected \"square\" or \"half_width\"");
        // a half-width config over this file's square tensors: every misshapen tensor named
        refused(withMetadata("half.safetensors", meta(good.replace("}", ",\"aspect\":\"half_width\"}"))), "synthesis.b4.const has shape [16, 4, 4], expected [16, 4, 2]");
    }

    /** A ByteSource over a file that records the furthest byte read. */
    private static final class Watched extends ByteSource {
        final ByteSource in;
        long furthest;

        Watched(Path f) throws IOException { in = ByteSource.open(f); }

        @Override String name() { return in.name(); }
        @Override long size() { return in.size(); }
        @Override void read(long pos, byte[] dst, int off, int len) throws IOException {
            furthest = Math.max(furthest, pos + len);
            in.read(pos, dst, off, len);
        }
        @Override public void close() throws IOException { in.close(); }
    }

    @Test
    void namesAndShapesAreCheckedBeforeAnyDataIsRead() throws Exception {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : p.entrySet()) t.put("G_ema." + e.getKey(), e.getValue());
        t.put("G_ema.synthesis.b4.const", Tensor.zeros(16, 4, 2));
        t.remove("G_ema.synthesis.b8.conv1.noise_const");
        t.put("G_ema.synthesis.b8.extra", Tensor.zeros(2));
        t.put("G_ema.synthesis.b8.resample_filter", Tensor.zeros(3, 3));
        Path f = dir.resolve("shapes.safetensors");
        SafeTensors.write(f, meta(GeneratorSafetensors.configJson(c)), t);
        String m = refused(f, "the G_ema tensors do not match G_ema.config", "G_ema.synthesis.b4.const has shape [16, 4, 2], expected [16, 4, 4]",
                "G_ema.synthesis.b8.conv1.noise_const is missing", "'G_ema.synthesis.b8.extra' is not a tensor of this generator",
                "G_ema.synthesis.b8.resample_filter has shape [3, 3], expected [4, 4]");
        long dataStart = SafeTensors.readHeader(f).dataStart();
        try (Watched src = new Watched(f)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f.toAbsolutePath(), src));
            assertEquals(m, e.getMessage());
            System.out.println("furthest byte read " + src.furthest + ", data starts at " + dataStart);
            assertTrue(src.furthest <= dataStart, "read " + src.furthest + " bytes; the data starts at " + dataStart);
        }
    }

    /** Overwrites element index of a tensor in the file with a float. */
    private static void poke(Path f, String tensor, int index, float v) throws IOException {
        SafeTensors.Header h = SafeTensors.readHeader(f);
        SafeTensors.TensorInfo t = h.tensors().get(tensor);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, v), h.dataStart() + t.begin() + 4L * index);
        }
    }

    @Test
    void nonFiniteWeightsAreRefusedOnlyWhereTheyAreRead() throws Exception {
        Path f = dir.resolve("nan.safetensors");
        Checkpoints.saveSafetensors(f, c, p, Map.of("D.b4.fc.weight", Tensor.zeros(4, 4)), Map.of());
        poke(f, "D.b4.fc.weight", 5, Float.NaN);
        assertTrue(Checkpoints.loadUncached(f).sameWeights(Checkpoints.loadUncached(saved("ok.safetensors"))), "D is never read by the model loader");
        poke(f, "G_ema.mapping.fc1.bias", 3, Float.POSITIVE_INFINITY);
        refused(f, "tensor G_ema.mapping.fc1.bias [16] holds Infinity at flat index 3; a network's weights must be finite");
        poke(f, "G_ema.mapping.fc1.bias", 3, 0);
        poke(f, "G_ema.synthesis.b16.torgb.weight", 23, Float.NaN);
        refused(f, "tensor G_ema.synthesis.b16.torgb.weight [3, 8, 1, 1] holds NaN at flat index 23");
    }

    @Test
    void truncatedFilesAreRefused() throws Exception {
        byte[] all = Files.readAllBytes(saved("full.safetensors"));
        for (int cut : new int[] {4, 12, 200, all.length / 2, all.length - 1}) {
            Path f = dir.resolve("cut" + cut + ".safetensors");
            Files.write(f, java.util.Arrays.copyOf(all, cut));
            String m = refused(f);
            assertTrue(m.contains("truncated") || m.contains("too short") || m.contains("not a checkpoint"), m);
        }
    }

    // ------------------------------------------------------------------ cache

    @Test
    void safetensorsBypassTheWeightCache() throws Exception {
        Path f = saved("m.safetensors");
        WeightCache cache = WeightCache.at(dir.resolve("cache"));
        Checkpoint a = Checkpoints.load(f, cache), b = Checkpoints.load(f, cache);
        assertFalse(a.fromCache());
        assertFalse(b.fromCache());
        assertTrue(a.sameWeights(b));
        assertFalse(Files.exists(cache.entryFor(f.toAbsolutePath().normalize().toString())), "no entry written");
        // a stale entry for the same path (say, a .pkl that was there before) is never consulted
        Path pkl = dir.resolve("same-path");
        Files.write(pkl, MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 99), new MiniCheckpoints.Nv()));
        assertTrue(Checkpoints.load(pkl, cache).params().size() > 0);
        assertTrue(Checkpoints.load(pkl, cache).fromCache());
        Checkpoints.saveSafetensors(pkl, c, p, Map.of(), Map.of());
        Checkpoint now = Checkpoints.load(pkl, cache);
        assertEquals(Checkpoint.Format.SAFETENSORS, now.format());
        assertTrue(now.sameWeights(a));
    }

    // ------------------------------------------------------------------ the writer refuses, atomically

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    private String writeRefused(Map<String, Tensor> gEma, Map<String, Tensor> extra, Map<String, String> meta, GeneratorConfig config, String... expected) throws Exception {
        List<String> before = listing();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.saveSafetensors(dir.resolve("w.safetensors"), config, gEma, extra, meta));
        System.out.println(e.getMessage());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
        assertEquals(before, listing(), "nothing written");
        return e.getMessage();
    }

    @Test
    void writerRefusesWhatWouldNotLoad() throws Exception {
        Map<String, Tensor> missing = new LinkedHashMap<>(p);
        missing.remove("mapping.w_avg");
        writeRefused(missing, Map.of(), Map.of(), c, "G_ema.mapping.w_avg is missing");
        Map<String, Tensor> wrong = new LinkedHashMap<>(p);
        wrong.put("mapping.fc0.weight", Tensor.zeros(16, 15));
        wrong.put("mapping.fc9.weight", Tensor.zeros(16, 16));
        writeRefused(wrong, Map.of(), Map.of(), c, "G_ema.mapping.fc0.weight has shape [16, 15], expected [16, 16]", "'G_ema.mapping.fc9.weight' is not a tensor of this generator");
        writeRefused(p, Map.of("G_ema.extra", Tensor.zeros(1)), Map.of(), c, "reserved prefix G_ema.");
        writeRefused(p, Map.of(), Map.of("format", "x"), c, "extra metadata key 'format' is reserved");
        writeRefused(p, Map.of(), Map.of("G_ema.config", "{}"), c, "reserved");
        writeRefused(p, Map.of(), Map.of(), new GeneratorConfig(16, 16, 4, 16, 3, 2, 0.01, 128, 16, null, 0, "skip"), "c_dim 4");
        writeRefused(p, Map.of(), Map.of(), new GeneratorConfig(16, 16, 0, 16, 3, 2, 0.01, 128, 16, Double.POSITIVE_INFINITY, 0, "skip"), "conv_clamp must be finite");
    }

    @Test
    void failedSaveKeepsThePreviousModel() throws Exception {
        Path f = saved("model.safetensors");
        byte[] before = Files.readAllBytes(f);
        Map<String, Tensor> gEma = new LinkedHashMap<>(MiniCheckpoints.randomParams(c, 77));
        float[] bad = new float[64];
        bad[10] = Float.NaN;
        // sorted by name, D.* comes first and the G_ema ones after: the failure is after some data was written
        Map<String, Tensor> extra = Map.of("D.ok", Tensor.randn(DType.F32, 1, 1000), "G.bad", Tensor.of(bad, 8, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.saveSafetensors(f, c, gEma, extra, Map.of()));
        assertTrue(e.getMessage().contains("tensor 'G.bad' [8, 8] holds NaN at flat index 10"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of("model.safetensors"), listing());
        assertTrue(Checkpoints.loadUncached(f).sameWeights(Checkpoints.loadUncached(saved("again.safetensors"))));
        List<String> names = new ArrayList<>(SafeTensors.readHeader(f).tensors().keySet());
        assertEquals(names.stream().sorted().toList(), names, "all F32: stored in name order");
    }
}
