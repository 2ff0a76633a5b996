package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** bias_act.cu and reduce.cu against RefBasics, and the bias_act golden cases (NVlabs bias_act, PyTorch autograd). */
class BiasActAndReduceKernelsTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    /**
     * The in-place noise + bias_act (two launches over x) against the Backend default (add, bias_act, copy into x) on
     * the same device: the same bits, for the generator's shapes (noise [H, W] and [N, 1, H, W]), a bias with a
     * stride, each activation, with and without clamp; and a non-contiguous x, which takes the default.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void addBiasActInPlaceEqualsTheComposedDefault(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor x = Tensor.randn(dt, 31, 2, 5, 6, 7);
            Tensor b = be.fromHost(Tensor.randn(dt, 32, 5, 2)).selectView(1, 0);         // [5] with stride 2
            for (int[] rs : new int[][]{{6, 7}, {2, 1, 6, 7}}) {
                Tensor r = be.fromHost(Tensor.randn(dt, 33, rs));
                for (Activation act : Activation.values()) {
                    for (double clamp : new double[]{-1, 0.5}) {
                        String what = "addBiasActInPlace r " + java.util.Arrays.toString(rs) + " " + act + " clamp " + clamp + " " + dt;
                        Tensor fused = be.fromHost(x), dflt = be.fromHost(x);
                        be.addBiasActInPlace(fused, r, b, 1, act, 0.2, Math.sqrt(2), clamp);
                        be.copyInto(be.addBiasAct(dflt, r, b, 1, act, 0.2, Math.sqrt(2), clamp), dflt);   // the seam's default
                        Check.bitEqual(what, be.toHost(dflt), be.toHost(fused));
                        Check.close(what + " vs the reference", ref.biasAct(ref.binary(io.github.dragganjvm.tensor.BinaryOp.ADD, x, be.toHost(r)),
                                be.toHost(b), 1, act, 0.2, Math.sqrt(2), clamp), be.toHost(fused), 1e-7, 4 * Check.eps(dt));
                    }
                }
            }
            Tensor big = be.fromHost(Tensor.randn(dt, 34, 2, 7, 6, 5)), view = big.permuteView(0, 2, 1, 3).sliceView(1, 0, 5);   // [2, 5, 7, 5]: not contiguous
            Tensor expected = be.toHost(be.addBiasAct(view, be.fromHost(Tensor.randn(dt, 35, 7, 5)), b, 1, Activation.LRELU, 0.2, 2, -1));
            be.addBiasActInPlace(view, be.fromHost(Tensor.randn(dt, 35, 7, 5)), b, 1, Activation.LRELU, 0.2, 2, -1);
            Check.bitEqual("addBiasActInPlace on a non-contiguous view " + dt, expected, be.toHost(be.copy(view)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void biasActForwardAndBackwardOnViews(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor x = Tensor.randn(dt, 21, 2, 7, 3, 33);
            Tensor b = Tensor.randn(dt, 22, 14).sliceView(0, 0, 14).expandView(14); // plain [14]
            Tensor bStrided = Tensor.randn(dt, 23, 7, 2).selectView(1, 1);         // [7] with stride 2
            Tensor dx = be.fromHost(x);
            for (Activation act : Activation.values()) {
                for (double clamp : new double[]{-1, 0.8}) {
                    for (double[] ag : new double[][]{{0.2, Math.sqrt(2)}, {-0.7, -1.5}}) {
                        double alpha = ag[0], gain = ag[1];
                        String what = act + " alpha " + alpha + " gain " + gain + " clamp " + clamp + " " + dt;
                        Tensor y = ref.biasAct(x, bStrided, 1, act, alpha, gain, clamp);
                        Tensor dbStrided = be.fromHost(Tensor.randn(dt, 23, 7, 2)).selectView(1, 1);
                        Tensor dy = be.biasAct(dx, dbStrided, 1, act, alpha, gain, clamp);
                        Check.close("biasAct " + what, y, be.toHost(dy), 1e-7, 4 * Check.eps(dt));
                        Tensor g = Tensor.randn(dt, 24, 2, 7, 3, 33);
                        // the same arithmetic in the same order: equal values (the mask decides identically)
                        Check.close("biasActBackward " + what, ref.biasActBackward(g, x, bStrided, 1, act, alpha, gain, clamp),
                                be.toHost(be.biasActBackward(be.fromHost(g), dx, dbStrided, 1, act, alpha, gain, clamp)), 0, 2 * Check.eps(dt));
                    }
                }
            }
            // a dyadic grid: many values exactly on +-clamp and on v = 0, negative alpha and gain
            java.util.Random rnd = new java.util.Random(25);
            double[] xs = new double[3 * 5 * 4 * 7], bs = new double[5];
            for (int i = 0; i < xs.length; i++) xs[i] = (rnd.nextInt(25) - 12) / 4.0;
            for (int i = 0; i < bs.length; i++) bs[i] = (rnd.nextInt(9) - 4) / 4.0;
            Tensor xg = Tensor.of(xs, 3, 5, 4, 7).copyAs(dt), bg = Tensor.of(bs, 5).copyAs(dt);
            Tensor gg = Tensor.randn(dt, 27, 3, 5, 4, 7);
            for (double[] agc : new double[][]{{-0.5, -2, 1.5}, {0.25, 2, 1}, {2, -0.5, 0}, {-1, 1, 0.5}}) {
                for (Activation act : Activation.values()) {
                    String what = "grid " + act + " alpha " + agc[0] + " gain " + agc[1] + " clamp " + agc[2] + " " + dt;
                    Check.close("biasActBackward " + what, ref.biasActBackward(gg, xg, bg, 1, act, agc[0], agc[1], agc[2]),
                            be.toHost(be.biasActBackward(be.fromHost(gg), be.fromHost(xg), be.fromHost(bg), 1, act, agc[0], agc[1], agc[2])), 0, 0);
                }
            }
            // dim 3 of a permuted x, no bias
            Tensor xp = x.permuteView(0, 3, 2, 1);
            Check.close("biasAct no bias, permuted " + dt, ref.biasAct(xp, null, 3, Activation.LRELU, 0.2, 2, -1),
                    be.toHost(be.biasAct(dx.permuteView(0, 3, 2, 1), null, 3, Activation.LRELU, 0.2, 2, -1)), 0, 2 * Check.eps(dt));
            Check.close("biasAct bias [33] on the last dim " + dt, ref.biasAct(x, b.sliceView(0, 0, 14).expandView(14), 1, Activation.LINEAR, 0, 1, -1),
                    be.toHost(be.biasAct(dx, be.fromHost(b), 1, Activation.LINEAR, 0, 1, -1)), 1e-7, 2 * Check.eps(dt));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void biasActGolden(String device) {
        CudaBackend be = Devices.get(device);
        for (String c : new String[]{"bias_act_lrelu_clamp", "bias_act_linear_clamp"}) {
            boolean lrelu = c.contains("lrelu");
            double gain = lrelu ? Math.sqrt(2) : 1, clamp = lrelu ? 0.8 : 0.5;
            Activation act = lrelu ? Activation.LRELU : Activation.LINEAR;
            Tensor x = be.fromHost(Golden.npy("ops", c + "__x")), b = be.fromHost(Golden.npy("ops", c + "__b"));
            Tensor y = be.biasAct(x, b, 1, act, 0.2, gain, clamp);
            Check.close(c + " out", Golden.npy("ops", c + "__out"), be.toHost(y), 1e-6, 1e-6);
            Tensor gout = be.fromHost(Golden.npy("ops", c + "__gout").copyAs(io.github.dragganjvm.tensor.DType.F32));
            Tensor gx = be.biasActBackward(gout, x, b, 1, act, 0.2, gain, clamp);
            Check.close(c + " grad_x", Golden.npy("ops", c + "__grad_x"), be.toHost(gx), 1e-6, 1e-6);
            Check.close(c + " grad_b", Golden.npy("ops", c + "__grad_b"), be.toHost(be.sum(gx, new int[]{0, 2, 3}, false)), 1e-5, 1e-5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void sumOverEveryKindOfDimSet(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor x = Tensor.randn(dt, 31, 3, 7, 33, 5);
            Tensor dx = be.fromHost(x);
            int[][] dimSets = {{0}, {1}, {3}, {0, 2}, {1, 3}, {0, 1, 2, 3}, {2, 3}, {0, 3}};
            for (int[] dims : dimSets) {
                for (boolean keep : new boolean[]{false, true}) {
                    String what = "sum " + java.util.Arrays.toString(dims) + (keep ? " keepdim " : " ") + dt;
                    int nRed = 1;
                    for (int d : dims) nRed *= x.size(d);
                    double atol = dt == DType.F32 ? 1e-7 * nRed : 1e-13 * nRed;   // cancellation can leave a small sum
                    Check.close(what, ref.sum(x, dims, keep), be.toHost(be.sum(dx, dims, keep)), atol, 16 * Check.eps(dt));
                }
            }
            Tensor xt = x.permuteView(3, 1, 0, 2);
            Check.close("sum of a permuted view " + dt, ref.sum(xt, new int[]{1, 3}, false),
                    be.toHost(be.sum(dx.permuteView(3, 1, 0, 2), new int[]{1, 3}, false)), dt == DType.F32 ? 1e-7 * 7 * 5 : 1e-12, 16 * Check.eps(dt));
            // a long reduction to one value: takes the two-pass (chunked) path
            Tensor big = Tensor.randn(dt, 32, 70000);
            Check.close("sum of 70000 " + dt, ref.sum(big, new int[]{0}, false), be.toHost(be.sum(be.fromHost(big), new int[]{0}, false)),
                    dt == DType.F32 ? 2e-3 : 1e-10, 0);
        }
    }
}
