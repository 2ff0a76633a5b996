package io.github.dragganjvm.data;

import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class FolderImageSourceTest {
    @TempDir Path dir;

    /**
     * Independent reference for a training value: PyTorch's float32 {@code b / 127.5 - 1} emulated in double
     * arithmetic, rounding to float after each operation (exact: double has more than 2 * 24 + 2 bits).
     */
    private static float unit(int b) { return (float) ((double) (float) (b / 127.5) - 1.0); }

    private static void assertPixels(int[][] expectedRgb, Tensor img, String what) {
        int res = img.size(1);
        float[] v = img.toFloatArray();
        int worst = -1;
        double worstErr = 0;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < res * res; i++) {
                double err = Math.abs(v[c * res * res + i] - unit(expectedRgb[c][i]));
                if (err > worstErr) { worstErr = err; worst = c * res * res + i; }
            }
        }
        assertTrue(worstErr == 0, what + ": worst error " + worstErr + " at flat index " + worst + " (got "
                + (worst < 0 ? "" : v[worst]) + ")");
    }

    private static BufferedImage rgbImage(int res, long seed, int[][] rgbOut, boolean alpha) {
        SplittableRandom r = new SplittableRandom(seed);
        BufferedImage img = new BufferedImage(res, res, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < res; y++) {
            for (int x = 0; x < res; x++) {
                int red = r.nextInt(256), g = r.nextInt(256), b = r.nextInt(256), a = r.nextInt(256);
                img.setRGB(x, y, (alpha ? a : 0xFF) << 24 | red << 16 | g << 8 | b);
                rgbOut[0][y * res + x] = red;
                rgbOut[1][y * res + x] = g;
                rgbOut[2][y * res + x] = b;
            }
        }
        return img;
    }

    private void png(BufferedImage img, String name) throws IOException {
        assertTrue(ImageIO.write(img, "png", dir.resolve(name).toFile()), "no PNG writer");
    }

    @Test void readsRgbGreyRgbaAndPaletteExactlySortedByName() throws IOException {
        int res = 8;
        int[][] rgb = new int[3][res * res], rgba = new int[3][res * res], grey = new int[3][res * res], pal = new int[3][res * res];
        png(rgbImage(res, 1, rgb, false), "b_rgb.png");
        png(rgbImage(res, 2, rgba, true), "c_rgba.PNG");
        BufferedImage g = new BufferedImage(res, res, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < res * res; i++) {
            int v = (i * 37 + 11) % 256;
            g.getRaster().setSample(i % res, i / res, 0, v);
            grey[0][i] = grey[1][i] = grey[2][i] = v;     // grey repeated, no colour management
        }
        png(g, "a_grey.png");
        byte[] pr = {0, (byte) 200, 17, (byte) 255}, pg = {0, 10, (byte) 220, (byte) 255}, pb = {0, 30, 40, (byte) 128};
        BufferedImage p = new BufferedImage(res, res, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(2, 4, pr, pg, pb));
        for (int i = 0; i < res * res; i++) {
            int idx = (i * 7) % 4;
            p.getRaster().setSample(i % res, i / res, 0, idx);
            pal[0][i] = pr[idx] & 0xFF;
            pal[1][i] = pg[idx] & 0xFF;
            pal[2][i] = pb[idx] & 0xFF;
        }
        png(p, "d_palette.png");
        Files.writeString(dir.resolve("dataset.json"), "{}");                  // not an image: ignored
        Files.createDirectory(dir.resolve("sub"));
        png(rgbImage(res, 3, new int[3][res * res], false), "sub/e.png");     // sub-folder: ignored

        FolderImageSource src = FolderImageSource.open(dir);
        assertEquals(List.of("a_grey.png", "b_rgb.png", "c_rgba.PNG", "d_palette.png"), src.fileNames());
        assertEquals(4, src.size());
        assertEquals(res, src.resolution());
        assertEquals(3, src.channels());
        assertPixels(grey, src.image(0), "grey");
        assertPixels(rgb, src.image(1), "rgb");
        assertPixels(rgba, src.image(2), "rgba (alpha dropped)");
        assertPixels(pal, src.image(3), "palette");
        assertArrayEquals(new int[]{3, res, res}, src.image(1).shape());
        assertEquals(-1f, unit(0));
        assertEquals(1f, unit(255));

        Tensor batch = src.batch(new long[]{3, 1, 1});
        assertArrayEquals(new int[]{3, 3, res, res}, batch.shape());
        float[] b = batch.toFloatArray();
        int per = 3 * res * res;
        assertArrayEquals(src.image(3).toFloatArray(), Arrays.copyOfRange(b, 0, per));
        assertArrayEquals(src.image(1).toFloatArray(), Arrays.copyOfRange(b, 2 * per, 3 * per));
        assertEquals(res, FolderImageSource.open(dir, res).resolution());
    }

    @Test void sixteenBitGreyIsRescaledAndJpegMatchesImageIo() throws IOException {
        BufferedImage g16 = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_GRAY);
        int[] v16 = {0, 65535, 257 * 100, 32896 + 128};   // -> 0, 255, 100, round(128.498) = 128
        for (int i = 0; i < 4; i++) g16.getRaster().setSample(i % 2, i / 2, 0, v16[i]);
        png(g16, "g16.png");
        Tensor t = FolderImageSource.open(dir).image(0);
        int[] want = {0, 255, 100, 128};
        for (int i = 0; i < 4; i++) {
            for (int c = 0; c < 3; c++) assertEquals(unit(want[i]), t.get(c, i / 2, i % 2), "16-bit sample " + v16[i]);
        }

        Path jdir = Files.createDirectory(dir.resolve("jpeg"));
        int[][] rgb = new int[3][16 * 16];
        assertTrue(ImageIO.write(rgbImage(16, 5, rgb, false), "jpeg", jdir.resolve("x.jpg").toFile()));
        BufferedImage ref = ImageIO.read(jdir.resolve("x.jpg").toFile());
        Tensor j = FolderImageSource.open(jdir).image(0);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int p = ref.getRGB(x, y);
                assertEquals(unit(p >> 16 & 0xFF), j.get(0, y, x));
                assertEquals(unit(p >> 8 & 0xFF), j.get(1, y, x));
                assertEquals(unit(p & 0xFF), j.get(2, y, x));
            }
        }
    }

    /** Toy faces written as PNG files read back as the same tensors (the toy world is an ordinary 8-bit dataset). */
    @Test void toyFacesSurviveAPngRoundTrip() throws IOException {
        io.github.dragganjvm.data.toy.ToyFaces w = new io.github.dragganjvm.data.toy.ToyFaces(32);
        for (int s = 0; s < 3; s++) {
            byte[] b = w.rgb8(s);
            BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            for (int i = 0; i < 1024; i++) img.setRGB(i % 32, i / 32, (b[i] & 0xFF) << 16 | (b[1024 + i] & 0xFF) << 8 | (b[2048 + i] & 0xFF));
            png(img, String.format("%08d.png", s));
        }
        FolderImageSource src = FolderImageSource.open(dir, 32);
        assertArrayEquals(w.batch(new long[]{0, 1, 2}).toFloatArray(), src.batch(new long[]{0, 1, 2}).toFloatArray());
    }

    private DatasetException fails(Path folder, int res, long maxBytes, String... mustContain) {
        DatasetException e = assertThrows(DatasetException.class, () -> FolderImageSource.open(folder, res, maxBytes));
        System.out.println("expected error: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String s : mustContain) assertTrue(e.getMessage().contains(s), "'" + s + "' missing from: " + e.getMessage());
        return e;
    }

    private DatasetException fails(Path folder, String... mustContain) {
        return fails(folder, FolderImageSource.ANY_RESOLUTION, FolderImageSource.DEFAULT_MAX_DECODED_BYTES, mustContain);
    }

    @Test void missingAndEmptyFoldersAreNamed() throws IOException {
        fails(dir.resolve("nope"), "nope", "does not exist");
        fails(dir, dir.toString(), "no .png");
        Files.writeString(dir.resolve("readme.txt"), "x");
        fails(dir, "no .png");
        Path file = dir.resolve("readme.txt");
        fails(file, "not a directory");
    }

    @Test void corruptAndTruncatedImagesAreNamed() throws IOException {
        png(rgbImage(8, 1, new int[3][64], false), "a.png");
        Files.write(dir.resolve("b.png"), new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9});
        fails(dir, "b.png", "cannot read");
        Files.delete(dir.resolve("b.png"));
        byte[] whole = Files.readAllBytes(dir.resolve("a.png"));
        Files.write(dir.resolve("c.png"), Arrays.copyOf(whole, whole.length / 2));   // header intact, data cut
        fails(dir, "c.png");
    }

    @Test void shapeProblemsNameFilesAndSizes() throws IOException {
        png(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "a.png");
        png(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB), "b.png");
        fails(dir, "a.png", "16x16", "b.png", "32x32");
        Files.delete(dir.resolve("b.png"));

        png(new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB), "c.png");
        fails(dir, "c.png", "16x8", "square");
        Files.delete(dir.resolve("c.png"));

        png(new BufferedImage(24, 24, BufferedImage.TYPE_INT_RGB), "0.png");
        fails(dir, "0.png", "24x24", "power of two");
        Files.delete(dir.resolve("0.png"));

        fails(dir, 32, FolderImageSource.DEFAULT_MAX_DECODED_BYTES, "16x16", "resolution 32");
        png(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "d.png");
        // two 16 px images decode to 2 * 3 * 256 = 1536 bytes
        fails(dir, 16, 1535, "2 images", "1536 bytes", "1535");
        assertEquals(2, FolderImageSource.open(dir, 16, 1536).size());
    }

    @Test void badIndicesAndArguments() throws IOException {
        png(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "a.png");
        FolderImageSource src = FolderImageSource.open(dir);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> src.image(1));
        assertTrue(e.getMessage().contains("index 1"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> src.image(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> src.batch(new long[]{0, 5}));
        assertThrows(IllegalArgumentException.class, () -> src.batch(new long[0]));
        assertThrows(IllegalArgumentException.class, () -> FolderImageSource.open(dir, -2));
        assertThrows(IllegalArgumentException.class, () -> FolderImageSource.open(dir, 0, 0));
        byte[] raw = src.rgb8(0);
        raw[0] = 99;   // a copy: the source is unchanged
        assertEquals(-1f, src.image(0).get(0, 0, 0));
    }
}
