package io.github.dragganjvm.stylegan.sg3;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.FilteredLrelu;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FilteredLrelu} (the fused op, as the generator calls it) in float64 against a scalar re-implementation of the reference's definition
 * (bias; zero-insert by up, pad, convolve with the flipped filter (a 1-D filter applied as its outer product) times
 * up^2; lrelu times gain, clamp; convolve with the down filter, keep every down-th sample): forward within 1e-12, and
 * dL/dx and dL/db against central differences of the scalar version along a random direction (relative 1e-6).
 */
class FilteredLreluScalarTest {
    /** Reference upfirdn2d on [C][H][W] with a 2-D filter f[fh][fw] (convolution: flipped taps). */
    static double[][][] upfirdn(double[][][] x, double[][] f, int up, int down, int[] p, double gain) {
        int c = x.length, h = x[0].length, w = x[0][0].length, fh = f.length, fw = f[0].length;
        int uh = h * up + p[2] + p[3], uw = w * up + p[0] + p[1];
        double[][][] u = new double[c][uh][uw];
        for (int k = 0; k < c; k++) for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) {
            int y = i * up + p[2], xx = j * up + p[0];
            if (y >= 0 && y < uh && xx >= 0 && xx < uw) u[k][y][xx] = x[k][i][j];
        }
        int oh = (uh - fh) / down + 1, ow = (uw - fw) / down + 1;
        double[][][] out = new double[c][oh][ow];
        for (int k = 0; k < c; k++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            double s = 0;
            for (int a = 0; a < fh; a++) for (int b = 0; b < fw; b++) s += u[k][i * down + a][j * down + b] * f[fh - 1 - a][fw - 1 - b];
            out[k][i][j] = s * gain;
        }
        return out;
    }

    static double[][] outer(double[] f) {
        double[][] o = new double[f.length][f.length];
        for (int i = 0; i < f.length; i++) for (int j = 0; j < f.length; j++) o[i][j] = f[i] * f[j];
        return o;
    }

    static double[][][] reference(double[][][] x, double[] b, double[][] fu, double[][] fd, int up, int down, int[] p, double gain, double slope, double clamp) {
        int c = x.length;
        double[][][] y = new double[c][][];
        for (int k = 0; k < c; k++) {
            y[k] = new double[x[k].length][x[k][0].length];
            for (int i = 0; i < y[k].length; i++) for (int j = 0; j < y[k][0].length; j++) y[k][i][j] = x[k][i][j] + b[k];
        }
        y = upfirdn(y, fu, up, 1, p, up * up);
        for (double[][] a : y) for (double[] r : a) for (int j = 0; j < r.length; j++) {
            double v = (r[j] > 0 ? r[j] : r[j] * slope) * gain;
            r[j] = clamp < 0 ? v : Math.max(-clamp, Math.min(clamp, v));
        }
        return upfirdn(y, fd, 1, down, new int[4], 1);
    }

    static double dot(double[][][] a, double[] g) {
        double s = 0;
        int n = 0;
        for (double[][] x : a) for (double[] r : x) for (double v : r) s += v * g[n++];
        return s;
    }

    static double[][][] unflat(double[] v, int c, int h, int w) {
        double[][][] o = new double[c][h][w];
        for (int k = 0; k < c; k++) for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) o[k][i][j] = v[(k * h + i) * w + j];
        return o;
    }

    static double[] random(java.util.Random r, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian() * scale;
        return v;
    }

    @ParameterizedTest(name = "up {0} down {1} taps {2} radial {3}")
    @CsvSource({"2, 2, 12, false", "4, 2, 24, false", "2, 2, 12, true", "2, 1, 6, false"})
    void matchesScalarReference(int up, int down, int taps, boolean radialDown) {
        java.util.Random rnd = new java.util.Random(7 + up * 31 + taps);
        int c = 3, h = 9, w = 9;
        double[] fu1 = random(rnd, taps, 0.3), fd1 = random(rnd, taps / up * down, 0.3);
        double[][] fd2 = radialDown ? unflat(random(rnd, fd1.length * fd1.length, 0.1), 1, fd1.length, fd1.length)[0] : outer(fd1);
        int[] p = {taps / 2 - 1, taps / 2 - 2, taps / 2 - 1, taps / 2 - 2};
        double gain = Math.sqrt(2), slope = 0.2, clamp = 2.5;
        double[] xv = random(rnd, c * h * w, 1), bv = random(rnd, c, 0.5);

        Tensor fuT = Tensor.of(fu1, taps);
        Tensor fdT = radialDown ? Tensor.of(flat(fd2), fd2.length, fd2.length) : Tensor.of(fd1, fd1.length);
        Var x = Var.param(Tensor.of(xv, 1, c, h, w)), b = Var.param(Tensor.of(bv, c));
        Var y = FilteredLrelu.apply(x, b, fuT, fdT, new FilteredLreluParams(up, down, p[0], p[1], p[2], p[3], gain, slope, clamp, false));
        double[][][] ref = reference(unflat(xv, c, h, w), bv, outer(fu1), fd2, up, down, p, gain, slope, clamp);
        double[] got = y.value().toDoubleArray();
        double worst = 0;
        int n = 0;
        for (double[][] a : ref) for (double[] r : a) for (double v : r) worst = Math.max(worst, Math.abs(v - got[n++]));
        assertTrue(n == got.length, "output size " + got.length + " vs reference " + n);
        System.out.printf("filteredLrelu up %d down %d taps %d radial %s: out %s, forward worst |diff| %.2e%n", up, down, taps, radialDown,
                java.util.Arrays.toString(y.shape()), worst);
        assertTrue(worst < 1e-12, "forward worst " + worst);

        // gradients along a random direction (v for x, vb for b) against central differences of the scalar reference
        double[] g = random(rnd, got.length, 1);
        y.backward(Tensor.of(g, y.shape()));
        double[] vx = random(rnd, xv.length, 1), vb = random(rnd, c, 1);
        double analytic = 0;
        double[] dx = x.grad().toDoubleArray(), db = b.grad().toDoubleArray();
        for (int i = 0; i < vx.length; i++) analytic += dx[i] * vx[i];
        for (int i = 0; i < c; i++) analytic += db[i] * vb[i];
        double eps = 1e-6;
        double[] xp = xv.clone(), xm = xv.clone(), bp = bv.clone(), bm = bv.clone();
        for (int i = 0; i < xv.length; i++) { xp[i] += eps * vx[i]; xm[i] -= eps * vx[i]; }
        for (int i = 0; i < c; i++) { bp[i] += eps * vb[i]; bm[i] -= eps * vb[i]; }
        double numeric = (dot(reference(unflat(xp, c, h, w), bp, outer(fu1), fd2, up, down, p, gain, slope, clamp), g)
                - dot(reference(unflat(xm, c, h, w), bm, outer(fu1), fd2, up, down, p, gain, slope, clamp), g)) / (2 * eps);
        double rel = Math.abs(analytic - numeric) / Math.max(1e-12, Math.abs(numeric));
        System.out.printf("  directional derivative: analytic %.10g numeric %.10g rel %.2e%n", analytic, numeric, rel);
        assertTrue(rel < 1e-6, "gradient: analytic " + analytic + " numeric " + numeric);
        assertTrue(x.value().dtype() == DType.F64);
    }

    static double[] flat(double[][] a) {
        double[] o = new double[a.length * a[0].length];
        for (int i = 0; i < a.length; i++) System.arraycopy(a[i], 0, o, i * a[0].length, a[0].length);
        return o;
    }
}
