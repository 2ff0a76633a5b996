package io.github.dragganjvm.app;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.data.FolderImageSource;
import io.github.dragganjvm.data.ImageSource;
import io.github.dragganjvm.data.toy.ToyFaces;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.training.Discriminator;
import io.github.dragganjvm.stylegan.io.DiscriminatorConfig;
import io.github.dragganjvm.training.StyleGAN2Loss;
import io.github.dragganjvm.training.TrainableGenerator;
import io.github.dragganjvm.training.Trainer;
import io.github.dragganjvm.training.TrainingOptions;
import io.github.dragganjvm.training.TrainingSnapshot;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./draggan train}: trains a StyleGAN2 (generator and discriminator) with the library's own autodiff, as NVlabs'
 * {@code train.py} does: the StyleGAN2 loss with lazy R1 and path-length regularisation, style mixing, G_ema.
 * Everything goes to the output folder: {@code snapshot.safetensors} (the whole run, written atomically every
 * {@code --snap-kimg}; also a model every program loads), {@code metrics.csv} (a row per tick), {@code samples.png}
 * (G_ema on fixed seeds), {@code loss.png} (the curves), {@code command.txt}, and with every snapshot
 * {@code model.safetensors} (G_ema alone, a few MB). {@code --resume DIR} continues a run exactly where its last snapshot left it.
 */
final class TrainCommand implements Main.Command {
    static final String SNAPSHOT = "snapshot.safetensors", MODEL = "model.safetensors", METRICS = "metrics.csv";
    static final String METRICS_HEADER = "kimg,step,seconds,img_per_s,loss_g,loss_d,score_real,score_fake,r1_penalty,pl_penalty,heap_mb";
    private static final long[] SAMPLE_SEEDS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    @Override public String summary() { return "train a StyleGAN2 on the toy world or a folder of PNGs (resumable)"; }

    /** Network size presets: {channel base, channel max, mapping layers, w_dim}. */
    enum Preset {
        TINY(1024, 128, 2, 512), SMALL(4096, 256, 2, 512), TOY(2048, 256, 2, 256);

        final int cbase, cmax, map, wdim;

        Preset(int cbase, int cmax, int map, int wdim) {
            this.cbase = cbase;
            this.cmax = cmax;
            this.map = map;
            this.wdim = wdim;
        }
    }

    static Args args() {
        return new Args("train", "Trains a StyleGAN2 generator and discriminator (NVlabs StyleGAN2 loss, lazy R1, G_ema) and writes resumable snapshots.")
                .option("data", "toy:faces|FOLDER", "training images: the procedural toy world, or a folder of square PNGs of one power-of-two size", null)
                .option("res", "R", "resolution (a power of two, 8 .. 1024); for a folder it must be the images' size", null)
                .option("config", "tiny|small|toy", "network size: tiny = channel base 1024 / max 128, small = 4096 / 256, toy = 2048 / 256 with w_dim 256", "tiny")
                .option("cbase", "N", "channel base (overrides the preset)", null)
                .option("cmax", "N", "channel max (overrides the preset)", null)
                .option("map", "N", "mapping layers (overrides the preset)", null)
                .option("wdim", "N", "w dimension (overrides the preset)", null)
                .option("kimg", "N", "train until this many thousand real images were shown", "100")
                .option("batch", "B", "images per step", "16")
                .option("seed", "S", "seed of the run (weights, latents, data order, noise)", "0")
                .option("gamma", "X", "R1 weight (default: NVlabs auto 0.0002 * res^2 / batch)", null)
                .option("pl-weight", "X", "path-length regularisation weight (0: off)", "2")
                .option("mixing", "P", "style mixing probability", "0.9")
                .option("lr", "X", "learning rate of G and D", "0.0025")
                .option("snap-kimg", "K", "write the snapshot, samples and loss curve every K kimg", "4")
                .option("tick-kimg", "K", "print progress and write a metrics row every K kimg", "0.5")
                .option("out", "DIR", "output folder (created; for --resume the run's folder by default)", null)
                .option("resume", "DIR", "continue the run in DIR from its snapshot", null)
                .flag("bench", "only time training steps on random data and print img/s (no output files)")
                .option("bench-steps", "N", "timed steps with --bench (after 4 warm-up steps)", "32");
    }

    @Override public int run(String[] argv, Console io) throws Exception {
        Args a = args().parse(argv);
        if (a.helpRequested()) {
            io.out().print(a.help());
            return 0;
        }
        io = io.with(a);
        if (a.has("bench")) return bench(a, io);
        return train(a, io.info());
    }

    // ------------------------------------------------------------------ setup

    /** The generator and discriminator configurations the arguments ask for. */
    record Nets(GeneratorConfig g, DiscriminatorConfig d) {}

    static Nets nets(Args a, int res) {
        Preset p = Preset.valueOf(a.choice("config", "tiny", "small", "toy").toUpperCase(Locale.ROOT));
        int cbase = a.has("cbase") ? a.intIn("cbase", 16, 1 << 16) : p.cbase;
        int cmax = a.has("cmax") ? a.intIn("cmax", 1, 4096) : p.cmax;
        int map = a.has("map") ? a.intIn("map", 1, 8) : p.map;
        int wdim = a.has("wdim") ? a.intIn("wdim", 1, 4096) : p.wdim;
        GeneratorConfig g = new GeneratorConfig(512, wdim, 0, res, 3, map, 0.01, cbase, cmax, null, 0, "skip");
        DiscriminatorConfig d = DiscriminatorConfig.of(res, 3, cbase, cmax);
        return new Nets(g, d);
    }

    static int resolution(Args a) {
        int res = a.intIn("res", 8, 1024);
        if (Integer.bitCount(res) != 1) throw new UsageException("--res must be a power of two between 8 and 1024 but is " + res);
        return res;
    }

    static TrainingOptions options(Args a, int res) {
        int batch = a.intIn("batch", 1, 1024);
        TrainingOptions auto = TrainingOptions.auto(res, batch, a.longIn("seed", 0, Long.MAX_VALUE));
        double gamma = a.has("gamma") ? a.doubleIn("gamma", 0, 1e6) : auto.loss().r1Gamma();
        double lr = a.doubleIn("lr", 1e-8, 1);
        StyleGAN2Loss.Settings s = new StyleGAN2Loss.Settings(gamma, a.doubleIn("mixing", 0, 1), a.doubleIn("pl-weight", 0, 1e6),
                auto.loss().plBatchShrink(), auto.loss().plDecay(), NoiseMode.RANDOM);
        return new TrainingOptions(batch, lr, lr, s.plWeight() > 0 ? auto.gRegInterval() : 0, gamma > 0 ? auto.dRegInterval() : 0,
                auto.emaKimg(), auto.emaRampup(), auto.seed(), s);
    }

    /** The data source of --data: "toy:faces" or a folder. */
    static ImageSource data(String spec, int res) throws IOException {
        if (spec.equals("toy:faces")) return new ToyFaces(res);
        if (spec.startsWith("toy:")) throw new UsageException("--data: unknown toy world '" + spec + "' (known: toy:faces)");
        Path dir = Path.of(spec).toAbsolutePath();
        if (!Files.isDirectory(dir)) throw new UsageException("--data: " + dir + " is not a folder (give toy:faces or a folder of PNGs)");
        try {
            return FolderImageSource.open(dir, res);
        } catch (RuntimeException e) {
            throw new UsageException("--data: " + e.getMessage());
        }
    }

    static String describe(String spec) { return spec.startsWith("toy:") ? spec : "folder:" + Path.of(spec).toAbsolutePath().normalize(); }

    // ------------------------------------------------------------------ training

    private int train(Args a, PrintStream log) throws Exception {
        Trainer t;
        Path out;
        String dataSpec;
        if (a.has("resume")) {
            Path dir = Path.of(a.get("resume")).toAbsolutePath();
            Path snap = dir.resolve(SNAPSHOT);
            if (!Files.isRegularFile(snap)) throw new UsageException("--resume: " + dir + " holds no " + SNAPSHOT + " (not a training folder?)");
            TrainingSnapshot.Info info = TrainingSnapshot.info(snap);
            dataSpec = a.has("data") ? a.get("data") : info.data().startsWith("folder:") ? info.data().substring(7) : info.data();
            checkResumeMatches(a, info, dataSpec);
            out = a.has("out") ? Cli.outputDir(a.get("out"), "out") : dir;
            ImageSource data = data(dataSpec, info.gConfig().imgResolution());
            t = TrainingSnapshot.restore(snap, data);
            log.printf("resumed %s at %.1f kimg (step %d)%n", snap, t.curNimg() / 1000.0, t.step());
        } else {
            dataSpec = a.require("data");
            int res = resolution(a);
            Nets nets = nets(a, res);
            TrainingOptions opts = options(a, res);
            out = Cli.outputDir(a.require("out"), "out");
            if (Files.exists(out.resolve(SNAPSHOT))) {
                throw new UsageException("--out: " + out + " already holds a run (" + SNAPSHOT + "); continue it with --resume " + out + " or choose another folder");
            }
            ImageSource data = data(dataSpec, res);
            TrainableGenerator g = TrainableGenerator.initialised(nets.g(), opts.seed(), DType.F32);
            Discriminator d = Discriminator.random(nets.d(), opts.seed() + 1);
            t = new Trainer(opts, g, g.copy(), d, data);
        }
        double kimg = a.doubleIn("kimg", 0, 1e6), snapKimg = a.doubleIn("snap-kimg", 0.001, 1e6), tickKimg = a.doubleIn("tick-kimg", 0.001, 1e6);
        Files.createDirectories(out);
        String desc = describe(dataSpec);
        Files.writeString(out.resolve("command.txt"), "./draggan train " + String.join(" ", quoted(a.raw())) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Path metrics = out.resolve(METRICS);
        if (!Files.exists(metrics)) OutputFolder.writeString(metrics, METRICS_HEADER + "\n");
        else dropRowsAfter(metrics, t.curNimg());
        log.printf("training %dx%d G %s, D channel base %d, batch %d, until %.1f kimg; output %s%n", t.generator().resolution(), t.generator().resolution(),
                t.generator().config(), t.discriminator().config().channelBase(), t.options().batch(), kimg, out);

        long target = (long) Math.ceil(kimg * 1000);
        long nextTick = nextMultiple(t.curNimg(), tickKimg), nextSnap = nextMultiple(t.curNimg(), snapKimg);
        TickStats tick = new TickStats();
        long t0 = System.nanoTime(), tickStart = t0;
        double secondsBefore = lastSeconds(metrics);
        while (t.curNimg() < target) {
            Trainer.StepStats s = t.runStep();
            tick.add(s, t.options().batch());
            boolean done = t.curNimg() >= target;
            if (t.curNimg() >= nextTick || done) {
                long now = System.nanoTime();
                double secs = (now - tickStart) / 1e9;
                String row = tick.row(t.curNimg(), t.step(), secondsBefore + (now - t0) / 1e9, tick.images / secs);
                Files.writeString(metrics, row + "\n", StandardOpenOption.APPEND);
                log.printf("kimg %8.2f/%s  step %6d  %6.2f img/s  G %.3f  D %.3f  r1 %.4f  pl %.4f  ETA %s%n", t.curNimg() / 1000.0, fmtKimg(kimg), t.step(),
                        tick.images / secs, tick.mean(tick.lossG), tick.mean(tick.lossD), tick.mean(tick.r1), tick.mean(tick.pl),
                        eta((target - t.curNimg()) / Math.max(1e-9, tick.images / secs)));
                tick = new TickStats();
                tickStart = now;
                nextTick = nextMultiple(t.curNimg(), tickKimg);
            }
            if (t.curNimg() >= nextSnap || done) {
                writeSnapshot(t, out, desc, log);
                nextSnap = nextMultiple(t.curNimg(), snapKimg);
            }
        }
        return 0;
    }

    private static void writeSnapshot(Trainer t, Path out, String desc, PrintStream log) throws IOException {
        TrainingSnapshot.save(out.resolve(SNAPSHOT), t, desc);
        writeModel(t, out.resolve(MODEL), desc);
        Images.writePng(samples(t.generatorEma()), out.resolve("samples.png"));
        Images.writePng(LossCurves.render(out.resolve(METRICS)), out.resolve("loss.png"));
        log.printf("snapshot at %.1f kimg: %s, " + MODEL + ", samples.png, loss.png%n", t.curNimg() / 1000.0, out.resolve(SNAPSHOT));
    }

    /** G_ema alone (a few MB, what the programs load with --model), replaced atomically with every snapshot. */
    private static void writeModel(Trainer t, Path model, String desc) throws IOException {
        io.github.dragganjvm.stylegan.io.Checkpoints.saveSafetensors(model, t.generatorEma().config(), t.generatorEma().parameterTensors(), java.util.Map.of(),
                java.util.Map.of("trained_kimg", String.format(Locale.ROOT, "%.3f", t.curNimg() / 1000.0), "training_step", Long.toString(t.step()), "data", desc));
    }

    /** G_ema on the fixed sample seeds (psi 1, const noise), 4 x 4. */
    static BufferedImage samples(TrainableGenerator gEma) {
        List<BufferedImage> imgs = new ArrayList<>();
        var g = gEma.toInference();
        for (long s : SAMPLE_SEEDS) imgs.add(Images.toImage(g.generate(s, 1, NoiseMode.CONST)));
        return Images.grid(imgs, 4, 4);
    }

    private static void checkResumeMatches(Args a, TrainingSnapshot.Info info, String dataSpec) {
        List<String> bad = new ArrayList<>();
        if (a.has("res") && resolution(a) != info.gConfig().imgResolution()) bad.add("--res " + a.get("res") + " (the run is " + info.gConfig().imgResolution() + " px)");
        if (a.has("config") || a.has("cbase") || a.has("cmax") || a.has("map") || a.has("wdim")) {
            Nets n = nets(a, info.gConfig().imgResolution());
            if (!n.g().equals(info.gConfig())) bad.add("the network options (the run's generator is " + info.gConfig() + ")");
        }
        if (a.has("batch") && a.intIn("batch", 1, 1024) != info.options().batch()) bad.add("--batch " + a.get("batch") + " (the run uses " + info.options().batch() + ")");
        if (a.has("seed") && a.longIn("seed", 0, Long.MAX_VALUE) != info.options().seed()) bad.add("--seed " + a.get("seed") + " (the run's is " + info.options().seed() + ")");
        if (a.has("data") && !describe(dataSpec).equals(info.data())) bad.add("--data " + dataSpec + " (the run trained on " + info.data() + ")");
        if (!bad.isEmpty()) throw new UsageException("--resume: the snapshot is from another configuration: " + String.join("; ", bad));
    }

    private static long nextMultiple(long nimg, double kimg) {
        long every = Math.max(1, Math.round(kimg * 1000));
        return (nimg / every + 1) * every;
    }

    /**
     * On resume: removes the metrics rows written after the snapshot (the interval a killed run lost and is about to
     * redo), so the CSV and the loss curve stay one row per tick. Rewritten atomically.
     */
    static void dropRowsAfter(Path metrics, long curNimg) throws IOException {
        List<String> lines = Files.readAllLines(metrics);
        List<String> keep = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i > 0 && !line.isBlank()) {
                double rowKimg;
                try {
                    rowKimg = Double.parseDouble(line.substring(0, Math.max(0, line.indexOf(','))));
                } catch (NumberFormatException e) {
                    throw new UsageException("--resume: " + metrics + " line " + (i + 1) + " does not start with a kimg number");
                }
                if (Math.round(rowKimg * 1000) > curNimg) continue;
            }
            keep.add(line);
        }
        if (keep.size() < lines.size()) OutputFolder.writeString(metrics, String.join("\n", keep) + "\n");
    }

    private static double lastSeconds(Path metrics) throws IOException {
        List<String> lines = Files.readAllLines(metrics);
        if (lines.size() < 2) return 0;
        String[] f = lines.get(lines.size() - 1).split(",");
        try {
            return Double.parseDouble(f[2]);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String fmtKimg(double kimg) { return java.math.BigDecimal.valueOf(kimg).stripTrailingZeros().toPlainString(); }

    private static String eta(double seconds) {
        long s = Math.max(0, (long) seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }

    private static List<String> quoted(String[] raw) {
        List<String> q = new ArrayList<>();
        for (String s : raw) q.add(s.matches("[A-Za-z0-9_./:=,-]+") ? s : "'" + s.replace("'", "'\\''") + "'");
        return q;
    }

    /** Means of one tick's phase statistics. */
    static final class TickStats {
        long images;
        final List<Double> lossG = new ArrayList<>(), lossD = new ArrayList<>(), real = new ArrayList<>(), fake = new ArrayList<>(),
                r1 = new ArrayList<>(), pl = new ArrayList<>();

        void add(Trainer.StepStats s, int batch) {
            images += batch;
            for (StyleGAN2Loss.Stats p : s.phases()) {
                switch (p.phase()) {
                    case GMAIN -> lossG.add(p.loss());
                    case GREG -> pl.add(p.penalty());
                    case DMAIN -> {
                        lossD.add(p.loss());
                        real.add(p.scoreReal());
                        fake.add(p.scoreFake());
                    }
                    case DREG -> r1.add(p.penalty());
                }
            }
        }

        double mean(List<Double> v) {
            double s = 0;
            int n = 0;
            for (double x : v) if (!Double.isNaN(x)) { s += x; n++; }
            return n == 0 ? Double.NaN : s / n;
        }

        String row(long nimg, long step, double seconds, double imgPerS) {
            return String.format(Locale.ROOT, "%.3f,%d,%.1f,%.3f,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d", nimg / 1000.0, step, seconds, imgPerS,
                    mean(lossG), mean(lossD), mean(real), mean(fake), mean(r1), mean(pl), liveHeapMb());
        }

        /** Heap in use after a full collection: what the run really holds (flat over a run unless something leaks). */
        static long liveHeapMb() {
            System.gc();
            Runtime rt = Runtime.getRuntime();
            return (rt.totalMemory() - rt.freeMemory()) >> 20;
        }
    }

    // ------------------------------------------------------------------ benchmark

    private int bench(Args a, Console io) {
        int res = resolution(a);
        Nets nets = nets(a, res);
        TrainingOptions opts = options(a, res);
        int steps = a.intIn("bench-steps", 1, 100_000), warmup = 4;
        ImageSource noise = new ImageSource() {
            @Override public int resolution() { return res; }
            @Override public int channels() { return 3; }
            @Override public long size() { return -1; }
            @Override public Tensor image(long index) { return Tensor.uniform(DType.F32, index, -1, 1, 3, res, res); }
        };
        TrainableGenerator g = TrainableGenerator.initialised(nets.g(), opts.seed(), DType.F32);
        Trainer t = new Trainer(opts, g, g.copy(), Discriminator.random(nets.d(), opts.seed() + 1), noise);
        for (int i = 0; i < warmup; i++) t.runStep();
        double[] ms = new double[steps];
        java.util.Map<String, Double> phaseMs = new java.util.LinkedHashMap<>();
        long[] gc0 = gcCountAndMillis();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            long s0 = System.nanoTime();
            Trainer.StepStats st = t.runStep();
            ms[i] = (System.nanoTime() - s0) / 1e6;
            st.millis().forEach((k, v) -> phaseMs.merge(k, v, Double::sum));
        }
        double total = (System.nanoTime() - t0) / 1e9;
        long[] gc1 = gcCountAndMillis();
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        io.out().printf(Locale.ROOT, "java train: res %d cbase %d cmax %d batch %d: %.2f img/s (%.0f ms/step median, %d steps after %d warm-up, R1 steps included)%n",
                res, nets.g().channelBase(), nets.g().channelMax(), opts.batch(), steps * opts.batch() / total, sorted[steps / 2], steps, warmup);
        StringBuilder sb = new StringBuilder("time per step by phase (ms, averaged over the timed steps):");
        phaseMs.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %s %.0f (%.0f%%)", k, v / steps, 100 * v / (total * 1000))));
        io.info().println(sb);
        io.info().printf(Locale.ROOT, "garbage collection during the timed steps: %d collection%s, %.0f ms per step (%.1f%% of the time, inside the phases above)%n",
                gc1[0] - gc0[0], gc1[0] - gc0[0] == 1 ? "" : "s", (gc1[1] - gc0[1]) / (double) steps, 100 * (gc1[1] - gc0[1]) / (total * 1000));
        return 0;
    }

    /** Collections so far and the milliseconds they took, over every collector of this JVM. */
    private static long[] gcCountAndMillis() {
        long count = 0, millis = 0;
        for (java.lang.management.GarbageCollectorMXBean b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, b.getCollectionCount());
            millis += Math.max(0, b.getCollectionTime());
        }
        return new long[]{count, millis};
    }
}
