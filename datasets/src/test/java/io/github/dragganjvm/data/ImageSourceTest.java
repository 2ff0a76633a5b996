package io.github.dragganjvm.data;

import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ImageSourceTest {
    /** A 2 px source whose image i holds the bytes (i + k) mod 256, k = flat index; only image() is written. */
    private static final ImageSource COUNTING = new ImageSource() {
        @Override public int resolution() { return 2; }
        @Override public int channels() { return 3; }
        @Override public long size() { return 10; }
        @Override public Tensor image(long index) {
            byte[] b = new byte[12];
            for (int k = 0; k < 12; k++) b[k] = (byte) ((index + k) % 256);
            return Rgb8.toTensor(b, 3, 2);
        }
    };

    @Test void defaultBatchStacksImagesInOrder() {
        Tensor b = COUNTING.batch(new long[]{4, 0, 4});
        assertArrayEquals(new int[]{3, 3, 2, 2}, b.shape());
        assertTrue(b.isContiguous());
        for (int n = 0; n < 3; n++) {
            long idx = new long[]{4, 0, 4}[n];
            for (int k = 0; k < 12; k++) {
                assertEquals((float) ((idx + k) / 127.5 - 1), b.get(n, k / 4, (k / 2) % 2, k % 2), "n=" + n + " k=" + k);
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> COUNTING.batch(new long[0]));
        assertTrue(e.getMessage().contains("at least one index"), e.getMessage());
    }

    @Test void rgb8MapsTheByteRangeOntoMinusOneToOne() {
        for (int b = 0; b < 256; b++) {
            float v = Rgb8.toUnit(b);
            assertEquals(b / 127.5 - 1, v, 6e-8, "byte " + b);
            assertTrue(v >= -1 && v <= 1);
        }
        assertEquals(-1f, Rgb8.toUnit(0));
        assertEquals(1f, Rgb8.toUnit(255));
        var e = assertThrows(IllegalArgumentException.class, () -> Rgb8.toTensor(new byte[11], 3, 2));
        assertTrue(e.getMessage().contains("12 bytes"), e.getMessage());
    }
}
