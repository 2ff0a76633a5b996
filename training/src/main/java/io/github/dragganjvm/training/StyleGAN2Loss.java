package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The StyleGAN2 loss, exactly as NVlabs {@code training/loss.py} {@code StyleGAN2Loss.accumulate_gradients} (without
 * augmentation), phase by phase. Each call adds {@code gain} times the phase's gradient to the {@link Var#grad()} of
 * the parameters that phase trains (G's for the G phases, D's for the D phases) and nothing to the others: the
 * gradients are taken with {@link Var#grad} with respect to those parameters only, which is what the reference gets
 * by switching {@code requires_grad} off on the other network.
 * <pre>
 *   Gmain: L = mean softplus(-D(G(z)))
 *   Greg:  path length: g = d sum(G(z) * noise / sqrt(H W)) / d ws (create graph), a = sqrt(mean_rows sum_w g^2),
 *          pl_mean' = lerp(pl_mean, mean(a), pl_decay), L = mean (a - pl_mean')^2 * pl_weight
 *   Dmain: L = mean softplus(D(G(z))) + mean softplus(-D(x))
 *   Dreg:  R1: g = d sum(D(x)) / dx (create graph), L = mean (|g|^2 * gamma / 2)
 * </pre>
 * G runs in training mode: every run of the mapping updates w_avg toward the batch mean of w (decay
 * {@link TrainableGenerator#W_AVG_BETA}); with style mixing probability p, rows from a random cutoff on come from a
 * second z. Randomness (mixing, random noise, the path-length noise) comes from the {@code seed} of each call, so a
 * run is a pure function of its seeds and can be resumed exactly.
 */
public final class StyleGAN2Loss {
    /** The four phases of lazy regularisation (NVlabs runs Gmain + Greg and Dmain + Dreg, the reg ones every k steps). */
    public enum Phase { GMAIN, GREG, DMAIN, DREG }

    /**
     * The loss's hyper-parameters (StyleGAN2Loss's arguments).
     *
     * @param r1Gamma         R1 weight gamma (0: no R1)
     * @param styleMixingProb probability of a style mix per batch (NVlabs: 0.9; 0 for none)
     * @param plWeight        path-length weight (NVlabs: 2; 0 for none)
     * @param plBatchShrink   the path-length batch is batch / this (NVlabs: 2)
     * @param plDecay         decay of the path-length mean (NVlabs: 0.01)
     * @param noise           noise mode of the generator during training (NVlabs: RANDOM)
     */
    public record Settings(double r1Gamma, double styleMixingProb, double plWeight, int plBatchShrink, double plDecay, NoiseMode noise) {
        public Settings {
            if (!(r1Gamma >= 0) || !Double.isFinite(r1Gamma)) throw new IllegalArgumentException("StyleGAN2Loss: r1Gamma must be >= 0 but is " + r1Gamma);
            if (!(styleMixingProb >= 0 && styleMixingProb <= 1)) throw new IllegalArgumentException("StyleGAN2Loss: styleMixingProb must be in [0, 1] but is " + styleMixingProb);
            if (!(plWeight >= 0) || !Double.isFinite(plWeight)) throw new IllegalArgumentException("StyleGAN2Loss: plWeight must be >= 0 but is " + plWeight);
            if (plBatchShrink < 1) throw new IllegalArgumentException("StyleGAN2Loss: plBatchShrink must be >= 1 but is " + plBatchShrink);
            if (!(plDecay >= 0 && plDecay <= 1)) throw new IllegalArgumentException("StyleGAN2Loss: plDecay must be in [0, 1] but is " + plDecay);
        }

        /** NVlabs' defaults with the given gamma: mixing 0.9, path length weight 2, shrink 2, decay 0.01, random noise. */
        public static Settings nvlabs(double r1Gamma) { return new Settings(r1Gamma, 0.9, 2, 2, 0.01, NoiseMode.RANDOM); }
    }

    /** What a phase measured, for the log: the loss terms' batch means (NaN where the phase has none). */
    public record Stats(Phase phase, double loss, double scoreFake, double scoreReal, double penalty) {}

    private final TrainableGenerator g;
    private final Discriminator d;
    private final Settings settings;
    private double plMean;    // the path-length mean (NVlabs' pl_mean buffer)

    public StyleGAN2Loss(TrainableGenerator g, Discriminator d, Settings settings) {
        if (g.resolution() != d.config().imgResolution()) {
            throw new IllegalArgumentException("StyleGAN2Loss: the generator makes " + g.resolution() + " px images but the discriminator takes "
                    + d.config().imgResolution() + " px");
        }
        this.g = g;
        this.d = d;
        this.settings = settings;
    }

    public Settings settings() { return settings; }

    /** The running path-length mean (state to save with a snapshot). */
    public double plMean() { return plMean; }

    /** Restores the path-length mean from a snapshot. */
    public void setPlMean(double v) {
        if (!Double.isFinite(v)) throw new IllegalArgumentException("StyleGAN2Loss: pl_mean must be finite but is " + v);
        plMean = v;
    }

    /**
     * Runs one phase on a batch and adds {@code gain} x its gradient to the trained network's parameters.
     *
     * @param phase the phase (a D phase needs {@code real}; a G phase ignores it)
     * @param real  real images [N, C, R, R] in [-1, 1] (D phases), else may be null
     * @param z     latents [N, z_dim] for the generated images
     * @param seed  the seed of this phase's randomness (style mixing, random noise, path-length noise)
     * @param gain  the phase's gradient multiplier (NVlabs: the phase's interval, 1 for main phases)
     */
    public Stats accumulate(Phase phase, Tensor real, Tensor z, long seed, double gain) {
        return switch (phase) {
            case GMAIN -> gMain(z, seed, gain);
            case GREG -> gPathLength(z, seed, gain);
            case DMAIN -> dMain(real, z, seed, gain);
            case DREG -> dR1(real, gain);
        };
    }

    // ------------------------------------------------------------------ G phases

    private Stats gMain(Tensor z, long seed, double gain) {
        Var img = runG(z, seed, true).image;
        Var logits = d.forward(img);                                                          // [N, 1]
        Var loss = ReduceOps.mean(ElementwiseOps.softplus(ElementwiseOps.neg(logits)), false);
        applyGradients(ElementwiseOps.affine(loss, gain, 0), g.parameterList());
        return new Stats(Phase.GMAIN, loss.value().item(), mean(logits.value()), Double.NaN, Double.NaN);
    }

    private Stats gPathLength(Tensor z, long seed, double gain) {
        if (settings.plWeight() == 0) return new Stats(Phase.GREG, 0, Double.NaN, Double.NaN, Double.NaN);
        int n = Math.max(1, z.size(0) / settings.plBatchShrink());
        Generated gen = runG(z.sliceView(0, 0, n).copy(), seed, true);
        int[] s = gen.image.shape();
        // pl_noise = randn_like(img) / sqrt(H W)
        Tensor noise = Ops.scale(Tensor.randn(gen.image.value().dtype(), new SplittableRandom(seed).split().nextLong(), s), 1 / Math.sqrt((double) s[2] * s[3]));
        Var proj = ReduceOps.sum(ElementwiseOps.mul(gen.image, Var.constant(noise)), false);
        Var grads = Var.grad(proj, (Var) null, new Var[]{gen.ws}, true)[0];                  // [n, num_ws, w_dim]
        Var lengths = ElementwiseOps.sqrt(ReduceOps.mean(ReduceOps.sum(ElementwiseOps.square(grads), false, 2), false, 1));   // [n]
        // pl_mean = self.pl_mean.lerp(pl_lengths.mean(), pl_decay): not detached, as the reference
        Var target = lerp(plMean, ReduceOps.mean(lengths, false), settings.plDecay());
        plMean = target.value().item();
        Var penalty = ElementwiseOps.square(ElementwiseOps.sub(lengths, ShapeOps.expandView(ShapeOps.reshape(target, 1), n)));
        Var loss = ReduceOps.mean(ElementwiseOps.affine(penalty, settings.plWeight(), 0), false);
        applyGradients(ElementwiseOps.affine(loss, gain, 0), g.parameterList());
        return new Stats(Phase.GREG, loss.value().item(), Double.NaN, Double.NaN, mean(penalty.value()));
    }

    /** torch.lerp(start, end, weight) for a constant start and a recorded end: start + weight (end - start). */
    private static Var lerp(double start, Var end, double weight) {
        return ElementwiseOps.affine(ElementwiseOps.affine(end, 1, -start), weight, start);
    }

    // ------------------------------------------------------------------ D phases

    private Stats dMain(Tensor real, Tensor z, long seed, double gain) {
        requireReal(real, z);
        Tensor fake;
        try (var ng = GradMode.noGrad()) {
            fake = runG(z, seed, false).image.value();
        }
        Var fakeLogits = d.forward(Var.constant(fake));
        Var lossGen = ReduceOps.mean(ElementwiseOps.softplus(fakeLogits), false);
        applyGradients(ElementwiseOps.affine(lossGen, gain, 0), d.parameterList());
        Var realLogits = d.forward(Var.constant(real));
        Var lossReal = ReduceOps.mean(ElementwiseOps.softplus(ElementwiseOps.neg(realLogits)), false);
        applyGradients(ElementwiseOps.affine(lossReal, gain, 0), d.parameterList());
        return new Stats(Phase.DMAIN, lossGen.value().item() + lossReal.value().item(), mean(fakeLogits.value()), mean(realLogits.value()), Double.NaN);
    }

    private Stats dR1(Tensor real, double gain) {
        if (settings.r1Gamma() == 0) return new Stats(Phase.DREG, 0, Double.NaN, Double.NaN, Double.NaN);
        Var x = Var.param(real);
        Var logits = d.forward(x);
        Var grads = Var.grad(ReduceOps.sum(logits, false), (Var) null, new Var[]{x}, true)[0];   // [N, C, H, W]
        Var penalty = ReduceOps.sum(ElementwiseOps.square(grads), false, 1, 2, 3);                // [N]
        Var loss = ReduceOps.mean(ElementwiseOps.affine(penalty, settings.r1Gamma() / 2, 0), false);
        applyGradients(ElementwiseOps.affine(loss, gain, 0), d.parameterList());
        return new Stats(Phase.DREG, loss.value().item(), Double.NaN, mean(logits.value()), mean(penalty.value()));
    }

    private static void requireReal(Tensor real, Tensor z) {
        if (real == null) throw new IllegalArgumentException("StyleGAN2Loss: a D phase needs real images");
        if (real.dim() != 4) throw new IllegalArgumentException("StyleGAN2Loss: real images must be [N, C, H, W] but are " + java.util.Arrays.toString(real.shape()));
    }

    // ------------------------------------------------------------------ helpers

    private record Generated(Var ws, Var image) {}

    /**
     * NVlabs run_G in training mode: ws = mapping(z) (updating w_avg), a style mix with probability p (rows from a
     * cutoff drawn uniformly in [1, num_ws) taken from the mapping of a second z, without a w_avg update), the image.
     */
    private Generated runG(Tensor z, long seed, boolean withGraph) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Var w = g.mappingW(Var.constant(z));
        g.updateWAvg(w.value(), TrainableGenerator.W_AVG_BETA);
        Var ws = g.broadcast(w);
        int numWs = g.numWs();
        if (settings.styleMixingProb() > 0) {
            int cutoff = 1 + rnd.nextInt(numWs - 1);                                            // torch.randint(1, num_ws)
            if (rnd.nextDouble() < settings.styleMixingProb()) {
                Tensor z2 = Tensor.randn(z.dtype(), rnd.nextLong(), z.shape());
                Var ws2 = g.broadcast(g.mappingW(Var.constant(z2)));
                ws = ShapeOps.cat(1, ShapeOps.sliceView(ws, 1, 0, cutoff), ShapeOps.sliceView(ws2, 1, cutoff, numWs));
            }
        }
        Var img = g.synthesis(ws, settings.noise(), rnd.nextLong());
        return new Generated(ws, img);
    }

    /** Adds d(loss)/d(p) to each p's gradient (only these parameters' gradients are computed). */
    private static void applyGradients(Var loss, List<Var> params) {
        Var[] ps = params.toArray(Var[]::new);
        Var[] grads = Var.grad(loss, (Var) null, ps, false);
        for (int i = 0; i < ps.length; i++) ps[i].addGrad(grads[i].value());
    }

    private static double mean(Tensor t) { return Ops.sumAll(t).item() / t.numel(); }
}
