package io.github.dragganjvm.stylegan.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The legacy (pre-zip, torch &lt; 1.6 default) torch.save format, which is also how a network pickle embeds each
 * tensor storage ({@code torch.storage._load_from_bytes}):
 * <ol>
 *   <li>a pickle of the magic number 0x1950a86a20f9469cfc6c;</li>
 *   <li>a pickle of the protocol version 1001;</li>
 *   <li>a pickle of sys_info {protocol_version, little_endian, type_sizes};</li>
 *   <li>the object pickle, where each storage is a persistent id
 *       ('storage', torch.XStorage, root_key, location, numel, view_metadata);</li>
 *   <li>a pickle of the list of storage keys, in the order their data follows;</li>
 *   <li>per key: numel as a little-endian int64, then numel * element-size raw bytes.</li>
 * </ol>
 * Storage data is located (offsets recorded, sizes checked) but not read until a tensor needs it.
 */
final class LegacyTorchFormat {
    private LegacyTorchFormat() {}

    static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    static final int PROTOCOL_VERSION = 1001;

    /** A storage of a legacy file, located once the raw section has been walked. */
    static final class Storage extends TorchStorage {
        final String key;
        final TorchDType dtype;
        final long numel;
        private final String file;
        private TorchStorage located;

        Storage(String file, String key, TorchDType dtype, long numel) {
            this.file = file;
            this.key = key;
            this.dtype = dtype;
            this.numel = numel;
        }

        @Override TorchDType dtype() { return dtype; }
        @Override long numel() { return numel; }
        @Override ByteBuffer data(long first, long count) throws IOException {
            verify();
            return located.data(first, count);
        }
        @Override void verify() throws CheckpointException {
            if (located == null) throw new CheckpointException(file + ": storage '" + SafeUnpickler.printable(key) + "' has no data section");
        }
        @Override Place place(long first, long count) throws IOException {
            verify();
            return located.place(first, count);
        }
        @Override String describe() { return file + " storage '" + SafeUnpickler.printable(key) + "'"; }
    }

    /** A view (legacy view_metadata) of part of a root storage. */
    static final class View extends TorchStorage {
        private final Storage root;
        private final long offset, numel;

        View(Storage root, long offset, long numel) {
            this.root = root;
            this.offset = offset;
            this.numel = numel;
        }

        @Override TorchDType dtype() { return root.dtype; }
        @Override long numel() { return numel; }
        @Override ByteBuffer data(long first, long count) throws IOException {
            checkRange(first, count);
            return root.data(offset + first, count);
        }
        @Override void verify() throws CheckpointException { root.verify(); }
        @Override Place place(long first, long count) throws IOException {
            checkRange(first, count);
            return root.place(offset + first, count);
        }
        @Override String describe() { return root.describe() + " view at " + offset; }
    }

    /**
     * A storage pickled into a network pickle as legacy torch.save bytes; parsed (with storage types as the only
     * allowed globals) the first time its type, size or data is asked for.
     */
    static final class EmbeddedStorage extends TorchStorage {
        private final ByteSource bytes;
        private WorkBudget budget;
        private TorchStorage parsed;

        EmbeddedStorage(ByteSource bytes) { this.bytes = bytes; }

        /**
         * Charges this storage's parsing to the budget of the pickle that holds it (set by the unpickler that made
         * it), so that a network pickle naming one blob a million times pays for every parse.
         */
        void shareBudget(WorkBudget b) { this.budget = b; }

        /**
         * The legacy storage these bytes hold, parsed on first use. The parse is charged to the budget: what its
         * pickles copy, and then the bytes of the blob that are not the storage's data (its pickles, which were read).
         */
        TorchStorage resolve() throws IOException {
            if (parsed == null) {
                if (budget == null) budget = WorkBudget.forBytes(bytes.name(), bytes.size());
                BoundedInput in = new BoundedInput(bytes, 0);
                Object magic = new SafeUnpickler(bytes.name(), AllowList.none(), null, budget).loadFrom(in);
                if (!MAGIC.equals(magic)) throw new CheckpointException(bytes.name() + ": embedded storage does not start with torch's legacy magic number");
                Object obj = readAfterMagic(in, AllowList.storageOnly(), budget);
                if (!(obj instanceof TorchStorage s)) {
                    throw new CheckpointException(bytes.name() + ": embedded torch.save holds a " + Py.typeName(obj) + ", not a storage");
                }
                long headers = bytes.size() - s.numel() * s.dtype().bytes;
                budget.charge(Math.max(0, headers), "parsing the " + headers + " bytes of pickles of an embedded storage");
                parsed = s;
            }
            return parsed;
        }

        @Override TorchDType dtype() throws IOException { return resolve().dtype(); }
        @Override long numel() throws IOException { return resolve().numel(); }
        @Override ByteBuffer data(long first, long count) throws IOException { return resolve().data(first, count); }
        @Override void verify() throws IOException { resolve().verify(); }
        @Override Place place(long first, long count) throws IOException { return resolve().place(first, count); }
        @Override String describe() { return bytes.name(); }
    }

    /**
     * Reads a legacy torch.save stream whose magic-number pickle has been read already: headers, the object
     * pickle (with the given allow-list), the key list and the raw section. Returns the object.
     */
    static Object readAfterMagic(BoundedInput in, Map<String, Py.Global> allowed) throws IOException {
        return readAfterMagic(in, allowed, null);
    }

    /** The same, charging every pickle to the given budget (null: a new one sized by the bytes that remain). */
    static Object readAfterMagic(BoundedInput in, Map<String, Py.Global> allowed, WorkBudget budget) throws IOException {
        String file = in.source().name();
        if (budget == null) budget = WorkBudget.forBytes(file, in.remaining());
        Object proto = new SafeUnpickler(file, AllowList.none(), null, budget).loadFrom(in);
        if (!(proto instanceof Integer p) || p != PROTOCOL_VERSION) {
            throw new CheckpointException(file + ": legacy torch.save protocol version " + (proto instanceof Integer ? proto : Py.typeName(proto))
                    + " is not supported (expected " + PROTOCOL_VERSION + ")");
        }
        Object sysInfo = new SafeUnpickler(file, AllowList.none(), null, budget).loadFrom(in);
        if (!(sysInfo instanceof Map<?, ?> info)) throw new CheckpointException(file + ": legacy torch.save sys_info is a " + Py.typeName(sysInfo) + ", not a dict");
        ByteOrder order = Boolean.FALSE.equals(info.get("little_endian")) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;

        Map<String, Storage> storages = new LinkedHashMap<>();
        SafeUnpickler.PersistentLoader pids = pid -> persistent(pid, storages, file);
        Object result = new SafeUnpickler(file, allowed, pids, budget).loadFrom(in);

        List<String> keys = AllowList.stringList(new SafeUnpickler(file, AllowList.none(), null, budget).loadFrom(in), "legacy storage key list", file);
        for (String key : keys) {
            Storage s = storages.get(key);
            if (s == null) throw new CheckpointException(file + ": raw data for storage '" + SafeUnpickler.printable(key) + "' which the pickle never referenced");
            long start = in.position();
            long numel = in.readLongLE();
            if (order == ByteOrder.BIG_ENDIAN) numel = Long.reverseBytes(numel);
            if (numel != s.numel) {
                throw new CheckpointException(file + ": storage '" + SafeUnpickler.printable(key) + "' at byte " + start + " has " + numel
                        + " elements but its persistent id said " + s.numel);
            }
            TorchStorage.checkFits(file + ": storage '" + SafeUnpickler.printable(key) + "' at byte " + start, s.dtype, numel, in.remaining());
            s.located = new TorchStorage.Located(s.dtype, numel, in.source(), in.position(), order);
            in.skipExact(numel * s.dtype.bytes, "storage data");
        }
        return result;
    }

    private static Object persistent(Object pid, Map<String, Storage> storages, String file) throws IOException {
        TorchStorage.Id id = TorchStorage.Id.parse(pid, 6, file);
        Storage s = id.intern(storages, i -> new Storage(file, i.key(), i.dtype(), i.numel()), file);
        if (id.view() == null) return s;
        if (!(id.view() instanceof Object[] v) || v.length != 3 || !(v[0] instanceof String) || Py.asLong(v[1]) == null || Py.asLong(v[2]) == null) {
            throw new CheckpointException(file + ": malformed storage view metadata");
        }
        long off = Py.asLong(v[1]), n = Py.asLong(v[2]);
        if (off < 0 || n < 0 || off > id.numel() - n) {
            throw new CheckpointException(file + ": storage view [" + off + ", " + (off + n) + ") outside its root of " + id.numel() + " elements");
        }
        return new View(s, off, n);
    }
}
