package io.github.dragganjvm.stylegan.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The only Python globals a checkpoint pickle may name, per kind of pickle, each with the Java constructor that
 * builds inert data for it. This is the whole list; anything else is refused by {@link SafeUnpickler}.
 *
 * <p>What the golden files use: the NVlabs .pkl names {@code torch_utils.persistence._reconstruct_persistent_obj},
 * {@code collections.OrderedDict}, {@code torch._utils._rebuild_parameter}, {@code torch._utils._rebuild_tensor_v2},
 * {@code torch.storage._load_from_bytes}, {@code numpy.core.multiarray.scalar} and {@code numpy.dtype}, and its
 * embedded storages {@code torch.FloatStorage}; the rosinality .pt names {@code torch._utils._rebuild_tensor_v2},
 * {@code torch.FloatStorage} and {@code collections.OrderedDict}. Added for the variants real files show, all
 * equally inert: {@code dnnlib(.util).EasyDict} (init kwargs of stylegan2-ada-pytorch and TF-converted networks),
 * numpy 2's {@code numpy._core} names and {@code _reconstruct}/{@code ndarray} for numpy arrays, sets (also under
 * protocol 2's {@code __builtin__} name), {@code _codecs.encode} (how protocol 2 stores bytes), the older
 * {@code _rebuild_tensor} and torch 2's {@code _rebuild_parameter_with_state}, the other storage types (half,
 * bfloat16, double, integer), {@code argparse.Namespace} (the {@code args} of rosinality training checkpoints), and
 * {@code dnnlib.tflib.network.Network} with numpy arrays and scalars (classic TensorFlow StyleGAN2 pickles: each
 * Network is its state dict as data, see {@link TfNetworkStub}).
 */
final class AllowList {
    private AllowList() {}

    /**
     * The main pickle of an NVlabs network .pkl (the storages are embedded legacy torch.save bytes), or of a classic
     * TensorFlow StyleGAN2 pickle (a tuple of dnnlib.tflib.network.Network objects holding numpy arrays).
     */
    static Map<String, Py.Global> networkPickle() {
        Map<String, Py.Global> m = common();
        put(m, "torch_utils.persistence", "_reconstruct_persistent_obj", Py.Kind.FUNCTION, AllowList::persistentObject);
        put(m, "torch.storage", "_load_from_bytes", Py.Kind.FUNCTION, AllowList::loadFromBytes);
        for (String mod : List.of("dnnlib.util", "dnnlib")) put(m, mod, "EasyDict", Py.Kind.CLASS, (a, s) -> dict("EasyDict", a, s));
        // a classic TensorFlow StyleGAN2 pickle's networks: NEWOBJ + BUILD of a state dict, kept as plain data (its
        // build_module_src is a string like any other: never run, see TfNetworkStub)
        put(m, "dnnlib.tflib.network", "Network", Py.Kind.CLASS, (a, s) -> {
            if (a.length != 0) throw new CheckpointException(s + ": " + TfNetworkStub.CLASS + " takes no positional arguments, got " + a.length);
            return new Py.Instance(TfNetworkStub.CLASS);
        });
        return Collections.unmodifiableMap(m);
    }

    /** The main pickle of a torch.save file (zip data.pkl or the legacy format's object pickle). */
    static Map<String, Py.Global> torchSave() {
        Map<String, Py.Global> m = common();
        storageTypes(m);
        put(m, "argparse", "Namespace", Py.Kind.CLASS, (a, s) -> {
            if (a.length != 0) throw new CheckpointException(s + ": argparse.Namespace takes no positional arguments");
            return new Py.Instance("argparse.Namespace");
        });
        return Collections.unmodifiableMap(m);
    }

    /** The object pickle of a legacy torch.save of one storage (embedded in network pickles): storage types only. */
    static Map<String, Py.Global> storageOnly() {
        Map<String, Py.Global> m = new LinkedHashMap<>();
        storageTypes(m);
        return Collections.unmodifiableMap(m);
    }

    /** No globals at all (the small header pickles of the legacy format). */
    static Map<String, Py.Global> none() { return Map.of(); }

    /** The dtype of a storage-type marker, or null when g is not one. */
    static TorchDType storageDType(Object g) {
        if (!(g instanceof Py.Global gl) || !gl.module().equals("torch")) return null;
        for (TorchDType t : TorchDType.values()) if (t.storageClass.equals(gl.name())) return t;
        return null;
    }

    // ------------------------------------------------------------------ shared entries

    private static Map<String, Py.Global> common() {
        Map<String, Py.Global> m = new LinkedHashMap<>();
        put(m, "collections", "OrderedDict", Py.Kind.CLASS, (a, s) -> dict("OrderedDict", a, s));
        // protocol 2 (torch's legacy format) writes Python 3's builtins under their Python 2 name, __builtin__
        for (String mod : List.of("builtins", "__builtin__")) {
            put(m, mod, "set", Py.Kind.CLASS, AllowList::set);
            put(m, mod, "frozenset", Py.Kind.CLASS, AllowList::set);
        }
        put(m, "_codecs", "encode", Py.Kind.FUNCTION, AllowList::codecsEncode);
        put(m, "torch._utils", "_rebuild_tensor", Py.Kind.FUNCTION, (a, s) -> {
            need(a, 4, 4, "_rebuild_tensor", s);
            return TensorRef.fromArgs(a[0], a[1], a[2], a[3], s);
        });
        put(m, "torch._utils", "_rebuild_tensor_v2", Py.Kind.FUNCTION, (a, s) -> {
            need(a, 6, 7, "_rebuild_tensor_v2", s);
            return TensorRef.fromArgs(a[0], a[1], a[2], a[3], s);
        });
        put(m, "torch._utils", "_rebuild_parameter", Py.Kind.FUNCTION, (a, s) -> parameter(a, 3, s));
        put(m, "torch._utils", "_rebuild_parameter_with_state", Py.Kind.FUNCTION, (a, s) -> parameter(a, 4, s));
        for (String mod : List.of("numpy.core.multiarray", "numpy._core.multiarray")) {
            put(m, mod, "scalar", Py.Kind.FUNCTION, AllowList::numpyScalar);
            put(m, mod, "_reconstruct", Py.Kind.FUNCTION, AllowList::numpyReconstruct);
        }
        put(m, "numpy", "dtype", Py.Kind.CLASS, (a, s) -> {
            if (a.length < 1 || !(a[0] instanceof String name)) throw new CheckpointException(s + ": numpy.dtype needs a type name");
            return new Py.NumpyDtype(name);
        });
        put(m, "numpy", "ndarray", Py.Kind.MARKER, null);
        return m;
    }

    private static void storageTypes(Map<String, Py.Global> m) {
        for (TorchDType t : TorchDType.values()) put(m, "torch", t.storageClass, Py.Kind.MARKER, null);
    }

    private static void put(Map<String, Py.Global> m, String module, String name, Py.Kind kind, Py.Constructor c) {
        m.put(module + "." + name, new Py.Global(module, name, kind, c));
    }

    private static void need(Object[] a, int min, int max, String fn, String source) throws CheckpointException {
        if (a.length < min || a.length > max) {
            throw new CheckpointException(source + ": " + fn + " called with " + a.length + " arguments (expected "
                    + (min == max ? String.valueOf(min) : min + " to " + max) + ")");
        }
    }

    // ------------------------------------------------------------------ constructors

    private static Object persistentObject(Object[] a, String source) throws CheckpointException {
        need(a, 1, 1, "_reconstruct_persistent_obj", source);
        if (!(a[0] instanceof Map<?, ?> meta)) throw new CheckpointException(source + ": persistent object metadata must be a dict, got " + Py.typeName(a[0]));
        if (!"class".equals(meta.get("type"))) {
            throw new CheckpointException(source + ": persistent object of type " + Py.describe(meta.get("type")) + " is not supported (expected 'class')");
        }
        if (!(meta.get("class_name") instanceof String cls)) throw new CheckpointException(source + ": persistent object without a class_name");
        if (!(meta.get("state") instanceof Map<?, ?> state)) {
            throw new CheckpointException(source + ": persistent object " + SafeUnpickler.printable(cls) + " has no state dict");
        }
        // module_src is the class's Python source. It is never run, compiled or even parsed here.
        int srcLen = meta.get("module_src") instanceof String src ? src.length() : 0;
        return new Py.Persistent(cls, state, srcLen);
    }

    private static Object loadFromBytes(Object[] a, String source) throws CheckpointException {
        need(a, 1, 1, "torch.storage._load_from_bytes", source);
        if (a[0] instanceof byte[] b) return new LegacyTorchFormat.EmbeddedStorage(ByteSource.of(source + " (embedded storage)", b));
        if (a[0] instanceof Py.ByteSlice s) {
            return new LegacyTorchFormat.EmbeddedStorage(s.source().window(source + " (storage embedded at byte " + s.offset() + ")", s.offset(), s.length()));
        }
        throw new CheckpointException(source + ": torch.storage._load_from_bytes expects bytes, got " + Py.typeName(a[0]));
    }

    private static Object dict(String type, Object[] a, String source) throws CheckpointException {
        Py.Dict d = new Py.Dict(type);
        if (a.length == 0) return d;
        if (a.length == 1 && a[0] instanceof Map<?, ?> init) {
            for (Map.Entry<?, ?> e : init.entrySet()) d.put(e.getKey(), e.getValue());
            return d;
        }
        if (a.length == 1 && a[0] instanceof List<?> pairs) {
            for (Object p : pairs) {
                Object k, v;
                if (p instanceof Object[] t && t.length == 2) { k = t[0]; v = t[1]; }
                else if (p instanceof List<?> l && l.size() == 2) { k = l.get(0); v = l.get(1); }
                else throw new CheckpointException(source + ": " + type + " items must be pairs, got " + Py.typeName(p));
                if (!Py.isSimpleKey(k)) throw new CheckpointException(source + ": " + type + " key of type " + Py.typeName(k) + " is not supported");
                d.put(k, v);
            }
            return d;
        }
        throw new CheckpointException(source + ": " + type + " called with unsupported arguments");
    }

    private static Object set(Object[] a, String source) throws CheckpointException {
        Set<Object> set = new HashSet<>();
        if (a.length == 0) return set;
        if (a.length == 1 && a[0] instanceof List<?> items) {
            for (Object o : items) {
                if (!Py.isSimpleKey(o)) throw new CheckpointException(source + ": set item of type " + Py.typeName(o) + " is not supported");
                set.add(o);
            }
            return set;
        }
        throw new CheckpointException(source + ": set() expects one list argument");
    }

    private static Object codecsEncode(Object[] a, String source) throws CheckpointException {
        need(a, 2, 2, "_codecs.encode", source);
        if (a[0] instanceof String text && a[1] instanceof String enc && (enc.equals("latin1") || enc.equals("latin-1"))) {
            return text.getBytes(StandardCharsets.ISO_8859_1);
        }
        throw new CheckpointException(source + ": _codecs.encode is accepted only as (str, 'latin1'), the way pickle stores bytes");
    }

    private static Object parameter(Object[] a, int n, String source) throws CheckpointException {
        need(a, n, n, n == 3 ? "_rebuild_parameter" : "_rebuild_parameter_with_state", source);
        if (!(a[0] instanceof TensorRef t)) throw new CheckpointException(source + ": _rebuild_parameter expects a tensor, got " + Py.typeName(a[0]));
        return t;
    }

    private static Object numpyReconstruct(Object[] a, String source) throws CheckpointException {
        need(a, 3, 3, "numpy _reconstruct", source);
        if (!(a[0] instanceof Py.Global g) || !g.qualifiedName().equals("numpy.ndarray")) {
            throw new CheckpointException(source + ": numpy _reconstruct is accepted only for numpy.ndarray, got " + Py.typeName(a[0]));
        }
        return new Py.NumpyArray();
    }

    /** numpy.core.multiarray.scalar(dtype, bytes): a numpy scalar, returned as Double, Long or Boolean. */
    private static Object numpyScalar(Object[] a, String source) throws CheckpointException {
        need(a, 2, 2, "numpy scalar", source);
        if (!(a[0] instanceof Py.NumpyDtype dt) || !(a[1] instanceof byte[] raw)) {
            throw new CheckpointException(source + ": numpy scalar expects (dtype, bytes), got (" + Py.typeName(a[0]) + ", " + Py.typeName(a[1]) + ")");
        }
        String name = dt.name;
        ByteBuffer bb = ByteBuffer.wrap(raw).order(dt.byteOrder.equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int size = name.length() >= 2 ? switch (name.substring(1)) {
            case "1" -> 1; case "2" -> 2; case "4" -> 4; case "8" -> 8; default -> -1;
        } : -1;
        if (size < 0 || raw.length != size) {
            throw new CheckpointException(source + ": numpy scalar of dtype '" + SafeUnpickler.printable(name) + "' with " + raw.length + " bytes is not supported");
        }
        return switch (name.charAt(0)) {
            case 'f' -> switch (size) {
                case 2 -> (double) Float.float16ToFloat(bb.getShort());
                case 4 -> (double) bb.getFloat();
                case 8 -> bb.getDouble();
                default -> throw new CheckpointException(source + ": numpy float scalar of " + size + " bytes");
            };
            case 'i' -> switch (size) {
                case 1 -> (long) bb.get(); case 2 -> (long) bb.getShort(); case 4 -> (long) bb.getInt(); default -> bb.getLong();
            };
            case 'u' -> switch (size) {
                case 1 -> (long) (bb.get() & 0xff); case 2 -> (long) (bb.getShort() & 0xffff); case 4 -> bb.getInt() & 0xffffffffL;
                default -> bb.getLong();
            };
            case 'b' -> raw[0] != 0;
            default -> throw new CheckpointException(source + ": numpy scalar of dtype '" + SafeUnpickler.printable(name) + "' is not supported");
        };
    }

    /** A copy of a list of strings (for the legacy format's key list), with a type check. */
    static List<String> stringList(Object o, String what, String source) throws CheckpointException {
        if (!(o instanceof List<?> l)) throw new CheckpointException(source + ": " + what + " must be a list, got " + Py.typeName(o));
        List<String> out = new ArrayList<>(l.size());
        for (Object e : l) {
            if (!(e instanceof String s)) throw new CheckpointException(source + ": " + what + " must hold strings, found " + Py.typeName(e));
            out.add(s);
        }
        return out;
    }
}
