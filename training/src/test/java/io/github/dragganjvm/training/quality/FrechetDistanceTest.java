package io.github.dragganjvm.training.quality;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** FrechetDistance against closed forms: 1-D, independent coordinates, rotation invariance, the eigen-solver itself. */
class FrechetDistanceTest {
    private static double[][] gaussian(Random r, int n, double[] mean, double[] std) {
        double[][] x = new double[n][mean.length];
        for (double[] v : x) for (int i = 0; i < mean.length; i++) v[i] = mean[i] + std[i] * r.nextGaussian();
        return x;
    }

    /** The sample mean and unbiased std of coordinate i. */
    private static double[] moments(double[][] x, int i) {
        double m = 0, s = 0;
        for (double[] v : x) m += v[i];
        m /= x.length;
        for (double[] v : x) s += (v[i] - m) * (v[i] - m);
        return new double[]{m, Math.sqrt(s / (x.length - 1))};
    }

    @Test void oneDimensionalClosedFormAndIndependentCoordinates() {
        Random r = new Random(1);
        double[][] a = gaussian(r, 4000, new double[]{0, 1, -2}, new double[]{1, 2, 0.5});
        double[][] b = gaussian(r, 3000, new double[]{0.5, 1, -1}, new double[]{2, 1, 0.5});
        // in 1-D the formula is exact: (m_a - m_b)^2 + (s_a - s_b)^2 with the sample moments
        for (int i = 0; i < 3; i++) {
            double[][] ai = column(a, i), bi = column(b, i);
            double[] ma = moments(a, i), mb = moments(b, i);
            double expect = (ma[0] - mb[0]) * (ma[0] - mb[0]) + (ma[1] - mb[1]) * (ma[1] - mb[1]);
            assertEquals(expect, FrechetDistance.squared(ai, bi), 1e-12 * Math.max(1, expect), "coordinate " + i);
        }
        // in 3-D the sample covariances are only nearly diagonal: the sum of the 1-D terms, 0.25 + 1 + 1 + 1 + 0, up to sampling noise
        double d = FrechetDistance.squared(a, b);
        assertEquals(3.25, d, 0.15, "whole");
    }

    @Test void aSetIsAtDistanceZeroFromItselfAndTheDistanceIsSymmetric() {
        Random r = new Random(2);
        double[][] a = gaussian(r, 500, new double[]{1, 2, 3, 4}, new double[]{1, 0.1, 3, 2});
        double[][] b = gaussian(r, 700, new double[]{1, 2.5, 3, 4}, new double[]{1, 0.3, 1, 2});
        assertEquals(0, FrechetDistance.squared(a, a), 1e-9);
        assertEquals(FrechetDistance.squared(a, b), FrechetDistance.squared(b, a), 1e-9);
        assertTrue(FrechetDistance.squared(a, b) > 1);
    }

    @Test void theDistanceDoesNotChangeWhenBothSetsAreRotated() {
        Random r = new Random(3);
        double[][] a = correlated(r, 800), b = correlated(r, 900);
        for (double[] v : b) v[0] += 0.7;
        double before = FrechetDistance.squared(a, b);
        double t = 0.9, c = Math.cos(t), s = Math.sin(t);
        for (double[][] set : new double[][][]{a, b}) {
            for (double[] v : set) {
                double x = v[0], y = v[2];
                v[0] = c * x - s * y;
                v[2] = s * x + c * y;
            }
        }
        assertEquals(before, FrechetDistance.squared(a, b), 1e-9 * Math.max(1, before));
    }

    @Test void jacobiRecoversKnownEigenvaluesAndASquareRootThatSquaresBack() {
        // a symmetric matrix with eigenvalues 1, 2, 5 built as Q diag Q^T
        double[][] q = {{2.0 / 3, -2.0 / 3, 1.0 / 3}, {1.0 / 3, 2.0 / 3, 2.0 / 3}, {2.0 / 3, 1.0 / 3, -2.0 / 3}};
        double[] lam = {1, 2, 5};
        double[][] m = new double[3][3];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 3; k++) m[i][j] += q[i][k] * lam[k] * q[j][k];
        double[] ev = FrechetDistance.eigenvalues(m);
        java.util.Arrays.sort(ev);
        assertArrayEquals(lam, ev, 1e-12);
        double[][] root = FrechetDistance.sqrtPsd(m);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double sq = 0;
                for (int k = 0; k < 3; k++) sq += root[i][k] * root[k][j];
                assertEquals(m[i][j], sq, 1e-12, "root^2 at " + i + "," + j);
            }
        }
    }

    @Test void badInputIsRefusedWithTheCounts() {
        var e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.squared(new double[][]{{1}}, new double[][]{{1}, {2}}));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.squared(new double[][]{{1, 2}, {1, 2}}, new double[][]{{1}, {2}}));
        assertTrue(e.getMessage().contains("2 entries"), e.getMessage());
    }

    private static double[][] column(double[][] x, int i) {
        double[][] c = new double[x.length][1];
        for (int k = 0; k < x.length; k++) c[k][0] = x[k][i];
        return c;
    }

    private static double[][] correlated(Random r, int n) {
        double[][] x = new double[n][3];
        for (double[] v : x) {
            double g = r.nextGaussian(), h = r.nextGaussian();
            v[0] = g;
            v[1] = 0.5 * g + h;
            v[2] = -g + 0.3 * h + 0.2 * r.nextGaussian();
        }
        return x;
    }
}
