package io.github.dragganjvm.training;

import io.github.dragganjvm.stylegan.NoiseMode;

/**
 * The hyper-parameters of a training run besides the networks' shapes: NVlabs {@code train.py}'s "auto" config
 * unless stated, written once here.
 *
 * @param batch          images per step (NVlabs --batch)
 * @param gLr            G learning rate (auto: 0.0025)
 * @param dLr            D learning rate (auto: 0.0025)
 * @param gRegInterval   lazy path-length regularisation every k steps (NVlabs 4); 0: no G reg phase
 * @param dRegInterval   lazy R1 every k steps (NVlabs 16); 0: no D reg phase
 * @param emaKimg        G_ema half-life in thousands of images (auto: batch * 10 / 32)
 * @param emaRampup      EMA ramp-up: the half-life is at most cur_nimg * this (auto: 0.05; 0 for none)
 * @param seed           the run's seed: every random draw (latents, mixing, noise, real-image order) derives from it
 * @param loss           the loss's settings (R1 gamma, style mixing, path length, noise mode)
 */
public record TrainingOptions(int batch, double gLr, double dLr, int gRegInterval, int dRegInterval, double emaKimg, double emaRampup,
                              long seed, StyleGAN2Loss.Settings loss) {
    /** Adam's betas and epsilon in every StyleGAN2 config. */
    public static final double BETA1 = 0, BETA2 = 0.99, ADAM_EPS = 1e-8;

    public TrainingOptions {
        if (batch < 1) throw new IllegalArgumentException("training: batch must be >= 1 but is " + batch);
        if (!(gLr > 0) || !(dLr > 0) || !Double.isFinite(gLr) || !Double.isFinite(dLr)) {
            throw new IllegalArgumentException("training: learning rates must be positive but are " + gLr + ", " + dLr);
        }
        if (gRegInterval < 0 || dRegInterval < 0) throw new IllegalArgumentException("training: reg intervals must be >= 0 but are " + gRegInterval + ", " + dRegInterval);
        if (!(emaKimg >= 0) || !(emaRampup >= 0)) throw new IllegalArgumentException("training: ema must be >= 0 but is " + emaKimg + " kimg, ramp-up " + emaRampup);
    }

    /**
     * NVlabs' "auto" config for a resolution and batch: lr 0.0025, gamma = 0.0002 res^2 / batch, ema = batch * 10 / 32
     * kimg, ramp-up 0.05, G reg every 4, R1 every 16, style mixing 0.9, path-length weight 2, random noise.
     */
    public static TrainingOptions auto(int resolution, int batch, long seed) {
        double gamma = 0.0002 * resolution * resolution / batch;
        return new TrainingOptions(batch, 0.0025, 0.0025, 4, 16, batch * 10.0 / 32, 0.05, seed,
                new StyleGAN2Loss.Settings(gamma, 0.9, 2, 2, 0.01, NoiseMode.RANDOM));
    }

    /** The lazy-regularisation ratio k / (k + 1) of a reg interval (1 when there is no reg phase). */
    static double mbRatio(int interval) { return interval == 0 ? 1 : interval / (interval + 1.0); }
}
