package io.github.dragganjvm.app;

import io.github.dragganjvm.drag.Point;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Annotate: small images are enlarged by an integer factor, pixels kept as blocks, marks at the enlarged positions. */
class AnnotateTest {
    @Test void aSixtyFourPixelImageIsDrawnFourTimesLargerWithTheMarksWhereItsPixelsWent() {
        BufferedImage src = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) src.setRGB(x, y, (x * 4) << 8 | y * 4);
        BufferedImage out = Annotate.markers(src, List.of(new Point(10, 20)), List.of(new Point(30, 20)));
        assertEquals(256, out.getWidth());
        assertEquals(256, out.getHeight());
        // far from the marks every enlarged pixel is its source pixel, as a 4 x 4 block
        for (int y = 200; y < 256; y++) for (int x = 0; x < 256; x++) assertEquals(src.getRGB(x / 4, y / 4), out.getRGB(x, y), "at " + x + "," + y);
        assertEquals(0xff3030, out.getRGB(42, 82) & 0xffffff, "handle 10,20 is red at its enlarged centre (10.5 * 4, 20.5 * 4)");
        assertEquals(0x3070ff, out.getRGB(122, 82) & 0xffffff, "target 30,20 is blue at (30.5 * 4, 20.5 * 4)");
        assertEquals(1, Annotate.displayScale(256));
        assertEquals(2, Annotate.displayScale(128));
        assertEquals(1, Annotate.displayScale(1024));
    }
}
