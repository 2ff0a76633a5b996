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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Files that lie about sizes or nest absurdly end in a clear CheckpointException: no OutOfMemoryError, no
 * StackOverflowError, no hang (each case runs under a time limit).
 */
class ResourceLimitsTest {
    @TempDir Path dir;

    private String rejected(String name, byte[] bytes, String... expected) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return rejected(f, expected);
    }

    private String rejected(Path f, String... expected) {
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f)));
        System.out.println(f.getFileName() + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void byteStringsClaimingMoreThanTheFile() throws Exception {
        rejected("binbytes.pkl", new PickleWriter().proto(4).op('B').le(0xffffffffL, 4).raw(new byte[10]).stop().toBytes(),
                "BINBYTES claims 4294967295 bytes", "remain");
        rejected("binbytes8.pkl", new PickleWriter().proto(4).op(0x8e).le(1L << 62, 8).stop().toBytes(), "claims 4611686018427387904 bytes");
        rejected("unicode8.pkl", new PickleWriter().proto(4).op(0x8d).le(-1L, 8).stop().toBytes(), "more than 2^63");
        rejected("long4.pkl", new PickleWriter().proto(4).op(0x8b).le(-5, 4).stop().toBytes(), "negative length");
        rejected("binunicode.pkl", new PickleWriter().proto(4).op('X').le(2_000_000_000L, 4).raw(new byte[100]).stop().toBytes(), "claims 2000000000 bytes");
    }

    @Test
    void storageClaimingTenToTheTwelveElements() throws Exception {
        // in a network pickle: the embedded legacy save says 10^12 floats but holds 16
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 1);
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        o.replaceStorageOf = "synthesis.b4.const";
        o.replacementStorage = MiniCheckpoints.legacyStorageClaiming(TorchDType.FLOAT32, new float[16], "k", 1_000_000_000_000L);
        rejected("huge-blob.pkl", MiniCheckpoints.nvlabsPkl(c, p, o), "1000000000000", "synthesis.b4.const");

        // in a torch zip: the persistent id of input.input says 10^12 elements, its entry holds 1 KiB
        Map<String, MiniCheckpoints.Named> storages = new LinkedHashMap<>();
        @SuppressWarnings("unchecked")
        Map<String, Object> top = (Map<String, Object>) MiniCheckpoints.rosinalityTop(MiniCheckpoints.rosinalityStateDict(c, p), p.get("mapping.w_avg"), false, storages);
        @SuppressWarnings("unchecked") Map<String, Object> g = (Map<String, Object>) top.get("g_ema");
        g.put("input.input", new Call(new G("torch._utils", "_rebuild_tensor_v2"),
                new PersId(new Object[] {"storage", new G("torch", "FloatStorage"), "huge", "cpu", 1_000_000_000_000L}),
                0, new Object[] {1, 16, 4, 4}, new Object[] {256, 16, 4, 1}, false, new ODict(Map.of())));
        storages.put("huge", new MiniCheckpoints.Named(new float[256], new int[] {256}));
        Path f = dir.resolve("huge.pt");
        MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, top), storages, "archive");
        rejected(f, "1000000000000", "input.input", "archive/data/huge");
    }

    @Test
    void tensorShapesBeyondTwoToTheThirtyOneOrTheirStorage() throws Exception {
        byte[] blob = MiniCheckpoints.legacyStorage(TorchDType.FLOAT32, new float[16], "k");
        Object st = new Call(new G("torch.storage", "_load_from_bytes"), blob);
        Object huge = new Call(new G("torch._utils", "_rebuild_tensor_v2"), st, 0, new Object[] {65536, 65536, 65536}, new Object[] {1, 1, 1}, false, new ODict(Map.of()));
        rejected("huge-shape.pkl", PickleWriter.pickle(4, Map.of("G_ema", huge)), "more than 2^31 elements");
        Object beyond = new Call(new G("torch._utils", "_rebuild_tensor_v2"), st, 10, new Object[] {4, 4}, new Object[] {4, 1}, false, new ODict(Map.of()));
        Object negative = new Call(new G("torch._utils", "_rebuild_tensor_v2"), st, 0, new Object[] {4, 4}, new Object[] {4, -4}, false, new ODict(Map.of()));
        rejected("neg-stride.pkl", PickleWriter.pickle(4, Map.of("G_ema", negative)), "stride");
        rejected("bare-tensor.pkl", PickleWriter.pickle(4, beyond), "single tensor");
    }

    @Test
    void viewPastTheEndOfItsStorage() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 3);
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        // synthesis.b4.const is [16, 4, 4] = 256 floats; give it a storage of 100
        o.replaceStorageOf = "synthesis.b4.const";
        o.replacementStorage = MiniCheckpoints.legacyStorage(TorchDType.FLOAT32, new float[100], "k");
        rejected("short-storage.pkl", MiniCheckpoints.nvlabsPkl(c, p, o), "synthesis.b4.const", "reaches element 255 of a storage of 100 elements");
    }

    @Test
    void zipEntryClaimingMoreThanTheFile() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Path f = dir.resolve("big-entry.pt");
        MiniCheckpoints.rosinalityZip(f, c, MiniCheckpoints.randomParams(c, 4), true);
        byte[] b = Files.readAllBytes(f);
        // patch the uncompressed size of entry archive/data/0 in the central directory (and its local header)
        String name = "archive/data/0";
        patchSizes(b, name, 0x7fff0000);
        Files.write(f, b);
        rejected(f, "archive/data/0");
    }

    /** Sets the compressed and uncompressed sizes of every header of the named entry. */
    static void patchSizes(byte[] b, String name, int size) {
        byte[] n = name.getBytes();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 46 < b.length; i++) {
            int sig = bb.getInt(i);
            if (sig == 0x02014b50 && bb.getShort(i + 28) == n.length && matches(b, i + 46, n)) {  // central directory
                bb.putInt(i + 20, size).putInt(i + 24, size);
            } else if (sig == 0x04034b50 && bb.getShort(i + 26) == n.length && matches(b, i + 30, n)) {  // local header
                bb.putInt(i + 18, size).putInt(i + 22, size);
            }
        }
    }

    private static boolean matches(byte[] b, int at, byte[] n) {
        if (at + n.length > b.length) return false;
        for (int i = 0; i < n.length; i++) if (b[at + i] != n[i]) return false;
        return true;
    }

    @Test
    void deepNestingNeverRecurses() throws Exception {
        // 300,000 nested lists as an attribute of G_ema: parsed iteratively, never walked
        int depth = 300_000;
        ByteArrayOutputStream deep = new ByteArrayOutputStream();
        for (int i = 0; i < depth; i++) deep.write(']');
        for (int i = 1; i < depth; i++) deep.write('a');
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        o.extraGEmaState.put("deep", new Raw(deep.toByteArray()));
        Path f = dir.resolve("deep-attr.pkl");
        Files.write(f, MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 5), o));
        Checkpoint ck = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Checkpoints.loadUncached(f));
        assertEquals(c, ck.config());

        // the same nesting used as a dict key (Python would hash it; Java's hashCode would recurse): refused
        ByteArrayOutputStream key = new ByteArrayOutputStream();
        key.writeBytes(new byte[] {(byte) 0x80, 4, '}'});
        key.writeBytes(deep.toByteArray());
        key.writeBytes(new byte[] {'N', 's', '.'});
        rejected("deep-key.pkl", key.toByteArray(), "dict key or set item of type list is not supported");

        // a list that contains itself, as a set item
        byte[] cyclic = new PickleWriter().proto(4).op(0x8f).op(']').op(0x94).op('h').u8(0).op('a').op('0').mark().op('h').u8(0).op(0x90).stop().toBytes();
        rejected("cyclic.pkl", cyclic, "set item of type list");

        // persistent modules nested 100 deep inside G_ema
        Object m = null;
        for (int i = 0; i < 100; i++) {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("_parameters", new ODict(Map.of()));
            state.put("_buffers", new ODict(Map.of()));
            state.put("_modules", new ODict(m == null ? Map.of() : Map.of("m", m)));
            m = new Call(new G("torch_utils.persistence", "_reconstruct_persistent_obj"), Map.of("type", "class", "class_name", "M", "state", state));
        }
        o = new MiniCheckpoints.Nv();
        Object nested = m;
        o.editTop = top -> top.put("G_ema", generatorWithExtra(nested));
        rejected("deep-modules.pkl", MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 6), o), "nested deeper than 32");
    }

    /** The mini G_ema with one more submodule, "extra". */
    static Object generatorWithExtra(Object extra) {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        java.util.concurrent.atomic.AtomicReference<Object> gEma = new java.util.concurrent.atomic.AtomicReference<>();
        o.editTop = top -> gEma.set(top.get("G_ema"));
        MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 7), o);
        Call call = (Call) gEma.get();
        @SuppressWarnings("unchecked") Map<String, Object> meta = (Map<String, Object>) call.args()[0];
        @SuppressWarnings("unchecked") Map<String, Object> state = (Map<String, Object>) meta.get("state");
        Map<Object, Object> m = new LinkedHashMap<>(((ODict) state.get("_modules")).items());
        m.put("extra", extra);
        state.put("_modules", new ODict(m));
        return call;
    }

    @Test
    void opcodeStackAndMemoCaps() throws Exception {
        // 5 million + 1 (NONE, POP) pairs: more opcodes than any checkpoint has
        int n = (int) (SafeUnpickler.MAX_OPCODES / 2 + 1);
        byte[] b = new byte[2 + 2 * n + 2];
        b[0] = (byte) 0x80;
        b[1] = 4;
        for (int i = 0; i < n; i++) {
            b[2 + 2 * i] = 'N';
            b[3 + 2 * i] = '0';
        }
        b[b.length - 2] = 'N';
        b[b.length - 1] = '.';
        rejected("many-opcodes.pkl", b, "more than 5000000 opcodes");
        // a million and one values on the stack
        byte[] s = new byte[2 + SafeUnpickler.MAX_STACK + 2];
        s[0] = (byte) 0x80;
        s[1] = 4;
        java.util.Arrays.fill(s, 2, s.length - 1, (byte) 'N');
        s[s.length - 1] = '.';
        rejected("deep-stack.pkl", s, "stack deeper than");
    }

    @Test
    void truncatedInsideAnOpcode() throws Exception {
        byte[] ok = PickleWriter.pickle(4, Map.of("key", "a long enough string value", "n", List.of(1, 2, 3)));
        for (int cut = 1; cut < ok.length; cut++) {
            byte[] b = java.util.Arrays.copyOf(ok, cut);
            Path f = dir.resolve("cut" + cut + ".pkl");
            Files.write(f, b);
            if (cut < 4) {
                rejected(f, "too short");
                continue;
            }
            String msg = rejected(f);
            assertTrue(msg.contains("truncated") || msg.contains("remain"), msg);
        }
    }
}
