package io.github.dragganjvm.drag;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The optimisation state between drags, as the reference renderer keeps it (Adam and f0/F0 across Stop/Start,
 * f0/F0 recaptured on new points, everything anew on reset/undo/setWs), setWs as the reference's w0, RANDOM noise
 * drawn per forward, and the strict session file. On a small random model (32 px); every comparison is against a
 * second session built to hold the expected state (bit for bit) or against the generator called directly.
 */
class SessionStateTest {
    private static final Generator G = RandomModels.create(32, 512, 1);
    private static final DragConfig CFG = DragConfig.reference().withFeatureBlock(16).withLr(2e-3).withRadiiAt512(48, 96);
    private static final Mask MASK = Mask.allFixed(32).withFlexibleBox(4, 4, 28, 26);
    private static final SessionFile.ModelRef REF = new SessionFile.ModelRef("random:32", null, 32);

    private static DragSession session(NoiseMode noise) {
        DragSession s = DragSession.fromSeed(G, 3, 0.7, noise, CFG);
        s.addPair(new Point(10, 12), new Point(20, 14));
        return s;
    }

    private static List<DragSession.Start> starts(DragSession s) {
        return s.history().stream().map(DragSession.DragRecord::start).toList();
    }

    @Test void stopThenStartContinuesTheSameDrag() {
        DragSession split = session(NoiseMode.CONST), whole = session(NoiseMode.CONST);
        split.run(2, null);
        split.movePair(0, split.pairs().get(0).handle(), new Point(21, 14));   // only the target moves: the state stays
        whole.run(2, null);
        whole.movePair(0, whole.pairs().get(0).handle(), new Point(21, 14));
        whole.step(false);
        whole.step(false);
        whole.step(false);
        split.run(3, null);
        Golden.assertBitEqual("run(2) + run(3) against 5 steps of one drag", whole.ws(), split.ws());
        assertEquals(List.of(DragSession.Start.FRESH, DragSession.Start.CONTINUED), starts(split));
    }

    @Test void newPointsRecaptureTheReferencesButKeepAdam() {
        DragSession s = session(NoiseMode.CONST);
        s.setMask(MASK);                         // the mask term reads F0: its gradient shows which F0 the step used
        s.run(2, null);
        Tensor w2 = s.ws();
        List<DragSession.Pair> pairs = s.pairs();
        s.addPair(new Point(24, 24), new Point(18, 22));
        s.run(1, null);

        DragSession fresh = DragSession.fromWs(G, w2, NoiseMode.CONST, 3, CFG);      // F0, f0 from w2; a new Adam
        for (DragSession.Pair p : pairs) fresh.addPair(p.handle(), p.target());
        fresh.addPair(new Point(24, 24), new Point(18, 22));
        fresh.setMask(MASK);
        fresh.run(1, null);
        Golden.assertBitEqual("dL/dw after adding a pair: F0 and f0 recaptured from the current features", fresh.lastGradient(), s.lastGradient());
        assertEquals(fresh.pairs(), s.pairs());
        double moved = Golden.diff(fresh.ws(), s.ws()).maxAbs();
        System.out.printf("w+ after the step: continued Adam vs a new one differ by %.3g%n", moved);
        assertTrue(moved > 1e-4, "Adam continued (its third step is not a first step): " + moved);
        assertEquals(List.of(DragSession.Start.FRESH, DragSession.Start.NEW_FEATURES), starts(s));
    }

    @Test void undoStartsAdamAndTheReferencesAnew() {
        DragSession s = session(NoiseMode.CONST);
        s.run(3, null);
        Tensor w1 = s.ws();
        List<DragSession.Pair> pairs = s.pairs();
        s.run(2, null);
        assertTrue(s.undo());
        s.run(2, null);
        DragSession fresh = DragSession.fromWs(G, w1, NoiseMode.CONST, 3, CFG);
        for (DragSession.Pair p : pairs) fresh.addPair(p.handle(), p.target());
        fresh.run(2, null);
        Golden.assertBitEqual("after undo, a drag as from a new session", fresh.ws(), s.ws());
        assertEquals(List.of(DragSession.Start.FRESH, DragSession.Start.FRESH), starts(s));
    }

    @Test void replayRebuildsContinuedNewAndUndoneDrags() {
        for (NoiseMode noise : List.of(NoiseMode.CONST, NoiseMode.RANDOM)) {
            DragSession s = session(noise);
            s.setMask(MASK);
            s.run(2, null);
            s.run(2, null);                       // continued
            s.addPair(new Point(24, 24), new Point(18, 22));
            s.run(2, null);                       // new features
            s.run(1, null);                       // continued, then undone
            assertTrue(s.undo());
            s.run(2, null);                       // fresh
            s.setConfig(CFG.withLr(5e-3));
            s.run(1, null);                       // continued with the new lr
            String json = SessionFile.toJson(s, REF, 3L, 0.7);
            DragSession r = SessionFile.replay(SessionFile.parse(json), G, null);
            assertEquals(starts(s), starts(r), noise + ": starts");
            assertEquals(List.of(DragSession.Start.FRESH, DragSession.Start.CONTINUED, DragSession.Start.NEW_FEATURES,
                    DragSession.Start.FRESH, DragSession.Start.CONTINUED), starts(s));
            Golden.assertBitEqual(noise + ": replayed w+", s.ws(), r.ws());
            assertEquals(s.noiseDraws(), r.noiseDraws());
            assertEquals(json.replace("\"steps\" : " + s.totalSteps(), "\"steps\" : " + r.totalSteps()), SessionFile.toJson(r, REF, 3L, 0.7));
        }
    }

    @Test void aFileThatContinuesNothingIsRefused() throws Exception {
        DragSession s = session(NoiseMode.CONST);
        s.run(2, null);
        s.addPair(new Point(24, 24), new Point(18, 22));
        s.run(1, null);
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(SessionFile.toJson(s, REF, 3L, 0.7));
        ((ObjectNode) root.get("drags").get(1)).put("start", "continued");    // the handles differ from where drag 1 ended
        var e = assertThrows(IllegalArgumentException.class, () -> SessionFile.replay(SessionFile.parse(root.toString()), G, null));
        assertTrue(e.getMessage().startsWith("session file: drag 2 continues"), e.getMessage());
        ((ObjectNode) root.get("drags").get(0)).put("start", "continued");
        e = assertThrows(IllegalArgumentException.class, () -> SessionFile.parse(root.toString()));
        assertEquals("session file: the first drag must start fresh", e.getMessage());
    }

    @Test void setWsMakesTheImportedWPlusTheStart() {
        Tensor imported = DragSession.fromSeed(G, 9, 0.5, NoiseMode.CONST, CFG).ws();
        Ops.copyInto(Ops.scale(imported.sliceView(1, 6, 8), 1.5), imported.sliceView(1, 6, 8));  // rows 6+ unlike anything of seed 3
        DragSession s = session(NoiseMode.CONST);
        s.run(2, null);
        s.setWs(imported);
        Golden.assertBitEqual("w0 after setWs", imported, s.w0());
        assertTrue(s.history().isEmpty());
        List<DragSession.Pair> atImport = s.pairs();
        s.run(2, null);
        Golden.assertBitEqual("rows 6+ after a step are the imported ones", imported.sliceView(1, 6, 8).copy(), s.ws().sliceView(1, 6, 8).copy());
        DragSession fresh = DragSession.fromWs(G, imported, NoiseMode.CONST, 3, CFG);
        for (DragSession.Pair p : atImport) fresh.addPair(p.handle(), p.target());
        fresh.run(2, null);
        Golden.assertBitEqual("a drag after setWs equals one on a session made from that w+", fresh.ws(), s.ws());
        s.reset();
        Golden.assertBitEqual("reset returns to the imported w+", imported, s.ws());
    }

    /** RandomModels' 32 px generator with noise strengths 0.5 instead of 0, so that noise shows in the image. */
    private static final Generator NOISY = noisy();

    private static Generator noisy() {
        var cfg = RandomModels.config(32, 512);
        java.util.Map<String, Tensor> p = new java.util.LinkedHashMap<>();
        long seed = 11;
        for (var e : cfg.requiredShapes().entrySet()) {
            String name = e.getKey();
            if (name.endsWith(".bias") && name.contains(".affine.")) p.put(name, Tensor.full(io.github.dragganjvm.tensor.DType.F32, 1, e.getValue()));
            else if (name.endsWith("noise_strength")) p.put(name, Tensor.full(io.github.dragganjvm.tensor.DType.F32, 0.5, e.getValue()));
            else if (name.endsWith(".bias") || name.equals("mapping.w_avg")) p.put(name, Tensor.zeros(io.github.dragganjvm.tensor.DType.F32, e.getValue()));
            else p.put(name, Ops.scale(Tensor.randn(io.github.dragganjvm.tensor.DType.F32, seed++, e.getValue()), name.startsWith("mapping.fc") ? 100 : 1));
        }
        return new Generator(cfg, p);
    }

    @Test void randomNoiseIsDrawnAnewForEveryForwardAndReproducible() {
        DragSession s = DragSession.fromSeed(NOISY, 3, 0.7, NoiseMode.RANDOM, CFG);
        s.addPair(new Point(10, 12), new Point(20, 14));
        List<Tensor> before = new ArrayList<>(List.of(s.ws()));
        List<Tensor> images = new ArrayList<>();
        Tensor preview = s.image();
        Golden.assertBitEqual("image() draws nothing", preview, s.image());
        assertEquals(0, s.noiseDraws());
        s.run(3, new DragSession.StepListener() {
            @Override public void onStep(DragSession.StepResult r) {
                images.add(r.image());
                before.add(s.ws());
            }

            @Override public boolean wantImage(int nextStep) { return true; }
        });
        assertEquals(3, s.noiseDraws());
        for (int k = 0; k < 3; k++) {
            Tensor own = render(before.get(k), DragSession.forwardNoiseSeed(3, k));
            Tensor next = render(before.get(k), DragSession.forwardNoiseSeed(3, k + 1));
            double dOwn = Golden.diff(own, images.get(k)).maxAbs(), dNext = Golden.diff(next, images.get(k)).maxAbs();
            System.out.printf("step %d: image vs forward %d's noise %.3g, vs forward %d's %.3g%n", k + 1, k, dOwn, k + 1, dNext);
            assertTrue(dOwn <= 1e-5, "step " + (k + 1) + " draws noise number " + k + ": " + dOwn);
            assertTrue(dNext > 1e-2, "noise differs between forwards: " + dNext);
        }
        Golden.assertClose("the first step's image is the preview before it", preview, images.get(0), 1e-5);
        DragSession again = DragSession.fromSeed(NOISY, 3, 0.7, NoiseMode.RANDOM, CFG);
        again.addPair(new Point(10, 12), new Point(20, 14));
        again.run(3, null);
        Golden.assertBitEqual("the same seed gives the same run", s.ws(), again.ws());
    }

    private static Tensor render(Tensor ws, long noiseSeed) {
        try (var ng = GradMode.noGrad()) {
            return NOISY.synthesis(Var.constant(ws), new Generator.Request(NoiseMode.RANDOM, noiseSeed, Integer.MAX_VALUE, Generator.ImageMode.NO_GRAD, 0)).image().value();
        }
    }

    // ------------------------------------------------------------------ strict session files

    private static String validJson() {
        DragSession s = session(NoiseMode.CONST);
        s.run(1, null);
        return SessionFile.toJson(s, new SessionFile.ModelRef("SECRET-source", null, 32), 3L, 0.7);
    }

    private static void refused(String why, String json, String expectedStart) {
        var e = assertThrows(IllegalArgumentException.class, () -> SessionFile.parse(json), why);
        System.out.println(why + " -> " + e.getMessage());
        assertTrue(e.getMessage().startsWith(expectedStart), why + ": " + e.getMessage());
        assertFalse(e.getMessage().contains("SECRET"), why + ": the message quotes the file: " + e.getMessage());
    }

    private static String edit(String json, UnaryOperator<ObjectNode> f) {
        try {
            return f.apply((ObjectNode) new ObjectMapper().readTree(json)).toString();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test void sessionFilesAreParsedStrictly() {
        String ok = validJson();
        SessionFile.parse(ok);
        refused("duplicate key", ok.replaceFirst("\"noise\" : \"const\"", "\"noise\" : \"const\", \"noise\" : \"random\""), "session file: a key appears twice");
        refused("duplicate key inside config", ok.replaceFirst("\"lr\" : ", "\"lr\" : 0.5, \"lr\" : "), "session file: a key appears twice");
        refused("string for a number", edit(ok, r -> { ((ObjectNode) r.get("config")).put("lr", "0.001"); return r; }), "session file: 'lr' must be a number");
        refused("string for an integer", edit(ok, r -> r.put("noiseSeed", "7")), "session file: 'noiseSeed' must be an integer");
        refused("fraction for an integer", edit(ok, r -> { ((ObjectNode) r.get("drags").get(0)).put("steps", 2.5); return r; }), "session file: 'steps' must be an integer");
        refused("1e400", ok.replaceFirst("\"lambdaMask\" : [0-9.eE+-]+", "\"lambdaMask\" : 1e400"), "session file: 'lambdaMask' must be a finite number");
        refused("radius out of range", edit(ok, r -> { ((ObjectNode) r.get("config")).put("r1At512", 1e300); return r; }), "session file: 'r1At512' must be a finite number");
        refused("unknown key", edit(ok, r -> r.put("SECRET-key", 1)), "session file: the file holds a key that is not one of");
        refused("unknown key in a drag", edit(ok, r -> { ((ObjectNode) r.get("drags").get(0)).put("SECRET", 1); return r; }), "session file: drag 1 holds a key");
        refused("NaN token", ok.replaceFirst("\"psi\" : [0-9.]+", "\"psi\" : NaN"), "session file: not valid JSON (line");
        refused("bad format", edit(ok, r -> r.put("format", "SECRET-format")), "session file: 'format' is not");
        refused("bad noise", edit(ok, r -> r.put("noise", "SECRET-noise")), "session file: 'noise' must be");
        refused("bad tracker", edit(ok, r -> { ((ObjectNode) r.get("config")).put("tracker", "SECRET"); return r; }), "session file: 'tracker' must be");
        refused("bad sha256", edit(ok, r -> { ((ObjectNode) r.get("model")).put("sha256", "SECRET"); return r; }), "session file: 'sha256' must be 64");
        refused("trailing garbage", ok + " SECRET", "session file: not valid JSON");
        refused("a point out of range", edit(ok, r -> { ((ObjectNode) r.get("pairs").get(0)).putArray("handle").add(1e9).add(3); return r; }), "session file: a point's coordinates");
    }
}
