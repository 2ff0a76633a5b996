package io.github.dragganjvm.data.toy;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;

import static org.junit.jupiter.api.Assertions.*;

class SampleGridTest {
    @Test void tilesAreTheScaledFacesWithCrossesAtTheKeypoints() {
        ToyFaces w = new ToyFaces(16);
        long[] seeds = {3, 4, 5};
        int scale = 2, tile = 32, gap = 2;
        BufferedImage plain = SampleGrid.render(w, seeds, 2, scale, false);
        assertEquals(2 * tile + gap, plain.getWidth());
        assertEquals(2 * tile + gap, plain.getHeight());
        byte[] face = w.rgb8(5);   // third face: second row, first column
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int i = y * 16 + x;
                int want = (face[i] & 0xFF) << 16 | (face[256 + i] & 0xFF) << 8 | (face[512 + i] & 0xFF);
                for (int d = 0; d < 4; d++) {
                    assertEquals(want, plain.getRGB(2 * x + d % 2, tile + gap + 2 * y + d / 2) & 0xFFFFFF, "pixel " + x + "," + y);
                }
            }
        }
        assertEquals(0x202020, plain.getRGB(tile, 0) & 0xFFFFFF, "gap");
        assertEquals(0x202020, plain.getRGB(tile + gap + 5, tile + gap + 5) & 0xFFFFFF, "empty fourth tile");

        BufferedImage marked = SampleGrid.render(w, seeds, 2, scale, true);
        Keypoints kp = w.keypoints(3);
        Keypoint k = Keypoint.MOUTH_LEFT;   // drawn after the head points, so its cross centre is its own colour unless a later one overlaps
        int cx = (int) Math.round((kp.x(k) + 0.5) * scale - 0.5), cy = (int) Math.round((kp.y(k) + 0.5) * scale - 0.5);
        assertEquals(SampleGrid.markColour(k), marked.getRGB(cx - 1, cy) & 0xFFFFFF);
        assertEquals(SampleGrid.markColour(k), marked.getRGB(cx, cy - 1) & 0xFFFFFF);
    }

    @Test void seedListsParse() {
        assertArrayEquals(new long[]{3, 4, 5}, SampleGrid.parseSeeds("3-5"));
        assertArrayEquals(new long[]{7, 1, -2}, SampleGrid.parseSeeds("7,1,-2"));
        assertThrows(IllegalArgumentException.class, () -> SampleGrid.parseSeeds("5-3"));
        assertThrows(IllegalArgumentException.class, () -> SampleGrid.parseSeeds("x"));
        assertThrows(IllegalArgumentException.class, () -> SampleGrid.render(new ToyFaces(16), new long[0], 2, 2, true));
    }
}
