package io.github.dragganjvm.stylegan.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Random-access bytes: a file (read with positional reads, never wholly loaded) or an array, or a window of either.
 * Large pickled byte strings are kept as windows of their source ({@link Py.ByteSlice}) so that the tensors of
 * G and D in a network pickle are never read when only G_ema is wanted.
 */
abstract class ByteSource implements Closeable {
    /** Name for messages: the file, or the file plus what part of it this is. */
    abstract String name();

    /** Total bytes. */
    abstract long size();

    /** Reads exactly len bytes at pos into dst[off..]; pos + len must lie within {@link #size()}. */
    abstract void read(long pos, byte[] dst, int off, int len) throws IOException;

    @Override public void close() throws IOException {}

    /**
     * What these bytes are part of, compared with equals: the outermost source (a file) or the array, shared by all
     * windows of it; with {@link #baseOffset()} it tells whether two sources hold the same bytes.
     */
    Object baseKey() { return this; }

    /** Where byte 0 of this source lies in {@link #baseKey()}. */
    long baseOffset() { return 0; }

    /** Reads [pos, pos + len) into a new array, after checking the range. */
    final byte[] readBytes(long pos, int len) throws IOException {
        if (pos < 0 || len < 0 || pos + len > size()) {
            throw new CheckpointException(name() + ": read of " + len + " bytes at " + pos + " outside its " + size() + " bytes");
        }
        byte[] b = new byte[len];
        read(pos, b, 0, len);
        return b;
    }

    /** A window [offset, offset + length) of this source (shares it; closing the window does nothing). */
    final ByteSource window(String name, long offset, long length) throws CheckpointException {
        if (offset < 0 || length < 0 || offset + length > size()) {
            throw new CheckpointException(name() + ": window of " + length + " bytes at " + offset + " outside its " + size() + " bytes");
        }
        ByteSource parent = this;
        return new ByteSource() {
            @Override String name() { return name; }
            @Override long size() { return length; }
            @Override Object baseKey() { return parent.baseKey(); }
            @Override long baseOffset() { return parent.baseOffset() + offset; }
            @Override void read(long pos, byte[] dst, int off, int len) throws IOException {
                if (pos < 0 || pos + len > length) throw new CheckpointException(name + ": read of " + len + " bytes at " + pos + " outside its " + length + " bytes");
                parent.read(offset + pos, dst, off, len);
            }
        };
    }

    static ByteSource of(String name, byte[] data) {
        return new ByteSource() {
            @Override String name() { return name; }
            @Override long size() { return data.length; }
            @Override Object baseKey() { return data; }
            @Override void read(long pos, byte[] dst, int off, int len) throws CheckpointException {
                if (pos < 0 || pos + len > data.length) throw new CheckpointException(name + ": read of " + len + " bytes at " + pos + " outside its " + data.length + " bytes");
                System.arraycopy(data, (int) pos, dst, off, len);
            }
        };
    }

    /** Fills bb from the channel at pos (positional reads; the channel's position is not used). */
    static void readFully(FileChannel ch, ByteBuffer bb, long pos, String name) throws IOException {
        long p = pos;
        while (bb.hasRemaining()) {
            int n = ch.read(bb, p);
            if (n < 0) throw new CheckpointException(name + ": file shrank while reading (end at " + p + ")");
            p += n;
        }
    }

    static ByteSource open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        long size = ch.size();
        String name = file.toString();
        return new ByteSource() {
            @Override String name() { return name; }
            @Override long size() { return size; }
            @Override void read(long pos, byte[] dst, int off, int len) throws IOException {
                if (pos < 0 || pos + len > size) throw new CheckpointException(name + ": read of " + len + " bytes at " + pos + " outside its " + size + " bytes");
                readFully(ch, ByteBuffer.wrap(dst, off, len), pos, name);
            }
            @Override public void close() throws IOException { ch.close(); }
        };
    }
}
