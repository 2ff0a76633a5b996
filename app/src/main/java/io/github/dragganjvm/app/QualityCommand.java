package io.github.dragganjvm.app;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.training.keypoints.KeypointDetector;
import io.github.dragganjvm.training.quality.GeneratorQuality;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./draggan quality}: how well a 64 px toy-faces generator draws the toy world, judged by the toy-face keypoint
 * detector against real (rendered) faces: the detector's certainty, the Fréchet distance of the keypoint geometry
 * and of the detector's features ({@link GeneratorQuality}); with the floor (a second set of real faces) and the
 * ceiling (the same architecture with random weights) for scale.
 */
final class QualityCommand implements Main.Command {
    @Override public String summary() { return "judge a 64 px toy-faces model against the toy world (keypoint detector, Frechet distances)"; }

    static Args args() {
        return new Args("quality", """
                Judges a generator trained on the toy world with the toy-face keypoint detector (trained on rendered faces only):
                per image set, the detector's peak mass (how sure it is where each part is), the share of keypoints found, and the
                Frechet distances to real faces of the keypoint geometry (FKD, px^2) and of the detector's deepest features (FDD).
                A second set of real faces gives the floor for this many images, random weights the ceiling.""")
                .option("model", Models.METAVAR, Models.HELP, null)
                .option("count", "N", "images per set (2 .. 20000)", "1000")
                .option("psi", "X", "truncation psi of the generated images", "1");
    }

    @Override public int run(String[] argv, Console io) throws Exception {
        Args a = args().parse(argv);
        if (a.helpRequested()) {
            io.out().print(a.help());
            return 0;
        }
        io = io.with(a);
        java.io.PrintStream out = io.out();
        int count = a.intIn("count", 2, 20000);
        double psi = a.doubleIn("psi", -10, 10);
        Models.Loaded m = Models.load(a.get("model"), io.info());
        Generator g = m.stylegan2("quality");
        KeypointDetector det = KeypointDetector.toyFaces64();
        if (g.resolution() != det.resolution()) {
            throw new UsageException("--model: quality needs a " + det.resolution() + " px toy-faces model; " + m.description() + " draws " + g.resolution() + " px images");
        }
        long t0 = System.nanoTime();
        KeypointDetector.Readout reference = GeneratorQuality.real(det, GeneratorQuality.REAL_REFERENCE_SEED, count);
        List<GeneratorQuality.Row> rows = new ArrayList<>();
        rows.add(GeneratorQuality.row("real faces (a second set: the floor)", GeneratorQuality.real(det, GeneratorQuality.REAL_SECOND_SEED, count), reference));
        KeypointDetector.Readout generated = GeneratorQuality.generated(det, g, count, psi);
        rows.add(GeneratorQuality.row(m.description() + ", psi " + psi, generated, reference));
        Generator random = RandomModels.create(g.resolution(), g.config().channelBase(), 0);
        rows.add(GeneratorQuality.row("random weights (channel base " + g.config().channelBase() + ": the ceiling)", GeneratorQuality.generated(det, random, count, psi), reference));
        out.printf(Locale.ROOT, "reference: %d real faces from seed %d; generated: seeds 0..%d, const noise; %.1f s%n%n", count,
                GeneratorQuality.REAL_REFERENCE_SEED, count - 1, (System.nanoTime() - t0) / 1e9);
        out.print(GeneratorQuality.table(rows));
        out.println();
        out.print(GeneratorQuality.keypointTable("real", reference, "generated", generated));
        return 0;
    }
}
