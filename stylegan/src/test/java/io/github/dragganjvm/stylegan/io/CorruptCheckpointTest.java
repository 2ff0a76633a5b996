package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.io.PickleWriter.Call;
import io.github.dragganjvm.stylegan.io.PickleWriter.G;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Truncated or corrupt files and checkpoints of the wrong kind fail with a message that says what is wrong. */
class CorruptCheckpointTest {
    @TempDir Path dir;
    final GeneratorConfig c = MiniCheckpoints.tinyConfig();
    final Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 11);

    private String fails(Path f, String... expected) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f));
        System.out.println(f.getFileName() + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
        return e.getMessage();
    }

    private String fails(String name, byte[] bytes, String... expected) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return fails(f, expected);
    }

    private byte[] pkl(MiniCheckpoints.Nv o) { return MiniCheckpoints.nvlabsPkl(c, p, o); }

    @Test
    void notACheckpointAtAll() throws Exception {
        fails("empty.pkl", new byte[0], "too short");
        fails("text.pkl", "hello, this is not a model\n".getBytes(), "not a checkpoint", "68 65 6c 6c");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Checkpoints.loadUncached(dir.resolve("absent.pkl")));
        fails(dir, "not a regular file");
    }

    @Test
    void truncatedGoldenPickle() throws Exception {
        Path golden = GoldenCheckpointTest.pkl("tiny-random-256");
        long size = Files.size(golden);
        try (ByteSource src = ByteSource.open(golden)) {
            for (long cut : new long[] {5, 100, 41_700, 58_921, size / 3, size / 2, size - 1}) {
                Path name = dir.resolve("model-cut" + cut + ".pkl");
                CheckpointException e = assertThrows(CheckpointException.class,
                        () -> Checkpoints.read(name, src.window(name.toString(), 0, cut)));
                System.out.println("cut at " + cut + ": " + e.getMessage());
                assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("remain"), e.getMessage());
            }
        }
    }

    @Test
    void truncatedGoldenZip() throws Exception {
        byte[] all = Files.readAllBytes(GoldenCheckpointTest.rosinality());
        for (int cut : new int[] {all.length / 2, all.length - 30}) {
            Path f = dir.resolve("cut" + cut + ".pt");
            Files.write(f, java.util.Arrays.copyOf(all, cut));
            fails(f, "not a readable zip");
        }
    }

    @Test
    void wrongZipEntries() throws Exception {
        Path good = dir.resolve("good.pt");
        MiniCheckpoints.rosinalityZip(good, c, p, true);
        Map<String, byte[]> entries = readZip(good);

        Map<String, byte[]> noPkl = new LinkedHashMap<>(entries);
        noPkl.remove("archive/data.pkl");
        fails(writeZip("no-pkl.pt", noPkl), "exactly one ARCHIVE/data.pkl", "none");

        Map<String, byte[]> two = new LinkedHashMap<>(entries);
        two.put("other/data.pkl", entries.get("archive/data.pkl"));
        fails(writeZip("two-pkl.pt", two), "exactly one ARCHIVE/data.pkl");

        Map<String, byte[]> missing = new LinkedHashMap<>(entries);
        missing.remove("archive/data/5");
        fails(writeZip("missing-data.pt", missing), "'archive/data/5' is missing from the zip");

        Map<String, byte[]> shortData = new LinkedHashMap<>(entries);
        shortData.put("archive/data/0", new byte[12]);
        fails(writeZip("short-data.pt", shortData), "archive/data/0", "storage claims");

        Map<String, byte[]> bigEndian = new LinkedHashMap<>(entries);
        bigEndian.put("archive/byteorder", "middle".getBytes());
        fails(writeZip("byteorder.pt", bigEndian), "byteorder entry says 'middle'");
    }

    @Test
    void bigEndianZipIsReadAsBigEndian() throws Exception {
        Path good = dir.resolve("good.pt");
        MiniCheckpoints.rosinalityZip(good, c, p, true);
        Map<String, byte[]> entries = new LinkedHashMap<>(readZip(good));
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            if (!e.getKey().startsWith("archive/data/")) continue;
            ByteBuffer le = ByteBuffer.wrap(e.getValue()).order(ByteOrder.LITTLE_ENDIAN), be = ByteBuffer.allocate(e.getValue().length);
            while (le.hasRemaining()) be.putFloat(le.getFloat());
            e.setValue(be.array());
        }
        entries.put("archive/byteorder", "big".getBytes());
        Checkpoint big = Checkpoints.loadUncached(writeZip("big.pt", entries));
        assertTrue(big.sameWeights(Checkpoints.loadUncached(good)));
    }

    @Test
    void legacyFormatInconsistencies() throws Exception {
        Path good = dir.resolve("good-legacy.pt");
        MiniCheckpoints.rosinalityLegacy(good, c, p, true);
        byte[] b = Files.readAllBytes(good);
        // protocol version 1001 is BININT2 0x03e9 right after the magic pickle
        byte[] wrongProto = b.clone();
        int at = MiniCheckpoints.MAGIC_PICKLE.length + 3;
        assertEquals(0xe9, wrongProto[at] & 0xff);
        wrongProto[at] = (byte) 0xe8;
        fails("proto.pt", wrongProto, "protocol version 1000");
        // the first storage's element count in the raw section
        int firstRaw = indexOfRawSection(b);
        byte[] wrongCount = b.clone();
        wrongCount[firstRaw] ^= 1;
        fails("count.pt", wrongCount, "elements but its persistent id said");
        // cut inside the raw data
        fails("short.pt", java.util.Arrays.copyOf(b, b.length - 10), "storage claims");
    }

    /** Position of the int64 count of the first storage: right after the key-list pickle (which follows the object pickle). */
    private static int indexOfRawSection(byte[] b) {
        // the key list pickle is PROTO 2, EMPTY_LIST ... ending in STOP; the object pickle's key '0' appears first, so search
        // for the last "]q" list opener, whose pickle ends with "e." (APPENDS STOP) or "a." (APPEND STOP)
        for (int i = 0; i + 1 < b.length; i++) {
            if ((b[i] & 0xff) == 0x80 && b[i + 1] == 2 && b[i + 2] == ']') {
                for (int j = i; j < b.length; j++) if (b[j] == '.') return j + 1;
            }
        }
        throw new AssertionError("no key list");
    }

    @Test
    void picklesOfTheWrongKind() throws Exception {
        byte[] blob = MiniCheckpoints.legacyStorage(TorchDType.FLOAT32, new float[4], "k");
        Object tensor = new Call(new G("torch._utils", "_rebuild_tensor_v2"), new Call(new G("torch.storage", "_load_from_bytes"), blob),
                0, new Object[] {4}, new Object[] {1}, false, new PickleWriter.ODict(Map.of()));
        fails("tensor.pkl", PickleWriter.pickle(4, tensor), "single tensor");
        fails("list.pkl", PickleWriter.pickle(4, List.of(1, 2)), "holds a list", "G_ema");
        // a protocol-2 set (REDUCE of __builtin__.set) parses; the dict simply lacks G_ema
        fails("set2.pkl", PickleWriter.pickle(2, Map.of("s", new Call(new G("__builtin__", "set"), List.of(1, 2)))), "no 'G_ema'", "[s]");

        MiniCheckpoints.Nv noEma = new MiniCheckpoints.Nv();
        noEma.editTop = top -> top.remove("G_ema");
        fails("no-gema.pkl", pkl(noEma), "no 'G_ema'", "[G, D, training_set_kwargs]");

        MiniCheckpoints.Nv sg3 = new MiniCheckpoints.Nv();
        sg3.styleGan3 = true;
        fails("sg3.pkl", pkl(sg3), "StyleGAN3");

        MiniCheckpoints.Nv resnet = new MiniCheckpoints.Nv();
        resnet.architecture = "resnet";
        fails("resnet.pkl", pkl(resnet), "architecture 'resnet'", "only the 'skip' architecture");

        MiniCheckpoints.Nv cond = new MiniCheckpoints.Nv();
        cond.cDim = 10;
        fails("cond.pkl", pkl(cond), "conditional generator (c_dim = 10)");

        MiniCheckpoints.Nv gEmaIsDict = new MiniCheckpoints.Nv();
        gEmaIsDict.editTop = top -> top.put("G_ema", new LinkedHashMap<>(Map.of("a", 1)));
        fails("gema-dict.pkl", pkl(gEmaIsDict), "G_ema is a dict, not a persistent NVlabs module");

        // an NVlabs network saved with torch.save instead of pickle
        Map<String, MiniCheckpoints.Named> none = new LinkedHashMap<>();
        Path f = dir.resolve("nv-in-zip.pt");
        MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, Map.of("G_ema", 1)), none, "a");
        fails(f, "no 'g_ema'", "use the .pkl");
    }

    @Test
    void tensorsThatDoNotMatchTheHyperParameters() throws Exception {
        Map<String, Tensor> bad = new LinkedHashMap<>(p);
        bad.put("synthesis.b4.const", Tensor.zeros(16, 4, 3));
        bad.remove("synthesis.b8.conv1.noise_const");
        fails("shapes.pkl", MiniCheckpoints.nvlabsPkl(c, bad, new MiniCheckpoints.Nv()),
                "synthesis.b4.const has shape [16, 4, 3], expected [16, 4, 4]", "synthesis.b8.conv1.noise_const is missing");
        // a [C, 4, 2] const makes it StyleGAN-Human's half-width layout, whose noise buffers are half as wide too
        Map<String, Tensor> half = new LinkedHashMap<>(p);
        half.put("synthesis.b4.const", Tensor.zeros(16, 4, 2));
        fails("half.pkl", MiniCheckpoints.nvlabsPkl(c, half, new MiniCheckpoints.Nv()),
                "aspect=half_width", "synthesis.b4.conv1.noise_const has shape [4, 4], expected [4, 2]");

        MiniCheckpoints.Nv ints = new MiniCheckpoints.Nv();
        ints.replaceStorageOf = "mapping.w_avg";
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(MiniCheckpoints.legacyHeader());
        b.writeBytes(PickleWriter.pickle(2, new PickleWriter.PersId(new Object[] {"storage", new G("torch", "LongStorage"), "k", "cpu", 16, null})));
        b.writeBytes(PickleWriter.pickle(2, List.of("k")));
        b.writeBytes(ByteBuffer.allocate(8 + 16 * 8).order(ByteOrder.LITTLE_ENDIAN).putLong(16).array());
        ints.replacementStorage = b.toByteArray();
        fails("int-storage.pkl", pkl(ints), "mapping.w_avg is stored as LongStorage");
    }

    @Test
    void rosinalityOddities() throws Exception {
        Map<String, MiniCheckpoints.Named> sd = MiniCheckpoints.rosinalityStateDict(c, p);
        sd.put("extra.layer.weight", new MiniCheckpoints.Named(new float[4], new int[] {4}));
        Map<String, MiniCheckpoints.Named> storages = new LinkedHashMap<>();
        Path f = dir.resolve("extra.pt");
        MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, MiniCheckpoints.rosinalityTop(sd, p.get("mapping.w_avg"), false, storages)), storages, "archive");
        fails(f, "does not know", "extra.layer.weight");

        Map<String, MiniCheckpoints.Named> sd2 = MiniCheckpoints.rosinalityStateDict(c, p);
        sd2.remove("convs.1.conv.weight");
        Map<String, MiniCheckpoints.Named> st2 = new LinkedHashMap<>();
        Path g = dir.resolve("hole.pt");
        MiniCheckpoints.writeTorchZip(g, PickleWriter.pickle(2, MiniCheckpoints.rosinalityTop(sd2, p.get("mapping.w_avg"), false, st2)), st2, "archive");
        fails(g, "g_ema has no convs.1.conv.weight");
    }

    @Test
    void halfPrecisionStoragesBecomeFloat32() throws Exception {
        MiniCheckpoints.Nv half = new MiniCheckpoints.Nv();
        half.dtype = TorchDType.FLOAT16;
        Path f = dir.resolve("half.pkl");
        Files.write(f, pkl(half));
        Checkpoint ck = Checkpoints.loadUncached(f);
        for (Map.Entry<String, Tensor> e : p.entrySet()) {
            float[] v = e.getValue().toFloatArray();
            for (int i = 0; i < v.length; i++) v[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
            Golden.assertBitEqual(e.getKey(), Tensor.of(v, e.getValue().shape()), ck.param(e.getKey()));
            assertEquals(DType.F32, ck.param(e.getKey()).dtype());
        }
        MiniCheckpoints.Nv bf = new MiniCheckpoints.Nv();
        bf.dtype = TorchDType.BFLOAT16;
        Files.write(f, pkl(bf));
        float[] w = Checkpoints.loadUncached(f).param("mapping.fc0.weight").toFloatArray();
        float[] exp = p.get("mapping.fc0.weight").toFloatArray();
        for (int i = 0; i < w.length; i++) assertEquals(Float.intBitsToFloat(Float.floatToRawIntBits(exp[i]) & 0xffff0000), w[i]);
    }

    private Path writeZip(String name, Map<String, byte[]> entries) throws Exception {
        Path f = dir.resolve(name);
        MiniCheckpoints.writeZip(f, entries);
        return f;
    }

    private static Map<String, byte[]> readZip(Path f) throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(f.toFile())) {
            for (java.util.zip.ZipEntry e : java.util.Collections.list(z.entries())) m.put(e.getName(), z.getInputStream(e).readAllBytes());
        }
        return m;
    }
}
