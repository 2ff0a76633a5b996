package draggan.app;

import draggan.drag.DragConfig;
import draggan.drag.DragEval;
import draggan.stylegan.Generator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code ./draggan drag-eval}: reproducible random drags per method (tracker x supervision), a table and a CSV. */
final class DragEvalCommand implements Main.Command {
    @Override public String summary() { return "measure drag quality: random drags per tracker and supervision, paired reconstruction"; }

    static Args args() {
        return new Args("drag-eval", """
                Runs N reproducible random drags (image seeds seed0 .. seed0+N-1, 1 point for even cases and 5 for odd,
                targets 10-40 px away) with each tracker x supervision and reports the final handle-target distance as the tracker sees
                it, the same distance measured independently (global nearest neighbour of each handle's initial feature in
                the final feature map), steps and seconds; then the paper's paired-reconstruction test.""")
                .option("model", Models.METAVAR, Models.HELP, null)
                .option("cases", "N", "number of random drag cases", "4")
                .option("seed0", "S", "first image seed", "0")
                .option("steps", "N", "maximum iterations per drag", "200")
                .option("trackers", "LIST", "comma-separated trackers (reference, template)", "reference,template")
                .option("supervisions", "LIST", "comma-separated supervisions (reference, original)", "reference,original")
                .option("reconstruction", "K", "paired-reconstruction cases (0 to skip)", "2")
                .option("sigma", "X", "perturbation of w1's optimised rows for the reconstruction test", "0.3")
                .option("lr", "X", "Adam learning rate", "0.002")
                .option("out", "FILE.csv", "also write every outcome as CSV", null);
    }

    @Override public int run(String[] argv) throws Exception {
        Args a = args().parse(argv);
        if (a.helpRequested()) {
            System.out.print(a.help());
            return 0;
        }
        int cases = a.intIn("cases", 0, 100_000), steps = a.intIn("steps", 1, 100_000), recon = a.intIn("reconstruction", 0, 10_000);
        long seed0 = a.longIn("seed0", 0, 0xFFFFFFFFL);
        double sigma = a.doubleIn("sigma", 0, 100), lr = a.doubleIn("lr", 1e-12, 10);
        List<DragConfig.Tracker> trackers = list(a, "trackers", DragConfig.Tracker::parse);
        List<DragConfig.Supervision> supervisions = list(a, "supervisions", DragConfig.Supervision::parse);
        // a method: a tracker with a supervision, named "tracker" for the reference supervision, else "tracker+supervision"
        Map<String, DragConfig> methods = new LinkedHashMap<>();
        for (DragConfig.Tracker t : trackers) {
            for (DragConfig.Supervision sv : supervisions) {
                String name = t.name().toLowerCase() + (sv == DragConfig.Supervision.REFERENCE ? "" : "+" + sv.name().toLowerCase());
                methods.put(name, DragConfig.reference().withLr(lr).withTracker(t).withSupervision(sv));
            }
        }
        Path csv = a.has("out") ? Cli.outputFile(a.get("out"), "out", ".csv") : null;
        if (seed0 + cases > 0xFFFFFFFFL + 1) throw new UsageException("--seed0 + --cases exceeds the seed range");

        Models.Loaded m = Models.load(a.get("model"), System.out);
        Generator g = m.generator();
        System.out.printf(Locale.ROOT, "model %s, %d cases from seed %d, up to %d steps, lr %g%n", m.description(), cases, seed0, steps, lr);
        List<String> rows = new ArrayList<>();
        rows.add("kind,case,seed,points,method,start_px,tracker_px,independent_px,steps,converged,seconds,mse_no_edit,mse_after");
        Map<String, List<DragEval.Outcome>> byMethod = new LinkedHashMap<>();
        for (int i = 0; i < cases; i++) {
            DragEval.Case c = DragEval.randomCase(i, seed0, g.resolution());
            for (Map.Entry<String, DragConfig> me : methods.entrySet()) {
                String name = me.getKey();
                DragEval.Outcome o = DragEval.run(g, c, me.getValue().fittedTo(g.resolution()), steps);
                byMethod.computeIfAbsent(name, k -> new ArrayList<>()).add(o);
                System.out.printf(Locale.ROOT, "case %d seed %d (%d pt) %-20s: %.1f -> tracker %.2f px, independent %.2f px, %d steps%s, %.1f s%n",
                        i, c.seed(), c.handles().size(), name, o.startDistance(), o.trackerDistance(), o.independentDistance(),
                        o.steps(), o.converged() ? " (arrived)" : "", o.seconds());
                rows.add(String.format(Locale.ROOT, "drag,%d,%d,%d,%s,%.3f,%.3f,%.3f,%d,%b,%.2f,,", i, c.seed(), c.handles().size(), name,
                        o.startDistance(), o.trackerDistance(), o.independentDistance(), o.steps(), o.converged(), o.seconds()));
            }
        }
        Map<String, List<DragEval.Reconstruction>> recs = new LinkedHashMap<>();
        for (int k = 0; k < recon; k++) {
            for (Map.Entry<String, DragConfig> me : methods.entrySet()) {
                String name = me.getKey();
                DragEval.Reconstruction r = DragEval.reconstruction(g, seed0 + 1000 + k, sigma, me.getValue().fittedTo(g.resolution()), steps);
                recs.computeIfAbsent(name, x -> new ArrayList<>()).add(r);
                System.out.printf(Locale.ROOT, "reconstruction seed %d %-20s: MSE x100 no edit %.3f, after %.3f (%d steps, %.1f s)%n",
                        r.seed(), name, 100 * r.mseNoEdit(), 100 * r.mseAfter(), r.steps(), r.seconds());
                rows.add(String.format(Locale.ROOT, "reconstruction,%d,%d,32,%s,,,,%d,,%.2f,%.6f,%.6f", k, r.seed(), name, r.steps(), r.seconds(), r.mseNoEdit(), r.mseAfter()));
            }
        }

        System.out.println();
        System.out.println("| method (tracker+supervision) | cases | start px | tracker px | independent px | steps | arrived | s/drag | recon. MSE x100 (no edit -> after) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (String name : methods.keySet()) {
            List<DragEval.Outcome> os = byMethod.getOrDefault(name, List.of());
            List<DragEval.Reconstruction> rs = recs.getOrDefault(name, List.of());
            System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.1f | %d/%d | %.1f | %s |%n", name, os.size(),
                    avg(os.stream().mapToDouble(DragEval.Outcome::startDistance).toArray()),
                    avg(os.stream().mapToDouble(DragEval.Outcome::trackerDistance).toArray()),
                    avg(os.stream().mapToDouble(DragEval.Outcome::independentDistance).toArray()),
                    avg(os.stream().mapToDouble(DragEval.Outcome::steps).toArray()),
                    os.stream().filter(DragEval.Outcome::converged).count(), os.size(),
                    avg(os.stream().mapToDouble(DragEval.Outcome::seconds).toArray()),
                    rs.isEmpty() ? "-" : String.format(Locale.ROOT, "%.3f -> %.3f", 100 * avg(rs.stream().mapToDouble(DragEval.Reconstruction::mseNoEdit).toArray()),
                            100 * avg(rs.stream().mapToDouble(DragEval.Reconstruction::mseAfter).toArray())));
        }
        if (csv != null) {
            DragCommand.writeText(csv, String.join("\n", rows) + "\n");
            System.out.println("wrote " + csv);
        }
        return 0;
    }

    /** A comma-separated option parsed item by item; a bad item is a usage error naming the option. */
    private static <T> List<T> list(Args a, String option, java.util.function.Function<String, T> parse) {
        List<T> out = new ArrayList<>();
        for (String item : a.get(option).split(",")) {
            try {
                out.add(parse.apply(item));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--" + option + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static double avg(double[] v) {
        if (v.length == 0) return Double.NaN;
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }
}
