package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.MISSING;
import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.attr;
import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.intAttr;
import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.module;
import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.modules;

/**
 * Reads a StyleGAN3 {@code G_ema} (NVlabs stylegan3 / DragGAN {@code networks_stylegan3.py}) out of an NVlabs network
 * pickle, already unpickled into inert data by {@link SafeUnpickler}. The kind is told from the content: the
 * generator's synthesis network has an {@code input} module of class {@code SynthesisInput}.
 *
 * <p>Order of checks: hyper-parameters from attributes and init kwargs; the layer schedule they imply
 * ({@link StyleGan3Config#layers()}) against every stored layer's name and attributes (sizes, channels, up/down
 * factors, paddings, kernel); tensor names and shapes against {@link StyleGan3Config#requiredShapes()}; every layout
 * against its storage; only then is data read.
 */
final class StyleGan3Network {
    private StyleGan3Network() {}

    /** Whether an unpickled top-level object is an NVlabs pickle whose G_ema is a StyleGAN3 generator. */
    static boolean isStyleGan3(Object top) {
        if (!(top instanceof Map<?, ?> d) || !(d.get("G_ema") instanceof Py.Persistent g)) return false;
        if (!(g.state().get("_modules") instanceof Map<?, ?> gm) || !(gm.get("synthesis") instanceof Py.Persistent s)) return false;
        return s.state().get("_modules") instanceof Map<?, ?> sm && sm.get("input") instanceof Py.Persistent in && in.className().equals("SynthesisInput");
    }

    /**
     * Reads G_ema of a pickle that {@link #isStyleGan3} accepted. Messages name the file as "FILE (StyleGAN3 pickle)".
     *
     * @param source the file (absolute), for the result
     * @param name   the file's name for messages
     */
    static StyleGan3Checkpoint read(java.nio.file.Path source, String name, Object top) throws IOException {
        String file = name + " (StyleGAN3 pickle)";
        String key = "G_ema";
        if (!(top instanceof Map<?, ?> d) || !(d.get(key) instanceof Py.Persistent g)) throw new CheckpointException(file + ": no G_ema module in the pickle");
        if (!g.className().equals("Generator")) throw new CheckpointException(file + ": G_ema is a '" + SafeUnpickler.printable(g.className()) + "', not a Generator");
        List<String> notes = new ArrayList<>();
        Py.Persistent mapping = module(g, "mapping", file, key), synthesis = module(g, "synthesis", file, key);
        if (!synthesis.className().equals("SynthesisNetwork")) {
            throw new CheckpointException(file + ": G_ema.synthesis is a '" + SafeUnpickler.printable(synthesis.className()) + "', not a StyleGAN3 SynthesisNetwork");
        }
        Py.Persistent input = module(synthesis, "input", file, key + ".synthesis");
        if (!mapping.className().equals("MappingNetwork")) throw new CheckpointException(file + ": G_ema.mapping is a '" + SafeUnpickler.printable(mapping.className()) + "', not a MappingNetwork");

        int zDim = intAttr(g, "z_dim", file, key), cDim = intAttr(g, "c_dim", file, key), wDim = intAttr(g, "w_dim", file, key);
        int res = intAttr(g, "img_resolution", file, key), imgChannels = intAttr(g, "img_channels", file, key);
        if (cDim != 0) throw new CheckpointException(file + ": G_ema is a conditional generator (c_dim = " + cDim + "); only unconditional generators (c_dim = 0) are supported");
        if (res < 16 || Integer.bitCount(res) != 1) throw new CheckpointException(file + ": img_resolution " + res + " is not a power of two >= 16");
        if (g.state().get("resize") != null) {
            throw new CheckpointException(file + ": G_ema.resize is " + Py.describe(g.state().get("resize")) + "; resized StyleGAN3 outputs are not supported");
        }
        int layersMap = intAttr(mapping, "num_layers", file, key + ".mapping");
        double lr = NvlabsNetwork.mappingLr(g, mapping, file, key);

        int numLayers = intAttr(synthesis, "num_layers", file, key + ".synthesis");
        int numCritical = intAttr(synthesis, "num_critical", file, key + ".synthesis");
        int margin = intAttr(synthesis, "margin_size", file, key + ".synthesis");
        double outputScale = real(attr(synthesis, "output_scale"), "synthesis.output_scale", file, null);
        Object f16 = attr(synthesis, "num_fp16_res");
        int fp16 = f16 != MISSING && Py.asLong(f16) != null ? (int) (long) Py.asLong(f16) : 0;

        int channelBase = (int) integer(NvlabsNetwork.synthesisKwarg(g, synthesis, "channel_base"), "channel_base", file, null, notes);
        int channelMax = (int) integer(NvlabsNetwork.synthesisKwarg(g, synthesis, "channel_max"), "channel_max", file, null, notes);
        double firstCutoff = real(NvlabsNetwork.synthesisKwarg(g, synthesis, "first_cutoff"), "first_cutoff", file, StyleGan3Config.DEFAULT_FIRST_CUTOFF);
        double firstStopband = real(NvlabsNetwork.synthesisKwarg(g, synthesis, "first_stopband"), "first_stopband", file, StyleGan3Config.DEFAULT_FIRST_STOPBAND);
        double lastRel = real(NvlabsNetwork.synthesisKwarg(g, synthesis, "last_stopband_rel"), "last_stopband_rel", file, StyleGan3Config.DEFAULT_LAST_STOPBAND_REL);
        int filterSize = (int) integer(NvlabsNetwork.synthesisKwarg(g, synthesis, "filter_size"), "filter_size", file, (long) StyleGan3Config.DEFAULT_FILTER_SIZE, notes);
        int lreluUp = (int) integer(NvlabsNetwork.synthesisKwarg(g, synthesis, "lrelu_upsampling"), "lrelu_upsampling", file, (long) StyleGan3Config.DEFAULT_LRELU_UPSAMPLING, notes);

        // the first layer's own attributes: kernel, clamp, radial filters
        Object names = attr(synthesis, "layer_names");
        if (!(names instanceof List<?> layerNames) || layerNames.size() != numLayers + 1) {
            throw new CheckpointException(file + ": G_ema.synthesis.layer_names is " + Py.typeName(names) + ", expected a list of num_layers + 1 = " + (numLayers + 1) + " names");
        }
        Py.Persistent first = layerModule(synthesis, layerNames.get(0), file);
        int convKernel = intAttr(first, "conv_kernel", file, key + ".synthesis." + layerNames.get(0));
        Object radial = NvlabsNetwork.synthesisKwarg(g, synthesis, "use_radial_filters");
        boolean useRadial;
        if (radial instanceof Boolean b) useRadial = b;
        else if (radial == MISSING) useRadial = Boolean.TRUE.equals(attr(first, "down_radial"));
        else throw new CheckpointException(file + ": use_radial_filters is " + Py.typeName(radial) + ", expected a bool");
        Object clampSeen = MISSING;
        for (Object n : layerNames) {
            Object c = attr(layerModule(synthesis, n, file), "conv_clamp");
            if (c == MISSING) throw new CheckpointException(file + ": synthesis." + Py.describe(n) + " has no conv_clamp");
            if (c != null && Py.asDouble(c) == null) throw new CheckpointException(file + ": synthesis." + Py.describe(n) + ".conv_clamp is a " + Py.typeName(c));
            Object v = c == null ? null : Py.asDouble(c);
            if (clampSeen == MISSING) clampSeen = v;
            else if (!Objects.equals(clampSeen, v)) throw new CheckpointException(file + ": conv_clamp differs between layers (" + clampSeen + ", " + v + " at " + Py.describe(n) + ")");
        }

        StyleGan3Config config;
        try {
            config = new StyleGan3Config(zDim, wDim, res, imgChannels, layersMap, lr, channelBase, channelMax, numLayers, numCritical, firstCutoff, firstStopband,
                    lastRel, margin, outputScale, convKernel, filterSize, lreluUp, useRadial, (Double) clampSeen, fp16);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }

        // the schedule the config implies against what the file stores
        StyleGan3Config.InputSpec in = config.input();
        expect(file, "synthesis.input.channels", attr(input, "channels"), in.channels());
        expectReal(file, "synthesis.input.sampling_rate", attr(input, "sampling_rate"), in.samplingRate());
        expectReal(file, "synthesis.input.bandwidth", attr(input, "bandwidth"), in.bandwidth());
        List<StyleGan3Config.LayerSpec> specs = config.layers();
        for (int i = 0; i < specs.size(); i++) {
            StyleGan3Config.LayerSpec s = specs.get(i);
            if (!s.name().equals(layerNames.get(i))) {
                throw new CheckpointException(file + ": synthesis layer " + i + " is " + Py.describe(layerNames.get(i)) + " but the hyper-parameters give " + s.name() + " (" + config + ")");
            }
            Py.Persistent l = layerModule(synthesis, s.name(), file);
            String p = "synthesis." + s.name() + ".";
            if (!l.className().equals("SynthesisLayer")) throw new CheckpointException(file + ": " + p + " is a '" + SafeUnpickler.printable(l.className()) + "', not a SynthesisLayer");
            expect(file, p + "in_channels", attr(l, "in_channels"), s.inChannels());
            expect(file, p + "out_channels", attr(l, "out_channels"), s.outChannels());
            expect(file, p + "conv_kernel", attr(l, "conv_kernel"), s.kernel());
            expect(file, p + "up_factor", attr(l, "up_factor"), s.up());
            expect(file, p + "down_factor", attr(l, "down_factor"), s.down());
            if (!Objects.equals(attr(l, "is_torgb"), s.torgb())) throw new CheckpointException(file + ": " + p + "is_torgb is " + Py.describe(attr(l, "is_torgb")) + ", expected " + s.torgb());
            Object pad = attr(l, "padding");
            if (!(pad instanceof List<?> pl) || pl.size() != 4) throw new CheckpointException(file + ": " + p + "padding is " + Py.typeName(pad) + ", expected a list of 4 ints");
            for (int k = 0; k < 4; k++) expect(file, p + "padding[" + k + "]", pl.get(k), s.padding()[k]);
        }

        // tensors: names and shapes, then layouts, then data
        Map<String, TensorRef> refs = new LinkedHashMap<>();
        NvlabsNetwork.collect(g, key, "", refs, 0, file);
        Map<String, int[]> required = config.requiredShapes();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, int[]> e : required.entrySet()) {
            TensorRef t = refs.get(e.getKey());
            if (t == null) problems.add(e.getKey() + " is missing");
            else if (!Arrays.equals(t.size, e.getValue())) problems.add(e.getKey() + " has shape " + Arrays.toString(t.size) + ", expected " + Arrays.toString(e.getValue()));
        }
        for (String k : refs.keySet()) if (!required.containsKey(k)) problems.add(k + " is not a tensor of this generator");
        if (!problems.isEmpty()) {
            throw new CheckpointException(file + ": the generator's tensors do not match its hyper-parameters " + config + ": "
                    + String.join("; ", problems.subList(0, Math.min(8, problems.size()))) + (problems.size() > 8 ? "; and " + (problems.size() - 8) + " more" : ""));
        }
        TensorRef.checkAll(refs, "", file);
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : refs.entrySet()) params.put(e.getKey(), e.getValue().toF32(e.getKey(), file));
        return new StyleGan3Checkpoint(source, config, params, notes);
    }

    private static Py.Persistent layerModule(Py.Persistent synthesis, Object name, String file) throws CheckpointException {
        if (!(name instanceof String n)) throw new CheckpointException(file + ": a synthesis layer name is a " + Py.typeName(name) + ", not a str");
        return module(synthesis, n, file, "G_ema.synthesis");
    }

    private static void expect(String file, String what, Object v, long want) throws CheckpointException {
        Long l = Py.asLong(v);
        if (l == null || l != want) {
            throw new CheckpointException(file + ": " + what + " is " + Py.describe(v) + " but the hyper-parameters give " + want);
        }
    }

    private static void expectReal(String file, String what, Object v, double want) throws CheckpointException {
        Double d = Py.asDouble(v);
        if (d == null || Math.abs(d - want) > 1e-9 * Math.max(1, Math.abs(want))) {
            throw new CheckpointException(file + ": " + what + " is " + Py.describe(v) + " but the hyper-parameters give " + want);
        }
    }

    private static double real(Object v, String what, String file, Double dflt) throws CheckpointException {
        if (v == MISSING && dflt != null) return dflt;
        Double d = Py.asDouble(v);
        if (d == null) throw new CheckpointException(file + ": " + what + " is " + (v == MISSING ? "missing" : Py.typeName(v)) + ", expected a number");
        return d;
    }

    private static long integer(Object v, String what, String file, Long dflt, List<String> notes) throws CheckpointException {
        if (v == MISSING && dflt != null) {
            notes.add(what + " not stored; the reference's default " + dflt + " assumed");
            return dflt;
        }
        Long l = Py.asLong(v);
        if (l == null || l < 0 || l > 1 << 20) throw new CheckpointException(file + ": " + what + " is " + (v == MISSING ? "missing from the init kwargs" : Py.describe(v)) + ", expected an int in [0, 2^20]");
        return l;
    }
}
