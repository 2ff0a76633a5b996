package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Built-in StyleGAN2 generators with seeded random weights, so every program runs on a fresh clone with no files.
 * The weights follow NVlabs' initialisation (weights N(0, 1) with the mapping's divided by its lr multiplier,
 * biases 0, affine biases 1, const and noise buffers N(0, 1), noise strengths 0); w_avg is the mean mapping output
 * of 1,000 random z, as the training-time moving average would estimate it. Their images are smooth colour fields,
 * not pictures: they exist to exercise the code at real sizes.
 */
public final class RandomModels {
    private RandomModels() {}

    /** The channel base of a real checkpoint at this resolution: 16384 ("paper256") up to 256 px, 32768 ("config-f") above. */
    public static int defaultChannelBase(int resolution) { return resolution <= 256 ? 16384 : 32768; }

    /** The configuration of a built-in model. */
    public static GeneratorConfig config(int resolution, int channelBase) {
        return new GeneratorConfig(512, 512, 0, resolution, 3, 8, 0.01, channelBase, 512, null, 0, "skip");
    }

    /**
     * A generator whose every parameter is N(0, 1), each drawn with the next seed from {@code seed} in the order of
     * {@link GeneratorConfig#requiredShapes()} (mapping weights divided by the lr multiplier, as checkpoints store
     * them), except the noise strengths, all {@code noiseStrength}: for tests whose noise must show (the built-in
     * models' strengths are 0, as NVlabs' initialisation). It draws nothing recognisable.
     */
    public static Generator gaussian(GeneratorConfig cfg, long seed, double noiseStrength) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        long s = seed;
        for (Map.Entry<String, int[]> e : cfg.requiredShapes().entrySet()) {
            String name = e.getKey();
            Tensor t = Tensor.randn(DType.F32, s++, e.getValue());
            if (name.endsWith("noise_strength")) t = Tensor.full(DType.F32, noiseStrength, e.getValue());
            else if (name.startsWith("mapping.fc")) t = Ops.scale(t, 1 / cfg.mappingLrMultiplier());
            p.put(name, t);
        }
        return new Generator(cfg, p);
    }

    /** A seeded random generator. */
    public static Generator create(int resolution, int channelBase, long seed) {
        GeneratorConfig cfg = config(resolution, channelBase);
        Map<String, Tensor> p = new LinkedHashMap<>();
        long[] s = {seed * 7919 + 1};
        for (Map.Entry<String, int[]> e : cfg.requiredShapes().entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            Tensor t;
            if (name.endsWith(".bias") && name.contains(".affine.")) t = Tensor.full(DType.F32, 1, shape);
            else if (name.endsWith(".bias") || name.endsWith("noise_strength") || name.equals("mapping.w_avg")) t = Tensor.zeros(DType.F32, shape);
            else {
                t = Tensor.randn(DType.F32, s[0]++, shape);
                if (name.startsWith("mapping.fc")) t = Ops.scale(t, 1 / cfg.mappingLrMultiplier());
            }
            p.put(name, t);
        }
        // w_avg: the mean of w over 1,000 random z
        Generator g0 = new Generator(cfg, p);
        Tensor z = Tensor.randn(DType.F32, s[0]++, 1000, cfg.zDim());
        Tensor w = g0.mapping(z, 1, -1).selectView(1, 0);                     // [1000, w_dim]
        p.put("mapping.w_avg", Ops.mean(w, false, 0).toHost());
        return new Generator(cfg, p);
    }
}
