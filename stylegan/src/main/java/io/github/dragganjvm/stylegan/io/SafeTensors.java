package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.HostStorage;
import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Reads and writes the safetensors format (Hugging Face), safely: any file, however hostile, ends either in its
 * tensors or in one {@link CheckpointException} whose one-line message names the file and the problem; no claim in a
 * file makes us allocate memory or read bytes the file does not have.
 *
 * <p>Format: 8 bytes N, a little-endian unsigned 64-bit integer; N bytes of UTF-8 JSON, the header, starting with
 * <code>{</code> and possibly padded with trailing spaces; then the data buffer. The header is an object mapping each
 * tensor name to <code>{"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}</code> (offsets in bytes,
 * relative to the start of the data buffer; elements little-endian, row-major; shape [] is a scalar), plus an
 * optional {@value #METADATA_KEY} object whose values are all strings.
 *
 * <p>A header is accepted only when all of these hold (checked for the whole header before any tensor is allocated):
 * N &lt;= {@value #MAX_HEADER_BYTES} (the reference implementation's limit) and N &lt;= file size - 8; strict JSON (see
 * {@link StrictJson}: duplicate keys, trailing bytes, comments, invalid UTF-8 refused; nesting at most
 * {@value #MAX_JSON_DEPTH} levels); at most {@value #MAX_TENSORS} tensors and {@value #MAX_METADATA_ENTRIES} metadata
 * entries; names and metadata keys at most {@value #MAX_NAME_CHARS} characters; each tensor entry has exactly the
 * three keys; dtype one of the format's names; at most {@value #MAX_RANK} dimensions, each an integer in [0, 2^31);
 * fewer than 2^31 elements; 0 &lt;= begin &lt;= end &lt;= buffer size and end - begin = elements * dtype size
 * (overflow-checked); and the tensors, sorted by offset, tile the buffer exactly: no overlap, no hole, nothing after
 * the last one (as the format requires, so that no byte of the file is unaccounted for).
 *
 * <p>Reading converts to {@link Tensor}s: F32 and F64 as they are, F16 and BF16 widened exactly to F32; any other dtype
 * is refused naming the tensor and the dtype. Values are not checked (NaN and infinities come through; model loaders
 * check them). Writing is deterministic, atomic and refuses non-finite values; see {@link #write}.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** The header key of the string-to-string metadata. */
    public static final String METADATA_KEY = "__metadata__";
    /** Largest header accepted or written, in bytes (the reference implementation's limit). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Most tensors in one file. */
    public static final int MAX_TENSORS = 100_000;
    /** Most metadata entries in one file. */
    public static final int MAX_METADATA_ENTRIES = 10_000;
    /** Longest tensor name or metadata key, in characters. */
    public static final int MAX_NAME_CHARS = 4096;
    /** Most dimensions of one tensor. */
    public static final int MAX_RANK = 16;
    /** Most elements of one tensor (a Java array's limit). */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Deepest JSON nesting accepted in the header (a valid header needs 3: root, tensor entry, shape). */
    static final int MAX_JSON_DEPTH = 8;
    /** Most JSON values in a header: enough for {@link #MAX_TENSORS} tensors of rank {@link #MAX_RANK}. */
    static final long MAX_JSON_VALUES = 4_000_000L;

    private static final int CHUNK = 1 << 20;

    /** The dtypes of the format, with their element sizes in bytes (sub-byte types are not listed, so refused). */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1),
            Map.entry("F8_E8M0", 1), Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2), Map.entry("BF16", 2),
            Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4), Map.entry("F64", 8), Map.entry("I64", 8),
            Map.entry("U64", 8), Map.entry("C64", 8));

    /** The dtypes {@link #read} converts to tensors. */
    public static final List<String> READABLE_DTYPES = List.of("F32", "F64", "F16", "BF16");

    /**
     * One tensor's entry in a validated header.
     *
     * @param name  the tensor's name
     * @param dtype the format's dtype name ("F32", "BF16", ...)
     * @param shape dimensions ([] for a scalar); {@link #shape()} returns a copy
     * @param begin first byte in the data buffer
     * @param end   one past the last byte in the data buffer
     */
    public record TensorInfo(String name, String dtype, int[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override public int[] shape() { return shape.clone(); }

        @Override public boolean equals(Object o) {
            return o instanceof TensorInfo t && name.equals(t.name) && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
        }

        @Override public int hashCode() { return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end); }

        /** Number of elements (product of the shape; 1 for a scalar). */
        public long numel() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        @Override public String toString() {
            return StrictJson.quoteForMessage(name) + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    /**
     * A validated header.
     *
     * @param metadata   the {@value #METADATA_KEY} entries (empty when absent), in file order, unmodifiable
     * @param tensors    every tensor's entry by name, in data-buffer order, unmodifiable
     * @param dataStart  file offset of the data buffer (8 + N)
     * @param dataLength size of the data buffer in bytes
     */
    public record Header(Map<String, String> metadata, Map<String, TensorInfo> tensors, long dataStart, long dataLength) {
        public Header {
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        }
    }

    /**
     * What {@link #read} returns.
     *
     * @param header  the validated header (every tensor's entry, including those not read)
     * @param tensors the tensors read, by name, in data-buffer order, unmodifiable: contiguous host tensors, F64 for
     *                F64 entries and F32 for the others
     */
    public record Contents(Header header, Map<String, Tensor> tensors) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        }

        /** The header's metadata. */
        public Map<String, String> metadata() { return header.metadata(); }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Whether these are the first bytes of a safetensors file: a plausible header length N (little-endian, 2 &lt;= N
     * &lt;= {@value #MAX_HEADER_BYTES}) followed by '{'. Used to recognise the format by content; a file that passes but
     * is shorter than it claims is a truncated safetensors file, which {@link #readHeader} reports as such. (No pickle,
     * which starts with 0x80 and a protocol byte, and no zip, "PK", passes.)
     *
     * @param head the file's first bytes (at least 9 for a yes)
     */
    public static boolean looksLikeSafeTensors(byte[] head) {
        if (head.length < 9) return false;
        long n = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return n >= 2 && n <= MAX_HEADER_BYTES && head[8] == '{';
    }

    /** Reads and validates the header only (no tensor data is read). */
    public static Header readHeader(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        try (ByteSource src = ByteSource.open(abs)) {
            return readHeader(src);
        }
    }

    /** Reads every tensor; see {@link #read(Path, Predicate)}. */
    public static Contents read(Path file) throws IOException { return read(file, name -> true); }

    /**
     * Reads the validated header and the tensors whose names select accepts (the others are validated but not read).
     *
     * @throws CheckpointException when the file is not a valid safetensors file, or a selected tensor has a dtype other
     *         than F32, F64, F16 or BF16, or the selected tensors need more memory than the JVM may ever have
     */
    public static Contents read(Path file, Predicate<String> select) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        try (ByteSource src = ByteSource.open(abs)) {
            Header h = readHeader(src);
            return new Contents(h, readTensors(src, h, select));
        }
    }

    /** Reads and validates the header of src (whose name starts every message). */
    static Header readHeader(ByteSource src) throws IOException {
        String file = src.name();
        long size = src.size();
        if (size < 8) throw new CheckpointException(file + ": " + size + " bytes is too short for a safetensors file (it starts with an 8-byte header length)");
        long n = ByteBuffer.wrap(src.readBytes(0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new CheckpointException(file + ": safetensors header length " + Long.toUnsignedString(n) + " (the first 8 bytes) exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        if (n > size - 8) {
            throw new CheckpointException(file + ": safetensors header length " + n + " exceeds the " + (size - 8)
                    + " bytes after the length field (truncated or not a safetensors file)");
        }
        if (n < 2) throw new CheckpointException(file + ": safetensors header length " + n + " is too short for a JSON object");
        byte[] json = src.readBytes(8, (int) n);
        if (json[0] != '{') {
            throw new CheckpointException(file + ": safetensors header does not start with '{' (first byte " + String.format("0x%02x", json[0] & 0xff) + ")");
        }
        Object root;
        try {
            root = StrictJson.parse(json, 0, json.length, MAX_JSON_DEPTH, MAX_JSON_VALUES);
        } catch (StrictJson.JsonException e) {
            throw new CheckpointException(file + ": safetensors header rejected by the strict JSON parser: " + e.getMessage() + " of the header", e);
        }
        if (!(root instanceof Map<?, ?> top)) throw new CheckpointException(file + ": safetensors header is not a JSON object");
        long dataLength = size - 8 - n;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        int tensorCount = top.size() - (top.containsKey(METADATA_KEY) ? 1 : 0);
        if (tensorCount > MAX_TENSORS) throw new CheckpointException(file + ": safetensors header lists " + tensorCount + " tensors, more than the limit of " + MAX_TENSORS);
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                infos.add(tensorInfo(file, name, e.getValue(), dataLength));
            }
        }

        // the tensors must tile [0, dataLength): sorted by offset, each starts where the previous ended
        infos.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end).thenComparing(TensorInfo::name));
        long at = 0;
        TensorInfo prev = null;
        for (TensorInfo t : infos) {
            if (t.begin < at) {
                throw new CheckpointException(file + ": safetensors tensors " + prev + " and " + t + " overlap in the data buffer");
            }
            if (t.begin > at) {
                throw new CheckpointException(file + ": bytes [" + at + ", " + t.begin + ") of the safetensors data buffer belong to no tensor (a hole before "
                        + t + "; the format requires the tensors to cover the buffer)");
            }
            at = t.end;
            prev = t;
        }
        if (at != dataLength) {
            throw new CheckpointException(file + ": bytes [" + at + ", " + dataLength + ") at the end of the safetensors data buffer belong to no tensor"
                    + " (the format requires the tensors to cover the buffer)");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo t : infos) tensors.put(t.name, t);
        return new Header(metadata, tensors, 8 + n, dataLength);
    }

    private static void readMetadata(String file, Object value, Map<String, String> out) throws CheckpointException {
        if (!(value instanceof Map<?, ?> m)) {
            throw new CheckpointException(file + ": safetensors " + METADATA_KEY + " is " + jsonType(value) + ", not an object of strings");
        }
        if (m.size() > MAX_METADATA_ENTRIES) {
            throw new CheckpointException(file + ": safetensors " + METADATA_KEY + " has " + m.size() + " entries, more than the limit of " + MAX_METADATA_ENTRIES);
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String k = (String) e.getKey();
            if (k.length() > MAX_NAME_CHARS) {
                throw new CheckpointException(file + ": safetensors metadata key " + StrictJson.quoteForMessage(k) + " is longer than " + MAX_NAME_CHARS + " characters");
            }
            if (!(e.getValue() instanceof String v)) {
                throw new CheckpointException(file + ": safetensors metadata " + StrictJson.quoteForMessage(k) + " is " + jsonType(e.getValue())
                        + "; metadata values must be strings");
            }
            out.put(k, v);
        }
    }

    private static TensorInfo tensorInfo(String file, String name, Object value, long dataLength) throws CheckpointException {
        String where = file + ": safetensors tensor " + StrictJson.quoteForMessage(name);
        if (name.length() > MAX_NAME_CHARS) throw new CheckpointException(where + " has a name longer than " + MAX_NAME_CHARS + " characters");
        if (!(value instanceof Map<?, ?> m)) throw new CheckpointException(where + " is " + jsonType(value) + ", not an object");
        for (Object k : m.keySet()) {
            if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                throw new CheckpointException(where + " has the unknown key " + StrictJson.quoteForMessage((String) k)
                        + " (expected exactly dtype, shape and data_offsets)");
            }
        }
        for (String k : new String[] {"dtype", "shape", "data_offsets"}) {
            if (!m.containsKey(k)) throw new CheckpointException(where + " has no '" + k + "'");
        }
        if (!(m.get("dtype") instanceof String dtype)) throw new CheckpointException(where + " has a dtype that is " + jsonType(m.get("dtype")) + ", not a string");
        Integer elementBytes = DTYPE_BYTES.get(dtype);
        if (elementBytes == null) {
            throw new CheckpointException(where + " has the unknown dtype " + StrictJson.quoteForMessage(dtype) + " (known: " + new TreeMap<>(DTYPE_BYTES).keySet() + ")");
        }
        if (!(m.get("shape") instanceof List<?> dims)) throw new CheckpointException(where + " has a shape that is " + jsonType(m.get("shape")) + ", not an array");
        if (dims.size() > MAX_RANK) throw new CheckpointException(where + " has " + dims.size() + " dimensions, more than the limit of " + MAX_RANK);
        int[] shape = new int[dims.size()];
        boolean empty = false;
        for (int i = 0; i < shape.length; i++) {
            Object d = dims.get(i);
            if (!(d instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
                throw new CheckpointException(where + " has shape " + describeList(dims) + ": dimension " + i + " is not an integer in [0, 2^31)");
            }
            shape[i] = (int) (long) l;
            empty |= l == 0;
        }
        long numel = empty ? 0 : 1;
        for (int i = 0; i < shape.length && !empty; i++) {
            numel *= shape[i];  // numel <= MAX_ELEMENTS < 2^31 before and shape[i] < 2^31: no overflow
            if (numel > MAX_ELEMENTS) {
                throw new CheckpointException(where + " has shape " + describeList(dims) + ": more than " + MAX_ELEMENTS + " elements");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2) {
            throw new CheckpointException(where + " has data_offsets " + describe(m.get("data_offsets")) + ", not an array of two integers");
        }
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            if (!(offs.get(i) instanceof Long l) || l < 0) {
                throw new CheckpointException(where + " has data_offsets " + describeList(offs) + ": " + (i == 0 ? "begin" : "end")
                        + " is not an integer in [0, 2^63)");
            }
            be[i] = l;
        }
        if (be[0] > be[1]) throw new CheckpointException(where + " has data_offsets [" + be[0] + ", " + be[1] + "]: begin after end");
        if (be[1] > dataLength) {
            throw new CheckpointException(where + " has data_offsets [" + be[0] + ", " + be[1] + "] reaching beyond the " + dataLength
                    + "-byte data buffer (truncated or corrupt file)");
        }
        long bytes = Math.multiplyExact(numel, (long) elementBytes);  // numel < 2^31, size <= 8
        if (be[1] - be[0] != bytes) {
            throw new CheckpointException(where + " (" + dtype + ", shape " + Arrays.toString(shape) + ") needs " + bytes + " bytes but its data_offsets ["
                    + be[0] + ", " + be[1] + "] span " + (be[1] - be[0]));
        }
        return new TensorInfo(name, dtype, shape, be[0], be[1]);
    }

    private static String jsonType(Object v) {
        if (v == null) return "null";
        if (v instanceof Map<?, ?>) return "an object";
        if (v instanceof List<?>) return "an array";
        if (v instanceof String) return "a string";
        if (v instanceof Boolean) return "a boolean";
        return "a number";
    }

    private static String describe(Object v) {
        if (v instanceof List<?> l) return describeList(l);
        if (v instanceof String s) return StrictJson.quoteForMessage(s);
        if (v instanceof Long || v instanceof StrictJson.Num || v instanceof Boolean || v == null) return String.valueOf(v instanceof StrictJson.Num num ? num.text() : v);
        return jsonType(v);
    }

    private static String describeList(List<?> l) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) sb.append(", ");
            if (i == 20) { sb.append("..."); break; }
            Object v = l.get(i);
            sb.append(v instanceof Long || v instanceof Boolean || v == null ? String.valueOf(v)
                    : v instanceof StrictJson.Num num ? num.text() : v instanceof String s ? StrictJson.quoteForMessage(s) : jsonType(v));
        }
        return sb.append(']').toString();
    }

    /**
     * Reads the selected tensors of a validated header. Every selected dtype and the memory they need are checked
     * before the first tensor is allocated.
     */
    static Map<String, Tensor> readTensors(ByteSource src, Header h, Predicate<String> select) throws IOException {
        String file = src.name();
        List<TensorInfo> chosen = new ArrayList<>();
        long needBytes = 0;
        for (TensorInfo t : h.tensors().values()) {
            if (!select.test(t.name)) continue;
            if (!READABLE_DTYPES.contains(t.dtype)) {
                throw new CheckpointException(file + ": safetensors tensor " + StrictJson.quoteForMessage(t.name) + " has dtype " + t.dtype
                        + "; only " + String.join(", ", READABLE_DTYPES) + " are read");
            }
            chosen.add(t);
            needBytes += t.numel() * (t.dtype.equals("F64") ? 8 : 4);
        }
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (maxHeap != Long.MAX_VALUE && needBytes > maxHeap) {
            throw new CheckpointException(file + ": the safetensors tensors to read need " + needBytes + " bytes of memory, more than this JVM's maximum heap of "
                    + maxHeap + " bytes (-Xmx)");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(8, maxBytes(chosen)))];
        for (TensorInfo t : chosen) out.put(t.name, readTensor(src, h.dataStart() + t.begin, t, chunk));
        return out;
    }

    private static long maxBytes(List<TensorInfo> ts) {
        long m = 0;
        for (TensorInfo t : ts) m = Math.max(m, t.end - t.begin);
        return m;
    }

    private static Tensor readTensor(ByteSource src, long pos, TensorInfo t, byte[] chunk) throws IOException {
        int n = (int) t.numel();
        int[] shape = t.shape;
        switch (t.dtype) {
            case "F64" -> {
                double[] v = new double[n];
                int per = chunk.length / 8;
                for (int i = 0; i < n; i += per) {
                    int k = Math.min(per, n - i);
                    src.read(pos + 8L * i, chunk, 0, 8 * k);
                    ByteBuffer.wrap(chunk, 0, 8 * k).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(v, i, k);
                }
                return Tensor.of(v, shape);
            }
            case "F32" -> {
                float[] v = new float[n];
                int per = chunk.length / 4;
                for (int i = 0; i < n; i += per) {
                    int k = Math.min(per, n - i);
                    src.read(pos + 4L * i, chunk, 0, 4 * k);
                    ByteBuffer.wrap(chunk, 0, 4 * k).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v, i, k);
                }
                return Tensor.of(v, shape);
            }
            case "F16", "BF16" -> {
                boolean bf = t.dtype.equals("BF16");
                float[] v = new float[n];
                int per = chunk.length / 2;
                for (int i = 0; i < n; i += per) {
                    int k = Math.min(per, n - i);
                    src.read(pos + 2L * i, chunk, 0, 2 * k);
                    ByteBuffer bb = ByteBuffer.wrap(chunk, 0, 2 * k).order(ByteOrder.LITTLE_ENDIAN);
                    for (int j = 0; j < k; j++) {
                        short s = bb.getShort(2 * j);
                        // bfloat16 is the top half of a float32; float16 widens exactly (Float.float16ToFloat)
                        v[i + j] = bf ? Float.intBitsToFloat((s & 0xffff) << 16) : Float.float16ToFloat(s);
                    }
                }
                return Tensor.of(v, shape);
            }
            default -> throw new IllegalStateException("unreadable dtype " + t.dtype);
        }
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes tensors and metadata as a safetensors file.
     *
     * <p>Deterministic: metadata sorted by key (the {@value #METADATA_KEY} entry is left out when empty); tensors sorted
     * by element size, largest first, then by name (the reference writer's order, which keeps every tensor aligned to
     * its element size), and stored in that order; the header is compact JSON padded with spaces to a multiple of 8
     * bytes. Same arguments, same bytes.
     *
     * <p>Atomic: the bytes go to a new temporary file in the same folder ({@code .NAME.RANDOM.tmp}, created with the
     * default permissions, so the result has normal permissions), which is flushed to disk (fsync) and then renamed onto
     * file with {@link StandardCopyOption#ATOMIC_MOVE}. On any failure the temporary file is deleted and a previous
     * file is left as it was.
     *
     * @param file     the file to write (replaced if it exists)
     * @param metadata string-to-string metadata (keys at most {@value #MAX_NAME_CHARS} characters)
     * @param tensors  tensors by name: F32 (stored as F32) or F64 (stored as F64), any shape of rank at most
     *                 {@value #MAX_RANK}, any layout, on any device; every value must be finite
     * @throws IllegalArgumentException when a name is {@value #METADATA_KEY}, too long or not encodable as UTF-8, a
     *         limit is exceeded, or a tensor holds a NaN or an infinity (the message names the tensor and the index);
     *         nothing is left on disk
     * @throws IOException when writing fails; nothing is left on disk
     */
    public static void write(Path file, Map<String, String> metadata, Map<String, Tensor> tensors) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        String what = "SafeTensors.write(" + abs + ")";
        if (tensors.size() > MAX_TENSORS) throw new IllegalArgumentException(what + ": " + tensors.size() + " tensors, more than the limit of " + MAX_TENSORS);
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            throw new IllegalArgumentException(what + ": " + metadata.size() + " metadata entries, more than the limit of " + MAX_METADATA_ENTRIES);
        }
        TreeMap<String, String> meta = new TreeMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) throw new IllegalArgumentException(what + ": metadata keys and values must not be null");
            if (e.getKey().length() > MAX_NAME_CHARS) {
                throw new IllegalArgumentException(what + ": metadata key " + StrictJson.quoteForMessage(e.getKey()) + " is longer than " + MAX_NAME_CHARS + " characters");
            }
            meta.put(e.getKey(), e.getValue());
        }
        record Item(String name, Tensor t, String dtype, int elementBytes) {}
        List<Item> items = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || t == null) throw new IllegalArgumentException(what + ": tensor names and tensors must not be null");
            if (name.equals(METADATA_KEY)) throw new IllegalArgumentException(what + ": a tensor may not be named " + METADATA_KEY);
            if (name.length() > MAX_NAME_CHARS) {
                throw new IllegalArgumentException(what + ": tensor name " + StrictJson.quoteForMessage(name) + " is longer than " + MAX_NAME_CHARS + " characters");
            }
            if (t.dim() > MAX_RANK) throw new IllegalArgumentException(what + ": tensor " + StrictJson.quoteForMessage(name) + " has " + t.dim() + " dimensions, more than " + MAX_RANK);
            items.add(new Item(name, t, t.dtype() == DType.F64 ? "F64" : "F32", t.dtype().bytes()));
        }
        items.sort(Comparator.comparingInt(Item::elementBytes).reversed().thenComparing(Item::name));

        StringBuilder json = new StringBuilder("{");
        if (!meta.isEmpty()) {
            StrictJson.appendString(json, METADATA_KEY).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> e : meta.entrySet()) {
                if (!first) json.append(',');
                first = false;
                StrictJson.appendString(json, e.getKey()).append(':');
                StrictJson.appendString(json, e.getValue());
            }
            json.append('}');
        }
        long offset = 0;
        for (Item it : items) {
            if (json.length() > 1) json.append(',');
            StrictJson.appendString(json, it.name).append(":{\"dtype\":\"").append(it.dtype).append("\",\"shape\":[");
            int[] shape = it.t.shape();
            for (int i = 0; i < shape.length; i++) json.append(i == 0 ? "" : ",").append(shape[i]);
            long bytes = (long) it.t.numel() * it.elementBytes;
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        json.append('}');
        byte[] header = utf8(json, what);
        int padded = (header.length + 7) / 8 * 8;
        if (padded > MAX_HEADER_BYTES) throw new IllegalArgumentException(what + ": the header would be " + padded + " bytes, more than the limit of " + MAX_HEADER_BYTES);

        Path dir = abs.getParent();
        Path tmp = createTemp(dir, abs.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer bb = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                bb.putLong(padded);
                writeAll(ch, bb);
                ByteBuffer hb = ByteBuffer.allocate(padded);
                hb.put(header);
                while (hb.hasRemaining()) hb.put((byte) ' ');
                hb.flip();
                while (hb.hasRemaining()) ch.write(hb);
                for (Item it : items) writeData(ch, bb, it.t, it.name, what);
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        syncDirectory(dir);
    }

    private static byte[] utf8(CharSequence s, String what) {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(s));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + ": the header is not encodable as UTF-8: " + e, e);
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new, empty file .NAME.RANDOM.tmp beside the target, with the default permissions. */
    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            byte[] r = new byte[6];
            RANDOM.nextBytes(r);
            Path tmp = dir.resolve("." + name + "." + HexFormat.of().formatHex(r) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) throw e;
            }
        }
    }

    /** Best effort: makes the rename durable (not supported on every platform). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            // some platforms cannot open or sync a directory; the data itself was synced before the rename
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer bb) throws IOException {
        bb.flip();
        while (bb.hasRemaining()) ch.write(bb);
        bb.clear();
    }

    private static void writeData(FileChannel ch, ByteBuffer bb, Tensor tensor, String name, String what) throws IOException {
        Tensor t = tensor.toHost().contiguousOrCopy();
        HostStorage h = t.host();
        int off = t.offset(), n = t.numel();
        if (h.f32 != null) {
            float[] a = h.f32;
            for (int i = 0; i < n; i++) {
                float v = a[off + i];
                if (!Float.isFinite(v)) throw nonFinite(what, name, tensor, i, v);
                if (bb.remaining() < 4) writeAll(ch, bb);
                bb.putFloat(v);
            }
        } else {
            double[] a = h.f64;
            for (int i = 0; i < n; i++) {
                double v = a[off + i];
                if (!Double.isFinite(v)) throw nonFinite(what, name, tensor, i, v);
                if (bb.remaining() < 8) writeAll(ch, bb);
                bb.putDouble(v);
            }
        }
        writeAll(ch, bb);
    }

    private static IllegalArgumentException nonFinite(String what, String name, Tensor t, int i, double v) {
        return new IllegalArgumentException(what + ": tensor " + StrictJson.quoteForMessage(name) + " " + Arrays.toString(t.shape()) + " holds " + v
                + " at flat index " + i + "; only finite values are written (nothing was written; a previous file is unchanged)");
    }
}
