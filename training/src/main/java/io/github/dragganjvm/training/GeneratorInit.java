package io.github.dragganjvm.training;

import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The initial parameters of a fresh StyleGAN2 generator, exactly as NVlabs stylegan2-ada-pytorch
 * {@code training/networks.py} initialises them (the stored values; the runtime gains are applied in the forward):
 * <pre>
 *   mapping.fc{i}.weight           N(0, 1) / lr_multiplier        FullyConnectedLayer(lr_multiplier = mapping lr)
 *   mapping.fc{i}.bias             0                              torch.full(bias_init = 0), not divided by the lr
 *   mapping.w_avg                  0                              buffer
 *   synthesis.b4.const             N(0, 1)                        [C, 4, 4]
 *   ...conv{0,1}.weight            N(0, 1)                        [O, I, 3, 3]
 *   ...conv{0,1}.bias              0
 *   ...conv{0,1}.noise_strength    0                              []
 *   ...conv{0,1}.noise_const       N(0, 1)                        buffer [r, r]
 *   ...{conv0,conv1,torgb}.affine.weight  N(0, 1)                 FullyConnectedLayer(w_dim, I, bias_init = 1), lr 1
 *   ...{conv0,conv1,torgb}.affine.bias    1
 *   ...torgb.weight                N(0, 1)                        [img_channels, C, 1, 1]
 *   ...torgb.bias                  0
 * </pre>
 * The normal draws come from our own seeded generator ({@link Tensor#randn}), not torch's stream: each tensor of
 * {@link GeneratorConfig#requiredShapes()} gets its own seed, drawn in that order from {@code SplittableRandom(seed)},
 * so the same seed always gives the same weights. The resample filters are constants of the model, not listed.
 */
public final class GeneratorInit {
    private GeneratorInit() {}

    /**
     * Every tensor of {@code config.requiredShapes()} (NVlabs names, that map's order), initialised as above, as
     * contiguous host tensors of the given dtype (F32 for training, F64 for gradient checks).
     */
    public static Map<String, Tensor> nvlabs(GeneratorConfig config, long seed, DType dtype) {
        SplittableRandom seeds = new SplittableRandom(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : config.requiredShapes().entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            long s = seeds.nextLong();                     // drawn for every name, so each name keeps its seed
            Tensor t;
            if (name.endsWith(".affine.bias")) {
                t = Tensor.full(dtype, 1, shape);
            } else if (name.endsWith(".bias") || name.endsWith(".noise_strength") || name.equals("mapping.w_avg")) {
                t = Tensor.zeros(dtype, shape);
            } else if (name.startsWith("mapping.fc")) {   // mapping weights: randn / lr_multiplier
                t = Ops.scale(Tensor.randn(dtype, s, shape), 1 / config.mappingLrMultiplier());
            } else {                                       // weights, affine weights, const, noise_const
                t = Tensor.randn(dtype, s, shape);
            }
            out.put(name, t);
        }
        return out;
    }
}
