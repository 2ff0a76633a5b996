package io.github.dragganjvm.app;

import io.github.dragganjvm.drag.SessionFile;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The model a {@code --replay} runs on: the one given with --model, or else the one the session file names, but only
 * once it is verified against the SHA-256 the file records (a built-in model's spec, or the bytes of a checkpoint
 * file, which is not parsed unless they match). Every refusal is one line and never quotes the session file's text
 * (a tampered file's path or bytes); the recorded hash, checked to be 64 hex digits, may be shown.
 */
final class ReplayModel {
    private ReplayModel() {}

    /** Resolves and verifies; modelOption is --model (null when absent). */
    static Models.Loaded resolve(String modelOption, SessionFile.ModelRef recorded, PrintStream log) throws IOException {
        return resolve(modelOption, recorded, log, null);
    }

    /** The same with a --input-transform value (null: not given; see {@link Models#load(String, PrintStream, String)}). */
    static Models.Loaded resolve(String modelOption, SessionFile.ModelRef recorded, PrintStream log, String inputTransform) throws IOException {
        // a StyleGAN3 session replays under the input transform it was made with
        if (inputTransform != null && recorded.inputTransform() != null
                && !inputTransform.trim().toLowerCase(java.util.Locale.ROOT).equals(recorded.inputTransform())) {
            throw new UsageException("--replay: the session was made with --" + Models.TRANSFORM_OPTION + " " + recorded.inputTransform()
                    + " but " + inputTransform.trim() + " was given");
        }
        if (inputTransform == null) inputTransform = recorded.inputTransform();
        String expected = expectedSha256(recorded);
        if (modelOption != null) {
            Models.Loaded m = Models.load(modelOption, log, inputTransform);
            if (expected == null) throw new UsageException("--replay: the session file records no SHA-256 of its model, so no model can be checked against it");
            String mine = m.ref().sha256();
            if (!expected.equals(mine)) {
                throw new UsageException("--replay: the session was made with a model of SHA-256 " + expected + " but --model " + modelOption + " has " + mine);
            }
            return m;
        }
        if (expected == null) throw new UsageException("--replay: the session file records no SHA-256 of its model file; pass the model with --model FILE");
        if (Models.canonicalBuiltIn(recorded.source()) != null) {
            Models.Loaded m = Models.load(recorded.source(), log, inputTransform);
            if (!expected.equals(m.ref().sha256())) throw new UsageException("--replay: the built-in model the session names does not have its recorded SHA-256 " + expected + "; pass the model with --model");
            return m;
        }
        Path p = verifiedFile(recorded.source(), expected);
        if (p == null) {
            throw new UsageException("--replay: the model file the session names is missing or does not have the recorded SHA-256 " + expected
                    + "; pass the model with --model FILE");
        }
        return Models.load(p.toString(), log, inputTransform);
    }

    /** The SHA-256 the session records, or, for older files of built-in models that recorded none, the spec's. */
    static String expectedSha256(SessionFile.ModelRef recorded) {
        if (recorded.sha256() != null) return recorded.sha256();
        String canonical = Models.canonicalBuiltIn(recorded.source());
        return canonical == null || canonical.startsWith(Models.BUILTIN) ? null : Models.specSha256(canonical);
    }

    /**
     * The path, when source names an absolute path to a non-empty regular file (not a link, device, pipe) whose
     * bytes, exactly its size of them, hash to sha256; else null. Nothing of the file is shown or parsed.
     */
    static Path verifiedFile(String source, String sha256) {
        Path p;
        try {
            p = Path.of(source);
        } catch (InvalidPathException e) {
            return null;
        }
        if (!p.isAbsolute() || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) return null;
        try {
            long size = Files.size(p);
            if (size <= 0) return null;
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            long left = size;
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) return null;
                    md.update(buf, 0, n);
                    left -= n;
                }
                if (in.read() >= 0) return null;                 // grew while we read: not the recorded file
            }
            return HexFormat.of().formatHex(md.digest()).equals(sha256) ? p : null;
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            return null;
        }
    }
}
