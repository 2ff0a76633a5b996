package io.github.dragganjvm.app.web;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frame encoder's PNGs, read back by the JDK's own decoder (ImageIO), give every pixel exactly. */
class PngTest {
    private static void assertRoundTrip(BufferedImage img) {
        byte[] png = Png.encode(img);
        BufferedImage back = Png.decode(png);
        assertEquals(img.getWidth(), back.getWidth());
        assertEquals(img.getHeight(), back.getHeight());
        for (int y = 0; y < img.getHeight(); y++)
            for (int x = 0; x < img.getWidth(); x++) {
                int want = img.getRGB(x, y) & 0xFFFFFF, got = back.getRGB(x, y) & 0xFFFFFF;
                if (want != got) throw new AssertionError(String.format("%dx%d image: pixel (x %d, y %d) is %06x but was written as %06x", img.getWidth(), img.getHeight(), x, y, got, want));
            }
    }

    @Test void randomPixelsOfEverySizeComeBackExactly() {
        Random r = new Random(7);
        for (int[] wh : new int[][]{{1, 1}, {3, 5}, {17, 2}, {256, 256}}) {
            BufferedImage img = new BufferedImage(wh[0], wh[1], BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < wh[1]; y++) for (int x = 0; x < wh[0]; x++) img.setRGB(x, y, r.nextInt(1 << 24));
            assertRoundTrip(img);
        }
    }

    @Test void smoothImagesComeBackExactlyAndCompress() {
        BufferedImage img = new BufferedImage(256, 256, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 256; y++) for (int x = 0; x < 256; x++) img.setRGB(x, y, (x << 16) | (y << 8) | ((x + y) / 2));
        assertRoundTrip(img);
        int size = Png.encode(img).length;
        assertTrue(size < 256 * 256 * 3 / 4, "a smooth gradient must compress well below its 196,608 raw bytes, but takes " + size);
    }

    @Test void alphaIsDropped() {
        BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 4; x++) img.setRGB(x, y, ((x * 60) << 24) | (x * 50 << 16) | (y * 90 << 8) | 200);
        BufferedImage back = Png.decode(Png.encode(img));
        assertEquals(false, back.getColorModel().hasAlpha());
        for (int y = 0; y < 3; y++) for (int x = 0; x < 4; x++) assertEquals(img.getRGB(x, y) & 0xFFFFFF, back.getRGB(x, y) & 0xFFFFFF);
    }
}
