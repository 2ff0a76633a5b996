package io.github.dragganjvm.stylegan.sg3;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

/**
 * StyleGAN3's Fourier-feature input ({@code SynthesisInput.forward}) after its affine layer, as one differentiable op
 * of t = affine(w[0]) [N, 4]:
 * <pre>
 *   (c, s, tx, ty) = t / |t[0:2]|
 *   T = [[c, -s, 0], [s, c, 0], [0, 0, 1]] @ [[1, 0, -tx], [0, 1, -ty], [0, 0, 1]] @ M        (M: the transform buffer)
 *   f'[k] = f[k] @ T[0:2, 0:2],  phase'[k] = phase[k] + f[k] . T[0:2, 2]                      (f [C, 2] = (fx, fy))
 *   amp[k] = clamp(1 - (|f'[k]| - bandwidth) / (samplingRate / 2 - bandwidth), 0, 1)
 *   grid: gx[j] = (size / 2 / samplingRate) ((2 j + 1) / size - 1), gy[i] likewise            (affine_grid, align_corners False)
 *   feat[k, i, j] = sin(2 pi (gx[j] f'x[k] + gy[i] f'y[k] + phase'[k])) amp[k]
 *   out[n, o, i, j] = sum_k W[o, k] / sqrt(C) feat[k, i, j]                                   [N, C, size, size]
 * </pre>
 * The sinusoid grid is the backend op {@link Ops#fourierFeatures} (float64, rounded once); the per-sample geometry
 * (4 numbers in, C frequencies out) is scalar work here; the channel mixing is a matmul on the current backend. Backward (first order) to t: the chain rule through the formulas above, written out
 * in {@link #backward}; no gradient of a gradient (the drag needs none).
 */
final class FourierInput {
    private final int channels, size;
    private final double samplingRate, bandwidth;
    private final double[] freqs, phases, transform;     // [C * 2], [C], [9] row-major
    private final double[] grid;                         // gx[j] = gy[j]
    private final Tensor mix;                            // [C, C] = weight / sqrt(C)
    private final DType dtype;

    FourierInput(int channels, int size, double samplingRate, double bandwidth, Tensor freqs, Tensor phases, double[] transform, Tensor weight) {
        this.channels = channels;
        this.size = size;
        this.samplingRate = samplingRate;
        this.bandwidth = bandwidth;
        this.freqs = freqs.toDoubleArray();
        this.phases = phases.toDoubleArray();
        if (transform.length != 9) throw new IllegalArgumentException("FourierInput: transform must be 3x3 (9 values) but has " + transform.length);
        this.transform = transform.clone();
        this.dtype = weight.dtype();
        this.mix = Ops.scale(weight, 1 / Math.sqrt(channels)).toDevice(Backends.current().device()).markConstant();
        grid = new double[size];
        double scale = 0.5 * size / samplingRate;
        for (int j = 0; j < size; j++) grid[j] = scale * ((2.0 * j + 1) / size - 1);
    }

    /** The 3x3 transform in use (row-major). */
    double[] transform() { return transform.clone(); }

    /** Per-sample geometry: the normalised affine output, T, and per channel f', phase', the amplitude's raw value. */
    private record Geometry(double r, double c, double s, double tx, double ty, double[] t, double[] fxp, double[] fyp, double[] ph, double[] a) {}

    private Geometry geometry(double t0, double t1, double t2, double t3) {
        double r = Math.sqrt(t0 * t0 + t1 * t1);
        double c = t0 / r, s = t1 / r, tx = t2 / r, ty = t3 / r;
        double[] a = {c, -s, -c * tx + s * ty, s, c, -s * tx - c * ty, 0, 0, 1};
        double[] t = new double[9];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) {
            double v = 0;
            for (int k = 0; k < 3; k++) v += a[i * 3 + k] * transform[k * 3 + j];
            t[i * 3 + j] = v;
        }
        double[] fxp = new double[channels], fyp = new double[channels], ph = new double[channels], amp = new double[channels];
        for (int k = 0; k < channels; k++) {
            double fx = freqs[2 * k], fy = freqs[2 * k + 1];
            fxp[k] = fx * t[0] + fy * t[3];
            fyp[k] = fx * t[1] + fy * t[4];
            ph[k] = phases[k] + fx * t[2] + fy * t[5];
            amp[k] = 1 - (Math.hypot(fxp[k], fyp[k]) - bandwidth) / (samplingRate / 2 - bandwidth);
        }
        return new Geometry(r, c, s, tx, ty, t, fxp, fyp, ph, amp);
    }

    /**
     * @param t the affine output [N, 4] (r_c, r_s, t_x, t_y before normalisation)
     * @return the input features [N, C, size, size]
     */
    Var forward(Var t) {
        int[] ts = t.shape();
        if (ts.length != 2 || ts[1] != 4) throw new IllegalArgumentException("FourierInput: t must be [N, 4] but is " + java.util.Arrays.toString(ts));
        int n = ts[0], hw = size * size;
        double[] tv = t.value().toDoubleArray();   // 4 numbers per sample: the geometry is scalar work
        Geometry[] geo = new Geometry[n];
        Tensor[] outs = new Tensor[n];
        for (int b = 0; b < n; b++) {
            geo[b] = geometry(tv[b * 4], tv[b * 4 + 1], tv[b * 4 + 2], tv[b * 4 + 3]);
            Tensor f = features(geo[b]).reshapeView(channels, hw);
            outs[b] = Ops.matmul(mix, f).reshapeView(1, channels, size, size);
        }
        Tensor out = n == 1 ? outs[0] : Ops.cat(0, outs);
        return Var.record("fourierInput", out, (g, gr) -> gr.add(0, backward(g, geo, t.value())), t);
    }

    /**
     * The Fourier features of one sample, [1, C, size, size] in the model's dtype (the op {@link Ops#fourierFeatures}
     * in float64 on the geometry's float64 values, rounded once).
     */
    private Tensor features(Geometry q) {
        return Ops.fourierFeatures(row(q.fxp()), row(q.fyp()), row(q.ph()), row(clamped(q.a())), size, samplingRate).copyAs(dtype);
    }

    /** values as a float64 [1, C] tensor on the model's device. */
    private Tensor row(double[] values) { return Tensor.of(values, 1, values.length).toDevice(mix.device()); }

    /** The amplitudes clamp(a, 0, 1). */
    private static double[] clamped(double[] a) {
        double[] r = new double[a.length];
        for (int k = 0; k < a.length; k++) r[k] = Math.min(1, Math.max(0, a[k]));
        return r;
    }

    /** dL/dt [N, 4] from dL/dout [N, C, size, size] (class comment). */
    private Tensor backward(Tensor g, Geometry[] geo, Tensor tVal) {
        int n = geo.length, hw = size * size;
        double[] dt = new double[n * 4];
        double[] tv = tVal.toDoubleArray();
        Tensor mixT = mix.transposeView(0, 1);
        for (int b = 0; b < n; b++) {
            Geometry q = geo[b];
            Tensor dfeat = Ops.matmul(mixT, g.selectView(0, b).contiguousOrCopy().reshapeView(channels, hw)).reshapeView(1, channels, size, size).copyAs(DType.F64);
            Tensor[] d = Ops.fourierFeaturesBackward(dfeat, row(q.fxp()), row(q.fyp()), row(q.ph()), row(clamped(q.a())), size, samplingRate);
            double[] dFxs = d[0].toDoubleArray(), dFys = d[1].toDoubleArray(), dPhs = d[2].toDoubleArray(), dAmps = d[3].toDoubleArray();
            double[] dT = new double[9];
            for (int k = 0; k < channels; k++) {
                double a = q.a()[k], fx = q.fxp()[k], fy = q.fyp()[k];
                double dAmp = dAmps[k], dPh = dPhs[k], dFx = dFxs[k], dFy = dFys[k];
                double norm = Math.hypot(fx, fy);
                if (a >= 0 && a <= 1 && norm > 0) {                       // clamp passes the gradient inside [0, 1]
                    double dNorm = -dAmp / (samplingRate / 2 - bandwidth);
                    dFx += dNorm * fx / norm;
                    dFy += dNorm * fy / norm;
                }
                double f0 = freqs[2 * k], f1 = freqs[2 * k + 1];
                dT[0] += dFx * f0; dT[3] += dFx * f1;
                dT[1] += dFy * f0; dT[4] += dFy * f1;
                dT[2] += dPh * f0; dT[5] += dPh * f1;
            }
            // T = A M: dA[i][k] = sum_j dT[i][j] M[k][j] (rows 0 and 1; row 2 of A is constant)
            double[] dA = new double[6];
            for (int i = 0; i < 2; i++) for (int k = 0; k < 3; k++) {
                double v = 0;
                for (int j = 0; j < 3; j++) v += dT[i * 3 + j] * transform[k * 3 + j];
                dA[i * 3 + k] = v;
            }
            double c = q.c(), s = q.s(), tx = q.tx(), ty = q.ty(), r = q.r();
            double dc = dA[0] + dA[4] - tx * dA[2] - ty * dA[5];
            double ds = -dA[1] + dA[3] + ty * dA[2] - tx * dA[5];
            double dtx = -c * dA[2] - s * dA[5];
            double dty = s * dA[2] - c * dA[5];
            double[] qv = {dc, ds, dtx, dty};
            double t0 = tv[b * 4], t1 = tv[b * 4 + 1], t2 = tv[b * 4 + 2], t3 = tv[b * 4 + 3];
            double dot = qv[0] * t0 + qv[1] * t1 + qv[2] * t2 + qv[3] * t3, r3 = r * r * r;
            dt[b * 4] = qv[0] / r - dot * t0 / r3;
            dt[b * 4 + 1] = qv[1] / r - dot * t1 / r3;
            dt[b * 4 + 2] = qv[2] / r;
            dt[b * 4 + 3] = qv[3] / r;
        }
        return Tensor.of(dt, n, 4).copyAs(tVal.dtype()).toDevice(tVal.device());
    }
}
