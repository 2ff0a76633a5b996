package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.github.dragganjvm.stylegan.io.RawSafetensors.entry;
import static io.github.dragganjvm.stylegan.io.RawSafetensors.file;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The safetensors reader and writer on valid files: byte-exact agreement with the reference writer's documented
 * outputs, round trips of every layout we write, F16/BF16 widening against IEEE values written out by hand, the
 * Python reference reader where it is installed, and the writer's determinism, atomicity and permissions.
 */
class SafeTensorsFormatTest {
    @TempDir Path dir;

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    private byte[] written(String name, Map<String, String> meta, Map<String, Tensor> tensors) throws IOException {
        Path f = dir.resolve(name);
        SafeTensors.write(f, meta, tensors);
        return Files.readAllBytes(f);
    }

    /** Expected bytes copied from the unit tests of huggingface/safetensors (safetensors/src/tensor.rs, serialize()). */
    @Test
    void sameBytesAsTheReferenceWriter() throws Exception {
        float[] v = {0, 1, 2, 3, 4, 5};
        // test_serialization: a 64-byte header needs no padding
        assertArrayEquals(bytes(64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
                116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
                58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
                101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
                0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64),
                written("a.safetensors", Map.of(), Map.of("attn.0", Tensor.of(v, 1, 2, 3))));
        // test_serialization_forced_alignement: 65 bytes padded with 7 spaces to 72
        assertArrayEquals(bytes(72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
                121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
                91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
                115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
                32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
                160, 64),
                written("b.safetensors", Map.of(), Map.of("attn0", Tensor.of(v, 1, 1, 2, 3))));
        // test_empty, without and with metadata
        assertArrayEquals(bytes(8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32), written("c.safetensors", Map.of(), Map.of()));
        assertArrayEquals(bytes(40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
                95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
                116, 34, 125, 125, 32, 32, 32, 32, 32),
                written("d.safetensors", Map.of("framework", "pt"), Map.of()));
        // and those files read back
        SafeTensors.Contents c = SafeTensors.read(dir.resolve("b.safetensors"));
        assertArrayEquals(new int[] {1, 1, 2, 3}, c.tensors().get("attn0").shape());
        assertArrayEquals(v, c.tensors().get("attn0").toFloatArray());
        assertEquals(Map.of("framework", "pt"), SafeTensors.read(dir.resolve("d.safetensors")).metadata());
    }

    @Test
    void roundTripOfEveryLayoutWeWrite() throws Exception {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("w", Tensor.randn(DType.F32, 7, 3, 5, 2));
        t.put("a.scalar", Tensor.scalar(DType.F32, -1.25));
        t.put("z.empty", Tensor.zeros(0, 5));
        t.put("b.f64", Tensor.of(new double[] {-0.0, 1e-300, Double.MAX_VALUE, Double.MIN_VALUE, 1.0 / 3}, 5));
        t.put("c.odd", Tensor.of(new float[] {1, 2, 3}, 3));                       // 12 bytes: the F64 below must still be 8-aligned
        t.put("d.f64", Tensor.of(new double[] {Math.PI}, 1, 1));
        Tensor base = Tensor.randn(DType.F32, 8, 4, 6);
        t.put("v.transposed", base.transposeView(0, 1));                          // a non-contiguous view
        t.put("v.slice", base.sliceView(0, 1, 3));                                // a view with an offset
        t.put("ünï.名前 \"q\"\n", Tensor.of(new float[] {Float.MIN_VALUE, -Float.MAX_VALUE}, 2));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("text", "line\nbreak \"quoted\" back\\slash\ttab é 😀 \u0001");
        meta.put("empty", "");
        Path f = dir.resolve("all.safetensors");
        SafeTensors.write(f, meta, t);

        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(meta, c.metadata());
        assertEquals(t.keySet(), c.tensors().keySet());
        for (Map.Entry<String, Tensor> e : t.entrySet()) {
            Tensor got = c.tensors().get(e.getKey());
            assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
            assertEquals(e.getValue().dtype(), got.dtype(), e.getKey());
            double[] a = e.getValue().toDoubleArray(), b = got.toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), e.getKey() + "[" + i + "]: " + a[i] + " vs " + b[i]);
            }
        }
        // layout: F64 tensors first (element size, then name), everything aligned, the header padded to 8
        List<String> order = new ArrayList<>(c.header().tensors().keySet());
        assertEquals(List.of("b.f64", "d.f64", "a.scalar", "c.odd", "v.slice", "v.transposed", "w", "z.empty", "ünï.名前 \"q\"\n"), order);
        assertEquals(0, c.header().dataStart() % 8);
        for (SafeTensors.TensorInfo i : c.header().tensors().values()) {
            assertEquals(0, i.begin() % (i.dtype().equals("F64") ? 8 : 4), i.toString());
        }
        assertEquals(Files.size(f), c.header().dataStart() + c.header().dataLength());
        // metadata first, keys sorted; exactly what the header holds
        String header = new String(Files.readAllBytes(f), 8, (int) c.header().dataStart() - 8, StandardCharsets.UTF_8);
        System.out.println(header);
        assertTrue(header.startsWith("{\"__metadata__\":{\"empty\":\"\",\"text\":\"line\\nbreak \\\"quoted\\\" back\\\\slash\\ttab é 😀 \\u0001\"}"), header);
        assertTrue(header.endsWith("}") || header.endsWith(" "), header);
    }

    @Test
    void writingIsDeterministic() throws Exception {
        Map<String, Tensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        Tensor x = Tensor.randn(DType.F32, 1, 4, 4), y = Tensor.randn(DType.F64, 2, 3);
        a.put("x", x);
        a.put("y", y);
        b.put("y", y);
        b.put("x", x.copy());
        Map<String, String> ma = new LinkedHashMap<>(Map.of("k1", "1")), mb = new TreeMap<>(Map.of("k1", "1"));
        ma.put("k0", "0");
        mb.put("k0", "0");
        assertArrayEquals(written("1.safetensors", ma, a), written("2.safetensors", mb, b));
    }

    /** F16/BF16 bit patterns with their values worked out from the IEEE 754 / bfloat16 definitions. */
    @Test
    void halfPrecisionWidensExactly() throws Exception {
        int[] f16 = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3555, 0x8000, 0x7C00, 0x0400, 0x7E00};
        float[] f16Values = {1f, -2f, 65504f, 5.9604644775390625E-8f /* 2^-24 */, 0.333251953125f /* 2^-2 * (1 + 341/1024) */,
                -0f, Float.POSITIVE_INFINITY, 6.103515625E-5f /* 2^-14 */, Float.NaN};
        int[] bf16 = {0x3F80, 0xC040, 0x4049, 0x0001, 0x7F7F, 0xFF80};
        float[] bf16Values = {1f, -3f, 3.140625f /* 2 * (1 + 73/128) */, 9.183549615799121E-41f /* 2^-133 */,
                3.3895313892515355E38f /* (2 - 2^-7) * 2^127 */, Float.NEGATIVE_INFINITY};
        String header = "{" + entry("h", "F16", "[3,3]", 0, 18) + "," + entry("b", "BF16", "[6]", 18, 30) + ","
                + entry("d", "F64", "[2]", 30, 46) + "}";
        Path f = dir.resolve("half.safetensors");
        Files.write(f, file(header, RawSafetensors.concat(RawSafetensors.u16(f16), RawSafetensors.u16(bf16), RawSafetensors.f64(1.5, -2.25))));
        SafeTensors.Contents c = SafeTensors.read(f);
        Tensor h = c.tensors().get("h"), b = c.tensors().get("b"), d = c.tensors().get("d");
        assertEquals(DType.F32, h.dtype());
        assertArrayEquals(new int[] {3, 3}, h.shape());
        float[] hv = h.toFloatArray(), bv = b.toFloatArray();
        for (int i = 0; i < f16.length; i++) {
            assertEquals(Float.floatToIntBits(f16Values[i]), Float.floatToIntBits(hv[i]), String.format("F16 0x%04x: expected %s, got %s", f16[i], f16Values[i], hv[i]));
        }
        for (int i = 0; i < bf16.length; i++) {
            assertEquals(Float.floatToIntBits(bf16Values[i]), Float.floatToIntBits(bv[i]), String.format("BF16 0x%04x: expected %s, got %s", bf16[i], bf16Values[i], bv[i]));
        }
        assertEquals(DType.F64, d.dtype());
        assertArrayEquals(new double[] {1.5, -2.25}, d.toDoubleArray());
    }

    /** What the format allows beyond what we write: any entry order, whitespace, scalars, empty tensors sharing an offset. */
    @Test
    void acceptsValidFilesOfOtherWriters() throws Exception {
        String header = "{ \"b\" : {\"shape\":[2], \"data_offsets\":[4,12], \"dtype\":\"F32\"},\n\t\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + entry("e1", "F32", "[0]", 4, 4) + "," + entry("e2", "I8", "[3,0]", 4, 4) + ",\"__metadata__\":{\"k\":\"\\u00e9\\ud83d\\ude00\"}}\r\n   ";
        Path f = dir.resolve("other.bin");
        Files.write(f, file(header, RawSafetensors.f32(7, 8, 9)));
        SafeTensors.Contents c = SafeTensors.read(f, n -> !n.equals("e2"));
        assertEquals(List.of("a", "e1", "e2", "b"), new ArrayList<>(c.header().tensors().keySet()));
        assertEquals(7f, c.tensors().get("a").item());
        assertArrayEquals(new float[] {8, 9}, c.tensors().get("b").toFloatArray());
        assertEquals(0, c.tensors().get("e1").numel());
        assertFalse(c.tensors().containsKey("e2"), "not selected: validated but not read");
        assertEquals("é😀", c.metadata().get("k"));
        // the reference's own example (safetensors tensor.rs test_empty_shapes_allowed): an I32 scalar; the header is fine,
        // but an I32 is not read
        Path i32 = dir.resolve("i32.safetensors");
        Files.write(i32, file("{\"test\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]));
        assertArrayEquals(new int[] {}, SafeTensors.readHeader(i32).tensors().get("test").shape());
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.read(i32));
        assertTrue(e.getMessage().contains("'test' has dtype I32; only F32, F64, F16, BF16 are read"), e.getMessage());
    }

    @Test
    void detectionByContent() throws Exception {
        assertTrue(SafeTensors.looksLikeSafeTensors(file("{}", new byte[0])));
        assertTrue(SafeTensors.looksLikeSafeTensors(file(100_000_000, "{".getBytes(), new byte[0])), "plausible, if truncated");
        assertFalse(SafeTensors.looksLikeSafeTensors(file(100_000_001, "{".getBytes(), new byte[0])), "header length beyond the limit");
        assertFalse(SafeTensors.looksLikeSafeTensors(file(1, "{".getBytes(), new byte[0])));
        assertFalse(SafeTensors.looksLikeSafeTensors(file("[]", new byte[0])));
        assertFalse(SafeTensors.looksLikeSafeTensors(Arrays.copyOf(file("{}", new byte[0]), 8)), "fewer than 9 bytes");
        assertFalse(SafeTensors.looksLikeSafeTensors(bytes(0x80, 2, '}', 'q', 0, '(', 'X', 1, 0, 0)), "a protocol-2 pickle");
        assertFalse(SafeTensors.looksLikeSafeTensors(bytes(0x80, 4, 0x95, 0x34, 0x12, 0, 0, 0, 0, '{')), "a protocol-4 pickle with a frame");
        assertFalse(SafeTensors.looksLikeSafeTensors(bytes('P', 'K', 3, 4, 20, 0, 0, 0, 8)), "a zip (deflated entry)");
        // the golden torch.save zip and protocol-4 network pickle
        assertFalse(SafeTensors.looksLikeSafeTensors(Arrays.copyOf(Files.readAllBytes(GoldenCheckpointTest.rosinality()), 9)));
        assertFalse(SafeTensors.looksLikeSafeTensors(Arrays.copyOf(Files.readAllBytes(GoldenCheckpointTest.pkl("tiny-random-256")), 9)));
    }

    // ------------------------------------------------------------------ the writer's guarantees

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aTensorFailingMidWayLeavesThePreviousFileIntact() throws Exception {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, Map.of("v", "1"), Map.of("a", Tensor.randn(DType.F32, 1, 100)));
        byte[] before = Files.readAllBytes(f);
        float[] bad = new float[300_000];
        bad[299_999] = Float.NaN;
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.randn(DType.F32, 2, 500_000));   // written before the bad one: 2 MB already on disk when it fails
        t.put("b", Tensor.of(bad, 300_000));
        t.put("c", Tensor.randn(DType.F32, 3, 10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of("v", "2"), t));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().contains("tensor 'b' [300000] holds NaN at flat index 299999"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f), "the previous file is unchanged");
        assertEquals(List.of("model.safetensors"), listing(), "no temporary file is left behind");

        float[] inf = {1, Float.NEGATIVE_INFINITY};
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of(), Map.of("x", Tensor.of(inf, 2))));
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of("model.safetensors"), listing());
    }

    @Test
    void failedRenameLeavesNothingBehind() throws Exception {
        // the target is a non-empty folder: the data is written, the rename fails
        Path target = dir.resolve("taken");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "keep");
        assertThrows(IOException.class, () -> SafeTensors.write(target, Map.of(), Map.of("a", Tensor.zeros(4))));
        assertEquals("keep", Files.readString(target.resolve("keep.txt")));
        assertEquals(List.of("taken"), listing());
        // a missing folder
        assertThrows(NoSuchFileException.class, () -> SafeTensors.write(dir.resolve("absent/m.safetensors"), Map.of(), Map.of()));
        assertEquals(List.of("taken"), listing());
    }

    @Test
    void unwritableFolderLeavesThePreviousFileIntact() throws Exception {
        Assumptions.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        Path sub = Files.createDirectory(dir.resolve("ro"));
        Path f = sub.resolve("m.safetensors");
        SafeTensors.write(f, Map.of(), Map.of("a", Tensor.zeros(4)));
        byte[] before = Files.readAllBytes(f);
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Assumptions.assumeFalse(Files.isWritable(sub), "running as root: folder permissions do not apply");
            assertThrows(IOException.class, () -> SafeTensors.write(f, Map.of(), Map.of("a", Tensor.randn(DType.F32, 1, 4))));
            assertArrayEquals(before, Files.readAllBytes(f));
        } finally {
            Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try (Stream<Path> s = Files.list(sub)) {
            assertEquals(List.of("m.safetensors"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void normalPermissions() throws Exception {
        Assumptions.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, Map.of(), Map.of("a", Tensor.zeros(4)));
        Set<PosixFilePermission> plain = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain")));
        System.out.println("written: " + PosixFilePermissions.toString(Files.getPosixFilePermissions(f)) + ", a new file: " + PosixFilePermissions.toString(plain));
        assertEquals(plain, Files.getPosixFilePermissions(f), "the same permissions as any new file (umask), not a temp file's rw-------");
    }

    @Test
    void writerRefusesWhatItCannotStoreFaithfully() throws Exception {
        Path f = dir.resolve("x.safetensors");
        String m1 = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of(), Map.of(SafeTensors.METADATA_KEY, Tensor.zeros(1)))).getMessage();
        assertTrue(m1.contains("may not be named __metadata__"), m1);
        String m2 = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of(), Map.of("a".repeat(4097), Tensor.zeros(1)))).getMessage();
        assertTrue(m2.contains("longer than 4096"), m2);
        String m3 = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of("k", "bad \ud800 surrogate"), Map.of())).getMessage();
        assertTrue(m3.contains("unpaired surrogate"), m3);
        assertTrue(listing().isEmpty(), listing().toString());
    }

    // ------------------------------------------------------------------ the reference reader

    /**
     * Our files through the reference implementation (Python safetensors), where it is installed: same names, dtypes,
     * shapes, values and metadata. Skipped otherwise; the project does not depend on Python.
     */
    @Test
    void referenceReaderReadsOurFiles() throws Exception {
        Assumptions.assumeTrue(python("import safetensors.numpy, numpy") == 0, "python3 with the safetensors and numpy packages is not installed");
        Path f = dir.resolve("py.safetensors");
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("G_ema.w", Tensor.of(new float[] {1.5f, -0.1f, 3e-38f, 65504f, 1e30f, -0f}, 2, 3));
        t.put("D.s", Tensor.scalar(DType.F32, 0.25));
        t.put("x64", Tensor.of(new double[] {Math.PI, -1e-300}, 2));
        t.put("e", Tensor.zeros(0, 3));
        SafeTensors.write(f, Map.of("format", "draggan-stylegan2", "note", "é\n\"x\""), t);
        Path out = dir.resolve("py.txt");
        String script = "import sys, json\nfrom safetensors.numpy import load_file\nfrom safetensors import safe_open\n"
                + "t = load_file(sys.argv[1])\nwith safe_open(sys.argv[1], 'np') as f: meta = f.metadata()\n"
                + "lines = [json.dumps(meta, sort_keys=True)]\n"
                + "for k in sorted(t): lines.append(k + ' ' + str(t[k].dtype) + ' ' + str(list(t[k].shape)) + ' ' + ' '.join(repr(float(x)) for x in t[k].ravel()))\n"
                + "open(sys.argv[2], 'w', encoding='utf-8').write('\\n'.join(lines))\n";
        assertEquals(0, python(script, f.toString(), out.toString()));
        List<String> lines = Files.readAllLines(out);
        System.out.println(String.join("\n", lines));
        assertEquals("{\"format\": \"draggan-stylegan2\", \"note\": \"\\u00e9\\n\\\"x\\\"\"}", lines.get(0));
        List<String> expected = new ArrayList<>();
        for (String k : new TreeMap<>(t).keySet()) {
            Tensor x = t.get(k);
            StringBuilder sb = new StringBuilder(k + " " + (x.dtype() == DType.F64 ? "float64" : "float32") + " " + Arrays.toString(x.shape()) + " ");
            for (double v : x.toDoubleArray()) sb.append(pythonRepr(v)).append(' ');
            expected.add(sb.toString().trim());
        }
        assertEquals(expected, lines.subList(1, lines.size()));
    }

    private static String pythonRepr(double v) {
        String s = Double.toString(v);   // same shortest digits as Python's repr for these values, other spelling
        if (s.contains("E")) {
            String[] p = s.split("E");
            String mant = p[0].endsWith(".0") ? p[0].substring(0, p[0].length() - 2) : p[0];
            int exp = Integer.parseInt(p[1]);
            return mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        return s;
    }

    private static int python(String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", script));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            if (p.exitValue() != 0 && args.length > 0) System.out.println(out);
            return p.exitValue();
        } catch (IOException noPython) {
            return -1;
        }
    }
}
