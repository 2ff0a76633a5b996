package io.github.dragganjvm.drag;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Pure parts of the loop: disc selection, radii, tracking, the loss and its gradient. */
class MotionSupervisionTest {
    @Test void radiiFollowPythonRounding() {
        DragConfig c = DragConfig.reference();
        assertEquals(2, c.r1(256), "round(1.5) = 2");
        assertEquals(3, c.r1(512));
        assertEquals(1, c.r1(128), "round(0.75) = 1");
        assertEquals(6, c.r2(256));
        assertEquals(3, c.r2(128));
        assertEquals(2, c.stopDistance(256));
        assertEquals(4, c.stopDistance(1024));
        assertEquals(2, PyMath.round(2.5));
        assertEquals(4, PyMath.round(3.5));
    }

    @Test void discUsesTheReferenceStretchedGrid() {
        // at h = 256 the reference's grid spacing is 256/255: row 98 is inside a radius-2 disc around row 100, row 102 is not
        int[][] d = MotionSupervision.disc(new Point(120, 100), 2, 256);
        List<Integer> rows = java.util.Arrays.stream(d[0]).boxed().toList();
        assertTrue(rows.contains(98));
        assertFalse(rows.contains(102));
        for (int k = 0; k < d[0].length; k++) {
            double step = 256.0 / 255;
            assertTrue(Math.hypot(d[0][k] * step - 100, d[1][k] * step - 120) < 2);
        }
    }

    @Test void trackerFindsTheQueryAndBreaksTiesRowMajor() {
        Tensor f = Tensor.zeros(DType.F32, 1, 2, 9, 9);
        Tensor q = Tensor.of(new float[]{1, 2}, 2);
        f.set(1, 0, 0, 6, 7);
        f.set(2, 0, 1, 6, 7);
        FeatureMap fm = new FeatureMap(Var.constant(f), 9, true);
        assertEquals(new Point(7, 6), PointTracker.track(fm, q, new Point(5, 5), 2).point());
        f.set(1, 0, 0, 3, 4);
        f.set(2, 0, 1, 3, 4);
        PointTracker.Match m = PointTracker.track(fm, q, new Point(5, 5), 2);
        assertEquals(new Point(4, 3), m.point(), "the first of two equal matches in row-major order wins");
        assertEquals(0, m.margin());
        assertEquals(new Point(4, 3), PointTracker.track(fm, q, new Point(4, 3), 0).point(), "r2 = 0 keeps the point");
    }

    /** The loss against a scalar re-implementation (full resize, hand-written bilinear sampling with zero padding). */
    @Test void lossEqualsAScalarReimplementation() {
        DragConfig c = DragConfig.reference();
        Tensor block = Tensor.randn(DType.F64, 3, 1, 3, 64, 64);
        List<Point> hs = List.of(new Point(20, 30), new Point(255, 9)), ts = List.of(new Point(30, 33), new Point(245, 2));
        double got = MotionSupervision.loss(new FeatureMap(Var.constant(block), 256, true), hs, ts, c).value().item();
        Tensor full = io.github.dragganjvm.tensor.Ops.resizeBilinear(block, 256, 256, false);
        double expected = 0;
        for (int i = 0; i < hs.size(); i++) {
            Point p = hs.get(i), t = ts.get(i);
            double n = Math.hypot(t.x() - p.x(), t.y() - p.y()), ux = (t.x() - p.x()) / n, uy = (t.y() - p.y()) / n;
            int[][] d = MotionSupervision.disc(p, c.r1(256), 256);
            double sum = 0;
            for (int k = 0; k < d[0].length; k++)
                for (int ch = 0; ch < 3; ch++)
                    sum += Math.abs(bilinear(full, ch, d[0][k] + uy, d[1][k] + ux) - full.get(0, ch, d[0][k], d[1][k]));
            expected += sum / (3.0 * d[0].length);
        }
        assertEquals(expected, got, 1e-6 * expected);
    }

    private static double bilinear(Tensor f, int ch, double y, double x) {
        int y0 = (int) Math.floor(y), x0 = (int) Math.floor(x);
        double wy = y - y0, wx = x - x0, s = 0;
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++) {
                int yy = y0 + dy, xx = x0 + dx;
                if (yy < 0 || xx < 0 || yy >= f.size(2) || xx >= f.size(3)) continue;   // zero padding
                s += (dy == 0 ? 1 - wy : wy) * (dx == 0 ? 1 - wx : wx) * f.get(0, ch, yy, xx);
            }
        return s;
    }

    /** Direct sampling and the full resize give the same loss and the same gradient. */
    @Test void directAndFullPathsAgreeOnLossAndGradient() {
        DragConfig c = DragConfig.reference();
        Tensor block = Tensor.randn(DType.F64, 8, 1, 4, 64, 64);
        List<Point> hs = List.of(new Point(0, 3), new Point(130, 200)), ts = List.of(new Point(12, 0), new Point(100, 230));
        Var a = Var.param(block), b = Var.param(block.copy());
        Var la = MotionSupervision.loss(new FeatureMap(a, 256, true), hs, ts, c), lb = MotionSupervision.loss(new FeatureMap(b, 256, false), hs, ts, c);
        assertEquals(lb.value().item(), la.value().item(), 1e-12);
        la.backward();
        lb.backward();
        io.github.dragganjvm.tensor.testing.Golden.assertClose("gradient direct vs full", b.grad(), a.grad(), 1e-12);
    }

    /**
     * ORIGINAL supervision against a scalar re-implementation: F(q + u) sampled from the current map, compared with
     * F0 at q - p + p0 of the first step's map; disc pixels whose counterpart is off the image are left out.
     */
    @Test void originalSupervisionEqualsAScalarReimplementation() {
        DragConfig c = DragConfig.reference().withSupervision(DragConfig.Supervision.ORIGINAL);
        Tensor block = Tensor.randn(DType.F64, 5, 1, 3, 64, 64), block0 = Tensor.randn(DType.F64, 6, 1, 3, 64, 64);
        // the second handle moved right from the image's edge: part of its disc maps off the image at p0
        List<Point> hs = List.of(new Point(20, 30), new Point(3, 100)), p0s = List.of(new Point(15, 28), new Point(0, 100));
        List<Point> ts = List.of(new Point(30, 33), new Point(20, 100));
        for (boolean direct : new boolean[]{true, false}) {
            double got = MotionSupervision.loss(new FeatureMap(Var.constant(block), 256, direct), hs, ts, c,
                    new FeatureMap(Var.constant(block0), 256, direct), p0s).value().item();
            Tensor full = io.github.dragganjvm.tensor.Ops.resizeBilinear(block, 256, 256, false), full0 = io.github.dragganjvm.tensor.Ops.resizeBilinear(block0, 256, 256, false);
            double expected = 0;
            int dropped = 0;
            for (int i = 0; i < hs.size(); i++) {
                Point p = hs.get(i), t = ts.get(i), p0 = p0s.get(i);
                double n = Math.hypot(t.x() - p.x(), t.y() - p.y()), ux = (t.x() - p.x()) / n, uy = (t.y() - p.y()) / n;
                int[][] d = MotionSupervision.disc(p, c.r1(256), 256);
                double sum = 0;
                int kept = 0;
                for (int k = 0; k < d[0].length; k++) {
                    int r0 = d[0][k] + (int) (p0.y() - p.y()), c0 = d[1][k] + (int) (p0.x() - p.x());
                    if (r0 < 0 || c0 < 0 || r0 >= 256 || c0 >= 256) {
                        dropped++;
                        continue;
                    }
                    kept++;
                    for (int ch = 0; ch < 3; ch++) sum += Math.abs(bilinear(full, ch, d[0][k] + uy, d[1][k] + ux) - full0.get(0, ch, r0, c0));
                }
                expected += sum / (3.0 * kept);
            }
            assertTrue(dropped > 0, "the case must exercise a counterpart off the image");
            assertEquals(expected, got, 1e-6 * expected, "direct sampling " + direct);   // the sampling offsets are float32, as the reference's
        }
    }

    /** At a drag's first step (p = p0, F = F0) ORIGINAL and REFERENCE supervision are the same loss with the same gradient. */
    @Test void originalSupervisionEqualsTheReferenceAtTheFirstStep() {
        DragConfig ref = DragConfig.reference(), orig = ref.withSupervision(DragConfig.Supervision.ORIGINAL);
        Tensor block = Tensor.randn(DType.F64, 9, 1, 4, 64, 64);
        List<Point> hs = List.of(new Point(40, 50), new Point(200, 10)), ts = List.of(new Point(60, 40), new Point(190, 30));
        Var a = Var.param(block), b = Var.param(block.copy());
        Var la = MotionSupervision.loss(new FeatureMap(a, 256, true), hs, ts, ref);
        Var lb = MotionSupervision.loss(new FeatureMap(b, 256, true), hs, ts, orig, new FeatureMap(Var.constant(block), 256, true), hs);
        assertEquals(la.value().item(), lb.value().item(), 1e-12);
        la.backward();
        lb.backward();
        io.github.dragganjvm.tensor.testing.Golden.assertClose("gradient ORIGINAL vs REFERENCE at the first step", a.grad(), b.grad(), 1e-12);
    }

    @Test void originalSupervisionWithoutItsReferencesIsRefused() {
        DragConfig orig = DragConfig.reference().withSupervision(DragConfig.Supervision.ORIGINAL);
        FeatureMap f = new FeatureMap(Var.constant(Tensor.randn(DType.F64, 1, 1, 2, 64, 64)), 256, true);
        List<Point> hs = List.of(new Point(40, 50)), ts = List.of(new Point(60, 40));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MotionSupervision.loss(f, hs, ts, orig));
        assertTrue(e.getMessage().contains("ORIGINAL"), e.getMessage());
        assertEquals(DragConfig.Supervision.ORIGINAL, DragConfig.Supervision.parse(" Original "));
        assertThrows(IllegalArgumentException.class, () -> DragConfig.Supervision.parse("goodish"));
    }
}
