package io.github.dragganjvm.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.Frame;
import io.github.dragganjvm.drag.Point;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code --json} results of {@code ./draggan drag}: what was written, where the points ended, how long it took. */
final class DragJson {
    private DragJson() {}

    /** The files a drag writes into its folder, in the order of its help text. */
    static final List<String> DRAG_FILES = List.of("start.png", "final.png", "final-annotated.png", "drag.gif", "session.json", "trace.csv");
    /** The files a replay writes. */
    static final List<String> REPLAY_FILES = List.of("final.png", "final-annotated.png", "session.json", "trace.csv");

    /**
     * A finished drag: {"command": "drag", "out", "files": {file name: path}, "model", "resolution", "seed", "reason"
     * (CONVERGED, MAX_STEPS, STOPPED), "steps", "seconds" (the drag loop), "loss" (of the last step; null if none),
     * "maxDistance" (px, last step's largest handle-target distance), "handles" and "targets" ([[x, y], ...] at the end,
     * in the model's frame), "width" and "height" (of that frame)}.
     *
     * @param last the last step's result (null when no step ran)
     */
    static ObjectNode dragged(Path out, Models.Loaded m, Frame frame, long seed, DragSession.RunResult rr, PointsSpec.Pairs pairs,
                              DragSession.StepResult last, double seconds) {
        ObjectNode j = JsonResult.of("drag");
        files(j, out, DRAG_FILES);
        j.put("model", m.source()).put("resolution", m.generator().resolution()).put("width", frame.width()).put("height", frame.height()).put("seed", seed);
        j.put("reason", rr.reason().name()).put("steps", rr.steps()).put("seconds", seconds);
        JsonResult.number(j, "loss", last == null ? Double.NaN : last.loss());
        JsonResult.number(j, "maxDistance", last == null ? Double.NaN : last.maxDistance());
        j.set("handles", JsonResult.points(rr.pairs().stream().map(p -> frame.fromSquare(p.handle())).toList()));
        j.set("targets", JsonResult.points(pairs.targets()));
        return j;
    }

    /**
     * A replayed session: {"command": "drag", "replay": true, "out", "files", "model", "resolution", "drags" (replayed),
     * "steps" (all of them), "seconds", "handles" and "targets" (the session's pending pairs)}.
     */
    static ObjectNode replayed(Path out, Models.Loaded m, Frame frame, int drags, DragSession session, double seconds) {
        ObjectNode j = JsonResult.of("drag").put("replay", true);
        files(j, out, REPLAY_FILES);
        j.put("model", m.source()).put("resolution", m.generator().resolution()).put("width", frame.width()).put("height", frame.height());
        j.put("drags", drags).put("steps", session.totalSteps()).put("seconds", seconds);
        List<Point> hs = new ArrayList<>(), ts = new ArrayList<>();
        for (DragSession.Pair p : session.pairs()) {
            hs.add(frame.fromSquare(p.handle()));
            ts.add(frame.fromSquare(p.target()));
        }
        j.set("handles", JsonResult.points(hs));
        j.set("targets", JsonResult.points(ts));
        return j;
    }

    private static void files(ObjectNode j, Path out, List<String> names) {
        j.put("out", out.toString());
        ObjectNode f = j.putObject("files");
        for (String n : names) f.put(n, out.resolve(n).toString());
    }
}
