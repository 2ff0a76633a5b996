package io.github.dragganjvm.app;

import io.github.dragganjvm.drag.SessionFile;
import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.stylegan.io.BuiltinModels;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.stylegan.io.GeneratorCheckpoint;
import io.github.dragganjvm.stylegan.io.StyleGan3Checkpoint;
import io.github.dragganjvm.stylegan.sg3.StyleGan3Generator;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Resolves the --model argument of every program: a checkpoint file or a built-in random model. */
final class Models {
    private Models() {}

    /** The --model option's metavar and help, shared by every program. */
    static final String METAVAR = "FILE|builtin:NAME|random:RES[:CBASE]";
    static final String HELP = "checkpoint: NVlabs .pkl (StyleGAN2, StyleGAN3, StyleGAN-Human; also TensorFlow StyleGAN2 pickles), rosinality .pt or our .safetensors (./draggan train writes them), recognised by content;"
            + " builtin:" + BuiltinModels.TOY_FACES_64 + " (the default: a 64 px StyleGAN2 this project trained on procedural cartoon faces);"
            + " or random:RES[:CBASE], a generator with seeded random weights (RES 64..1024, channel base CBASE; colour fields)";

    /** The --input-transform option (generate, drag, edit): its metavar and help. */
    static final String TRANSFORM_OPTION = "input-transform", TRANSFORM_METAVAR = "identity|stored",
            TRANSFORM_HELP = "StyleGAN3 models only: the Fourier input's transform, identity (the default, as DragGAN and NVlabs' gen_images.py)"
                    + " or the checkpoint's stored one";

    /** The prefix of a built-in model's spec. */
    static final String BUILTIN = "builtin:";

    /** The default when --model is absent: the shipped toy-faces model. */
    static final String DEFAULT = BUILTIN + BuiltinModels.TOY_FACES_64;

    /** A loaded model, its description and (lazily hashed) identity for session files. */
    static final class Loaded {
        private final DragGenerator generator;
        private final String description;
        private final String source;
        private final Path file;
        private final String sha256;             // the identity of a model without a file (built-in), else null
        private SessionFile.ModelRef ref;

        /** file: the checkpoint (hashed on first use), or null with sha256 the built-in model's identity. */
        Loaded(DragGenerator generator, String description, String source, Path file, String sha256) {
            this.generator = generator;
            this.description = description;
            this.source = source;
            this.file = file;
            this.sha256 = sha256;
        }

        DragGenerator generator() { return generator; }

        /**
         * The StyleGAN2 generator, for the programs that run only on StyleGAN2 (quality, drag-eval); a StyleGAN3 model is
         * refused in one line naming the program.
         */
        Generator stylegan2(String program) {
            if (generator instanceof Generator g) return g;
            throw new UsageException("--model " + source + " is a " + generator.architecture() + " generator; " + program + " runs on StyleGAN2 models only");
        }

        /**
         * The Adam learning rate drags on this model start with when none is given: the reference tool's 0.001 for
         * checkpoints; the built-in toy model's own ({@link BuiltinModels#dragLr}), measured on it.
         */
        double dragLr() {
            return source.startsWith(BUILTIN) ? BuiltinModels.dragLr(source.substring(BUILTIN.length())) : io.github.dragganjvm.drag.DragConfig.reference().lr();
        }
        String description() { return description; }

        /** What --model named: an absolute file path, builtin:NAME or the random:... spec. */
        String source() { return source; }

        /**
         * The model's identity: the source and a SHA-256: of the file for checkpoints (computed on first use), of the
         * shipped file for {@code builtin:NAME}, of the canonical spec {@code random:RES:CBASE} (UTF-8) for random ones.
         */
        synchronized SessionFile.ModelRef ref() {
            if (ref == null) ref = new SessionFile.ModelRef(source, file == null ? sha256 : sha256(file), generator.resolution(),
                    SessionFile.inputTransformOf(generator));
            return ref;
        }
    }

    /** Loads spec (null: the default built-in model, announced in one line on out). */
    static Loaded load(String spec, PrintStream out) throws IOException { return load(spec, out, null); }

    /**
     * Loads spec with a --input-transform value (null: not given, the identity for StyleGAN3 models); a value given
     * for a StyleGAN2 model is refused in one line.
     */
    static Loaded load(String spec, PrintStream out, String inputTransform) throws IOException {
        StyleGan3Generator.InputTransform transform;
        try {
            transform = inputTransform == null ? StyleGan3Generator.InputTransform.IDENTITY : StyleGan3Generator.InputTransform.parse(inputTransform);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + TRANSFORM_OPTION + " must be identity or stored but is '" + inputTransform + "'");
        }
        Loaded m = loadSpec(spec, out, transform);
        if (inputTransform != null && !(m.generator instanceof StyleGan3Generator)) {
            throw new UsageException("--" + TRANSFORM_OPTION + " applies to StyleGAN3 models only; " + m.description() + " is a " + m.generator.architecture() + " generator");
        }
        return m;
    }

    private static Loaded loadSpec(String spec, PrintStream out, StyleGan3Generator.InputTransform transform) throws IOException {
        if (spec == null) {
            out.println("no --model given: using " + DEFAULT + " (a 64 px StyleGAN2 trained on cartoon faces; pass --model FILE.pkl for your own)");
            spec = DEFAULT;
        }
        if (spec.startsWith(BUILTIN)) {
            String name = spec.substring(BUILTIN.length());
            if (!BuiltinModels.NAMES.contains(name)) {
                throw new UsageException("--model " + spec + ": no built-in model '" + name + "'; built-in: " + BUILTIN + String.join(", " + BUILTIN, BuiltinModels.NAMES));
            }
            byte[] file = BuiltinModels.bytes(name);                        // read once: loaded and hashed
            Checkpoint c = Checkpoints.loadSafetensors(BuiltinModels.resource(name), file);
            return new Loaded(new Generator(c.config(), c.params()), spec + " (" + c.config().imgResolution() + " px, trained by this project)",
                    spec, null, sha256(file));
        }
        if (spec.startsWith("random:")) {
            // random:RES, or random:RES:CBASE with a smaller channel base for quick tests (e.g. random:64:1024)
            String[] parts = spec.substring(7).split(":", -1);
            int res, cbase;
            try {
                if (parts.length > 2) throw new NumberFormatException();
                res = Integer.parseInt(parts[0]);
                cbase = parts.length == 2 ? Integer.parseInt(parts[1]) : RandomModels.defaultChannelBase(res);
            } catch (NumberFormatException e) {
                throw new UsageException("--model " + spec + ": expected random:RES (RES one of 64, 128, 256, 512, 1024) or random:RES:CHANNEL_BASE");
            }
            if (res < 64 || res > 1024 || Integer.bitCount(res) != 1) throw new UsageException("--model " + spec + ": RES must be one of 64, 128, 256, 512, 1024");
            if (cbase < res || cbase > 65536 || Integer.bitCount(cbase) != 1) throw new UsageException("--model " + spec + ": CHANNEL_BASE must be a power of two in [" + res + ", 65536]");
            Generator g = RandomModels.create(res, cbase, 0);
            return new Loaded(g, "built-in random StyleGAN2 " + spec + " (channel base " + cbase + ")", spec, null, specSha256("random:" + res + ":" + cbase));
        }
        Path f = Path.of(spec);
        if (!Files.exists(f)) throw new UsageException("--model: file " + f + " not found");
        if (!Files.isRegularFile(f)) throw new UsageException("--model: " + f + " is not a file");
        GeneratorCheckpoint any = Checkpoints.loadModel(f);
        if (any instanceof StyleGan3Checkpoint c3) {
            StyleGan3Generator g = new StyleGan3Generator(c3.config(), c3.params(), transform);
            return new Loaded(g, f.getFileName() + " (" + c3.architectureName() + ", NVLABS_PICKLE, input transform " + transform.name().toLowerCase(java.util.Locale.ROOT) + ")",
                    f.toAbsolutePath().toString(), f.toAbsolutePath(), null);
        }
        Checkpoint c = (Checkpoint) any;
        Generator g = new Generator(c.config(), c.params());
        return new Loaded(g, f.getFileName() + " (" + c.format() + (c.fromCache() ? ", from cache" : "") + ")", f.toAbsolutePath().toString(), f.toAbsolutePath(), null);
    }

    /**
     * The canonical spec of a valid built-in model spec: builtin:NAME itself, random:RES:CBASE for random:RES or
     * random:RES:CBASE; null when spec is not one (quietly: the spec may come from an untrusted file).
     */
    static String canonicalBuiltIn(String spec) {
        if (spec != null && spec.startsWith(BUILTIN) && BuiltinModels.NAMES.contains(spec.substring(BUILTIN.length()))) return spec;
        if (spec == null || !spec.startsWith("random:") || spec.length() > 40) return null;
        String[] parts = spec.substring(7).split(":", -1);
        try {
            if (parts.length > 2) return null;
            int res = Integer.parseInt(parts[0]);
            if (res < 64 || res > 1024 || Integer.bitCount(res) != 1) return null;
            int cbase = parts.length == 2 ? Integer.parseInt(parts[1]) : RandomModels.defaultChannelBase(res);
            if (cbase < res || cbase > 65536 || Integer.bitCount(cbase) != 1) return null;
            return "random:" + res + ":" + cbase;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** SHA-256 (lowercase hex) of a built-in model's canonical spec random:RES:CBASE in UTF-8. */
    static String specSha256(String canonical) { return sha256(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8)); }

    /** SHA-256 (lowercase hex) of bytes in memory. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
