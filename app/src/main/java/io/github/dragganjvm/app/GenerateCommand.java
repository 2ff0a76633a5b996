package io.github.dragganjvm.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.drag.Frame;
import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.stylegan.NoiseMode;

import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code ./draggan generate}: images for seeds, one PNG or a grid. */
final class GenerateCommand implements Main.Command {
    @Override public String summary() { return "generate an image (or a grid) for seeds"; }

    static Args args() {
        return new Args("generate", "Generates the image of a seed (z = NumPy RandomState(seed).randn(1, z_dim)) and writes a PNG.")
                .option("model", Models.METAVAR, Models.HELP, null)
                .option(Models.TRANSFORM_OPTION, Models.TRANSFORM_METAVAR, Models.TRANSFORM_HELP, null)
                .option("seed", "N", "seed, 0 .. 4294967295", null)
                .option("seeds", "A-B", "a range of seeds (with --grid)", null)
                .option("grid", "CxR", "tile the seeds' images into C columns and R rows", null)
                .option("psi", "X", "truncation psi", "0.7")
                .option("noise", "const|random|none", "noise mode", "const")
                .option("out", "FILE.png", "output PNG", null)
                .jsonFlag();
    }

    @Override public int run(String[] argv, Console io) throws Exception {
        Args a = args().parse(argv);
        if (a.helpRequested()) {
            io.out().print(a.help());
            return 0;
        }
        io = io.with(a);
        PrintStream log = io.info();
        // validate everything before any work
        List<Long> seeds = new ArrayList<>();
        int cols = 1, rows = 1;
        if (a.has("seeds")) {
            if (a.has("seed")) throw new UsageException("give --seed or --seeds, not both");
            String s = a.get("seeds").trim();
            String[] ab = s.split("-");
            long lo, hi;
            try {
                lo = Long.parseLong(ab[0].trim());
                hi = ab.length == 2 ? Long.parseLong(ab[1].trim()) : lo;
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new UsageException("--seeds must look like A-B with 0 <= A <= B but is '" + s + "'");
            }
            if (ab.length > 2 || lo < 0 || hi < lo || hi > 0xFFFFFFFFL) throw new UsageException("--seeds must look like A-B with 0 <= A <= B <= 4294967295 but is '" + s + "'");
            if (hi - lo >= 1024) throw new UsageException("--seeds: at most 1024 seeds at once but " + (hi - lo + 1) + " were asked for");
            for (long v = lo; v <= hi; v++) seeds.add(v);
        } else {
            seeds.add(a.longIn("seed", 0, 0xFFFFFFFFL));
        }
        if (a.has("grid")) {
            String gs = a.get("grid").trim().toLowerCase();
            String[] cr = gs.split("x");
            try {
                cols = Integer.parseInt(cr[0]);
                rows = Integer.parseInt(cr[1]);
            } catch (RuntimeException e) {
                throw new UsageException("--grid must look like CxR (e.g. 4x4) but is '" + a.get("grid") + "'");
            }
            if (cr.length != 2 || cols < 1 || rows < 1 || cols * rows > 1024) throw new UsageException("--grid must look like CxR with C, R >= 1 and C*R <= 1024 but is '" + a.get("grid") + "'");
            if (cols * rows != seeds.size()) throw new UsageException("--grid " + cols + "x" + rows + " holds " + cols * rows + " images but " + seeds.size() + " seeds were given");
        } else if (seeds.size() > 1) {
            throw new UsageException("--seeds needs --grid CxR (one output image)");
        }
        double psi = a.doubleIn("psi", -10, 10);
        NoiseMode noise = NoiseMode.parse(a.choice("noise", "const", "random", "none"));
        Path out = Cli.outputPng(a.require("out"), "out");

        long t0 = System.nanoTime();
        Models.Loaded m = Models.load(a.get("model"), log, a.get(Models.TRANSFORM_OPTION));
        DragGenerator g = m.generator();
        Frame frame = Frame.of(g);                 // a StyleGAN-Human image is cut out of its padded square
        log.printf("loaded %s (%dx%d, %d w rows) in %.2f s%n", m.description(), frame.width(), frame.height(), g.numWs(), (System.nanoTime() - t0) / 1e9);
        List<BufferedImage> imgs = new ArrayList<>();
        for (long seed : seeds) {
            long t1 = System.nanoTime();
            imgs.add(Images.toImage(frame.cropView(g.generate(seed, psi, noise))));
            log.printf("seed %d: generated in %.3f s%n", seed, (System.nanoTime() - t1) / 1e9);
        }
        BufferedImage img = imgs.size() == 1 ? imgs.get(0) : Images.grid(imgs, cols, rows);
        Images.writePng(img, out);
        log.println("wrote " + out);
        if (a.has("json")) {
            ObjectNode j = JsonResult.of("generate").put("out", out.toString()).put("model", m.source()).put("resolution", g.resolution())
                    .put("width", frame.width()).put("height", frame.height());
            seeds.forEach(j.putArray("seeds")::add);
            if (seeds.size() > 1) j.putArray("grid").add(cols).add(rows); else j.putNull("grid");
            j.put("psi", psi).put("noise", noise.name().toLowerCase(Locale.ROOT)).put("seconds", (System.nanoTime() - t0) / 1e9);
            JsonResult.print(j, io.out());
        }
        return 0;
    }
}
