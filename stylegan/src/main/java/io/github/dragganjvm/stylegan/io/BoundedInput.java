package io.github.dragganjvm.stylegan.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A buffered, position-counting stream over a {@link ByteSource}, for the pickle machine. Unlike a normal stream it
 * never returns -1: reading past the end throws {@link EOFException}, so a truncated pickle always ends in an error
 * (Pyrolite reads single bytes without checking for -1). Every length a file claims is checked against
 * {@link #remaining()} before anything is allocated.
 */
final class BoundedInput extends InputStream {
    private static final int BUFFER = 1 << 16;

    private final ByteSource src;
    private final byte[] buf = new byte[BUFFER];
    private long bufStart;   // source position of buf[0]
    private int bufLen, bufPos;

    BoundedInput(ByteSource src, long start) {
        this.src = src;
        this.bufStart = start;
    }

    ByteSource source() { return src; }

    /** Position of the next byte in the source. */
    long position() { return bufStart + bufPos; }

    /** Bytes left in the source. */
    long remaining() { return src.size() - position(); }

    private boolean fill() throws IOException {
        bufStart += bufLen;
        bufPos = 0;
        long left = src.size() - bufStart;
        bufLen = (int) Math.min(BUFFER, Math.max(0, left));
        if (bufLen > 0) src.read(bufStart, buf, 0, bufLen);
        return bufLen > 0;
    }

    @Override public int read() throws IOException {
        if (bufPos == bufLen && !fill()) throw new EOFException("end of data at byte " + position());
        return buf[bufPos++] & 0xff;
    }

    @Override public int read(byte[] dst, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (bufPos == bufLen && !fill()) throw new EOFException("end of data at byte " + position());
        int n = Math.min(len, bufLen - bufPos);
        System.arraycopy(buf, bufPos, dst, off, n);
        bufPos += n;
        return n;
    }

    /** Reads exactly n bytes into a new array; n is checked against what is left first (no allocation on a lie). */
    byte[] readExact(long n, String what) throws IOException {
        requireRemaining(n, what);
        byte[] b = new byte[(int) n];
        int off = 0;
        while (off < n) off += read(b, off, (int) n - off);
        return b;
    }

    /** Skips exactly n bytes (checked). */
    void skipExact(long n, String what) throws IOException {
        requireRemaining(n, what);
        long target = position() + n;
        long inBuf = bufLen - bufPos;
        if (n <= inBuf) {
            bufPos += (int) n;
        } else {
            bufStart = target;
            bufLen = 0;
            bufPos = 0;
        }
    }

    /** Little-endian signed 64-bit integer. */
    long readLongLE() throws IOException {
        byte[] b = readExact(8, "int64");
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | (b[i] & 0xff);
        return v;
    }

    void requireRemaining(long n, String what) throws CheckpointException {
        if (n < 0 || n > remaining()) {
            throw new CheckpointException(src.name() + ": " + what + " claims " + n + " bytes at byte " + position()
                    + " but only " + remaining() + " remain (truncated or corrupt file)");
        }
        if (n > Integer.MAX_VALUE - 16) {
            throw new CheckpointException(src.name() + ": " + what + " of " + n + " bytes at byte " + position() + " is larger than 2 GiB");
        }
    }
}
