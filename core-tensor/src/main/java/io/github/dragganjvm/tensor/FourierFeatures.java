package io.github.dragganjvm.tensor;

/**
 * StyleGAN3's Fourier features ({@code SynthesisInput.forward} between its geometry and its channel mixing): for
 * each sample n and channel k a sinusoid on a size x size grid,
 * <pre>
 *   y[n, k, i, j] = sin(2 pi (g[j] fx[n, k] + g[i] fy[n, k] + phase[n, k])) * amp[n, k]
 *   g[j] = (size / 2 / samplingRate) ((2 j + 1) / size - 1)          (affine_grid's centres, align_corners False)
 * </pre>
 * fx, fy, phase and amp [N, C] are the transformed frequencies, phases and amplitudes; y [N, C, size, size]. The
 * grid is the reference's {@code torch.nn.functional.affine_grid} of a unit square scaled by size / samplingRate.
 *
 * <p>The argument is evaluated as g[j] fx + (g[i] fy + phase). Both CPU backends evaluate it and the sine in
 * float64 with {@link Math#sin} and round once to the output type, so they agree bit for bit (the
 * reference evaluates in float32: arguments reach tens of radians, where float32 argument rounding alone is
 * ~1e-5, far inside the golden tolerance of 1e-3). This class holds the geometry and the scalar reference
 * (plain loops, the specification); {@link Backend#fourierFeatures} dispatches, the Vector API backend overrides.
 */
public final class FourierFeatures {
    private FourierFeatures() {}

    /** g[j], the j-th grid coordinate (class comment). */
    public static double grid(int j, int size, double samplingRate) {
        return 0.5 * size / samplingRate * ((2.0 * j + 1) / size - 1);
    }

    /** The whole grid g[0..size). */
    public static double[] grid(int size, double samplingRate) {
        double[] g = new double[size];
        for (int j = 0; j < size; j++) g[j] = grid(j, size, samplingRate);
        return g;
    }

    /** Scalar reference of the forward (class comment); host tensors of any strides, F32 or F64. */
    public static Tensor forward(Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        int n = fx.size(0), c = fx.size(1);
        double[] y = new double[n * c * size * size];
        forwardRange(0, n * c, size, grid(size, samplingRate), fx.toDoubleArray(), fy.toDoubleArray(), phase.toDoubleArray(), amp.toDoubleArray(), y);
        return Tensor.of(y, n, c, size, size).copyAs(fx.dtype());
    }

    /**
     * The forward of channels q in [from, to) (q = n C + k) into y[q size^2 ..]: the loops every backend runs, so
     * a backend that splits channels across threads gives the same bits.
     */
    public static void forwardRange(int from, int to, int size, double[] g, double[] fx, double[] fy, double[] phase, double[] amp, double[] y) {
        int hw = size * size;
        for (int q = from; q < to; q++) {
            for (int i = 0; i < size; i++) {
                double row = g[i] * fy[q] + phase[q];
                for (int j = 0; j < size; j++) y[q * hw + i * size + j] = Math.sin(2 * Math.PI * (g[j] * fx[q] + row)) * amp[q];
            }
        }
    }

    /**
     * Scalar reference of the backward: from gout = dL/dy [N, C, size, size] the gradients {dfx, dfy, dphase, damp},
     * each [N, C]: with u = 2 pi (g[j] fx + g[i] fy + phase),
     * dL/dfx = sum_ij gout amp cos(u) 2 pi g[j], dL/dfy = ... g[i], dL/dphase = sum_ij gout amp cos(u) 2 pi,
     * dL/damp = sum_ij gout sin(u); sums in float64, rounded once.
     */
    public static Tensor[] backward(Tensor gout, Tensor fx, Tensor fy, Tensor phase, Tensor amp, int size, double samplingRate) {
        int n = fx.size(0), c = fx.size(1);
        double[][] d = new double[4][n * c];
        backwardRange(0, n * c, size, grid(size, samplingRate), fx.toDoubleArray(), fy.toDoubleArray(), phase.toDoubleArray(), amp.toDoubleArray(),
                gout.toDoubleArray(), d);
        return gradients(d, n, c, fx.dtype());
    }

    /** The backward of channels q in [from, to): d = {dfx, dfy, dphase, damp}, each summed in one pass in this order. */
    public static void backwardRange(int from, int to, int size, double[] g, double[] fx, double[] fy, double[] phase, double[] amp, double[] gout, double[][] d) {
        int hw = size * size;
        for (int q = from; q < to; q++) {
            double sx = 0, sy = 0, sp = 0, sa = 0;
            for (int i = 0; i < size; i++) {
                double row = 0, rowArg = g[i] * fy[q] + phase[q];
                for (int j = 0; j < size; j++) {
                    double u = 2 * Math.PI * (g[j] * fx[q] + rowArg), v = gout[q * hw + i * size + j];
                    double du = v * amp[q] * 2 * Math.PI * Math.cos(u);
                    sa += v * Math.sin(u);
                    row += du;
                    sx += du * g[j];
                }
                sp += row;
                sy += row * g[i];
            }
            d[0][q] = sx;
            d[1][q] = sy;
            d[2][q] = sp;
            d[3][q] = sa;
        }
    }

    /** {dfx, dfy, dphase, damp} as [n, c] tensors of dtype t. */
    public static Tensor[] gradients(double[][] d, int n, int c, DType t) {
        Tensor[] r = new Tensor[d.length];
        for (int k = 0; k < d.length; k++) r[k] = Tensor.of(d[k], n, c).copyAs(t);
        return r;
    }
}
