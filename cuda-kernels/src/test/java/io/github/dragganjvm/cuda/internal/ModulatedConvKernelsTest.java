package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.reference.RefConv;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * modconv.cu: the fused modulated convolution (both variants) and its backward, checked three independent ways:
 * against a composed float64 reference (per-sample modulated weights through RefConv), against the PyTorch golden
 * cases of the synthesis layers (forward and autograd gradients, fused and non-fused), and by float64 directional
 * derivatives (the backward kernels versus central differences of the forward kernels).
 */
class ModulatedConvKernelsTest {

    /** Composed reference in float64: w_n = weight * s[n] (* d[n]), then RefConv per sample. */
    static Tensor reference(Tensor x, Tensor weight, Tensor styles, boolean demod, boolean up, int padding) {
        x = x.copyAs(DType.F64);
        weight = weight.copyAs(DType.F64);
        styles = styles.copyAs(DType.F64);
        int n = x.size(0), c = x.size(1), o = weight.size(0), kh = weight.size(2), kw = weight.size(3);
        Tensor[] outs = new Tensor[n];
        for (int b = 0; b < n; b++) {
            Tensor wn = Tensor.zeros(DType.F64, o, c, kh, kw);
            for (int oo = 0; oo < o; oo++) {
                double ss = 0;
                for (int cc = 0; cc < c; cc++)
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++) {
                            double v = weight.get(oo, cc, i, j) * styles.get(b, cc);
                            wn.set(v, oo, cc, i, j);
                            ss += v * v;
                        }
                double d = demod ? 1 / Math.sqrt(ss + 1e-8) : 1;
                for (int cc = 0; cc < c; cc++)
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++) wn.set(wn.get(oo, cc, i, j) * d, oo, cc, i, j);
            }
            Tensor xn = x.sliceView(0, b, b + 1);
            outs[b] = up ? RefConv.convTranspose2d(xn, wn.permuteView(1, 0, 2, 3), 2, 2, 0, 0, 1)
                         : RefConv.conv2d(xn, wn, 1, 1, padding, padding, 1);
        }
        int[] shape = outs[0].shape();
        shape[0] = n;
        Tensor out = Tensor.zeros(DType.F64, shape);
        for (int b = 0; b < n; b++) io.github.dragganjvm.tensor.internal.reference.RefBasics.copyInto(outs[b], out.sliceView(0, b, b + 1));
        return out;
    }

    private static Tensor[] forward(CudaBackend be, Tensor x, Tensor w, Tensor s, boolean demod, boolean up, int padding) {
        return up ? be.modulatedConvTranspose2d(x, w, s, demod) : be.modulatedConv2d(x, w, s, demod, padding);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void forwardMatchesComposedReference(String device) {
        CudaBackend be = Devices.get(device);
        // n, c, h, w, o, k, padding, up
        int[][] cases = {{2, 5, 6, 9, 7, 3, 1, 0}, {1, 70, 5, 4, 66, 3, 1, 0}, {2, 8, 6, 6, 3, 1, 0, 0}, {2, 5, 4, 5, 7, 3, 0, 1}, {1, 3, 3, 2, 4, 4, 0, 1}};
        try {
            for (int[] c : cases) {
                for (boolean demod : new boolean[]{true, false}) {
                    for (String variant : new String[]{"F32", "F64", "TF32"}) {
                        DType dt = variant.equals("F64") ? DType.F64 : DType.F32;
                        be.setTf32(variant.equals("TF32"));
                        Tensor x = Tensor.randn(dt, 71, c[0], c[1], c[2], c[3]), w = Tensor.randn(dt, 72, c[4], c[1], c[5], c[5]);
                        Tensor s = Tensor.uniform(dt, 73, 0.2, 1.5, c[0], c[1]);
                        Tensor expected = reference(x, w, s, demod, c[7] == 1, c[6]);
                        Tensor got = be.toHost(forward(be, be.fromHost(x), be.fromHost(w), be.fromHost(s), demod, c[7] == 1, c[6])[0]);
                        int k = c[1] * c[5] * c[5];
                        double atol = dt == DType.F64 ? 1e-12 : variant.equals("TF32") ? 3e-3 * Math.sqrt(k) : 1e-6 + 1.5e-7 * k;
                        if (demod) atol /= Math.sqrt(k);   // demodulated outputs are O(1)
                        Check.close("modconv " + java.util.Arrays.toString(c) + (demod ? " demod " : " ") + variant, expected, got, atol,
                                variant.equals("TF32") ? 2e-3 : 0);
                    }
                }
            }
        } finally {
            be.setTf32(false);
        }
    }

    /** NVlabs upfirdn2d backward: upfirdn2d of dy with up/down swapped, the flip toggled and the padding adjusted. */
    static Tensor upfirdn2dBackward(CudaBackend be, Tensor dy, Tensor f, int inH, int inW, int up, int down, int[] pad, double gain, boolean flip) {
        int fh = f.size(0), fw = f.size(1);
        int px0 = fw - pad[0] - 1, px1 = inW * up - dy.size(3) * down + pad[0] - up + 1;
        int py0 = fh - pad[2] - 1, py1 = inH * up - dy.size(2) * down + pad[2] - up + 1;
        return be.upfirdn2d(dy, f, down, down, up, up, px0, px1, py0, py1, gain, !flip);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void synthesisLayerGolden(String device) {
        CudaBackend be = Devices.get(device);
        for (String c : new String[]{"modconv_up1_demod_fused1", "modconv_up1_demod_fused0", "modconv_up2_demod_fused1",
                "modconv_up2_demod_fused0", "modconv_torgb"}) {
            boolean up = c.contains("up2"), demod = c.contains("demod");
            int padding = c.contains("torgb") ? 0 : 1;
            Tensor x = be.fromHost(Golden.npy("ops", c + "__x")), w = be.fromHost(Golden.npy("ops", c + "__weight"));
            Tensor s = be.fromHost(Golden.npy("ops", c + "__styles"));
            Tensor gout = be.fromHost(Golden.npy("ops", c + "__gout").copyAs(DType.F32));
            Tensor[] fwd = forward(be, x, w, s, demod, up, padding);
            Tensor out = fwd[0], gconv = gout;
            if (up) {
                Tensor f = be.fromHost(Golden.npy("ops", c + "__f"));
                int[] pad = {1, 1, 1, 1};
                Tensor convOut = out;
                out = be.upfirdn2d(convOut, f, 1, 1, 1, 1, 1, 1, 1, 1, 4, false);
                gconv = upfirdn2dBackward(be, gout, f, convOut.size(2), convOut.size(3), 1, 1, pad, 4, false);
                Tensor[] g = be.modulatedConvBackward(gconv, convOut, x, w, s, fwd[1], true, 0, true, true, true);
                checkGrads(be, c, out, g);
            } else {
                Tensor[] g = be.modulatedConvBackward(gconv, out, x, w, s, fwd[1], false, padding, true, true, true);
                checkGrads(be, c, out, g);
            }
        }
    }

    private static void checkGrads(CudaBackend be, String c, Tensor out, Tensor[] g) {
        Check.close(c + " out", Golden.npy("ops", c + "__out"), be.toHost(out), 2e-5, 1e-5);
        Check.close(c + " grad_x", Golden.npy("ops", c + "__grad_x"), be.toHost(g[0]), 2e-5, 1e-5);
        Check.close(c + " grad_weight", Golden.npy("ops", c + "__grad_weight"), be.toHost(g[1]), 2e-5, 1e-5);
        Check.close(c + " grad_styles", Golden.npy("ops", c + "__grad_styles"), be.toHost(g[2]), 2e-5, 1e-5);
    }

    private static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    private static Tensor axpy(Tensor x, double h, Tensor v) {
        double[] a = x.toDoubleArray(), b = v.toDoubleArray();
        for (int i = 0; i < a.length; i++) a[i] += h * b[i];
        return Tensor.of(a, x.shape());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void backwardMatchesDirectionalDerivativesInFloat64(String device) {
        CudaBackend be = Devices.get(device);
        for (boolean up : new boolean[]{false, true}) {
            for (boolean demod : new boolean[]{true, false}) {
                Tensor x = Tensor.randn(DType.F64, 81, 2, 5, 4, 5), w = Tensor.randn(DType.F64, 82, 6, 5, 3, 3);
                Tensor s = Tensor.uniform(DType.F64, 83, 0.3, 1.4, 2, 5);
                Tensor[] fwd = forward(be, be.fromHost(x), be.fromHost(w), be.fromHost(s), demod, up, 1);
                Tensor u = Tensor.randn(DType.F64, 84, fwd[0].shape());
                Tensor[] g = be.modulatedConvBackward(be.fromHost(u), fwd[0], be.fromHost(x), be.fromHost(w), be.fromHost(s), fwd[1], up, 1,
                        true, true, true);
                Tensor[] inputs = {x, w, s};
                String[] names = {"x", "weight", "styles"};
                for (int which = 0; which < 3; which++) {
                    Tensor v = Tensor.randn(DType.F64, 90 + which, inputs[which].shape());
                    double h = 1e-5;
                    Tensor[] plus = inputs.clone(), minus = inputs.clone();
                    plus[which] = axpy(inputs[which], h, v);
                    minus[which] = axpy(inputs[which], -h, v);
                    double fp = dot(u, be.toHost(forward(be, be.fromHost(plus[0]), be.fromHost(plus[1]), be.fromHost(plus[2]), demod, up, 1)[0]));
                    double fm = dot(u, be.toHost(forward(be, be.fromHost(minus[0]), be.fromHost(minus[1]), be.fromHost(minus[2]), demod, up, 1)[0]));
                    double numeric = (fp - fm) / (2 * h), analytic = dot(v, be.toHost(g[which]));
                    double rel = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), 1e-12);
                    System.out.printf("modconv%s%s d/d%s: analytic %.12g numeric %.12g relative %.2e%n", up ? " up" : "", demod ? " demod" : "",
                            names[which], analytic, numeric, rel);
                    assertTrue(rel < 1e-6, "modconv gradient w.r.t. " + names[which] + ": analytic " + analytic + " vs numeric " + numeric);
                }
            }
        }
    }
}
