package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.io.PickleWriter.Call;
import io.github.dragganjvm.stylegan.io.PickleWriter.G;
import io.github.dragganjvm.stylegan.io.PickleWriter.ODict;
import io.github.dragganjvm.stylegan.io.PickleWriter.PersId;
import io.github.dragganjvm.stylegan.io.PickleWriter.PySet;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test-only writers of small checkpoints in the real layouts: NVlabs network pickles (persistent modules, embedded
 * legacy storages, numpy scalars) and rosinality torch.save files (zip and legacy), from a config and NVlabs-named
 * parameters. The rosinality writer states the name map independently of the loader's converter.
 */
final class MiniCheckpoints {
    private MiniCheckpoints() {}

    /** A tiny generator: 16x16, z = w = 16, 2 mapping layers, channels 16, 16, 8. */
    static GeneratorConfig tinyConfig() {
        return new GeneratorConfig(16, 16, 0, 16, 3, 2, 0.01, 128, 16, null, 0, "skip");
    }

    /** Seeded random parameters for every required tensor, plus the resample filters a rosinality file carries. */
    static Map<String, Tensor> randomParams(GeneratorConfig c, long seed) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        long s = seed;
        for (Map.Entry<String, int[]> e : c.requiredShapes().entrySet()) p.put(e.getKey(), Tensor.randn(DType.F32, s++, e.getValue()));
        for (int r : c.blockResolutions()) {
            if (r == 4) continue;
            p.put("synthesis.b" + r + ".resample_filter", fir());
            p.put("synthesis.b" + r + ".conv0.resample_filter", fir());
        }
        return p;
    }

    /** NVlabs setup_filter([1, 3, 3, 1]): outer product / 64. */
    static Tensor fir() {
        float[] k = {1, 3, 3, 1};
        float[] v = new float[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) v[4 * i + j] = k[i] * k[j] / 64f;
        return Tensor.of(v, 4, 4);
    }

    // ------------------------------------------------------------------ NVlabs network pickle

    /** Options for {@link #nvlabsPkl}; the defaults give a valid file. */
    static final class Nv {
        TorchDType dtype = TorchDType.FLOAT32;
        String architecture = "skip";
        int cDim = 0;
        boolean styleGan3 = false;
        boolean stackGlobals = true;
        int protocol = 4;
        /** Extra entries in G_ema's state (e.g. something malicious). */
        Map<String, Object> extraGEmaState = new LinkedHashMap<>();
        /** Replaces the storage bytes of one parameter (by NVlabs name) with these. */
        String moduleSource = "class Module: pass\n";
        String replaceStorageOf;
        byte[] replacementStorage;
        /** Changes the top-level dict before it is written. */
        Consumer<Map<String, Object>> editTop = m -> {};
        /** The pickled value of a parameter by NVlabs name (a hostile tensor), or null for the normal one. */
        java.util.function.BiFunction<String, Tensor, Object> tensorValue = (name, t) -> null;
    }

    private static G g(Nv o, String module, String name) { return new G(module, name, o.stackGlobals); }

    static byte[] nvlabsPkl(GeneratorConfig c, Map<String, Tensor> params, Nv o) {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("G", generator(c, params, o, true));
        top.put("D", module(o, "Discriminator", attrs("b4_scale", 1.0), new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), Map.of()));
        top.put("G_ema", generator(c, params, o, false));
        top.put("training_set_kwargs", new LinkedHashMap<>(Map.of("resolution", c.imgResolution())));
        o.editTop.accept(top);
        return PickleWriter.pickle(o.protocol, top);
    }

    private static Object generator(GeneratorConfig c, Map<String, Tensor> params, Nv o, boolean perturb) {
        Map<String, Tensor> p = params;
        if (perturb) {  // G differs from G_ema, as in real snapshots
            p = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                float[] v = e.getValue().toFloatArray();
                for (int i = 0; i < v.length; i++) v[i] += 1f;
                p.put(e.getKey(), Tensor.of(v, e.getValue().shape()));
            }
        }
        double lr = c.mappingLrMultiplier();
        Map<String, Object> mappingMods = new LinkedHashMap<>();
        for (int i = 0; i < c.mappingLayers(); i++) {
            int in = i == 0 ? c.zDim() : c.wDim();
            mappingMods.put("fc" + i, fc(o, p, "mapping.fc" + i + ".", in, c.wDim(), "lrelu", lr));
        }
        Object mapping = module(o, "MappingNetwork", attrs("z_dim", c.zDim(), "c_dim", c.cDim(), "w_dim", c.wDim(), "num_ws", c.numWs(),
                        "num_layers", c.mappingLayers(), "w_avg_beta", 0.998),
                new LinkedHashMap<>(), tensors(o, p, "mapping.", "w_avg"), mappingMods, Map.of("num_layers", c.mappingLayers()));

        Map<String, Object> blocks = new LinkedHashMap<>();
        if (o.styleGan3) blocks.put("input", module(o, "SynthesisInput", attrs("w_dim", c.wDim()), new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), Map.of()));
        int prev = 0;
        for (int r : c.blockResolutions()) {
            String b = "synthesis.b" + r + ".";
            int ch = c.channels(r);
            Map<String, Object> mods = new LinkedHashMap<>();
            if (r > 4) mods.put("conv0", layer(o, c, p, b + "conv0.", prev, ch, r, 2));
            mods.put("conv1", layer(o, c, p, b + "conv1.", ch, ch, r, 1));
            mods.put("torgb", module(o, "ToRGBLayer", attrs("in_channels", ch, "out_channels", c.imgChannels(), "w_dim", c.wDim(),
                            "conv_clamp", c.convClamp(), "weight_gain", numpyF8(o, 1 / Math.sqrt(ch))),
                    tensors(o, p, b + "torgb.", "weight", "bias"), new LinkedHashMap<>(),
                    new LinkedHashMap<>(Map.of("affine", fc(o, p, b + "torgb.affine.", c.wDim(), ch, "linear", 1.0))), Map.of()));
            blocks.put("b" + r, module(o, "SynthesisBlock", attrs("in_channels", prev, "w_dim", c.wDim(), "resolution", r,
                            "img_channels", c.imgChannels(), "is_last", r == c.imgResolution(), "architecture", o.architecture,
                            "use_fp16", r >= c.imgResolution() >> Math.max(c.numFp16Res() - 1, 0) && c.numFp16Res() > 0, "num_conv", r == 4 ? 1 : 2, "num_torgb", 1),
                    tensors(o, p, b, "const"), tensors(o, p, b, "resample_filter"), mods, Map.of("resolution", r)));
            prev = ch;
        }
        List<Object> blockRes = new ArrayList<>();
        for (int r : c.blockResolutions()) blockRes.add(r);
        Object synthesis = module(o, "SynthesisNetwork", attrs("w_dim", c.wDim(), "img_resolution", c.imgResolution(),
                        "img_resolution_log2", c.resolutionLog2(), "img_channels", c.imgChannels(), "num_fp16_res", c.numFp16Res(),
                        "block_resolutions", blockRes, "num_ws", c.numWs()),
                new LinkedHashMap<>(), new LinkedHashMap<>(), blocks,
                Map.of("w_dim", c.wDim(), "img_resolution", c.imgResolution(), "img_channels", c.imgChannels(), "channel_base", c.channelBase(),
                        "channel_max", c.channelMax(), "num_fp16_res", c.numFp16Res()));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        kwargs.put("z_dim", c.zDim());
        kwargs.put("c_dim", o.cDim);
        kwargs.put("w_dim", c.wDim());
        kwargs.put("img_resolution", c.imgResolution());
        kwargs.put("img_channels", c.imgChannels());
        kwargs.put("mapping_kwargs", new LinkedHashMap<>(Map.of("num_layers", c.mappingLayers())));
        kwargs.put("channel_base", c.channelBase());
        kwargs.put("channel_max", c.channelMax());
        kwargs.put("num_fp16_res", c.numFp16Res());
        kwargs.put("conv_clamp", c.convClamp() == null ? null : (Object) (int) (double) c.convClamp());
        Map<String, Object> gAttrs = attrs("z_dim", c.zDim(), "c_dim", o.cDim, "w_dim", c.wDim(), "img_resolution", c.imgResolution(),
                "img_channels", c.imgChannels(), "num_ws", c.numWs());
        if (!perturb) gAttrs.putAll(o.extraGEmaState);
        Map<String, Object> mods = new LinkedHashMap<>();
        mods.put("synthesis", synthesis);
        mods.put("mapping", mapping);
        return module(o, "Generator", gAttrs, new LinkedHashMap<>(), new LinkedHashMap<>(), mods, kwargs);
    }

    private static Object layer(Nv o, GeneratorConfig c, Map<String, Tensor> p, String prefix, int in, int out, int r, int up) {
        return module(o, "SynthesisLayer", attrs("in_channels", in, "out_channels", out, "w_dim", c.wDim(), "resolution", r, "up", up,
                        "use_noise", true, "activation", "lrelu", "conv_clamp", c.convClamp() == null ? null : (Object) (int) (double) c.convClamp(),
                        "padding", 1, "act_gain", Math.sqrt(2)),
                tensors(o, p, prefix, "weight", "noise_strength", "bias"), tensors(o, p, prefix, "resample_filter", "noise_const"),
                new LinkedHashMap<>(Map.of("affine", fc(o, p, prefix + "affine.", c.wDim(), in, "linear", 1.0))), Map.of());
    }

    private static Object fc(Nv o, Map<String, Tensor> p, String prefix, int in, int out, String act, double lr) {
        return module(o, "FullyConnectedLayer", attrs("in_features", in, "out_features", out, "activation", act,
                        "weight_gain", numpyF8(o, lr / Math.sqrt(in)), "bias_gain", lr),
                tensors(o, p, prefix, "weight", "bias"), new LinkedHashMap<>(), new LinkedHashMap<>(), Map.of("activation", act, "lr_multiplier", lr));
    }

    /** numpy.core.multiarray.scalar(numpy.dtype('f8'), bytes), as NVlabs pickles hold np.float64 gains. */
    static Object numpyF8(Nv o, double v) {
        Object dtype = new PickleWriter.Raw(new PickleWriter().value(new Call(g(o, "numpy", "dtype"), "f8", false, true))
                .value(new Object[] {3, "<", null, null, null, -1, -1, 0}).op('b').toBytes());
        byte[] raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array();
        return new Call(g(o, "numpy.core.multiarray", "scalar"), dtype, raw);
    }

    static Map<String, Object> attrs(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static Map<String, Object> tensors(Nv o, Map<String, Tensor> p, String prefix, String... names) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String n : names) {
            Tensor t = p.get(prefix + n);
            if (t != null) m.put(n, nvTensor(o, prefix + n, t));
        }
        return m;
    }

    static Object module(Nv o, String cls, Map<String, Object> attrs, Map<String, Object> params, Map<String, Object> buffers,
                                 Map<String, Object> modules, Map<String, Object> initKwargs) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("training", false);
        Map<String, Object> ps = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : params.entrySet()) ps.put(e.getKey(), new Call(g(o, "torch._utils", "_rebuild_parameter"), e.getValue(), true, new ODict(Map.of())));
        state.put("_parameters", new ODict(ps));
        state.put("_buffers", new ODict(buffers));
        state.put("_non_persistent_buffers_set", new PySet(List.of()));
        state.put("_modules", new ODict(modules));
        state.putAll(attrs);
        state.put("_init_args", new Object[0]);
        state.put("_init_kwargs", new LinkedHashMap<>(initKwargs));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("type", "class");
        meta.put("version", 6);
        meta.put("module_src", o.moduleSource);
        meta.put("class_name", cls);
        meta.put("state", state);
        return new Call(g(o, "torch_utils.persistence", "_reconstruct_persistent_obj"), meta);
    }

    static Object nvTensor(Nv o, String name, Tensor t) {
        Object custom = o.tensorValue.apply(name, t);
        if (custom != null) return custom;
        byte[] storage = name.equals(o.replaceStorageOf) ? o.replacementStorage : legacyStorage(o.dtype, t.toFloatArray(), "140" + Math.abs(name.hashCode()));
        Object st = new Call(g(o, "torch.storage", "_load_from_bytes"), storage);
        return new Call(g(o, "torch._utils", "_rebuild_tensor_v2"), st, 0, shape(t), strides(t), false, new ODict(Map.of()));
    }

    static Object[] shape(Tensor t) {
        int[] s = t.shape();
        Object[] o = new Object[s.length];
        for (int i = 0; i < s.length; i++) o[i] = s[i];
        return o;
    }

    static Object[] strides(Tensor t) {
        int[] s = t.shape();
        Object[] o = new Object[s.length];
        long st = 1;
        for (int i = s.length - 1; i >= 0; i--) {
            o[i] = (int) st;
            st *= s[i];
        }
        return o;
    }

    static final byte[] MAGIC_PICKLE = new PickleWriter().proto(2).op(0x8a).u8(10)
            .raw(new byte[] {0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19}).stop().toBytes();

    /** The legacy torch.save header: magic, protocol 1001, sys_info. */
    static byte[] legacyHeader() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(MAGIC_PICKLE);
        b.writeBytes(PickleWriter.pickle(2, 1001));
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("protocol_version", 1001);
        info.put("little_endian", true);
        info.put("type_sizes", new LinkedHashMap<>(Map.of("short", 2, "int", 4, "long", 4)));
        b.writeBytes(PickleWriter.pickle(2, info));
        return b.toByteArray();
    }

    /** A legacy torch.save of one storage, as torch.storage._load_from_bytes receives it. */
    static byte[] legacyStorage(TorchDType dtype, float[] data, String key) {
        return legacyStorageClaiming(dtype, data, key, data.length);
    }

    /** Same, with the persistent id and the raw-section header claiming `claimed` elements. */
    static byte[] legacyStorageClaiming(TorchDType dtype, float[] data, String key, long claimed) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(legacyHeader());
        b.writeBytes(PickleWriter.pickle(2, new PersId(new Object[] {"storage", new G("torch", dtype.storageClass), key, "cpu", claimed, null})));
        b.writeBytes(PickleWriter.pickle(2, List.of(key)));
        b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(claimed).array());
        b.writeBytes(raw(dtype, data));
        return b.toByteArray();
    }

    static byte[] raw(TorchDType dtype, float[] data) {
        ByteBuffer bb = ByteBuffer.allocate(data.length * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) {
            switch (dtype) {
                case FLOAT32 -> bb.putFloat(v);
                case FLOAT64 -> bb.putDouble(v);
                case FLOAT16 -> bb.putShort(Float.floatToFloat16(v));
                case BFLOAT16 -> bb.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return bb.array();
    }

    // ------------------------------------------------------------------ rosinality torch.save

    record Named(float[] data, int[] shape) {}

    /** The rosinality state dict of an NVlabs parameter map (the inverse of the converter, written out independently). */
    static Map<String, Named> rosinalityStateDict(GeneratorConfig c, Map<String, Tensor> p) {
        Map<String, Named> m = new LinkedHashMap<>();
        for (int i = 0; i < c.mappingLayers(); i++) {
            put(m, "style." + (i + 1) + ".weight", p.get("mapping.fc" + i + ".weight"));
            put(m, "style." + (i + 1) + ".bias", p.get("mapping.fc" + i + ".bias"));
        }
        put(m, "input.input", p.get("synthesis.b4.const"), 1);
        rosLayer(m, p, "conv1.", "synthesis.b4.conv1.");
        rosRgb(m, p, "to_rgb1.", "synthesis.b4.torgb.");
        int noise = 0;
        m.put("noises.noise_" + noise++, new Named(p.get("synthesis.b4.conv1.noise_const").toFloatArray(), new int[] {1, 1, 4, 4}));
        int[] res = c.blockResolutions();
        for (int k = 0; k + 1 < res.length; k++) {
            String b = "synthesis.b" + res[k + 1] + ".";
            rosLayer(m, p, "convs." + 2 * k + ".", b + "conv0.");
            m.put("convs." + 2 * k + ".conv.blur.kernel", times4(p.get(b + "conv0.resample_filter")));
            rosLayer(m, p, "convs." + (2 * k + 1) + ".", b + "conv1.");
            rosRgb(m, p, "to_rgbs." + k + ".", b + "torgb.");
            m.put("to_rgbs." + k + ".upsample.kernel", times4(p.get(b + "resample_filter")));
            for (String l : new String[] {"conv0.", "conv1."}) {
                int r = res[k + 1];
                m.put("noises.noise_" + noise++, new Named(p.get(b + l + "noise_const").toFloatArray(), new int[] {1, 1, r, r}));
            }
        }
        return m;
    }

    private static Named times4(Tensor t) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] *= 4;
        return new Named(v, t.shape());
    }

    private static void rosLayer(Map<String, Named> m, Map<String, Tensor> p, String ros, String nv) {
        put(m, ros + "conv.weight", p.get(nv + "weight"), 1);
        put(m, ros + "conv.modulation.weight", p.get(nv + "affine.weight"));
        put(m, ros + "conv.modulation.bias", p.get(nv + "affine.bias"));
        m.put(ros + "noise.weight", new Named(p.get(nv + "noise_strength").toFloatArray(), new int[] {1}));
        put(m, ros + "activate.bias", p.get(nv + "bias"));
    }

    private static void rosRgb(Map<String, Named> m, Map<String, Tensor> p, String ros, String nv) {
        put(m, ros + "conv.weight", p.get(nv + "weight"), 1);
        put(m, ros + "conv.modulation.weight", p.get(nv + "affine.weight"));
        put(m, ros + "conv.modulation.bias", p.get(nv + "affine.bias"));
        Tensor b = p.get(nv + "bias");
        m.put(ros + "bias", new Named(b.toFloatArray(), new int[] {1, b.size(0), 1, 1}));
    }

    private static void put(Map<String, Named> m, String name, Tensor t, int... lead) {
        int[] s = t.shape();
        int[] shape = new int[lead.length + s.length];
        System.arraycopy(lead, 0, shape, 0, lead.length);
        System.arraycopy(s, 0, shape, lead.length, s.length);
        m.put(name, new Named(t.toFloatArray(), shape));
    }

    /** The object pickled by rosinality's checkpoints: {"g_ema": sd, "latent_avg": w?}, tensors as persistent ids. */
    static Object rosinalityTop(Map<String, Named> sd, Tensor latentAvg, boolean legacy, Map<String, Named> storagesOut) {
        Map<String, Object> g = new LinkedHashMap<>();
        for (Map.Entry<String, Named> e : sd.entrySet()) g.put(e.getKey(), torchSaveTensor(e.getValue(), legacy, storagesOut));
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("g_ema", g);
        if (latentAvg != null) top.put("latent_avg", torchSaveTensor(new Named(latentAvg.toFloatArray(), new int[] {1, latentAvg.numel()}), legacy, storagesOut));
        return top;
    }

    private static Object torchSaveTensor(Named n, boolean legacy, Map<String, Named> storagesOut) {
        String key = String.valueOf(storagesOut.size());
        storagesOut.put(key, n);
        Object[] pid = legacy ? new Object[] {"storage", new G("torch", "FloatStorage"), key, "cpu", n.data().length, null}
                : new Object[] {"storage", new G("torch", "FloatStorage"), key, "cpu", n.data().length};
        Tensor t = Tensor.zeros(n.shape());
        return new Call(new G("torch._utils", "_rebuild_tensor_v2"), new PersId(pid), 0, shape(t), strides(t), false, new ODict(Map.of()));
    }

    /** Writes a torch.save zip (STORED entries, as torch writes them) of a pickled object and its storages. */
    static void writeTorchZip(Path file, byte[] dataPkl, Map<String, Named> storages, String archive) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(archive + "/data.pkl", dataPkl);
        for (Map.Entry<String, Named> e : storages.entrySet()) entries.put(archive + "/data/" + e.getKey(), raw(TorchDType.FLOAT32, e.getValue().data()));
        entries.put(archive + "/version", "3\n".getBytes());
        writeZip(file, entries);
    }

    static void writeZip(Path file, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                z.setMethod(ZipEntry.STORED);
                z.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                z.setCrc(crc.getValue());
                zip.putNextEntry(z);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
    }

    static void rosinalityZip(Path file, GeneratorConfig c, Map<String, Tensor> p, boolean withLatentAvg) throws IOException {
        Map<String, Named> storages = new LinkedHashMap<>();
        Object top = rosinalityTop(rosinalityStateDict(c, p), withLatentAvg ? p.get("mapping.w_avg") : null, false, storages);
        writeTorchZip(file, PickleWriter.pickle(2, top), storages, "archive");
    }

    static void rosinalityLegacy(Path file, GeneratorConfig c, Map<String, Tensor> p, boolean withLatentAvg) throws IOException {
        Map<String, Named> storages = new LinkedHashMap<>();
        Object top = rosinalityTop(rosinalityStateDict(c, p), withLatentAvg ? p.get("mapping.w_avg") : null, true, storages);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(legacyHeader());
        b.writeBytes(PickleWriter.pickle(2, top));
        b.writeBytes(PickleWriter.pickle(2, new ArrayList<>(storages.keySet())));
        for (Named n : storages.values()) {
            b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n.data().length).array());
            b.writeBytes(raw(TorchDType.FLOAT32, n.data()));
        }
        Files.write(file, b.toByteArray());
    }
}
