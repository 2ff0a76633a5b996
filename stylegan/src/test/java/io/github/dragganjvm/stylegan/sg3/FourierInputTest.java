package io.github.dragganjvm.stylegan.sg3;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FourierInput}'s hand-written backward (float64, batch of 2, a non-identity transform, some channels' amplitude
 * inside (0, 1) so the clamp's slope counts) against central differences of its own forward along random directions;
 * and one forward value against the formula written out directly.
 */
class FourierInputTest {
    @Test
    void backwardMatchesCentralDifferences() {
        Random r = new Random(11);
        int c = 6, size = 12;
        double sr = 16, bw = 2;
        double[] freqs = new double[c * 2], phases = new double[c], weight = new double[c * c];
        for (int k = 0; k < c; k++) {
            double ang = r.nextDouble() * 2 * Math.PI, rad = k < 2 ? 2.5 + r.nextDouble() * 4 : r.nextDouble() * bw;   // k < 2: partly damped
            freqs[2 * k] = rad * Math.cos(ang);
            freqs[2 * k + 1] = rad * Math.sin(ang);
            phases[k] = r.nextDouble() - 0.5;
        }
        for (int i = 0; i < weight.length; i++) weight[i] = r.nextGaussian();
        double a = 0.1;
        double[] m = {Math.cos(a), -Math.sin(a), 0.07, Math.sin(a), Math.cos(a), -0.03, 0, 0, 1};
        FourierInput in = new FourierInput(c, size, sr, bw, Tensor.of(freqs, c, 2), Tensor.of(phases, c), m, Tensor.of(weight, c, c));
        double[] t0 = {0.9, -0.2, 0.05, 0.1, 1.1, 0.3, -0.2, 0.04};
        Var t = Var.param(Tensor.of(t0, 2, 4));
        Var out = in.forward(t);
        double[] g = new double[2 * c * size * size];
        for (int i = 0; i < g.length; i++) g[i] = r.nextGaussian();
        out.backward(Tensor.of(g, 2, c, size, size));
        double[] dt = t.grad().toDoubleArray();
        for (int trial = 0; trial < 3; trial++) {
            double[] v = new double[8];
            for (int i = 0; i < 8; i++) v[i] = r.nextGaussian();
            double analytic = 0;
            for (int i = 0; i < 8; i++) analytic += dt[i] * v[i];
            double eps = 1e-6;
            double[] tp = t0.clone(), tm = t0.clone();
            for (int i = 0; i < 8; i++) { tp[i] += eps * v[i]; tm[i] -= eps * v[i]; }
            double numeric = (dot(in.forward(Var.constant(Tensor.of(tp, 2, 4))).value(), g) - dot(in.forward(Var.constant(Tensor.of(tm, 2, 4))).value(), g)) / (2 * eps);
            double rel = Math.abs(analytic - numeric) / Math.abs(numeric);
            System.out.printf("FourierInput d/dt along direction %d: analytic %.10g numeric %.10g rel %.2e%n", trial, analytic, numeric, rel);
            assertTrue(rel < 1e-6, "analytic " + analytic + " numeric " + numeric);
        }

        // one value written out: sample 1, channel 3, pixel (row 2, column 7)
        double n = Math.hypot(t0[4], t0[5]), cs = t0[4] / n, sn = t0[5] / n, tx = t0[6] / n, ty = t0[7] / n;
        double[][] am = {{cs, -sn, -cs * tx + sn * ty}, {sn, cs, -sn * tx - cs * ty}, {0, 0, 1}};
        double[][] tt = new double[3][3];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 3; k++) tt[i][j] += am[i][k] * m[k * 3 + j];
        double gx = 0.5 * size / sr * ((2 * 7 + 1.0) / size - 1), gy = 0.5 * size / sr * ((2 * 2 + 1.0) / size - 1);
        double expected = 0;
        for (int k = 0; k < c; k++) {
            double fx = freqs[2 * k] * tt[0][0] + freqs[2 * k + 1] * tt[1][0], fy = freqs[2 * k] * tt[0][1] + freqs[2 * k + 1] * tt[1][1];
            double ph = phases[k] + freqs[2 * k] * tt[0][2] + freqs[2 * k + 1] * tt[1][2];
            double amp = Math.max(0, Math.min(1, 1 - (Math.hypot(fx, fy) - bw) / (sr / 2 - bw)));
            expected += weight[3 * c + k] / Math.sqrt(c) * Math.sin(2 * Math.PI * (gx * fx + gy * fy + ph)) * amp;
        }
        double got = out.value().get(1, 3, 2, 7);
        assertTrue(Math.abs(got - expected) < 1e-12, "value " + got + " vs " + expected);
    }

    private static double dot(Tensor a, double[] g) {
        double[] v = a.toDoubleArray();
        double s = 0;
        for (int i = 0; i < v.length; i++) s += v[i] * g[i];
        return s;
    }
}
