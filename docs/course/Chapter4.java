// Chapter 4 of the course: DragGAN's motion supervision, point tracking, mask term and Adam, then a drag.
// Run: docs/course/run.sh 4 [FIGURE_DIR]   (see docs/course/README.md). One PASS line per checked formula; exits 1 on a FAIL.

import io.github.dragganjvm.autograd.Adam;
import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.FeatureMap;
import io.github.dragganjvm.drag.Mask;
import io.github.dragganjvm.drag.MotionSupervision;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.drag.PointTracker;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.io.BuiltinModels;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class Chapter4 {
    static int failures = 0;

    static void check(String label, double err, double tol) {
        boolean ok = err <= tol;
        if (!ok) failures++;
        System.out.printf("%s %s  (error %.3g, tolerance %.1g)%n", ok ? "PASS" : "FAIL", label, err, tol);
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) return Double.NaN;
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    static double maxAbs(Tensor a) {
        double m = 0;
        for (double v : a.toDoubleArray()) m = Math.max(m, Math.abs(v));
        return m;
    }

    /**
     * The model the CLI uses when --model is absent: the built-in 64 px generator this project trained on cartoon
     * faces (BuiltinModels, a safetensors file inside the library's jar).
     */
    static Generator defaultModel() throws Exception {
        Checkpoint c = BuiltinModels.load(BuiltinModels.TOY_FACES_64);
        System.out.println("  model: builtin:" + BuiltinModels.TOY_FACES_64 + " (" + c.config().imgResolution() + " px, the CLI default)");
        return new Generator(c.config(), c.params());
    }

    /** F(x, y) of a [1, C, h, h] map at a real position, bilinear, zero outside: the scalar definition. */
    static double bilinear(Tensor f, int c, double x, double y) {
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
        double ax = x - x0, ay = y - y0, s = 0;
        for (int dy = 0; dy <= 1; dy++) for (int dx = 0; dx <= 1; dx++) {
            int xx = x0 + dx, yy = y0 + dy;
            if (xx < 0 || yy < 0 || xx >= f.size(3) || yy >= f.size(2)) continue;
            s += (dx == 1 ? ax : 1 - ax) * (dy == 1 ? ay : 1 - ay) * f.get(0, c, yy, xx);
        }
        return s;
    }

    public static void main(String[] args) throws Exception {
        Path figs = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("course-ch4");
        Files.createDirectories(figs);
        System.out.println("Chapter 4: DragGAN");
        Generator g = defaultModel();
        int h = g.resolution();
        DragConfig cfg = DragConfig.reference().fittedTo(h);
        int fb = cfg.featureBlockRes();
        long seed = 7;
        Tensor ws0 = g.mapping(g.z(seed), 0.7, -1);                                     // [1, numWs, w_dim]
        System.out.printf("  %d px, w+ [1, %d, %d], feature block b%d with %d channels; reference radii at %d px: r1 = %d, r2 = %d, stop %.2f px%n",
                h, g.numWs(), g.wDim(), fb, g.channels(fb), h, cfg.r1(h), cfg.r2(h), cfg.stopDistance(h));

        // ---------------------------------------------------------------- the feature map F and the disc
        Var wsP = Var.param(ws0.copy());
        Generator.Request req = new Generator.Request(NoiseMode.CONST, seed, fb, Generator.ImageMode.NONE, fb);
        Var block = g.synthesis(wsP, req).feature(g, fb);                              // [1, C, fb, fb]
        FeatureMap fmap = new FeatureMap(block, h, true);
        Tensor F = fmap.full().value();                                                  // [1, C, h, h]
        int C = F.size(1);
        DragConfig wide = cfg.withRadiiAt512(3.0 * 512 / h, cfg.r2At512());            // r1 = 3 px, for a disc worth drawing
        int r1 = wide.r1(h);
        Point p = new Point(Math.round(h * 0.4), Math.round(h * 0.5)), t = new Point(p.x() + 9, p.y() - 4);
        int[][] disc = MotionSupervision.disc(p, r1, h);
        int count = 0;
        double step = (double) h / (h - 1);
        for (int i = 0; i < h; i++) for (int j = 0; j < h; j++) if (Math.hypot(i * step - p.y(), j * step - p.x()) < r1) count++;
        System.out.println("  handle p = " + p + ", target t = " + t + ", disc of radius " + r1 + ": " + disc[0].length + " pixels");
        check("4.1 the disc is {q : |q - p| < r1} (on the reference's h/(h-1) grid)", Math.abs(count - disc[0].length), 0);

        // ---------------------------------------------------------------- the motion loss by hand
        double dxv = t.x() - p.x(), dyv = t.y() - p.y(), norm = Math.hypot(dxv, dyv);
        double ux = dxv / (norm + 1e-7), uy = dyv / (norm + 1e-7);                       // the unit direction d
        int n = disc[0].length;
        double lossHand = 0;
        double[][][] gradHand = new double[C][h][h];
        double[] posGradX = new double[n];
        for (int k = 0; k < n; k++) {
            int qi = disc[0][k], qj = disc[1][k];
            double sx = qj + ux, sy = qi + uy;
            int x0 = (int) Math.floor(sx), y0 = (int) Math.floor(sy);
            double ax = sx - x0, ay = sy - y0;
            for (int c = 0; c < C; c++) {
                double diff = bilinear(F, c, sx, sy) - F.get(0, c, qi, qj);             // F(q + d) - stopgrad F(q)
                lossHand += Math.abs(diff) / (C * n);
                double sg = Math.signum(diff) / (C * n);
                gradHand[c][y0][x0] += sg * (1 - ax) * (1 - ay);                         // the four bilinear taps
                gradHand[c][y0][x0 + 1] += sg * ax * (1 - ay);
                gradHand[c][y0 + 1][x0] += sg * (1 - ax) * ay;
                gradHand[c][y0 + 1][x0 + 1] += sg * ax * ay;
            }
        }
        Var fParam = Var.param(F.copy());
        Var loss = MotionSupervision.loss(new FeatureMap(fParam, h, true), List.of(p), List.of(t), wide);
        System.out.printf("  L = mean_{c, q} |F(q + d) - F(q)| = %.7f by hand, %.7f by MotionSupervision%n", lossHand, loss.value().item());
        check("4.2 motion loss = mean over channels and disc of |F(q + d) - sg(F(q))|, d = (t - p) / |t - p|", Math.abs(lossHand - loss.value().item()) / lossHand, 1e-5);
        loss.backward();
        Tensor gh = Tensor.zeros(DType.F64, 1, C, h, h);
        for (int c = 0; c < C; c++) for (int y = 0; y < h; y++) for (int x = 0; x < h; x++) if (gradHand[c][y][x] != 0) gh.set(gradHand[c][y][x], 0, c, y, x);
        check("4.3 dL/dF = sign(F(q + d) - F(q)) / (C n) spread on the 4 bilinear taps of q + d, nothing at q itself", maxAbsDiff(fParam.grad(), gh) * C * n, 1e-4);

        // the bilinear sample's derivative in its position: dF/dx = (1 - ay)(F01 - F00) + ay (F11 - F10)
        int q0i = disc[0][0], q0j = disc[1][0];
        double sx = q0j + ux, sy = q0i + uy;
        int x0 = (int) Math.floor(sx), y0 = (int) Math.floor(sy);
        double ax = sx - x0, ay = sy - y0;
        Tensor Fc = F.sliceView(1, 0, 1).copy();                                          // channel 0, [1, 1, h, h]
        double dFdx = (1 - ay) * (Fc.get(0, 0, y0, x0 + 1) - Fc.get(0, 0, y0, x0)) + ay * (Fc.get(0, 0, y0 + 1, x0 + 1) - Fc.get(0, 0, y0 + 1, x0));
        double dFdy = (1 - ax) * (Fc.get(0, 0, y0 + 1, x0) - Fc.get(0, 0, y0, x0)) + ax * (Fc.get(0, 0, y0 + 1, x0 + 1) - Fc.get(0, 0, y0, x0 + 1));
        Tensor grid = Tensor.of(new float[]{(float) (sx / (h - 1) * 2 - 1), (float) (sy / (h - 1) * 2 - 1)}, 1, 1, 1, 2);
        Tensor[] gb = Ops.gridSampleBackward(Tensor.full(DType.F32, 1, 1, 1, 1, 1), Fc, grid, true, false, true);
        double ex = Math.abs(gb[1].get(0, 0, 0, 0) * 2 / (h - 1) - dFdx), ey = Math.abs(gb[1].get(0, 0, 0, 1) * 2 / (h - 1) - dFdy);
        check("4.4 grid_sample's position gradient is the bilinear slope (1-ay)(F01-F00) + ay(F11-F10) (and in y)", Math.max(ex, ey) / Math.max(1e-3, Math.max(Math.abs(dFdx), Math.abs(dFdy))), 1e-4);

        // ---------------------------------------------------------------- back to w+: only rows the feature block reads, first six optimised
        Var lossW = MotionSupervision.loss(fmap, List.of(p), List.of(t), wide);
        lossW.backward();
        Tensor gw = wsP.grad();
        int lastRow = 2 * Integer.numberOfTrailingZeros(fb) - 4;                         // b_fb's conv1 reads row 2 log2(fb) - 4
        double beyond = lastRow + 1 < g.numWs() ? maxAbs(gw.sliceView(1, lastRow + 1, g.numWs()).copy()) : 0;
        System.out.printf("  |dL/dw+| per row: %s%n", rowNorms(gw));
        check("4.5 dL/dw+ is exactly zero in the rows after " + lastRow + " (the feature block b" + fb + " never reads them)", beyond, 0);

        // A finite-difference check needs care: the stop-gradient makes dL/dw the derivative of L with the target F(q)
        // held fixed, so the target is frozen at w0's features (ORIGINAL supervision with p0 = p reads exactly F0(q)).
        Generator g64 = g.withDType(DType.F64);
        Tensor ws64 = ws0.copyAs(DType.F64);
        int rows = cfg.optimizedRows();
        FeatureMap frozen = new FeatureMap(Var.constant(g64.synthesis(Var.constant(ws64), req).feature(g64, fb).value()), h, true);
        DragConfig frozenCfg = wide.withSupervision(DragConfig.Supervision.ORIGINAL);
        java.util.function.Function<Var[], Var> lossOfRows = in -> {
            Var all = ShapeOps.cat(1, in[0], Var.constant(ws64.sliceView(1, rows, g64.numWs()).copy()));
            Var b = g64.synthesis(all, req).feature(g64, fb);
            return MotionSupervision.loss(new FeatureMap(b, h, true), List.of(p), List.of(t), frozenCfg, frozen, List.of(p));
        };
        GradCheck.Result gc = GradCheck.check(lossOfRows, new Tensor[]{ws64.sliceView(1, 0, rows).copy()}, 3, 1e-6);
        System.out.println("  GradCheck (float64 copy of the model, target F(q) frozen), loss w.r.t. w+[:, :6]: " + gc);
        check("4.6 GradCheck: motion loss with respect to the first six rows of w+, through the generator", gc.relError(), 1e-6);
        // ... and what the same central difference (GradCheck's directions: u from seed 3, v from seed 3 * 31 + 1) gives
        // when the target moves with w: not the gradient DragGAN follows
        Tensor v = Tensor.randn(DType.F64, 3 * 31 + 1, 1, rows, g64.wDim());
        double u = Tensor.randn(DType.F64, 3).item(), hh = 1e-6, moving[] = new double[2];
        for (int k = 0; k < 2; k++) {
            Var all = Var.constant(Ops.add(ws64, Ops.scale(padRows(v, g64.numWs()), k == 0 ? hh : -hh)));
            moving[k] = MotionSupervision.loss(new FeatureMap(g64.synthesis(all, req).feature(g64, fb), h, true), List.of(p), List.of(t), wide).value().item();
        }
        System.out.printf("  without freezing, the central difference is %.6g against the stop-gradient's %.6g: the target moved too%n",
                u * (moving[0] - moving[1]) / (2 * hh), gc.analytic());

        // ---------------------------------------------------------------- point tracking: nearest neighbour in a window
        int r2 = cfg.r2(h);
        Point moved = new Point(p.x() + 1, p.y() + 1);
        Tensor f0 = PointTracker.featureAt(fmap, p);
        Var ws2 = Var.constant(Ops.add(ws0, Ops.scale(Tensor.randn(DType.F32, 9, ws0.shape()), 0.05)));   // a slightly changed image
        FeatureMap f2 = new FeatureMap(g.synthesis(ws2, req).feature(g, fb), h, true);
        Tensor F2 = f2.full().value();
        double best = Double.MAX_VALUE;
        Point brute = null;
        for (int y = (int) moved.y() - r2; y <= moved.y() + r2; y++) for (int x = (int) moved.x() - r2; x <= moved.x() + r2; x++) {
            double d2 = 0;
            for (int c = 0; c < C; c++) d2 += Math.pow(F2.get(0, c, y, x) - f0.get(c), 2);
            if (d2 < best) { best = d2; brute = new Point(x, y); }
        }
        PointTracker.Match m = PointTracker.track(f2, f0, moved, r2);
        Point mp = m.point();
        double dm = 0;
        for (int c = 0; c < C; c++) dm += Math.pow(F2.get(0, c, (int) mp.y(), (int) mp.x()) - f0.get(c), 2);
        boolean inside = Math.abs(mp.x() - moved.x()) <= r2 && Math.abs(mp.y() - moved.y()) <= r2;
        System.out.println("  tracking from " + moved + " in a " + (2 * r2 + 1) + "x" + (2 * r2 + 1) + " window: " + mp + " (brute force " + brute + ")");
        // compared by distance, not position: two pixels can tie to float32 rounding on a flat patch
        check("4.7 the tracked point is argmin over the (2 r2 + 1)^2 window of |F(q) - f0|",
                inside ? (Math.sqrt(dm) - Math.sqrt(best)) / Math.max(1e-12, Math.sqrt(best)) : Double.NaN, 1e-5);

        // ---------------------------------------------------------------- the mask term
        Mask mask = Mask.allFixed(h).withFlexibleBox(h / 4, h / 4, 3 * h / 4, 3 * h / 4);
        Var fm = Var.param(F2.copy());
        Var mt = MotionSupervision.maskLoss(new FeatureMap(fm, h, true), F, mask, cfg.lambdaMask());
        double lm = 0;
        Tensor mg = Tensor.zeros(DType.F64, 1, C, h, h);
        double denom = (double) C * h * h;
        for (int c = 0; c < C; c++) for (int y = 0; y < h; y++) for (int x = 0; x < h; x++) {
            if (mask.isFlexible(x, y)) continue;
            double d = F2.get(0, c, y, x) - F.get(0, c, y, x);
            lm += cfg.lambdaMask() * Math.abs(d) / denom;
            mg.set(cfg.lambdaMask() * Math.signum(d) / denom, 0, c, y, x);
        }
        mt.backward();
        check("4.8 mask term = lambda mean_{c,y,x} |(F - F0) m| over all C h^2 (m = 1 where fixed)", Math.abs(lm - mt.value().item()) / lm, 1e-5);
        check("4.9 its gradient = lambda sign(F - F0) m / (C h^2): zero in the flexible box, and zero at F = F0", maxAbsDiff(fm.grad(), mg) * denom, 1e-4);

        // ---------------------------------------------------------------- Adam with bias correction
        Tensor p0 = Tensor.of(new double[]{0.5, -1, 2}, 3);
        Var ap = Var.param(p0.copy());
        Adam adam = new Adam(List.of(ap), 0.1);
        double[] mine = p0.toDoubleArray(), m1 = new double[3], v1 = new double[3];
        double firstStep = 0;
        for (int s = 1; s <= 5; s++) {
            Var scales = Var.constant(Tensor.of(new double[]{1, 100, -0.01}, 3));                // L = sum a_i p_i^2: scales 1e4 apart
            ReduceOps.sum(ElementwiseOps.mul(scales, ElementwiseOps.square(ap)), false).backward();
            double[] gr = ap.grad().toDoubleArray();
            for (int i = 0; i < 3; i++) {
                m1[i] = 0.9 * m1[i] + 0.1 * gr[i];
                v1[i] = 0.999 * v1[i] + 0.001 * gr[i] * gr[i];
                double mh = m1[i] / (1 - Math.pow(0.9, s)), vh = v1[i] / (1 - Math.pow(0.999, s));
                double upd = 0.1 * mh / (Math.sqrt(vh) + 1e-8);
                if (s == 1) firstStep = Math.max(firstStep, Math.abs(Math.abs(upd) - 0.1));
                mine[i] -= upd;
            }
            adam.step();
            adam.zeroGrad();
        }
        check("4.10 Adam: m, v moments, bias-corrected m/(1 - b1^t), v/(1 - b2^t), step lr m^/(sqrt(v^) + eps)", maxAbsDiff(ap.value(), Tensor.of(mine, 3)), 1e-12);
        check("4.11 bias correction: the first step moves every coordinate by lr, whatever its gradient's scale", firstStep, 1e-6);

        // ---------------------------------------------------------------- a drag, as the CLI does it
        DragSession s = DragSession.fromSeed(g, seed, 0.7, NoiseMode.CONST, cfg);
        s.addPair(p, t);
        Tensor startImg = g.synthesis(Var.constant(ws0), Generator.Request.full(NoiseMode.CONST).withNoiseSeed(seed)).image().value();
        List<Double> losses = new ArrayList<>();
        List<Point> path = new ArrayList<>();
        path.add(p);
        Tensor[] firstGrad = new Tensor[1];
        double[] firstLoss = new double[1];
        int maxSteps = 40;
        var run = s.run(maxSteps, r -> {
            losses.add(r.loss());
            path.add(r.handles().get(0));
            if (r.step() == 1) { firstGrad[0] = s.lastGradient(); firstLoss[0] = r.loss(); }
        });
        // the session's first step, recomputed: its loss at step 1 is the reference-radius motion loss at p
        Var wsQ = Var.param(ws0.copy());
        Var lq = MotionSupervision.loss(new FeatureMap(g.synthesis(wsQ, req).feature(g, fb), h, true), List.of(p), List.of(t), cfg);
        lq.backward();
        Tensor mineGrad = wsQ.grad().sliceView(1, 0, rows).copy();
        check("4.12 the session's step 1: loss and dL/dw+[:, :6] equal the motion loss differentiated by hand above",
                Math.max(Math.abs(lq.value().item() - firstLoss[0]) / lq.value().item(), maxAbsDiff(firstGrad[0], mineGrad) / maxAbs(mineGrad)), 1e-5);
        Tensor wsEnd = s.ws();
        check("4.13 rows 6.. of w+ never move: only w+[:, :6] is optimised",
                maxAbsDiff(wsEnd.sliceView(1, rows, g.numWs()).copy(), ws0.sliceView(1, rows, g.numWs()).copy()), 0);
        Point end = s.pairs().get(0).handle();
        System.out.printf("  drag %s -> %s: %d steps (%s), handle ends at %s, %.2f px from the target (was %.2f)%n",
                p, t, run.steps(), run.reason(), end, end.distance(t), p.distance(t));
        check("4.14 the drag brought the tracked handle closer to its target", end.distance(t) < p.distance(t) ? 0 : 1, 0);

        Tensor endImg = g.synthesis(Var.constant(wsEnd), Generator.Request.full(NoiseMode.CONST).withNoiseSeed(seed)).image().value();
        int zoom = Math.max(1, 384 / h);
        writeAnnotated(figs.resolve("ch4-start.png"), startImg, zoom, List.of(p), p, t, r1, cfg.r1(h), r2);
        writeAnnotated(figs.resolve("ch4-final.png"), endImg, zoom, path, end, t, 0, 0, 0);
        writeCurve(figs.resolve("ch4-loss.png"), losses);
        System.out.println("  wrote ch4-start.png (disc r1 = " + r1 + " drawn, reference r1 = " + cfg.r1(h) + ", tracking window r2 = " + r2
                + "), ch4-final.png (the handle's path), ch4-loss.png to " + figs);

        System.out.println(failures == 0 ? "Chapter 4: all checks passed" : "Chapter 4: " + failures + " check(s) FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** v [1, rows, w_dim] followed by zero rows up to [1, numWs, w_dim]. */
    static Tensor padRows(Tensor v, int numWs) {
        Tensor out = Tensor.zeros(v.dtype(), 1, numWs, v.size(2));
        Ops.copyInto(v, out.sliceView(1, 0, v.size(1)));
        return out;
    }

    static String rowNorms(Tensor g) {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < g.size(1); r++) sb.append(String.format("%s%.2g", r == 0 ? "" : " ", Math.sqrt(Ops.sumAll(Ops.square(g.sliceView(1, r, r + 1).copy())).item())));
        return sb.toString();
    }

    /** The image (x * 127.5 + 128, clamped), enlarged, with the handle path, the target, the disc and the tracking window. */
    static void writeAnnotated(Path file, Tensor img, int zoom, List<Point> path, Point handle, Point target, int discR, int refR, int r2) throws Exception {
        int h = img.size(2), w = img.size(3);
        BufferedImage bi = new BufferedImage(w * zoom, h * zoom, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h * zoom; y++) for (int x = 0; x < w * zoom; x++) {
            int rgb = 0;
            for (int c = 0; c < 3; c++) rgb = rgb << 8 | (int) Math.max(0, Math.min(255, img.get(0, c, y / zoom, x / zoom) * 127.5 + 128));
            bi.setRGB(x, y, rgb);
        }
        Graphics2D gr = bi.createGraphics();
        gr.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        gr.setStroke(new BasicStroke(2));
        double cx = (handle.x() + 0.5) * zoom, cy = (handle.y() + 0.5) * zoom;    // pixel centres at integers
        if (r2 > 0) {
            gr.setColor(Color.YELLOW);
            gr.drawRect((int) ((handle.x() - r2) * zoom), (int) ((handle.y() - r2) * zoom), (2 * r2 + 1) * zoom, (2 * r2 + 1) * zoom);
        }
        if (discR > 0) {
            gr.setColor(Color.WHITE);
            gr.drawOval((int) (cx - discR * zoom), (int) (cy - discR * zoom), 2 * discR * zoom, 2 * discR * zoom);
        }
        if (refR > 0 && refR != discR) {
            gr.setColor(Color.LIGHT_GRAY);
            gr.drawOval((int) (cx - refR * zoom), (int) (cy - refR * zoom), 2 * refR * zoom, 2 * refR * zoom);
        }
        gr.setColor(Color.RED);
        for (int i = 1; i < path.size(); i++) {
            Point a = path.get(i - 1), b = path.get(i);
            gr.drawLine((int) ((a.x() + 0.5) * zoom), (int) ((a.y() + 0.5) * zoom), (int) ((b.x() + 0.5) * zoom), (int) ((b.y() + 0.5) * zoom));
        }
        gr.fillOval((int) cx - 5, (int) cy - 5, 10, 10);
        gr.setColor(new Color(40, 120, 255));
        gr.fillOval((int) ((target.x() + 0.5) * zoom) - 5, (int) ((target.y() + 0.5) * zoom) - 5, 10, 10);
        gr.setColor(Color.WHITE);
        gr.drawLine((int) cx, (int) cy, (int) ((target.x() + 0.5) * zoom), (int) ((target.y() + 0.5) * zoom));
        gr.dispose();
        ImageIO.write(bi, "png", file.toFile());
    }

    /** A line plot of the loss per step. */
    static void writeCurve(Path file, List<Double> ys) throws Exception {
        int W = 480, H = 240, m = 40;
        BufferedImage bi = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = bi.createGraphics();
        gr.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        gr.setColor(Color.WHITE);
        gr.fillRect(0, 0, W, H);
        double hi = 0;
        for (double v : ys) if (Double.isFinite(v)) hi = Math.max(hi, v);
        gr.setColor(Color.BLACK);
        gr.drawLine(m, H - m, W - 10, H - m);
        gr.drawLine(m, 10, m, H - m);
        gr.drawString("motion loss per step (max " + String.format("%.3g", hi) + ")", m + 10, 20);
        gr.drawString("step " + ys.size(), W - 70, H - m + 15);
        gr.drawString("0", m - 12, H - m + 4);
        gr.setColor(new Color(200, 30, 30));
        gr.setStroke(new BasicStroke(2));
        for (int i = 1; i < ys.size(); i++) {
            double a = ys.get(i - 1), b = ys.get(i);
            if (!Double.isFinite(a) || !Double.isFinite(b)) continue;
            int x0 = m + (i - 1) * (W - m - 10) / Math.max(1, ys.size() - 1), x1 = m + i * (W - m - 10) / Math.max(1, ys.size() - 1);
            gr.drawLine(x0, (int) (H - m - a / hi * (H - m - 30)), x1, (int) (H - m - b / hi * (H - m - 30)));
        }
        gr.dispose();
        ImageIO.write(bi, "png", file.toFile());
    }
}
