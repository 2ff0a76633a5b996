package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The project's own StyleGAN2 checkpoint: a {@link SafeTensors safetensors} file with this convention (format
 * {@value #FORMAT}, version {@value #FORMAT_VERSION}).
 *
 * <p><b>Tensors.</b> The generator used for inference (the EMA of the trained weights) is stored under
 * {@value #G_EMA_PREFIX}{@code <NVlabs parameter path>}, exactly the names and shapes that
 * {@link GeneratorConfig#requiredShapes()} lists (see {@link Checkpoint#params()}), e.g.
 * {@code G_ema.mapping.fc0.weight [w_dim, z_dim]}, {@code G_ema.mapping.w_avg [w_dim]},
 * {@code G_ema.synthesis.b4.const [C, 4, 4]}, {@code G_ema.synthesis.b8.conv0.noise_const [8, 8]},
 * {@code G_ema.synthesis.b8.conv0.noise_strength []}; optionally also the resample filter buffers
 * {@code G_ema.synthesis.b{r}.resample_filter} and {@code G_ema.synthesis.b{r}.conv{0,1}.resample_filter}, each [4, 4].
 * Values are the stored (NVlabs) ones, before runtime gains. Every one must be finite and below 2^64 in magnitude
 * ({@link WeightValues}: its square must not overflow float32), on writing and on loading. They are F32 (F64, F16 and BF16
 * are read too and converted to F32). Any other {@value #G_EMA_PREFIX} name is an error. Tensors under other prefixes
 * are the trainer's and are ignored (never read) when a model is loaded: by convention {@code G.} for the non-EMA
 * generator, {@code D.} for the discriminator (both in NVlabs naming) and {@code opt.} for optimiser state.
 *
 * <p><b>Metadata.</b> {@code "format": "draggan-stylegan2"}, {@code "format_version": "1"} and {@code "G_ema.config"}:
 * a JSON object with every field of {@link GeneratorConfig}, in NVlabs' names:
 * <pre>{"z_dim": 512, "w_dim": 512, "c_dim": 0, "img_resolution": 256, "img_channels": 3, "mapping_layers": 8,
 *  "mapping_lr_multiplier": 0.01, "channel_base": 32768, "channel_max": 512, "conv_clamp": null,
 *  "num_fp16_res": 0, "architecture": "skip"}</pre>
 * ({@code conv_clamp} is a number or null; the integers must lie in [0, 2^20]; {@code c_dim} must be 0 and
 * {@code architecture} "skip", the only kinds the generator runs). A rectangular StyleGAN-Human generator adds
 * {@code "aspect": "half_width"} (its {@code const} is [C, 4, 2] and each {@code noise_const} [r, r/2]); the field is
 * absent for a square one ({@code "square"} is accepted too), so square files are unchanged.
 * Other metadata keys are free for the trainer.
 *
 * <p><b>Loading</b> checks the metadata, then every {@value #G_EMA_PREFIX} tensor name and shape against the config
 * (all problems listed), all before any tensor data is read; then it reads only the {@value #G_EMA_PREFIX} tensors and
 * refuses a non-finite or too large value naming the tensor. Files are recognised by content, not by name.
 */
public final class GeneratorSafetensors {
    private GeneratorSafetensors() {}

    /** Metadata value of {@value #FORMAT_KEY}. */
    public static final String FORMAT = "draggan-stylegan2";
    /** Metadata value of {@value #FORMAT_VERSION_KEY} this code writes and reads. */
    public static final String FORMAT_VERSION = "1";
    /** Metadata key of the format name. */
    public static final String FORMAT_KEY = "format";
    /** Metadata key of the format version. */
    public static final String FORMAT_VERSION_KEY = "format_version";
    /** Metadata key of the G_ema {@link GeneratorConfig} as a JSON object. */
    public static final String CONFIG_KEY = "G_ema.config";
    /** Name prefix of the inference generator's tensors. */
    public static final String G_EMA_PREFIX = "G_ema.";

    private static final List<String> CONFIG_FIELDS = List.of("z_dim", "w_dim", "c_dim", "img_resolution", "img_channels", "mapping_layers",
            "mapping_lr_multiplier", "channel_base", "channel_max", "conv_clamp", "num_fp16_res", "architecture");
    /** The optional field naming a non-square {@link GeneratorConfig.Aspect}. */
    private static final String ASPECT_FIELD = "aspect";
    private static final int MAX_INT_FIELD = 1 << 20;

    // ------------------------------------------------------------------ config <-> JSON

    /** The config as the JSON object of {@value #CONFIG_KEY} (fields in the order of {@link GeneratorConfig}). */
    public static String configJson(GeneratorConfig c) {
        checkWritable(c, "GeneratorSafetensors.configJson");
        return "{\"z_dim\":" + c.zDim() + ",\"w_dim\":" + c.wDim() + ",\"c_dim\":" + c.cDim() + ",\"img_resolution\":" + c.imgResolution()
                + ",\"img_channels\":" + c.imgChannels() + ",\"mapping_layers\":" + c.mappingLayers() + ",\"mapping_lr_multiplier\":"
                + Double.toString(c.mappingLrMultiplier()) + ",\"channel_base\":" + c.channelBase() + ",\"channel_max\":" + c.channelMax()
                + ",\"conv_clamp\":" + (c.convClamp() == null ? "null" : Double.toString(c.convClamp())) + ",\"num_fp16_res\":" + c.numFp16Res()
                + ",\"architecture\":" + StrictJson.appendString(new StringBuilder(), c.architecture())
                + (c.aspect() == GeneratorConfig.Aspect.SQUARE ? "" : ",\"" + ASPECT_FIELD + "\":\"" + c.aspect().fileName() + "\"") + "}";
    }

    private static void checkWritable(GeneratorConfig c, String what) {
        if (c.cDim() != 0) throw new IllegalArgumentException(what + ": c_dim " + c.cDim() + " (conditional generators are not supported; it would not load)");
        if (!c.architecture().equals("skip")) throw new IllegalArgumentException(what + ": architecture '" + c.architecture() + "' (only 'skip' loads)");
        if (c.convClamp() != null && c.convClamp().isInfinite()) throw new IllegalArgumentException(what + ": conv_clamp must be finite or null, got " + c.convClamp());
        int[] ints = {c.zDim(), c.wDim(), c.imgResolution(), c.imgChannels(), c.mappingLayers(), c.channelBase(), c.channelMax(), c.numFp16Res()};
        for (int v : ints) if (v > MAX_INT_FIELD) throw new IllegalArgumentException(what + ": " + c + " has a field above 2^20 (it would not load)");
    }

    /** Parses the {@value #CONFIG_KEY} JSON strictly: exactly the fields above, each of its type and range. */
    static GeneratorConfig parseConfig(String json, String file) throws CheckpointException {
        String where = file + ": metadata " + CONFIG_KEY;
        Object root;
        try {
            root = StrictJson.parse(json, 2, 1000);
        } catch (StrictJson.JsonException e) {
            throw new CheckpointException(where + " rejected by the strict JSON parser: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> m)) throw new CheckpointException(where + " is not a JSON object");
        for (Object k : m.keySet()) {
            if (!CONFIG_FIELDS.contains(k) && !ASPECT_FIELD.equals(k)) throw new CheckpointException(where + " has the unknown field " + StrictJson.quoteForMessage((String) k) + " (expected " + CONFIG_FIELDS + ")");
        }
        for (String k : CONFIG_FIELDS) if (!m.containsKey(k)) throw new CheckpointException(where + " has no field '" + k + "' (expected " + CONFIG_FIELDS + ")");
        int cDim = intField(m, "c_dim", where);
        if (cDim != 0) throw new CheckpointException(where + ": c_dim = " + cDim + " is a conditional generator; only unconditional generators (c_dim = 0) are supported");
        if (!(m.get("architecture") instanceof String arch)) throw new CheckpointException(where + ": architecture is not a string");
        if (!arch.equals("skip")) {
            throw new CheckpointException(where + ": architecture " + StrictJson.quoteForMessage(arch) + "; only the 'skip' architecture is supported");
        }
        double lr = positiveDouble(m.get("mapping_lr_multiplier"), "mapping_lr_multiplier", where);
        Double clamp = m.get("conv_clamp") == null ? null : positiveDouble(m.get("conv_clamp"), "conv_clamp", where);
        GeneratorConfig.Aspect aspect = GeneratorConfig.Aspect.SQUARE;
        if (m.containsKey(ASPECT_FIELD)) {
            aspect = m.get(ASPECT_FIELD) instanceof String a ? GeneratorConfig.Aspect.fromFileName(a) : null;
            if (aspect == null) throw new CheckpointException(where + ": aspect is " + show(m.get(ASPECT_FIELD)) + ", expected \"square\" or \"half_width\"");
        }
        try {
            return new GeneratorConfig(intField(m, "z_dim", where), intField(m, "w_dim", where), cDim, intField(m, "img_resolution", where),
                    intField(m, "img_channels", where), intField(m, "mapping_layers", where), lr, intField(m, "channel_base", where),
                    intField(m, "channel_max", where), clamp, intField(m, "num_fp16_res", where), arch, aspect);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": " + e.getMessage(), e);
        }
    }

    private static int intField(Map<?, ?> m, String k, String where) throws CheckpointException {
        if (!(m.get(k) instanceof Long l) || l < 0 || l > MAX_INT_FIELD) {
            throw new CheckpointException(where + ": " + k + " is " + show(m.get(k)) + ", expected an integer in [0, 2^20]");
        }
        return (int) (long) l;
    }

    private static double positiveDouble(Object v, String k, String where) throws CheckpointException {
        double d = v instanceof Long l ? l : v instanceof StrictJson.Num n ? n.toDouble() : Double.NaN;
        if (!(d > 0) || Double.isInfinite(d)) throw new CheckpointException(where + ": " + k + " is " + show(v) + ", expected a positive finite number");
        return d;
    }

    private static String show(Object v) {
        if (v instanceof String s) return "the string " + StrictJson.quoteForMessage(s);
        if (v instanceof StrictJson.Num n) return n.text();
        if (v instanceof Map<?, ?>) return "an object";
        if (v instanceof List<?>) return "an array";
        return String.valueOf(v);
    }

    // ------------------------------------------------------------------ names and shapes

    /** The optional G_ema buffers: every block's and every conv layer's resample filter, each [4, 4]. */
    static Set<String> optionalBuffers(GeneratorConfig c) {
        Set<String> s = new LinkedHashSet<>();
        for (int r : c.blockResolutions()) {
            s.add("synthesis.b" + r + ".resample_filter");
            if (r > 4) s.add("synthesis.b" + r + ".conv0.resample_filter");
            s.add("synthesis.b" + r + ".conv1.resample_filter");
        }
        return s;
    }

    /**
     * Every problem with these G_ema names and shapes (without the prefix) for this config: required tensors missing
     * or misshapen, optional buffers not [4, 4], unknown names.
     */
    static List<String> shapeProblems(GeneratorConfig c, Map<String, int[]> shapes) {
        List<String> problems = new ArrayList<>();
        Map<String, int[]> required = c.requiredShapes();
        Set<String> optional = optionalBuffers(c);
        for (Map.Entry<String, int[]> e : required.entrySet()) {
            int[] have = shapes.get(e.getKey());
            if (have == null) problems.add(G_EMA_PREFIX + e.getKey() + " is missing");
            else if (!Arrays.equals(have, e.getValue())) {
                problems.add(G_EMA_PREFIX + e.getKey() + " has shape " + Arrays.toString(have) + ", expected " + Arrays.toString(e.getValue()));
            }
        }
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String k = e.getKey();
            if (required.containsKey(k)) continue;
            if (!optional.contains(k)) problems.add(StrictJson.quoteForMessage(G_EMA_PREFIX + k) + " is not a tensor of this generator");
            else if (!Arrays.equals(e.getValue(), new int[] {4, 4})) {
                problems.add(G_EMA_PREFIX + k + " has shape " + Arrays.toString(e.getValue()) + ", expected [4, 4]");
            }
        }
        return problems;
    }

    private static String summary(List<String> problems) {
        return String.join("; ", problems.subList(0, Math.min(8, problems.size()))) + (problems.size() > 8 ? "; and " + (problems.size() - 8) + " more" : "");
    }

    // ------------------------------------------------------------------ reading

    /** Reads a generator checkpoint of this convention from src (a safetensors file; src's name starts messages). */
    static NvlabsNetwork.Result read(ByteSource src) throws IOException {
        String file = src.name();
        SafeTensors.Header h = SafeTensors.readHeader(src);
        Map<String, String> meta = h.metadata();
        String format = meta.get(FORMAT_KEY);
        if (!FORMAT.equals(format)) {
            throw new CheckpointException(file + ": a safetensors file, but not a " + FORMAT + " generator checkpoint (metadata '" + FORMAT_KEY + "' is "
                    + (format == null ? "missing" : StrictJson.quoteForMessage(format)) + "; " + h.tensors().size() + " tensors, first "
                    + firstNames(h) + ")");
        }
        String version = meta.get(FORMAT_VERSION_KEY);
        if (!FORMAT_VERSION.equals(version)) {
            throw new CheckpointException(file + ": " + FORMAT + " format_version " + (version == null ? "missing" : StrictJson.quoteForMessage(version))
                    + "; this program reads version " + FORMAT_VERSION);
        }
        String configJson = meta.get(CONFIG_KEY);
        if (configJson == null) throw new CheckpointException(file + ": no '" + CONFIG_KEY + "' in the metadata of this " + FORMAT + " checkpoint");
        GeneratorConfig config = parseConfig(configJson, file);

        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (SafeTensors.TensorInfo t : h.tensors().values()) {
            if (t.name().startsWith(G_EMA_PREFIX)) shapes.put(t.name().substring(G_EMA_PREFIX.length()), t.shape());
        }
        List<String> problems = shapeProblems(config, shapes);
        if (!problems.isEmpty()) {
            throw new CheckpointException(file + ": the G_ema tensors do not match " + CONFIG_KEY + " " + config + ": " + summary(problems));
        }

        Map<String, Tensor> read = SafeTensors.readTensors(src, h, n -> n.startsWith(G_EMA_PREFIX));
        Map<String, Tensor> params = new LinkedHashMap<>();
        List<String> order = new ArrayList<>(config.requiredShapes().keySet());
        order.addAll(optionalBuffers(config));
        for (String k : order) {
            Tensor t = read.get(G_EMA_PREFIX + k);
            if (t == null) continue;
            if (t.dtype() != DType.F32) t = t.copyAs(DType.F32);
            requireFinite(file, G_EMA_PREFIX + k, t);
            params.put(k, t);
        }
        return new NvlabsNetwork.Result(config, params, List.of());
    }

    private static String firstNames(SafeTensors.Header h) {
        List<String> names = new ArrayList<>();
        for (String n : h.tensors().keySet()) {
            if (names.size() == 3) { names.add("..."); break; }
            names.add(StrictJson.quoteForMessage(n));
        }
        return names.toString();
    }

    private static void requireFinite(String file, String name, Tensor t) throws CheckpointException {
        WeightValues.require(file, name, t.shape(), t.host().f32);
    }

    // ------------------------------------------------------------------ writing

    /** See {@link Checkpoints#saveSafetensors(Path, GeneratorConfig, Map, Map, Map)}. */
    static void write(Path file, GeneratorConfig config, Map<String, Tensor> gEma, Map<String, Tensor> extraTensors,
                      Map<String, String> extraMetadata) throws IOException {
        String what = "Checkpoints.saveSafetensors(" + file.toAbsolutePath().normalize() + ")";
        checkWritable(config, what);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : gEma.entrySet()) shapes.put(e.getKey(), e.getValue().shape());
        List<String> problems = shapeProblems(config, shapes);
        if (!problems.isEmpty()) throw new IllegalArgumentException(what + ": the G_ema tensors do not match " + config + ": " + summary(problems));
        for (Map.Entry<String, Tensor> e : gEma.entrySet()) {
            try {
                WeightValues.require(what, G_EMA_PREFIX + e.getKey(), e.getValue().shape(), e.getValue().toFloatArray());
            } catch (CheckpointException x) {
                throw new IllegalArgumentException(x.getMessage(), x);
            }
        }

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : gEma.entrySet()) tensors.put(G_EMA_PREFIX + e.getKey(), e.getValue());
        for (Map.Entry<String, Tensor> e : extraTensors.entrySet()) {
            if (e.getKey() == null) throw new IllegalArgumentException(what + ": an extra tensor's name is null");
            if (e.getKey().startsWith(G_EMA_PREFIX)) {
                throw new IllegalArgumentException(what + ": extra tensor " + StrictJson.quoteForMessage(e.getKey()) + " uses the reserved prefix " + G_EMA_PREFIX
                        + " (pass G_ema's tensors as gEma)");
            }
            tensors.put(e.getKey(), e.getValue());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : extraMetadata.entrySet()) {
            if (FORMAT_KEY.equals(e.getKey()) || FORMAT_VERSION_KEY.equals(e.getKey()) || CONFIG_KEY.equals(e.getKey())) {
                throw new IllegalArgumentException(what + ": extra metadata key '" + e.getKey() + "' is reserved (written by this method)");
            }
            meta.put(e.getKey(), e.getValue());
        }
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(FORMAT_VERSION_KEY, FORMAT_VERSION);
        meta.put(CONFIG_KEY, configJson(config));
        SafeTensors.write(file, meta, tensors);
    }
}
