package io.github.dragganjvm.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code ./draggan drag}: drag.gif streamed frame by frame, and --replay run only on a model verified by the SHA-256
 * the session records, with strict parsing, one-line refusals that never quote the session file, and progress.
 */
class DragReplayTest {
    static final String MODEL = "random:64:1024";

    static int frames(Path gif) throws Exception {
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            ImageReader r = ImageIO.getImageReaders(in).next();
            r.setInput(in);
            return r.getNumImages(true);
        }
    }

    static List<Path> leftovers(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test void gifFramesGoToDiskAsTheyAreAdded(@TempDir Path dir) throws Exception {
        Path gif = dir.resolve("a.gif");
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        long last = 0;
        try (GifStream s = new GifStream(gif, 100)) {
            for (int i = 0; i < 5; i++) {
                img.setRGB(i, i, 0xFF00FF);
                s.add(img);
                List<Path> tmp = leftovers(dir);
                assertEquals(1, tmp.size(), "one temporary file while writing");
                long size = Files.size(tmp.get(0));
                System.out.printf("after frame %d: %d bytes on disk%n", i + 1, size);
                assertTrue(size > last, "frame " + (i + 1) + " is on disk before the GIF is finished: " + size + " <= " + last);
                last = size;
                assertFalse(Files.exists(gif), "the real name appears only at the end");
            }
            s.finish();
        }
        assertEquals(5, frames(gif));
        assertEquals(List.of(), leftovers(dir));
        try (GifStream s = new GifStream(dir.resolve("b.gif"), 100)) {
            s.add(img);
        }
        assertFalse(Files.exists(dir.resolve("b.gif")), "an unfinished GIF is not left under its name");
        assertEquals(List.of(), leftovers(dir), "nor as a temporary");
    }

    /** A drag of a few steps on the tiny built-in model, every step a GIF frame. */
    static Path drag(Path dir) {
        Path out = dir.resolve("drag");
        CliTest.Result r = CliTest.run("drag", "--model", MODEL, "--seed", "1", "--points", "20,30->44,30", "--steps", "4", "--frame-every", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        return out;
    }

    @Test void dragStreamsEveryFrameAndRecordsTheModelHash(@TempDir Path dir) throws Exception {
        Path out = drag(dir);
        assertEquals(1 + 4 + 1, frames(out.resolve("drag.gif")), "start, 4 steps, final");
        assertEquals(5, Files.readAllLines(out.resolve("trace.csv")).size(), "header and 4 steps");
        assertEquals(List.of(), leftovers(out));
        var model = new ObjectMapper().readTree(out.resolve("session.json").toFile()).get("model");
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest("random:64:1024".getBytes(StandardCharsets.UTF_8)));
        assertEquals(expected, model.get("sha256").asText(), "a built-in model is recorded by the SHA-256 of its spec");
    }

    static Path edited(Path session, Path dir, UnaryOperator<ObjectNode> f) throws Exception {
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(session.toFile());
        Path p = dir.resolve("edited-" + System.nanoTime() + ".json");
        Files.writeString(p, f.apply(root).toString());
        return p;
    }

    static void refused(Path file, String expectedStart, String... extra) {
        String[] argv = Stream.concat(Stream.of("drag", "--replay", file.toString(), "--out", file.resolveSibling("never").toString()), Stream.of(extra)).toArray(String[]::new);
        CliTest.Result r = CliTest.run(argv);
        System.out.println("refused: " + r.err().strip());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("draggan drag: " + expectedStart), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(r.err().contains("SECRET"), "the refusal quotes the session file or the file it names: " + r.err());
        assertFalse(Files.exists(file.resolveSibling("never")), "nothing written");
    }

    @Test void replayRunsOnlyOnAVerifiedModel(@TempDir Path dir) throws Exception {
        Path out = drag(dir);
        Path session = out.resolve("session.json");

        // the named built-in model, verified by its hash: same image, progress over the recorded steps
        Path again = dir.resolve("again");
        CliTest.Result r = CliTest.run("drag", "--replay", session.toString(), "--out", again.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(out.resolve("final.png")), Files.readAllBytes(again.resolve("final.png")));
        assertTrue(r.err().contains("] step 4/4"), "replay shows the drag's progress line on the informational stream: " + r.err());
        assertEquals(Files.readAllLines(out.resolve("trace.csv")).size(), Files.readAllLines(again.resolve("trace.csv")).size());

        // --model given: it must have the recorded hash
        refused(session, "--replay: the session was made with a model of SHA-256 ", "--model", "random:64:2048");
        CliTest.Result ok = CliTest.run("drag", "--replay", session.toString(), "--model", "random:64:1024", "--out", dir.resolve("again2").toString());
        assertEquals(0, ok.code(), ok.err());

        // a tampered source names another file: never opened for parsing, never quoted
        Path secret = dir.resolve("SECRET-file");
        Files.writeString(secret, "SECRET contents that must not be printed\n");
        String sha = new ObjectMapper().readTree(session.toFile()).get("model").get("sha256").asText();
        refused(edited(session, dir, s -> { ((ObjectNode) s.get("model")).put("source", secret.toString()); return s; }),
                "--replay: the model file the session names is missing or does not have the recorded SHA-256 " + sha);
        refused(edited(session, dir, s -> { ((ObjectNode) s.get("model")).put("source", "/dev/zero"); return s; }),
                "--replay: the model file the session names is missing");
        refused(edited(session, dir, s -> { ((ObjectNode) s.get("model")).put("source", "random:SECRET"); return s; }),
                "--replay: the model file the session names is missing");
        refused(edited(session, dir, s -> { ((ObjectNode) s.get("model")).put("sha256", "0".repeat(64)); return s; }),
                "--replay: the built-in model the session names does not have its recorded SHA-256");
        refused(edited(session, dir, s -> { ((ObjectNode) s.get("model")).putNull("sha256").put("source", secret.toString()); return s; }),
                "--replay: the session file records no SHA-256");

        // strict parsing
        String json = Files.readString(session);
        Path dup = dir.resolve("dup.json");
        Files.writeString(dup, json.replaceFirst("\"noise\" : \"const\"", "\"noise\" : \"const\", \"noise\" : \"SECRET\""));
        refused(dup, "session file: a key appears twice");
        Path big = dir.resolve("big.json");
        Files.writeString(big, json.replaceFirst("\"lr\" : [0-9.eE+-]+", "\"lr\" : 1e400"));
        refused(big, "session file: 'lr' must be a finite number");
        refused(edited(session, dir, s -> { ((ObjectNode) s.get("drags").get(0)).put("steps", "4"); return s; }), "session file: 'steps' must be an integer");
        refused(edited(session, dir, s -> s.put("SECRET", 1)), "session file: the file holds a key that is not one of");
    }
}
