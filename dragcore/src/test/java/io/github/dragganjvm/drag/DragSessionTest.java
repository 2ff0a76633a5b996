package io.github.dragganjvm.drag;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** Session behaviour on a small random model: validation, undo, reset, stop, export and replay. */
class DragSessionTest {
    private static final Generator G = RandomModels.create(32, 512, 1);
    // radii scaled so that a 32 px image gets r1 = 3, r2 = 6 (the reference's 3 and 12 at 512 px would round to 0 and 1)
    private static final DragConfig CFG = DragConfig.reference().withFeatureBlock(16).withLr(2e-3).withRadiiAt512(48, 96);

    private static DragSession session() {
        DragSession s = DragSession.fromSeed(G, 3, 0.7, NoiseMode.CONST, CFG);
        s.addPair(new Point(10, 12), new Point(20, 14));
        return s;
    }

    @Test void badPairsAreRefusedWithoutChangingState() {
        DragSession s = session();
        var off = assertThrows(IllegalArgumentException.class, () -> s.addPair(new Point(32, 3), new Point(5, 5)));
        assertTrue(off.getMessage().contains("off the image"), off.getMessage());
        var same = assertThrows(IllegalArgumentException.class, () -> s.addPair(new Point(5, 5), new Point(5.2, 4.9)));
        assertTrue(same.getMessage().contains("equals its handle"), same.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Point(Double.NaN, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> s.removePair(3));
        assertThrows(IllegalArgumentException.class, () -> s.setMask(Mask.allFixed(16)));
        assertEquals(1, s.pairs().size());
    }

    @Test void undoRestoresWsAndHandlesResetRestoresTheStart() {
        DragSession s = session();
        var w0 = s.ws();
        s.run(3, null);
        var w1 = s.ws();
        assertTrue(Golden.diff(w0, w1).maxAbs() > 0, "a drag moves w+");
        s.run(2, null);
        assertTrue(s.undo());
        Golden.assertBitEqual("undo returns to the w+ after the first drag", w1, s.ws());
        assertTrue(s.undo());
        Golden.assertBitEqual("second undo returns to the start", w0, s.ws());
        assertFalse(s.undo(), "nothing left to undo");
        s.run(2, null);
        s.reset();
        Golden.assertBitEqual("reset returns to the start", w0, s.ws());
        assertEquals(new Point(10, 12), s.pairs().get(0).handle());
        assertTrue(s.history().isEmpty());
    }

    @Test void stopFromAnotherThreadEndsTheRun() throws Exception {
        DragSession s = session();
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        AtomicReference<DragSession.StepResult> firstStep = new AtomicReference<>();
        AtomicReference<DragSession.RunResult> result = new AtomicReference<>();
        // The listener holds the run inside its first step until this thread has tried an edit and asked for the stop,
        // so the run cannot converge or finish in between (a free-running drag could reach its target first).
        Thread t = new Thread(() -> result.set(s.run(10_000, r -> {
            if (firstStep.compareAndSet(null, r)) {
                first.countDown();
                try { checked.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            }
        })));
        t.start();
        first.await();
        assertTrue(s.isRunning());
        assertThrows(IllegalStateException.class, () -> s.addPair(new Point(1, 1), new Point(3, 3)), "editing while running is refused");
        s.stop();
        checked.countDown();
        t.join(60_000);
        assertFalse(t.isAlive());
        assertFalse(firstStep.get().done(), "the handle cannot reach a target 10 px away in one step (window r2 = 6)");
        assertEquals(DragSession.EndReason.STOPPED, result.get().reason());
        assertEquals(1, result.get().steps(), "the stop takes effect before the second step");
        assertFalse(s.isRunning());
        s.addPair(new Point(1, 1), new Point(3, 3));                  // allowed again after the stop
        assertEquals(2, s.pairs().size());
    }

    @Test void sessionJsonReplaysToTheSameResult() {
        DragSession s = session();
        s.setMask(Mask.allFixed(32).withFlexibleBox(4, 4, 28, 24));
        s.run(4, null);
        s.clearPairs();
        s.addPair(new Point(25, 25), new Point(18, 20));
        s.run(3, null);
        SessionFile.ModelRef ref = new SessionFile.ModelRef("random:32", null, 32);
        String json = SessionFile.toJson(s, ref, 3L, 0.7);
        SessionFile.State st = SessionFile.parse(json);
        assertEquals(2, st.drags().size());
        DragSession r = SessionFile.replay(st, G, null);
        Golden.assertBitEqual("replayed w+", s.ws(), r.ws());
        Golden.assertBitEqual("replayed image", s.image(), r.image());
        assertEquals(s.pairs(), r.pairs());
        assertEquals(json, SessionFile.toJson(r, ref, 3L, 0.7), "the replayed session serialises identically");
    }

    @Test void malformedSessionFilesGiveClearErrors() {
        for (String bad : List.of("{", "[]", "{\"format\": \"other\"}", "{\"format\": \"draggan-session/1\"}")) {
            var e = assertThrows(IllegalArgumentException.class, () -> SessionFile.parse(bad));
            assertTrue(e.getMessage().startsWith("session file"), e.getMessage());
        }
    }

    @Test void convergesAndStopsWhenHandlesArrive() {
        DragSession s = DragSession.fromSeed(G, 3, 0.7, NoiseMode.CONST, CFG);
        s.addPair(new Point(10, 12), new Point(11, 13));                    // already within the stop distance
        DragSession.RunResult r = s.run(50, null);
        assertEquals(DragSession.EndReason.CONVERGED, r.reason());
        assertEquals(1, r.steps());
    }

    @Test void templateTrackerRunsAndReplays() {
        DragSession s = DragSession.fromSeed(G, 4, 0.7, NoiseMode.CONST, CFG.withTracker(DragConfig.Tracker.TEMPLATE));
        s.addPair(new Point(8, 20), new Point(20, 10));
        s.run(4, null);
        SessionFile.ModelRef ref = new SessionFile.ModelRef("random:32", null, 32);
        DragSession r = SessionFile.replay(SessionFile.parse(SessionFile.toJson(s, ref, 4L, 0.7)), G, null);
        assertEquals(DragConfig.Tracker.TEMPLATE, r.config().tracker());
        Golden.assertBitEqual("template-tracker replay", s.ws(), r.ws());
    }

    @Test void maskRunLengthsRoundTrip() {
        Mask m = Mask.allFixed(20).withFlexibleBox(2, 3, 9, 17).withBrush(15, 15, 3.5, true).withBrush(4, 4, 1, false);
        assertEquals(m, Mask.fromRunLengths(20, m.runLengths()));
        assertTrue(m.hasBothValues());
        assertFalse(Mask.allFixed(20).hasBothValues());
    }
}
