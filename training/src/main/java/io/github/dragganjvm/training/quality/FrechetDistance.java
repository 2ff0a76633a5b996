package io.github.dragganjvm.training.quality;

import java.util.Arrays;

/**
 * The Fréchet distance between two sets of vectors, each summarised by a Gaussian (mean, covariance), as FID does
 * (Heusel et al. 2017, on Inception features; here on whatever embedding the caller gives):
 * <pre>
 *   d^2 = |mu_a - mu_b|^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a^(1/2) S_b S_a^(1/2))^(1/2))
 * </pre>
 * The last trace equals Tr((S_a S_b)^(1/2)) (S_a S_b is similar to the symmetric S_a^(1/2) S_b S_a^(1/2), so they
 * share eigenvalues), but the symmetric form lets both square roots come from a symmetric eigen-decomposition
 * (cyclic Jacobi, in double): no complex parts, and eigenvalues that round below zero are taken as zero.
 * Covariances are the unbiased ones (divided by n - 1), as numpy's {@code np.cov}.
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    /**
     * d^2 between the Gaussians fitted to a and b.
     *
     * @param a {@code [n_a][d]}, n_a >= 2
     * @param b {@code [n_b][d]}, n_b >= 2, same d
     */
    public static double squared(double[][] a, double[][] b) {
        if (a.length < 2 || b.length < 2) throw new IllegalArgumentException("FrechetDistance: need at least 2 vectors per set but have " + a.length + " and " + b.length);
        int d = a[0].length;
        for (double[][] set : new double[][][]{a, b}) {
            for (double[] v : set) {
                if (v.length != d) throw new IllegalArgumentException("FrechetDistance: every vector must have " + d + " entries but one has " + v.length);
            }
        }
        double[] ma = mean(a), mb = mean(b);
        double[][] sa = covariance(a, ma), sb = covariance(b, mb);
        double dm = 0;
        for (int i = 0; i < d; i++) dm += (ma[i] - mb[i]) * (ma[i] - mb[i]);
        double[][] ra = sqrtPsd(sa);
        double[][] m = multiply(multiply(ra, sb), ra);
        symmetrize(m);
        double cross = 0;
        for (double ev : eigenvalues(m)) cross += Math.sqrt(Math.max(0, ev));
        return dm + trace(sa) + trace(sb) - 2 * cross;
    }

    static double[] mean(double[][] x) {
        double[] m = new double[x[0].length];
        for (double[] v : x) for (int i = 0; i < m.length; i++) m[i] += v[i];
        for (int i = 0; i < m.length; i++) m[i] /= x.length;
        return m;
    }

    static double[][] covariance(double[][] x, double[] mean) {
        int d = mean.length;
        double[][] c = new double[d][d];
        for (double[] v : x) {
            for (int i = 0; i < d; i++) {
                double di = v[i] - mean[i];
                for (int j = 0; j <= i; j++) c[i][j] += di * (v[j] - mean[j]);
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                c[i][j] /= x.length - 1;
                c[j][i] = c[i][j];
            }
        }
        return c;
    }

    /** The symmetric square root V diag(sqrt(max(0, lambda))) V^T of a symmetric positive semi-definite matrix. */
    static double[][] sqrtPsd(double[][] s) {
        int d = s.length;
        double[][] v = new double[d][d];
        double[] lambda = jacobi(copy(s), v);
        double[][] r = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double sum = 0;
                for (int k = 0; k < d; k++) sum += v[i][k] * Math.sqrt(Math.max(0, lambda[k])) * v[j][k];
                r[i][j] = sum;
            }
        }
        return r;
    }

    /** Eigenvalues of a symmetric matrix. */
    static double[] eigenvalues(double[][] s) { return jacobi(copy(s), new double[s.length][s.length]); }

    /**
     * Cyclic Jacobi: rotates a (symmetric, destroyed) to diagonal form; returns the eigenvalues and fills v's columns
     * with the eigenvectors. Sweeps until the off-diagonal mass is below 1e-22 of the total (or 100 sweeps).
     */
    private static double[] jacobi(double[][] a, double[][] v) {
        int d = a.length;
        for (int i = 0; i < d; i++) {
            Arrays.fill(v[i], 0);
            v[i][i] = 1;
        }
        double total = 0;
        for (double[] row : a) for (double x : row) total += x * x;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < d; p++) for (int q = p + 1; q < d; q++) off += a[p][q] * a[p][q];
            if (off <= 1e-22 * total || off == 0) break;
            for (int p = 0; p < d; p++) {
                for (int q = p + 1; q < d; q++) {
                    if (a[p][q] == 0) continue;
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < d; k++) {                      // a = J^T a J, columns then rows
                        double akp = a[k][p], akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < d; k++) {
                        double apk = a[p][k], aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < d; k++) {
                        double vkp = v[k][p], vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] lambda = new double[d];
        for (int i = 0; i < d; i++) lambda[i] = a[i][i];
        return lambda;
    }

    private static double[][] multiply(double[][] x, double[][] y) {
        int d = x.length;
        double[][] r = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) {
                double xik = x[i][k];
                for (int j = 0; j < d; j++) r[i][j] += xik * y[k][j];
            }
        }
        return r;
    }

    private static void symmetrize(double[][] m) {
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < i; j++) {
                double avg = (m[i][j] + m[j][i]) / 2;
                m[i][j] = avg;
                m[j][i] = avg;
            }
        }
    }

    private static double trace(double[][] m) {
        double t = 0;
        for (int i = 0; i < m.length; i++) t += m[i][i];
        return t;
    }

    private static double[][] copy(double[][] m) {
        double[][] c = new double[m.length][];
        for (int i = 0; i < m.length; i++) c[i] = m[i].clone();
        return c;
    }
}
