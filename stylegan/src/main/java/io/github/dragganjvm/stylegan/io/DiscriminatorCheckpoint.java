package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A StyleGAN2 discriminator loaded from an NVlabs network pickle ({@code D}): its hyper-parameters and its float32
 * parameters by NVlabs module path without the {@code D.} prefix.
 *
 * <p>{@link #params()} holds exactly the tensors of {@link DiscriminatorConfig#requiredShapes()}, each with exactly
 * that shape (checked on load), in NVlabs order: e.g. {@code b128.fromrgb.weight}, {@code b64.conv0.bias},
 * {@code b8.skip.weight}, {@code b4.conv.weight}, {@code b4.fc.weight}, {@code b4.out.bias}. Values are the stored
 * ones (the runtime gains 1/sqrt(fan_in) are applied by the model, as in NVlabs' code). The file's resample-filter
 * buffers are checked to be NVlabs' {@code setup_filter([1,3,3,1])} and not returned. Tensors are contiguous F32
 * host tensors owned by this object: copy before modifying.
 *
 * @param source the file it came from (absolute)
 * @param config hyper-parameters read from the file
 * @param params parameters by NVlabs name (unmodifiable)
 * @param notes  where the file's records disagreed or had to be completed (e.g. "conv_clamp 256 from the layers;
 *               D's init kwargs do not set it")
 */
public record DiscriminatorCheckpoint(Path source, DiscriminatorConfig config, Map<String, Tensor> params, List<String> notes) {

    public DiscriminatorCheckpoint {
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        notes = List.copyOf(notes);
    }

    /** The tensor of that NVlabs name; fails naming the file and the name when it is absent. */
    public Tensor param(String name) {
        Tensor t = params.get(name);
        if (t == null) throw new IllegalArgumentException(source + ": no discriminator parameter '" + name + "' (have " + params.keySet() + ")");
        return t;
    }
}
