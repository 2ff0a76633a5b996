package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A cache of converted weights: one binary file per checkpoint, so that loading a model the second time is one
 * sequential read instead of a pickle parse and conversion.
 *
 * <p>An entry is keyed by the checkpoint's absolute path, size and the SHA-256 of its whole content (streamed, 1 MiB
 * at a time), plus this loader's format version; any mismatch means the source changed and the entry is rebuilt. Size
 * and modification time are not trusted to detect a change (a rewrite can keep both); hashing costs one sequential
 * read of the file, a small fraction of converting it. The key is computed again after a conversion, and the entry is
 * written only when the file did not change meanwhile.
 * Entries end with a CRC32C of their content; an entry that is truncated, corrupt or unreadable is ignored (and
 * rewritten), never trusted. Writes go to a temporary file that is atomically moved into place.
 *
 * <p>Location: {@code -Ddraggan.cache=DIR}, {@code off} (or {@code none}) to disable; by default
 * {@code $XDG_CACHE_HOME/draggan} or {@code ~/.cache/draggan}.
 */
public final class WeightCache {
    private static final System.Logger LOG = System.getLogger(WeightCache.class.getName());
    /** Bump when the conversion or the entry layout changes: old entries are then rebuilt. */
    static final String LOADER_VERSION = "draggan-weights-2";
    private static final byte[] MAGIC = "DGWCACHE".getBytes(StandardCharsets.US_ASCII);
    private static final int HASH_BUFFER = 1 << 20;
    private static final int MAX_TENSORS = 100_000;

    private final Path dir;

    private WeightCache(Path dir) { this.dir = dir; }

    /** A cache in the given folder (created on first store). */
    public static WeightCache at(Path dir) { return new WeightCache(dir.toAbsolutePath().normalize()); }

    /** The cache the system properties and environment ask for, or null when {@code -Ddraggan.cache=off}. */
    public static WeightCache fromSystemProperties() {
        String p = System.getProperty("draggan.cache");
        if (p != null && !p.isBlank()) {
            if (p.equalsIgnoreCase("off") || p.equalsIgnoreCase("none") || p.equalsIgnoreCase("false")) return null;
            return at(Paths.get(p));
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
        return at(base.resolve("draggan"));
    }

    /** The cache folder. */
    public Path dir() { return dir; }

    /** What identifies one version of a source file: its path, size and the SHA-256 of its content (hex). */
    record Key(String path, long size, String sha256) {
        String line() { return LOADER_VERSION + "|" + path + "|" + size + "|sha256=" + sha256; }
    }

    /**
     * The key of a file as it is now: path, size and SHA-256 of every byte (read sequentially in 1 MiB pieces; about
     * the time of reading the file once). A file whose size and mtime are kept but whose bytes change gets a new key.
     */
    static Key keyOf(Path abs) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        long size = 0;
        try (FileChannel ch = FileChannel.open(abs, StandardOpenOption.READ)) {
            ByteBuffer bb = ByteBuffer.allocate(HASH_BUFFER);
            while (ch.read(bb) >= 0) {
                bb.flip();
                size += bb.remaining();
                sha.update(bb);
                bb.clear();
            }
        }
        return new Key(abs.toString(), size, HexFormat.of().formatHex(sha.digest()));
    }

    /** The entry file for a source path (two independent 32-bit hashes of it; the full path is checked on read). */
    Path entryFor(String absPath) {
        byte[] b = absPath.getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(b);
        return dir.resolve(String.format("%08x%08x.weights", crc.getValue(), absPath.hashCode()));
    }

    /** The cached checkpoint for this key, or null when there is none or it is stale or corrupt. */
    Checkpoint lookup(Path abs, Key key) {
        Path entry = entryFor(key.path());
        if (!Files.isRegularFile(entry)) return null;
        try {
            Checkpoint c = readEntry(entry, abs, key);
            if (c == null) LOG.log(System.Logger.Level.INFO, "weight cache entry {0} is for another version of {1}; rebuilding", entry, abs);
            return c;
        } catch (IOException | RuntimeException | InternalError e) {
            // InternalError: a mapped entry truncated under us by someone else (SIGBUS)
            LOG.log(System.Logger.Level.WARNING, "ignoring unreadable weight cache entry {0} ({1}); rebuilding", entry, e.toString());
            return null;
        }
    }

    /** Writes an entry (failures are logged and ignored: the cache is only an accelerator). */
    void store(Key key, Checkpoint c) {
        Path entry = entryFor(key.path());
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, entry.getFileName().toString(), ".tmp");
            writeEntry(tmp, key, c);
            try {
                Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, entry, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not write weight cache entry {0}: {1}", entry, e.toString());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    // ------------------------------------------------------------------ entry layout (little-endian)
    // magic "DGWCACHE" | int header length | header (UTF-8 lines "key=value") | int tensor count |
    // per tensor: int name length, name (UTF-8), int rank, int[rank] dims, float[numel] |
    // long CRC32C of everything before it

    private static void writeEntry(Path tmp, Key key, Checkpoint c) throws IOException {
        GeneratorConfig g = c.config();
        Map<String, String> h = new LinkedHashMap<>();
        h.put("key", key.line());
        h.put("format", c.format().name());
        h.put("z_dim", "" + g.zDim());
        h.put("w_dim", "" + g.wDim());
        h.put("c_dim", "" + g.cDim());
        h.put("img_resolution", "" + g.imgResolution());
        h.put("img_channels", "" + g.imgChannels());
        h.put("mapping_layers", "" + g.mappingLayers());
        h.put("mapping_lr_multiplier", Double.toString(g.mappingLrMultiplier()));
        h.put("channel_base", "" + g.channelBase());
        h.put("channel_max", "" + g.channelMax());
        h.put("conv_clamp", g.convClamp() == null ? "none" : Double.toString(g.convClamp()));
        h.put("num_fp16_res", "" + g.numFp16Res());
        h.put("architecture", g.architecture());
        h.put("aspect", g.aspect().fileName());
        for (int i = 0; i < c.notes().size(); i++) h.put("note" + i, c.notes().get(i).replace('\n', ' '));
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : h.entrySet()) sb.append(e.getKey()).append('=').append(e.getValue().replace('\n', ' ')).append('\n');
        byte[] header = sb.toString().getBytes(StandardCharsets.UTF_8);

        CRC32C crc = new CRC32C();
        try (OutputStream out = Files.newOutputStream(tmp)) {
            ByteBuffer bb = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            bb.put(MAGIC).putInt(header.length);
            flush(out, bb, crc);
            write(out, ByteBuffer.wrap(header), crc);
            bb.putInt(c.params().size());
            for (Map.Entry<String, Tensor> e : c.params().entrySet()) {
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                int[] shape = e.getValue().shape();
                bb.putInt(name.length);
                flush(out, bb, crc);
                write(out, ByteBuffer.wrap(name), crc);
                bb.putInt(shape.length);
                for (int d : shape) bb.putInt(d);
                flush(out, bb, crc);
                float[] v = e.getValue().toFloatArray();
                for (int i = 0; i < v.length; ) {
                    int n = Math.min(v.length - i, bb.remaining() / 4);
                    bb.asFloatBuffer().put(v, i, n);
                    bb.position(bb.position() + 4 * n);
                    i += n;
                    flush(out, bb, crc);
                }
            }
            bb.putLong(crc.getValue());
            bb.flip();
            out.write(bb.array(), 0, bb.limit());
        }
    }

    private static void flush(OutputStream out, ByteBuffer bb, CRC32C crc) throws IOException {
        bb.flip();
        crc.update(bb.array(), 0, bb.limit());
        out.write(bb.array(), 0, bb.limit());
        bb.clear();
    }

    private static void write(OutputStream out, ByteBuffer data, CRC32C crc) throws IOException {
        crc.update(data.array(), 0, data.limit());
        out.write(data.array(), 0, data.limit());
    }

    /** Reads an entry; null when it belongs to another key; throws when it is corrupt. */
    private static Checkpoint readEntry(Path entry, Path abs, Key key) throws IOException {
        ByteBuffer bb;
        try (FileChannel ch = FileChannel.open(entry, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < MAGIC.length + 16 || size > Integer.MAX_VALUE - 16) throw new IOException("entry size " + size + " out of range");
            // mapped: the floats are copied once, from the page cache into the tensors
            bb = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        bb.order(ByteOrder.LITTLE_ENDIAN);
        int end = bb.limit() - 8;
        CRC32C crc = new CRC32C();
        crc.update(bb.duplicate().limit(end));
        if (crc.getValue() != bb.getLong(end)) throw new IOException("checksum mismatch");
        byte[] magic = new byte[MAGIC.length];
        bb.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException("bad magic");
        int hl = bb.getInt();
        if (hl < 0 || hl > end - bb.position()) throw new IOException("bad header length");
        byte[] hb = new byte[hl];
        bb.get(hb);
        Map<String, String> h = new LinkedHashMap<>();
        for (String line : new String(hb, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) h.put(line.substring(0, eq), line.substring(eq + 1));
        }
        if (!key.line().equals(h.get("key"))) return null;
        GeneratorConfig config = new GeneratorConfig(num(h, "z_dim"), num(h, "w_dim"), num(h, "c_dim"), num(h, "img_resolution"),
                num(h, "img_channels"), num(h, "mapping_layers"), Double.parseDouble(req(h, "mapping_lr_multiplier")), num(h, "channel_base"),
                num(h, "channel_max"), req(h, "conv_clamp").equals("none") ? null : Double.valueOf(req(h, "conv_clamp")), num(h, "num_fp16_res"),
                req(h, "architecture"), aspect(h.getOrDefault("aspect", GeneratorConfig.Aspect.SQUARE.fileName())));
        Checkpoint.Format format = Checkpoint.Format.valueOf(req(h, "format"));
        List<String> notes = new ArrayList<>();
        for (int i = 0; h.containsKey("note" + i); i++) notes.add(h.get("note" + i));
        int count = bb.getInt();
        if (count < 0 || count > MAX_TENSORS) throw new IOException("bad tensor count " + count);
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (int t = 0; t < count; t++) {
            int nl = bb.getInt();
            if (nl < 0 || nl > 4096 || nl > end - bb.position()) throw new IOException("bad name length");
            byte[] nb = new byte[nl];
            bb.get(nb);
            int rank = bb.getInt();
            if (rank < 0 || rank > TensorRef.MAX_RANK) throw new IOException("bad rank " + rank);
            int[] shape = new int[rank];
            long numel = 1;
            for (int i = 0; i < rank; i++) {
                shape[i] = bb.getInt();
                if (shape[i] < 0) throw new IOException("negative dimension");
                numel *= shape[i];
                if (numel > (end - bb.position()) / 4) throw new IOException("tensor larger than the entry");
            }
            if (numel * 4 > end - bb.position()) throw new IOException("tensor larger than the entry");
            float[] v = new float[(int) numel];
            bb.asFloatBuffer().get(v);
            bb.position(bb.position() + 4 * (int) numel);
            params.put(new String(nb, StandardCharsets.UTF_8), Tensor.of(v, shape));
        }
        if (bb.position() != end) throw new IOException("trailing bytes");
        Checkpoints.validate(config, params, entry.toString(), true);
        return new Checkpoint(abs, format, config, params, notes, true);
    }

    private static String req(Map<String, String> h, String k) throws IOException {
        String v = h.get(k);
        if (v == null) throw new IOException("header lacks " + k);
        return v;
    }

    /** The aspect by its file name (entries written before aspects existed have none: square). */
    private static GeneratorConfig.Aspect aspect(String name) throws IOException {
        GeneratorConfig.Aspect a = GeneratorConfig.Aspect.fromFileName(name);
        if (a == null) throw new IOException("bad aspect");
        return a;
    }

    private static int num(Map<String, String> h, String k) throws IOException {
        try {
            return Integer.parseInt(req(h, k));
        } catch (NumberFormatException e) {
            throw new IOException("bad " + k);
        }
    }
}
