package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Loads StyleGAN2 generator checkpoints without Python: NVlabs network pickles ({@code .pkl}: stylegan2-ada-pytorch,
 * stylegan3, DragGAN's downloads; G_ema is taken), classic TensorFlow StyleGAN2 pickles ({@code .pkl} of NVlabs/stylegan2
 * and StyleGAN2-ADA TF, e.g. {@code stylegan2-car-config-f.pkl}; Gs is taken and converted as the reference's
 * {@code legacy.py} does, see {@link TfGeneratorConverter}), rosinality stylegan2-pytorch {@code .pt} files (torch.save,
 * zip or legacy format; converted to NVlabs naming) and the project's own safetensors checkpoints (the convention of
 * {@link GeneratorSafetensors}: {@code G_ema.*} tensors in NVlabs naming plus the config in the metadata; written by
 * {@link #saveSafetensors}). The format is recognised from the content, not the name.
 *
 * <p>Safe by construction: pickles are run by {@link SafeUnpickler}, which builds only allow-listed, inert data and
 * refuses anything else before it is called; safetensors headers are validated completely ({@link SafeTensors});
 * every size a file claims is checked before memory is allocated.
 *
 * <p>Converted weights are cached ({@link WeightCache}, keyed by the SHA-256 of the file's content): the second load
 * of a file is a hash of it and a single read of a binary file.
 *
 * <p>{@link #loadDiscriminator} reads the discriminator {@code D} of an NVlabs training snapshot the same way.
 *
 * <p>Safetensors files already are raw tensors and bypass the cache (it is neither read nor written for them).
 */
public final class Checkpoints {
    private Checkpoints() {}

    /**
     * Loads a checkpoint, using the default cache ({@link WeightCache#fromSystemProperties()}).
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws CheckpointException when it is not a checkpoint this loader reads (malformed, truncated, another kind of
     *         model, or a pickle naming a global outside the allow-list); the message names the file and the problem
     */
    public static Checkpoint load(Path file) throws IOException {
        return load(file, WeightCache.fromSystemProperties());
    }

    /** Loads a checkpoint, using the given cache (null: no cache). */
    public static Checkpoint load(Path file, WeightCache cache) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.exists(abs)) throw new NoSuchFileException(abs.toString(), null, "checkpoint file not found");
        if (!Files.isRegularFile(abs)) throw new CheckpointException(abs + ": not a regular file");
        if (cache == null || isSafeTensors(abs)) return read(abs);
        WeightCache.Key key = WeightCache.keyOf(abs);
        Checkpoint hit = cache.lookup(abs, key);
        if (hit != null) return hit;
        Checkpoint c = read(abs);
        // store only what was converted from the bytes the key describes (the file may change while it is read)
        if (WeightCache.keyOf(abs).equals(key)) cache.store(key, c);
        return c;
    }

    /**
     * Reads the project's own safetensors generator checkpoint ({@link GeneratorSafetensors}) from bytes in memory, as
     * a built-in model shipped inside a jar is read ({@link BuiltinModels}). The same checks as {@link #load} apply;
     * the result's {@link Checkpoint#source()} is null (there is no file).
     *
     * @param name  what the bytes are, for messages (e.g. the resource path)
     * @param bytes the whole safetensors file
     * @throws CheckpointException when the bytes are not a valid generator checkpoint of that convention
     */
    public static Checkpoint loadSafetensors(String name, byte[] bytes) throws IOException {
        try (ByteSource src = ByteSource.of(name, bytes)) {
            if (bytes.length < 9 || !SafeTensors.looksLikeSafeTensors(java.util.Arrays.copyOf(bytes, 9))) {
                throw new CheckpointException(name + ": not a safetensors file (expected an 8-byte header length and '{')");
            }
            NvlabsNetwork.Result r = GeneratorSafetensors.read(src);
            validate(r.config(), r.params(), name, true);
            return new Checkpoint(null, Checkpoint.Format.SAFETENSORS, r.config(), r.params(), r.notes(), false);
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CheckpointException(name + ": internal error while reading the checkpoint: " + e, e);
        }
    }

    /** Loads a checkpoint without looking at or writing any cache. */
    public static Checkpoint loadUncached(Path file) throws IOException { return load(file, null); }

    /**
     * Reads one generator of an NVlabs network pickle by its key: {@code "G"} (the trained generator, which training
     * resumes from) or {@code "G_ema"} (what {@link #load} takes). A classic TensorFlow pickle's tuple (G, D, Gs) is
     * read the same way: "G" is its G, "G_ema" its Gs. No cache is used; the same safety checks and
     * hyper-parameter reading as {@link #load} apply, and the tensors are validated against the config.
     *
     * @param file an NVlabs {@code .pkl} (a dict with {@code G}, {@code D}, {@code G_ema}, ...)
     * @param key  the dict key of the generator to read
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws CheckpointException when the file is not an NVlabs network pickle, has no such key, or the generator
     *         under it is not one this loader reads; the message names the file and the problem
     */
    public static Checkpoint loadNetwork(Path file, String key) throws IOException {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("loadNetwork: key must name a generator of the pickle (G or G_ema) but is '" + key + "'");
        return readNetworkPickle(file, "the checkpoint", (abs, name, src) -> {
            if (src.size() < 1 || (src.readBytes(0, 1)[0] & 0xff) != 0x80) {
                throw new CheckpointException(name + ": not a pickle (expected an NVlabs network pickle starting with byte 0x80)");
            }
            Object top = new SafeUnpickler(name, AllowList.networkPickle(), null).loadFrom(new BoundedInput(src, 0));
            boolean tf = TfNetworkStub.isTfPickle(top);
            NvlabsNetwork.Result r = tf ? TfGeneratorConverter.read(name, top, key) : NvlabsNetwork.read(name, top, key);
            validate(r.config(), r.params(), name, true);
            return new Checkpoint(abs, tf ? Checkpoint.Format.TENSORFLOW_PICKLE : Checkpoint.Format.NVLABS_PICKLE, r.config(), r.params(), r.notes(), false);
        });
    }

    /** Reads one network out of a pickle file: existence checks, the source, and one-line errors for any failure. */
    private static <T> T readNetworkPickle(Path file, String what, PickleReader<T> reader) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.exists(abs)) throw new NoSuchFileException(abs.toString(), null, "checkpoint file not found");
        if (!Files.isRegularFile(abs)) throw new CheckpointException(abs + ": not a regular file");
        String name = abs.toString();
        try (ByteSource src = ByteSource.open(abs)) {
            return reader.read(abs, name, src);
        } catch (CheckpointException | NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(name + ": I/O error: " + e, e);
        } catch (RuntimeException e) {
            throw new CheckpointException(name + ": internal error while reading " + what + ": " + e, e);
        }
    }

    @FunctionalInterface
    private interface PickleReader<T> {
        T read(Path abs, String name, ByteSource src) throws IOException;
    }

    /**
     * Loads the discriminator {@code D} of an NVlabs network pickle (a training snapshot: G, D, G_ema), with the same
     * safe unpickler as {@link #load}; no cache. Parameters are named by NVlabs module path without the {@code D.}
     * prefix and checked against the hyper-parameters read from the file (see {@link DiscriminatorCheckpoint}).
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws CheckpointException when it is not an NVlabs pickle with a discriminator this port runs (a rosinality
     *         .pt, a generator-only pickle, a conditional or non-resnet D, wrong shapes, a global outside the allow-list)
     */
    public static DiscriminatorCheckpoint loadDiscriminator(Path file) throws IOException {
        return readNetworkPickle(file, "the discriminator", (abs, name, src) -> {
            long size = src.size();
            if (size < 4) throw new CheckpointException(name + ": " + size + " bytes is too short for a checkpoint");
            byte[] head = src.readBytes(0, 4);
            if (head[0] == 'P' && head[1] == 'K') {
                throw new CheckpointException(name + ": a torch.save zip (rosinality .pt); loadDiscriminator reads NVlabs network pickles only");
            }
            if ((head[0] & 0xff) != 0x80) {
                throw new CheckpointException(name + ": not a pickle: it starts with bytes " + hex(head) + " (expected 0x80)");
            }
            Object first = new SafeUnpickler(name, AllowList.networkPickle(), null).loadFrom(new BoundedInput(src, 0));
            if (LegacyTorchFormat.MAGIC.equals(first)) {
                throw new CheckpointException(name + ": a legacy torch.save file (rosinality .pt); loadDiscriminator reads NVlabs network pickles only");
            }
            if (TfNetworkStub.isTfPickle(first)) {
                throw new CheckpointException(name + ": a TensorFlow StyleGAN2 pickle; its discriminator is not converted (loadDiscriminator reads NVlabs network pickles only)");
            }
            NvlabsDiscriminator.Result r = NvlabsDiscriminator.read(name, first);
            return new DiscriminatorCheckpoint(abs, r.config(), r.params(), r.notes());
        });
    }

    /**
     * Saves a generator as the project's own safetensors checkpoint (convention: {@link GeneratorSafetensors}), which
     * {@link #load} reads back with the same config and bit-identical weights. Deterministic and atomic (see
     * {@link SafeTensors#write}: a previous file is intact unless the new one is complete).
     *
     * @param file          the file to write (replaced if it exists; any name: the format is recognised by content)
     * @param config        the generator's hyper-parameters (c_dim 0, architecture "skip"); stored as the metadata
     *                      {@value GeneratorSafetensors#CONFIG_KEY}
     * @param gEma          the inference generator's tensors by NVlabs name without prefix (as in
     *                      {@link Checkpoint#params()}): exactly {@link GeneratorConfig#requiredShapes()} with those
     *                      shapes, optionally the [4, 4] resample filters, nothing else; F32 (or F64); finite and |w| &lt; 2^64; stored
     *                      as {@code G_ema.<name>}
     * @param extraTensors  further tensors stored as they are, their names carrying their own prefix ({@code G.},
     *                      {@code D.}, {@code opt.}, ...; not {@code G_ema.}); F32 or F64, finite; ignored by
     *                      {@link #load}
     * @param extraMetadata further metadata (not the keys format, format_version, G_ema.config)
     * @throws IllegalArgumentException when a tensor is missing, misshapen, unknown, non-finite, |w| >= 2^64 or a name is reserved
     *         (the message lists the problems); nothing is written
     */
    public static void saveSafetensors(Path file, GeneratorConfig config, Map<String, Tensor> gEma, Map<String, Tensor> extraTensors,
                                       Map<String, String> extraMetadata) throws IOException {
        GeneratorSafetensors.write(file, config, gEma, extraTensors, extraMetadata);
    }

    /** Saves a loaded checkpoint's generator as a safetensors checkpoint (no extra tensors or metadata); see above. */
    public static void saveSafetensors(Path file, Checkpoint checkpoint) throws IOException {
        saveSafetensors(file, checkpoint.config(), checkpoint.params(), Map.of(), Map.of());
    }

    /** Whether the file's content starts like a safetensors file (see {@link SafeTensors#looksLikeSafeTensors}). */
    static boolean isSafeTensors(Path abs) throws IOException {
        try (ByteSource src = ByteSource.open(abs)) {
            long size = src.size();
            return size >= 9 && SafeTensors.looksLikeSafeTensors(src.readBytes(0, 9));
        }
    }

    /**
     * Loads a generator checkpoint of any supported architecture, told from the content: a StyleGAN2 checkpoint in
     * every format {@link #load} reads (returned as a {@link Checkpoint}, through the same cache), or a StyleGAN3
     * generator (configs T and R) in an NVlabs network pickle (a {@link StyleGan3Checkpoint}; not cached: its tensors
     * are read straight from the pickle). The same safety as {@link #load}: an allow-listed unpickler, every shape
     * checked against the hyper-parameters before data is read.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws CheckpointException when it is not a generator checkpoint this loader reads (the message names the file)
     */
    public static GeneratorCheckpoint loadModel(Path file) throws IOException {
        WeightCache cache = WeightCache.fromSystemProperties();
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.exists(abs)) throw new NoSuchFileException(abs.toString(), null, "checkpoint file not found");
        if (!Files.isRegularFile(abs)) throw new CheckpointException(abs + ": not a regular file");
        if (cache == null || isSafeTensors(abs)) return readAny(abs);
        WeightCache.Key key = WeightCache.keyOf(abs);
        Checkpoint hit = cache.lookup(abs, key);
        if (hit != null) return hit;
        GeneratorCheckpoint c = readAny(abs);
        if (c instanceof Checkpoint sg2 && WeightCache.keyOf(abs).equals(key)) cache.store(key, sg2);
        return c;
    }

    /** Reads and converts a StyleGAN2 checkpoint file (no cache); a StyleGAN3 pickle is refused, naming {@link #loadModel}. */
    static Checkpoint read(Path abs) throws IOException {
        return stylegan2(abs, readAny(abs));
    }

    /** {@link #readModel} for StyleGAN2 checkpoints only. */
    static Checkpoint read(Path abs, ByteSource src) throws IOException {
        return stylegan2(abs, readModel(abs, src));
    }

    private static Checkpoint stylegan2(Path abs, GeneratorCheckpoint c) throws CheckpointException {
        if (c instanceof Checkpoint sg2) return sg2;
        throw new CheckpointException(abs + ": G_ema is a StyleGAN3 (alias-free) generator (" + c.architectureName()
                + "); Checkpoints.load reads StyleGAN2 generators only: load it with Checkpoints.loadModel");
    }

    private static GeneratorCheckpoint readAny(Path abs) throws IOException {
        try (ByteSource src = ByteSource.open(abs)) {
            return readModel(abs, src);
        } catch (CheckpointException | NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(abs + ": I/O error: " + e, e);
        }
    }

    /**
     * Reads a checkpoint whose bytes are src (a zip is opened from abs, which must hold the same bytes): a StyleGAN2
     * {@link Checkpoint} or a {@link StyleGan3Checkpoint}.
     */
    static GeneratorCheckpoint readModel(Path abs, ByteSource src) throws IOException {
        String name = abs.toString();
        try {
            long size = src.size();
            if (size < 4) throw new CheckpointException(name + ": " + size + " bytes is too short for a checkpoint");
            byte[] head = src.readBytes(0, (int) Math.min(size, 9));
            Checkpoint.Format format;
            NvlabsNetwork.Result r;
            if (SafeTensors.looksLikeSafeTensors(head)) {
                format = Checkpoint.Format.SAFETENSORS;
                r = GeneratorSafetensors.read(src);
            } else if (head[0] == 'P' && head[1] == 'K' && (head[2] == 3 && head[3] == 4 || head[2] == 5 && head[3] == 6)) {
                format = Checkpoint.Format.ROSINALITY_TORCH_ZIP;
                try (ZipFile zip = new ZipFile(abs.toFile())) {
                    r = RosinalityConverter.convert(name, TorchZipFormat.read(zip, name, size));
                } catch (ZipException e) {
                    throw new CheckpointException(name + ": not a readable zip (torch.save) file: " + e.getMessage(), e);
                }
            } else if ((head[0] & 0xff) == 0x80) {
                BoundedInput in = new BoundedInput(src, 0);
                SafeUnpickler unpickler = new SafeUnpickler(name, AllowList.networkPickle(), null);
                Object first = unpickler.loadFrom(in);
                if (LegacyTorchFormat.MAGIC.equals(first)) {
                    format = Checkpoint.Format.ROSINALITY_TORCH_LEGACY;
                    r = RosinalityConverter.convert(name, LegacyTorchFormat.readAfterMagic(in, AllowList.torchSave(), unpickler.budget()));
                } else if (TfNetworkStub.isTfPickle(first)) {
                    format = Checkpoint.Format.TENSORFLOW_PICKLE;
                    r = TfGeneratorConverter.read(name, first, "G_ema");
                } else if (StyleGan3Network.isStyleGan3(first)) {
                    return StyleGan3Network.read(abs, name, first);
                } else {
                    format = Checkpoint.Format.NVLABS_PICKLE;
                    r = NvlabsNetwork.read(name, first);
                }
            } else {
                throw new CheckpointException(name + ": not a checkpoint: it starts with bytes " + hex(Arrays.copyOf(head, 4))
                        + " (expected a pickle, 0x80, a torch.save zip, 'PK', or a safetensors header length and '{')");
            }
            validate(r.config(), r.params(), name, true);
            return new Checkpoint(abs, format, r.config(), r.params(), r.notes(), false);
        } catch (CheckpointException | NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(name + ": I/O error: " + e, e);
        } catch (RuntimeException e) {
            throw new CheckpointException(name + ": internal error while reading the checkpoint: " + e, e);
        }
    }

    /**
     * Checks that params hold every tensor the config needs with the right shape (and, when withWAvg is false, all
     * but mapping.w_avg), listing every problem found.
     */
    static void validate(GeneratorConfig config, Map<String, Tensor> params, String file, boolean withWAvg) throws CheckpointException {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) shapes.put(e.getKey(), e.getValue().shape());
        validateShapes(config, shapes, file, withWAvg, false);
    }

    /**
     * The same check on shapes alone (before any tensor is read). With onlyKnown, a name that is neither required
     * nor a {@code resample_filter} buffer is a problem too (the file holds tensors this generator does not have).
     */
    static void validateShapes(GeneratorConfig config, Map<String, int[]> shapes, String file, boolean withWAvg, boolean onlyKnown) throws CheckpointException {
        if (2L * config.mappingLayers() > shapes.size()) {   // before listing the required tensors of an absurd config
            throw new CheckpointException(file + ": the generator's tensors do not match its hyper-parameters " + config + ": "
                    + config.mappingLayers() + " mapping layers need " + 2L * config.mappingLayers() + " tensors, the file has " + shapes.size() + " in all");
        }
        List<String> problems = new ArrayList<>();
        int[] more = {0};
        java.util.function.Consumer<String> problem = p -> {
            if (problems.size() < 8) problems.add(p);
            else more[0]++;
        };
        Map<String, int[]> required = config.requiredShapes();
        for (Map.Entry<String, int[]> e : required.entrySet()) {
            if (!withWAvg && e.getKey().equals("mapping.w_avg")) continue;
            int[] t = shapes.get(e.getKey());
            if (t == null) problem.accept(e.getKey() + " is missing");
            else if (!Arrays.equals(t, e.getValue())) {
                problem.accept(e.getKey() + " has shape " + Arrays.toString(t) + ", expected " + Arrays.toString(e.getValue()));
            }
        }
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            if (e.getKey().endsWith("resample_filter")) {
                if (e.getValue().length != 2) problem.accept(e.getKey() + " has shape " + Arrays.toString(e.getValue()) + ", expected a 2-D filter");
            } else if (onlyKnown && !required.containsKey(e.getKey())) {
                problem.accept(e.getKey() + " is not a tensor of this generator");
            }
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(file + ": the generator's tensors do not match its hyper-parameters " + config + ": "
                    + String.join("; ", problems) + (more[0] > 0 ? "; and " + more[0] + " more" : ""));
        }
    }

    /**
     * channel_base and channel_max such that min(base / r, max) (integer division) gives each block's channels.
     * When no block is capped, max is taken as 512 (both ports' default) or the widest block if wider; base is
     * the smallest value that fits.
     */
    static int[] inferChannels(int[] resolutions, int[] channels, String file) throws CheckpointException {
        int widest = 0;
        for (int c : channels) widest = Math.max(widest, c);
        int last = resolutions.length - 1;
        int base, max;
        if (channels[last] == widest) {
            // every block has the same width: all capped (or the last exactly at base / res)
            base = widest * resolutions[last];
            max = widest;
        } else {
            // the last block is not capped, so it fixes base
            base = channels[last] * resolutions[last];
            boolean anyCapped = false;
            for (int i = 0; i < resolutions.length; i++) if (base / resolutions[i] > channels[i]) anyCapped = true;
            max = anyCapped ? widest : Math.max(512, widest);
        }
        for (int i = 0; i < resolutions.length; i++) {
            if (channels[i] <= 0 || Math.min(base / resolutions[i], max) != channels[i]) {
                throw new CheckpointException(file + ": block channels " + Arrays.toString(channels) + " at resolutions " + Arrays.toString(resolutions)
                        + " do not follow min(channel_base / res, channel_max)");
            }
        }
        return new int[] {base, max};
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x ", x & 0xff));
        return sb.toString().trim();
    }
}
