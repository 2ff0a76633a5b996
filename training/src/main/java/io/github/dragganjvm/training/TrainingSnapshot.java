package io.github.dragganjvm.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.autograd.Adam;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.data.ImageSource;
import io.github.dragganjvm.stylegan.io.DiscriminatorConfig;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.stylegan.io.CheckpointException;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.stylegan.io.SafeTensors;
import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training run saved whole in one safetensors file, so that it resumes exactly and is at the same time a model every
 * program loads ({@code --model snapshot.safetensors} takes its G_ema):
 * <pre>
 *   tensors   G_ema.NAME (the checkpoint convention of {@link Checkpoints#saveSafetensors}), G.NAME, D.NAME,
 *             optG.m.NAME, optG.v.NAME, optD.m.NAME, optD.v.NAME (Adam's moments per parameter)
 *   metadata  format, format_version, G_ema.config (as every generator checkpoint), and "training": a JSON object
 *             with the progress (step, cur_nimg, pl_mean, both Adams' step counts), the options, D's config and a
 *             description of the data
 * </pre>
 * The file is written atomically (a temporary file renamed over the old one), so a run killed at any moment leaves
 * the previous snapshot intact.
 */
public final class TrainingSnapshot {
    private TrainingSnapshot() {}

    /** The metadata key of the training state. */
    public static final String TRAINING_KEY = "training";
    /** Version of the training state's layout. */
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Writes the whole state of a run. {@code dataDescription} names the data (checked again on resume). */
    public static void save(Path file, Trainer t, String dataDescription) throws IOException {
        Map<String, Tensor> extra = new LinkedHashMap<>();
        for (var e : t.generator().parameterTensors().entrySet()) extra.put("G." + e.getKey(), e.getValue());
        for (var e : t.discriminator().parameterTensors().entrySet()) extra.put("D." + e.getKey(), e.getValue());
        putMoments(extra, "optG", t.generator().parameters(), t.optimizerG());
        putMoments(extra, "optD", t.discriminator().parameters(), t.optimizerD());

        ObjectNode st = JSON.createObjectNode();
        st.put("version", VERSION);
        st.put("step", t.step());
        st.put("cur_nimg", t.curNimg());
        st.put("pl_mean", t.loss().plMean());
        st.put("optG_steps", t.optimizerG().steps());
        st.put("optD_steps", t.optimizerD().steps());
        st.put("data", dataDescription);
        st.set("options", optionsJson(t.options()));
        st.set("D_config", DiscriminatorConfigJson.toJson(JSON, t.discriminator().config()));
        Checkpoints.saveSafetensors(file, t.generatorEma().config(), t.generatorEma().parameterTensors(), extra,
                Map.of(TRAINING_KEY, JSON.writeValueAsString(st)));
    }

    private static void putMoments(Map<String, Tensor> out, String prefix, Map<String, Var> params, Adam opt) {
        int i = 0;
        for (String name : params.keySet()) {
            out.put(prefix + ".m." + name, opt.firstMoment(i));
            out.put(prefix + ".v." + name, opt.secondMoment(i));
            i++;
        }
    }

    /** What a snapshot holds besides the networks: enough to check a resume against the user's request. */
    public record Info(GeneratorConfig gConfig, DiscriminatorConfig dConfig, TrainingOptions options, String data, long step, long curNimg) {}

    /** Reads the training state's description (no tensors beyond the header). */
    public static Info info(Path file) throws IOException {
        SafeTensors.Header h = SafeTensors.readHeader(file);
        JsonNode st = state(file, h.metadata());
        Checkpoint ck = Checkpoints.loadUncached(file);
        return new Info(ck.config(), DiscriminatorConfigJson.fromJson(st.get("D_config"), file), optionsFromJson(st.get("options"), file),
                text(st, "data", file), longField(st, "step", file), longField(st, "cur_nimg", file));
    }

    /**
     * Restores a run: G, G_ema, D, both Adams and the progress, checked against each other (every tensor present with
     * its shape, the counters non-negative). The options are the snapshot's.
     */
    public static Trainer restore(Path file, ImageSource data) throws IOException {
        Checkpoint ck = Checkpoints.loadUncached(file);                       // G_ema, checked against its config
        SafeTensors.Contents all = SafeTensors.read(file, name -> !name.startsWith("G_ema."));
        JsonNode st = state(file, all.header().metadata());
        DiscriminatorConfig dc = DiscriminatorConfigJson.fromJson(st.get("D_config"), file);
        TrainingOptions options = optionsFromJson(st.get("options"), file);
        Map<String, Tensor> t = all.tensors();

        TrainableGenerator gEma = new TrainableGenerator(ck.config(), ck.params());
        TrainableGenerator g = new TrainableGenerator(ck.config(), withPrefix(t, "G.", ck.params().keySet(), file));
        Discriminator d = new Discriminator(dc, withPrefix(t, "D.", Discriminator.random(dc, 0).parameterTensors().keySet(), file));
        Trainer tr = new Trainer(options, g, gEma, d, data);
        restoreMoments(tr.optimizerG(), "optG", g.parameters(), t, longField(st, "optG_steps", file), file);
        restoreMoments(tr.optimizerD(), "optD", d.parameters(), t, longField(st, "optD_steps", file), file);
        double pl = st.path("pl_mean").asDouble(Double.NaN);
        if (!Double.isFinite(pl)) throw new CheckpointException(file + ": training state pl_mean is not a finite number");
        tr.restoreProgress(longField(st, "step", file), longField(st, "cur_nimg", file), pl);
        return tr;
    }

    private static Map<String, Tensor> withPrefix(Map<String, Tensor> all, String prefix, Iterable<String> names, Path file) throws CheckpointException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String n : names) {
            Tensor v = all.get(prefix + n);
            if (v == null) throw new CheckpointException(file + ": the training snapshot has no tensor '" + prefix + n + "'");
            out.put(n, v);
        }
        return out;
    }

    private static void restoreMoments(Adam opt, String prefix, Map<String, Var> params, Map<String, Tensor> all, long steps, Path file)
            throws CheckpointException {
        List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
        for (String n : params.keySet()) {
            Tensor a = all.get(prefix + ".m." + n), b = all.get(prefix + ".v." + n);
            if (a == null || b == null) throw new CheckpointException(file + ": the training snapshot has no Adam state for '" + n + "' (" + prefix + ")");
            m.add(a);
            v.add(b);
        }
        try {
            opt.restore(steps, m, v);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode state(Path file, Map<String, String> metadata) throws CheckpointException {
        String s = metadata.get(TRAINING_KEY);
        if (s == null) throw new CheckpointException(file + ": not a training snapshot (no '" + TRAINING_KEY + "' metadata); a model file cannot be resumed");
        JsonNode st;
        try {
            st = JSON.readTree(s);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": training state is not valid JSON: " + e.getOriginalMessage());
        }
        if (st == null || !st.isObject()) throw new CheckpointException(file + ": training state is not a JSON object");
        if (st.path("version").asInt(-1) != VERSION) {
            throw new CheckpointException(file + ": training state version " + st.path("version") + ", this program reads version " + VERSION);
        }
        return st;
    }

    private static long longField(JsonNode st, String k, Path file) throws CheckpointException {
        JsonNode n = st.get(k);
        if (n == null || !n.canConvertToLong() || !n.isIntegralNumber() || n.asLong() < 0) {
            throw new CheckpointException(file + ": training state field '" + k + "' is " + n + ", expected an integer >= 0");
        }
        return n.asLong();
    }

    private static String text(JsonNode st, String k, Path file) throws CheckpointException {
        JsonNode n = st.get(k);
        if (n == null || !n.isTextual()) throw new CheckpointException(file + ": training state field '" + k + "' is missing or not a string");
        return n.asText();
    }

    // ------------------------------------------------------------------ options <-> JSON

    static ObjectNode optionsJson(TrainingOptions o) {
        ObjectNode n = JSON.createObjectNode();
        n.put("batch", o.batch());
        n.put("g_lr", o.gLr());
        n.put("d_lr", o.dLr());
        n.put("g_reg_interval", o.gRegInterval());
        n.put("d_reg_interval", o.dRegInterval());
        n.put("ema_kimg", o.emaKimg());
        n.put("ema_rampup", o.emaRampup());
        n.put("seed", o.seed());
        StyleGAN2Loss.Settings s = o.loss();
        n.put("r1_gamma", s.r1Gamma());
        n.put("style_mixing_prob", s.styleMixingProb());
        n.put("pl_weight", s.plWeight());
        n.put("pl_batch_shrink", s.plBatchShrink());
        n.put("pl_decay", s.plDecay());
        n.put("noise", s.noise().name());
        return n;
    }

    static TrainingOptions optionsFromJson(JsonNode n, Path file) throws CheckpointException {
        if (n == null || !n.isObject()) throw new CheckpointException(file + ": training state has no options object");
        try {
            StyleGAN2Loss.Settings s = new StyleGAN2Loss.Settings(num(n, "r1_gamma"), num(n, "style_mixing_prob"), num(n, "pl_weight"),
                    (int) num(n, "pl_batch_shrink"), num(n, "pl_decay"), NoiseMode.valueOf(n.path("noise").asText("?")));
            return new TrainingOptions((int) num(n, "batch"), num(n, "g_lr"), num(n, "d_lr"), (int) num(n, "g_reg_interval"), (int) num(n, "d_reg_interval"),
                    num(n, "ema_kimg"), num(n, "ema_rampup"), n.path("seed").asLong(), s);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": training options: " + e.getMessage(), e);
        }
    }

    private static double num(JsonNode n, String k) {
        JsonNode v = n.get(k);
        if (v == null || !v.isNumber()) throw new IllegalArgumentException("field '" + k + "' is " + v + ", expected a number");
        return v.asDouble();
    }
}
