package io.github.dragganjvm.drag;

import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generator's frame and the session's square, checked element by element against a direct loop. */
class FrameTest {
    private final Frame human = new Frame(256, 128, 64);

    @Test void pointsMoveByThePadding() {
        assertEquals(new Point(156, 74), human.toSquare(new Point(92, 74)));
        assertEquals(new Point(92, 74), human.fromSquare(new Point(156, 74)));
        assertEquals(new Point(-10.5, 3), human.fromSquare(new Point(53.5, 3)), "a point in the padding maps off the frame");
        assertEquals(List.of(new Point(64, 0), new Point(191, 255)), human.toSquare(List.of(new Point(0, 0), new Point(127, 255))));
        Frame sq = Frame.square(64);
        assertEquals(new Point(3, 4), sq.toSquare(new Point(3, 4)));
        assertFalse(sq.padded());
        assertTrue(human.padded());
        assertEquals("128x256", human.size());
    }

    @Test void insideIsTheGeneratorsFrame() {
        assertTrue(human.inside(new Point(127, 255)));
        assertFalse(human.inside(new Point(127.5, 0)));
        assertFalse(human.inside(new Point(0, -0.5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> human.requireInside(new Point(140, 20), "point 140,20"));
        assertEquals("point 140,20 is off the 128x256 (width x height) image: x must be in [0, 127] and y in [0, 255]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Frame(256, 128, 200));
    }

    @Test void cropViewIsTheCentreColumns() {
        int s = 8;
        Frame f = new Frame(s, 4, 2);
        float[] v = new float[2 * s * s];
        for (int i = 0; i < v.length; i++) v[i] = i;
        Tensor img = Tensor.of(v, 1, 2, s, s);
        Tensor c = f.cropView(img);
        assertArrayEquals(new int[] {1, 2, s, 4}, c.shape());
        for (int ch = 0; ch < 2; ch++)
            for (int y = 0; y < s; y++)
                for (int x = 0; x < 4; x++) assertEquals(v[(ch * s + y) * s + x + 2], c.get(0, ch, y, x), 0, "at " + ch + "," + y + "," + x);
        assertThrows(IllegalArgumentException.class, () -> f.cropView(Tensor.zeros(1, 3, s, 4)));
    }

    @Test void masksRoundTripAndTheirBoxesShift() {
        int s = 8;
        Frame f = new Frame(s, 4, 2);
        boolean[] bits = new boolean[4 * s];
        bits[5] = bits[31] = true;                                            // (1, 1) and (3, 7)
        Mask m = f.maskToSquare(bits);
        assertEquals(s, m.size());
        assertEquals(2, m.flexibleCount());
        assertTrue(m.isFlexible(3, 1));
        assertTrue(m.isFlexible(5, 7));
        assertArrayEquals(bits, f.maskFromSquare(m));
        Mask box = f.withFlexibleBox(Mask.allFixed(s), 0, 0, 4, 1);
        for (int x = 0; x < s; x++) assertEquals(x >= 2 && x < 6, box.isFlexible(x, 0), "x " + x);
        assertThrows(IllegalArgumentException.class, () -> f.withFlexibleBox(Mask.allFixed(s), 0, 0, 5, 1));
    }
}
