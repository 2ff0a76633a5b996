package io.github.dragganjvm.stylegan.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The zip torch.save format (torch &gt;= 1.6): {@code ARCHIVE/data.pkl} is the object pickle, where each storage is a
 * persistent id ('storage', torch.XStorage, key, location, numel) whose raw little-endian bytes are the entry
 * {@code ARCHIVE/data/KEY}; {@code ARCHIVE/byteorder}, when present, says "little" or "big". ARCHIVE is any one
 * folder name. Entries are read only when a tensor needs them, after their sizes are checked. A zip with two entries
 * of the same name is refused (which copy a reader takes differs: PyTorch takes the first, java.util.zip the last).
 */
final class TorchZipFormat {
    private TorchZipFormat() {}

    static final long MAX_PICKLE_BYTES = 64L << 20;
    /** Most entries in one file (real ones have one per tensor storage plus a few). */
    static final int MAX_ENTRIES = 1_000_000;

    /** A storage held in a zip entry. */
    static final class Storage extends TorchStorage {
        private final ZipFile zip;
        private final String file, entry;
        private final TorchDType dtype;
        private final long numel, fileSize;
        private final ByteOrder order;

        private final WorkBudget budget;

        Storage(ZipFile zip, String file, long fileSize, String entry, TorchDType dtype, long numel, ByteOrder order, WorkBudget budget) {
            this.zip = zip;
            this.budget = budget;
            this.file = file;
            this.fileSize = fileSize;
            this.entry = entry;
            this.dtype = dtype;
            this.numel = numel;
            this.order = order;
        }

        @Override TorchDType dtype() { return dtype; }
        @Override long numel() { return numel; }
        @Override String describe() { return file + " entry " + SafeUnpickler.printable(entry); }

        @Override void verify() throws IOException { entry(); }
        @Override Place place(long first, long count) { return new Place(new EntryKey(zip, entry), first * dtype.bytes, count * dtype.bytes); }

        /** A zip entry as a place (entry names are unique: duplicates are refused). */
        private record EntryKey(ZipFile zip, String entry) {}

        private ZipEntry entry() throws IOException {
            ZipEntry e = zip.getEntry(entry);
            if (e == null) throw new CheckpointException(file + ": tensor data entry '" + SafeUnpickler.printable(entry) + "' is missing from the zip");
            long size = e.getSize();
            if (size > fileSize) {
                throw new CheckpointException(file + ": zip entry '" + SafeUnpickler.printable(entry) + "' claims " + size
                        + " bytes, more than the whole file (" + fileSize + " bytes)");
            }
            TorchStorage.checkFits(file + ": zip entry '" + SafeUnpickler.printable(entry) + "'", dtype, numel, size < 0 ? fileSize : size);
            return e;
        }

        @Override ByteBuffer data(long first, long count) throws IOException {
            checkRange(first, count);
            ZipEntry e = entry();
            int need = (int) (count * dtype.bytes);
            // a stored entry is read from the range's start; a compressed one is inflated from the entry's start
            long work = e.getMethod() == ZipEntry.STORED ? need : (first + count) * dtype.bytes;
            budget.charge(work, "reading " + work + " bytes of zip entry '" + SafeUnpickler.printable(entry) + "'");
            byte[] b;
            try (InputStream in = zip.getInputStream(e)) {
                in.skipNBytes(first * dtype.bytes);
                b = in.readNBytes(need);
            } catch (java.io.EOFException x) {
                b = new byte[0];
            }
            if (b.length < need) {
                throw new CheckpointException(file + ": zip entry '" + SafeUnpickler.printable(entry) + "' ends before element " + (first + count)
                        + " of its storage of " + numel + " elements");
            }
            return ByteBuffer.wrap(b).order(order);
        }
    }

    /** Reads data.pkl of an open torch zip and returns the pickled object; storages stay in the zip. */
    static Object read(ZipFile zip, String file, long fileSize) throws IOException {
        List<String> pickles = new ArrayList<>();
        Enumeration<? extends ZipEntry> en = zip.entries();
        Set<String> names = new HashSet<>();
        while (en.hasMoreElements()) {
            String name = en.nextElement().getName();
            if (names.size() >= MAX_ENTRIES) throw new CheckpointException(file + ": more than " + MAX_ENTRIES + " zip entries (a torch.save has one per storage)");
            if (!names.add(name)) {
                throw new CheckpointException(file + ": the zip holds two entries named '" + SafeUnpickler.printable(name) + "' (PyTorch reads the first,"
                        + " other zip readers the last; refusing an ambiguous file)");
            }
            if (name.equals("data.pkl") || name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) pickles.add(name);
        }
        if (pickles.size() != 1) {
            throw new CheckpointException(file + ": a torch.save zip holds exactly one ARCHIVE/data.pkl entry; found "
                    + (pickles.isEmpty() ? "none" : pickles.size() + " " + pickles.subList(0, Math.min(3, pickles.size()))));
        }
        String prefix = pickles.get(0).substring(0, pickles.get(0).length() - "data.pkl".length());
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        ZipEntry bo = zip.getEntry(prefix + "byteorder");
        if (bo != null) {
            String s;
            try (InputStream in = zip.getInputStream(bo)) {
                s = new String(in.readNBytes(16), StandardCharsets.US_ASCII).trim();
            }
            if (s.equals("big")) order = ByteOrder.BIG_ENDIAN;
            else if (!s.equals("little")) throw new CheckpointException(file + ": byteorder entry says '" + SafeUnpickler.printable(s) + "' (expected little or big)");
        }
        ZipEntry pe = zip.getEntry(pickles.get(0));
        if (pe.getSize() > MAX_PICKLE_BYTES || pe.getSize() > fileSize && pe.getMethod() == ZipEntry.STORED) {
            throw new CheckpointException(file + ": " + pickles.get(0) + " claims " + pe.getSize() + " bytes (file: " + fileSize + " bytes, limit "
                    + MAX_PICKLE_BYTES + ")");
        }
        byte[] pkl;
        try (InputStream in = zip.getInputStream(pe)) {
            pkl = in.readNBytes((int) MAX_PICKLE_BYTES + 1);
        }
        if (pkl.length > MAX_PICKLE_BYTES) throw new CheckpointException(file + ": " + pickles.get(0) + " is larger than " + MAX_PICKLE_BYTES + " bytes");
        String what = file + ": " + pickles.get(0);
        Map<String, Storage> storages = new HashMap<>();
        ByteOrder fOrder = order;
        WorkBudget data = WorkBudget.forZipData(file, fileSize);
        SafeUnpickler.PersistentLoader pids = pid -> TorchStorage.Id.parse(pid, 5, what)
                .intern(storages, i -> new Storage(zip, file, fileSize, prefix + "data/" + i.key(), i.dtype(), i.numel(), fOrder, data), what);
        // the pickle's budget follows the file's size even when data.pkl is compressed (it may inflate to 64 MiB)
        WorkBudget work = WorkBudget.forBytes(what, Math.min(pkl.length, fileSize));
        return new SafeUnpickler(what, AllowList.torchSave(), pids, work).loadFrom(new BoundedInput(ByteSource.of(what, pkl), 0));
    }
}
