package io.github.dragganjvm.app;

import io.github.dragganjvm.drag.Frame;
import io.github.dragganjvm.drag.Point;

import java.util.ArrayList;
import java.util.List;

/** Parses the CLI's point syntax {@code x,y->x,y;x,y->x,y} (x = column, y = row). */
final class PointsSpec {
    private PointsSpec() {}

    record Pairs(List<Point> handles, List<Point> targets) {}

    static Pairs parse(String spec) {
        if (spec == null || spec.isBlank()) throw new UsageException("--points is empty: give at least one pair as x,y->x,y");
        List<Point> hs = new ArrayList<>(), ts = new ArrayList<>();
        for (String pair : spec.split(";")) {
            if (pair.isBlank()) continue;
            String[] ht = pair.split("->");
            if (ht.length != 2) throw new UsageException("--points: '" + pair.trim() + "' is not of the form x,y->x,y");
            hs.add(point(ht[0], pair));
            ts.add(point(ht[1], pair));
        }
        if (hs.isEmpty()) throw new UsageException("--points is empty: give at least one pair as x,y->x,y");
        return new Pairs(hs, ts);
    }

    private static Point point(String s, String pair) {
        String[] xy = s.trim().split(",");
        if (xy.length != 2) throw new UsageException("--points: '" + s.trim() + "' in '" + pair.trim() + "' is not a point x,y");
        try {
            double x = Double.parseDouble(xy[0].trim()), y = Double.parseDouble(xy[1].trim());
            if (!Double.isFinite(x) || !Double.isFinite(y)) throw new NumberFormatException();
            return new Point(x, y);
        } catch (NumberFormatException e) {
            throw new UsageException("--points: '" + s.trim() + "' in '" + pair.trim() + "' must be two finite numbers x,y");
        }
    }

    /**
     * Checks every point against the generator's own frame (a StyleGAN-Human model's 128x256 image, not its padded
     * square) and handle != target; one clear line on failure.
     */
    static void validate(Pairs p, Frame frame) {
        for (int i = 0; i < p.handles().size(); i++) {
            Point h = p.handles().get(i), t = p.targets().get(i);
            for (Point q : new Point[]{h, t}) {
                try {
                    frame.requireInside(q, "--points: point " + q + " (pair " + (i + 1) + ")");
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
            if (h.rounded().equals(t.rounded())) throw new UsageException("--points: pair " + (i + 1) + ": the target " + t + " equals its handle " + h);
        }
    }

    /** The pairs moved from the generator's frame into the square a session works in ({@link Frame#toSquare}). */
    static Pairs toSquare(Pairs p, Frame frame) { return new Pairs(frame.toSquare(p.handles()), frame.toSquare(p.targets())); }
}
