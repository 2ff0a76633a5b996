/**
 * Loading StyleGAN2 and StyleGAN3 checkpoints without Python, safely.
 *
 * <p>{@link io.github.dragganjvm.stylegan.io.Checkpoints#load(java.nio.file.Path)} reads an NVlabs network pickle ({@code .pkl};
 * its {@code G_ema}), a classic TensorFlow StyleGAN2 pickle ({@code .pkl} of NVlabs/stylegan2 or StyleGAN2-ADA TF; its
 * {@code Gs}, converted as the reference's {@code legacy.py} does) or a rosinality stylegan2-pytorch {@code .pt}
 * (torch.save, zip or legacy format; converted to NVlabs naming) and returns a {@link io.github.dragganjvm.stylegan.io.Checkpoint}: the {@link io.github.dragganjvm.stylegan.io.GeneratorConfig}
 * read from the file and the float32 parameters by NVlabs name. StyleGAN-Human's rectangular generators (as a full
 * network pickle or a {@code {'G_ema': ...}}-only pickle) load the same way: their layout is inferred from the shape
 * of {@code synthesis.b4.const} ([C, 4, 2]: {@link io.github.dragganjvm.stylegan.io.GeneratorConfig.Aspect#HALF_WIDTH}), never from
 * the file name.
 * {@link io.github.dragganjvm.stylegan.io.Checkpoints#loadDiscriminator(java.nio.file.Path)} reads the discriminator {@code D} of
 * an NVlabs training snapshot into a {@link io.github.dragganjvm.stylegan.io.DiscriminatorCheckpoint}
 * ({@link io.github.dragganjvm.stylegan.io.DiscriminatorConfig} and parameters by NVlabs name without the {@code D.} prefix).
 *
 * <p>{@link io.github.dragganjvm.stylegan.io.Checkpoints#loadModel(java.nio.file.Path)} reads every generator the loader knows,
 * the kind told from the content: the StyleGAN2 checkpoints above, or a StyleGAN3 generator (configs T and R) in an
 * NVlabs network pickle (its {@code G_ema}'s synthesis has a {@code SynthesisInput}), returned as a
 * {@link io.github.dragganjvm.stylegan.io.StyleGan3Checkpoint} ({@link io.github.dragganjvm.stylegan.io.StyleGan3Config}, whose layer schedule is
 * checked against every stored layer's attributes, and the float32 tensors); {@code Checkpoints.load} refuses those.
 *
 * <p>A pickle is a program: unpickling runs whatever callables it names. The unpickler here builds only an explicit
 * allow-list of inert data types (dicts, tensors, storages, numpy scalars and arrays, the persistence wrapper, TF
 * Network state dicts; the stored Python source of persistent classes and TF networks is never run) and refuses any other global, naming it and the file, before
 * anything is called. Every size a file claims is checked before memory is allocated; malformed files end in a
 * {@link io.github.dragganjvm.stylegan.io.CheckpointException} that names the file and says what was wrong. What a hostile file
 * can make the loader do is bounded by the file's size: the work of the unpickler (elements copied, bytes encoded)
 * by a budget proportional to it; tensor names and shapes are checked against the hyper-parameters, and every
 * tensor's layout against its storage (no stride 0 or overlapping strides, no two tensors on the same bytes), before
 * any tensor is read; submodules are walked once each (shared or cyclic ones refused); weights must be finite and
 * below 2^64 in magnitude; a zip with duplicate entry names is refused.
 *
 * <p>The project's own format is safetensors ({@link io.github.dragganjvm.stylegan.io.SafeTensors}: a validated reader and an
 * atomic, deterministic writer of the Hugging Face format). A generator checkpoint in it follows
 * {@link io.github.dragganjvm.stylegan.io.GeneratorSafetensors} ({@code G_ema.*} tensors, the config in the metadata) and is written
 * by {@link io.github.dragganjvm.stylegan.io.Checkpoints#saveSafetensors}; {@code Checkpoints.load} recognises it by content.
 *
 * <p>Converted weights are cached per file, keyed by the SHA-256 of its content ({@link io.github.dragganjvm.stylegan.io.WeightCache};
 * {@code -Ddraggan.cache=DIR|off});
 * safetensors files are read directly, without the cache.
 */
package io.github.dragganjvm.stylegan.io;
