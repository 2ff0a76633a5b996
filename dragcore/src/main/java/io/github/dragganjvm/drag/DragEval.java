package io.github.dragganjvm.drag;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How good is a drag, measured. Reproducible random drag cases (seeded), each run with every tracker:
 * <ul>
 * <li><b>tracker distance</b>: mean |p_i - t_i| at the end, where p_i is where the tracker believes the handle is;</li>
 * <li><b>independent distance</b>: mean |q_i - t_i| where q_i is the global nearest neighbour (L2) of the handle's
 *     initial feature f0_i over the whole final feature map, so a tracker cannot fool itself;</li>
 * <li>steps and seconds until the run ended;</li>
 * <li>the paper's <b>paired reconstruction</b> test: perturb w1 into w2, take 32 pixels of image 1 and their
 *     feature-matched positions in image 2 as handle/target pairs, drag from w1 and report the MSE of the result
 *     against image 2, next to the no-edit MSE (image 1 vs image 2).</li>
 * </ul>
 */
public final class DragEval {
    private DragEval() {}

    /** One random drag case. */
    public record Case(int index, long seed, List<Point> handles, List<Point> targets) {}

    /** The outcome of one case with one tracker. */
    public record Outcome(Case c, DragConfig.Tracker tracker, double trackerDistance, double independentDistance,
                          double startDistance, int steps, boolean converged, double seconds) {}

    /** The outcome of one paired-reconstruction case. */
    public record Reconstruction(long seed, DragConfig.Tracker tracker, double mseNoEdit, double mseAfter, int steps, double seconds) {}

    /**
     * Case i of a run seeded with seed0: image seed seed0 + i, 1 point for even i and 5 for odd i, handles at least
     * 16 px inside the image, targets 10-40 px away in a random direction (redrawn until inside).
     */
    public static Case randomCase(int i, long seed0, int res) { return randomCase(i, seed0, Frame.square(res)); }

    /**
     * The same on a generator's own frame (StyleGAN-Human: 128 wide, 256 tall): handles and targets are drawn inside
     * the frame (margin min(16, side / 8) from each side) and returned in the square a session works in
     * ({@link Frame#toSquare}); for a square frame this is {@link #randomCase(int, long, int)}.
     */
    public static Case randomCase(int i, long seed0, Frame frame) {
        SplittableRandom r = new SplittableRandom(seed0 * 1_000_003L + i);
        int n = i % 2 == 0 ? 1 : 5;
        int mx = Math.min(16, frame.width() / 8), my = Math.min(16, frame.height() / 8);
        List<Point> hs = new ArrayList<>(), ts = new ArrayList<>();
        while (hs.size() < n) {
            Point h = new Point(mx + r.nextInt(frame.width() - 2 * mx), my + r.nextInt(frame.height() - 2 * my));
            double dist = 10 + 30 * r.nextDouble(), ang = 2 * Math.PI * r.nextDouble();
            Point t = new Point(Math.round(h.x() + dist * Math.cos(ang)), Math.round(h.y() + dist * Math.sin(ang)));
            if (!frame.inside(t) || t.equals(h)) continue;
            hs.add(frame.toSquare(h));
            ts.add(frame.toSquare(t));
        }
        return new Case(i, seed0 + i, hs, ts);
    }

    /** Runs one case with one tracker (psi 0.7, noise const). */
    public static Outcome run(Generator g, Case c, DragConfig cfg, int maxSteps) {
        long t0 = System.nanoTime();
        DragSession s = DragSession.fromSeed(g, c.seed(), 0.7, NoiseMode.CONST, cfg);
        for (int i = 0; i < c.handles().size(); i++) s.addPair(c.handles().get(i), c.targets().get(i));
        Tensor f0 = features(g, s.ws(), cfg);                                  // [C, h, h]
        Frame frame = Frame.of(g);                                              // the search stays off the padding
        List<Tensor> refs = new ArrayList<>();
        for (Point p : c.handles()) {
            Point q = p.rounded();
            refs.add(f0.sliceView(1, (int) q.y(), (int) q.y() + 1).sliceView(2, (int) q.x(), (int) q.x() + 1).copy().reshapeView(-1));
        }
        DragSession.RunResult rr = s.run(maxSteps, null);
        double secs = (System.nanoTime() - t0) / 1e9;
        Tensor f1 = features(g, s.ws(), cfg);
        double trackerD = 0, indepD = 0, startD = 0;
        for (int i = 0; i < c.handles().size(); i++) {
            Point t = c.targets().get(i);
            trackerD += rr.pairs().get(i).handle().distance(t);
            indepD += nearest(f1, refs.get(i), frame).distance(t);
            startD += c.handles().get(i).distance(t);
        }
        int n = c.handles().size();
        return new Outcome(c, cfg.tracker(), trackerD / n, indepD / n, startD / n, rr.steps(), rr.reason() == DragSession.EndReason.CONVERGED, secs);
    }

    /**
     * Paired reconstruction: w2 = w1 with its first {@code cfg.optimizedRows()} rows moved by sigma * N(0, 1);
     * 32 random pixels p of image 1 (16 px inside the generator's own frame) and their nearest-feature positions in image 2 as targets.
     */
    public static Reconstruction reconstruction(Generator g, long seed, double sigma, DragConfig cfg, int maxSteps) {
        long t0 = System.nanoTime();
        Tensor w1 = g.mapping(g.z(seed), 0.7, -1);
        Tensor w2 = w1.copy();
        Tensor noise = Tensor.randn(w1.dtype(), seed * 31 + 7, 1, cfg.optimizedRows(), w1.size(2));
        Ops.copyInto(Ops.add(w2.sliceView(1, 0, cfg.optimizedRows()), Ops.scale(noise, sigma)), w2.sliceView(1, 0, cfg.optimizedRows()));
        Tensor f1 = features(g, w1, cfg), f2 = features(g, w2, cfg);
        Frame frame = Frame.of(g);                                              // pixels of the generator's own frame only
        int mx = Math.min(16, frame.width() / 8), my = Math.min(16, frame.height() / 8);
        SplittableRandom r = new SplittableRandom(seed);
        DragSession s = DragSession.fromWs(g, w1, NoiseMode.CONST, seed, cfg);
        int added = 0;
        for (int tries = 0; added < 32 && tries < 1000; tries++) {
            Point p = frame.toSquare(new Point(mx + r.nextInt(frame.width() - 2 * mx), my + r.nextInt(frame.height() - 2 * my)));
            Tensor f = f1.sliceView(1, (int) p.y(), (int) p.y() + 1).sliceView(2, (int) p.x(), (int) p.x() + 1).copy().reshapeView(-1);
            Point t = nearest(f2, f, frame);
            if (t.equals(p)) continue;                                          // a pixel that does not move is no pair
            s.addPair(p, t);
            added++;
        }
        Tensor img1 = s.image(), img2;
        try (var ng = GradMode.noGrad()) {
            img2 = g.synthesis(Var.constant(w2), new Generator.Request(NoiseMode.CONST, seed, Integer.MAX_VALUE, Generator.ImageMode.NO_GRAD, 0)).image().value();
        }
        double before = mse(img1, img2);
        DragSession.RunResult rr = added == 0 ? new DragSession.RunResult(0, DragSession.EndReason.CONVERGED, List.of()) : s.run(maxSteps, null);
        double after = mse(s.image(), img2);
        return new Reconstruction(seed, cfg.tracker(), before, after, rr.steps(), (System.nanoTime() - t0) / 1e9);
    }

    /** The resized feature map [C, h, h] of a w+ (no gradient). */
    static Tensor features(Generator g, Tensor ws, DragConfig cfg) {
        try (var ng = GradMode.noGrad()) {
            Generator.Output out = g.synthesis(Var.constant(ws), new Generator.Request(NoiseMode.CONST, 0, cfg.featureBlockRes(), Generator.ImageMode.NONE, 0));
            return new FeatureMap(out.feature(g, cfg.featureBlockRes()), g.resolution(), false).full().value().selectView(0, 0);
        }
    }

    /**
     * Global nearest neighbour (L2, first in row-major order on ties) of f [C] in feat [C, h, h] over the generator's
     * own frame (columns padLeft .. padLeft + width - 1; all of it for a square model), in the square's coordinates.
     */
    static Point nearest(Tensor feat, Tensor f, Frame frame) {
        Tensor d = Ops.windowDistances(feat, f, 0, feat.size(1), frame.padLeft(), frame.padLeft() + frame.width());
        int i = Ops.argmin(d);
        return new Point(frame.padLeft() + i % frame.width(), i / frame.width());
    }

    /** Mean squared error of two images in [-1, 1] units scaled as the paper's tables (x in [0, 1]). */
    static double mse(Tensor a, Tensor b) {
        Tensor d = Ops.scale(Ops.sub(a.copyAs(DType.F64), b.copyAs(DType.F64)), 0.5);
        return Ops.mean(Ops.square(d), false).item();
    }
}
