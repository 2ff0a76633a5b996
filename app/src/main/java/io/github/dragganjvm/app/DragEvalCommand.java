package io.github.dragganjvm.app;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragEval;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.Frame;
import io.github.dragganjvm.drag.TruthEval;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Tensor;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./draggan drag-eval}: reproducible random drags per method (tracker x supervision), a table and a CSV; with
 * {@code --truth}, keypoint drags on the 64 px toy-world model judged by the toy-face keypoint detector ({@link TruthEval}).
 */
final class DragEvalCommand implements Main.Command {
    @Override public String summary() { return "measure drag quality: random drags per tracker and supervision, paired reconstruction"; }

    static Args args() {
        return new Args("drag-eval", """
                Runs N reproducible random drags (image seeds seed0 .. seed0+N-1, 1 point for even cases and 5 for odd,
                targets 10-40 px away) with each tracker x supervision and reports the final handle-target distance as the tracker sees
                it, the same distance measured independently (global nearest neighbour of each handle's initial feature in
                the final feature map), steps and seconds; then the paper's paired-reconstruction test.
                With --truth (the 64 px toy-world model only): N keypoint drags judged against the truth of the toy-face keypoint
                detector: a face keypoint (mouth corners, pupils, nose tip, chin, brows, lips) dragged 3-6 px in one of 8
                directions; reports the dragged keypoint's final distance to its target, the mean drift of the other keypoints,
                arrivals (within the stop distance), steps and seconds, and the detector's left-right consistency on the model.""")
                .option("model", Models.METAVAR, Models.HELP, null)
                .option("cases", "N", "number of random drag cases", "4")
                .option("seed0", "S", "first image seed", "0")
                .option("steps", "N", "maximum iterations per drag", "200")
                .option("trackers", "LIST", "comma-separated trackers (reference, template)", "reference,template")
                .option("supervisions", "LIST", "comma-separated supervisions (reference, original)", "reference,original")
                .option("methods", "LIST", "comma-separated methods TRACKER[+SUPERVISION] (e.g. reference,template+original) instead of --trackers x --supervisions", null)
                .flag("truth", "keypoint drags judged by the toy-face keypoint detector (needs the 64 px toy-world model)")
                .option("reconstruction", "K", "paired-reconstruction cases (0 to skip)", "2")
                .option("sigma", "X", "perturbation of w1's optimised rows for the reconstruction test", "0.3")
                .option("lr", "X", "Adam learning rate (default: 0.002, the paper's; a built-in model's own, e.g. 0.01 for builtin:toy-faces-64)", null)
                .option("out", "FILE.csv", "also write every outcome as CSV", null)
                .jsonFlag();
    }

    @Override public int run(String[] argv, Console io) throws Exception {
        Args a = args().parse(argv);
        if (a.helpRequested()) {
            io.out().print(a.help());
            return 0;
        }
        io = io.with(a);
        boolean json = a.has("json");
        PrintStream log = io.info(), table = json ? log : io.out();     // the table is the result unless --json prints one
        int cases = a.intIn("cases", 0, 100_000), steps = a.intIn("steps", 1, 100_000), recon = a.intIn("reconstruction", 0, 10_000);
        long seed0 = a.longIn("seed0", 0, 0xFFFFFFFFL);
        double sigma = a.doubleIn("sigma", 0, 100);
        Double lrGiven = a.has("lr") ? a.doubleIn("lr", 1e-12, 10) : null;
        Map<String, DragConfig> methods = methods(a, lrGiven != null ? lrGiven : PAPER_LR);   // lr set again once the model is known
        Path csv = a.has("out") ? Cli.outputFile(a.get("out"), "out", ".csv") : null;
        if (seed0 + cases > 0xFFFFFFFFL + 1) throw new UsageException("--seed0 + --cases exceeds the seed range");
        if (a.has("truth")) {
            for (String o : List.of("reconstruction", "sigma")) if (a.has(o)) throw new UsageException("--" + o + " does not apply with --truth");
            return runTruth(a.get("model"), cases, seed0, steps, lrGiven, methods, csv, log, table, json ? io.out() : null);
        }

        Models.Loaded m = Models.load(a.get("model"), log);
        Generator g = m.stylegan2("drag-eval");
        double lr = lrFor(m, lrGiven, methods);
        log.printf(Locale.ROOT, "model %s, %d cases from seed %d, up to %d steps, lr %g%n", m.description(), cases, seed0, steps, lr);
        List<String> rows = new ArrayList<>();
        rows.add("kind,case,seed,points,method,start_px,tracker_px,independent_px,steps,converged,seconds,mse_no_edit,mse_after");
        Map<String, List<DragEval.Outcome>> byMethod = new LinkedHashMap<>();
        ObjectNode result = JsonResult.of("drag-eval").put("model", m.source()).put("resolution", g.resolution()).put("cases", cases)
                .put("seed0", seed0).put("steps", steps).put("lr", lr);
        ArrayNode outcomes = result.putArray("outcomes");
        for (int i = 0; i < cases; i++) {
            DragEval.Case c = DragEval.randomCase(i, seed0, Frame.of(g));   // points in the square, drawn inside the generator's frame
            for (Map.Entry<String, DragConfig> me : methods.entrySet()) {
                String name = me.getKey();
                DragEval.Outcome o = DragEval.run(g, c, me.getValue().fittedTo(g.resolution()), steps);
                byMethod.computeIfAbsent(name, k -> new ArrayList<>()).add(o);
                log.printf(Locale.ROOT, "case %d seed %d (%d pt) %-20s: %.1f -> tracker %.2f px, independent %.2f px, %d steps%s, %.1f s%n",
                        i, c.seed(), c.handles().size(), name, o.startDistance(), o.trackerDistance(), o.independentDistance(),
                        o.steps(), o.converged() ? " (arrived)" : "", o.seconds());
                rows.add(String.format(Locale.ROOT, "drag,%d,%d,%d,%s,%.3f,%.3f,%.3f,%d,%b,%.2f,,", i, c.seed(), c.handles().size(), name,
                        o.startDistance(), o.trackerDistance(), o.independentDistance(), o.steps(), o.converged(), o.seconds()));
                ObjectNode on = outcomes.addObject().put("kind", "drag").put("case", i).put("seed", c.seed()).put("points", c.handles().size()).put("method", name);
                JsonResult.number(on, "startPx", o.startDistance());
                JsonResult.number(on, "trackerPx", o.trackerDistance());
                JsonResult.number(on, "independentPx", o.independentDistance());
                on.put("steps", o.steps()).put("converged", o.converged()).put("seconds", o.seconds());
            }
        }
        Map<String, List<DragEval.Reconstruction>> recs = new LinkedHashMap<>();
        for (int k = 0; k < recon; k++) {
            for (Map.Entry<String, DragConfig> me : methods.entrySet()) {
                String name = me.getKey();
                DragEval.Reconstruction r = DragEval.reconstruction(g, seed0 + 1000 + k, sigma, me.getValue().fittedTo(g.resolution()), steps);
                recs.computeIfAbsent(name, x -> new ArrayList<>()).add(r);
                log.printf(Locale.ROOT, "reconstruction seed %d %-20s: MSE x100 no edit %.3f, after %.3f (%d steps, %.1f s)%n",
                        r.seed(), name, 100 * r.mseNoEdit(), 100 * r.mseAfter(), r.steps(), r.seconds());
                rows.add(String.format(Locale.ROOT, "reconstruction,%d,%d,32,%s,,,,%d,,%.2f,%.6f,%.6f", k, r.seed(), name, r.steps(), r.seconds(), r.mseNoEdit(), r.mseAfter()));
                ObjectNode on = outcomes.addObject().put("kind", "reconstruction").put("case", k).put("seed", r.seed()).put("points", 32).put("method", name)
                        .put("steps", r.steps()).put("seconds", r.seconds());
                JsonResult.number(on, "mseNoEdit", r.mseNoEdit());
                JsonResult.number(on, "mseAfter", r.mseAfter());
            }
        }

        table.println();
        table.println("| method (tracker+supervision) | cases | start px | tracker px | independent px | steps | arrived | s/drag | recon. MSE x100 (no edit -> after) |");
        table.println("|---|---|---|---|---|---|---|---|---|");
        ArrayNode summary = result.putArray("table");
        for (String name : methods.keySet()) {
            List<DragEval.Outcome> os = byMethod.getOrDefault(name, List.of());
            List<DragEval.Reconstruction> rs = recs.getOrDefault(name, List.of());
            double start = avg(os.stream().mapToDouble(DragEval.Outcome::startDistance).toArray()),
                    tracker = avg(os.stream().mapToDouble(DragEval.Outcome::trackerDistance).toArray()),
                    independent = avg(os.stream().mapToDouble(DragEval.Outcome::independentDistance).toArray()),
                    stepsAvg = avg(os.stream().mapToDouble(DragEval.Outcome::steps).toArray()),
                    secs = avg(os.stream().mapToDouble(DragEval.Outcome::seconds).toArray()),
                    mseNoEdit = avg(rs.stream().mapToDouble(DragEval.Reconstruction::mseNoEdit).toArray()),
                    mseAfter = avg(rs.stream().mapToDouble(DragEval.Reconstruction::mseAfter).toArray());
            long arrived = os.stream().filter(DragEval.Outcome::converged).count();
            table.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.1f | %d/%d | %.1f | %s |%n", name, os.size(), start, tracker, independent,
                    stepsAvg, arrived, os.size(), secs, rs.isEmpty() ? "-" : String.format(Locale.ROOT, "%.3f -> %.3f", 100 * mseNoEdit, 100 * mseAfter));
            ObjectNode row = summary.addObject().put("method", name).put("cases", os.size());
            JsonResult.number(row, "startPx", start);
            JsonResult.number(row, "trackerPx", tracker);
            JsonResult.number(row, "independentPx", independent);
            JsonResult.number(row, "steps", stepsAvg);
            row.put("arrived", arrived);
            JsonResult.number(row, "secondsPerDrag", secs);
            JsonResult.number(row, "reconstructionMseNoEdit", mseNoEdit);
            JsonResult.number(row, "reconstructionMseAfter", mseAfter);
        }
        if (csv != null) {
            DragCommand.writeText(csv, String.join("\n", rows) + "\n");
            log.println("wrote " + csv);
        }
        if (json) JsonResult.print(result.put("csv", csv == null ? null : csv.toString()), io.out());
        return 0;
    }

    /**
     * The methods to run by name: a tracker with a supervision, named "tracker" for the reference supervision, else
     * "tracker+supervision"; from --methods, or every --trackers x --supervisions.
     */
    private static Map<String, DragConfig> methods(Args a, double lr) {
        Map<String, DragConfig> methods = new LinkedHashMap<>();
        if (a.has("methods")) {
            if (a.has("trackers") || a.has("supervisions")) throw new UsageException("--methods replaces --trackers and --supervisions; give one or the other");
            for (String item : a.get("methods").split(",")) {
                String[] parts = item.split("\\+", -1);
                if (parts.length > 2) throw new UsageException("--methods: '" + item + "' is not TRACKER or TRACKER+SUPERVISION");
                try {
                    DragConfig.Tracker t = DragConfig.Tracker.parse(parts[0]);
                    DragConfig.Supervision sv = parts.length == 2 ? DragConfig.Supervision.parse(parts[1]) : DragConfig.Supervision.REFERENCE;
                    if (methods.put(methodName(t, sv), config(lr, t, sv)) != null) throw new UsageException("--methods: '" + item + "' given twice");
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--methods: " + e.getMessage());
                }
            }
            return methods;
        }
        for (DragConfig.Tracker t : list(a, "trackers", DragConfig.Tracker::parse)) {
            for (DragConfig.Supervision sv : list(a, "supervisions", DragConfig.Supervision::parse)) methods.put(methodName(t, sv), config(lr, t, sv));
        }
        return methods;
    }

    private static String methodName(DragConfig.Tracker t, DragConfig.Supervision sv) {
        return t.name().toLowerCase() + (sv == DragConfig.Supervision.REFERENCE ? "" : "+" + sv.name().toLowerCase());
    }

    private static DragConfig config(double lr, DragConfig.Tracker t, DragConfig.Supervision sv) {
        return DragConfig.reference().withLr(lr).withTracker(t).withSupervision(sv);
    }

    /** drag-eval's learning rate on checkpoints and random models when --lr is absent: the paper's 0.002. */
    static final double PAPER_LR = 0.002;

    /** The learning rate: --lr, else a built-in model's own, else {@link #PAPER_LR}; set on every method's config. */
    private static double lrFor(Models.Loaded m, Double lrGiven, Map<String, DragConfig> methods) {
        double lr = lrGiven != null ? lrGiven : m.source().startsWith(Models.BUILTIN) ? m.dragLr() : PAPER_LR;
        methods.replaceAll((name, c) -> c.withLr(lr));
        return lr;
    }

    /**
     * --truth: keypoint drags on the 64 px toy-world model judged by the toy-face keypoint detector; a table per method.
     *
     * @param log   progress lines
     * @param table the table and its notes (the result unless --json)
     * @param json  where the --json result goes, or null without --json
     */
    private static int runTruth(String model, int cases, long seed0, int steps, Double lrGiven, Map<String, DragConfig> methods, Path csv,
                                PrintStream log, PrintStream table, PrintStream json) throws Exception {
        Models.Loaded m = Models.load(model, log);
        Generator g = m.stylegan2("drag-eval");
        double lr = lrFor(m, lrGiven, methods);
        ToyFaceLocator loc = ToyFaceLocator.toyFaces64();
        if (g.resolution() != loc.resolution()) {
            throw new UsageException("--truth needs the " + loc.resolution() + " px toy-world model; this model is " + g.resolution() + " px");
        }
        log.printf(Locale.ROOT, "model %s, %d truth tasks from seed %d, up to %d steps, lr %g; keypoints by the toy-face detector%n",
                m.description(), cases, seed0, steps, lr);
        List<String> rows = new ArrayList<>();
        rows.add("case,seed,task,method,start_x,start_y,target_x,target_y,end_x,end_y,target_px,tracker_px,drift_px,steps,converged,arrived,seconds,skipped");
        Map<String, List<TruthEval.Outcome>> byMethod = new LinkedHashMap<>();
        double mirror = 0;
        int[] draggable = ToyFaceLocator.draggableIndices();
        ObjectNode result = JsonResult.of("drag-eval").put("truth", true).put("model", m.source()).put("resolution", g.resolution()).put("cases", cases)
                .put("seed0", seed0).put("steps", steps).put("lr", lr);
        ArrayNode outcomes = result.putArray("outcomes");
        for (int i = 0; i < cases; i++) {
            TruthEval.Task t = TruthEval.task(i, seed0, g.resolution(), loc, draggable);
            Tensor start = DragSession.fromSeed(g, t.imageSeed(), TruthEval.PSI, NoiseMode.CONST, DragConfig.reference().fittedTo(g.resolution())).image();
            mirror += loc.mirrorDisagreement(start);
            for (Map.Entry<String, DragConfig> me : methods.entrySet()) {
                String name = me.getKey();
                TruthEval.Outcome o = TruthEval.run(g, t, loc, me.getValue().fittedTo(g.resolution()), steps);
                byMethod.computeIfAbsent(name, k -> new ArrayList<>()).add(o);
                if (o.skipped() != null) {
                    log.printf(Locale.ROOT, "case %d seed %d \"%s\" %-20s: skipped, %s%n", i, t.imageSeed(), t.description(), name, o.skipped());
                    rows.add(String.format(Locale.ROOT, "%d,%d,%s,%s,,,,,,,,,,0,false,false,0,%s", i, t.imageSeed(), t.description(), name, o.skipped().replace(',', ';')));
                    outcomes.addObject().put("case", i).put("seed", t.imageSeed()).put("task", t.description()).put("method", name).put("skipped", o.skipped());
                    continue;
                }
                double trackerPx = o.trackerEnd().distance(o.target());
                log.printf(Locale.ROOT, "case %d seed %d \"%s\" %-20s: (%.2f, %.2f) -> target (%.2f, %.2f), ends at (%.2f, %.2f): %.2f px from the target (tracker %.2f), drift %.2f px, %d steps%s, %.1f s%n",
                        i, t.imageSeed(), t.description(), name, o.start().x(), o.start().y(), o.target().x(), o.target().y(), o.end().x(), o.end().y(),
                        o.targetDistance(), trackerPx, o.drift(), o.steps(), o.arrived() ? " (arrived)" : "", o.seconds());
                rows.add(String.format(Locale.ROOT, "%d,%d,%s,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%b,%b,%.2f,", i, t.imageSeed(), t.description(), name,
                        o.start().x(), o.start().y(), o.target().x(), o.target().y(), o.end().x(), o.end().y(), o.targetDistance(), trackerPx, o.drift(),
                        o.steps(), o.converged(), o.arrived(), o.seconds()));
                ObjectNode on = outcomes.addObject().put("case", i).put("seed", t.imageSeed()).put("task", t.description()).put("method", name);
                on.set("start", JsonResult.point(o.start()));
                on.set("target", JsonResult.point(o.target()));
                on.set("end", JsonResult.point(o.end()));
                JsonResult.number(on, "targetPx", o.targetDistance());
                JsonResult.number(on, "trackerPx", trackerPx);
                JsonResult.number(on, "driftPx", o.drift());
                on.put("steps", o.steps()).put("converged", o.converged()).put("arrived", o.arrived()).put("seconds", o.seconds()).putNull("skipped");
            }
        }
        double stop = DragConfig.reference().stopDistance(g.resolution());
        table.println();
        table.printf(Locale.ROOT, "| method (tracker+supervision) | cases | start px | target px | tracker px | drift px | arrived (<= %.0f px) | tracker stopped | steps | s/drag |%n", stop);
        table.println("|---|---|---|---|---|---|---|---|---|---|");
        ArrayNode summary = result.put("stopDistancePx", stop).putArray("table");
        for (String name : methods.keySet()) {
            List<TruthEval.Outcome> os = byMethod.getOrDefault(name, List.of());
            TruthEval.Summary s = TruthEval.summarize(os);
            int ran = s.cases() - s.skipped();
            double start = avg(os.stream().filter(o -> o.skipped() == null).mapToDouble(o -> o.task().magnitude()).toArray());
            table.printf(Locale.ROOT, "| %s | %d%s | %.2f | %.2f | %.2f | %.2f | %d/%d | %d/%d | %.1f | %.1f |%n", name, s.cases(),
                    s.skipped() == 0 ? "" : " (" + s.skipped() + " skipped)",
                    start, s.targetDistance(), s.trackerDistance(), s.drift(), s.arrived(), ran, s.converged(), ran, s.steps(), s.seconds());
            ObjectNode row = summary.addObject().put("method", name).put("cases", s.cases()).put("skipped", s.skipped());
            JsonResult.number(row, "startPx", start);
            JsonResult.number(row, "targetPx", s.targetDistance());
            JsonResult.number(row, "trackerPx", s.trackerDistance());
            JsonResult.number(row, "driftPx", s.drift());
            row.put("arrived", s.arrived()).put("trackerStopped", s.converged()).put("ran", ran);
            JsonResult.number(row, "steps", s.steps());
            JsonResult.number(row, "secondsPerDrag", s.seconds());
        }
        table.println("start px: the offset (the distance before the drag); target px: the dragged keypoint's final distance to its target"
                + " by the detector; tracker px: where the tracker believes it is; drift px: mean movement of the other 16 keypoints.");
        if (cases > 0) {
            table.printf(Locale.ROOT, "detector left-right disagreement on this model's %d start images: mean %.2f px per keypoint"
                    + " (0 for a perfect detector; its mean error on procedural faces is 0.14 px)%n", cases, mirror / cases);
            result.put("mirrorDisagreementPx", mirror / cases);
        } else {
            result.putNull("mirrorDisagreementPx");
        }
        if (csv != null) {
            DragCommand.writeText(csv, String.join("\n", rows) + "\n");
            log.println("wrote " + csv);
        }
        if (json != null) JsonResult.print(result.put("csv", csv == null ? null : csv.toString()), json);
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
