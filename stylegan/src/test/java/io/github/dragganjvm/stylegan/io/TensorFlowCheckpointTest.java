package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.io.PickleWriter.Call;
import io.github.dragganjvm.stylegan.io.PickleWriter.G;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Classic TensorFlow StyleGAN2 pickles (golden/compact-128's model-tf.pkl, NVlabs/stylegan2 layout, and
 * model-tf-ada.pkl, StyleGAN2-ADA TF layout; both made by the reference from model.pkl's networks) load as the
 * reference's legacy.py converts them: Gs equals model.pkl's G_ema bit for bit. Hand-made TF pickles show what is
 * refused, with one line each, and that the stored network source is data only.
 */
class TensorFlowCheckpointTest {
    @TempDir Path dir;

    static Path golden(String file) { return Golden.dir("compact-128").resolve(file); }

    @ParameterizedTest
    @ValueSource(strings = {"model-tf.pkl", "model-tf-ada.pkl"})
    void gsEqualsGEmaOfTheNvlabsPickle(String file) throws Exception {
        Checkpoint ref = Checkpoints.loadUncached(golden("model.pkl"));
        WeightCache cache = WeightCache.at(dir.resolve("cache"));
        Checkpoint tf = Checkpoints.load(golden(file), cache);
        System.out.println(file + ": " + tf.config() + " notes " + tf.notes());
        assertEquals(Checkpoint.Format.TENSORFLOW_PICKLE, tf.format());
        assertFalse(tf.fromCache());
        assertEquals(ref.config(), tf.config());
        assertEquals(new ArrayList<>(ref.params().keySet()), new ArrayList<>(tf.params().keySet()), "the same tensors in NVlabs module order");
        double worst = 0;
        String worstName = "";
        for (Map.Entry<String, Tensor> e : ref.params().entrySet()) {
            Tensor t = tf.param(e.getKey());
            assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
            Golden.Diff d = Golden.diff(e.getValue(), t);
            if (d.maxAbs() > worst || worstName.isEmpty()) { worst = d.maxAbs(); worstName = e.getKey() + " at " + d.worstIndex() + ": " + d.expected() + " vs " + d.actual(); }
        }
        System.out.println(file + ": worst per-tensor max abs difference to model.pkl G_ema " + worst + " (" + worstName + ")");
        assertTrue(tf.sameWeights(ref), file + " Gs should equal model.pkl's G_ema bit for bit; worst " + worst + " at " + worstName);

        Checkpoint again = Checkpoints.load(golden(file), cache);
        assertTrue(again.fromCache(), "the second load comes from the cache");
        assertEquals(Checkpoint.Format.TENSORFLOW_PICKLE, again.format());
        assertTrue(again.sameWeights(ref));
    }

    @Test
    void theTrainedGIsGOfTheTuple() throws Exception {
        Checkpoint ref = Checkpoints.loadNetwork(golden("model.pkl"), "G");
        Checkpoint tf = Checkpoints.loadNetwork(golden("model-tf.pkl"), "G");
        assertEquals(Checkpoint.Format.TENSORFLOW_PICKLE, tf.format());
        assertTrue(tf.sameWeights(ref), "TF G = model.pkl's G");
        assertFalse(tf.sameWeights(Checkpoints.loadUncached(golden("model.pkl"))), "G differs from G_ema in the golden");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadDiscriminator(golden("model-tf.pkl")));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().contains("TensorFlow") && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void goldenTfPicklesUseLessThanHalfTheirWorkBudget() throws Exception {
        for (String file : List.of("model-tf.pkl", "model-tf-ada.pkl")) {
            Path f = golden(file);
            try (ByteSource src = ByteSource.open(f)) {
                SafeUnpickler u = new SafeUnpickler(f.toString(), AllowList.networkPickle(), null);
                TfGeneratorConverter.read(f.toString(), u.loadFrom(new BoundedInput(src, 0)), "G_ema");
                WorkBudget wb = u.budget();
                System.out.println(file + ": work " + wb.used() + " of " + wb.limit() + " units (" + src.size() + " bytes)");
                assertTrue(wb.used() < wb.limit() / 2, file + ": " + wb.used() + " of " + wb.limit());
            }
        }
    }

    // ------------------------------------------------------------------ hand-made files

    /** The tiny config's random parameters with affine biases near 1 (as trained models have: bias_init 1), so b - 1 + 1 == b. */
    static Map<String, Tensor> params(GeneratorConfig c) {
        Map<String, Tensor> p = new LinkedHashMap<>(MiniCheckpoints.randomParams(c, 5));
        for (Map.Entry<String, Tensor> e : p.entrySet()) {
            if (e.getKey().endsWith("affine.bias")) {
                float[] v = e.getValue().toFloatArray();
                for (int i = 0; i < v.length; i++) v[i] = 1 + 0.25f * v[i] / (1 + Math.abs(v[i]));
                e.setValue(Tensor.of(v, e.getValue().shape()));
            }
        }
        return p;
    }

    private Checkpoint loaded(String name, byte[] bytes) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return Checkpoints.loadUncached(f);
    }

    private String rejected(String name, byte[] bytes, String... expected) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f)));
        String m = e.getMessage();
        System.out.println(name + ": " + m);
        assertTrue(m.startsWith(f.toString() + ": "), m);
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        for (String s : expected) assertTrue(m.contains(s), "expected '" + s + "' in: " + m);
        return m;
    }

    @Test
    void handMadeTfPickleRoundTripsExactly() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = params(c);
        Checkpoint k = loaded("tiny-tf.pkl", MiniTfPickle.pickle(c, p, new MiniTfPickle.Opts()));
        assertEquals(Checkpoint.Format.TENSORFLOW_PICKLE, k.format());
        assertEquals(c, k.config());
        for (Map.Entry<String, int[]> e : c.requiredShapes().entrySet()) Golden.assertBitEqual(e.getKey(), p.get(e.getKey()), k.param(e.getKey()));
        Golden.assertBitEqual("resample filter", MiniCheckpoints.fir(), k.param("synthesis.b8.conv0.resample_filter"));
    }

    @Test
    void absentKwargsAreInferredFromShapesOrTakeLegacyDefaults() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        MiniTfPickle.Opts o = new MiniTfPickle.Opts();
        o.dropKwargs.addAll(List.of("resolution", "fmap_base", "fmap_max", "mapping_layers", "dlatent_size", "latent_size", "num_channels", "label_size"));
        Checkpoint k = loaded("bare-kwargs.pkl", MiniTfPickle.pickle(c, params(c), o));
        System.out.println(k.config() + " " + k.notes());
        assertEquals(c, k.config());
        assertTrue(k.notes().stream().anyMatch(n -> n.contains("resolution not in Gs's static_kwargs")), k.notes().toString());
    }

    @Test
    void buildModuleSrcIsDataNeverRun() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Path marker = dir.resolve("pwned");
        MiniTfPickle.Opts o = new MiniTfPickle.Opts();
        o.buildModuleSrc = "import os\nos.system('touch " + marker + "')\nraise SystemExit\ndef G_main(*a, **k): exec(open('/etc/passwd').read())\n";
        Checkpoint k = loaded("src-with-code.pkl", MiniTfPickle.pickle(c, params(c), o));
        assertEquals(c, k.config());
        assertFalse(Files.exists(marker), "nothing of build_module_src ran");

        // but a global outside the allow-list anywhere in the Network's state is refused before it is called
        MiniTfPickle.Opts evil = new MiniTfPickle.Opts();
        evil.extraState.put("build_module_src_hook", new Call(new G("posix", "system"), "touch " + marker));
        rejected("global-in-network.pkl", MiniTfPickle.pickle(c, params(c), evil), "refusing pickle global 'posix.system'");
        assertFalse(Files.exists(marker));
    }

    @Test
    void missingVariablesAreNamedInOneLine() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        MiniTfPickle.Opts o = new MiniTfPickle.Opts();
        o.dropVariables.addAll(List.of("synthesis/8x8/Conv1/weight", "synthesis/noise3", "dlatent_avg"));
        rejected("missing.pkl", MiniTfPickle.pickle(c, params(c), o),
                "Gs lacks 3 variables", "synthesis/8x8/Conv1/weight", "synthesis/noise3", "dlatent_avg");
    }

    @Test
    void wrongShapesAndBadArraysAreRefused() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = params(c);
        MiniTfPickle.Opts o = new MiniTfPickle.Opts();
        o.variableValues.put("synthesis/8x8/Conv1/weight", MiniTfPickle.ndarray(Tensor.zeros(DType.F32, 3, 3, 16, 8)));
        rejected("wrong-shape.pkl", MiniTfPickle.pickle(c, p, o), "synthesis/8x8/Conv1/weight has shape [3, 3, 16, 8], expected [3, 3, 16, 16]");

        o = new MiniTfPickle.Opts();
        o.variableValues.put("mapping/Dense1/bias", MiniTfPickle.ndarray(new int[] {16}, MiniTfPickle.dtypeF4(), false, new byte[60]));
        rejected("short-data.pkl", MiniTfPickle.pickle(c, p, o), "mapping/Dense1/bias", "needs 64 bytes of data but holds 60");

        o = new MiniTfPickle.Opts();
        o.variableValues.put("mapping/Dense1/bias", MiniTfPickle.ndarray(new int[] {16},
                new PickleWriter.Built(new Call(new G("numpy", "dtype"), "i4", false, true), new Object[] {3, "<", null, null, null, -1, -1, 0}), false, new byte[64]));
        rejected("int-array.pkl", MiniTfPickle.pickle(c, p, o), "mapping/Dense1/bias", "dtype 'i4'");

        o = new MiniTfPickle.Opts();
        float[] nan = new float[16];
        nan[7] = Float.NaN;
        o.variableValues.put("mapping/Dense1/bias", MiniTfPickle.ndarray(new int[] {16}, MiniTfPickle.dtypeF4(), false, MiniTfPickle.le(nan)));
        rejected("nan.pkl", MiniTfPickle.pickle(c, p, o), "mapping/Dense1/bias");

        o = new MiniTfPickle.Opts();
        o.variableValues.put("synthesis/4x4/Conv/noise_strength", "0.1");
        rejected("str-variable.pkl", MiniTfPickle.pickle(c, p, o), "synthesis/4x4/Conv/noise_strength is a str");
    }

    @Test
    void fortranOrderAndBigEndianArraysReadAsNumpyDoes() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = params(c);
        // mapping/Dense1/weight [in 16, out 16] in column-major order; Dense0 big-endian
        Tensor w = p.get("mapping.fc1.weight");      // [out, in]: TF's [in, out] in Fortran order is exactly these bytes
        Tensor w0 = p.get("mapping.fc0.weight");
        float[] t0 = new float[w0.numel()];
        float[] v0 = w0.toFloatArray();
        int out = w0.size(0), in = w0.size(1);
        for (int i = 0; i < in; i++) for (int j = 0; j < out; j++) t0[i * out + j] = v0[j * in + i];
        java.nio.ByteBuffer be = java.nio.ByteBuffer.allocate(4 * t0.length).order(java.nio.ByteOrder.BIG_ENDIAN);
        for (float f : t0) be.putFloat(f);
        MiniTfPickle.Opts o = new MiniTfPickle.Opts();
        o.variableValues.put("mapping/Dense1/weight", MiniTfPickle.ndarray(new int[] {w.size(1), w.size(0)}, MiniTfPickle.dtypeF4(), true, MiniTfPickle.le(w.toFloatArray())));
        o.variableValues.put("mapping/Dense0/weight", MiniTfPickle.ndarray(new int[] {in, out},
                new PickleWriter.Built(new Call(new G("numpy", "dtype"), "f4", false, true), new Object[] {3, ">", null, null, null, -1, -1, 0}), false, be.array()));
        Checkpoint k = loaded("orders.pkl", MiniTfPickle.pickle(c, p, o));
        Golden.assertBitEqual("fc1 from a Fortran-order array", w, k.param("mapping.fc1.weight"));
        Golden.assertBitEqual("fc0 from a big-endian array", w0, k.param("mapping.fc0.weight"));
    }

    @Test
    void oneByteStringUnderTwoVariablesIsRefused() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = params(c);
        byte[] raw = MiniTfPickle.le(p.get("mapping.fc1.bias").toFloatArray());
        // memoize the first array's bytes (BINPUT 200 right after them), fetch them again for the second (BINGET 200)
        PickleWriter.Raw first = new PickleWriter.Raw(new PickleWriter().bytes(raw).op('q').u8(200).toBytes());
        PickleWriter.Raw again = new PickleWriter.Raw(new PickleWriter().op('h').u8(200).toBytes());
        MiniTfPickle.Opts o = new MiniTfPickle.Opts();
        o.variableValues.put("mapping/Dense0/bias", MiniTfPickle.ndarray(new int[] {16}, MiniTfPickle.dtypeF4(), false, first));
        o.variableValues.put("mapping/Dense1/bias", MiniTfPickle.ndarray(new int[] {16}, MiniTfPickle.dtypeF4(), false, again));
        rejected("shared-bytes.pkl", MiniTfPickle.pickle(c, p, o), "share the same numpy data");
    }

    @Test
    void unsupportedModelsAreRefusedInOneLine() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = params(c);
        record Case(String name, String kwarg, Object value, String expected) {}
        for (Case k : List.of(
                new Case("conditional", "label_size", 10, "conditional generator (label_size = 10)"),
                new Case("resnet", "architecture", "resnet", "architecture 'resnet'"),
                new Case("orig", "architecture", "orig", "architecture 'orig'"),
                new Case("kernel", "resample_kernel", List.of(1, 1), "resample_kernel ['1', '1']".replace("'", "")),
                new Case("no-noise", "use_noise", false, "use_noise false"),
                new Case("elu", "nonlinearity", "elu", "nonlinearity 'elu'"),
                new Case("unknown-kwarg", "fmap_decay", 1.0, "unknown TensorFlow kwarg 'fmap_decay'"),
                new Case("wrong-resolution", "resolution", 32, "lacks"),
                new Case("absurd-mapping", "mapping_layers", 1_000_000, "too few for a StyleGAN2 generator of 1000000 mapping layers"))) {
            MiniTfPickle.Opts o = new MiniTfPickle.Opts();
            o.kwargs.put(k.kwarg(), k.value());
            rejected(k.name() + ".pkl", MiniTfPickle.pickle(c, p, o), k.expected());
        }
        MiniTfPickle.Opts orig = new MiniTfPickle.Opts();
        orig.variableValues.put("synthesis/ToRGB_lod0/weight", MiniTfPickle.ndarray(Tensor.zeros(DType.F32, 1, 1, 8, 3)));
        rejected("torgb-lod.pkl", MiniTfPickle.pickle(c, p, orig), "'orig' architecture", "ToRGB_lod0");

        MiniTfPickle.Opts old = new MiniTfPickle.Opts();
        old.version = 3;
        rejected("version3.pkl", MiniTfPickle.pickle(c, p, old), "state version 3");

        MiniTfPickle.Opts pair = new MiniTfPickle.Opts();
        pair.top = t -> new Object[] {((Object[]) t)[0], ((Object[]) t)[1]};
        rejected("two-networks.pkl", MiniTfPickle.pickle(c, p, pair), "(G, D, Gs)", "2 items");

        MiniTfPickle.Opts args = new MiniTfPickle.Opts();
        args.top = t -> new Object[] {((Object[]) t)[0], ((Object[]) t)[1], new PickleWriter.NewObj(MiniTfPickle.NETWORK, Map.of(), "x")};
        rejected("network-args.pkl", MiniTfPickle.pickle(c, p, args), "takes no positional arguments");
    }

    @Test
    void cyclicComponentsAreRefused() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        // Gs (memo 1) whose components dict holds Gs itself: NEWOBJ, PUT, then BUILD with {"components": {"self": GET 1}}
        byte[] net = new PickleWriter().global("dnnlib.tflib.network", "Network").op(')').op(0x81).op('q').u8(1).toBytes();
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("version", 4);
        state.put("static_kwargs", MiniTfPickle.kwargs(c));
        state.put("variables", List.of());
        state.put("components", Map.of("self", new PickleWriter.Raw(new PickleWriter().op('h').u8(1).toBytes())));
        byte[] pkl = new PickleWriter().proto(4).raw(net).value(state).op('b').stop().toBytes();
        rejected("cyclic.pkl", pkl, "Gs/self is the same object as Gs");
    }
}
