package io.github.dragganjvm.stylegan.io;

import java.nio.file.Path;
import java.util.List;

/**
 * A generator checkpoint of any architecture {@link Checkpoints#loadModel} reads: a StyleGAN2 {@link Checkpoint} or
 * a {@link StyleGan3Checkpoint}. Which one is decided from the file's content, never its name.
 */
public sealed interface GeneratorCheckpoint permits Checkpoint, StyleGan3Checkpoint {
    /** The file it came from (absolute); null for bytes read from memory. */
    Path source();

    /** What the loader had to infer or estimate. */
    List<String> notes();

    /** A one-word description of the architecture for messages: "StyleGAN2" or "StyleGAN3-T" / "StyleGAN3-R". */
    String architectureName();
}
