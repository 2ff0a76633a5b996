package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.Adam;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.data.ImageSource;
import io.github.dragganjvm.stylegan.io.DiscriminatorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One StyleGAN2 training run's state (G, D, G_ema, both Adams, the loss's path-length mean, progress) and its step:
 * NVlabs {@code training_loop.py}'s inner loop for one GPU, without augmentation.
 * <pre>
 *   per step:  reals = the next batch of the data source
 *              for phase in Gmain, Greg (every gRegInterval), Dmain, Dreg (every dRegInterval):
 *                  zero the trained network's gradients; loss.accumulate(phase, reals, z_phase, gain = interval)
 *                  non-finite gradient entries -> 0 / +-1e5 (torch.nan_to_num); Adam step of that network
 *              G_ema = lerp(G, G_ema, 0.5 ^ (batch / ema_nimg)), ema_nimg = min(ema_kimg * 1000, cur_nimg * ramp-up)
 *              cur_nimg += batch
 * </pre>
 * A network with a reg phase gets one Adam with lr * k/(k+1) and betas^(k/(k+1)) (k the interval), stepped after
 * both its phases, as the reference's lazy regularisation. Every random draw is a function of (seed, step, phase),
 * so a run restored from a snapshot continues exactly as if it had not stopped (for the same thread count).
 */
public final class Trainer {
    private static final double NAN_TO_NUM_BOUND = 1e5;

    private final TrainingOptions options;
    private final TrainableGenerator g, gEma;
    private final Discriminator d;
    private final Adam optG, optD;
    private final StyleGAN2Loss loss;
    private final ImageSource data;
    private long step;       // batches done (NVlabs batch_idx)
    private long curNimg;    // images shown to D (NVlabs cur_nimg)

    /**
     * What one step measured: the loss statistics of the phases that ran, and the wall time of each phase (loss,
     * gradients and its Adam step) and of the data and G_ema work, in milliseconds.
     */
    public record StepStats(long step, long curNimg, List<StyleGAN2Loss.Stats> phases, java.util.Map<String, Double> millis) {
        /** The stats of one phase, or null when it did not run this step. */
        public StyleGAN2Loss.Stats of(StyleGAN2Loss.Phase p) {
            for (StyleGAN2Loss.Stats s : phases) if (s.phase() == p) return s;
            return null;
        }
    }

    /**
     * A run from given networks (new or restored). G_ema starts as given (a new run passes a copy of G).
     *
     * @param data the real images; its resolution and channels must match the networks
     */
    public Trainer(TrainingOptions options, TrainableGenerator g, TrainableGenerator gEma, Discriminator d, ImageSource data) {
        if (data.resolution() != g.resolution() || data.resolution() != d.config().imgResolution()) {
            throw new IllegalArgumentException("training: the data is " + data.resolution() + " px but G makes " + g.resolution()
                    + " px and D takes " + d.config().imgResolution() + " px");
        }
        if (data.channels() != g.config().imgChannels()) {
            throw new IllegalArgumentException("training: the data has " + data.channels() + " channels but G makes " + g.config().imgChannels());
        }
        this.options = options;
        this.g = g;
        this.gEma = gEma;
        this.d = d;
        this.data = data;
        double gr = TrainingOptions.mbRatio(options.gRegInterval()), dr = TrainingOptions.mbRatio(options.dRegInterval());
        this.optG = new Adam(g.parameterList(), options.gLr() * gr, Math.pow(TrainingOptions.BETA1, gr), Math.pow(TrainingOptions.BETA2, gr), TrainingOptions.ADAM_EPS);
        this.optD = new Adam(d.parameterList(), options.dLr() * dr, Math.pow(TrainingOptions.BETA1, dr), Math.pow(TrainingOptions.BETA2, dr), TrainingOptions.ADAM_EPS);
        this.loss = new StyleGAN2Loss(g, d, options.loss());
    }

    public TrainingOptions options() { return options; }
    public TrainableGenerator generator() { return g; }
    public TrainableGenerator generatorEma() { return gEma; }
    public Discriminator discriminator() { return d; }
    public Adam optimizerG() { return optG; }
    public Adam optimizerD() { return optD; }
    public StyleGAN2Loss loss() { return loss; }
    public long step() { return step; }
    public long curNimg() { return curNimg; }

    /** Restores the progress counters from a snapshot (the networks and optimizers are restored by the caller). */
    public void restoreProgress(long step, long curNimg, double plMean) {
        if (step < 0 || curNimg < 0) throw new IllegalArgumentException("training: progress must be >= 0 but is step " + step + ", " + curNimg + " images");
        this.step = step;
        this.curNimg = curNimg;
        loss.setPlMean(plMean);
    }

    /** Runs one training step (all phases due at this step, then the G_ema update). */
    public StepStats runStep() {
        int batch = options.batch();
        java.util.Map<String, Double> millis = new java.util.LinkedHashMap<>();
        long t0 = System.nanoTime();
        Tensor reals = data.batch(realIndices());
        millis.put("data", (System.nanoTime() - t0) / 1e6);
        List<StyleGAN2Loss.Stats> stats = new ArrayList<>();
        StyleGAN2Loss.Phase[] phases = StyleGAN2Loss.Phase.values();
        for (int pi = 0; pi < phases.length; pi++) {
            StyleGAN2Loss.Phase phase = phases[pi];
            boolean isG = phase == StyleGAN2Loss.Phase.GMAIN || phase == StyleGAN2Loss.Phase.GREG;
            int interval = switch (phase) {
                case GMAIN, DMAIN -> 1;
                case GREG -> options.gRegInterval();
                case DREG -> options.dRegInterval();
            };
            if (interval == 0 || step % interval != 0) continue;
            Adam opt = isG ? optG : optD;
            long p0 = System.nanoTime();
            opt.zeroGrad();
            long seed = drawSeed(pi);
            Tensor z = Tensor.randn(g.dtype(), seed, batch, g.config().zDim());
            stats.add(loss.accumulate(phase, reals, z, seed * 31 + 7, interval));
            boolean any = false;
            for (Var p : isG ? g.parameterList() : d.parameterList()) {
                if (p.grad() == null) continue;
                nanToNum(p.grad());
                any = true;
            }
            if (any) opt.step();
            millis.put(phase.name(), (System.nanoTime() - p0) / 1e6);
        }
        long e0 = System.nanoTime();
        // G_ema
        double emaNimg = options.emaKimg() * 1000;
        if (options.emaRampup() > 0) emaNimg = Math.min(emaNimg, curNimg * options.emaRampup());
        double beta = Math.pow(0.5, batch / Math.max(emaNimg, 1e-8));
        gEma.lerpFrom(g, beta);
        millis.put("ema", (System.nanoTime() - e0) / 1e6);
        curNimg += batch;
        step++;
        return new StepStats(step, curNimg, stats, millis);
    }

    /** The data indices of this step's real batch: fresh images of an infinite source, else uniform draws. */
    private long[] realIndices() {
        int batch = options.batch();
        long[] idx = new long[batch];
        long size = data.size();
        SplittableRandom rnd = new SplittableRandom(mix(options.seed(), step, 101));
        for (int i = 0; i < batch; i++) {
            idx[i] = size < 0 ? Math.floorMod(mix(options.seed(), step * batch + i, 202), 1L << 40) : rnd.nextLong(size);
        }
        return idx;
    }

    private long drawSeed(int phase) { return mix(options.seed(), step, phase); }

    /** A well-spread 64-bit hash of (seed, a, b) (SplitMix64 finaliser over a combination). */
    static long mix(long seed, long a, long b) {
        long z = seed * 0x9E3779B97F4A7C15L + a * 0xBF58476D1CE4E5B9L + b * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** torch.nan_to_num(g, nan=0, posinf=1e5, neginf=-1e5) in place, as the reference does before each step. */
    static void nanToNum(Tensor grad) {
        if (!grad.isContiguous()) throw new IllegalArgumentException("nanToNum: the gradient must be contiguous");
        var h = grad.host();
        int off = grad.offset(), n = grad.numel();
        for (int i = 0; i < n; i++) {
            double x = grad.dtype() == DType.F32 ? h.f32[off + i] : h.f64[off + i];
            if (Double.isFinite(x)) continue;
            double fixed = Double.isNaN(x) ? 0 : x > 0 ? NAN_TO_NUM_BOUND : -NAN_TO_NUM_BOUND;
            if (grad.dtype() == DType.F32) h.f32[off + i] = (float) fixed;
            else h.f64[off + i] = fixed;
        }
    }
}
