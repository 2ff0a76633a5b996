package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts the generator of a classic TensorFlow StyleGAN2 pickle (NVlabs/stylegan2 and StyleGAN2-ADA TF: the
 * format of {@code stylegan2-car-config-f.pkl}) into NVlabs stylegan2-ada-pytorch naming, as the reference's
 * {@code legacy.convert_tf_generator} does: the same hyper-parameters with the same defaults, the same variables,
 * the same layouts. Gs (the third network of the tuple (G, D, Gs)) is what {@link Checkpoints#load} takes; it is the
 * running average of G, as G_ema is.
 *
 * <p>Hyper-parameters ({@code static_kwargs}): {@code latent_size} = z_dim, {@code dlatent_size} = w_dim,
 * {@code resolution}, {@code num_channels}, {@code mapping_layers}, {@code fmap_base} = channel_base / 2,
 * {@code fmap_max} = channel_max, {@code mapping_lrmul} (default 0.01), {@code conv_clamp} (default none),
 * {@code num_fp16_res} (default 0). Absent structural ones are read from the variables' shapes (where the reference
 * takes its defaults, which a loadable file's shapes agree with) and noted. Refused, each with one line: a conditional
 * model ({@code label_size} &gt; 0), an architecture other than 'skip' ('orig' files have {@code ToRGB_lod*}
 * variables, 'resnet' ones {@code Skip} weights), another resample kernel than [1, 3, 3, 1], {@code use_noise} False,
 * a nonlinearity other than lrelu, and a kwarg legacy.py does not know.
 *
 * <p>Variables (TF name, layout; r the block resolution, k = 2 log2(r) - 5 for conv0 and 2 log2(r) - 4 for conv1,
 * k = 0 for b4): {@code mapping/Dense{i}/weight} [in, out] (transposed), {@code dlatent_avg} = w_avg,
 * {@code synthesis/4x4/Const/const} [1, C, 4, 4], convolution weights [kh, kw, in, out] (to [out, in, kh, kw];
 * {@code Conv0_up} also flipped in both spatial axes, as TF stores the transposed convolution's kernel),
 * {@code mod_weight} [w_dim, in] (transposed), {@code mod_bias} = affine bias - 1, {@code noise_strength} a scalar,
 * {@code synthesis/noise{k}} [1, 1, r, r]. The resample filters, which TF does not store, are NVlabs'
 * {@code setup_filter([1, 3, 3, 1])}, under the names an NVlabs pickle has them.
 */
final class TfGeneratorConverter {
    private TfGeneratorConverter() {}

    /** The kwargs legacy.convert_tf_generator reads or knowingly ignores; any other is refused, as there. */
    private static final Set<String> KNOWN_KWARGS = Set.of("latent_size", "label_size", "dlatent_size", "resolution", "num_channels",
            "mapping_layers", "label_fmaps", "mapping_fmaps", "mapping_nonlinearity", "mapping_lrmul", "w_avg_beta", "fmap_base",
            "fmap_max", "num_fp16_res", "conv_clamp", "architecture", "resample_kernel", "use_noise", "nonlinearity",
            "truncation_psi", "truncation_cutoff", "style_mixing_prob", "structure");
    /** legacy.py's default mapping lr multiplier (and TF's). */
    static final double DEFAULT_MAPPING_LRMUL = 0.01;
    private static final int MAX_LISTED = 8;

    /**
     * Reads a generator of a TF network pickle.
     *
     * @param file the file, for messages
     * @param top  the pickle's value: the tuple (G, D, Gs) or one Network (taken as Gs)
     * @param key  "G_ema" (Gs, what {@link Checkpoints#load} uses) or "G" (the trained generator; tuple only)
     */
    static NvlabsNetwork.Result read(String file, Object top, String key) throws IOException {
        Object net;
        String where;
        if (top instanceof Object[] t) {
            if (t.length != 3) throw new CheckpointException(file + ": a TensorFlow pickle holds the tuple (G, D, Gs); this tuple has " + t.length + " items");
            for (int i = 0; i < 3; i++) {
                if (!TfNetworkStub.isNetwork(t[i])) {
                    throw new CheckpointException(file + ": item " + i + " of the TensorFlow pickle's tuple (G, D, Gs) is a " + Py.typeName(t[i]) + ", not a " + TfNetworkStub.CLASS);
                }
            }
            switch (key) {
                case "G_ema" -> { net = t[2]; where = "Gs"; }
                case "G" -> { net = t[0]; where = "G"; }
                default -> throw new CheckpointException(file + ": a TensorFlow pickle holds G, D and Gs; generator '" + SafeUnpickler.printable(key)
                        + "' is not one of them (use G or G_ema, which is Gs)");
            }
        } else {
            if (!key.equals("G_ema")) throw new CheckpointException(file + ": this TensorFlow pickle holds a single network (read as Gs = G_ema), not '" + SafeUnpickler.printable(key) + "'");
            net = top;
            where = "Gs";
        }
        return convert(TfNetworkStub.parse(net, where, file), where, file);
    }

    private static NvlabsNetwork.Result convert(TfNetworkStub.Parsed net, String where, String file) throws IOException {
        List<String> notes = new ArrayList<>();
        notes.add("converted from a TensorFlow StyleGAN2 pickle (" + where + ", state version " + net.version() + ")");
        Map<String, Object> kw = net.staticKwargs();
        for (String k : kw.keySet()) {
            if (!KNOWN_KWARGS.contains(k)) {
                throw new CheckpointException(file + ": " + where + " has the unknown TensorFlow kwarg '" + SafeUnpickler.printable(k)
                        + "' (the reference's legacy.py refuses it too; known: the StyleGAN2 generator's)");
            }
        }
        Map<String, Object> vars = net.variables();
        checkSupported(kw, vars, where, file);

        // structural hyper-parameters: the kwargs, else the shapes
        int res = intKwarg(kw, "resolution", where, file, () -> inferResolution(vars, where, file), notes);
        if (res < 4 || Integer.bitCount(res) != 1) throw new CheckpointException(file + ": " + where + " resolution " + res + " is not a power of two >= 4");
        int zDim = intKwarg(kw, "latent_size", where, file, () -> dim(vars, "mapping/Dense0/weight", 2, 0, where, file), notes);
        int wDim = intKwarg(kw, "dlatent_size", where, file, () -> dim(vars, "dlatent_avg", 1, 0, where, file), notes);
        int layers = intKwarg(kw, "mapping_layers", where, file, () -> {
            int n = 0;
            while (vars.containsKey("mapping/Dense" + n + "/weight")) n++;
            return n;
        }, notes);
        int imgChannels = intKwarg(kw, "num_channels", where, file, () -> dim(vars, "synthesis/4x4/ToRGB/bias", 1, 0, where, file), notes);
        Object mappingFmaps = kw.get("mapping_fmaps");
        if (mappingFmaps != null && !Long.valueOf(wDim).equals(Py.asLong(mappingFmaps))) {
            throw new CheckpointException(file + ": " + where + " mapping_fmaps " + Py.describe(mappingFmaps) + " differs from dlatent_size " + wDim
                    + "; mapping layers of another width are not supported");
        }
        int channelBase, channelMax;
        Long fb = kw.get("fmap_base") == null ? null : positive(kw, "fmap_base", where, file);
        Long fm = kw.get("fmap_max") == null ? null : positive(kw, "fmap_max", where, file);
        if (fb != null && fm != null) {
            channelBase = (int) Math.min(2 * fb, Integer.MAX_VALUE);
            channelMax = (int) (long) fm;
        } else {
            List<Integer> rs = new ArrayList<>();
            for (int r = 4; r <= res; r *= 2) rs.add(r);
            int[] resolutions = rs.stream().mapToInt(Integer::intValue).toArray(), channels = new int[resolutions.length];
            for (int i = 0; i < resolutions.length; i++) {
                int r = resolutions[i];
                channels[i] = dim(vars, "synthesis/" + r + "x" + r + (r == 4 ? "/Conv" : "/Conv1") + "/bias", 1, 0, where, file);
            }
            int[] inferred = Checkpoints.inferChannels(resolutions, channels, file);
            channelBase = fb != null ? (int) Math.min(2 * fb, Integer.MAX_VALUE) : inferred[0];
            channelMax = fm != null ? (int) (long) fm : inferred[1];
            notes.add("fmap_base/fmap_max not both in " + where + "'s static_kwargs; channels inferred from shapes");
        }
        double lr = DEFAULT_MAPPING_LRMUL;
        if (kw.get("mapping_lrmul") != null) {
            Double l = Py.asDouble(kw.get("mapping_lrmul"));
            if (l == null || !(l > 0) || l.isInfinite()) throw new CheckpointException(file + ": " + where + " mapping_lrmul is " + Py.describe(kw.get("mapping_lrmul")) + ", expected a positive number");
            lr = l;
        } else {
            notes.add("mapping_lrmul not in " + where + "'s static_kwargs; the default " + DEFAULT_MAPPING_LRMUL + " (TensorFlow's and legacy.py's)");
        }
        Double clamp = null;
        if (kw.get("conv_clamp") != null) {
            clamp = Py.asDouble(kw.get("conv_clamp"));
            if (clamp == null || !(clamp > 0) || clamp.isInfinite()) throw new CheckpointException(file + ": " + where + " conv_clamp is " + Py.describe(kw.get("conv_clamp")) + ", expected a positive number or None");
        }
        int fp16 = kw.get("num_fp16_res") == null ? 0 : (int) (long) nonNegative(kw, "num_fp16_res", where, file);
        int cDim = kw.get("label_size") == null ? 0 : (int) (long) nonNegative(kw, "label_size", where, file);
        GeneratorConfig config;
        try {
            config = new GeneratorConfig(zDim, wDim, cDim, res, imgChannels, layers, lr, channelBase, channelMax, clamp, fp16, "skip");
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + where + ": " + e.getMessage(), e);
        }

        if (2L * layers + 3L * (config.resolutionLog2() - 1) > vars.size()) {   // before listing the tensors of an absurd config
            throw new CheckpointException(file + ": " + where + " has " + vars.size() + " variables, too few for a StyleGAN2 generator of " + layers
                    + " mapping layers at resolution " + res + " " + config);
        }
        // every variable the generator needs, with its TF shape, before any data is read
        Map<String, int[]> required = config.requiredShapes();
        Map<String, Source> sources = new LinkedHashMap<>();
        Map<String, NumpyArrays.Checked> checked = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>(), wrong = new ArrayList<>();
        for (Map.Entry<String, int[]> e : required.entrySet()) {
            Source s = source(e.getKey());
            int[] tfShape = s.layout.tfShape(e.getValue());
            sources.put(e.getKey(), s);
            Object v = vars.get(s.tfName);
            if (v == null) {
                if (!vars.containsKey(s.tfName)) missing.add(s.tfName);
                else wrong.add(s.tfName + " is None");
                continue;
            }
            NumpyArrays.Checked c = NumpyArrays.check(v, s.tfName, file);
            if (!Arrays.equals(c.shape(), tfShape)) wrong.add(s.tfName + " has shape " + Arrays.toString(c.shape()) + ", expected " + Arrays.toString(tfShape));
            checked.put(s.tfName, c);
        }
        if (!missing.isEmpty()) {
            throw new CheckpointException(file + ": " + where + " lacks " + missing.size() + " variable" + (missing.size() == 1 ? "" : "s") + " of a StyleGAN2 generator "
                    + config + ": " + listed(missing));
        }
        if (!wrong.isEmpty()) {
            throw new CheckpointException(file + ": " + where + "'s variables do not match its hyper-parameters " + config + ": " + String.join("; ", capped(wrong))
                    + (wrong.size() > MAX_LISTED ? "; and " + (wrong.size() - MAX_LISTED) + " more" : ""));
        }
        List<String> unused = new ArrayList<>();
        Set<String> used = new java.util.HashSet<>();
        for (Source s : sources.values()) used.add(s.tfName);
        for (String n : vars.keySet()) if (!used.contains(n) && !n.equals("lod") && !n.endsWith("/lod")) unused.add(n);
        if (!unused.isEmpty()) notes.add("ignored " + unused.size() + " TensorFlow variable(s) a skip generator does not use (as legacy.py does): " + listed(unused));
        NumpyArrays.requireDistinct(checked, file);

        Map<String, Tensor> params = new LinkedHashMap<>();
        for (String name : moduleOrder(config)) {
            if (name.endsWith("resample_filter")) {
                params.put(name, fir());
                continue;
            }
            Source s = sources.get(name);
            Tensor raw = NumpyArrays.toF32(checked.get(s.tfName), s.tfName, file);
            params.put(name, s.layout.toNvlabs(raw));
        }
        return new NvlabsNetwork.Result(config, params, notes);
    }

    // ------------------------------------------------------------------ what is supported

    private static void checkSupported(Map<String, Object> kw, Map<String, Object> vars, String where, String file) throws CheckpointException {
        Long label = kw.get("label_size") == null ? 0L : Py.asLong(kw.get("label_size"));
        if (label == null || label != 0) {
            throw new CheckpointException(file + ": " + where + " is a conditional generator (label_size = " + Py.describe(kw.get("label_size"))
                    + "); only unconditional generators (label_size 0) are supported");
        }
        for (String n : vars.keySet()) {
            if (n.startsWith("synthesis/ToRGB_lod") || n.startsWith("ToRGB_lod")) {
                throw new CheckpointException(file + ": " + where + " has the 'orig' architecture (variable " + SafeUnpickler.printable(n)
                        + "); only the 'skip' architecture (StyleGAN2 config e/f, DragGAN's models) is supported");
            }
        }
        Object arch = kw.get("architecture");
        if (arch != null && !"skip".equals(arch)) {
            throw new CheckpointException(file + ": " + where + " has architecture " + Py.describe(arch) + "; only the 'skip' architecture (StyleGAN2 config e/f,"
                    + " DragGAN's models) is supported");
        }
        Object kernel = kw.get("resample_kernel");
        if (kernel != null && !isFir1331(kernel)) {
            throw new CheckpointException(file + ": " + where + " has resample_kernel " + describeList(kernel) + "; only [1, 3, 3, 1] (the default) is supported");
        }
        Object noise = kw.get("use_noise");
        if (noise != null && !Boolean.TRUE.equals(noise)) {
            throw new CheckpointException(file + ": " + where + " has use_noise " + Py.describe(noise) + "; only generators with noise inputs (the default) are supported");
        }
        for (String k : new String[] {"nonlinearity", "mapping_nonlinearity"}) {
            Object a = kw.get(k);
            if (a != null && !"lrelu".equals(a)) {
                throw new CheckpointException(file + ": " + where + " has " + k + " " + Py.describe(a) + "; only 'lrelu' (the default) is supported");
            }
        }
    }

    private static boolean isFir1331(Object k) {
        List<?> l = k instanceof List<?> list ? list : k instanceof Object[] t ? Arrays.asList(t) : null;
        if (l == null || l.size() != 4) return false;
        long[] want = {1, 3, 3, 1};
        for (int i = 0; i < 4; i++) {
            Double d = Py.asDouble(l.get(i));
            if (d == null || d != want[i]) return false;
        }
        return true;
    }

    private static String describeList(Object k) {
        List<?> l = k instanceof List<?> list ? list : k instanceof Object[] t ? Arrays.asList(t) : null;
        if (l == null || l.size() > 16) return Py.typeName(k) + (l != null ? " of " + l.size() + " items" : "");
        List<String> s = new ArrayList<>();
        for (Object o : l) s.add(Py.describe(o));
        return s.toString();
    }

    // ------------------------------------------------------------------ hyper-parameters

    @FunctionalInterface
    private interface Inference {
        int infer() throws CheckpointException;
    }

    private static int intKwarg(Map<String, Object> kw, String k, String where, String file, Inference fromShapes, List<String> notes) throws CheckpointException {
        if (kw.get(k) != null) return (int) (long) positive(kw, k, where, file);
        int v = fromShapes.infer();
        notes.add(k + " not in " + where + "'s static_kwargs; " + v + " from the variables' shapes");
        return v;
    }

    private static long positive(Map<String, Object> kw, String k, String where, String file) throws CheckpointException {
        long v = nonNegative(kw, k, where, file);
        if (v == 0) throw new CheckpointException(file + ": " + where + " static kwarg " + k + " is 0, expected a positive int");
        return v;
    }

    private static long nonNegative(Map<String, Object> kw, String k, String where, String file) throws CheckpointException {
        Object v = kw.get(k);
        Long l = Py.asLong(v);
        if (l == null || l < 0 || l > 1 << 20) throw new CheckpointException(file + ": " + where + " static kwarg " + k + " is " + Py.describe(v) + ", expected an int in [0, 2^20]");
        return l;
    }

    private static final Pattern BLOCK = Pattern.compile("synthesis/(\\d{1,5})x\\1/.*");

    private static int inferResolution(Map<String, Object> vars, String where, String file) throws CheckpointException {
        int res = 0;
        for (String n : vars.keySet()) {
            Matcher m = BLOCK.matcher(n);
            if (m.matches()) res = Math.max(res, Integer.parseInt(m.group(1)));
        }
        if (res == 0) throw new CheckpointException(file + ": " + where + " has no resolution kwarg and no synthesis/{r}x{r}/ variables to infer it from");
        return res;
    }

    /** Dimension d of a variable that must have the given rank (for inferring a hyper-parameter from a shape). */
    private static int dim(Map<String, Object> vars, String name, int rank, int d, String where, String file) throws CheckpointException {
        if (!vars.containsKey(name)) throw new CheckpointException(file + ": " + where + " lacks the variable " + name + " (needed to infer a hyper-parameter absent from its kwargs)");
        int[] shape = NumpyArrays.check(vars.get(name), name, file).shape();
        if (shape.length != rank || shape[d] <= 0) throw new CheckpointException(file + ": " + name + " has shape " + Arrays.toString(shape) + ", expected rank " + rank);
        return shape[d];
    }

    // ------------------------------------------------------------------ names and layouts

    /** How a TF variable becomes the NVlabs tensor. */
    enum Layout {
        /** The same array. */
        COPY,
        /** Dense and mod weights: [in, out] to [out, in]. */
        TRANSPOSE,
        /** Conv weights: [kh, kw, in, out] to [out, in, kh, kw] (numpy transpose(3, 2, 0, 1)). */
        CONV,
        /** Conv0_up weights: flipped [::-1, ::-1], then as CONV. */
        CONV_FLIPPED,
        /** The const input: [1, C, 4, 4] to [C, 4, 4]. */
        DROP1,
        /** Noise inputs: [1, 1, r, r] to [r, r]. */
        DROP2,
        /** mod_bias: stored minus 1. */
        PLUS_ONE;

        /** The TF shape of an NVlabs tensor of shape nv. */
        int[] tfShape(int[] nv) {
            return switch (this) {
                case COPY, PLUS_ONE -> nv;
                case TRANSPOSE -> new int[] {nv[1], nv[0]};
                case CONV, CONV_FLIPPED -> new int[] {nv[2], nv[3], nv[1], nv[0]};
                case DROP1 -> prepend(nv, 1);
                case DROP2 -> prepend(nv, 2);
            };
        }

        /** The NVlabs tensor of a TF one (shape already checked against {@link #tfShape}); a new tensor or t itself. */
        Tensor toNvlabs(Tensor t) {
            int[] s = t.shape();
            float[] v = t.toFloatArray();
            return switch (this) {
                case COPY -> t;
                case DROP1 -> Tensor.of(v, Arrays.copyOfRange(s, 1, s.length));
                case DROP2 -> Tensor.of(v, Arrays.copyOfRange(s, 2, s.length));
                case PLUS_ONE -> {
                    float[] o = new float[v.length];
                    for (int i = 0; i < v.length; i++) o[i] = v[i] + 1f;
                    yield Tensor.of(o, s);
                }
                case TRANSPOSE -> {
                    int a = s[0], b = s[1];
                    float[] o = new float[v.length];
                    for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) o[j * a + i] = v[i * b + j];
                    yield Tensor.of(o, b, a);
                }
                case CONV, CONV_FLIPPED -> {
                    int kh = s[0], kw = s[1], in = s[2], out = s[3];
                    boolean flip = this == CONV_FLIPPED;
                    float[] o = new float[v.length];
                    for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++) {
                        int sy = flip ? kh - 1 - y : y, sx = flip ? kw - 1 - x : x;
                        for (int i = 0; i < in; i++) for (int c = 0; c < out; c++) {
                            o[((c * in + i) * kh + y) * kw + x] = v[((sy * kw + sx) * in + i) * out + c];
                        }
                    }
                    yield Tensor.of(o, out, in, kh, kw);
                }
            };
        }

        private static int[] prepend(int[] nv, int ones) {
            int[] t = new int[nv.length + ones];
            Arrays.fill(t, 0, ones, 1);
            System.arraycopy(nv, 0, t, ones, nv.length);
            return t;
        }
    }

    /** Where an NVlabs tensor comes from: the TF variable and its layout. */
    record Source(String tfName, Layout layout) {}

    private static final Pattern FC = Pattern.compile("mapping\\.fc(\\d+)\\.(weight|bias)");
    private static final Pattern LAYER = Pattern.compile("synthesis\\.b(\\d+)\\.(conv0|conv1|torgb)\\.(weight|bias|noise_const|noise_strength|affine\\.weight|affine\\.bias)");

    /** The TF variable of an NVlabs tensor name (legacy.convert_tf_generator's table, one pattern per row there). */
    static Source source(String nv) {
        if (nv.equals("mapping.w_avg")) return new Source("dlatent_avg", Layout.COPY);
        if (nv.equals("synthesis.b4.const")) return new Source("synthesis/4x4/Const/const", Layout.DROP1);
        Matcher m = FC.matcher(nv);
        if (m.matches()) return new Source("mapping/Dense" + m.group(1) + "/" + m.group(2), m.group(2).equals("weight") ? Layout.TRANSPOSE : Layout.COPY);
        m = LAYER.matcher(nv);
        if (!m.matches()) throw new IllegalArgumentException("TfGeneratorConverter: no TensorFlow variable for '" + nv + "'");
        int r = Integer.parseInt(m.group(1));
        String layer = m.group(2), what = m.group(3);
        int log2 = Integer.numberOfTrailingZeros(r);
        String tfLayer = switch (layer) {
            case "torgb" -> "ToRGB";
            case "conv0" -> "Conv0_up";
            default -> r == 4 ? "Conv" : "Conv1";
        };
        String prefix = "synthesis/" + r + "x" + r + "/" + tfLayer + "/";
        return switch (what) {
            case "weight" -> new Source(prefix + "weight", layer.equals("conv0") ? Layout.CONV_FLIPPED : Layout.CONV);
            case "bias" -> new Source(prefix + "bias", Layout.COPY);
            case "noise_strength" -> new Source(prefix + "noise_strength", Layout.COPY);
            case "noise_const" -> new Source("synthesis/noise" + (r == 4 ? 0 : layer.equals("conv0") ? 2 * log2 - 5 : 2 * log2 - 4), Layout.DROP2);
            case "affine.weight" -> new Source(prefix + "mod_weight", Layout.TRANSPOSE);
            default -> new Source(prefix + "mod_bias", Layout.PLUS_ONE);
        };
    }

    /**
     * The NVlabs tensor names in NVlabs module order (each module's parameters, its buffers, then its submodules),
     * with the resample filters an NVlabs pickle carries: synthesis before mapping, as the Generator registers them.
     */
    static List<String> moduleOrder(GeneratorConfig c) {
        List<String> names = new ArrayList<>();
        for (int r : c.blockResolutions()) {
            String b = "synthesis.b" + r + ".";
            if (r == 4) names.add(b + "const");
            names.add(b + "resample_filter");
            for (String layer : r == 4 ? new String[] {"conv1"} : new String[] {"conv0", "conv1"}) {
                for (String p : new String[] {"weight", "noise_strength", "bias", "resample_filter", "noise_const", "affine.weight", "affine.bias"}) {
                    names.add(b + layer + "." + p);
                }
            }
            for (String p : new String[] {"weight", "bias", "affine.weight", "affine.bias"}) names.add(b + "torgb." + p);
        }
        names.add("mapping.w_avg");
        for (int i = 0; i < c.mappingLayers(); i++) {
            names.add("mapping.fc" + i + ".weight");
            names.add("mapping.fc" + i + ".bias");
        }
        return names;
    }

    /** NVlabs' setup_filter([1, 3, 3, 1]): the outer product of [1, 3, 3, 1] with itself, divided by its sum 64. */
    static Tensor fir() {
        float[] k = {1, 3, 3, 1};
        float[] f = new float[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) f[i * 4 + j] = k[i] * k[j] / 64f;
        return Tensor.of(f, 4, 4);
    }

    private static List<String> capped(List<String> l) { return l.size() > MAX_LISTED ? l.subList(0, MAX_LISTED) : l; }

    private static String listed(List<String> names) {
        List<String> p = new ArrayList<>();
        for (String n : capped(names)) p.add(SafeUnpickler.printable(n));
        return String.join(", ", p) + (names.size() > MAX_LISTED ? " and " + (names.size() - MAX_LISTED) + " more" : "");
    }
}
