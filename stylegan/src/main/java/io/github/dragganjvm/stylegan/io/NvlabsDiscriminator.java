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
import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.keys;
import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.kwarg;
import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.module;
import static io.github.dragganjvm.stylegan.io.NvlabsNetwork.modules;

/**
 * Reads {@code D} out of an NVlabs network pickle (stylegan2-ada-pytorch {@code training/networks.py}
 * {@code Discriminator}), the sibling of {@link NvlabsNetwork}'s generator path with the same safety (the pickle was
 * run by {@link SafeUnpickler}; here only its inert data is inspected).
 *
 * <p>Hyper-parameters come from what the stored modules apply (their attributes: each conv layer's
 * {@code conv_clamp}, each block's {@code architecture}, the epilogue's {@code mbstd} layer), then from D's init
 * kwargs, then from NVlabs' defaults; where the init kwargs disagree with the modules the modules win (they are what
 * NVlabs' forward runs) and a note says so. Channel widths come from the init kwargs or, when absent, from the tensor
 * shapes; every tensor is then checked against the resulting config.
 */
final class NvlabsDiscriminator {
    private NvlabsDiscriminator() {}

    private static final String KEY = "D";
    private static final float[] FIR_1331 = {1, 3, 3, 1};

    record Result(DiscriminatorConfig config, Map<String, Tensor> params, List<String> notes) {}

    static Result read(String file, Object top) throws IOException {
        if (!(top instanceof Map<?, ?> d)) {
            throw new CheckpointException(file + ": the pickle holds a " + Py.typeName(top) + "; expected an NVlabs network pickle (a dict with D)");
        }
        if (!d.containsKey(KEY)) {
            throw new CheckpointException(file + ": no '" + KEY + "' in the pickle (keys: " + keys(d) + "); an NVlabs training snapshot has G, D and G_ema"
                    + " (a generator-only pickle has no discriminator)");
        }
        if (!(d.get(KEY) instanceof Py.Persistent dm)) {
            throw new CheckpointException(file + ": D is a " + Py.typeName(d.get(KEY)) + ", not a persistent NVlabs module");
        }
        if (!dm.className().equals("Discriminator")) {
            throw new CheckpointException(file + ": D is a '" + SafeUnpickler.printable(dm.className()) + "', not a Discriminator");
        }
        List<String> notes = new ArrayList<>();

        int cDim = NvlabsNetwork.intAttr(dm, "c_dim", file, KEY);
        if (cDim != 0) {
            throw new CheckpointException(file + ": D is a conditional discriminator (c_dim = " + cDim + "); only unconditional ones (c_dim 0) are supported");
        }
        int res = NvlabsNetwork.intAttr(dm, "img_resolution", file, KEY);
        int imgChannels = NvlabsNetwork.intAttr(dm, "img_channels", file, KEY);
        if (res < 8 || Integer.bitCount(res) != 1) throw new CheckpointException(file + ": D img_resolution " + res + " is not a power of two >= 8");

        // the blocks must be exactly b{res} ... b8, then the epilogue b4
        List<String> expected = new ArrayList<>();
        for (int r = res; r >= 8; r /= 2) expected.add("b" + r);
        expected.add("b4");
        Map<?, ?> mods = modules(dm, file, KEY);
        List<Object> present = new ArrayList<>();
        for (Map.Entry<?, ?> e : mods.entrySet()) if (e.getValue() != null) present.add(e.getKey());
        if (!present.equals(new ArrayList<Object>(expected))) {
            throw new CheckpointException(file + ": D's modules are " + keys(mods) + "; an unconditional StyleGAN2 discriminator of resolution "
                    + res + " has " + expected);
        }

        // per block and layer: class, architecture, activation and conv_clamp as the stored modules apply them
        String arch = null;
        Object clampSeen = MISSING;
        String clampFrom = null;
        for (String b : expected) {
            Py.Persistent block = module(dm, b, file, KEY);
            String want = b.equals("b4") ? "DiscriminatorEpilogue" : "DiscriminatorBlock";
            if (!block.className().equals(want)) {
                throw new CheckpointException(file + ": D." + b + " is a '" + SafeUnpickler.printable(block.className()) + "', expected a " + want);
            }
            Object a = attr(block, "architecture");
            if (a == MISSING) a = kwarg(dm, "architecture");
            if (a == MISSING) a = DiscriminatorConfig.RESNET;
            if (!(a instanceof String s)) throw new CheckpointException(file + ": D." + b + ".architecture is a " + Py.typeName(a));
            if (!DiscriminatorConfig.RESNET.equals(s)) {
                throw new CheckpointException(file + ": D." + b + " has architecture " + Py.describe(s) + "; only the 'resnet' discriminator"
                        + " (the NVlabs default) is supported");
            }
            arch = s;
            for (Map.Entry<?, ?> e : modules(block, file, KEY + "." + b).entrySet()) {
                if (!(e.getValue() instanceof Py.Persistent layer) || !(e.getKey() instanceof String name) || name.equals("mbstd")) continue;
                // NVlabs' defaults: lrelu everywhere but the skips and the output
                String act = name.equals("skip") || name.equals("out") ? "linear" : "lrelu";
                Object stored = attr(layer, "activation");
                if (stored != MISSING && !act.equals(stored)) {
                    throw new CheckpointException(file + ": D." + b + "." + name + " has activation " + Py.describe(stored) + "; the port implements NVlabs'"
                            + " default '" + act + "' there");
                }
                // conv_clamp: one value for every conv layer; the skips never clamp in NVlabs
                if (!layer.className().equals("Conv2dLayer")) continue;
                Object c = attr(layer, "conv_clamp");
                if (c == MISSING) continue;
                if (c != null && Py.asDouble(c) == null) throw new CheckpointException(file + ": D." + b + "." + name + ".conv_clamp is a " + Py.typeName(c));
                Double v = c == null ? null : Py.asDouble(c);
                if (name.equals("skip")) {
                    if (v != null) throw new CheckpointException(file + ": D." + b + ".skip has conv_clamp " + v + "; NVlabs' skip layers never clamp");
                } else if (clampSeen == MISSING) {
                    clampSeen = v;
                    clampFrom = "D." + b + "." + name;
                } else if (!Objects.equals(clampSeen, v)) {
                    throw new CheckpointException(file + ": conv_clamp differs between layers (" + clampFrom + ": " + clampSeen + ", D." + b + "." + name + ": " + v + ")");
                }
            }
        }
        Object kwClamp = kwarg(dm, "conv_clamp");
        Double clamp;
        if (clampSeen != MISSING) {
            clamp = (Double) clampSeen;
            Double kw = kwClamp == MISSING || kwClamp == null ? null : Py.asDouble(kwClamp);
            if (!Objects.equals(kw, clamp)) {
                notes.add("conv_clamp " + clamp + " from the layers; D's init kwargs " + (kwClamp == MISSING ? "do not set it" : "say " + kw));
            }
        } else {
            clamp = kwClamp == MISSING || kwClamp == null ? null : Py.asDouble(kwClamp);
            if (kwClamp != MISSING && kwClamp != null && clamp == null) throw new CheckpointException(file + ": D's conv_clamp kwarg is a " + Py.typeName(kwClamp));
        }

        // minibatch std: the epilogue's mbstd layer (None when mbstd_num_channels is 0)
        Py.Persistent epilogue = module(dm, "b4", file, KEY);
        Map<?, ?> epiMods = modules(epilogue, file, KEY + ".b4");
        Integer groupSize;
        int mbstdChannels;
        if (epiMods.get("mbstd") instanceof Py.Persistent mb) {
            Object g = attr(mb, "group_size");
            if (g == MISSING) throw new CheckpointException(file + ": D.b4.mbstd has no group_size");
            Long gl = Py.asLong(g);
            if (g != null && (gl == null || gl <= 0 || gl > 1 << 20)) throw new CheckpointException(file + ": D.b4.mbstd.group_size is " + Py.describe(g) + ", expected a positive int or None");
            groupSize = g == null ? null : (int) (long) gl;
            mbstdChannels = NvlabsNetwork.intAttr(mb, "num_channels", file, KEY + ".b4.mbstd");
            if (mbstdChannels == 0) throw new CheckpointException(file + ": D.b4.mbstd has num_channels 0 (NVlabs stores no layer then)");
        } else if (epiMods.containsKey("mbstd") && epiMods.get("mbstd") == null) {
            groupSize = DiscriminatorConfig.DEFAULT_MBSTD_GROUP_SIZE;
            mbstdChannels = 0;
        } else {
            throw new CheckpointException(file + ": D.b4 has no mbstd entry (expected a MinibatchStdLayer or None)");
        }

        // fp16 blocks: recorded only
        int fp16;
        Object f = kwarg(dm, "num_fp16_res");
        if (f != MISSING && Py.asLong(f) != null) {
            fp16 = (int) (long) Py.asLong(f);
        } else {
            fp16 = 0;
            for (String b : expected) if (Boolean.TRUE.equals(attr(module(dm, b, file, KEY), "use_fp16"))) fp16++;
            if (fp16 > 0) notes.add("num_fp16_res not in D's init kwargs; " + fp16 + " blocks have use_fp16 (run in float32 here)");
        }

        // tensors
        Map<String, TensorRef> refs = new LinkedHashMap<>();
        NvlabsNetwork.collect(dm, KEY, "", refs, 0, file);
        TensorRef.checkAll(refs, KEY + ".", file);
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : refs.entrySet()) all.put(e.getKey(), e.getValue().toF32(KEY + "." + e.getKey(), file));

        // widths: init kwargs, else inferred from the blocks' first conv and the epilogue conv
        Object base = kwarg(dm, "channel_base"), max = kwarg(dm, "channel_max");
        int channelBase, channelMax;
        if (base != MISSING && max != MISSING && Py.asLong(base) != null && Py.asLong(max) != null) {
            channelBase = (int) (long) Py.asLong(base);
            channelMax = (int) (long) Py.asLong(max);
        } else {
            int n = expected.size();
            int[] resolutions = new int[n], channels = new int[n];
            for (int i = 0; i < n; i++) {                       // ascending: 4, 8, ..., res
                resolutions[i] = 4 << i;
                String conv = resolutions[i] == 4 ? "b4.conv.weight" : "b" + resolutions[i] + ".conv0.weight";
                Tensor w = all.get(conv);
                if (w == null || w.dim() != 4) throw new CheckpointException(file + ": D." + conv + " is missing or not 4-dimensional");
                channels[i] = w.size(0);
            }
            int[] inferred = Checkpoints.inferChannels(resolutions, channels, file);
            channelBase = base != MISSING && Py.asLong(base) != null ? (int) (long) Py.asLong(base) : inferred[0];
            channelMax = max != MISSING && Py.asLong(max) != null ? (int) (long) Py.asLong(max) : inferred[1];
            notes.add("channel_base/channel_max not both in D's init kwargs; inferred from shapes");
        }

        DiscriminatorConfig config;
        try {
            config = new DiscriminatorConfig(cDim, res, imgChannels, arch, channelBase, channelMax, groupSize, mbstdChannels, clamp, fp16);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
        return new Result(config, validate(config, all, file), notes);
    }

    /**
     * Checks that {@code all} holds every parameter the config needs with the right shape, nothing else but the
     * [1,3,3,1] resample filters, and returns the parameters in the config's order; lists every problem found.
     */
    static Map<String, Tensor> validate(DiscriminatorConfig config, Map<String, Tensor> all, String file) throws CheckpointException {
        List<String> problems = new ArrayList<>();
        Map<String, int[]> shapes = config.requiredShapes();
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            Tensor t = all.get(e.getKey());
            if (t == null) problems.add(e.getKey() + " is missing");
            else if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add(e.getKey() + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(e.getValue()));
            } else {
                params.put(e.getKey(), t);
            }
        }
        float[] fir = fir();
        String badFilter = null;
        int badFilters = 0;
        for (Map.Entry<String, Tensor> e : all.entrySet()) {
            String name = e.getKey();
            if (shapes.containsKey(name)) continue;
            if (name.equals("resample_filter") || name.endsWith(".resample_filter")) {
                Tensor t = e.getValue();
                if (!Arrays.equals(t.shape(), new int[] {4, 4})) {
                    problems.add(name + " has shape " + Arrays.toString(t.shape()) + ", expected [4, 4] (setup_filter([1,3,3,1]))");
                    continue;
                }
                float[] v = t.toFloatArray();
                for (int i = 0; i < 16; i++) {
                    if (Math.abs(v[i] - fir[i]) > 1e-7f) {
                        if (badFilter == null) badFilter = name + " is not NVlabs' setup_filter([1,3,3,1]) (element " + i + " is " + v[i] + ", expected " + fir[i] + ")";
                        badFilters++;
                        break;
                    }
                }
                continue;
            }
            problems.add(name + " is not a tensor of " + config);
        }
        if (badFilter != null) {
            problems.add(badFilter + (badFilters > 1 ? " (and " + (badFilters - 1) + " more resample filters)" : "") + "; only that resample filter is supported");
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(file + ": the discriminator's tensors do not match its hyper-parameters " + config + ": "
                    + String.join("; ", problems.subList(0, Math.min(8, problems.size())))
                    + (problems.size() > 8 ? "; and " + (problems.size() - 8) + " more" : ""));
        }
        return params;
    }

    /** NVlabs upfirdn2d.setup_filter([1,3,3,1]) flattened: outer product / 64. */
    private static float[] fir() {
        float[] v = new float[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) v[4 * i + j] = FIR_1331[i] * FIR_1331[j] / 64f;
        return v;
    }
}
