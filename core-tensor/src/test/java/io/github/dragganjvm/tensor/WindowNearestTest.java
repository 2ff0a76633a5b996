package io.github.dragganjvm.tensor;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WindowNearest.ofSquared (the tracker's search rule) against an independent definition (sort the distances: the
 * smallest, its first index, the second in sorted order), its NaN and infinity rules, and Ops.windowNearest on the CPU
 * against the search over Ops.windowDistances.
 */
class WindowNearestTest {
    @Test void matchesSortedDefinition() {
        Random r = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(50);
            float[] sq = new float[n];
            for (int i = 0; i < n; i++) sq[i] = r.nextInt(8) * 0.25f;            // many ties
            float[] d = new float[n];
            for (int i = 0; i < n; i++) d[i] = (float) Math.sqrt(sq[i]);
            float[] sorted = d.clone();
            Arrays.sort(sorted);
            int first = 0;
            while (d[first] != sorted[0]) first++;
            WindowNearest w = WindowNearest.ofSquared(sq);
            WindowNearest expected = new WindowNearest(first, sorted[0], n > 1 ? sorted[1] : Float.POSITIVE_INFINITY);
            assertEquals(expected, w, "distances " + Arrays.toString(d));
        }
    }

    @Test void nanAndInfinityRules() {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        assertEquals(new WindowNearest(0, nan, 1f), WindowNearest.ofSquared(new float[]{nan, 4f, 1f, nan}), "NaN at 0 stays the best");
        assertEquals(new WindowNearest(2, 1f, 2f), WindowNearest.ofSquared(new float[]{4f, nan, 1f, nan}), "NaN elsewhere is never chosen");
        assertEquals(new WindowNearest(0, inf, inf), WindowNearest.ofSquared(new float[]{inf, inf}), "all infinite: the first");
        assertEquals(new WindowNearest(1, 3f, inf), WindowNearest.ofSquared(new float[]{inf, 9f}));
        assertThrows(IllegalArgumentException.class, () -> WindowNearest.ofSquared(new float[0]));
    }

    @Test void opsWindowNearestOnTheCpu() {
        Tensor feat = Tensor.randn(DType.F32, 3, 16, 12, 13), f0 = Tensor.randn(DType.F32, 4, 16);
        for (int[] w : new int[][]{{0, 12, 0, 13}, {2, 9, 4, 11}, {5, 6, 7, 8}}) {
            WindowNearest got = Ops.windowNearest(feat, f0, w[0], w[1], w[2], w[3]);
            WindowNearest expected = WindowNearest.ofSquared(Ops.windowDistances(feat, f0, w[0], w[1], w[2], w[3]).toFloatArray());
            System.out.println("window " + Arrays.toString(w) + ": " + got);
            assertEquals(expected, got);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Ops.windowNearest(feat, f0, 0, 13, 0, 13));
        assertTrue(e.getMessage().startsWith("windowNearest: window rows [0, 13)"), e.getMessage());
    }
}
