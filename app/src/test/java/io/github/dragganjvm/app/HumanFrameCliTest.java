package io.github.dragganjvm.app;

import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The programs on StyleGAN-Human's rectangular model (golden/human-256x128, the G_ema-only pickle): images and
 * points in the model's own 128 wide, 256 tall frame. generate writes the reference image's centre 128 columns (within
 * one 8-bit level); drag takes the golden drag's points shifted by -64 px and tracks exactly the reference's points
 * (shifted back) at every step; a point off the frame (x = 140, inside the padded square) is one error line.
 */
class HumanFrameCliTest {
    private static final String FOLDER = "human-256x128";

    private static String model() { return Golden.dir(FOLDER).resolve("stylegan_human_v2_256x128-Gonly.pkl").toString(); }

    @Test void generateWritesTheUnpaddedImage(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("h.png");
        CliTest.Result r = CliTest.run("generate", "--model", model(), "--seeds", "0", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(128, img.getWidth());
        assertEquals(256, img.getHeight());
        Tensor ref = Golden.npy(FOLDER, "seed0_img");                 // [1, 3, 256, 256], person in columns 64..191
        int worst = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 256; y++)
                for (int x = 0; x < 128; x++) {
                    int expected = Images.toByte((float) ref.get(0, c, y, x + 64));
                    worst = Math.max(worst, Math.abs(expected - ((img.getRGB(x, y) >> (16 - 8 * c)) & 0xff)));
                }
        System.out.println("human generate: worst 8-bit difference " + worst);
        assertTrue(worst <= 1, worst + " levels");
    }

    @Test void dragTakesAndReportsPointsInTheModelsFrame(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("d");
        // golden drag 0: (col 156, row 74) -> (171, 76) in the square, i.e. 92,74 -> 107,76 in the frame; lr 0.002, 4 steps
        CliTest.Result r = CliTest.run("drag", "--model", model(), "--seed", "0", "--points", "92,74->107,76", "--steps", "4", "--lr", "0.002",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> trace = Files.readAllLines(out.resolve("trace.csv"), StandardCharsets.UTF_8);
        List<String> expected = List.of("92,74", "93,74", "93,74", "96,76");   // the manifest's 156, 157, 157, 160 minus 64
        for (int n = 0; n < 4; n++) assertTrue(trace.get(n + 1).startsWith((n + 1) + ",\"" + expected.get(n) + "\","), "step " + (n + 1) + ": " + trace.get(n + 1));
        for (String f : List.of("start.png", "final.png")) {
            BufferedImage img = ImageIO.read(out.resolve(f).toFile());
            assertEquals(128, img.getWidth(), f);
            assertEquals(256, img.getHeight(), f);
        }
        assertTrue(r.out().contains("handles [96,76]"), r.out());
    }

    @Test void aPointOffTheFrameIsOneLine(@TempDir Path dir) {
        CliTest.Result r = CliTest.run("drag", "--model", model(), "--seed", "0", "--points", "140,20->120,20", "--out", dir.resolve("d").toString());
        assertEquals(2, r.code());
        String err = r.err().strip();
        System.out.println(err);
        assertEquals(1, err.lines().filter(l -> l.startsWith("draggan drag:")).count(), err);
        assertTrue(err.contains("point 140,20 (pair 1) is off the 128x256 (width x height) image: x must be in [0, 127] and y in [0, 255]"), err);
        assertTrue(!Files.exists(dir.resolve("d")), "nothing written");
    }
}
