package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.io.PickleWriter.Built;
import io.github.dragganjvm.stylegan.io.PickleWriter.Call;
import io.github.dragganjvm.stylegan.io.PickleWriter.G;
import io.github.dragganjvm.stylegan.io.PickleWriter.NewObj;
import io.github.dragganjvm.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Test-only writer of classic TensorFlow StyleGAN2 pickles (NVlabs/stylegan2 layout: a tuple (G, D, Gs) of
 * dnnlib.tflib.network.Network, NEWOBJ + BUILD of a state dict, variables as numpy arrays and numpy.float32 scalars)
 * from a config and NVlabs-named parameters. The TF names and layouts are written out here from the README's
 * description, independently of the loader's converter.
 */
final class MiniTfPickle {
    private MiniTfPickle() {}

    /** Options; the defaults give a valid file. */
    static final class Opts {
        int version = 4;
        String buildModuleSrc = "# stand-in for the TensorFlow network source\n";
        /** Kwargs added or replaced in Gs's static_kwargs (a null value writes None). */
        Map<String, Object> kwargs = new LinkedHashMap<>();
        /** Kwargs left out of Gs's static_kwargs. */
        Set<String> dropKwargs = new HashSet<>();
        /** Full TF names of Gs's variables left out. */
        Set<String> dropVariables = new HashSet<>();
        /** Full TF name to the pickled value written instead (or for a new variable). */
        Map<String, Object> variableValues = new LinkedHashMap<>();
        /** Extra entries of Gs's state dict. */
        Map<String, Object> extraState = new LinkedHashMap<>();
        /** Changes the top-level value (the tuple) before it is written. */
        UnaryOperator<Object> top = t -> t;
    }

    static final G NETWORK = new G("dnnlib.tflib.network", "Network");

    /** The static kwargs NVlabs/stylegan2 writes for this config (fmap_base is half of channel_base). */
    static Map<String, Object> kwargs(GeneratorConfig c) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("num_channels", c.imgChannels());
        k.put("resolution", c.imgResolution());
        k.put("label_size", 0);
        k.put("fmap_base", c.channelBase() / 2);
        k.put("fmap_max", c.channelMax());
        k.put("mapping_layers", c.mappingLayers());
        k.put("dlatent_size", c.wDim());
        k.put("latent_size", c.zDim());
        return k;
    }

    /** Gs's variables in TF names and layouts, by component ("" for Gs itself, "mapping", "synthesis"). */
    static Map<String, Map<String, Tensor>> tfVariables(GeneratorConfig c, Map<String, Tensor> p) {
        Map<String, Tensor> own = new LinkedHashMap<>(), synth = new LinkedHashMap<>(), map = new LinkedHashMap<>();
        own.put("lod", Tensor.of(new float[] {0f}));
        own.put("dlatent_avg", p.get("mapping.w_avg"));
        for (int r = 4, k = 0; r <= c.imgResolution(); r *= 2) {
            synth.put("noise" + k++, lead(p.get("synthesis.b" + r + ".conv" + (r == 4 ? 1 : 0) + ".noise_const"), 2));
            if (r > 4) synth.put("noise" + k++, lead(p.get("synthesis.b" + r + ".conv1.noise_const"), 2));
        }
        for (int r : c.blockResolutions()) {
            String nv = "synthesis.b" + r + ".", tf = r + "x" + r + "/";
            if (r == 4) {
                synth.put(tf + "Const/const", lead(p.get(nv + "const"), 1));
                layer(synth, p, nv + "conv1.", tf + "Conv/", false);
            } else {
                layer(synth, p, nv + "conv0.", tf + "Conv0_up/", true);
                layer(synth, p, nv + "conv1.", tf + "Conv1/", false);
            }
            synth.put(tf + "ToRGB/weight", tfConv(p.get(nv + "torgb.weight"), false));
            synth.put(tf + "ToRGB/mod_weight", transpose(p.get(nv + "torgb.affine.weight")));
            synth.put(tf + "ToRGB/mod_bias", minusOne(p.get(nv + "torgb.affine.bias")));
            synth.put(tf + "ToRGB/bias", p.get(nv + "torgb.bias"));
        }
        for (int i = 0; i < c.mappingLayers(); i++) {
            map.put("Dense" + i + "/weight", transpose(p.get("mapping.fc" + i + ".weight")));
            map.put("Dense" + i + "/bias", p.get("mapping.fc" + i + ".bias"));
        }
        Map<String, Map<String, Tensor>> all = new LinkedHashMap<>();
        all.put("", own);
        all.put("synthesis", synth);
        all.put("mapping", map);
        return all;
    }

    private static void layer(Map<String, Tensor> m, Map<String, Tensor> p, String nv, String tf, boolean flip) {
        m.put(tf + "weight", tfConv(p.get(nv + "weight"), flip));
        m.put(tf + "mod_weight", transpose(p.get(nv + "affine.weight")));
        m.put(tf + "mod_bias", minusOne(p.get(nv + "affine.bias")));
        m.put(tf + "noise_strength", p.get(nv + "noise_strength"));
        m.put(tf + "bias", p.get(nv + "bias"));
    }

    /** The pickle: (G, D, Gs), with G = Gs here and a D without variables; Gs built from p and the options. */
    static byte[] pickle(GeneratorConfig c, Map<String, Tensor> p, Opts o) {
        Map<String, Map<String, Tensor>> vars = tfVariables(c, p);
        Map<String, Object> kw = kwargs(c);
        for (String k : o.dropKwargs) kw.remove(k);
        kw.putAll(o.kwargs);
        Map<String, Object> comps = new LinkedHashMap<>();
        for (String comp : List.of("synthesis", "mapping")) {
            comps.put(comp, network(o, comp.equals("synthesis") ? "G_synthesis" : "G_mapping", kw, Map.of(), variables(o, comp + "/", vars.get(comp)), o.extraState));
        }
        Object gs = network(o, "Gs", kw, comps, variables(o, "", vars.get("")), o.extraState);
        Object d = network(o, "D", Map.of("resolution", c.imgResolution()), Map.of(), List.of(), Map.of());
        Object top = o.top.apply(new Object[] {gs, d, gs});
        return PickleWriter.pickle(4, top);
    }

    private static List<Object> variables(Opts o, String prefix, Map<String, Tensor> vars) {
        List<Object> l = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : vars.entrySet()) {
            String full = prefix + e.getKey();
            if (o.dropVariables.contains(full)) continue;
            Object v = o.variableValues.containsKey(full) ? o.variableValues.get(full)
                    : e.getValue().shape().length == 0 || full.equals("lod") ? scalarF4(e.getValue().toFloatArray()[0]) : ndarray(e.getValue());
            l.add(new Object[] {e.getKey(), v});
        }
        for (Map.Entry<String, Object> e : o.variableValues.entrySet()) {
            if (e.getKey().startsWith(prefix) && !vars.containsKey(e.getKey().substring(prefix.length()))
                    && (prefix.isEmpty() ? !e.getKey().contains("/") : true)) {
                l.add(new Object[] {e.getKey().substring(prefix.length()), e.getValue()});
            }
        }
        return l;
    }

    static Object network(Opts o, String name, Map<String, Object> kwargs, Map<String, Object> components, List<Object> variables, Map<String, Object> extra) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("version", o.version);
        state.put("name", name);
        state.put("static_kwargs", kwargs);
        state.put("components", components);
        state.put("build_module_src", o.buildModuleSrc);
        state.put("build_func_name", name.equals("Gs") ? "G_main" : name);
        state.put("variables", variables);
        state.putAll(extra);
        return new NewObj(NETWORK, state);
    }

    /** numpy.dtype('f4') with its BUILD state, as numpy pickles it. */
    static Object dtypeF4() {
        return new Built(new Call(new G("numpy", "dtype"), "f4", false, true), new Object[] {3, "<", null, null, null, -1, -1, 0});
    }

    /** A C-order little-endian float32 numpy array: _reconstruct(ndarray, (0,), b'b') + BUILD (1, shape, dtype, False, raw). */
    static Object ndarray(Tensor t) {
        return ndarray(t.shape(), dtypeF4(), false, le(t.toFloatArray()));
    }

    static Object ndarray(int[] shape, Object dtype, boolean fortran, Object raw) {
        Object[] s = new Object[shape.length];
        for (int i = 0; i < shape.length; i++) s[i] = shape[i];
        Object arr = new Call(new G("numpy.core.multiarray", "_reconstruct"), new G("numpy", "ndarray"), new Object[] {0}, new byte[] {'b'});
        return new Built(arr, new Object[] {1, s, dtype, fortran, raw});
    }

    /** numpy.float32(v): numpy.core.multiarray.scalar(dtype('f4'), 4 bytes). */
    static Object scalarF4(float v) {
        return new Call(new G("numpy.core.multiarray", "scalar"), dtypeF4(), le(new float[] {v}));
    }

    static byte[] le(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    private static Tensor lead(Tensor t, int ones) {
        int[] s = new int[t.shape().length + ones];
        java.util.Arrays.fill(s, 0, ones, 1);
        System.arraycopy(t.shape(), 0, s, ones, t.shape().length);
        return Tensor.of(t.toFloatArray(), s);
    }

    private static Tensor transpose(Tensor t) {
        int a = t.size(0), b = t.size(1);
        float[] v = t.toFloatArray(), o = new float[v.length];
        for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) o[j * a + i] = v[i * b + j];
        return Tensor.of(o, b, a);
    }

    private static Tensor minusOne(Tensor t) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] -= 1f;
        return Tensor.of(v, t.shape());
    }

    /** [out, in, kh, kw] to TF's [kh, kw, in, out]; flipped spatially for a transposed (up-sampling) convolution. */
    private static Tensor tfConv(Tensor t, boolean flip) {
        int out = t.size(0), in = t.size(1), kh = t.size(2), kw = t.size(3);
        float[] v = t.toFloatArray(), o = new float[v.length];
        for (int c = 0; c < out; c++) for (int i = 0; i < in; i++) for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++) {
            int ty = flip ? kh - 1 - y : y, tx = flip ? kw - 1 - x : x;
            o[((ty * kw + tx) * in + i) * out + c] = v[((c * in + i) * kh + y) * kw + x];
        }
        return Tensor.of(o, kh, kw, in, out);
    }
}
