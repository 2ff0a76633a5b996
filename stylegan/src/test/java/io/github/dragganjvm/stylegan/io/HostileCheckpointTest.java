package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.io.PickleWriter.Call;
import io.github.dragganjvm.stylegan.io.PickleWriter.G;
import io.github.dragganjvm.stylegan.io.PickleWriter.ODict;
import io.github.dragganjvm.stylegan.io.PickleWriter.PersId;
import io.github.dragganjvm.stylegan.io.PickleWriter.Raw;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hostile checkpoints of issue 12, each a small file built here, each refused with one line (a
 * {@link CheckpointException} starting with the file's path) instead of an OutOfMemoryError or hours of work:
 * <ol>
 *   <li>tensors whose shape and strides claim far more elements than their storage holds (stride 0, overlapping
 *       strides, two tensors on the same storage elements): a 15 KB file describing a "valid" 15000-channel
 *       generator from one float per tensor ({@link #strideZeroViewsOfOneFloatDescribeAHugeGenerator});</li>
 *   <li>submodules shared through the pickle memo, a DAG 30 levels deep (2^30 paths), and a module that contains
 *       itself ({@link #sharedAndCyclicSubmodules});</li>
 *   <li>work amplification inside the pickle: OrderedDict of a memoized list of 100k pairs 100k times, BUILD with a
 *       memoized 100k-entry state 100k times, _codecs.encode of a memoized 1 MiB string 8000 times
 *       ({@link #workAmplificationInsideThePickle});</li>
 *   <li>NaN, infinite and huge (|w| >= 2^64) weights in every format ({@link #nonFiniteAndHugeWeights});</li>
 *   <li>a torch zip with two entries of the same name ({@link #duplicateZipEntries}), and one whose compressed
 *       entries inflate far beyond the file ({@link #compressedZipEntriesInflatingBeyondTheFile});</li>
 *   <li>a source rewritten with the same size and mtime, changed only in the middle ({@link #cacheNoticesAChangeInTheMiddle}).</li>
 * </ol>
 * The worst of them are also loaded in a separate JVM with a 1 GiB heap ({@link #refusedWithAOneGigabyteHeap}).
 */
class HostileCheckpointTest {
    @TempDir Path dir;

    private static final G REBUILD = new G("torch._utils", "_rebuild_tensor_v2");
    private static final G FROM_BYTES = new G("torch.storage", "_load_from_bytes");

    private String rejected(String name, byte[] bytes, String... expected) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return rejected(f, expected);
    }

    /** Loads f (no cache) under a hang guard; the error must be one line, start with the path and contain expected. */
    private static String rejected(Path f, String... expected) {
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f)));
        String m = e.getMessage();
        System.out.println(f.getFileName() + " (" + size(f) + " bytes): " + m);
        assertTrue(m.startsWith(f.toString() + ": "), m);
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        for (String s : expected) assertTrue(m.contains(s), "expected '" + s + "' in: " + m);
        return m;
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()). */
    private static Call tensor(Object storage, int offset, int[] size, long[] stride) {
        Object[] sz = new Object[size.length], st = new Object[stride.length];
        for (int i = 0; i < size.length; i++) sz[i] = size[i];
        for (int i = 0; i < stride.length; i++) st[i] = stride[i];
        return new Call(REBUILD, storage, offset, sz, st, false, new ODict(Map.of()));
    }

    /** An embedded legacy storage (as in a network pickle) of these floats. */
    private static Call embedded(String key, float... v) {
        return new Call(FROM_BYTES, MiniCheckpoints.legacyStorage(TorchDType.FLOAT32, v, key));
    }

    // ------------------------------------------------------------------ 1. shapes and strides against storages

    @Test
    void strideZeroViewsOfOneFloatDescribeAHugeGenerator() throws Exception {
        // 15000 channels at 4x4: conv1.weight alone is 15000 * 15000 * 9 = 2.0e9 floats (8 GB); every tensor is a
        // stride-0 view of its own one-float storage. Names, shapes and hyper-parameters are all consistent.
        byte[] b = strideZeroGenerator();
        assertTrue(b.length < 50_000, b.length + " bytes");
        rejected("stride0-generator.pkl", b, "synthesis.b4.const", "[15000, 4, 4]", "stride 0", "overlapping elements");

        // the tiny generator with one tensor whose strides overlap without being 0: [16, 4, 4] with strides [1, 1, 1]
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 1);
        MiniCheckpoints.Nv o2 = new MiniCheckpoints.Nv();
        o2.tensorValue = (name, t) -> name.equals("synthesis.b8.conv1.bias")
                ? tensor(embedded("k", new float[64]), 0, new int[] {16}, new long[] {0}) : null;
        rejected("stride0-bias.pkl", MiniCheckpoints.nvlabsPkl(c, p, o2), "synthesis.b8.conv1.bias", "stride 0");
        MiniCheckpoints.Nv o3 = new MiniCheckpoints.Nv();
        o3.tensorValue = (name, t) -> name.equals("synthesis.b4.const")
                ? tensor(embedded("k", new float[64]), 0, new int[] {16, 4, 4}, new long[] {1, 1, 1}) : null;
        rejected("overlap.pkl", MiniCheckpoints.nvlabsPkl(c, p, o3), "synthesis.b4.const", "overlapping elements", "within the reach 15");

        // names and shapes are checked against the config before any storage is looked at: this const claims 2^31
        // elements over a storage that claims 10^12 floats, and is refused for its shape
        MiniCheckpoints.Nv o4 = new MiniCheckpoints.Nv();
        o4.tensorValue = (name, t) -> name.equals("synthesis.b4.const")
                ? tensor(new Call(FROM_BYTES, MiniCheckpoints.legacyStorageClaiming(TorchDType.FLOAT32, new float[1], "k", 1_000_000_000_000L)),
                0, new int[] {46340, 46340}, new long[] {0, 0}) : null;
        rejected("wrong-shape.pkl", MiniCheckpoints.nvlabsPkl(c, p, o4), "synthesis.b4.const has shape [46340, 46340], expected [16, 4, 4]");
        // an unknown tensor name is refused before data too
        MiniCheckpoints.Nv o5 = new MiniCheckpoints.Nv();
        o5.editTop = top -> top.put("G_ema", ResourceLimitsTest.generatorWithExtra(MiniCheckpoints.module(new MiniCheckpoints.Nv(), "M",
                Map.of(), Map.of("w", tensor(embedded("k", 1f), 0, new int[] {1}, new long[] {1})), Map.of(), Map.of(), Map.of())));
        rejected("unknown-tensor.pkl", MiniCheckpoints.nvlabsPkl(c, p, o5), "extra.w is not a tensor of this generator");

        // rosinality zip: a stride-0 input.input, then two tensors on the same storage elements
        Map<String, MiniCheckpoints.Named> storages = new LinkedHashMap<>();
        Map<String, Object> top = rosinalityTop(c, p, storages);
        g(top).put("input.input", tensor(new PersId(new Object[] {"storage", new G("torch", "FloatStorage"), "one", "cpu", 1}), 0,
                new int[] {1, 16, 4, 4}, new long[] {0, 0, 0, 0}));
        storages.put("one", new MiniCheckpoints.Named(new float[1], new int[] {1}));
        Path f = dir.resolve("stride0.pt");
        MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, top), storages, "archive");
        rejected(f, "input.input", "stride 0");

        storages = new LinkedHashMap<>();
        top = rosinalityTop(c, p, storages);
        // style.1.bias is storage "1" (the second tensor written); let style.2.bias view it too
        g(top).put("style.2.bias", tensor(new PersId(new Object[] {"storage", new G("torch", "FloatStorage"), "1", "cpu", 16}), 0,
                new int[] {16}, new long[] {1}));
        f = dir.resolve("shared.pt");
        MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, top), storages, "archive");
        rejected(f, "style.1.bias", "style.2.bias", "read the same bytes");

        // network pickle: one memoized blob given to _load_from_bytes twice (two storage objects, the same bytes)
        byte[] blob = MiniCheckpoints.legacyStorage(TorchDType.FLOAT32, new float[256], "k");
        MiniCheckpoints.Nv o6 = new MiniCheckpoints.Nv();
        o6.tensorValue = (name, t) -> switch (name) {
            case "synthesis.b4.const" -> tensor(new Call(FROM_BYTES, new Raw(new PickleWriter().bytes(blob).raw(put(3000)).toBytes())), 0,
                    new int[] {16, 4, 4}, new long[] {16, 4, 1});
            case "synthesis.b4.conv1.bias" -> tensor(new Call(FROM_BYTES, new Raw(get(3000))), 0, new int[] {16}, new long[] {1});
            default -> null;
        };
        MiniCheckpoints.Nv gOnly = o6;
        gOnly.editTop = m -> m.remove("G");   // G would repeat the memo entry
        rejected("same-blob.pkl", MiniCheckpoints.nvlabsPkl(c, p, o6), "synthesis.b4.const", "synthesis.b4.conv1.bias", "read the same bytes");
    }

    /** A 15000-channel 4x4 generator, every tensor a stride-0 view of its own one-float storage. */
    static byte[] strideZeroGenerator() {
        GeneratorConfig big = new GeneratorConfig(16, 16, 0, 4, 3, 1, 0.01, 4 * 15000, 15000, null, 0, "skip");
        Map<String, Tensor> dummy = new LinkedHashMap<>();
        for (String k : big.requiredShapes().keySet()) dummy.put(k, Tensor.zeros(1));
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        o.tensorValue = (name, t) -> {
            int[] shape = big.requiredShapes().get(name);
            return tensor(embedded("s" + Math.abs(name.hashCode()), 0.5f), 0, shape, new long[shape.length]);
        };
        return MiniCheckpoints.nvlabsPkl(big, dummy, o);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> rosinalityTop(GeneratorConfig c, Map<String, Tensor> p, Map<String, MiniCheckpoints.Named> storages) {
        return (Map<String, Object>) MiniCheckpoints.rosinalityTop(MiniCheckpoints.rosinalityStateDict(c, p), p.get("mapping.w_avg"), false, storages);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> g(Map<String, Object> top) { return (Map<String, Object>) top.get("g_ema"); }

    // ------------------------------------------------------------------ 2. shared and cyclic submodules

    /** A persistent module whose state holds these (pickled) values. */
    private static Call module(Object parameters, Object modules) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("_parameters", parameters);
        state.put("_buffers", new ODict(Map.of()));
        state.put("_modules", modules);
        return new Call(new G("torch_utils.persistence", "_reconstruct_persistent_obj"), Map.of("type", "class", "class_name", "M", "state", state));
    }

    private static byte[] get(int memo) { return new PickleWriter().op('j').le(memo, 4).toBytes(); }

    private static byte[] put(int memo) { return new PickleWriter().op('r').le(memo, 4).toBytes(); }

    @Test
    void sharedAndCyclicSubmodules() throws Exception {
        // M0 has one parameter; M(i+1)._modules = {a: Mi, b: Mi}, Mi taken from the memo: 31 modules in the file,
        // 2^30 paths to M0 (a walk without a visited set would collect 2^30 parameters)
        rejected("dag.pkl", dagPickle(), "submodule G_ema.extra", "is the same module object as G_ema.extra", "shared or cyclic submodules are not supported");

        // a module that is its own child: its _modules dict is memoized and gets the module after it is made
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        PickleWriter cyc = new PickleWriter();
        Raw modules = new Raw(new PickleWriter().global("collections", "OrderedDict").op(')').op('R').raw(put(2000)).toBytes());
        cyc.value(module(new ODict(Map.of()), modules)).raw(put(2001))
                .raw(get(2000)).str("self").raw(get(2001)).op('s').op('0');   // leaves the module on the stack
        Object cyclic = new Raw(cyc.toBytes());
        o.editTop = top -> top.put("G_ema", ResourceLimitsTest.generatorWithExtra(cyclic));
        rejected("cycle.pkl", MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 2), o),
                "submodule G_ema.extra.self is the same module object as G_ema.extra");
    }

    /** The tiny generator with an extra submodule tree: a DAG of 30 levels, two edges from each level to the next. */
    static byte[] dagPickle() {
        int base = 1000, levels = 30;
        PickleWriter w = new PickleWriter();
        w.value(module(new ODict(Map.of("w", tensor(embedded("k", 1f), 0, new int[] {1}, new long[] {1}))), new ODict(Map.of())))
                .raw(put(base)).op('0');
        for (int i = 1; i <= levels; i++) {
            Map<String, Object> kids = new LinkedHashMap<>();
            kids.put("a", new Raw(get(base + i - 1)));
            kids.put("b", new Raw(get(base + i - 1)));
            w.value(module(new ODict(Map.of()), new ODict(kids))).raw(put(base + i)).op('0');
        }
        w.raw(get(base + levels));
        Object dag = new Raw(w.toBytes());
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        o.editTop = top -> top.put("G_ema", ResourceLimitsTest.generatorWithExtra(dag));
        return MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 2), o);
    }

    // ------------------------------------------------------------------ 3. work amplification

    @Test
    void workAmplificationInsideThePickle() throws Exception {
        int n = 100_000, k = 100_000;
        // OrderedDict(memoized list of n pairs), k times: k * n = 10^10 insertions without a budget
        PickleWriter w = new PickleWriter().proto(4);
        w.op(']').op('q').u8(0).mark().str("key").integer(1).op(0x86).op('q').u8(1);
        for (int i = 1; i < n; i++) w.op('h').u8(1);
        w.op('e').op('0');
        w.global("collections", "OrderedDict").op('q').u8(2).op('0');
        for (int i = 0; i < k; i++) w.op('h').u8(2).op('h').u8(0).op(0x85).op('R').op('0');
        byte[] b = w.op('N').stop().toBytes();
        rejected("ordereddict-amplification.pkl", b, "more work than its size allows", "collections.OrderedDict", "limit");

        // BUILD of an OrderedDict with a memoized state of n entries, k times (each copies the state into _metadata-like attributes)
        w = new PickleWriter().proto(4);
        w.global("collections", "OrderedDict").op(')').op('R').op('q').u8(0).op('0');
        w.op('}').op('q').u8(1).mark();
        for (int i = 0; i < n; i++) w.op('J').le(i, 4).op('N');
        w.op('u').op('0');
        w.op('h').u8(0);
        for (int i = 0; i < k; i++) w.op('h').u8(1).op('b');
        b = w.stop().toBytes();
        rejected("build-amplification.pkl", b, "more work than its size allows", "BUILD");

        // _codecs.encode(memoized 1 MiB str, 'latin1'), 8000 times, each result kept in a list: 8 GB without a budget
        rejected("codecs-amplification.pkl", codecsAmplification(), "more work than its size allows", "_codecs.encode");
    }

    /** A list of 8000 results of _codecs.encode(s, 'latin1') with one memoized 1 MiB string s. */
    static byte[] codecsAmplification() {
        char[] text = new char[1 << 20];
        Arrays.fill(text, 'a');
        PickleWriter w = new PickleWriter().proto(4);
        w.op(']');
        w.global("_codecs", "encode").op('q').u8(0).op('0');
        w.str(new String(text)).op('q').u8(1).op('0');
        w.str("latin1").op('q').u8(2).op('0');
        for (int i = 0; i < 8000; i++) w.op('h').u8(0).op('h').u8(1).op('h').u8(2).op(0x86).op('R').op('a');
        return w.stop().toBytes();
    }

    @Test
    void goldenFilesUseLessThanHalfTheirWorkBudget() throws Exception {
        for (String model : List.of("compact-128", "variant-128")) {
            Path f = GoldenCheckpointTest.pkl(model);
            try (ByteSource src = ByteSource.open(f)) {
                SafeUnpickler u = new SafeUnpickler(f.toString(), AllowList.networkPickle(), null);
                NvlabsNetwork.read(f.toString(), u.loadFrom(new BoundedInput(src, 0)));
                WorkBudget wb = u.budget();
                System.out.println(model + ": work " + wb.used() + " of " + wb.limit() + " units (" + src.size() + " bytes)");
                assertTrue(wb.used() < wb.limit() / 2, model + ": " + wb.used() + " of " + wb.limit());
            }
        }
    }

    // ------------------------------------------------------------------ 4. values

    @Test
    void nonFiniteAndHugeWeights() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 3);
        float[][] bad = {withAt(256, 77, Float.NaN), withAt(256, 3, Float.NEGATIVE_INFINITY), withAt(256, 200, 3e20f)};
        String[] shown = {"holds NaN at flat index 77", "holds -Infinity at flat index 3", "holds 3.0E20 at flat index 200"};
        for (int i = 0; i < bad.length; i++) {
            MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
            o.replaceStorageOf = "synthesis.b4.const";
            o.replacementStorage = MiniCheckpoints.legacyStorage(TorchDType.FLOAT32, bad[i], "k");
            rejected("values" + i + ".pkl", MiniCheckpoints.nvlabsPkl(c, p, o), "tensor synthesis.b4.const [16, 4, 4] " + shown[i], "must be finite");
        }
        // 2^64 exactly is refused, the float just below it loads
        assertThrows(CheckpointException.class, () -> WeightValues.require("f", "t", new int[] {1}, new float[] {-0x1p64f}));
        WeightValues.require("f", "t", new int[] {1}, new float[] {Math.nextDown(0x1p64f)});

        // rosinality zip: an infinity in a converted tensor
        Map<String, MiniCheckpoints.Named> storages = new LinkedHashMap<>();
        Map<String, Object> top = rosinalityTop(c, p, storages);
        storages.get("1").data()[5] = Float.POSITIVE_INFINITY;   // style.1.bias
        Path f = dir.resolve("inf.pt");
        MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, top), storages, "archive");
        rejected(f, "tensor style.1.bias [16] holds Infinity at flat index 5");

        // safetensors: saving refuses a huge weight; a file written around that check is refused on loading
        Path st = dir.resolve("huge.safetensors");
        Map<String, Tensor> hugeParams = new LinkedHashMap<>(p);
        hugeParams.put("mapping.fc0.bias", Tensor.of(withAt(16, 2, 1e20f), 16));
        IllegalArgumentException save = assertThrows(IllegalArgumentException.class,
                () -> Checkpoints.saveSafetensors(st, c, hugeParams, Map.of(), Map.of()));
        assertTrue(save.getMessage().contains("G_ema.mapping.fc0.bias [16] holds 1.0E20 at flat index 2"), save.getMessage());
        Checkpoints.saveSafetensors(st, c, p, Map.of(), Map.of());
        SafeTensors.Contents ok = SafeTensors.read(st);
        Map<String, Tensor> tensors = new LinkedHashMap<>(ok.tensors());
        tensors.put("G_ema.mapping.fc0.bias", hugeParams.get("mapping.fc0.bias"));
        SafeTensors.write(st, ok.header().metadata(), tensors);
        rejected(st, "tensor G_ema.mapping.fc0.bias [16] holds 1.0E20 at flat index 2", "|w| >= 2^64");
    }

    private static float[] withAt(int n, int at, float v) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (i % 7) * 0.1f - 0.3f;
        a[at] = v;
        return a;
    }

    // ------------------------------------------------------------------ 5. zip entries

    @Test
    void duplicateZipEntries() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 4);
        Map<String, MiniCheckpoints.Named> storages = new LinkedHashMap<>();
        Map<String, Object> top = rosinalityTop(c, p, storages);
        // a second copy of style.1.weight's entry "archive/data/0", with other values, written as archive/data/Z and renamed
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", PickleWriter.pickle(2, top));
        for (Map.Entry<String, MiniCheckpoints.Named> e : storages.entrySet()) {
            entries.put("archive/data/" + e.getKey(), MiniCheckpoints.raw(TorchDType.FLOAT32, e.getValue().data()));
        }
        entries.put("archive/data/Z", MiniCheckpoints.raw(TorchDType.FLOAT32, new float[storages.get("0").data().length]));
        entries.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        Path f = dir.resolve("duplicate.pt");
        MiniCheckpoints.writeZip(f, entries);
        byte[] b = Files.readAllBytes(f);
        byte[] from = "archive/data/Z".getBytes(StandardCharsets.US_ASCII), to = "archive/data/0".getBytes(StandardCharsets.US_ASCII);
        int renamed = 0;
        for (int i = 0; i + from.length <= b.length; i++) {
            if (Arrays.equals(b, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, b, i, to.length);
                renamed++;
            }
        }
        assertEquals(2, renamed, "the name in the local header and in the central directory");
        Files.write(f, b);
        rejected(f, "two entries named 'archive/data/0'", "PyTorch reads the first");
    }

    @Test
    void compressedZipEntriesInflatingBeyondTheFile() throws Exception {
        // honest, re-zipped with compression: random weights deflate to about their size and load
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 5);
        Path f = dir.resolve("deflated.pt");
        writeDeflatedTorchZip(f, c, p, false, 0);
        Checkpoint ck = Checkpoints.loadUncached(f);
        assertArrayEquals(p.get("mapping.fc1.weight").toFloatArray(), ck.param("mapping.fc1.weight").toFloatArray());

        // one entry larger than the whole file is refused by itself
        GeneratorConfig big = new GeneratorConfig(256, 256, 0, 4, 3, 8, 0.01, 64, 16, null, 0, "skip");
        Map<String, Tensor> bp = MiniCheckpoints.randomParams(big, 6);
        Path bomb = dir.resolve("bomb1.pt");
        writeDeflatedTorchZip(bomb, big, bp, true, 0);
        rejected(bomb, "zip entry 'archive/data/0' claims 262144 bytes, more than the whole file");
        // 8 mapping layers of 256 x 256 zeros, each entry (256 KiB) smaller than the file (320 KiB of incompressible
        // padding), together 2 MiB: more than the file may inflate to (1 MiB + 2 bytes per byte)
        bomb = dir.resolve("bomb8.pt");
        writeDeflatedTorchZip(bomb, big, bp, true, 320 << 10);
        assertTrue(Files.size(bomb) < 400_000, Files.size(bomb) + " bytes");
        rejected(bomb, "more work than its size allows", "bytes of zip entry 'archive/data/");
    }

    /**
     * A rosinality torch zip with DEFLATED entries (torch writes STORED ones), optionally with all values 0, and an
     * unreferenced entry of that many random bytes.
     */
    private static void writeDeflatedTorchZip(Path f, GeneratorConfig c, Map<String, Tensor> p, boolean zeros, int padding) throws Exception {
        Map<String, MiniCheckpoints.Named> storages = new LinkedHashMap<>();
        Map<String, Object> top = rosinalityTop(c, p, storages);
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(f))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("archive/data.pkl"));
            zip.write(PickleWriter.pickle(2, top));
            for (Map.Entry<String, MiniCheckpoints.Named> e : storages.entrySet()) {
                zip.putNextEntry(new java.util.zip.ZipEntry("archive/data/" + e.getKey()));
                float[] v = zeros ? new float[e.getValue().data().length] : e.getValue().data();
                zip.write(MiniCheckpoints.raw(TorchDType.FLOAT32, v));
            }
            if (padding > 0) {
                byte[] noise = new byte[padding];
                new java.util.Random(7).nextBytes(noise);
                zip.putNextEntry(new java.util.zip.ZipEntry("archive/padding"));
                zip.write(noise);
            }
        }
    }

    // ------------------------------------------------------------------ 6. the weight cache

    @Test
    void cacheNoticesAChangeInTheMiddle() throws Exception {
        // 1.5 MiB of padding before and after G_ema: a key made of size, mtime and the first and last MiB misses the
        // change of every weight
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        byte[] pad = new byte[3 << 19];
        Path src = dir.resolve("padded.pkl");
        Files.write(src, padded(c, 1, pad));
        WeightCache cache = WeightCache.at(dir.resolve("cache"));
        Checkpoint first = Checkpoints.load(src, cache);
        assertFalse(first.fromCache());
        assertTrue(Checkpoints.load(src, cache).fromCache());

        FileTime mtime = Files.getLastModifiedTime(src);
        byte[] before = Files.readAllBytes(src), after = padded(c, 2, pad);
        assertEquals(before.length, after.length);
        int firstDiff = Arrays.mismatch(before, after), lastDiff = before.length - 1;
        while (before[lastDiff] == after[lastDiff]) lastDiff--;
        assertTrue(firstDiff > 1 << 20 && lastDiff < before.length - (1 << 20), "changed bytes " + firstDiff + ".." + lastDiff + " of " + before.length);
        Files.write(src, after);
        Files.setLastModifiedTime(src, mtime);

        Checkpoint second = Checkpoints.load(src, cache);
        assertFalse(second.fromCache(), "the changed file must be converted again");
        assertFalse(first.sameWeights(second));
        assertTrue(second.sameWeights(Checkpoints.loadUncached(src)));
        assertTrue(Checkpoints.load(src, cache).fromCache());
    }

    private static byte[] padded(GeneratorConfig c, long seed, byte[] pad) {
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        o.editTop = top -> {
            top.put("G", pad);
            top.put("training_set_kwargs", pad);
        };
        return MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, seed), o);
    }

    // ------------------------------------------------------------------ a small heap

    /** Loads each file given, printing one line per file: REFUSED, LOADED or CRASHED (any other Throwable). */
    public static void main(String[] args) {
        for (String a : args) {
            try {
                Checkpoints.loadUncached(Path.of(a));
                System.out.println("LOADED " + a);
            } catch (CheckpointException e) {
                System.out.println("REFUSED " + a);
            } catch (Throwable t) {
                System.out.println("CRASHED " + a + " " + t);
            }
        }
    }

    @Test
    void refusedWithAOneGigabyteHeap() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx1g", "-cp", System.getProperty("java.class.path"), HostileCheckpointTest.class.getName()));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("heap-stride0.pkl", strideZeroGenerator());
        files.put("heap-dag.pkl", dagPickle());
        files.put("heap-codecs.pkl", codecsAmplification());
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path f = dir.resolve(e.getKey());
            Files.write(f, e.getValue());
            cmd.add(f.toString());
        }
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try {
            assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "the 1 GiB JVM did not finish within 60 s");
            out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            proc.destroyForcibly();
        }
        System.out.println("-Xmx1g JVM:\n" + out);
        for (String name : files.keySet()) assertTrue(out.contains("REFUSED " + dir.resolve(name)), name + " not refused in:\n" + out);
        assertEquals(0, proc.exitValue(), out);
    }
}
