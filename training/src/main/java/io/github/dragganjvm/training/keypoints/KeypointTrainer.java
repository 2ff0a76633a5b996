package io.github.dragganjvm.training.keypoints;

import io.github.dragganjvm.autograd.Adam;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a {@link KeypointDetector} on fresh procedural toy faces. Step s (from 0) renders the faces of seeds
 * {@code TRAIN_SEED_BASE + s * batch + i}, i &lt; batch (never a seed below {@value #TRAIN_SEED_BASE}, so the evaluation
 * seeds from {@value #EVAL_SEED_BASE} stay unseen), degrades them by the options' {@link ImageJitter} with random
 * draws from (run seed, s), and takes one Adam step on
 * <pre>
 *   loss = mean over images, keypoints and both axes of |predicted - true|   (pixels)
 * </pre>
 * The learning rate is stepped down: lr until {@value #DECAY1} of the steps, lr / {@value #DECAY_FACTOR} until
 * {@value #DECAY2}, lr / {@value #DECAY_FACTOR}^2 after (a new Adam carrying the moments over, {@link Adam#restore}).
 * The initial weights come from the run seed. Same options and thread count, same weights bit for bit.
 */
public final class KeypointTrainer {
    /** First training seed. */
    public static final long TRAIN_SEED_BASE = 1_000_000_000L;
    /** First evaluation seed (held out: training seeds start at {@value #TRAIN_SEED_BASE}). */
    public static final long EVAL_SEED_BASE = 0L;
    /** Fractions of the run at which the learning rate drops, and by how much each time. */
    public static final double DECAY1 = 0.6, DECAY2 = 0.85, DECAY_FACTOR = 5;

    /**
     * A run's settings.
     *
     * @param arch     the network
     * @param steps    Adam steps, >= 1
     * @param batch    faces per step, >= 1
     * @param lr       initial Adam learning rate (betas 0.9, 0.999)
     * @param seed     the run seed (initial weights and jitter draws)
     * @param jitter   image degradation during training
     * @param logEvery print a progress line every this many steps (0: never)
     */
    public record Options(DetectorArchitecture arch, int steps, int batch, double lr, long seed, ImageJitter jitter, int logEvery) {
        public Options {
            if (steps < 1 || batch < 1) throw new IllegalArgumentException("KeypointTrainer: steps and batch must be >= 1 but are " + steps + ", " + batch);
            if ((long) steps * batch >= TRAIN_SEED_BASE) {
                throw new IllegalArgumentException("KeypointTrainer: steps * batch = " + (long) steps * batch + " would run the training seeds past " + 2 * TRAIN_SEED_BASE);
            }
            if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("KeypointTrainer: lr must be positive and finite but is " + lr);
            if (logEvery < 0) throw new IllegalArgumentException("KeypointTrainer: logEvery must be >= 0 but is " + logEvery);
        }

        /** The settings of the shipped detector. */
        public static Options defaults() { return new Options(DetectorArchitecture.toyFaces64(), 6000, 16, 2e-3, 1, ImageJitter.DEFAULT, 100); }

        /** The same with another number of steps. */
        public Options withSteps(int s) { return new Options(arch, s, batch, lr, seed, jitter, logEvery); }
    }

    private final Options options;
    private final KeypointDetector detector;
    private Adam adam;
    private int step;

    /** A new run: randomly initialised detector ({@link KeypointDetector#random}, F32, the run seed). */
    public KeypointTrainer(Options options) {
        this.options = options;
        this.detector = KeypointDetector.random(options.arch(), options.seed(), DType.F32);
        this.adam = new Adam(detector.parameterList(), options.lr());
    }

    /** The detector being trained (live: its parameters change with every step). */
    public KeypointDetector detector() { return detector; }

    /** Steps taken. */
    public int steps() { return step; }

    /** The learning rate of step s. */
    public double learningRate(int s) {
        double f = s / (double) options.steps();
        return f < DECAY1 ? options.lr() : f < DECAY2 ? options.lr() / DECAY_FACTOR : options.lr() / (DECAY_FACTOR * DECAY_FACTOR);
    }

    /** The training seeds of step s. */
    public long[] seeds(int s) {
        long[] seeds = new long[options.batch()];
        for (int i = 0; i < seeds.length; i++) seeds[i] = TRAIN_SEED_BASE + (long) s * options.batch() + i;
        return seeds;
    }

    /** One Adam step on the next batch; returns its loss (mean absolute coordinate error in pixels, before the step). */
    public double step() {
        if (step >= options.steps()) throw new IllegalStateException("KeypointTrainer: all " + options.steps() + " steps are done");
        double lr = learningRate(step);
        if (lr != adam.lr()) {
            List<Var> ps = detector.parameterList();
            List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
            for (int i = 0; i < ps.size(); i++) {
                m.add(adam.firstMoment(i));
                v.add(adam.secondMoment(i));
            }
            Adam next = new Adam(ps, lr);
            next.restore(adam.steps(), m, v);
            adam = next;
        }
        SplittableRandom rng = new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + step);
        ToyKeypointBatch b = ToyKeypointBatch.of(options.arch().resolution(), seeds(step), options.jitter(), rng);
        Var loss = ReduceOps.l1Loss(detector.forward(Var.constant(b.images())), Var.constant(b.targets()));
        adam.zeroGrad();
        loss.backward();
        adam.step();
        step++;
        return loss.value().item();
    }

    /**
     * Runs the remaining steps, printing every {@code logEvery} steps: step, the mean loss since the last line,
     * the learning rate and the elapsed seconds.
     */
    public void run(PrintStream log) {
        long t0 = System.nanoTime();
        double sum = 0;
        int n = 0;
        while (step < options.steps()) {
            double lr = learningRate(step);
            sum += step();
            n++;
            if (options.logEvery() > 0 && (step % options.logEvery() == 0 || step == options.steps())) {
                log.printf(Locale.ROOT, "step %5d  loss %.4f px  lr %.2e  %.1f s%n", step, sum / n, lr, (System.nanoTime() - t0) / 1e9);
                log.flush();
                sum = 0;
                n = 0;
            }
        }
    }

    /** Metadata recorded with a trained detector: how it was trained. */
    public Map<String, String> trainingMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("training", String.format(Locale.ROOT, "KeypointTrainer steps=%d batch=%d lr=%s seed=%d jitter=%s train_seeds=%d..%d",
                options.steps(), options.batch(), options.lr(), options.seed(), options.jitter(), TRAIN_SEED_BASE,
                TRAIN_SEED_BASE + (long) options.steps() * options.batch() - 1));
        return m;
    }

    /**
     * Trains and evaluates from the command line:
     * {@code KeypointTrainer [--steps 6000] [--batch 16] [--lr 2e-3] [--seed 1] [--no-jitter] [--widths 16,32,48,64] [--heatmap 32] [--log-every 100]
     * [--eval 1000] --out FILE.safetensors}. Prints the progress, then the error table on {@code --eval} held-out faces
     * (seeds from {@value #EVAL_SEED_BASE}) clean and jittered, and writes the detector.
     */
    public static void main(String[] args) throws IOException {
        Options o = Options.defaults();
        int steps = o.steps(), batch = o.batch(), logEvery = o.logEvery(), eval = 1000;
        double lr = o.lr();
        long seed = o.seed();
        ImageJitter jitter = o.jitter();
        int[] widths = o.arch().widths();
        int heatmap = o.arch().heatmap();
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--steps" -> steps = Integer.parseInt(value(args, ++i, a));
                case "--batch" -> batch = Integer.parseInt(value(args, ++i, a));
                case "--lr" -> lr = Double.parseDouble(value(args, ++i, a));
                case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                case "--log-every" -> logEvery = Integer.parseInt(value(args, ++i, a));
                case "--eval" -> eval = Integer.parseInt(value(args, ++i, a));
                case "--no-jitter" -> jitter = ImageJitter.NONE;
                case "--widths" -> widths = java.util.Arrays.stream(value(args, ++i, a).split(",")).mapToInt(Integer::parseInt).toArray();
                case "--heatmap" -> heatmap = Integer.parseInt(value(args, ++i, a));
                case "--out" -> out = Path.of(value(args, ++i, a));
                default -> throw new IllegalArgumentException("KeypointTrainer: unknown argument '" + a
                        + "'; use --steps N --batch N --lr X --seed N --no-jitter --widths a,b,c,d --heatmap S --log-every N --eval N --out FILE");
            }
        }
        if (out == null) throw new IllegalArgumentException("KeypointTrainer: --out FILE.safetensors is required");
        DetectorArchitecture arch = new DetectorArchitecture(o.arch().resolution(), widths, heatmap);
        Options opts = new Options(arch, steps, batch, lr, seed, jitter, logEvery);
        KeypointTrainer t = new KeypointTrainer(opts);
        System.out.printf(Locale.ROOT, "%s, %d parameters; %s; backend %s, %d threads%n", opts.arch(), t.detector().parameterCount(), opts,
                Backends.cpu().name(), Backends.threads());
        long t0 = System.nanoTime();
        t.run(System.out);
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "trained %d steps in %.1f s (%.0f ms/step)%n", steps, secs, 1000 * secs / steps);
        t.detector().save(out, t.trainingMetadata());
        System.out.println("wrote " + out);
        if (eval > 0) {
            KeypointEvaluation clean = KeypointEvaluation.run(t.detector(), EVAL_SEED_BASE, eval, ImageJitter.NONE, 0);
            System.out.printf(Locale.ROOT, "%nheld-out seeds %d..%d, clean renders:%n%s", EVAL_SEED_BASE, EVAL_SEED_BASE + eval - 1, clean.table());
            KeypointEvaluation jit = KeypointEvaluation.run(t.detector(), EVAL_SEED_BASE, eval, ImageJitter.DEFAULT, 12345);
            System.out.printf(Locale.ROOT, "%nheld-out seeds %d..%d, jittered (%s):%n%s", EVAL_SEED_BASE, EVAL_SEED_BASE + eval - 1, ImageJitter.DEFAULT, jit.table());
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException("KeypointTrainer: " + flag + " needs a value");
        return args[i];
    }
}
