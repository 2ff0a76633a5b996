package io.github.dragganjvm.drag;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session whose config changes between drags (the editor lets users change lr, lambda and the tracker): every
 * finished drag keeps its own config, the session file records it, and replaying the file gives the same w+. On a
 * small random model (64 px, channel base 1024, features of block 64).
 */
class SessionConfigTest {
    static Generator g;
    static final DragConfig BASE = DragConfig.reference().fittedTo(64).withLr(2e-3).withRadiiAt512(16, 24);

    @BeforeAll
    static void model() {
        g = RandomModels.create(64, 1024, 0);
    }

    static DragSession twoDrags() {
        DragSession s = DragSession.fromSeed(g, 3, 0.7, NoiseMode.CONST, BASE);
        s.addPair(new Point(20, 30), new Point(36, 30));
        s.run(4, null);
        s.setConfig(BASE.withLr(5e-3).withLambda(7).withTracker(DragConfig.Tracker.TEMPLATE));
        s.clearPairs();
        s.addPair(new Point(30, 20), new Point(30, 40));
        s.setMask(Mask.allFixed(64).withFlexibleBox(10, 10, 50, 50));
        s.run(3, null);
        return s;
    }

    @Test
    void anUnfittedConfigIsRefusedWithAMessageNamingTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DragSession.fromSeed(g, 3, 0.7, NoiseMode.CONST, DragConfig.reference()));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().contains("feature block (128 px) is larger than this 64 px model"), e.getMessage());
        assertTrue(e.getMessage().contains("fittedTo(64)"), "the message names the fix: " + e.getMessage());
        DragSession s = DragSession.fromSeed(g, 3, 0.7, NoiseMode.CONST, DragConfig.reference().fittedTo(g.resolution()));
        assertEquals(64, s.config().featureBlockRes(), "the fix the message names works");
        IllegalArgumentException set = assertThrows(IllegalArgumentException.class, () -> s.setConfig(DragConfig.reference()));
        assertTrue(set.getMessage().contains("fittedTo(64)"), set.getMessage());
    }

    @Test
    void eachDragKeepsItsConfigAndReplaysExactly() {
        DragSession s = twoDrags();
        assertEquals(2, s.history().size());
        assertEquals(BASE, s.history().get(0).config());
        assertEquals(5e-3, s.history().get(1).config().lr());
        assertEquals(DragConfig.Tracker.TEMPLATE, s.config().tracker());

        String json = SessionFile.toJson(s, new SessionFile.ModelRef("random:64:1024", null, 64), 3L, 0.7);
        SessionFile.State st = SessionFile.parse(json);
        assertEquals(BASE, st.drags().get(0).config());
        assertEquals(s.history().get(1).config(), st.drags().get(1).config());
        DragSession r = SessionFile.replay(st, g, null);
        assertArrayEquals(s.ws().toFloatArray(), r.ws().toFloatArray(), "replay with the per-drag configs gives the same w+");
        assertEquals(s.config(), r.config());

        // the same file replayed with one config throughout gives another w+ (so the per-drag config matters)
        DragSession one = SessionFile.replay(new SessionFile.State(st.model(), st.seed(), st.psi(), st.noise(), st.noiseSeed(), st.ws0(), st.config(),
                st.drags().stream().map(d -> new DragSession.DragRecord(d.handles(), d.targets(), d.mask(), d.steps(), d.reason(), BASE)).toList(),
                st.pairs(), st.mask(), st.steps()), g, null);
        assertFalse(java.util.Arrays.equals(s.ws().toFloatArray(), one.ws().toFloatArray()));
    }

    @Test
    void filesWithoutPerDragConfigUseTheTopLevelOne() throws Exception {
        DragSession s = DragSession.fromSeed(g, 3, 0.7, NoiseMode.CONST, BASE);
        s.addPair(new Point(20, 30), new Point(36, 30));
        s.run(3, null);
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(SessionFile.toJson(s, new SessionFile.ModelRef("random:64:1024", null, 64), 3L, 0.7));
        for (var d : (ArrayNode) root.get("drags")) ((ObjectNode) d).remove("config");
        SessionFile.State st = SessionFile.parse(root.toString());
        assertEquals(BASE, st.drags().get(0).config());
        assertArrayEquals(s.ws().toFloatArray(), SessionFile.replay(st, g, null).ws().toFloatArray());
    }

    @Test
    void setConfigIsCheckedAndRefusedWhileRunning() throws Exception {
        DragSession s = DragSession.fromSeed(g, 3, 0.7, NoiseMode.CONST, BASE);
        assertThrows(IllegalArgumentException.class, () -> s.setConfig(BASE.withFeatureBlock(128)), "no 128 block in a 64 px model");
        assertThrows(IllegalArgumentException.class, () -> s.setConfig(BASE.withOptimizedRows(99)));
        assertEquals(BASE, s.config());
        s.addPair(new Point(20, 30), new Point(36, 30));
        CountDownLatch inFirstStep = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        // the run waits inside its first step's listener until the check is done, so it cannot converge before it
        Thread t = new Thread(() -> s.run(100_000, r -> {
            if (inFirstStep.getCount() > 0) {
                inFirstStep.countDown();
                try { checked.await(); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); }
            }
        }));
        t.start();
        inFirstStep.await();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.setConfig(BASE.withLr(1e-2)));
        assertTrue(e.getMessage().contains("running"));
        s.stop();
        checked.countDown();
        t.join();
        assertEquals(BASE, s.config());
    }

    @Test
    void badEndReasonNamesTheField() throws Exception {
        DragSession s = twoDrags();
        String json = SessionFile.toJson(s, new SessionFile.ModelRef("random:64:1024", null, 64), 3L, 0.7).replace("\"MAX_STEPS\"", "\"FINISHED\"");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SessionFile.parse(json));
        assertTrue(e.getMessage().contains("'end'"), e.getMessage());
    }

    /**
     * ORIGINAL supervision: it changes the drag (another w+ than the reference's after a few steps: past the first
     * step the two losses differ), the session file records it, replaying gives the same w+, and a file written
     * before the field existed reads as REFERENCE.
     */
    @Test
    void originalSupervisionIsRecordedAndReplays() throws Exception {
        DragConfig orig = BASE.withSupervision(DragConfig.Supervision.ORIGINAL);
        DragSession s = DragSession.fromSeed(g, 3, 0.7, NoiseMode.CONST, orig), r = DragSession.fromSeed(g, 3, 0.7, NoiseMode.CONST, BASE);
        for (DragSession x : new DragSession[]{s, r}) {
            x.addPair(new Point(20, 30), new Point(36, 30));
            x.run(5, null);
        }
        assertFalse(java.util.Arrays.equals(s.ws().toFloatArray(), r.ws().toFloatArray()), "ORIGINAL must change the drag");

        String json = SessionFile.toJson(s, new SessionFile.ModelRef("random:64:1024", null, 64), 3L, 0.7);
        assertTrue(json.contains("\"supervision\" : \"original\"") || json.contains("\"supervision\":\"original\""), json);
        SessionFile.State st = SessionFile.parse(json);
        assertEquals(orig, st.drags().get(0).config());
        assertArrayEquals(s.ws().toFloatArray(), SessionFile.replay(st, g, null).ws().toFloatArray());

        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(SessionFile.toJson(r, new SessionFile.ModelRef("random:64:1024", null, 64), 3L, 0.7));
        ((ObjectNode) root.get("config")).remove("supervision");
        for (var d : (ArrayNode) root.get("drags")) ((ObjectNode) d.get("config")).remove("supervision");
        assertEquals(DragConfig.Supervision.REFERENCE, SessionFile.parse(root.toString()).config().supervision());

        ((ObjectNode) root.get("config")).put("supervision", "sideways");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SessionFile.parse(root.toString()));
        assertTrue(e.getMessage().contains("supervision"), e.getMessage());
    }
}
