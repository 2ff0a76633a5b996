package io.github.dragganjvm.stylegan.io;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code dnnlib.tflib.network.Network} of a classic TensorFlow StyleGAN2 pickle, read as plain data, the way the
 * reference's {@code legacy.py} reads it (as an EasyDict, {@code _TFNetworkStub}).
 *
 * <p>Format: each Network is NEWOBJ of that class plus BUILD of its state dict: {@code version} (4 in NVlabs/stylegan2,
 * 5 in the StyleGAN2-ADA TF code, which adds input/output names and shapes), {@code name}, {@code static_kwargs}
 * (the build function's keyword arguments), {@code components} (a dict of sub-Networks: {@code mapping},
 * {@code synthesis}), {@code build_module_src} (the Python source of the TF network code),
 * {@code build_func_name} and {@code variables}, a list of (name, value) pairs, value a float32 numpy array or
 * {@code numpy.float32} scalar. A pickle holds the tuple (G, D, Gs), or a single Network.
 *
 * <p>{@code build_module_src} is data: it is never run, compiled, parsed or even looked at here (the class is
 * allow-listed as inert data; BUILD only stores its state dict).
 */
final class TfNetworkStub {
    /** The pickled class, "module.name". */
    static final String CLASS = "dnnlib.tflib.network.Network";
    /** The oldest state version the reference converts (older ones are StyleGAN1-era TF pickles). */
    static final int MIN_VERSION = 4;
    private static final int MAX_DEPTH = 8;

    /**
     * One network, flattened as legacy.py's {@code _collect_tf_params} does.
     *
     * @param name         the network's own name (Gs, G, D)
     * @param version      the state version
     * @param staticKwargs the build function's keyword arguments (str keys)
     * @param variables    every variable of the network and its components, by full name ("synthesis/4x4/Conv/weight",
     *                     "dlatent_avg"), as stored (a Py.NumpyArray or a Double); in stored order
     */
    record Parsed(String name, int version, Map<String, Object> staticKwargs, Map<String, Object> variables) {}

    private TfNetworkStub() {}

    /** Whether o is a pickled Network (the allow-list builds it as a {@link Py.Instance} of {@link #CLASS}). */
    static boolean isNetwork(Object o) {
        return o instanceof Py.Instance i && i.pyType.equals(CLASS);
    }

    /** Whether a pickle's top value is a TF network pickle: one Network, or a tuple holding one. */
    static boolean isTfPickle(Object top) {
        if (isNetwork(top)) return true;
        if (top instanceof Object[] t) for (Object o : t) if (isNetwork(o)) return true;
        return false;
    }

    /**
     * Reads one Network's version, static kwargs and variables (with its components', names prefixed by the component
     * name and '/'). Each Network is visited once (a component shared or cyclic is refused), at most
     * {@value #MAX_DEPTH} levels deep; every variable name is unique.
     *
     * @param net   the pickled Network
     * @param where what it is, for messages ("Gs")
     * @param file  the file, for messages
     */
    static Parsed parse(Object net, String where, String file) throws CheckpointException {
        Py.Instance top = network(net, where, file);
        Map<Object, Object> state = top.attributes;
        Object v = state.get("version");
        Long version = Py.asLong(v);
        if (version == null) throw new CheckpointException(file + ": TensorFlow network " + where + " has no int 'version' in its state (got " + Py.describe(v) + ")");
        if (version < MIN_VERSION) {
            throw new CheckpointException(file + ": TensorFlow network " + where + " has state version " + version + "; version " + MIN_VERSION
                    + " or newer (NVlabs/stylegan2, StyleGAN2-ADA TF) is needed, as for the reference's legacy.py");
        }
        Object name = state.get("name");
        Object kw = state.get("static_kwargs");
        if (!(kw instanceof Map<?, ?> kwargs)) throw new CheckpointException(file + ": TensorFlow network " + where + " has no static_kwargs dict (got " + Py.typeName(kw) + ")");
        Map<String, Object> staticKwargs = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : kwargs.entrySet()) {
            if (!(e.getKey() instanceof String k)) throw new CheckpointException(file + ": " + where + " static_kwargs has a key of type " + Py.typeName(e.getKey()));
            staticKwargs.put(k, e.getValue());
        }
        Map<String, Object> variables = new LinkedHashMap<>();
        collect(top, where, "", variables, 0, new IdentityHashMap<>(), file);
        return new Parsed(name instanceof String s ? s : where, (int) Math.min(version, Integer.MAX_VALUE), staticKwargs, variables);
    }

    private static Py.Instance network(Object o, String where, String file) throws CheckpointException {
        if (!isNetwork(o)) throw new CheckpointException(file + ": " + where + " is a " + Py.typeName(o) + ", not a TensorFlow " + CLASS);
        return (Py.Instance) o;
    }

    private static void collect(Py.Instance net, String where, String prefix, Map<String, Object> out, int depth,
                                Map<Py.Instance, String> visited, String file) throws CheckpointException {
        String here = prefix.isEmpty() ? where : where + "/" + prefix.substring(0, prefix.length() - 1);
        String before = visited.putIfAbsent(net, here);
        if (before != null) {
            throw new CheckpointException(file + ": TensorFlow network " + here + " is the same object as " + before
                    + " (shared or cyclic components are not supported: each component has its own variables)");
        }
        if (depth > MAX_DEPTH) throw new CheckpointException(file + ": TensorFlow components nested deeper than " + MAX_DEPTH + " at " + here);
        Object vars = net.attributes.get("variables");
        List<?> list = vars instanceof List<?> l ? l : vars instanceof Object[] t ? java.util.Arrays.asList(t) : null;
        if (list == null) {
            throw new CheckpointException(file + ": TensorFlow network " + here + " has no 'variables' list (got " + Py.typeName(vars) + ")");
        }
        for (Object item : list) {
            Object[] pair = item instanceof Object[] t ? t : item instanceof List<?> l ? l.toArray() : null;
            if (pair == null || pair.length != 2 || !(pair[0] instanceof String n)) {
                throw new CheckpointException(file + ": a variable of TensorFlow network " + here + " is a " + Py.typeName(item)
                        + (pair != null ? " of " + pair.length + " items" : "") + ", expected a (name, value) pair");
            }
            String full = prefix + n;
            if (out.containsKey(full)) throw new CheckpointException(file + ": TensorFlow variable " + SafeUnpickler.printable(full) + " of " + where + " appears twice");
            out.put(full, pair[1]);
        }
        Object comps = net.attributes.get("components");
        if (comps == null) return;
        if (!(comps instanceof Map<?, ?> components)) {
            throw new CheckpointException(file + ": TensorFlow network " + here + " has components that are a " + Py.typeName(comps) + ", not a dict");
        }
        for (Map.Entry<?, ?> e : components.entrySet()) {
            if (!(e.getKey() instanceof String c)) throw new CheckpointException(file + ": a component of " + here + " has a name of type " + Py.typeName(e.getKey()));
            collect(network(e.getValue(), here + "/" + SafeUnpickler.printable(c), file), where, prefix + c + "/", out, depth + 1, visited, file);
        }
    }
}
