package io.github.dragganjvm.drag;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Motion supervision (paper eq. 1) as the reference computes it. Pure functions of a feature map and points.
 *
 * <p>For a handle p with target t, d = (t - p) / (|t - p| + 1e-7); over the disc of pixels q around p (radius r1),
 * the loss is L1_mean(F(q + d), stopgrad(F(q))) with F(q + d) read by bilinear sampling of the h x h map
 * (align_corners = True, so grid coordinates are pixel coordinates; zeros outside the image). Handles within
 * {@code superviseAbove} px of their target are not supervised. The per-handle losses are summed.
 */
public final class MotionSupervision {
    private MotionSupervision() {}

    /**
     * The disc around p as the reference selects it: pixel (i, j) (row, column) belongs when
     * sqrt((i * h/(h-1) - p.y)^2 + (j * h/(h-1) - p.x)^2) &lt; r1. The reference builds its coordinate grid with
     * linspace(0, h, h), whose spacing is h/(h-1), not 1; the disc is therefore selected on that slightly stretched
     * grid (it matters at some handle positions), while the pixels read are the integer (i, j).
     * Returns {rows, cols}.
     */
    public static int[][] disc(Point p, int r1, int h) {
        double step = h > 1 ? (double) h / (h - 1) : 0;
        List<int[]> q = new ArrayList<>();
        int lo = Math.max(0, (int) Math.floor((p.y() - r1 - 1) / Math.max(step, 1e-9)));
        int hi = Math.min(h - 1, (int) Math.ceil((p.y() + r1 + 1) / Math.max(step, 1e-9)));
        int lox = Math.max(0, (int) Math.floor((p.x() - r1 - 1) / Math.max(step, 1e-9)));
        int hix = Math.min(h - 1, (int) Math.ceil((p.x() + r1 + 1) / Math.max(step, 1e-9)));
        for (int i = lo; i <= hi; i++) {
            for (int j = lox; j <= hix; j++) {
                float dy = (float) (i * step) - (float) p.y(), dx = (float) (j * step) - (float) p.x();
                float dist = (float) Math.sqrt(dy * dy + dx * dx);
                if (dist < r1) q.add(new int[]{i, j});
            }
        }
        int[] rows = new int[q.size()], cols = new int[q.size()];
        for (int k = 0; k < q.size(); k++) {
            rows[k] = q.get(k)[0];
            cols[k] = q.get(k)[1];
        }
        return new int[][]{rows, cols};
    }

    /**
     * The motion term summed over handles, or null when no handle needs supervision.
     * handles[i] are the current (tracked, integer) handle positions, targets[i] their targets.
     */
    public static Var loss(FeatureMap f, List<Point> handles, List<Point> targets, DragConfig cfg) {
        return loss(f, handles, targets, cfg, null, null);
    }

    /**
     * The motion term with {@code cfg.supervision()}: for {@link DragConfig.Supervision#ORIGINAL}, f0 is the feature
     * map F0 captured with f0 and origins[i] the handles' positions then (integers); a disc pixel q whose
     * original counterpart q - p + p0 falls off the image is left out. For REFERENCE, f0 and origins are unused.
     */
    public static Var loss(FeatureMap f, List<Point> handles, List<Point> targets, DragConfig cfg, FeatureMap f0, List<Point> origins) {
        boolean original = cfg.supervision() == DragConfig.Supervision.ORIGINAL;
        if (original && (f0 == null || origins == null || origins.size() != handles.size())) {
            throw new IllegalArgumentException("MotionSupervision.loss: ORIGINAL supervision needs the first step's feature map and one origin per handle");
        }
        int h = f.size();
        int r1 = cfg.r1(h);
        Var total = null;
        for (int i = 0; i < handles.size(); i++) {
            Point p = handles.get(i), t = targets.get(i);
            double dx = t.x() - p.x(), dy = t.y() - p.y();
            double norm = Math.hypot(dx, dy);
            if (!(norm > cfg.superviseAbove())) continue;
            // the reference normalises in float32
            float ux = (float) ((float) dx / ((float) norm + 1e-7f)), uy = (float) ((float) dy / ((float) norm + 1e-7f));
            int[][] q = disc(p, r1, h);
            Tensor against = null;                                              // null: stopgrad F(q)
            if (original) {
                Point p0 = origins.get(i);
                int[][] kept = withCounterparts(q, (int) (p0.y() - p.y()), (int) (p0.x() - p.x()), h);
                q = new int[][]{kept[0], kept[1]};
                if (q[0].length > 0) against = gatherWindow(f0, kept[2], kept[3]);
            }
            if (q[0].length == 0) continue;
            Var term = pointLoss(f, q[0], q[1], ux, uy, against);
            total = total == null ? term : ElementwiseOps.add(total, term);
        }
        return total;
    }

    /**
     * The disc pixels whose shifted counterpart (row + oy, col + ox) lies on the h x h image, and those counterparts:
     * {rows, cols, rows + oy, cols + ox}.
     */
    private static int[][] withCounterparts(int[][] q, int oy, int ox, int h) {
        int n = 0, m = q[0].length;
        int[][] out = new int[4][m];
        for (int k = 0; k < m; k++) {
            int r = q[0][k] + oy, c = q[1][k] + ox;
            if (r < 0 || r >= h || c < 0 || c >= h) continue;
            out[0][n] = q[0][k];
            out[1][n] = q[1][k];
            out[2][n] = r;
            out[3][n++] = c;
        }
        for (int j = 0; j < 4; j++) out[j] = java.util.Arrays.copyOf(out[j], n);
        return out;
    }

    /** {y0, y1, x0, x1}: the box covering the pixels, widened by margin on each side and clipped to the h x h map. */
    private static int[] box(int[] rows, int[] cols, int margin, int h) {
        int y0 = h, y1 = 0, x0 = h, x1 = 0;
        for (int k = 0; k < rows.length; k++) {
            y0 = Math.min(y0, rows[k]);
            y1 = Math.max(y1, rows[k] + 1);
            x0 = Math.min(x0, cols[k]);
            x1 = Math.max(x1, cols[k] + 1);
        }
        return new int[]{Math.max(0, y0 - margin), Math.min(h, y1 + margin), Math.max(0, x0 - margin), Math.min(h, x1 + margin)};
    }

    /** [C, n] values of a window [1, C, wy, wx] whose top-left pixel is (y0, x0) at the given pixels, no gradient. */
    private static Tensor pick(Var win, int y0, int x0, int[] rows, int[] cols) {
        int c = win.shape()[1], wy = win.shape()[2], wx = win.shape()[3];
        int[] flat = new int[rows.length];
        for (int k = 0; k < rows.length; k++) flat[k] = (rows[k] - y0) * wx + (cols[k] - x0);
        return ShapeOps.indexSelect(ShapeOps.reshape(win.detach(), c, wy * wx), 1, flat).value();
    }

    /** [C, n] features of f at the given pixels (no gradient), reading only the window that covers them. */
    static Tensor gatherWindow(FeatureMap f, int[] rows, int[] cols) {
        int[] b = box(rows, cols, 0, f.size());
        try (var ng = GradMode.noGrad()) {
            return pick(f.window(b[0], b[1], b[2], b[3]), b[0], b[2], rows, cols);
        }
    }

    /** L1_mean(F(q + u), stopgrad(F(q))) over the given pixels, reading only the window that covers them. */
    static Var pointLoss(FeatureMap f, int[] rows, int[] cols, float ux, float uy) {
        return pointLoss(f, rows, cols, ux, uy, null);
    }

    /** L1_mean(F(q + u), against) with against [C, n] given, or stopgrad(F(q)) when it is null. */
    static Var pointLoss(FeatureMap f, int[] rows, int[] cols, float ux, float uy, Tensor against) {
        int n = rows.length, c = f.channels();
        // the bilinear taps of q + u lie within one pixel of q (|u| <= 1): a margin of 2 covers them
        int[] b = box(rows, cols, 2, f.size());
        int y0 = b[0], x0 = b[2], wy = b[1] - b[0], wx = b[3] - b[2];
        Var win = f.window(y0, b[1], x0, b[3]);                               // [1, C, wy, wx]

        // F(q): the disc pixels, stop-gradient (unless given)   -> [C, n]
        Tensor fq = against != null ? against : pick(win, y0, x0, rows, cols);

        // F(q + u): grid_sample with align_corners = True; normalised coordinates of the window   -> [C, n]
        float[] grid = new float[2 * n];
        for (int k = 0; k < n; k++) {
            grid[2 * k] = (cols[k] + ux - x0) / (float) (wx - 1) * 2 - 1;
            grid[2 * k + 1] = (rows[k] + uy - y0) / (float) (wy - 1) * 2 - 1;
        }
        Tensor g = Tensor.of(grid, 1, 1, n, 2).copyAs(win.value().dtype()).toDevice(win.value().device());
        Var fqd = ShapeOps.reshape(ResampleOps.gridSample(win, Var.constant(g), true), c, n);
        return ReduceOps.l1Loss(fqd, Var.constant(fq));
    }

    /**
     * The fixed-region term lambda * L1_mean(F * m, F0 * m) over all C x h x h, where m [h, h] is 1 where the
     * content must stay; null when the mask does not hold both values (the reference skips it then).
     */
    public static Var maskLoss(FeatureMap f, Tensor f0Full, Mask mask, double lambda) {
        if (mask == null || !mask.hasBothValues() || lambda == 0) return null;
        Tensor m = mask.fixedTensor(f0Full.dtype()).toDevice(f0Full.device());   // [h, w]
        Var fm = ElementwiseOps.mul(f.full(), Var.constant(m));
        Var f0m = Var.constant(io.github.dragganjvm.tensor.Ops.mul(f0Full, m));
        return ElementwiseOps.affine(ReduceOps.l1Loss(fm, f0m), lambda, 0);
    }

}
