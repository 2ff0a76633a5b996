package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A StyleGAN3 generator (configs T and R) read from an NVlabs network pickle: its hyper-parameters and its float32
 * tensors in NVlabs naming, exactly {@link StyleGan3Config#requiredShapes()} (checked before any data was read).
 * Values are the stored ones (runtime gains are applied by the model); the buffers {@code magnitude_ema},
 * {@code up_filter}, {@code down_filter}, {@code synthesis.input.transform/freqs/phases} are included.
 *
 * @param source the file (absolute)
 * @param config hyper-parameters read from the file
 * @param params tensors by NVlabs name (unmodifiable; contiguous F32 host tensors owned by this object)
 * @param notes  what the loader had to assume (defaults for absent kwargs)
 */
public record StyleGan3Checkpoint(Path source, StyleGan3Config config, Map<String, Tensor> params, List<String> notes) implements GeneratorCheckpoint {
    public StyleGan3Checkpoint {
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        notes = List.copyOf(notes);
    }

    @Override public String architectureName() { return config.convKernel() == 1 && config.useRadialFilters() ? "StyleGAN3-R" : "StyleGAN3-T"; }
}
