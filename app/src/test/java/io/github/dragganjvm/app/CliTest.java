package io.github.dragganjvm.app;

import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The programs end to end, in process: outputs, golden parity of generate, and one-line errors for bad input. */
class CliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... argv) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static String golden(String file) { return Golden.dir("tiny-random-256").resolve(file).toString(); }

    @Test void helpListsEverySubcommand() {
        Result r = run("--help");
        assertEquals(0, r.code());
        for (String c : List.of("generate", "drag", "drag-eval", "bench", "test")) assertTrue(r.out().contains(c), c);
        assertEquals(2, run("nonsense").code());
    }

    /** Every 8-bit value within one level of the reference image converted the same way. */
    @Test void generateReproducesTheReferenceImage(@TempDir Path dir) throws Exception {
        for (int seed : new int[]{0, 1}) {
            Path png = dir.resolve("s" + seed + ".png");
            Result r = run("generate", "--model", golden("model.pkl"), "--seed", "" + seed, "--out", png.toString());
            assertEquals(0, r.code(), r.err());
            BufferedImage img = ImageIO.read(png.toFile());
            Tensor ref = Golden.npy("tiny-random-256", "seed" + seed + "_img");
            int worst = 0;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 256; y++)
                    for (int x = 0; x < 256; x++) {
                        int expected = Images.toByte((float) ref.get(0, c, y, x));
                        int got = (img.getRGB(x, y) >> (16 - 8 * c)) & 0xff;
                        worst = Math.max(worst, Math.abs(expected - got));
                    }
            System.out.println("generate seed " + seed + ": worst 8-bit difference " + worst);
            assertTrue(worst <= 1, "seed " + seed + ": " + worst + " levels");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "generate --seed -1 --out X.png",
            "generate --seed 1 --psi NaN --out X.png",
            "generate --seed 1 --noise loud --out X.png",
            "generate --seed 1 --out X.jpg",
            "generate --seed 1 --model /no/such/model.pkl --out X.png",
            "generate --seed 1 --bogus 3 --out X.png",
            "generate --seeds 0-3 --grid 3x3 --out X.png",
            "drag --seed 0 --points 300,10->20,20 --model random:64 --out D",
            "drag --seed 0 --points 10,10->10,10 --model random:64 --out D",
            "drag --seed 0 --points ; --model random:64 --out D",
            "drag --seed 0 --points 10,10->20 --model random:64 --out D",
            "drag --seed 0 --points 10,10->20,20 --mask 0,0,65,10 --model random:64 --out D",
            "drag --seed 0 --points 10,10->20,20 --steps 0 --model random:64 --out D",
            "drag --seed 0 --points 10,10->20,20 --lr NaN --model random:64 --out D",
            "drag --seed 0 --points 10,10->20,20 --supervision sideways --model random:64 --out D",
            "drag-eval --supervisions reference,sideways --model random:64 --cases 1",
            "drag --seed 0 --points 10,10->20,20 --model random:64",
    })
    void badArgumentsGiveOneLineAndWriteNothing(String args, @TempDir Path dir) throws Exception {
        // --quiet: stderr holds the error alone (without it, e.g. "loaded ..." comes first)
        String[] argv = (args + " --quiet").replace("X.png", dir.resolve("x.png").toString()).replace("X.jpg", dir.resolve("x.jpg").toString())
                .replace(" D", " " + dir.resolve("d")).split(" ");
        Result r = run(argv);
        assertEquals(2, r.code(), args + " -> " + r.err());
        String err = r.err().strip();
        assertFalse(err.isEmpty(), args);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), args + " wrote something");
        }
        System.out.println(args + "  ->  " + err);
    }

    /** drag-eval on a tiny model: a row per case and method (tracker x supervision), the table, and the CSV. */
    @Test void dragEvalReportsEveryMethod(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("eval.csv");
        Result r = run("drag-eval", "--model", "random:64:1024", "--cases", "1", "--steps", "3", "--reconstruction", "1", "--out", csv.toString());
        assertEquals(0, r.code(), r.err());
        String table = r.out();                             // the table is the result: stdout; the per-case lines are progress: stderr
        List<String> methods = List.of("reference", "reference+original", "template", "template+original");
        for (String m : methods) {
            assertTrue(table.contains("| " + m + " | 1 |"), "table row for " + m + ":\n" + table);
            assertTrue(r.err().contains("case 0 seed 0 (1 pt) " + m + " "), "progress line for " + m + ":\n" + r.err());
        }
        assertFalse(table.contains("case 0 seed"), "no progress on stdout:\n" + table);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("kind,case,seed,points,method,start_px,tracker_px,independent_px,steps,converged,seconds,mse_no_edit,mse_after", lines.get(0));
        assertEquals(1 + 2 * methods.size(), lines.size(), String.join("\n", lines));
        for (String m : methods) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("drag,0,0,1," + m + ",")), "drag row of " + m);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("reconstruction,0,1000,32," + m + ",")), "reconstruction row of " + m);
        }
    }

    @Test void dragWritesEverythingAndReplaysToTheSameImage(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("drag");
        Result r = run("drag", "--model", golden("model.pkl"), "--seed", "0", "--points", "120,100->140,110", "--steps", "3",
                "--frame-every", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("start.png", "final.png", "final-annotated.png", "drag.gif", "session.json", "trace.csv")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        List<String> trace = Files.readAllLines(out.resolve("trace.csv"));
        assertEquals("step,points,loss,ms", trace.get(0));
        assertEquals(4, trace.size());
        assertTrue(trace.get(1).startsWith("1,\"120,100\",0.0218664"), trace.get(1));   // the reference's first loss, 0.0218664762
        Path again = dir.resolve("replay");
        Result rr = run("drag", "--replay", out.resolve("session.json").toString(), "--out", again.toString());
        assertEquals(0, rr.code(), rr.err());
        assertArrayEquals(Files.readAllBytes(out.resolve("final.png")), Files.readAllBytes(again.resolve("final.png")), "replay gives the same final.png");
    }
}
