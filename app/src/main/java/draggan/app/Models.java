package draggan.app;

import draggan.drag.SessionFile;
import draggan.stylegan.Generator;
import draggan.stylegan.RandomModels;
import draggan.stylegan.io.Checkpoint;
import draggan.stylegan.io.Checkpoints;

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
    static final String METAVAR = "FILE|random:RES[:CBASE]";
    static final String HELP = "checkpoint: NVlabs .pkl, rosinality .pt or our .safetensors (./draggan train writes them), recognised by content;"
            + " or random:RES[:CBASE], a built-in generator with seeded random weights (RES 64..1024, channel base CBASE)";

    /** The default when --model is absent. */
    static final String DEFAULT = "random:256";

    /** A loaded model, its description and (lazily hashed) identity for session files. */
    static final class Loaded {
        private final Generator generator;
        private final String description;
        private final String source;
        private final Path file;
        private final String builtIn;            // canonical random:RES:CBASE of a built-in model, else null
        private SessionFile.ModelRef ref;

        Loaded(Generator generator, String description, String source, Path file, String builtIn) {
            this.generator = generator;
            this.description = description;
            this.source = source;
            this.file = file;
            this.builtIn = builtIn;
        }

        Generator generator() { return generator; }
        String description() { return description; }

        /**
         * The model's identity: the source and a SHA-256, of the file for checkpoints (computed on first use), of the
         * canonical spec {@code random:RES:CBASE} (UTF-8) for built-in models.
         */
        synchronized SessionFile.ModelRef ref() {
            if (ref == null) ref = new SessionFile.ModelRef(source, file == null ? specSha256(builtIn) : sha256(file), generator.resolution());
            return ref;
        }
    }

    /** Loads spec (null: the default built-in model, announced in one line on out). */
    static Loaded load(String spec, PrintStream out) throws IOException {
        if (spec == null) {
            out.println("no --model given: using the built-in StyleGAN2 with seeded random weights (" + DEFAULT
                    + "; its images are colour fields, not photos; pass --model FILE.pkl for a real one)");
            spec = DEFAULT;
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
            return new Loaded(g, "built-in random StyleGAN2 " + spec + " (channel base " + cbase + ")", spec, null, "random:" + res + ":" + cbase);
        }
        Path f = Path.of(spec);
        if (!Files.exists(f)) throw new UsageException("--model: file " + f + " not found");
        if (!Files.isRegularFile(f)) throw new UsageException("--model: " + f + " is not a file");
        Checkpoint c = Checkpoints.load(f);
        Generator g = new Generator(c.config(), c.params());
        return new Loaded(g, f.getFileName() + " (" + c.format() + (c.fromCache() ? ", from cache" : "") + ")", f.toAbsolutePath().toString(), f.toAbsolutePath(), null);
    }

    /**
     * The canonical spec random:RES:CBASE of a valid built-in model spec (random:RES or random:RES:CBASE), or null
     * when spec is not one (quietly: the spec may come from an untrusted file).
     */
    static String canonicalBuiltIn(String spec) {
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
    static String specSha256(String canonical) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
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
