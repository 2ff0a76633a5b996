package io.github.dragganjvm.app;

import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The programs on a StyleGAN3 checkpoint (golden/sg3-t-256, recognised by content): generate with the default
 * identity transform and with --input-transform stored equals the reference's seed0_img_eye and seed0_img (8-bit
 * levels within one); --input-transform on a StyleGAN2 model and StyleGAN3 models in quality are one-line refusals.
 */
class StyleGan3CliTest {
    static String model() { return Golden.dir("sg3-t-256").resolve("model.pkl").toString(); }

    private static int worstLevel(Path png, String goldenFile) throws Exception {
        BufferedImage img = ImageIO.read(png.toFile());
        Tensor ref = Golden.npy("sg3-t-256", goldenFile);
        int worst = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 256; y++)
                for (int x = 0; x < 256; x++) {
                    int expected = Images.toByte((float) ref.get(0, c, y, x));
                    worst = Math.max(worst, Math.abs(expected - ((img.getRGB(x, y) >> (16 - 8 * c)) & 0xff)));
                }
        return worst;
    }

    @Test void generateUsesTheIdentityTransformUnlessToldOtherwise(@TempDir Path dir) throws Exception {
        Path eye = dir.resolve("eye.png"), stored = dir.resolve("stored.png");
        CliTest.Result r = CliTest.run("generate", "--model", model(), "--seeds", "0", "--out", eye.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("StyleGAN3-T"), r.err());
        r = CliTest.run("generate", "--model", model(), "--seed", "0", "--input-transform", "stored", "--out", stored.toString());
        assertEquals(0, r.code(), r.err());
        int wEye = worstLevel(eye, "seed0_img_eye"), wStored = worstLevel(stored, "seed0_img");
        System.out.println("sg3-t generate seed 0: worst 8-bit difference identity " + wEye + ", stored " + wStored);
        assertTrue(wEye <= 1 && wStored <= 1, "identity " + wEye + ", stored " + wStored + " levels");
        assertTrue(worstLevel(eye, "seed0_img") > 1, "the two transforms must give different images");
    }

    @Test void inputTransformIsRefusedWhereItCannotApply() {
        CliTest.Result r = CliTest.run("generate", "--model", "random:64:1024", "--seed", "0", "--input-transform", "stored", "--out", "X.png");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("applies to StyleGAN3 models only") && r.err().strip().lines().count() == 1, r.err());
        r = CliTest.run("generate", "--model", model(), "--seed", "0", "--input-transform", "sideways", "--out", "X.png");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("identity or stored"), r.err());
        r = CliTest.run("quality", "--model", model());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("StyleGAN2 models only"), r.err());
    }

    /** A drag made under the stored transform records it: its replay without the option uses it and ends on the same image; the other transform is refused. */
    @Test void aSessionReplaysUnderItsRecordedTransform(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("drag"), again = dir.resolve("again");
        CliTest.Result r = CliTest.run("drag", "--model", model(), "--seed", "0", "--input-transform", "stored",
                "--points", "128,128->140,128", "--steps", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        String session = java.nio.file.Files.readString(out.resolve("session.json"));
        assertTrue(session.matches("(?s).*\"inputTransform\"\\s*:\\s*\"stored\".*"), session.substring(0, Math.min(400, session.length())));
        r = CliTest.run("drag", "--replay", out.resolve("session.json").toString(), "--model", model(), "--out", again.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage a = ImageIO.read(out.resolve("final.png").toFile()), b = ImageIO.read(again.resolve("final.png").toFile());
        int differing = 0;
        for (int y = 0; y < 256; y++) for (int x = 0; x < 256; x++) if (a.getRGB(x, y) != b.getRGB(x, y)) differing++;
        assertEquals(0, differing, "pixels of the replay's final.png that differ from the drag's");
        r = CliTest.run("drag", "--replay", out.resolve("session.json").toString(), "--model", model(), "--input-transform", "identity",
                "--out", dir.resolve("refused").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("made with --input-transform stored") && r.err().strip().lines().count() == 1, r.err());
    }
}
