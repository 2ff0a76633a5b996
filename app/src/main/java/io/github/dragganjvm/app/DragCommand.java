package io.github.dragganjvm.app;

import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.Frame;
import io.github.dragganjvm.drag.Mask;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.drag.SessionFile;
import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.stylegan.NoiseMode;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code ./draggan drag}: one drag from the command line, with every output a user wants to look at. */
final class DragCommand implements Main.Command {
    /** Every file drag may write into --out DIR (an existing DIR holding only these is replaced by the new run's). */
    static final List<String> OUTPUTS = List.of("start.png", "final.png", "final-annotated.png", "drag.gif", "session.json", "trace.csv");

    @Override public String summary() { return "drag handle points to targets on a generated image (DragGAN)"; }

    static Args args() {
        return new Args("drag", """
                Drags handle points toward targets on the image of a seed, DragGAN style, and writes into DIR:
                start.png, final.png, final-annotated.png, drag.gif, session.json (replayable), trace.csv.
                Points: "x,y->x,y;x,y->x,y" with x = column, y = row, in the model's own image (a StyleGAN-Human model's
                128 px wide, 256 px tall picture; the drag runs in its padded 256x256 square, as DragGAN's, and session.json
                keeps that square's coordinates). Ctrl-C stops cleanly and still writes everything.""")
                .option("model", Models.METAVAR, Models.HELP, null)
                .option(Models.TRANSFORM_OPTION, Models.TRANSFORM_METAVAR, Models.TRANSFORM_HELP, null)
                .option("seed", "N", "seed of the image to edit, 0 .. 4294967295", null)
                .option("points", "SPEC", "handle->target pairs, x,y->x,y[;...]", null)
                .repeatable("mask", "x0,y0,x1,y1", "a box the content may move in (x1, y1 exclusive); everything outside is held fixed")
                .option("steps", "N", "maximum number of iterations (stops earlier when every handle arrived)", "200")
                .option("lr", "X", "Adam learning rate (default: the model's: 0.001 as the reference tool, 0.01 for builtin:toy-faces-64)", null)
                .option("lambda", "X", "weight of the fixed-region term", "20")
                .option("psi", "X", "truncation psi", "0.7")
                .option("noise", "const|random|none", "noise mode", "const")
                .option("tracker", "reference|template", "point tracker", "reference")
                .option("supervision", "reference|original", "pull F(q+d) towards F(q) now (reference) or towards the drag's first features around the first handle (original, GoodDrag-style)", "reference")
                .option("frame-every", "N", "put every N-th step's image into drag.gif", "5")
                .flag("straightforward", "resize the whole feature map every step (the reference's way; slower, same result)")
                .option("replay", "FILE", "replay a session.json instead of --seed/--points, on --model or else on the model it names; either must have the SHA-256 it records", null)
                .option("out", "DIR", "output folder (created with its parents; written whole at the end, replacing an earlier drag's output there)", null)
                .jsonFlag();
    }

    @Override public int run(String[] argv, Console io) throws Exception {
        Args a = args().parse(argv);
        if (a.helpRequested()) {
            io.out().print(a.help());
            return 0;
        }
        io = io.with(a);
        OutputFolder outDir = OutputFolder.forOption(a.require("out"), "out", "drag", OUTPUTS);
        int frameEvery = a.intIn("frame-every", 1, 1_000_000);
        PrintStream log = io.info();

        SessionFile.State replay = null;
        PointsSpec.Pairs pairs = null;
        long seed = 0;
        double psi = 0.7;
        NoiseMode noise;
        DragConfig cfg;
        List<int[]> boxes = new ArrayList<>();
        int steps;
        if (a.has("replay")) {
            for (String o : new String[]{"seed", "points", "mask", "psi", "lr", "lambda", "tracker", "supervision", "steps"}) {
                if (a.has(o)) throw new UsageException("--replay takes its --" + o + " from the session file; leave --" + o + " out");
            }
            Path f = Path.of(a.get("replay"));
            if (!Files.isRegularFile(f)) throw new UsageException("--replay: file " + f + " not found");
            if (Files.size(f) > SessionFile.MAX_BYTES) throw new UsageException("--replay: " + f + " is larger than a session file can be (" + (SessionFile.MAX_BYTES >> 20) + " MiB)");
            replay = SessionFile.parse(Files.readString(f, StandardCharsets.UTF_8));
            noise = replay.noise();
            cfg = replay.config();
            steps = 0;
        } else {
            seed = a.longIn("seed", 0, 0xFFFFFFFFL);
            pairs = PointsSpec.parse(a.require("points"));
            steps = a.intIn("steps", 1, 1_000_000);
            psi = a.doubleIn("psi", -10, 10);
            noise = NoiseMode.parse(a.choice("noise", "const", "random", "none"));
            if (a.has("lr")) a.doubleIn("lr", 1e-12, 10);               // validated now; applied once the model is known
            cfg = DragConfig.reference().withLambda(a.doubleIn("lambda", 0, 1e6))
                    .withTracker(DragConfig.Tracker.parse(a.choice("tracker", "reference", "template")))
                    .withSupervision(DragConfig.Supervision.parse(a.choice("supervision", "reference", "original")))
                    .withDirectSampling(!a.has("straightforward"));
            for (String m : a.all("mask")) boxes.add(parseBox(m));
        }

        long t0 = System.nanoTime();
        // a replay runs only on --model or on the model the session names once its recorded SHA-256 matches
        Models.Loaded m = replay != null ? ReplayModel.resolve(a.get("model"), replay.model(), log, a.get(Models.TRANSFORM_OPTION)) : Models.load(a.get("model"), log, a.get(Models.TRANSFORM_OPTION));
        DragGenerator g = m.generator();
        Frame frame = Frame.of(g);     // points and images in the model's own frame; the session works in the padded square
        log.printf(Locale.ROOT, "loaded %s (%dx%d) in %.2f s%n", m.description(), frame.width(), frame.height(), (System.nanoTime() - t0) / 1e9);
        if (replay == null) cfg = cfg.withLr(a.has("lr") ? a.doubleIn("lr", 1e-12, 10) : m.dragLr());
        int res = g.resolution();

        DragSession session;
        if (replay != null) {
            if (replay.model().resolution() != res) throw new UsageException("--replay: the session was made on a " + replay.model().resolution() + " px model but this one is " + res + " px");
            session = null;
        } else {
            PointsSpec.validate(pairs, frame);
            Mask mask = null;
            for (int[] b : boxes) {
                if (b[0] < 0 || b[1] < 0 || b[2] > frame.width() || b[3] > frame.height() || b[0] >= b[2] || b[1] >= b[3]) {
                    throw new UsageException("--mask " + b[0] + "," + b[1] + "," + b[2] + "," + b[3] + " must satisfy 0 <= x0 < x1 <= " + frame.width()
                            + " and 0 <= y0 < y1 <= " + frame.height());
                }
                mask = frame.withFlexibleBox(mask == null ? Mask.allFixed(res) : mask, b[0], b[1], b[2], b[3]);
            }
            session = DragSession.fromSeed(g, seed, psi, noise, cfg.fittedTo(res));
            PointsSpec.Pairs sq = PointsSpec.toSquare(pairs, frame);
            for (int i = 0; i < sq.handles().size(); i++) session.addPair(sq.handles().get(i), sq.targets().get(i));
            session.setMask(mask);
        }

        // all input is valid: from here on we write
        Path out = outDir.begin();      // a staging folder beside --out, renamed to it by commit() at the end
        // trace.csv and drag.gif are streamed to disk step by step (memory does not grow with --steps)
        try (TraceStream trace = new TraceStream(out.resolve("trace.csv"))) {
            trace.line("step,points,loss,ms");
            return replay != null ? replay(replay, g, frame, m, trace, out, outDir, io, a.has("json"))
                    : drag(session, frame, steps, frameEvery, pairs, seed, psi, m, trace, out, outDir, io, a.has("json"));
        }
    }

    /** Replays a session file with a progress line over all its recorded steps; writes final.png, final-annotated.png, trace.csv, session.json. */
    private static int replay(SessionFile.State replay, DragGenerator g, Frame frame, Models.Loaded m, TraceStream trace, Path out, OutputFolder outDir, Console io, boolean json) throws IOException {
        PrintStream log = io.info();
        long total = 0;
        for (DragSession.DragRecord d : replay.drags()) total += d.steps();
        Progress progress = new Progress(log, (int) Math.min(Integer.MAX_VALUE, total));
        long tr = System.nanoTime();
        DragSession session = SessionFile.replay(replay, g, r -> {
            trace.line(traceLine(r, frame));
            progress.update(r);
        });
        progress.finish();
        log.printf(Locale.ROOT, "replayed %d drags (%d steps) in %.1f s%n", replay.drags().size(), session.totalSteps(), (System.nanoTime() - tr) / 1e9);
        BufferedImage fin = Images.toImage(frame.cropView(session.image()));
        Images.writePng(fin, out.resolve("final.png"));
        List<Point> hs = new ArrayList<>(), ts = new ArrayList<>();
        for (DragSession.Pair p : session.pairs()) { hs.add(frame.fromSquare(p.handle())); ts.add(frame.fromSquare(p.target())); }
        Images.writePng(Annotate.markers(fin, hs, ts), out.resolve("final-annotated.png"));
        trace.finish();
        writeText(out.resolve("session.json"), SessionFile.toJson(session, m.ref(), replay.seed(), replay.psi()));
        outDir.commit();
        log.println("wrote " + outDir.target());
        if (json) JsonResult.print(DragJson.replayed(outDir.target(), m, frame, replay.drags().size(), session, (System.nanoTime() - tr) / 1e9), io.out());
        return 0;
    }

    /**
     * Runs the drag; writes start.png, drag.gif (frames streamed as they come), final.png, final-annotated.png, trace.csv,
     * session.json. Images, trace and printed points are in the model's frame; pairs (the user's) are in it too.
     */
    private static int drag(DragSession session, Frame frame, int steps, int frameEvery, PointsSpec.Pairs pairs, long seed, double psi, Models.Loaded m,
                            TraceStream trace, Path out, OutputFolder outDir, Console io, boolean json) throws IOException {
        PrintStream log = io.info();
        PrintStream result = json ? log : io.out();      // the summary line: the result unless --json prints one
        Progress progress = new Progress(log, steps);
        // Ctrl-C / SIGTERM stops the drag, which then writes everything. The hook is installed before anything is written;
        // a signal before run() starts (which clears a stale stop request) is remembered and stops the drag after its
        // first step, and one before the hook (the JVM already shutting down) likewise
        final DragSession s = session;
        CountDownLatch finished = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();
        Thread hook = new Thread(() -> {
            signalled.set(true);
            s.stop();
            try {
                finished.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "draggan-ctrl-c");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            signalled.set(true);
        }
        BufferedImage start = Images.toImage(frame.cropView(session.image()));
        Images.writePng(start, out.resolve("start.png"));
        GifStream gif = new GifStream(out.resolve("drag.gif"), 100);
        gif.add(Annotate.markers(start, frame.fromSquare(session.initialHandles()), pairs.targets()));

        DragSession.RunResult rr;
        DragSession.StepResult[] last = {null};
        long tDrag = System.nanoTime();
        try (gif) {
            rr = session.run(steps, new DragSession.StepListener() {
                @Override public void onStep(DragSession.StepResult r) {
                    last[0] = r;
                    if (signalled.get()) s.stop();
                    trace.line(traceLine(r, frame));
                    progress.update(r);
                    if (r.image() != null) {
                        try {
                            gif.add(Annotate.markers(Images.toImage(frame.cropView(r.image())), frame.fromSquare(r.handles()), frame.fromSquare(r.targets())));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }

                @Override public boolean wantImage(int nextStep) { return nextStep % frameEvery == 0; }
            });
            progress.finish();
            double dragSeconds = (System.nanoTime() - tDrag) / 1e9;
            result.printf(Locale.ROOT, "%s after %d steps; handles %s; targets %s%n", switch (rr.reason()) {
                case CONVERGED -> "every handle reached its target";
                case MAX_STEPS -> "stopped at --steps";
                case STOPPED -> "stopped by the user";
            }, rr.steps(), rr.pairs().stream().map(p -> frame.fromSquare(p.handle()).toString()).toList(), pairs.targets());

            BufferedImage fin = Images.toImage(frame.cropView(session.image()));
            Images.writePng(fin, out.resolve("final.png"));
            List<Point> hs = rr.pairs().stream().map(p -> frame.fromSquare(p.handle())).toList();
            BufferedImage ann = Annotate.markers(fin, hs, pairs.targets());
            Images.writePng(ann, out.resolve("final-annotated.png"));
            gif.add(ann);
            gif.finish();
            trace.finish();
            writeText(out.resolve("session.json"), SessionFile.toJson(session, m.ref(), seed, psi));
            outDir.commit();
            log.println("wrote " + outDir.target() + " (start.png, final.png, final-annotated.png, drag.gif, session.json, trace.csv)");
            if (json) JsonResult.print(DragJson.dragged(outDir.target(), m, frame, seed, rr, pairs, last[0], dragSeconds), io.out());
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down (Ctrl-C): the hook is waiting for us
            }
        }
        return 0;
    }

    /** trace.csv written line by line into a temporary sibling, moved into place by finish() (deleted by close() otherwise). */
    static final class TraceStream implements AutoCloseable {
        private final PendingFile pending;
        private final java.io.BufferedWriter w;
        private boolean open = true;

        TraceStream(Path file) throws IOException {
            pending = new PendingFile(file);
            w = Files.newBufferedWriter(pending.temp(), StandardCharsets.UTF_8);
        }

        void line(String s) {
            try {
                w.write(s);
                w.write('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void finish() throws IOException {
            open = false;
            w.close();
            pending.commit();
        }

        @Override public void close() throws IOException {
            try {
                if (open) w.close();
            } finally {
                pending.close();
            }
        }
    }

    /** One line of trace.csv: step, the tracked handles in the model's frame, loss, milliseconds. */
    static String traceLine(DragSession.StepResult r, Frame frame) {
        StringBuilder pts = new StringBuilder();
        for (Point p : frame.fromSquare(r.handles())) {
            if (!pts.isEmpty()) pts.append(';');
            pts.append(p);
        }
        return String.format(Locale.ROOT, "%d,\"%s\",%s,%.1f", r.step(), pts, Double.isNaN(r.loss()) ? "" : String.format(Locale.ROOT, "%.8g", r.loss()), r.nanos() / 1e6);
    }

    static int[] parseBox(String s) {
        String[] p = s.split(",");
        if (p.length != 4) throw new UsageException("--mask must be x0,y0,x1,y1 but is '" + s + "'");
        int[] b = new int[4];
        try {
            for (int i = 0; i < 4; i++) b[i] = Integer.parseInt(p[i].trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--mask must be four integers x0,y0,x1,y1 but is '" + s + "'");
        }
        return b;
    }

    static void writeText(Path file, String text) throws IOException { OutputFolder.writeString(file, text); }

    /** The terminal progress line: step, loss, handle-target distance, steps/s. */
    static final class Progress {
        private final PrintStream err;
        private final int total;
        private final boolean tty = System.console() != null;
        private final long t0 = System.nanoTime();
        private long lastPrint;

        Progress(PrintStream err, int total) {
            this.err = err;
            this.total = total;
        }

        void update(DragSession.StepResult r) {
            double secs = (System.nanoTime() - t0) / 1e9;
            int width = 24, filled = total > 0 ? (int) Math.min(width, (long) width * r.step() / total) : 0;
            String line = String.format(Locale.ROOT, "[%s%s] step %d/%d  loss %s  distance %.1f px  %.2f steps/s",
                    "#".repeat(filled), ".".repeat(width - filled), r.step(), total,
                    Double.isNaN(r.loss()) ? "-" : String.format(Locale.ROOT, "%.5f", r.loss()), r.maxDistance(), r.step() / Math.max(secs, 1e-9));
            long now = System.nanoTime();
            if (tty) err.print("\r" + line);
            else if (now - lastPrint > 2_000_000_000L || r.done() || r.step() == total) {
                err.println(line);
                lastPrint = now;
            }
        }

        void finish() { if (tty) err.println(); }
    }
}
