package io.github.dragganjvm.stylegan.image;

import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Tensor to 8-bit RGB against a double-precision scalar re-implementation of the reference formula; PNG and GIF round trips. */
class ImagesTest {

    /** The reference conversion in double: floor(clamp(x * 127.5 + 128, 0, 255)), NaN to 0. */
    private static int expected(double x) {
        double v = x * 127.5 + 128;
        if (Double.isNaN(v) || v < 0) return 0;
        return (int) Math.floor(Math.min(v, 255));
    }

    @Test void toByteIsTheReferenceFormula() {
        float[] xs = {-1, 1, 0, -1.01f, 0.999f, 0.5f, -0.5f, 2f, -3f, 0.0039f, -1.0039f, 1e-7f, Float.NaN,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (float x : xs) assertEquals(expected(x), Images.toByte(x), "x = " + x);
        assertEquals(0, Images.toByte(-1f), "-1 -> 0.5 truncated");
        assertEquals(255, Images.toByte(1f), "1 -> 255.5 clamped");
        assertEquals(128, Images.toByte(0f));
        assertEquals(191, Images.toByte(0.5f), "0.5 -> 191.75 truncated, not rounded");
        // every float on a fine grid over [-1.2, 1.2]
        int worst = 0;
        float worstX = 0;
        for (int i = -12000; i <= 12000; i++) {
            float x = i / 10000f;
            int d = Math.abs(Images.toByte(x) - expected(x));
            if (d > worst) { worst = d; worstX = x; }
        }
        assertTrue(worst <= 1, "worst at x = " + worstX + ": " + Images.toByte(worstX) + " vs " + expected(worstX));
    }

    @Test void toImageMapsChannelsToRgbAndRowsToY() {
        // [1, 3, 2, 3]: H = 2, W = 3
        float[] v = new float[18];
        for (int i = 0; i < v.length; i++) v[i] = -1 + i / 9f;
        BufferedImage bi = Images.toImage(Tensor.of(v, 1, 3, 2, 3));
        assertEquals(3, bi.getWidth());
        assertEquals(2, bi.getHeight());
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                int i = y * 3 + x;
                int rgb = bi.getRGB(x, y) & 0xFFFFFF;
                // layout: R from plane 0, G from plane 1, B from plane 2 (the values themselves: toByteIsTheReferenceFormula)
                int want = (Images.toByte(v[i]) << 16) | (Images.toByte(v[6 + i]) << 8) | Images.toByte(v[12 + i]);
                assertEquals(want, rgb, "pixel x = " + x + ", y = " + y);
            }
        }
        BufferedImage unbatched = Images.toImage(Tensor.of(v, 3, 2, 3));
        assertEquals(bi.getRGB(2, 1), unbatched.getRGB(2, 1));
        BufferedImage grey = Images.toImage(Tensor.of(new float[]{0, 1}, 1, 1, 1, 2));
        assertEquals(0x808080, grey.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0xFFFFFF, grey.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test void wrongShapesFailNamingTheShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Images.toImage(Tensor.of(new float[8], 2, 2, 2)));
        assertTrue(e.getMessage().contains("[2, 2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Images.toImage(Tensor.of(new float[24], 2, 3, 2, 2)));
        assertTrue(e.getMessage().contains("[2, 3, 2, 2]"), "a batch of 2 is not silently cut to its first image: " + e.getMessage());
    }

    @Test void pngRoundTripWithNormalPermissions(@TempDir Path dir) throws IOException {
        BufferedImage bi = Images.toImage(Tensor.of(new float[]{-1, 0, 1, 0.5f, -0.5f, 0.25f, 0.1f, 0.2f, 0.3f, 0.4f, 0.6f, 0.7f}, 3, 2, 2));
        Path file = dir.resolve("a.png");
        Images.writePng(bi, file);
        BufferedImage back = ImageIO.read(file.toFile());
        for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) assertEquals(bi.getRGB(x, y), back.getRGB(x, y), "x = " + x + ", y = " + y);
        Path plain = Files.createFile(dir.resolve("plain"));
        Set<PosixFilePermission> want = Files.getPosixFilePermissions(plain), got = Files.getPosixFilePermissions(file);
        assertEquals(want, got, "a written PNG has the permissions of any new file (not a temp file's 0600)");
        try (var files = Files.list(dir)) {
            assertEquals(List.of("a.png", "plain"), files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary left");
        }
        IOException missing = assertThrows(IOException.class, () -> Images.writePng(bi, dir.resolve("no/such/b.png")));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }

    @Test void gifHasEveryFrame(@TempDir Path dir) throws IOException {
        List<BufferedImage> frames = List.of(
                Images.toImage(Tensor.of(new float[]{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}, 3, 2, 2)),
                Images.toImage(Tensor.of(new float[]{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 3, 2, 2)),
                Images.toImage(Tensor.of(new float[]{1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1}, 3, 2, 2)));
        Path file = dir.resolve("a.gif");
        Images.writeGif(frames, 100, file);
        ByteArrayOutputStream mem = new ByteArrayOutputStream();
        Images.writeGif(frames, 100, mem);
        assertArrayEquals(Files.readAllBytes(file), mem.toByteArray(), "file and stream encode the same bytes");
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            reader.setInput(in);
            assertEquals(3, reader.getNumImages(true));
            int[] want = {0x000000, 0xFFFFFF, 0xFF0000};
            for (int i = 0; i < 3; i++) assertEquals(want[i], reader.read(i).getRGB(1, 1) & 0xFFFFFF, "frame " + i);
        } finally {
            reader.dispose();
        }
        assertThrows(IllegalArgumentException.class, () -> Images.writeGif(List.of(), 100, dir.resolve("b.gif")));
    }
}
