package io.github.dragganjvm.drag;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steps that compute only the rectangles of the feature block they read ({@link StepWindow}) give the drag of steps
 * over whole maps: the same tracked points at every step, losses to 1e-5 and w+ to 1e-4 (as the golden drags), for
 * handles in the middle, at edges and corners, two and three handles (near: one rectangle; apart: several), both
 * trackers, both supervisions, a block at the image's size (k = 1), half (k = 2) and a quarter of it (k = 4), and a
 * half-width model. A read outside the rectangles would throw, so these also check that they cover every read.
 */
class WindowedStepTest {
    private static final Generator G = RandomModels.create(64, 2048, 5);
    // radii scaled for 64 px: r1 = 3, r2 = 6
    private static final DragConfig CFG = DragConfig.reference().withLr(2e-3).withRadiiAt512(24, 48);

    /** A 64 px random model of the given aspect whose noise strengths are {@code noise}. */
    private static Generator model(io.github.dragganjvm.stylegan.io.GeneratorConfig.Aspect aspect, double noise) {
        return RandomModels.gaussian(RandomModels.config(64, 2048).withAspect(aspect), 11, noise);
    }

    private static DragSession session(DragConfig cfg, List<Point> handles, List<Point> targets, boolean windows) {
        DragSession s = DragSession.fromSeed(G, 7, 0.7, NoiseMode.CONST, cfg);
        for (int i = 0; i < handles.size(); i++) s.addPair(handles.get(i), targets.get(i));
        s.useWindows(windows);
        return s;
    }

    private static void sameDrag(String what, DragConfig cfg, List<Point> handles, List<Point> targets, int steps) {
        assertTrue(sameDragCountingWindows(what, cfg, handles, targets, steps) > 0, what + ": no step computed a window");
    }

    /**
     * Runs the drag both ways and returns how many steps were windowed. w+ is compared as the golden drags compare
     * it with the reference (1e-4): Adam divides by sqrt(v), so where a gradient component is tiny its rounding-level
     * difference (the parts' backward sums in another order) moves w+ by more than the gradients differ.
     */
    private static int sameDragCountingWindows(String what, DragConfig cfg, List<Point> handles, List<Point> targets, int steps) {
        DragSession a = session(cfg, handles, targets, true), b = session(cfg, handles, targets, false);
        int windowed = 0;
        for (int n = 1; n <= steps; n++) {
            DragSession.StepResult ra = a.step(false), rb = b.step(false);
            assertNull(b.lastStepWindows());
            if (a.lastStepWindows() != null) windowed++;
            assertEquals(rb.handles(), ra.handles(), what + ", step " + n + ": tracked points");
            assertEquals(rb.loss(), ra.loss(), 1e-5 * Math.abs(rb.loss()) + 1e-12, what + ", step " + n + ": loss");
            if (ra.done()) break;
        }
        Golden.assertClose(what + ": w+", b.ws(), a.ws(), 1e-4);
        return windowed;
    }

    @Test void aWindowedDragIsTheWholeMapDrag() {
        DragConfig k2 = CFG.withFeatureBlock(32), k1 = CFG.withFeatureBlock(64);
        sameDrag("middle, k = 2", k2, List.of(new Point(30, 33)), List.of(new Point(40, 36)), 6);
        sameDrag("corner, k = 2", k2, List.of(new Point(1, 62)), List.of(new Point(9, 55)), 6);
        sameDrag("edge, k = 1", k1, List.of(new Point(63, 20)), List.of(new Point(55, 28)), 6);
        sameDrag("two handles, k = 2", k2, List.of(new Point(12, 14), new Point(22, 30)), List.of(new Point(20, 10), new Point(15, 36)), 6);
        sameDrag("two handles far apart, k = 2 (two rectangles)", k2, List.of(new Point(6, 7), new Point(57, 55)), List.of(new Point(14, 12), new Point(50, 49)), 6);
        sameDrag("three handles, k = 1", k1, List.of(new Point(5, 58), new Point(58, 6), new Point(33, 30)), List.of(new Point(12, 52), new Point(52, 12), new Point(38, 36)), 5);
        sameDrag("template tracker, original supervision", k2.withTracker(DragConfig.Tracker.TEMPLATE).withSupervision(DragConfig.Supervision.ORIGINAL),
                List.of(new Point(44, 20)), List.of(new Point(36, 30)), 6);
    }

    /**
     * A mask painted after a windowed capture: the mask term needs F0 whole, which the session then makes from the
     * capture's ws and noise; the drag stays the whole-map drag (RANDOM noise, so a wrong noise seed would show).
     */
    @Test void aMaskAfterAWindowedCaptureUsesTheWholeF0() {
        DragConfig k2 = CFG.withFeatureBlock(32);
        Generator noisy = model(io.github.dragganjvm.stylegan.io.GeneratorConfig.Aspect.SQUARE, 0.5);   // the built-in models' noise strength is 0
        DragSession a = DragSession.fromSeed(noisy, 7, 0.7, NoiseMode.RANDOM, k2), b = DragSession.fromSeed(noisy, 7, 0.7, NoiseMode.RANDOM, k2);
        for (DragSession s : List.of(a, b)) s.addPair(new Point(30, 33), new Point(40, 36));
        b.useWindows(false);
        for (int n = 1; n <= 5; n++) {
            if (n == 3) for (DragSession s : List.of(a, b)) s.setMask(Mask.allFixed(64).withBrush(30, 33, 14, true));
            DragSession.StepResult ra = a.step(false), rb = b.step(false);
            if (n < 3) assertNotNull(a.lastStepWindows(), "step " + n + " is windowed");
            else assertNull(a.lastStepWindows(), "step " + n + " has a mask term");
            assertEquals(rb.handles(), ra.handles(), "step " + n + ": tracked points");
            assertEquals(rb.loss(), ra.loss(), 1e-5 * Math.abs(rb.loss()), "step " + n + ": loss");
        }
        Golden.assertClose("w+", b.ws(), a.ws(), 1e-4);
    }

    /** Random drags: 1-3 handles anywhere, targets up to 12 px away, F from b16 (k = 4), b32 (k = 2) or b64 (k = 1). */
    @Test void randomDragsAreTheSameWindowedOrWhole() {
        java.util.Random rnd = new java.util.Random(2026);
        int[] blocks = {16, 32, 64};
        int windowed = 0;
        for (int trial = 0; trial < 6; trial++) {
            DragConfig cfg = CFG.withFeatureBlock(blocks[trial % 3]);
            if (rnd.nextBoolean()) cfg = cfg.withTracker(DragConfig.Tracker.TEMPLATE);
            if (rnd.nextBoolean()) cfg = cfg.withSupervision(DragConfig.Supervision.ORIGINAL);
            int n = 1 + rnd.nextInt(3);
            List<Point> hs = new java.util.ArrayList<>(), ts = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                int x = rnd.nextInt(64), y = rnd.nextInt(64);
                hs.add(new Point(x, y));
                int tx, ty;
                do {
                    tx = Math.clamp(x + rnd.nextInt(25) - 12, 0, 63);
                    ty = Math.clamp(y + rnd.nextInt(25) - 12, 0, 63);
                } while (tx == x && ty == y);
                ts.add(new Point(tx, ty));
            }
            windowed += sameDragCountingWindows("trial " + trial + " (b" + cfg.featureBlockRes() + ", " + cfg.tracker() + ", " + cfg.supervision() + ", " + hs + " -> " + ts + ")", cfg, hs, ts, 4);
        }
        assertTrue(windowed > 0, "no step of the random drags computed a window");
    }

    /** StyleGAN-Human's shape (blocks r x r/2 in a square frame): handles inside the image and at its side. */
    @Test void aHalfWidthModelsWindowedDragIsItsWholeMapDrag() {
        Generator half = model(io.github.dragganjvm.stylegan.io.GeneratorConfig.Aspect.HALF_WIDTH, 0);
        DragConfig k2 = CFG.withFeatureBlock(32);
        for (List<Point> hs : List.of(List.of(new Point(30, 33)), List.of(new Point(17, 40)), List.of(new Point(46, 10), new Point(25, 50)))) {
            List<Point> ts = hs.stream().map(h -> new Point(Math.min(h.x() + 7, 47), h.y() + 5)).toList();
            DragSession a = DragSession.fromSeed(half, 7, 0.7, NoiseMode.CONST, k2), b = DragSession.fromSeed(half, 7, 0.7, NoiseMode.CONST, k2);
            for (int i = 0; i < hs.size(); i++) {
                a.addPair(hs.get(i), ts.get(i));
                b.addPair(hs.get(i), ts.get(i));
            }
            b.useWindows(false);
            int windowed = 0;
            for (int n = 1; n <= 5; n++) {
                DragSession.StepResult ra = a.step(false), rb = b.step(false);
                if (a.lastStepWindows() != null) windowed++;
                assertEquals(rb.handles(), ra.handles(), hs + ", step " + n + ": tracked points");
                assertEquals(rb.loss(), ra.loss(), 1e-5 * Math.abs(rb.loss()) + 1e-12, hs + ", step " + n + ": loss");
                if (ra.done()) break;
            }
            assertTrue(windowed > 0, hs + ": no step computed a window");
            Golden.assertClose(hs + ": w+", b.ws(), a.ws(), 1e-4);
        }
    }

    @Test void stepsThatReadTheWholeMapRunWhole() {
        DragConfig k2 = CFG.withFeatureBlock(32);
        DragSession s = session(k2, List.of(new Point(30, 33)), List.of(new Point(40, 36)), true);
        s.step(false);
        assertNotNull(s.lastStepWindows(), "the capturing step reads F only at and around its handle too");
        s.step(false);
        List<Generator.Window> w = s.lastStepWindows();
        assertNotNull(w, "the second step reads only around its handle");
        assertEquals(1, w.size());
        assertTrue(w.get(0).height() < 32 && w.get(0).width() < 32, w.toString());
        s.step(true);
        assertNull(s.lastStepWindows(), "a step that makes its image runs whole maps");
        Mask m = Mask.allFixed(64);
        s.setMask(m.withBrush(30, 33, 10, true));
        s.step(false);
        assertNull(s.lastStepWindows(), "the mask term reads the whole map");
        // handles in opposite corners: one rectangle each, not their bounding box (the whole block)
        DragSession far = session(k2, List.of(new Point(2, 2), new Point(61, 61)), List.of(new Point(8, 8), new Point(55, 55)), true);
        far.step(false);
        far.step(false);
        List<Generator.Window> two = far.lastStepWindows();
        assertNotNull(two);
        assertEquals(2, Generator.Window.merged(two).size(), two.toString());
    }

    @Test void theRectangleCoversTheReachOfEveryHandle() {
        int h = 256, hb = 128, r1 = 2, r2 = 6;
        Generator.Window w = StepWindow.around(List.of(new Point(100, 40)), h, hb, r1, r2).get(0);
        int m = StepWindow.reach(r1, r2);
        // image columns 100 - m .. 100 + m need block columns floor((100 - m) / 2) - 1 .. ceil((100 + m) / 2) + 1
        assertTrue(w.x0() <= (100 - m) / 2 - 1 && w.x1() >= (100 + m + 1) / 2 + 1, w.toString());
        assertTrue(w.y0() <= (40 - m) / 2 - 1 && w.y1() >= (40 + m + 1) / 2 + 1, w.toString());
        assertTrue(w.width() <= 2 * m / 2 + 6, "no wider than needed: " + w);
        // the reach of a centre handle on a 32 px image covers the whole 16 px block: no window
        assertNull(StepWindow.around(List.of(new Point(16, 16)), 32, 16, 3, 6));
    }
}
