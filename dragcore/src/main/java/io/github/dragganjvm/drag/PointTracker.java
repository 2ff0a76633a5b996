package io.github.dragganjvm.drag;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.WindowNearest;

/**
 * Point tracking (paper section 3.3): the new handle is the pixel of the (2 r2 + 1)^2 window around the current
 * handle (clipped to the image) whose feature is nearest, in L2 over channels, to the handle's initial feature
 * f0. Ties go to the first pixel in row-major order of the window, as torch.min does. The search is the backend
 * seam's {@link Ops#windowNearest} (on CUDA a kernel that reads back three numbers). Pure: no state.
 */
public final class PointTracker {
    private PointTracker() {}

    /** A tracking result: the new point and the distances' best and second best (for confidence). */
    public record Match(Point point, double best, double secondBest) {
        /** (second - best) / best: 0 means a tie. */
        public double margin() { return best == 0 ? (secondBest == 0 ? 0 : Double.POSITIVE_INFINITY) : (secondBest - best) / best; }
    }

    /**
     * Tracks one handle. {@code handle} must have integer coordinates (tracked points always do; initial points are
     * rounded by the session). f0 is [C].
     */
    public static Match track(FeatureMap f, Tensor f0, Point handle, int r2) {
        int h = f.size();
        int px = (int) handle.x(), py = (int) handle.y();
        if (px != handle.x() || py != handle.y()) throw new IllegalArgumentException("track: handle " + handle + " must have integer coordinates");
        int y0 = Math.max(py - r2, 0), y1 = Math.min(py + r2 + 1, h);
        int x0 = Math.max(px - r2, 0), x1 = Math.min(px + r2 + 1, h);
        WindowNearest m;
        try (var ng = GradMode.noGrad()) {
            Tensor win = f.window(y0, y1, x0, x1).value().selectView(0, 0);       // [C, wy, wx]
            // the reference compares float32 L2 norms: the seam's search takes sqrt of the float32 squared distances
            m = Ops.windowNearest(win, f0, 0, y1 - y0, 0, x1 - x0);
        }
        int width = x1 - x0;
        return new Match(new Point(x0 + m.index() % width, y0 + m.index() / width), m.distance(), m.secondDistance());
    }

    /**
     * The TEMPLATE tracker: the cost of a pixel q of the window is
     * {@code (1 - a) |F(q) - f0| + a |F(q) - T|}, where f0 is the handle's initial feature (the anchor) and T the
     * feature at the handle's previous tracked position (an adaptive template, FreeDrag-style), a =
     * {@code templateWeight}. The handle moves to the cheapest pixel only when that beats staying put by more than
     * {@code moveMargin} (relative): look-alike neighbours no longer make it oscillate. Ties go to the first pixel
     * in row-major order.
     */
    public static Match trackTemplate(FeatureMap f, Tensor f0, Tensor template, Point handle, int r2, double templateWeight, double moveMargin) {
        int h = f.size();
        int px = (int) handle.x(), py = (int) handle.y();
        if (px != handle.x() || py != handle.y()) throw new IllegalArgumentException("track: handle " + handle + " must have integer coordinates");
        int y0 = Math.max(py - r2, 0), y1 = Math.min(py + r2 + 1, h);
        int x0 = Math.max(px - r2, 0), x1 = Math.min(px + r2 + 1, h);
        float[] a, b;
        try (var ng = GradMode.noGrad()) {
            Tensor win = f.window(y0, y1, x0, x1).value().selectView(0, 0);       // [C, wy, wx]
            a = Ops.windowDistances(win, f0, 0, y1 - y0, 0, x1 - x0).toFloatArray();
            b = Ops.windowDistances(win, template, 0, y1 - y0, 0, x1 - x0).toFloatArray();
        }
        int width = x1 - x0, here = (py - y0) * width + (px - x0);
        double[] cost = new double[a.length];
        for (int i = 0; i < a.length; i++) cost[i] = (1 - templateWeight) * Math.sqrt(a[i]) + templateWeight * Math.sqrt(b[i]);
        int best = 0;
        double second = Double.POSITIVE_INFINITY;
        for (int i = 1; i < cost.length; i++) {
            if (cost[i] < cost[best]) {
                second = cost[best];
                best = i;
            } else if (cost[i] < second) second = cost[i];
        }
        if (best != here && !(cost[best] < (1 - moveMargin) * cost[here])) best = here;
        return new Match(new Point(x0 + best % width, y0 + best / width), cost[best], second);
    }

    /** The feature [C] of the resized map at an integer pixel. */
    public static Tensor featureAt(FeatureMap f, Point p) {
        int x = (int) p.x(), y = (int) p.y();
        try (var ng = GradMode.noGrad()) {
            return f.window(y, y + 1, x, x + 1).value().copy().reshapeView(-1);   // [C]
        }
    }
}
