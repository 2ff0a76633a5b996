package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A StyleGAN2 generator loaded from a checkpoint: its hyper-parameters and its float32 weights in NVlabs naming.
 *
 * <p>{@link #params()} always holds every tensor of {@link GeneratorConfig#requiredShapes()} with exactly that shape
 * (checked on load): {@code mapping.fc{i}.weight [w_dim, in]}, {@code mapping.fc{i}.bias [w_dim]},
 * {@code mapping.w_avg [w_dim]}, {@code synthesis.b4.const [C, 4, 4]},
 * {@code synthesis.b{r}.conv0/conv1.{weight [O, I, 3, 3], bias [O], affine.weight [I, w_dim], affine.bias [I],
 * noise_strength [], noise_const [r, r]}} (b4 has conv1 only) and
 * {@code synthesis.b{r}.torgb.{weight [img_channels, C, 1, 1], bias [img_channels], affine.weight [C, w_dim],
 * affine.bias [C]}}. Values are the stored ones (runtime gains such as lr/sqrt(fan_in) are applied by the model, as
 * in NVlabs' code). Optional buffers: {@code synthesis.b{r}.resample_filter} (r >= 8, the FIR of the skip
 * up-sampling) and {@code synthesis.b{r}.conv0.resample_filter}, both [4, 4], normalised to sum 1 (NVlabs'
 * {@code setup_filter([1,3,3,1])}); a .pkl also carries the unused b4 and conv1 ones. The tensors are contiguous F32
 * host tensors owned by this object: copy before modifying.
 *
 * @param source    the file it came from (absolute); null for a checkpoint read from memory (a built-in model)
 * @param format    the file's format
 * @param config    hyper-parameters read from the file
 * @param params    parameters and buffers by NVlabs name, in NVlabs module order (unmodifiable map)
 * @param notes     what the loader had to infer or estimate (empty for a complete NVlabs pickle)
 * @param fromCache true when the weights came from the converted-weights cache
 */
public record Checkpoint(Path source, Format format, GeneratorConfig config, Map<String, Tensor> params, List<String> notes, boolean fromCache)
        implements GeneratorCheckpoint {

    /** The kinds of file this loader reads. */
    public enum Format {
        /** NVlabs network pickle (stylegan2-ada-pytorch, stylegan3 repo's StyleGAN2, DragGAN); G_ema is used. */
        NVLABS_PICKLE,
        /** rosinality stylegan2-pytorch checkpoint, torch.save zip format (torch >= 1.6). */
        ROSINALITY_TORCH_ZIP,
        /** rosinality stylegan2-pytorch checkpoint, legacy torch.save format. */
        ROSINALITY_TORCH_LEGACY,
        /** The project's own safetensors checkpoint ({@link GeneratorSafetensors}: G_ema tensors and config). */
        SAFETENSORS,
        /**
         * Classic TensorFlow StyleGAN2 pickle (NVlabs/stylegan2, StyleGAN2-ADA TF: e.g. stylegan2-car-config-f.pkl),
         * converted at load time as the reference's legacy.py does; Gs is used.
         */
        TENSORFLOW_PICKLE
    }

    public Checkpoint {
        params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
        notes = List.copyOf(notes);
    }

    @Override public String architectureName() { return "StyleGAN2"; }

    /** The tensor of that NVlabs name; fails naming the file and the name when it is absent. */
    public Tensor param(String name) {
        Tensor t = params.get(name);
        if (t == null) throw new IllegalArgumentException(source + ": no parameter '" + name + "' (have " + params.size() + " tensors)");
        return t;
    }

    /** Same tensor names, shapes and bit-identical values (sources, formats, notes and cache flags are not compared). */
    public boolean sameWeights(Checkpoint o) {
        if (!config.equals(o.config) || !params.keySet().equals(o.params.keySet())) return false;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor a = e.getValue(), b = o.params.get(e.getKey());
            if (!Arrays.equals(a.shape(), b.shape()) || !Arrays.equals(a.toFloatArray(), b.toFloatArray())) return false;
        }
        return true;
    }
}
