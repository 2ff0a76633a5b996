package io.github.dragganjvm.app.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.app.Annotate;
import io.github.dragganjvm.app.Images;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.Frame;
import io.github.dragganjvm.drag.Mask;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.drag.SessionFile;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Tensor;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One browser tab's editing state: a {@link DragSession} (the image, pairs, mask, undo), the seed and psi it came
 * from, the frames of the last drag, and the open event streams. Each operation validates everything first and
 * changes nothing unless all of it is valid. At most one job (a drag or a session load) runs at a time; it runs
 * on the editor's drag pool and reports through the event streams:
 * <ul>
 *   <li>{@code state}: the whole state (after every change);</li>
 *   <li>{@code step}: step, tracked handles, targets, loss, distance (every iteration);</li>
 *   <li>{@code frame}: the same plus the pre-step image as base64 PNG (for every step, unless steps come faster
 *       than {@code minFrameIntervalMs}: then at most one a minimum interval). The image is rendered on the render
 *       pool from the moment the step's forward is done, while the step finishes and the next one runs, then
 *       encoded; a step waits after its forward for the previous step's frame, so at most one image is in flight;</li>
 *   <li>{@code end}: why the job ended, its steps, the final image, or the error in words.</li>
 * </ul>
 * While a job runs, reads use a snapshot taken after each step, so no request waits for the drag.
 */
final class EditorSession {
    /** Makes a session for a fresh id. */
    @FunctionalInterface
    interface Factory {
        EditorSession create(String id);
    }

    /** The view of the session that requests read; replaced after every change and step. */
    private record Snapshot(List<DragSession.Pair> pairs, Mask mask, DragConfig config, int totalSteps, int drags, boolean canUndo) {}

    /** Thrown from a listener to abandon a session load. */
    private static final class Cancelled extends RuntimeException {
        Cancelled() { super("cancelled", null, false, false); }
    }

    final String id;
    private final Editor ed;
    private DragSession drag;
    private Long seed;
    private Double psi;
    private Snapshot snap;
    private String busy;                 // null, "drag" or "load"
    private int run;                     // number of the latest job
    private int imageVersion;
    private byte[] imagePng;             // the current image, when imagePngVersion == imageVersion
    private int imagePngVersion = -1;
    private final FrameRecorder frames;
    private final List<EventStream> streams = new CopyOnWriteArrayList<>();
    private volatile long lastUsed = System.nanoTime();
    private volatile boolean stopRequested;
    private volatile boolean closed;
    private String closedWhy;

    private EditorSession(String id, Editor ed, DragSession drag, Long seed, Double psi) {
        this.id = id;
        this.ed = ed;
        this.drag = drag;
        this.seed = seed;
        this.psi = psi;
        this.frames = new FrameRecorder(ed.options.maxRecordedFrames(), ed.options.maxRecordedBytes());
        refresh();
    }

    /** The image settings of a request: seed, psi, noise. */
    private record ImageSpec(long seed, double psi, NoiseMode noise) {
        static ImageSpec parse(ObjectNode b) {
            return new ImageSpec(Json.integer(b, "seed", 0, 0xFFFFFFFFL, 0L), Json.number(b, "psi", -10, 10, 0.7),
                    NoiseMode.parse(Json.choice(b, "noise", "const", "const", "random", "none")));
        }
    }

    /** POST /api/sessions {seed?, psi?, noise?}. */
    static EditorSession create(Editor ed, ObjectNode body) {
        Json.allowOnly(body, "a new session", "seed", "psi", "noise");
        ImageSpec spec = ImageSpec.parse(body);
        DragSession d = ed.compute(() -> DragSession.fromSeed(ed.generator, spec.seed(), spec.psi(), spec.noise(), ed.baseConfig()));
        return ed.register(id -> new EditorSession(id, ed, d, spec.seed(), spec.psi()));
    }

    // ------------------------------------------------------------------ bookkeeping

    void touch() { lastUsed = System.nanoTime(); }

    long idleNanos(long now) { return isBusy() ? 0 : now - lastUsed; }

    synchronized boolean isBusy() { return busy != null; }

    private void requireIdle(String what) {
        if (closed) throw HttpError.notFound("session " + id + " was " + closedWhy);
        if (busy != null) throw HttpError.conflict("cannot " + what + " while " + (busy.equals("drag") ? "a drag is running; press Stop first" : "a session is loading"));
    }

    /** Re-reads the drag session's state; only while no job runs (a running drag holds its lock during a step). */
    private synchronized void refresh() {
        List<DragSession.DragRecord> h = drag.history();
        snap = new Snapshot(drag.pairs(), drag.mask(), drag.config(), drag.totalSteps(), h.size(), drag.canUndo());
    }

    void close(String why) {
        synchronized (this) {
            if (closed) return;
            closed = true;
            closedWhy = why;
            stopRequested = true;
            drag.stop();
        }
        ObjectNode n = Json.MAPPER.createObjectNode().put("reason", why);
        publish("closed", n);
        for (EventStream s : streams) s.close();
        streams.clear();
        frames.clear();
        synchronized (this) {
            imagePng = null;
        }
    }

    boolean isClosed() { return closed; }

    // ------------------------------------------------------------------ events

    EventStream subscribe() {
        EventStream s = new EventStream();
        streams.add(s);
        if (closed) s.close();
        else s.publish(new EventStream.Event("state", Json.text(state())));
        return s;
    }

    void unsubscribe(EventStream s) {
        streams.remove(s);
        s.close();
    }

    private void publish(String name, JsonNode data) {
        if (streams.isEmpty()) return;
        EventStream.Event e = new EventStream.Event(name, Json.text(data));
        for (EventStream s : streams) s.publish(e);
    }

    private void publishState() { publish("state", state()); }

    // ------------------------------------------------------------------ state

    /** GET /api/sessions/{id}: everything the page shows. */
    synchronized ObjectNode state() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("id", id);
        n.put("resolution", ed.resolution);
        n.put("width", ed.frame.width()).put("height", ed.frame.height());
        if (seed != null) n.put("seed", seed); else n.putNull("seed");
        if (psi != null) n.put("psi", psi); else n.putNull("psi");
        n.put("noise", drag.noise().name().toLowerCase(Locale.ROOT));
        ObjectNode c = n.putObject("config");
        c.put("lr", snap.config().lr());
        c.put("lambda", snap.config().lambdaMask());
        c.put("tracker", snap.config().tracker().name().toLowerCase(Locale.ROOT));
        c.put("supervision", snap.config().supervision().name().toLowerCase(Locale.ROOT));
        n.set("pairs", pairsJson(snap.pairs(), ed.frame));
        if (snap.mask() == null) n.putNull("mask");
        else n.set("mask", maskJson(snap.mask(), ed.frame));
        if (busy != null) n.put("busy", busy); else n.putNull("busy");
        n.put("run", run);
        n.put("totalSteps", snap.totalSteps());
        n.put("drags", snap.drags());
        n.put("canUndo", snap.canUndo());
        n.put("imageVersion", imageVersion);
        n.put("frames", frames.size());
        return n;
    }

    /** Pairs of the session (the square) as the page sees them: [{handle: [x, y], target: [x, y]}] in the model's frame. */
    private static ArrayNode pairsJson(List<DragSession.Pair> pairs, Frame frame) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (DragSession.Pair p : pairs) {
            ObjectNode o = a.addObject();
            o.set("handle", Json.point(frame.fromSquare(p.handle())));
            o.set("target", Json.point(frame.fromSquare(p.target())));
        }
        return a;
    }

    /**
     * A mask of the session as the page sees it: {size, flexibleRuns} for a square model, {width, height, flexibleRuns}
     * on a padded model's own frame; runs alternate fixed, flexible, ... over the row-major bitmap.
     */
    static ObjectNode maskJson(Mask mask, Frame frame) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        int[] runs;
        if (frame.padded()) {
            m.put("width", frame.width()).put("height", frame.height());
            runs = runLengths(frame.maskFromSquare(mask));
        } else {
            m.put("size", mask.size());
            runs = mask.runLengths();
        }
        ArrayNode a = m.putArray("flexibleRuns");
        for (int r : runs) a.add(r);
        return m;
    }

    /** Alternating run lengths (fixed first) of a bitmap, as {@link Mask#runLengths()}. */
    private static int[] runLengths(boolean[] bits) {
        List<Integer> runs = new ArrayList<>();
        boolean cur = false;
        int n = 0;
        for (boolean b : bits) {
            if (b == cur) n++;
            else {
                runs.add(n);
                cur = b;
                n = 1;
            }
        }
        runs.add(n);
        return runs.stream().mapToInt(Integer::intValue).toArray();
    }

    // ------------------------------------------------------------------ edits

    /** PUT points {pairs: [{handle: [x, y], target: [x, y]}, ...]}: replaces every pair. */
    ObjectNode setPoints(ObjectNode body) {
        Json.allowOnly(body, "points", "pairs");
        List<DragSession.Pair> pairs = parsePairs(body.get("pairs"), ed.frame, ed.options.maxPairs());
        synchronized (this) {
            requireIdle("change the points");
            drag.clearPairs();
            for (DragSession.Pair p : pairs) drag.addPair(p.handle(), p.target());
            refresh();
        }
        publishState();
        return state();
    }

    /** The page's pairs (in the model's frame, checked to lie on it) as the session's (in the square). */
    static List<DragSession.Pair> parsePairs(JsonNode a, Frame frame, int max) {
        if (a == null || !a.isArray()) throw HttpError.badRequest("'pairs' must be an array of {handle: [x, y], target: [x, y]}");
        if (a.size() > max) throw HttpError.badRequest("at most " + max + " pairs are allowed but " + a.size() + " came");
        List<DragSession.Pair> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            JsonNode p = a.get(i);
            String what = "pair " + (i + 1);
            if (!p.isObject()) throw HttpError.badRequest(what + " must be {handle: [x, y], target: [x, y]} but is " + p);
            Json.allowOnly((ObjectNode) p, what, "handle", "target");
            Point h = Json.point(p.get("handle"), what + ": the handle", frame), t = Json.point(p.get("target"), what + ": the target", frame);
            if (h.rounded().equals(t.rounded())) throw HttpError.badRequest(what + ": the target equals its handle (" + h + ")");
            out.add(new DragSession.Pair(frame.toSquare(h), frame.toSquare(t)));
        }
        return out;
    }

    /** PUT mask {mask: null | {size, flexibleRuns: [fixed, flexible, fixed, ...]}}: the region allowed to move. */
    ObjectNode setMask(ObjectNode body) {
        Json.allowOnly(body, "mask", "mask");
        if (!body.has("mask")) throw HttpError.badRequest("missing field 'mask' (null or {size, flexibleRuns})");
        Mask m = parseMask(body.get("mask"), ed.frame);
        synchronized (this) {
            requireIdle("change the mask");
            drag.setMask(m);
            refresh();
        }
        publishState();
        return state();
    }

    /**
     * The page's mask, {size, flexibleRuns} (a square image) or {width, height, flexibleRuns} (any image, e.g. a
     * StyleGAN-Human model's 128x256 frame), as the session's square mask ({@link Frame#maskToSquare}).
     */
    static Mask parseMask(JsonNode n, Frame frame) {
        if (n == null || n.isNull()) return null;
        if (!n.isObject()) throw HttpError.badRequest("'mask' must be null or {size, flexibleRuns} but is " + n.getNodeType().name().toLowerCase(Locale.ROOT));
        Json.allowOnly((ObjectNode) n, "mask", "size", "width", "height", "flexibleRuns");
        long w, h;
        if (n.has("size")) {
            if (n.has("width") || n.has("height")) throw HttpError.badRequest("the mask has 'size' and 'width'/'height'; give one or the other");
            w = h = Json.integer((ObjectNode) n, "size", 1, 1 << 14, null);
        } else {
            w = Json.integer((ObjectNode) n, "width", 1, 1 << 14, null);
            h = Json.integer((ObjectNode) n, "height", 1, 1 << 14, null);
        }
        int res = frame.squareSize();
        if (w != frame.width() || h != frame.height()) {
            throw HttpError.badRequest(frame.padded() ? "the mask is " + w + "x" + h + " but the image is " + frame.size() + " (width x height)"
                    : "the mask is " + w + "x" + h + " but the image is " + res + "x" + res);
        }
        JsonNode runs = n.get("flexibleRuns");
        if (runs == null || !runs.isArray()) throw HttpError.badRequest("'flexibleRuns' must be an array of run lengths (fixed, flexible, fixed, ...)");
        long total = w * h;
        if (runs.size() > total + 1) throw HttpError.badRequest("'flexibleRuns' has " + runs.size() + " runs, more than a " + w + "x" + h + " mask can have");
        int[] r = new int[runs.size()];
        long sum = 0;
        for (int i = 0; i < r.length; i++) {
            JsonNode v = runs.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) throw HttpError.badRequest("'flexibleRuns' must hold integers >= 0 but item " + i + " is " + v);
            r[i] = v.asInt();
            sum += r[i];
        }
        if (sum != total) throw HttpError.badRequest("the mask's runs cover " + sum + " pixels but a " + w + "x" + h + " mask has " + total);
        if (!frame.padded()) return Mask.fromRunLengths(res, r);
        boolean[] bits = new boolean[(int) total];
        int at = 0;
        for (int i = 0; i < r.length; i++) {
            if (i % 2 == 1) java.util.Arrays.fill(bits, at, at + r[i], true);
            at += r[i];
        }
        return frame.maskToSquare(bits);
    }

    /** POST image {seed, psi, noise}: a new image (pairs and mask are kept, undo history starts over). */
    ObjectNode newImage(ObjectNode body) {
        Json.allowOnly(body, "a new image", "seed", "psi", "noise");
        ImageSpec spec = ImageSpec.parse(body);
        synchronized (this) {
            requireIdle("make a new image");
        }
        DragSession fresh = ed.compute(() -> DragSession.fromSeed(ed.generator, spec.seed(), spec.psi(), spec.noise(), ed.baseConfig()));
        synchronized (this) {
            requireIdle("make a new image");
            for (DragSession.Pair p : drag.pairs()) fresh.addPair(p.handle(), p.target());
            fresh.setMask(drag.mask());
            fresh.setConfig(drag.config());
            drag = fresh;
            seed = spec.seed();
            psi = spec.psi();
            imageVersion++;
            frames.clear();
            refresh();
        }
        publishState();
        return state();
    }

    /** POST reset: back to the original image. */
    ObjectNode reset() {
        synchronized (this) {
            requireIdle("reset");
            drag.reset();
            imageVersion++;
            refresh();
        }
        publishState();
        return state();
    }

    /** POST undo: reverts the last drag. */
    ObjectNode undo() {
        synchronized (this) {
            requireIdle("undo");
            if (!drag.canUndo()) throw HttpError.conflict("nothing to undo");
            drag.undo();
            imageVersion++;
            refresh();
        }
        publishState();
        return state();
    }

    // ------------------------------------------------------------------ drags

    /** POST start {maxSteps, lr, lambda, tracker, supervision}: starts a drag on the drag pool; its steps arrive as events. */
    ObjectNode start(ObjectNode body) {
        Json.allowOnly(body, "start", "maxSteps", "lr", "lambda", "tracker", "supervision");
        DragConfig base = ed.baseConfig();
        int maxSteps = (int) Json.integer(body, "maxSteps", 1, ed.options.maxSteps(), 200L);
        double lr = Json.number(body, "lr", 1e-6, 1, base.lr());
        double lambda = Json.number(body, "lambda", 0, 1e6, base.lambdaMask());
        String tracker = Json.choice(body, "tracker", base.tracker().name().toLowerCase(Locale.ROOT), "reference", "template");
        String supervision = Json.choice(body, "supervision", base.supervision().name().toLowerCase(Locale.ROOT), "reference", "original");
        DragConfig cfg = base.withLr(lr).withLambda(lambda).withTracker(DragConfig.Tracker.parse(tracker))
                .withSupervision(DragConfig.Supervision.parse(supervision));
        int myRun;
        DragSession d;
        synchronized (this) {
            requireIdle("start a drag");
            if (snap.pairs().isEmpty()) throw HttpError.badRequest("no handle/target pairs: click the image to place a handle, then click its target");
            drag.setConfig(cfg);
            busy = "drag";
            myRun = ++run;
            stopRequested = false;
            frames.clear();
            refresh();
            d = drag;
        }
        submit(() -> runDrag(d, myRun, maxSteps));
        return state();
    }

    /** Queues a job on the drag pool (busy is already set); a pool that is shutting down leaves the session idle. */
    private void submit(Runnable job) {
        try {
            ed.drags.execute(job);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            synchronized (this) {
                busy = null;
            }
            throw new HttpError(503, "the editor is shutting down");
        }
        publishState();
    }

    private void runDrag(DragSession d, int myRun, int maxSteps) {
        Listener l = new Listener(myRun, d);
        String reason = "STOPPED", error = null;
        int steps = 0;
        try {
            if (!stopRequested) {
                DragSession.RunResult rr = d.run(maxSteps, l);
                reason = rr.reason().name();
                steps = rr.steps();
            }
        } catch (Throwable t) {
            error = "the drag failed: " + describe(t);
            log(t);
        }
        l.awaitEncoder();
        finish(myRun, reason, steps, error, d);
    }

    /** POST stop: asks the running job to end after its current step (no error when none runs). */
    ObjectNode stop() {
        synchronized (this) {
            if (busy != null) {
                stopRequested = true;
                drag.stop();
            }
        }
        return state();
    }

    /** Ends a job: renders and caches the final image, then tells the page (which may edit again at once). */
    private void finish(int myRun, String reason, int steps, String error, DragSession d) {
        byte[] png = null;
        try {
            if (!closed) {
                BufferedImage img = Images.toImage(ed.frame.cropView(d.image()));
                png = Png.encode(img);
                List<DragSession.Pair> pairs = d.pairs();
                frames.add(new FrameRecorder.Frame(png, pairs.stream().map(p -> ed.frame.fromSquare(p.handle())).toList(),
                        pairs.stream().map(p -> ed.frame.fromSquare(p.target())).toList(), d.totalSteps()), true);
            }
        } catch (Throwable t) {
            if (error == null) error = "rendering the final image failed: " + describe(t);
            log(t);
        }
        synchronized (this) {
            busy = null;
            imageVersion++;
            if (png != null && d == drag) {
                imagePng = png;
                imagePngVersion = imageVersion;
            }
            refresh();
        }
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("run", myRun);
        e.put("reason", reason);
        e.put("steps", steps);
        if (error != null) e.put("error", error); else e.putNull("error");
        if (png != null) e.put("png", Base64.getEncoder().encodeToString(png));
        synchronized (this) {
            e.put("imageVersion", imageVersion);
        }
        e.set("pairs", pairsJson(d.pairs(), ed.frame));
        publish("end", e);
        publishState();
    }

    /**
     * Receives a job's steps: updates the snapshot, sends step events, and renders and encodes each step's image on
     * the render pool while the drag goes on (one image at most in flight: a step waits after its forward for the
     * previous frame, so the drag never runs ahead of its images by more than one step).
     */
    private final class Listener implements DragSession.StepListener {
        private final int myRun;
        private final DragSession target;   // null while loading (a load is cancelled by an exception instead)
        private long lastImageNs, lastStepNs;
        private boolean first = true;
        private CompletableFuture<?> encoding = CompletableFuture.completedFuture(null);      // the last frame's job
        private CompletableFuture<Tensor> rendering;      // the image of the step in progress, rendering since its forward

        Listener(int myRun, DragSession target) {
            this.myRun = myRun;
            this.target = target;
        }

        /**
         * A drag: an image for every step, except that when steps are faster than the minimum frame interval an image
         * comes only once the next step, expected one step duration from now, ends at least that interval after the
         * last image. A session load (a replay, shown as a preview) also skips images while the last one is in flight.
         */
        @Override public boolean wantImage(int nextStep) {
            if (first) return true;
            if (target == null && !encoding.isDone()) return false;
            long expectedAt = System.nanoTime() + lastStepNs;
            return expectedAt - lastImageNs >= ed.options.minFrameIntervalMs() * 1_000_000L;
        }

        /**
         * Starts rendering the step's image on the render pool as soon as its forward is done, so it renders while the
         * step tracks, back-propagates and updates w+ (and while the next step runs); first waits for the previous
         * frame, so at most one image is in flight.
         */
        @Override public void imageReady(int step, DragSession.PendingImage img) {
            awaitEncoder();
            rendering = CompletableFuture.supplyAsync(() -> closed ? null : img.get(), ed.quick);
        }

        @Override public void onStep(DragSession.StepResult r) {
            first = false;
            lastStepNs = r.nanos();
            if (stopRequested) {
                if (target != null) target.stop();
                else throw new Cancelled();
            }
            List<DragSession.Pair> pairs = new ArrayList<>();
            for (int i = 0; i < r.handles().size(); i++) pairs.add(new DragSession.Pair(r.handles().get(i), r.targets().get(i)));
            synchronized (EditorSession.this) {
                if (target != null) snap = new Snapshot(pairs, snap.mask(), snap.config(), r.step(), snap.drags(), snap.canUndo());
            }
            ObjectNode n = stepJson(r);
            publish("step", n);
            DragSession.PendingImage img = r.pendingImage();
            if (img != null) {
                lastImageNs = System.nanoTime();
                CompletableFuture<Tensor> im = rendering != null ? rendering : CompletableFuture.supplyAsync(img::get, ed.quick);
                rendering = null;
                encoding = im.handleAsync((t, err) -> {
                    if (err != null) log(err instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : err);
                    else if (t != null) encodeFrame(t, r, n);
                    return null;
                }, ed.quick);
            }
        }

        private void encodeFrame(Tensor img, DragSession.StepResult r, ObjectNode n) {
            try {
                if (closed) return;
                byte[] png = Png.encode(Images.toImage(ed.frame.cropView(img)));
                frames.add(new FrameRecorder.Frame(png, ed.frame.fromSquare(r.handles()), ed.frame.fromSquare(r.targets()), r.step()), false);
                n.put("png", Base64.getEncoder().encodeToString(png));
                publish("frame", n);
            } catch (Throwable t) {
                log(t);
            }
        }

        void awaitEncoder() {
            try {
                encoding.get();
            } catch (Exception ignored) {
                // the encoder logs its own failures
            }
        }

        private ObjectNode stepJson(DragSession.StepResult r) {
            ObjectNode n = Json.MAPPER.createObjectNode();
            n.put("run", myRun);
            n.put("step", r.step());
            ArrayNode hs = n.putArray("handles");
            for (Point p : ed.frame.fromSquare(r.handles())) hs.add(Json.point(p));
            ArrayNode ts = n.putArray("targets");
            for (Point p : ed.frame.fromSquare(r.targets())) ts.add(Json.point(p));
            if (Double.isNaN(r.loss())) n.putNull("loss"); else n.put("loss", r.loss());
            n.put("distance", r.maxDistance());
            n.put("ms", r.nanos() / 1e6);
            n.put("done", r.done());
            return n;
        }
    }

    // ------------------------------------------------------------------ images and files

    /** GET image.png: the current image (rendered once per change, on the render pool). */
    byte[] imagePng() {
        int v;
        DragSession d;
        synchronized (this) {
            if (closed) throw HttpError.notFound("session " + id + " was " + closedWhy);
            if (imagePng != null && imagePngVersion == imageVersion) return imagePng;
            v = imageVersion;
            d = drag;
        }
        byte[] png = ed.compute(() -> Png.encode(Images.toImage(ed.frame.cropView(d.image()))));
        synchronized (this) {
            if (imageVersion == v && d == drag && busy == null) {
                imagePng = png;
                imagePngVersion = v;
            }
        }
        return png;
    }

    /** GET session.json: the replayable session file (the drag program's format). */
    String sessionJson() {
        DragSession d;
        Long s;
        Double p;
        synchronized (this) {
            requireIdle("save the session");
            d = drag;
            s = seed;
            p = psi;
        }
        return ed.compute(() -> SessionFile.toJson(d, ed.modelRef(), s, p));
    }

    /** GET animation.gif: the frames of the last drag with their markers. */
    byte[] animationGif() {
        synchronized (this) {
            requireIdle("export the animation");
        }
        List<FrameRecorder.Frame> fs = frames.frames();
        if (fs.isEmpty()) throw HttpError.conflict("no drag to export yet: place points and press Start first");
        return ed.compute(() -> {
            List<BufferedImage> imgs = new ArrayList<>();
            for (FrameRecorder.Frame f : fs) imgs.add(Annotate.markers(Png.decode(f.png()), f.handles(), f.targets()));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                Images.writeGif(imgs, 100, out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        });
    }

    /** POST load (a session file as the body): replays it on the drag pool, then replaces this session's state. */
    ObjectNode load(String json) {
        SessionFile.State st;
        try {
            st = SessionFile.parse(json);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(e.getMessage());
        }
        if (st.model().resolution() != ed.resolution) {
            throw HttpError.badRequest("the session was made on a " + st.model().resolution() + " px model but this one is " + ed.resolution + " px");
        }
        String sha = st.model().sha256();
        SessionFile.ModelRef mine = ed.compute(ed::modelRef);     // may hash the model file once
        if (sha != null && mine.sha256() != null && !sha.equals(mine.sha256())) {
            throw HttpError.badRequest("the session was made with another model (sha256 " + sha + "; this one is " + mine.sha256() + ")");
        }
        if (sha == null && !st.model().source().equals(mine.source())) {          // files from before built-in models had a hash
            throw HttpError.badRequest("the session was made with the built-in model " + st.model().source() + " but this editor runs " + mine.source());
        }
        probe(st);
        int myRun;
        synchronized (this) {
            requireIdle("load a session");
            busy = "load";
            myRun = ++run;
            stopRequested = false;
            frames.clear();
        }
        submit(() -> runLoad(st, myRun));
        return state();
    }

    /** Checks every part of a parsed session against this model without running a step (replay must not fail later). */
    private void probe(SessionFile.State st) {
        try {
            DragSession p = DragSession.fromWs(ed.generator, st.ws0(), st.noise(), st.noiseSeed(), st.config());
            int n = 0;
            for (DragSession.DragRecord r : st.drags()) {
                n++;
                p.clearPairs();
                if (r.handles().size() > ed.options.maxPairs()) throw new IllegalArgumentException("drag " + n + " has more than " + ed.options.maxPairs() + " pairs");
                for (int i = 0; i < r.handles().size(); i++) p.addPair(r.handles().get(i), r.targets().get(i));
                p.setMask(r.mask());
                p.setConfig(r.config());
            }
            p.clearPairs();
            for (DragSession.Pair q : st.pairs()) p.addPair(q.handle(), q.target());
            p.setMask(st.mask());
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw HttpError.badRequest("the session file does not fit this model: " + e.getMessage());
        }
        long steps = 0;
        for (DragSession.DragRecord r : st.drags()) steps += r.steps();
        if (steps > 100L * ed.options.maxSteps()) throw HttpError.badRequest("the session file replays " + steps + " steps, more than this editor allows (" + 100L * ed.options.maxSteps() + ")");
    }

    private void runLoad(SessionFile.State st, int myRun) {
        Listener l = new Listener(myRun, null);
        DragSession loaded = null;
        String error = null, reason = "LOADED";
        try {
            if (stopRequested) throw new Cancelled();
            loaded = SessionFile.replay(st, ed.generator, l);
        } catch (Cancelled c) {
            reason = "STOPPED";
        } catch (Throwable t) {
            error = "loading the session failed: " + describe(t);
            log(t);
        }
        l.awaitEncoder();
        DragSession d;
        synchronized (this) {
            if (loaded != null && !closed) {
                drag = loaded;
                seed = st.seed();
                psi = st.psi();
            }
            d = drag;
        }
        finish(myRun, reason, loaded == null ? 0 : loaded.totalSteps(), error, d);
    }

    private static String describe(Throwable t) {
        if (t instanceof OutOfMemoryError) return "out of memory (try a smaller model or fewer sessions)";
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    private void log(Throwable t) {
        System.err.println("draggan edit: session " + id.substring(0, 8) + ": " + t);
        if ("1".equals(System.getenv("DRAGGAN_DEBUG"))) t.printStackTrace();
    }
}
