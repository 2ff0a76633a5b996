package io.github.dragganjvm.tensor.io;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0-3.0, C order). Float32 and float64 load as
 * F32 / F64 tensors; int32/int64 load as F64 (exact up to 2^53). Any other layout is refused with a message
 * naming the file and what was found.
 */
public final class Npy {
    private Npy() {}

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** Loads a .npy file. */
    public static Tensor read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        try {
            return parse(b);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the bytes of a .npy file. */
    public static Tensor parse(byte[] b) {
        if (b.length < 10 || (b[0] & 0xff) != 0x93 || b[1] != 'N' || b[2] != 'U' || b[3] != 'M' || b[4] != 'P' || b[5] != 'Y') {
            throw new IllegalArgumentException("not a .npy file (magic \\x93NUMPY missing)");
        }
        int major = b[6];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen, start;
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xffff;
            start = 10;
        } else if (major == 2 || major == 3) {
            headerLen = bb.getInt(8);
            start = 12;
        } else throw new IllegalArgumentException("unsupported .npy version " + major);
        if (headerLen < 0 || start + headerLen > b.length) throw new IllegalArgumentException("truncated header");
        String header = new String(b, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher md = DESCR.matcher(header), mf = FORTRAN.matcher(header), ms = SHAPE.matcher(header);
        if (!md.find() || !mf.find() || !ms.find()) throw new IllegalArgumentException("malformed header: " + header.trim());
        if (mf.group(1).equals("True")) throw new IllegalArgumentException("Fortran-order arrays are not supported");
        List<Integer> dims = new ArrayList<>();
        for (String s : ms.group(1).split(",")) {
            s = s.trim();
            if (!s.isEmpty()) dims.add(Integer.parseInt(s));
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        long n = 1;
        for (int d : shape) n *= d;
        String descr = md.group(1);
        int data = start + headerLen;
        int elem = switch (descr) {
            case "<f4", "<i4" -> 4;
            case "<f8", "<i8" -> 8;
            default -> throw new IllegalArgumentException("unsupported dtype '" + descr + "' (expected <f4, <f8, <i4 or <i8)");
        };
        if (data + n * elem > b.length) throw new IllegalArgumentException("truncated data: need " + n * elem + " bytes, have " + (b.length - data));
        bb.position(data);
        switch (descr) {
            case "<f4" -> {
                float[] v = new float[(int) n];
                bb.asFloatBuffer().get(v);
                return Tensor.of(v, shape);
            }
            case "<f8" -> {
                double[] v = new double[(int) n];
                bb.asDoubleBuffer().get(v);
                return Tensor.of(v, shape);
            }
            case "<i4" -> {
                double[] v = new double[(int) n];
                for (int i = 0; i < n; i++) v[i] = bb.getInt(data + 4 * i);
                return Tensor.of(v, shape);
            }
            default -> {
                double[] v = new double[(int) n];
                for (int i = 0; i < n; i++) v[i] = bb.getLong(data + 8 * i);
                return Tensor.of(v, shape);
            }
        }
    }

    /** Writes a tensor as a version 1.0 .npy file (float32 or float64, C order). */
    public static void write(Tensor t, Path file) throws IOException {
        Tensor h = t.toHost();
        boolean f32 = h.dtype() == DType.F32;
        StringBuilder shape = new StringBuilder("(");
        for (int d : h.shape()) shape.append(d).append(", ");
        if (h.dim() > 1) shape.setLength(shape.length() - 2);
        else if (h.dim() == 1) shape.setLength(shape.length() - 1);
        shape.append(')');
        String dict = "{'descr': '" + (f32 ? "<f4" : "<f8") + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        int n = h.numel();
        ByteBuffer bb = ByteBuffer.allocate(10 + header.length() + n * (f32 ? 4 : 8)).order(ByteOrder.LITTLE_ENDIAN);
        bb.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        bb.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        if (f32) for (float v : h.toFloatArray()) bb.putFloat(v);
        else for (double v : h.toDoubleArray()) bb.putDouble(v);
        Files.write(file, bb.array());
    }
}
