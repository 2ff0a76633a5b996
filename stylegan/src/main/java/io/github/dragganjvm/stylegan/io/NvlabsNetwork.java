package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code G_ema} out of an NVlabs network pickle (stylegan2-ada-pytorch, stylegan3's networks_stylegan2,
 * DragGAN): a dict whose modules are {@code torch_utils.persistence} objects (class name, instance dict with
 * {@code _parameters}, {@code _buffers}, {@code _modules}, attributes and {@code _init_kwargs}). Parameters are
 * named by their module path, which is NVlabs naming. Hyper-parameters come from the modules' attributes and init
 * kwargs and are checked against each other and against the tensor shapes.
 */
final class NvlabsNetwork {
    private NvlabsNetwork() {}

    private static final int MAX_DEPTH = 32;

    record Result(GeneratorConfig config, Map<String, Tensor> params, List<String> notes) {}

    static Result read(String file, Object top) throws IOException { return read(file, top, "G_ema"); }

    /** Reads the generator under the given key (G_ema; tests also read G to show the two differ). */
    static Result read(String file, Object top, String key) throws IOException {
        if (top instanceof TensorRef) throw new CheckpointException(file + ": the pickle holds a single tensor, not a network pickle with G_ema");
        if (!(top instanceof Map<?, ?> d)) throw new CheckpointException(file + ": the pickle holds a " + Py.typeName(top) + "; expected an NVlabs network pickle (a dict with G_ema)");
        if (!d.containsKey(key)) {
            throw new CheckpointException(file + ": no '" + key + "' in the pickle (keys: " + keys(d) + "); expected an NVlabs network pickle with " + key
                    + (d.containsKey("g_ema") ? " (this looks like a rosinality checkpoint saved with pickle, not torch.save)" : ""));
        }
        if (!(d.get(key) instanceof Py.Persistent g)) {
            throw new CheckpointException(file + ": " + key + " is a " + Py.typeName(d.get(key)) + ", not a persistent NVlabs module");
        }
        if (!g.className().equals("Generator")) throw new CheckpointException(file + ": " + key + " is a '" + SafeUnpickler.printable(g.className()) + "', not a Generator");
        List<String> notes = new ArrayList<>();

        Py.Persistent mapping = module(g, "mapping", file, key);
        Py.Persistent synthesis = module(g, "synthesis", file, key);
        Map<?, ?> blocks = modules(synthesis, file, key + ".synthesis");
        for (Map.Entry<?, ?> e : blocks.entrySet()) {
            String cls = e.getValue() instanceof Py.Persistent p ? p.className() : Py.typeName(e.getValue());
            if ("input".equals(e.getKey()) || cls.equals("SynthesisInput")) {
                throw new CheckpointException(file + ": " + key + " is a StyleGAN3 (alias-free) generator (synthesis has " + Py.describe(e.getKey()) + " of class "
                        + SafeUnpickler.printable(cls) + "); only StyleGAN2 generators are supported");
            }
        }

        int zDim = intAttr(g, "z_dim", file, key);
        int cDim = intAttr(g, "c_dim", file, key);
        int wDim = intAttr(g, "w_dim", file, key);
        int res = intAttr(g, "img_resolution", file, key);
        int imgChannels = intAttr(g, "img_channels", file, key);
        if (cDim != 0) {
            throw new CheckpointException(file + ": " + key + " is a conditional generator (c_dim = " + cDim + "); only unconditional generators (c_dim = 0) are supported");
        }
        if (res < 4 || Integer.bitCount(res) != 1) throw new CheckpointException(file + ": img_resolution " + res + " is not a power of two >= 4");
        int synthRes = intAttr(synthesis, "img_resolution", file, key + ".synthesis");
        if (synthRes != res) throw new CheckpointException(file + ": " + key + " img_resolution " + res + " but synthesis img_resolution " + synthRes);

        // the blocks must be exactly b4 ... b{res}
        List<String> expected = new ArrayList<>();
        for (int r = 4; r <= res; r *= 2) expected.add("b" + r);
        if (!new ArrayList<>(blocks.keySet()).equals(expected)) {
            throw new CheckpointException(file + ": synthesis blocks are " + keys(blocks) + "; a StyleGAN2 generator of resolution " + res + " has " + expected);
        }

        int layers = intAttr(mapping, "num_layers", file, key + ".mapping");
        double lr = mappingLr(g, mapping, file, key);

        Object clampSeen = MISSING;
        String clampFrom = null;
        int fp16Blocks = 0;
        for (String b : expected) {
            Py.Persistent block = module(synthesis, b, file, key + ".synthesis");
            Object arch = attr(block, "architecture");
            if (arch == MISSING) throw new CheckpointException(file + ": synthesis." + b + " has no 'architecture' attribute");
            if (!"skip".equals(arch)) {
                throw new CheckpointException(file + ": synthesis." + b + " has architecture " + Py.describe(arch) + "; only the 'skip' architecture (the StyleGAN2"
                        + " default, used by DragGAN's models) is supported");
            }
            if (Boolean.TRUE.equals(attr(block, "use_fp16"))) fp16Blocks++;
            for (Map.Entry<?, ?> e : modules(block, file, key + ".synthesis." + b).entrySet()) {
                if (!(e.getValue() instanceof Py.Persistent layer)) continue;
                Object c = attr(layer, "conv_clamp");
                if (c == MISSING) continue;
                if (c != null && Py.asDouble(c) == null) throw new CheckpointException(file + ": synthesis." + b + "." + Py.describe(e.getKey()) + ".conv_clamp is a " + Py.typeName(c));
                Object v = c == null ? null : Py.asDouble(c);
                if (clampSeen == MISSING) {
                    clampSeen = v;
                    clampFrom = "synthesis." + b + "." + Py.describe(e.getKey());
                } else if (!java.util.Objects.equals(clampSeen, v)) {
                    throw new CheckpointException(file + ": conv_clamp differs between layers (" + clampFrom + ": " + clampSeen + ", synthesis." + b + "."
                            + Py.describe(e.getKey()) + ": " + v + ")");
                }
            }
        }
        Double clamp;
        if (clampSeen == MISSING) {
            Object c = synthesisKwarg(g, synthesis, "conv_clamp");
            if (c == MISSING) throw new CheckpointException(file + ": no layer of " + key + ".synthesis records conv_clamp, nor do its init kwargs");
            clamp = c == null ? null : Py.asDouble(c);
        } else {
            clamp = (Double) clampSeen;
        }

        int fp16;
        Object f = attr(synthesis, "num_fp16_res");
        if (f == MISSING) f = synthesisKwarg(g, synthesis, "num_fp16_res");
        if (f != MISSING && Py.asLong(f) != null) {
            fp16 = (int) (long) Py.asLong(f);
        } else {
            fp16 = fp16Blocks;
            notes.add("num_fp16_res not stored; counted " + fp16Blocks + " fp16 blocks");
        }

        // tensors: found (nothing read), channels from their shapes
        Map<String, TensorRef> refs = new LinkedHashMap<>();
        collect(g, "", refs, 0, file);

        int[] resolutions = new int[expected.size()];
        int[] channels = new int[expected.size()];
        for (int i = 0; i < resolutions.length; i++) {
            resolutions[i] = 4 << i;
            String conv = "synthesis.b" + resolutions[i] + ".conv1.weight";
            TensorRef w = refs.get(conv);
            if (w == null || w.size.length != 4) throw new CheckpointException(file + ": " + conv + " is missing or not 4-dimensional");
            channels[i] = w.size[0];
        }
        Object base = synthesisKwarg(g, synthesis, "channel_base"), max = synthesisKwarg(g, synthesis, "channel_max");
        int channelBase, channelMax;
        if (base != MISSING && max != MISSING && Py.asLong(base) != null && Py.asLong(max) != null) {
            channelBase = (int) (long) Py.asLong(base);
            channelMax = (int) (long) Py.asLong(max);
        } else {
            int[] inferred = Checkpoints.inferChannels(resolutions, channels, file);
            channelBase = base != MISSING && Py.asLong(base) != null ? (int) (long) Py.asLong(base) : inferred[0];
            channelMax = max != MISSING && Py.asLong(max) != null ? (int) (long) Py.asLong(max) : inferred[1];
            notes.add("channel_base/channel_max not both in the init kwargs; inferred from shapes");
        }
        GeneratorConfig.Aspect aspect = aspect(g, refs.get("synthesis.b4.const"), file, key);
        if (aspect != GeneratorConfig.Aspect.SQUARE) notes.add("StyleGAN-Human rectangular generator (const 4x2): images " + res + "x" + aspect.width(res)
                + ", padded to " + res + "x" + res + " as DragGAN does");
        GeneratorConfig config;
        try {
            config = new GeneratorConfig(zDim, wDim, cDim, res, imgChannels, layers, lr, channelBase, channelMax, clamp, fp16, "skip", aspect);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }

        // names and shapes against the config, then every layout against its storage, then (only then) the data
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : refs.entrySet()) shapes.put(e.getKey(), e.getValue().size);
        Checkpoints.validateShapes(config, shapes, file, true, true);
        TensorRef.checkAll(refs, "", file);
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : refs.entrySet()) params.put(e.getKey(), e.getValue().toF32(e.getKey(), file));
        return new Result(config, params, notes);
    }

    /**
     * The blocks' aspect from the shape of {@code synthesis.b4.const}: [C, 4, 4] square, [C, 4, 2] StyleGAN-Human's
     * rectangular layout (any other shape: square, so that the shape check names the tensor and the expected shape). A {@code square} init kwarg (StyleGAN-Human's Generator has one; DragGAN's renderer passes
     * it instead of the pickle) must agree with the shape.
     */
    static GeneratorConfig.Aspect aspect(Py.Persistent g, TensorRef constRef, String file, String key) throws CheckpointException {
        GeneratorConfig.Aspect a = GeneratorConfig.Aspect.SQUARE;   // any other shape is reported by the shape check against SQUARE
        if (constRef != null && constRef.size.length == 3 && constRef.size[1] == 4) {
            for (GeneratorConfig.Aspect c : GeneratorConfig.Aspect.values()) if (constRef.size[2] == c.width(4)) a = c;
        }
        Object sq = kwarg(g, "square");
        if (sq != MISSING && sq instanceof Boolean b && b != (a == GeneratorConfig.Aspect.SQUARE)) {
            throw new CheckpointException(file + ": " + key + " has the init kwarg square=" + (b ? "True" : "False") + " but synthesis.b4.const has shape "
                    + (constRef == null ? "(missing)" : java.util.Arrays.toString(constRef.size)));
        }
        return a;
    }

    /** A sentinel for "no such attribute" (distinct from Python None, which is null). */
    static final Object MISSING = new Object();

    /** An attribute of the instance dict, else an init kwarg, else MISSING. */
    static Object attr(Py.Persistent m, String name) {
        if (m.state().containsKey(name)) return m.state().get(name);
        if (m.state().get("_init_kwargs") instanceof Map<?, ?> kw && kw.containsKey(name)) return kw.get(name);
        return MISSING;
    }

    static Object kwarg(Py.Persistent m, String name) {
        if (m.state().get("_init_kwargs") instanceof Map<?, ?> kw && kw.containsKey(name)) return kw.get(name);
        return MISSING;
    }

    /** A SynthesisNetwork hyper-parameter: its own init kwargs, then G's synthesis_kwargs, then G's flat kwargs. */
    static Object synthesisKwarg(Py.Persistent g, Py.Persistent synthesis, String name) {
        Object v = kwarg(synthesis, name);
        if (v != MISSING) return v;
        if (kwarg(g, "synthesis_kwargs") instanceof Map<?, ?> sk && sk.containsKey(name)) return sk.get(name);
        return kwarg(g, name);
    }

    static int intAttr(Py.Persistent m, String name, String file, String where) throws CheckpointException {
        Object v = attr(m, name);
        Long l = Py.asLong(v);
        if (v == MISSING || l == null || l < 0 || l > 1 << 20) {
            throw new CheckpointException(file + ": " + where + "." + name + (v == MISSING ? " is missing (neither an attribute nor an init kwarg)"
                    : " is " + Py.typeName(v) + " " + (l != null ? l : "") + ", expected an int in [0, 2^20]"));
        }
        return (int) (long) l;
    }

    /** The mapping's lr multiplier: fc0's bias_gain (what the stored module applies), else the init kwargs. */
    static double mappingLr(Py.Persistent g, Py.Persistent mapping, String file, String key) throws CheckpointException {
        Py.Persistent fc0 = module(mapping, "fc0", file, key + ".mapping");
        Object v = fc0.state().get("bias_gain");
        String from = "mapping.fc0.bias_gain";
        if (Py.asDouble(v) == null) { v = kwarg(fc0, "lr_multiplier"); from = "mapping.fc0 init kwargs"; }
        if (Py.asDouble(v) == null) { v = kwarg(mapping, "lr_multiplier"); from = "mapping init kwargs"; }
        if (Py.asDouble(v) == null && kwarg(g, "mapping_kwargs") instanceof Map<?, ?> mk) { v = mk.get("lr_multiplier"); from = key + " mapping_kwargs"; }
        Double lr = Py.asDouble(v);
        if (lr == null || !(lr > 0) || lr.isInfinite()) throw new CheckpointException(file + ": cannot find the mapping network's lr multiplier (" + from + ")");
        Double wg = Py.asDouble(fc0.state().get("weight_gain"));
        Long in = Py.asLong(fc0.state().get("in_features"));
        if (wg != null && in != null && in > 0 && Math.abs(wg - lr / Math.sqrt(in)) > 1e-9 * Math.abs(wg)) {
            throw new CheckpointException(file + ": mapping.fc0 weight_gain " + wg + " disagrees with lr multiplier " + lr + " / sqrt(" + in + ")");
        }
        return lr;
    }

    static Map<?, ?> modules(Py.Persistent m, String file, String where) throws CheckpointException {
        if (!(m.state().get("_modules") instanceof Map<?, ?> mods)) throw new CheckpointException(file + ": " + where + " has no _modules dict");
        return mods;
    }

    static Py.Persistent module(Py.Persistent m, String name, String file, String where) throws CheckpointException {
        Object o = modules(m, file, where).get(name);
        if (!(o instanceof Py.Persistent p)) {
            throw new CheckpointException(file + ": " + where + "." + name + (o == null ? " is missing" : " is a " + Py.typeName(o) + ", not a persistent module"));
        }
        return p;
    }

    /** Collects parameters and persistent buffers under their state_dict names. */
    private static void collect(Py.Persistent m, String prefix, Map<String, TensorRef> out, int depth, String file) throws CheckpointException {
        collect(m, "G_ema", prefix, out, depth, file);
    }

    /**
     * The same for any module; root names the top module in messages (G_ema, D). Each module is visited once: a
     * module reached a second time (shared between two parents through the pickle's memo, or its own ancestor) is
     * refused, so the walk is linear in the modules the file holds (a DAG of n levels would otherwise be 2^n paths).
     */
    static void collect(Py.Persistent m, String root, String prefix, Map<String, TensorRef> out, int depth, String file) throws CheckpointException {
        collect(m, root, prefix, out, depth, file, new IdentityHashMap<>());
    }

    private static void collect(Py.Persistent m, String root, String prefix, Map<String, TensorRef> out, int depth, String file,
                                Map<Py.Persistent, String> visited) throws CheckpointException {
        String here = prefix.isEmpty() ? root : root + "." + prefix.substring(0, prefix.length() - 1);
        String before = visited.putIfAbsent(m, here);
        if (before != null) {
            throw new CheckpointException(file + ": submodule " + here + " is the same module object as " + before
                    + " (shared or cyclic submodules are not supported: each module of a network has its own parameters)");
        }
        if (depth > MAX_DEPTH) throw new CheckpointException(file + ": modules nested deeper than " + MAX_DEPTH + " at " + prefix);
        Set<?> nonPersistent = m.state().get("_non_persistent_buffers_set") instanceof Set<?> s ? s : Set.of();
        for (String group : new String[] {"_parameters", "_buffers"}) {
            Object g = m.state().get(group);
            if (g == null) continue;
            if (!(g instanceof Map<?, ?> tensors)) throw new CheckpointException(file + ": " + prefix + group + " is a " + Py.typeName(g) + ", not a dict");
            for (Map.Entry<?, ?> e : tensors.entrySet()) {
                if (!(e.getKey() instanceof String k)) throw new CheckpointException(file + ": " + prefix + group + " has a non-string key");
                if (e.getValue() == null || group.equals("_buffers") && nonPersistent.contains(k)) continue;
                if (!(e.getValue() instanceof TensorRef t)) {
                    throw new CheckpointException(file + ": " + prefix + k + " is a " + Py.typeName(e.getValue()) + ", not a tensor");
                }
                out.put(prefix + k, t);
            }
        }
        for (Map.Entry<?, ?> e : modules(m, file, here).entrySet()) {
            if (e.getValue() == null) continue;
            if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof Py.Persistent child)) {
                throw new CheckpointException(file + ": submodule " + prefix + Py.describe(e.getKey()) + " is a " + Py.typeName(e.getValue()) + ", not a persistent NVlabs module");
            }
            collect(child, root, prefix + k + ".", out, depth + 1, file, visited);
        }
    }

    static String keys(Map<?, ?> d) {
        List<String> k = new ArrayList<>();
        for (Object o : d.keySet()) {
            if (k.size() == 12) { k.add("..."); break; }
            k.add(o instanceof String s ? SafeUnpickler.printable(s) : Py.typeName(o));
        }
        return k.toString();
    }
}
