package io.github.dragganjvm.stylegan.io;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Java side of the few Python objects a checkpoint pickle may build. Everything here is inert data: nothing
 * runs Python code, imports a module or looks up a Java class by a name taken from the file.
 *
 * <p>Plain values map as Pyrolite maps them: str to String, bytes to byte[] (or a {@link ByteSlice} when large),
 * int to Integer/Long/BigInteger, float to Double, bool to Boolean, None to null, tuple to Object[], list to
 * ArrayList, set to HashSet. Dicts become {@link Dict} (insertion ordered, like Python's).
 */
final class Py {
    private Py() {}

    /** What a global may be used for. */
    enum Kind {
        /** Callable with REDUCE. */
        FUNCTION,
        /** Callable with REDUCE, NEWOBJ, INST or OBJ. */
        CLASS,
        /** A value only (storage types in persistent ids, numpy.ndarray as _reconstruct's argument): never called. */
        MARKER
    }

    /** Builds the Java value for a call of an allowed global. */
    @FunctionalInterface
    interface Constructor {
        Object construct(Object[] args, String source) throws CheckpointException;
    }

    /** An allow-listed global, as GLOBAL/STACK_GLOBAL push it. */
    record Global(String module, String name, Kind kind, Constructor constructor) {
        String qualifiedName() { return module + "." + name; }
    }

    /** A dict, OrderedDict or EasyDict; Python attributes set by BUILD (an OrderedDict's _metadata) go to {@link #attributes}. */
    static final class Dict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
        final String pyType;
        final Map<Object, Object> attributes = new LinkedHashMap<>();

        Dict(String pyType) { this.pyType = pyType; }
    }

    /** An instance of an allowed plain-data class (argparse.Namespace): its attributes. */
    static final class Instance {
        final String pyType;
        final Map<Object, Object> attributes = new LinkedHashMap<>();

        Instance(String pyType) { this.pyType = pyType; }
    }

    /**
     * A torch_utils.persistence object as stored: class name, the instance dict, and the length of the module source
     * it carries (kept only for messages; the source is never run).
     */
    record Persistent(String className, Map<?, ?> state, int moduleSourceLength) {}

    /** numpy.dtype(name): the byte order arrives later through BUILD. */
    static final class NumpyDtype {
        final String name;
        String byteOrder = "<";

        NumpyDtype(String name) { this.name = name; }
    }

    /** A numpy array from _reconstruct + BUILD (kept as raw data; only parsed, never needed for a generator). */
    static final class NumpyArray {
        Object shape, dtype, data;
        boolean fortranOrder;
    }

    /** Bytes left in their source (large pickled byte strings), read only when used. */
    record ByteSlice(ByteSource source, long offset, int length) {}

    /** A short description of a value's type for messages (never its contents: those may be huge or cyclic). */
    static String typeName(Object o) {
        if (o == null) return "None";
        if (o.getClass() == Object.class) return "MARK";  // Pyrolite's stack marker
        if (o instanceof String) return "str";
        if (o instanceof byte[] || o instanceof ByteSlice) return "bytes";
        if (o instanceof Integer || o instanceof Long || o instanceof BigInteger) return "int";
        if (o instanceof Double) return "float";
        if (o instanceof Boolean) return "bool";
        if (o instanceof Object[]) return "tuple";
        if (o instanceof java.util.List) return "list";
        if (o instanceof java.util.Set) return "set";
        if (o instanceof Dict d) return d.pyType;
        if (o instanceof Map) return "dict";
        if (o instanceof Global g) return "global " + g.qualifiedName();
        if (o instanceof Persistent p) return "persistent " + p.className();
        if (o instanceof Instance i) return i.pyType;
        if (o instanceof TensorRef) return "tensor";
        if (o instanceof TorchStorage) return "storage";
        if (o instanceof NumpyDtype) return "numpy.dtype";
        if (o instanceof NumpyArray) return "numpy.ndarray";
        return o.getClass().getSimpleName();
    }

    /**
     * A value for messages: short scalars as they are (strings escaped and capped), anything else by its type name.
     * Never calls toString on containers (they may be huge, deep or cyclic).
     */
    static String describe(Object o) {
        if (o instanceof String s) return "'" + SafeUnpickler.printable(s) + "'";
        if (o instanceof Integer || o instanceof Long || o instanceof Double || o instanceof Boolean) return o.toString();
        if (o instanceof BigInteger b) return b.bitLength() < 200 ? b.toString() : "a " + b.bitLength() + "-bit int";
        return typeName(o);
    }

    /** True for the values Python can hash without recursion we would have to follow (dict keys, set items). */
    static boolean isSimpleKey(Object o) {
        return o == null || o instanceof String || o instanceof Integer || o instanceof Long || o instanceof BigInteger
                || o instanceof Double || o instanceof Boolean;
    }

    /** The integer value of a Python int, or null when o is not an int (bool is not accepted). */
    static Long asLong(Object o) {
        if (o instanceof Integer i) return i.longValue();
        if (o instanceof Long l) return l;
        if (o instanceof BigInteger b && b.bitLength() < 64) return b.longValue();
        return null;
    }

    /** A real number (int or float), or null. */
    static Double asDouble(Object o) {
        if (o instanceof Double d) return d;
        Long l = asLong(o);
        return l == null ? null : l.doubleValue();
    }
}
