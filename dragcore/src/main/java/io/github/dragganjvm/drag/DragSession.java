package io.github.dragganjvm.drag;

import io.github.dragganjvm.autograd.Adam;
import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;

/**
 * The stateful drag API programs use: one generated image (a w+ latent), the handle/target pairs, an optional
 * mask, and the optimisation state. Not tied to any UI; thread-safe for one running drag plus {@link #stop()}
 * (and read-only getters) from other threads. Editing pairs or the mask while a drag runs is refused.
 *
 * <p>A <b>drag</b> is one uninterrupted sequence of steps ({@link #run}, or {@link #step} calls up to the next edit):
 * its first step snapshots w+ and the handles for {@link #undo()} and the drag goes into {@link #history()}.
 *
 * <p>The <b>optimisation state</b> outlives a drag, as in the reference renderer (DragGAN viz/renderer.py), so
 * Stop then Start continues exactly where it stopped:
 * <ul>
 * <li>Adam (its moments and step count) over the optimised rows of w+ is made at the first step and kept until
 *     {@link #reset()}, {@link #setWs}, {@link #undo()} or a config with another {@code optimizedRows} (the
 *     reference makes it in {@code init_network}: new seed, loaded w, Reset). Adding or removing pairs keeps it, as
 *     in the reference. A new learning rate keeps the moments (as setting a PyTorch param group's lr).</li>
 * <li>The tracking references, F0 (the feature map at capture) and f0 of each handle, are captured at the first
 *     step and kept while the handles are the ones the last step left. When a step finds the handles edited (pairs
 *     added or removed, as the reference's {@code len(points) != len(self.points)} test; a handle moved, which the
 *     reference's UI cannot do), they are recaptured from the current features; also after everything that
 *     renews Adam, and on a new feature block. Editing only targets or the mask keeps them.</li>
 * <li>RANDOM noise is drawn anew for every forward, as the reference's {@code noise_mode='random'}, from a seeded
 *     stream: forward k of the session's line (counted from its start, rewound by undo, restarted by reset and setWs)
 *     uses {@link #forwardNoiseSeed(long, long) forwardNoiseSeed(noiseSeed, k)}, so a run and its replay agree.</li>
 * </ul>
 * How each drag began ({@link Start}) is recorded, so {@link SessionFile#replay} rebuilds the same state.
 *
 * <p>The generator is any {@link DragGenerator} (StyleGAN2 {@link Generator}, StyleGAN3); the feature F is the
 * output it names for the config's feature block ({@link DragGenerator#dragFeature}), resized to the image.
 *
 * <p>On the default path, a step that shows no image and has no mask term computes only the rectangles of the
 * feature block its capture, tracker and loss read ({@link StepWindow}, for generators that
 * {@link DragGenerator#computesWindows compute windows}: StyleGAN2, StyleGAN-Human): the same points and losses as whole maps, for a fraction of
 * the forward.
 */
public final class DragSession {
    /** A handle (current, tracked position) and its target. */
    public record Pair(Point handle, Point target) {}

    /**
     * What one iteration did. loss is the value before the step (NaN when nothing was supervised); nanos the step's
     * time, without rendering its image; pendingImage the pre-step image when the step was asked for one, else null.
     */
    public record StepResult(int step, List<Point> handles, List<Point> targets, double loss, boolean done,
                             double maxDistance, PendingImage pendingImage, long nanos) {
        /** The pre-step image [1, C, h, h], rendered now on the calling thread unless already rendered; null when not asked for. */
        public Tensor image() { return pendingImage == null ? null : pendingImage.get(); }
    }

    /**
     * A step's pre-step image, rendered on first use: it holds the step's latent and block outputs up to the feature
     * block and runs only the blocks above them and ToRGB ({@link Generator#imageFrom}), with the step's noise, so the
     * image equals a full synthesis of that latent and can be rendered on another thread while the next step runs.
     * Thread-safe; renders at most once.
     */
    public static final class PendingImage {
        private Supplier<Tensor> job;
        private Tensor image;

        PendingImage(Supplier<Tensor> job) { this.job = job; }

        static PendingImage of(Tensor image) {
            PendingImage p = new PendingImage(null);
            p.image = image;
            return p;
        }

        /** The image [1, C, h, h]; renders it (no gradient) on the first call. */
        public synchronized Tensor get() {
            if (image == null) {
                image = job.get();
                job = null;                       // lets the latent and block outputs go
            }
            return image;
        }

        /** Whether {@link #get()} would return at once. */
        public synchronized boolean isRendered() { return image != null; }
    }

    /** Why a run ended. */
    public enum EndReason { CONVERGED, MAX_STEPS, STOPPED }

    /** The end of a run. */
    public record RunResult(int steps, EndReason reason, List<Pair> pairs) {}

    /** Receives each step of {@link #run}; return true to get the image of the next step. */
    @FunctionalInterface
    public interface StepListener {
        void onStep(StepResult r);

        /** Whether the next step should also make its image (its pre-step image, as the reference shows; see {@link StepResult#pendingImage()}). */
        default boolean wantImage(int nextStep) { return false; }

        /**
         * Called inside step {@code step} as soon as its image can be rendered: after the forward, before tracking and
         * the backward (on the drag thread, with the session locked: the step waits for it, which a listener may use
         * as back-pressure). A listener may start {@link PendingImage#get()} on another thread, so the image renders
         * while the step finishes; the same object comes again as {@link StepResult#pendingImage()}.
         */
        default void imageReady(int step, PendingImage image) {}
    }

    /** The optimisation state a drag's first step found (see the class comment). */
    public enum Start {
        /** A new Adam and newly captured tracking references (the first drag, or after reset, setWs, undo). */
        FRESH,
        /** Adam continued; the tracking references were recaptured (the handles were edited, or a new feature block). */
        NEW_FEATURES,
        /** Adam and the tracking references both continued (Stop, then Start with the same handles). */
        CONTINUED
    }

    /** One finished drag, for export and replay, with the config it ran with and the state it started from. */
    public record DragRecord(List<Point> handles, List<Point> targets, Mask mask, int steps, EndReason reason, DragConfig config, Start start) {
        public DragRecord {
            if (start == null) throw new IllegalArgumentException("DragRecord: start must be given");
        }

        /** A drag that started fresh (as every drag did before the state was kept between drags). */
        public DragRecord(List<Point> handles, List<Point> targets, Mask mask, int steps, EndReason reason, DragConfig config) {
            this(handles, targets, mask, steps, reason, config, Start.FRESH);
        }
    }

    private final DragGenerator g;
    private DragConfig cfg;
    private final NoiseMode noise;
    private final long noiseSeed;
    private Tensor w0;                       // [1, num_ws, w_dim], the start (the reference's w0: rows optimizedRows.. come from it)
    private Tensor ws;                       // [1, num_ws, w_dim], the current latent
    private final List<Point> initialHandles = new ArrayList<>();
    private final List<Point> handles = new ArrayList<>();
    private final List<Point> targets = new ArrayList<>();
    private Mask mask;

    // optimisation state, kept across drags (class comment); wOpt == null implies featRefs == null
    private Var wOpt;                        // [1, rows, w_dim], requires grad; null: made from ws at the next step
    private Adam adam;
    private List<Tensor> featRefs;           // f0 per handle, [C]; null: captured at the next step
    private List<Point> trackedHandles;      // the handles as the last step left them (an edit that changes them recaptures)
    private List<Point> origins;             // handles at capture (ORIGINAL supervision's p0)
    private FeatureMap f0Map;                // F0: f0Block as a feature map (made on first use), or the capture's windows
    private List<Tensor> templates;          // TEMPLATE tracker: feature at the previous tracked position, [C]
    private Tensor f0Block;                  // F0 before resizing, [1, C, hb, hb]; null after a windowed capture
    private Tensor f0Ws;                     // a windowed capture's ws and noise seed: F0 is made whole from them when a mask needs it
    private long f0NoiseSeed;
    private long noiseDraws;                 // forwards of this line so far: forward k draws RANDOM noise k

    // the drag in progress (bookkeeping for undo and history)
    private boolean dragActive;
    private int dragSteps;
    private List<Point> dragStartHandles, dragStartTargets;
    private Mask dragStartMask;
    private Start dragStart;

    private final Deque<Snapshot> undo = new ArrayDeque<>();
    private final List<DragRecord> history = new ArrayList<>();
    private int totalSteps;
    private Tensor lastGrad;                 // dL/dw of the optimised rows at the last step (for tests and tools)
    private volatile boolean stopRequested;
    private boolean windowsOn = StepWindow.ENABLED; // steps may compute only the feature block's read rectangles
    private List<Generator.Window> lastWindows;      // the last step's rectangles, null when it ran whole maps
    private volatile boolean running;

    private record Snapshot(Tensor ws, List<Point> handles, List<Point> initialHandles, int historySize, long noiseDraws) {}

    private DragSession(DragGenerator g, Tensor ws, NoiseMode noise, long noiseSeed, DragConfig cfg) {
        int[] s = ws.shape();
        if (s.length != 3 || s[0] != 1 || s[1] != g.numWs() || s[2] != g.wDim()) {
            throw new IllegalArgumentException("DragSession: w+ must be [1, " + g.numWs() + ", " + g.wDim() + "] but is " + java.util.Arrays.toString(s));
        }
        for (double v : ws.toDoubleArray()) if (!Double.isFinite(v)) throw new IllegalArgumentException("DragSession: w+ holds a non-finite value");
        checkConfig(g, cfg);
        this.g = g;
        this.cfg = cfg;
        this.noise = noise;
        this.noiseSeed = noiseSeed;
        this.w0 = ws.copy();
        this.ws = ws.copy();
    }

    private static void checkConfig(DragGenerator g, DragConfig cfg) {
        if (cfg.optimizedRows() > g.numWs()) throw new IllegalArgumentException("DragSession: optimizedRows " + cfg.optimizedRows() + " exceeds num_ws " + g.numWs());
        int res = g.resolution();
        if (cfg.featureBlockRes() > res) {
            throw new IllegalArgumentException("DragSession: the config's feature block (" + cfg.featureBlockRes() + " px) is larger than this "
                    + res + " px model; fit the config to the model with config.fittedTo(" + res + "), e.g. DragConfig.reference().fittedTo(generator.resolution())");
        }
        try {
            g.featureIndex(cfg.featureBlockRes());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("DragSession: the config's feature block " + cfg.featureBlockRes() + " px is not a block of this model ("
                    + e.getMessage() + "); choose one with config.withFeatureBlock(res)", e);
        }
    }

    /** A session on the image of a seed: ws = truncation(mapping(z(seed)), psi). */
    public static DragSession fromSeed(DragGenerator g, long seed, double psi, NoiseMode noise, DragConfig cfg) {
        return new DragSession(g, g.mapping(g.z(seed), psi, -1), noise, seed, cfg);
    }

    /** A session on a given w+ [1, num_ws, w_dim]. */
    public static DragSession fromWs(DragGenerator g, Tensor ws, NoiseMode noise, long noiseSeed, DragConfig cfg) {
        return new DragSession(g, ws, noise, noiseSeed, cfg);
    }

    // ------------------------------------------------------------------ points and mask

    /** Adds a pair; both points must lie on the image and differ. Returns its index. */
    public synchronized int addPair(Point handle, Point target) {
        requireIdle("addPair");
        checkPair(handle, target);
        initialHandles.add(handle);
        handles.add(handle);
        targets.add(target);
        endDrag(EndReason.STOPPED);
        return handles.size() - 1;
    }

    /** Moves pair i's handle and target. */
    public synchronized void movePair(int i, Point handle, Point target) {
        requireIdle("movePair");
        checkIndex(i);
        checkPair(handle, target);
        initialHandles.set(i, handle);
        handles.set(i, handle);
        targets.set(i, target);
        endDrag(EndReason.STOPPED);
    }

    /** Removes pair i. */
    public synchronized void removePair(int i) {
        requireIdle("removePair");
        checkIndex(i);
        initialHandles.remove(i);
        handles.remove(i);
        targets.remove(i);
        endDrag(EndReason.STOPPED);
    }

    /** Removes every pair. */
    public synchronized void clearPairs() {
        requireIdle("clearPairs");
        initialHandles.clear();
        handles.clear();
        targets.clear();
        endDrag(EndReason.STOPPED);
    }

    /** Sets the mask (null: none). Its size must equal the image size. */
    public synchronized void setMask(Mask m) {
        requireIdle("setMask");
        if (m != null && m.size() != g.resolution()) throw new IllegalArgumentException("mask is " + m.size() + "x" + m.size() + " but the image is " + g.resolution() + "x" + g.resolution());
        this.mask = m;
        endDrag(EndReason.STOPPED);
    }

    public synchronized Mask mask() { return mask; }

    /** The pairs with the current (tracked) handles. */
    public synchronized List<Pair> pairs() {
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < handles.size(); i++) out.add(new Pair(handles.get(i), targets.get(i)));
        return out;
    }

    private void checkPair(Point handle, Point target) {
        int r = g.resolution();
        if (!handle.inside(r)) throw new IllegalArgumentException("handle " + handle + " is off the image: x and y must be in [0, " + (r - 1) + "]");
        if (!target.inside(r)) throw new IllegalArgumentException("target " + target + " is off the image: x and y must be in [0, " + (r - 1) + "]");
        if (handle.rounded().equals(target.rounded())) throw new IllegalArgumentException("target " + target + " equals its handle " + handle);
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= handles.size()) throw new IndexOutOfBoundsException("pair " + i + " does not exist (there are " + handles.size() + ")");
    }

    private void requireIdle(String op) {
        if (running) throw new IllegalStateException(op + ": a drag is running; stop it first");
    }

    // ------------------------------------------------------------------ the loop

    /**
     * One iteration (track, stop test, supervise, Adam step) with forward number {@link #noiseDraws()}'s noise;
     * when asked, the result carries the pre-step image as a {@link PendingImage} (on the default path it is rendered
     * only when read, from this step's forward, so the caller may render it on another thread while the next step
     * runs). Starts a drag when none is in progress; makes Adam and captures the tracking references when the session
     * has none or the handles were edited (class comment).
     */
    public StepResult step(boolean wantImage) { return step(wantImage, null); }

    private synchronized StepResult step(boolean wantImage, StepListener listener) {
        if (handles.isEmpty()) throw new IllegalStateException("step: no handle/target pairs");
        long t0 = System.nanoTime();
        if (!dragActive) beginDrag();
        if (wOpt == null) newOptimizer();
        if (featRefs != null && !handles.equals(trackedHandles)) dropFeatures();
        int h = g.resolution();
        int rows = cfg.optimizedRows();
        long nSeed = forwardNoiseSeed(noiseSeed, noiseDraws);
        Var wsVar = ShapeOps.cat(1, wOpt, Var.constant(w0.sliceView(1, rows, g.numWs())));
        Generator.Request req = cfg.directSampling()
                ? new Generator.Request(noise, nSeed, cfg.featureBlockRes(), Generator.ImageMode.NONE, cfg.featureBlockRes())
                : Generator.Request.full(noise).withNoiseSeed(nSeed);                  // the reference's whole taped forward
        List<Generator.Window> windows = !wantImage && cfg.directSampling() ? stepWindows(h) : null;
        lastWindows = windows;
        if (windows != null) req = req.withWindows(windows);
        Generator.Output out = g.synthesis(wsVar, req);
        PendingImage pending = !wantImage ? null
                : out.image() != null ? PendingImage.of(out.image().value())
                : deferredImage(wsVar.value().copy(), out, req);
        if (pending != null && listener != null) listener.imageReady(totalSteps + 1, pending);
        noiseDraws++;
        FeatureMap f;
        if (windows == null) f = new FeatureMap(g.dragFeature(out, cfg.featureBlockRes()), h, cfg.directSampling());
        else f = FeatureMap.windowed(out.parts(g.featureIndex(cfg.featureBlockRes())), cfg.featureBlockRes(), h);

        if (featRefs == null) {
            if (f.isWindowed()) {
                f0Block = null;
                f0Map = f.valuesCopy();
                f0Ws = wsVar.value().copy();
                f0NoiseSeed = nSeed;
            } else {
                f0Block = f.block().value().copy();
                f0Map = null;
            }
            featRefs = new ArrayList<>();
            for (int i = 0; i < handles.size(); i++) {
                Point p = handles.get(i).rounded();
                handles.set(i, p);
                featRefs.add(PointTracker.featureAt(f, p));
            }
            templates = new ArrayList<>(featRefs);
            origins = List.copyOf(handles);
        }
        for (int i = 0; i < handles.size(); i++) {
            if (cfg.tracker() == DragConfig.Tracker.REFERENCE) {
                handles.set(i, PointTracker.track(f, featRefs.get(i), handles.get(i), cfg.r2(h)).point());
            } else {
                Point p = PointTracker.trackTemplate(f, featRefs.get(i), templates.get(i), handles.get(i), cfg.r2(h), cfg.templateWeight(), cfg.moveMargin()).point();
                handles.set(i, p);
                templates.set(i, PointTracker.featureAt(f, p));
            }
        }
        trackedHandles = List.copyOf(handles);
        double maxDist = 0;
        for (int i = 0; i < handles.size(); i++) maxDist = Math.max(maxDist, handles.get(i).distance(targets.get(i)));
        boolean done = maxDist <= cfg.stopDistance(h);

        Var loss = MotionSupervision.loss(f, handles, targets, cfg, cfg.supervision() == DragConfig.Supervision.ORIGINAL ? f0Map() : null, origins);
        Var fix = MotionSupervision.maskLoss(f, f0Full(), mask, cfg.lambdaMask());
        if (fix != null) loss = loss == null ? fix : ElementwiseOps.add(loss, fix);
        double lossValue = loss == null ? Double.NaN : loss.value().item();
        if (!done && loss != null) {
            loss.backward();
            lastGrad = wOpt.grad().copy();
            adam.step();
            adam.zeroGrad();
            Tensor next = w0.copy();
            Ops.copyInto(wOpt.value(), next.sliceView(1, 0, rows));
            ws = next;
        }
        dragSteps++;
        totalSteps++;
        return new StepResult(totalSteps, List.copyOf(handles), List.copyOf(targets), lossValue, done, maxDist, pending, System.nanoTime() - t0);
    }

    /**
     * The rectangles of the feature block this step's forward may compute alone ({@link StepWindow}), or null for whole
     * maps: without a mask term (it reads F whole), for a generator that computes windows, and unless turned off
     * ({@link StepWindow#ENABLED}, {@link #useWindows}). A capturing step reads F at the handles rounded, as it rounds
     * them.
     */
    private List<Generator.Window> stepWindows(int h) {
        int hb = cfg.featureBlockRes();
        boolean maskTerm = mask != null && mask.hasBothValues() && cfg.lambdaMask() != 0;
        if (!windowsOn || maskTerm || !g.computesWindows() || h % hb != 0) return null;
        return StepWindow.around(handles.stream().map(Point::rounded).toList(), h, hb, cfg.r1(h), cfg.r2(h));
    }

    /**
     * Lets steps compute only the rectangles of the feature block they read (the default) or whole maps (for
     * comparisons: the same points and losses to rounding, at the whole maps' cost).
     */
    public synchronized void useWindows(boolean on) { windowsOn = on; }

    /** The feature-block rectangles the last step asked for (one per handle), or null when it ran whole maps. */
    synchronized List<Generator.Window> lastStepWindows() { return lastWindows; }

    /**
     * The image of a forward that stopped at the feature block: keeps ws [1, num_ws, w_dim] (a copy Adam will not
     * change) and the block outputs' values, and continues the synthesis from them when asked.
     */
    private PendingImage deferredImage(Tensor wsValue, Generator.Output out, Generator.Request req) {
        List<Var> blocks = new ArrayList<>();
        for (Var v : out.features()) blocks.add(v.detach());
        Generator.Output kept = new Generator.Output(List.copyOf(blocks), null);
        return new PendingImage(() -> g.imageFrom(kept, wsValue, req));
    }

    /**
     * The seed of forward k's RANDOM noise in a session of noise seed s (a SplitMix64 mix of s and k): every forward
     * draws new noise, and the same session replays the same draws. Passed to {@link Generator.Request#noiseSeed()}.
     */
    public static long forwardNoiseSeed(long s, long k) {
        long z = s + (k + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The first step's feature map F0: read in windows by ORIGINAL supervision, whole by the mask term. */
    private FeatureMap f0Map() {
        if (f0Map == null) f0Map = new FeatureMap(Var.constant(f0Block), g.resolution(), cfg.directSampling());
        return f0Map;
    }

    /**
     * F0 resized to the image, [1, C, h, h], when a mask needs it (made once per capture, kept by f0Map). After a
     * windowed capture F0 is made whole first: the capture's forward again, whole, from its ws and noise seed.
     */
    private Tensor f0Full() {
        if (mask == null || !mask.hasBothValues()) return null;
        try (var ng = GradMode.noGrad()) {
            if (f0Map().isWindowed()) {
                Generator.Request whole = new Generator.Request(noise, f0NoiseSeed, cfg.featureBlockRes(), Generator.ImageMode.NONE, 0);
                f0Block = g.dragFeature(g.synthesis(Var.constant(f0Ws), whole), cfg.featureBlockRes()).value().copy();
                f0Map = null;
                f0Ws = null;
            }
            return f0Map().full().value();
        }
    }

    /** Adam over a fresh parameter holding ws's optimised rows; the tracking references go with it. */
    private void newOptimizer() {
        wOpt = Var.param(ws.sliceView(1, 0, cfg.optimizedRows()).copy());
        adam = new Adam(List.of(wOpt), cfg.lr());
        dropFeatures();
    }

    /** Forgets Adam and the tracking references: the next step starts both anew from ws. */
    private void dropOptimizer() {
        wOpt = null;
        adam = null;
        dropFeatures();
    }

    /** Forgets the tracking references (f0, F0, templates): the next step captures them from its features. */
    private void dropFeatures() {
        featRefs = null;
        f0Block = null;
        f0Map = null;
        f0Ws = null;
        templates = null;
        origins = null;
        trackedHandles = null;
    }

    /** How the next step would start: the state it finds (class comment). */
    private Start pendingStart() {
        if (wOpt == null) return Start.FRESH;
        if (featRefs == null || !handles.equals(trackedHandles)) return Start.NEW_FEATURES;
        return Start.CONTINUED;
    }

    /**
     * Replay: makes the next drag start as a recorded one did (FRESH drops Adam and the references, NEW_FEATURES
     * drops the references). Refuses a start this session's state cannot give (a continued Adam that does not exist,
     * references for other handles): the record does not belong to this sequence of drags.
     */
    synchronized void startAs(Start s, String what) {
        requireIdle("startAs");
        endDrag(EndReason.STOPPED);
        switch (s) {
            case FRESH -> dropOptimizer();
            case NEW_FEATURES -> {
                if (wOpt == null) throw new IllegalArgumentException(what + " continues an Adam state, but no drag before it left one");
                dropFeatures();
            }
            case CONTINUED -> {
                if (pendingStart() != Start.CONTINUED) throw new IllegalArgumentException(what + " continues the previous drag, but its handles or state differ from where that drag ended");
            }
        }
    }

    private void beginDrag() {
        undo.push(new Snapshot(ws.copy(), List.copyOf(handles), List.copyOf(initialHandles), history.size(), noiseDraws));
        dragStart = pendingStart();
        dragSteps = 0;
        dragStartHandles = List.copyOf(handles);
        dragStartTargets = List.copyOf(targets);
        dragStartMask = mask;
        dragActive = true;
    }

    private void endDrag(EndReason reason) {
        if (!dragActive) return;
        history.add(new DragRecord(dragStartHandles, dragStartTargets, dragStartMask, dragSteps, reason, cfg, dragStart));
        dragActive = false;
    }

    /**
     * Runs steps until every handle is within the stop distance, {@code maxSteps} iterations ran, or {@link #stop()}
     * was called. The drag ends with the run (the next step starts a new one); Adam and the tracking references stay
     * for the next run (class comment).
     */
    public RunResult run(int maxSteps, StepListener listener) {
        if (maxSteps < 1) throw new IllegalArgumentException("run: maxSteps must be >= 1 but is " + maxSteps);
        synchronized (this) {
            if (running) throw new IllegalStateException("run: a drag is already running");
            if (handles.isEmpty()) throw new IllegalStateException("run: no handle/target pairs");
            running = true;
            stopRequested = false;
        }
        EndReason reason = EndReason.MAX_STEPS;
        int n = 0;
        try {
            while (n < maxSteps) {
                if (stopRequested) { reason = EndReason.STOPPED; break; }
                StepResult r = step(listener != null && listener.wantImage(totalSteps + 1), listener);
                n++;
                if (listener != null) listener.onStep(r);
                if (r.done()) { reason = EndReason.CONVERGED; break; }
            }
        } finally {
            synchronized (this) {
                endDrag(reason);
                running = false;
            }
        }
        return new RunResult(n, reason, pairs());
    }

    /** Asks a running {@link #run} to end after its current step (callable from any thread). */
    public void stop() { stopRequested = true; }

    /** Whether a run is in progress. */
    public boolean isRunning() { return running; }

    /**
     * Back to the original image: w+ = w0, handles at their initial positions, drag history and undo cleared, Adam and
     * the tracking references dropped, the noise draws restarted (the reference's Reset).
     */
    public synchronized void reset() {
        requireIdle("reset");
        ws = w0.copy();
        for (int i = 0; i < handles.size(); i++) handles.set(i, initialHandles.get(i));
        undo.clear();
        history.clear();
        dragActive = false;
        dropOptimizer();
        noiseDraws = 0;
    }

    /**
     * Reverts the last drag (w+, handles and noise draws as before it); Adam and the tracking references start anew
     * (their state belonged to the undone drag). Returns false when there is nothing to undo.
     */
    public synchronized boolean undo() {
        requireIdle("undo");
        if (dragActive) endDrag(EndReason.STOPPED);
        Snapshot s = undo.poll();
        if (s == null) return false;
        ws = s.ws();
        if (s.handles().size() == handles.size()) {
            for (int i = 0; i < handles.size(); i++) {
                handles.set(i, s.handles().get(i));
                initialHandles.set(i, s.initialHandles().get(i));
            }
        }
        while (history.size() > s.historySize()) history.remove(history.size() - 1);
        dragActive = false;
        dropOptimizer();
        noiseDraws = s.noiseDraws();
        return true;
    }

    // ------------------------------------------------------------------ state

    /** The current w+ [1, num_ws, w_dim] (a copy). */
    public synchronized Tensor ws() { return ws.copy(); }

    /** The starting w+ w0 (a copy): the rows from optimizedRows on that every step uses. */
    public synchronized Tensor w0() { return w0.copy(); }

    /**
     * Starts over from a given w+ [1, num_ws, w_dim] (e.g. an imported one), as the reference's loaded w: it becomes
     * both w0 and the current w+, so every row of it reaches the image (rows from optimizedRows on come from w0);
     * Adam and the tracking references start anew, the noise draws restart, undo and the drag history are cleared
     * (they started from the old w0). Pairs and mask are kept; the handles' positions become their initial ones.
     */
    public synchronized void setWs(Tensor newWs) {
        requireIdle("setWs");
        if (!java.util.Arrays.equals(newWs.shape(), w0.shape())) throw new IllegalArgumentException("setWs: w+ must be " + java.util.Arrays.toString(w0.shape()) + " but is " + java.util.Arrays.toString(newWs.shape()));
        for (double v : newWs.toDoubleArray()) if (!Double.isFinite(v)) throw new IllegalArgumentException("setWs: w+ holds a non-finite value");
        dragActive = false;
        w0 = newWs.copy();
        ws = newWs.copy();
        for (int i = 0; i < handles.size(); i++) initialHandles.set(i, handles.get(i));
        undo.clear();
        history.clear();
        dropOptimizer();
        noiseDraws = 0;
    }

    /**
     * The image of the current w+ [1, 3, h, h] (a forward pass without gradient) with the noise of the next forward
     * (so under RANDOM noise it is the pre-step image the next step would show; it draws nothing).
     */
    public Tensor image() {
        Tensor cur;
        long nSeed;
        synchronized (this) {
            cur = ws.copy();
            nSeed = forwardNoiseSeed(noiseSeed, noiseDraws);
        }
        try (var ng = GradMode.noGrad()) {
            return g.synthesis(Var.constant(cur), new Generator.Request(noise, nSeed, Integer.MAX_VALUE, Generator.ImageMode.NO_GRAD, 0)).image().value();
        }
    }

    public DragGenerator generator() { return g; }
    public synchronized DragConfig config() { return cfg; }

    /**
     * Changes the config for the drags to come (e.g. a new learning rate between drags); the finished drags keep
     * theirs in {@link #history()}. Refused while a drag runs; ends the drag in progress like any other edit.
     * The optimisation state stays where it can: another optimizedRows starts Adam anew; another feature block or
     * sampling path recaptures the tracking references; another lr keeps Adam's moments and step count; another
     * tracker restarts the templates from f0.
     */
    public synchronized void setConfig(DragConfig c) {
        requireIdle("setConfig");
        checkConfig(g, c);
        if (c.equals(cfg)) return;
        endDrag(EndReason.STOPPED);
        DragConfig old = cfg;
        cfg = c;
        if (wOpt == null) return;
        if (c.optimizedRows() != old.optimizedRows()) {
            dropOptimizer();
            return;
        }
        if (c.lr() != old.lr()) {
            Adam next = new Adam(List.of(wOpt), c.lr());
            next.restore(adam.steps(), List.of(adam.firstMoment(0)), List.of(adam.secondMoment(0)));
            adam = next;
        }
        if (c.featureBlockRes() != old.featureBlockRes() || c.directSampling() != old.directSampling()) dropFeatures();
        else if (c.tracker() != old.tracker() && featRefs != null) templates = new ArrayList<>(featRefs);
    }
    public NoiseMode noise() { return noise; }
    public long noiseSeed() { return noiseSeed; }
    public synchronized int totalSteps() { return totalSteps; }

    /** Forwards made on this session's line so far (the next forward draws RANDOM noise number noiseDraws()). */
    public synchronized long noiseDraws() { return noiseDraws; }
    public synchronized List<DragRecord> history() { return List.copyOf(history); }
    public synchronized List<Point> initialHandles() { return List.copyOf(initialHandles); }
    public synchronized boolean canUndo() { return !undo.isEmpty(); }

    /** dL/dw [1, rows, w_dim] of the optimised rows at the last step that took one, before Adam used it; null if none. */
    public synchronized Tensor lastGradient() { return lastGrad; }
}
