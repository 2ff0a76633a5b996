package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static io.github.dragganjvm.stylegan.io.MiniCheckpoints.attrs;
import static io.github.dragganjvm.stylegan.io.MiniCheckpoints.module;
import static io.github.dragganjvm.stylegan.io.MiniCheckpoints.numpyF8;

/**
 * Test-only writer of an NVlabs network pickle whose {@code D} is a persistent {@code Discriminator} module tree laid
 * out as stylegan2-ada-pytorch builds it (blocks b{R}..b8 with fromrgb/conv0/conv1/skip Conv2dLayers, the epilogue
 * b4 with mbstd, conv, fc, out), with options to break one thing at a time.
 */
final class MiniDiscriminatorPickle {
    private MiniDiscriminatorPickle() {}

    /** Options; the defaults give a valid file. */
    static final class Opt {
        MiniCheckpoints.Nv nv = new MiniCheckpoints.Nv();
        String architecture = "resnet";
        int cDim = 0;
        /** Written into D's init kwargs (null: channel_base/channel_max left out, as a default-width D). */
        boolean widthKwargs = true;
        /** conv_clamp of one named layer (e.g. "b8.conv0"), overriding the config's. */
        String clampLayer;
        Object clampValue;
        /** The stored resample filter values (flattened 4x4). */
        float[] filter = MiniCheckpoints.fir().toFloatArray();
        /** Changes the top-level dict before it is written. */
        Consumer<Map<String, Object>> editTop = m -> {};
    }

    /** Seeded random values for every parameter of c (weights and non-zero biases). */
    static Map<String, Tensor> randomParams(DiscriminatorConfig c, long seed) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        long s = seed;
        for (Map.Entry<String, int[]> e : c.requiredShapes().entrySet()) p.put(e.getKey(), Tensor.randn(DType.F32, s++, e.getValue()));
        return p;
    }

    static byte[] pkl(DiscriminatorConfig c, Map<String, Tensor> p, Opt o) {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("G", "a generator would be here");
        top.put("D", discriminator(c, p, o));
        top.put("G_ema", "a generator would be here");
        o.editTop.accept(top);
        return PickleWriter.pickle(o.nv.protocol, top);
    }

    private static Object discriminator(DiscriminatorConfig c, Map<String, Tensor> p, Opt o) {
        Map<String, Object> blocks = new LinkedHashMap<>();
        int layerIdx = 0;
        for (int r : c.blockResolutions()) {
            String b = "b" + r;
            int ch = c.channels(r), out = c.channels(r / 2);
            Map<String, Object> mods = new LinkedHashMap<>();
            boolean top = r == c.imgResolution();
            if (top) mods.put("fromrgb", conv(c, p, o, b + ".fromrgb", c.imgChannels(), ch, 1, 1, "lrelu", true, c.convClamp()));
            mods.put("conv0", conv(c, p, o, b + ".conv0", ch, ch, 3, 1, "lrelu", true, c.convClamp()));
            mods.put("conv1", conv(c, p, o, b + ".conv1", ch, out, 3, 2, "lrelu", true, c.convClamp()));
            mods.put("skip", conv(c, p, o, b + ".skip", ch, out, 1, 2, "linear", false, null));
            blocks.put(b, module(o.nv, "DiscriminatorBlock", attrs("in_channels", top ? 0 : ch, "resolution", r, "img_channels", c.imgChannels(),
                            "first_layer_idx", layerIdx, "architecture", o.architecture, "use_fp16", false, "channels_last", false, "num_layers", mods.size()),
                    new LinkedHashMap<>(), filterBuffer(o, b + ".resample_filter"), mods,
                    Map.of("resolution", r, "first_layer_idx", layerIdx, "architecture", o.architecture)));
            layerIdx += mods.size();
        }
        int c4 = c.channels(4);
        Map<String, Object> epi = new LinkedHashMap<>();
        epi.put("mbstd", c.mbstdNumChannels() == 0 ? null : module(o.nv, "MinibatchStdLayer",
                attrs("group_size", c.mbstdGroupSize(), "num_channels", c.mbstdNumChannels()), new LinkedHashMap<>(), new LinkedHashMap<>(),
                new LinkedHashMap<>(), attrs("group_size", c.mbstdGroupSize(), "num_channels", c.mbstdNumChannels())));
        epi.put("conv", conv(c, p, o, "b4.conv", c4 + c.mbstdNumChannels(), c4, 3, 1, "lrelu", true, c.convClamp()));
        epi.put("fc", fc(p, o, "b4.fc", c4 * 16, c4, "lrelu"));
        epi.put("out", fc(p, o, "b4.out", c4, 1, "linear"));
        blocks.put("b4", module(o.nv, "DiscriminatorEpilogue", attrs("in_channels", c4, "cmap_dim", 0, "resolution", 4, "img_channels", c.imgChannels(),
                        "architecture", o.architecture), new LinkedHashMap<>(), new LinkedHashMap<>(), epi,
                Map.of("cmap_dim", 0, "resolution", 4, "architecture", o.architecture)));
        List<Object> blockRes = new java.util.ArrayList<>();
        for (int r : c.blockResolutions()) blockRes.add(r);
        Map<String, Object> kwargs = attrs("c_dim", o.cDim, "img_resolution", c.imgResolution(), "img_channels", c.imgChannels());
        if (o.widthKwargs) {
            kwargs.put("channel_base", c.channelBase());
            kwargs.put("channel_max", c.channelMax());
        }
        kwargs.put("num_fp16_res", c.numFp16Res());
        kwargs.put("conv_clamp", c.convClamp() == null ? null : (Object) (int) (double) c.convClamp());
        kwargs.put("epilogue_kwargs", attrs("mbstd_group_size", c.mbstdGroupSize()));
        return module(o.nv, "Discriminator", attrs("c_dim", o.cDim, "img_resolution", c.imgResolution(), "img_resolution_log2", c.resolutionLog2(),
                "img_channels", c.imgChannels(), "block_resolutions", blockRes), new LinkedHashMap<>(), new LinkedHashMap<>(), blocks, kwargs);
    }

    private static Object conv(DiscriminatorConfig c, Map<String, Tensor> p, Opt o, String name, int in, int out, int k, int down, String act,
                               boolean bias, Double clamp) {
        Object cl = name.equals(o.clampLayer) ? o.clampValue : clamp == null ? null : (Object) (int) (double) clamp;
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("weight", MiniCheckpoints.nvTensor(o.nv, name + ".weight", p.get(name + ".weight")));
        if (bias) params.put("bias", MiniCheckpoints.nvTensor(o.nv, name + ".bias", p.get(name + ".bias")));
        Map<String, Object> a = attrs("in_channels", in, "out_channels", out, "activation", act, "up", 1, "down", down, "conv_clamp", cl,
                "padding", k / 2, "weight_gain", numpyF8(o.nv, 1 / Math.sqrt(in * k * k)));
        if (!bias) a.put("bias", null);
        return module(o.nv, "Conv2dLayer", a, params, filterBuffer(o, name + ".resample_filter"), new LinkedHashMap<>(),
                attrs("kernel_size", k, "activation", act, "down", down, "conv_clamp", cl));
    }

    private static Object fc(Map<String, Tensor> p, Opt o, String name, int in, int out, String act) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("weight", MiniCheckpoints.nvTensor(o.nv, name + ".weight", p.get(name + ".weight")));
        params.put("bias", MiniCheckpoints.nvTensor(o.nv, name + ".bias", p.get(name + ".bias")));
        return module(o.nv, "FullyConnectedLayer", attrs("in_features", in, "out_features", out, "activation", act,
                "weight_gain", numpyF8(o.nv, 1 / Math.sqrt(in)), "bias_gain", 1), params, new LinkedHashMap<>(), new LinkedHashMap<>(),
                act.equals("linear") ? Map.of() : Map.of("activation", act));
    }

    private static Map<String, Object> filterBuffer(Opt o, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("resample_filter", MiniCheckpoints.nvTensor(o.nv, name, Tensor.of(o.filter.clone(), 4, 4)));
        return m;
    }
}
