package io.github.dragganjvm.stylegan.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.github.dragganjvm.stylegan.io.RawSafetensors.entry;
import static io.github.dragganjvm.stylegan.io.RawSafetensors.f32;
import static io.github.dragganjvm.stylegan.io.RawSafetensors.file;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Malformed and hostile safetensors files: each ends in one CheckpointException whose one-line message starts with
 * the file and says what is wrong; none allocates what it claims, overflows the stack or hangs (each case runs under
 * a time limit; the claims are far beyond any heap).
 */
class SafeTensorsHostileTest {
    @TempDir Path dir;

    private String rejected(String name, byte[] bytes, String... expected) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(CheckpointException.class, () -> SafeTensors.read(f)));
        String m = e.getMessage();
        System.out.println(name + ": " + (m.length() > 400 ? m.substring(0, 400) + "..." : m));
        assertTrue(m.startsWith(f.toString() + ": "), m);
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        for (String s : expected) assertTrue(m.contains(s), "expected '" + s + "' in: " + m);
        return m;
    }

    private String rejected(String name, String header, byte[] data, String... expected) throws Exception {
        return rejected(name, file(header, data), expected);
    }

    private static String one(String dtype, String shape, long begin, long end) { return "{" + entry("t", dtype, shape, begin, end) + "}"; }

    @Test
    void headerLength() throws Exception {
        rejected("short", new byte[5], "5 bytes is too short");
        rejected("huge-length", file(1L << 40, "{}".getBytes(), new byte[0]), "header length 1099511627776", "limit of 100000000");
        rejected("u64-max", file(-1L, "{}".getBytes(), new byte[0]), "18446744073709551615", "limit of 100000000");
        rejected("past-the-end", file(1000, "{}".getBytes(), new byte[18]), "header length 1000 exceeds the 20 bytes after the length field", "truncated");
        rejected("tiny", file(1, "{".getBytes(), new byte[0]), "too short for a JSON object");
        rejected("not-brace", "[]      ", new byte[0], "does not start with '{' (first byte 0x5b)");
        rejected("leading-space", " {}     ", new byte[0], "does not start with '{' (first byte 0x20)");
    }

    @Test
    void strictJson() throws Exception {
        rejected("truncated-json", "{\"a\":", new byte[0], "rejected by the strict JSON parser", "unexpected end of input");
        rejected("garbage-after", "{} x", new byte[0], "unexpected 'x' after the end of the JSON value at byte 3");
        rejected("two-objects", "{}{}", new byte[0], "after the end of the JSON value");
        rejected("nul-padding", "{}\0\0\0\0\0\0", new byte[0], "unexpected byte 0x00 after the end");
        rejected("dup-tensor", "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 0, 4) + "}", f32(1), "duplicate key 'a'");
        rejected("dup-field", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", f32(1), "duplicate key 'dtype'");
        rejected("dup-meta", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", new byte[0], "duplicate key 'k'");
        rejected("dup-metadata-key", "{\"__metadata__\":{},\"__metadata__\":{}}", new byte[0], "duplicate key '__metadata__'");
        rejected("control-char", "{\"a\u0001\":1}", new byte[0], "control character 0x01 in a string");
        rejected("bad-escape", "{\"a\\x\":1}", new byte[0], "invalid escape 'x'");
        rejected("lone-surrogate", "{\"a\\ud800\":1}", new byte[0], "unpaired surrogate escape \\ud800");
        rejected("lone-low-surrogate", "{\"a\\udc00b\":1}", new byte[0], "unpaired surrogate escape \\udc00");
        rejected("leading-zero", one("F32", "[01]", 0, 4), f32(1), "leading zero");
        rejected("nan", one("F32", "[NaN]", 0, 4), f32(1), "unexpected 'N' where a value was expected");
        rejected("comment", "{/* x */}", new byte[0], "expected a string key but found '/'");
        rejected("single-quotes", "{'a':1}", new byte[0], "expected a string key but found ''");
        rejected("trailing-comma", "{\"__metadata__\":{},}", new byte[0], "expected a string key but found '}'");
        rejected("bare-word", "{\"a\":tru}", new byte[0], "invalid literal (expected 'true')");
        // invalid UTF-8 in a name: 0xC3 0x28 is a truncated two-byte sequence; 0xED 0xA0 0x80 an encoded surrogate
        byte[] bad = "{\"a\u00ff(\":1}".getBytes(StandardCharsets.ISO_8859_1);
        bad[3] = (byte) 0xC3;
        rejected("bad-utf8", file(bad.length, bad, new byte[0]), "invalid UTF-8 in a string");
        byte[] cesu = RawSafetensors.concat("{\"a".getBytes(), new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\":1}".getBytes());
        rejected("cesu-utf8", file(cesu.length, cesu, new byte[0]), "invalid UTF-8 in a string");
    }

    @Test
    void deepNestingIsRefusedWithoutRecursion() throws Exception {
        String deep = "{\"__metadata__\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}";
        rejected("deep", deep, new byte[0], "nested deeper than 8 levels");
    }

    @Test
    void metadata() throws Exception {
        rejected("meta-string", "{\"__metadata__\":\"x\"}", new byte[0], "__metadata__ is a string, not an object of strings");
        rejected("meta-number", "{\"__metadata__\":{\"k\":1}}", new byte[0], "metadata 'k' is a number; metadata values must be strings");
        rejected("meta-null", "{\"__metadata__\":{\"k\":null}}", new byte[0], "metadata 'k' is null");
        rejected("meta-object", "{\"__metadata__\":{\"k\":{\"a\":\"b\"}}}", new byte[0], "metadata 'k' is an object");
        rejected("meta-long-key", "{\"__metadata__\":{\"" + "k".repeat(4097) + "\":\"v\"}}", new byte[0], "longer than 4096 characters");
    }

    @Test
    void tensorEntries() throws Exception {
        rejected("not-object", "{\"t\":[1]}", new byte[0], "tensor 't' is an array, not an object");
        rejected("no-offsets", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", f32(1), "tensor 't' has no 'data_offsets'");
        rejected("extra-key", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"offsets\":[0,4]}}", f32(1), "unknown key 'offsets'");
        rejected("dtype-number", "{\"t\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1), "dtype that is a number, not a string");
        rejected("unknown-dtype", one("Q4", "[1]", 0, 4), f32(1), "unknown dtype 'Q4'");
        rejected("old-dtype-name", one("float16", "[2]", 0, 4), f32(1), "unknown dtype 'float16'");
        rejected("i64", one("I64", "[1]", 0, 8), new byte[8], "tensor 't' has dtype I64; only F32, F64, F16, BF16 are read");
        rejected("shape-object", "{\"t\":{\"dtype\":\"F32\",\"shape\":{},\"data_offsets\":[0,4]}}", f32(1), "shape that is an object, not an array");
        rejected("negative-dim", one("F32", "[-1]", 0, 4), f32(1), "shape [-1]: dimension 0 is not an integer in [0, 2^31)");
        rejected("fraction-dim", one("F32", "[1.5]", 0, 4), f32(1), "shape [1.5]: dimension 0 is not an integer");
        rejected("exponent-dim", one("F32", "[1e0]", 0, 4), f32(1), "dimension 0 is not an integer");
        rejected("big-dim", one("F32", "[2147483648]", 0, 4), f32(1), "dimension 0 is not an integer in [0, 2^31)");
        rejected("huge-dim", one("F32", "[184467440737095516150]", 0, 4), f32(1), "dimension 0 is not an integer");
        rejected("rank-17", one("F32", "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", 0, 4), f32(1), "17 dimensions, more than the limit of 16");
        rejected("numel-overflow", one("F32", "[2147483647,2147483647,2147483647,2147483647,2147483647]", 0, 4), f32(1), "more than 2147483639 elements");
        rejected("offsets-short", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", f32(1), "data_offsets [0], not an array of two integers");
        rejected("offsets-string", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0,4\"}}", f32(1), "data_offsets '0,4', not an array");
        rejected("offsets-negative", one("F32", "[1]", -4, 0), f32(1), "begin is not an integer in [0, 2^63)");
        rejected("offsets-u64", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551615]}}", f32(1),
                "data_offsets [0, 18446744073709551615]: end is not an integer in [0, 2^63)");
        rejected("begin-after-end", one("F32", "[1]", 8, 4), f32(1, 2), "data_offsets [8, 4]: begin after end");
        rejected("size-mismatch", one("F32", "[3]", 0, 8), f32(1, 2), "(F32, shape [3]) needs 12 bytes but its data_offsets [0, 8] span 8");
        rejected("name-too-long", one("F32", "[1]", 0, 4).replace("\"t\"", "\"" + "n".repeat(4097) + "\""), f32(1), "name longer than 4096 characters");
    }

    @Test
    void claimsBeyondTheFileAllocateNothing() throws Exception {
        // 2^31 - 9 floats (8 GiB) claimed, 16 bytes present
        rejected("claims-8gib", one("F32", "[2147483639]", 0, 8_589_934_556L), f32(1, 2, 3, 4), "reaching beyond the 16-byte data buffer", "truncated");
        // 10^12 bytes over several tensors of plausible size, 8 bytes present
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i < 500; i++) h.append(i == 0 ? "" : ",").append(entry("t" + i, "F64", "[250000000]", 2_000_000_000L * i, 2_000_000_000L * (i + 1)));
        rejected("claims-1tb", h.append('}').toString(), new byte[8], "reaching beyond the 8-byte data buffer");
    }

    /** A consistent file (a sparse one: no disk used) whose tensor needs more than the heap: refused before allocating. */
    @Test
    void tensorLargerThanTheHeapIsRefusedBeforeAllocating() throws Exception {
        long heap = Runtime.getRuntime().maxMemory();
        org.junit.jupiter.api.Assumptions.assumeTrue(heap < 4 * SafeTensors.MAX_ELEMENTS, "a heap larger than one tensor can be");
        long numel = heap / 4 + 1;
        String header = one("F32", "[" + numel + "]", 0, 4 * numel);
        Path f = dir.resolve("sparse.safetensors");
        Files.write(f, file(header, new byte[0]));
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() + 4 * numel);
        }
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(CheckpointException.class, () -> SafeTensors.read(f)));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().contains("need " + 4 * numel + " bytes of memory, more than this JVM's maximum heap of " + heap), e.getMessage());
        assertEquals(numel, SafeTensors.readHeader(f).tensors().get("t").numel(), "the header itself is fine");
    }

    @Test
    void tensorsMustTileTheBuffer() throws Exception {
        rejected("overlap", "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", f32(1, 2, 3),
                "tensors 'a' F32 [2] [0, 8) and 'b' F32 [2] [4, 12) overlap");
        // two names for the same bytes (the duplicate-key attack without the duplicate key)
        rejected("alias", "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "U8", "[8]", 0, 8) + "}", f32(1, 2), "overlap");
        rejected("empty-inside", "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("e", "F32", "[0]", 4, 4) + "}", f32(1, 2), "'e' F32 [0] [4, 4) overlap");
        rejected("hole", "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12) + "}", f32(1, 2, 3),
                "bytes [4, 8) of the safetensors data buffer belong to no tensor", "hole");
        rejected("hole-at-start", one("F32", "[1]", 4, 8), f32(1, 2), "bytes [0, 4) of the safetensors data buffer belong to no tensor");
        rejected("trailing-bytes", one("F32", "[1]", 0, 4), f32(1, 2), "bytes [4, 8) at the end of the safetensors data buffer belong to no tensor");
        rejected("no-tensors-but-data", "{}", f32(1), "bytes [0, 4) at the end");
    }

    @Test
    void countLimits() throws Exception {
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i <= SafeTensors.MAX_TENSORS; i++) h.append(i == 0 ? "" : ",").append(entry("t" + i, "F32", "[0]", 0, 0));
        rejected("too-many-tensors", h.append('}').toString(), new byte[0], "100001 tensors, more than the limit of 100000");

        StringBuilder m = new StringBuilder("{\"__metadata__\":{");
        for (int i = 0; i <= SafeTensors.MAX_METADATA_ENTRIES; i++) m.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"\"");
        rejected("too-many-metadata", m.append("}}").toString(), new byte[0], "10001 entries, more than the limit of 10000");

        ByteArrayOutputStream v = new ByteArrayOutputStream();
        v.writeBytes("{\"__metadata__\":{\"k\":[".getBytes());
        for (long i = 0; i <= SafeTensors.MAX_JSON_VALUES; i++) v.writeBytes(i == 0 ? new byte[] {'0'} : new byte[] {',', '0'});
        v.writeBytes("]}}".getBytes());
        byte[] hv = v.toByteArray();
        rejected("too-many-values", file(hv.length, hv, new byte[0]), "more than 4000000 JSON values");
    }

    @Test
    void hostileFilesThroughTheCheckpointLoader() throws Exception {
        // recognised as safetensors by content, then refused by the same checks (whatever the file name)
        Path f = dir.resolve("overlap.pkl");
        Files.write(f, file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", f32(1, 2, 3)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().startsWith(f + ": safetensors tensors 'a'"), e.getMessage());
        // a valid safetensors file that is not our generator
        Path g = dir.resolve("other.safetensors");
        Files.write(g, file("{\"__metadata__\":{\"format\":\"pt\"}," + entry("bert.w", "F32", "[1]", 0, 4) + "}", f32(1)));
        CheckpointException e2 = assertThrows(CheckpointException.class, () -> Checkpoints.load(g));
        System.out.println(e2.getMessage());
        assertTrue(e2.getMessage().contains("a safetensors file, but not a draggan-stylegan2 generator checkpoint (metadata 'format' is 'pt'; 1 tensors, first ['bert.w'])"),
                e2.getMessage());
        // an implausible header length is not taken for safetensors
        Path h = dir.resolve("h.safetensors");
        Files.write(h, file(1L << 40, "{}".getBytes(), new byte[0]));
        CheckpointException e3 = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(h));
        assertTrue(e3.getMessage().contains("not a checkpoint: it starts with bytes 00 00 00 00"), e3.getMessage());
    }
}
