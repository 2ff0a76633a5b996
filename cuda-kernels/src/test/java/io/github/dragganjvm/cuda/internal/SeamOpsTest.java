package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.ComposedModulatedConv;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.ModulatedConvSpec;
import io.github.dragganjvm.tensor.ModulatedWeight;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.WindowNearest;
import io.github.dragganjvm.tensor.internal.reference.RefBasics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The CUDA backend's implementations of the seam ops that have a composed or host default: the modulated
 * convolution (fused kernels) against {@link ComposedModulatedConv} on the host, forward and all three gradients,
 * for every layer shape StyleGAN2 uses and one the kernels do not cover (falls back to the composed default); and
 * the tracker's window search (window_nearest) bit-identical to {@link WindowNearest#ofSquared} over the reference
 * window distances, including ties, NaN and infinite distances.
 */
class SeamOpsTest {
    private static final Tensor FILTER = Ops.scale(Tensor.of(new float[]{1, 3, 3, 1, 3, 9, 9, 3, 3, 9, 9, 3, 1, 3, 3, 1}, 4, 4), 1 / 64.0);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void modulatedConvMatchesTheComposedDefault(String device) {
        CudaBackend be = Devices.get(device);
        Devices.asCurrent(be, () -> modulatedConvCases(be));   // the fallback and prepared weights run Ops on the device
    }

    private static void modulatedConvCases(CudaBackend be) {
        // {up, k, padding, demodulate}: conv1, conv0 (up-sampling), ToRGB, and up 2 with k 5 padding 0 (transposed conv
        // padding 2: not fused, the composed default on the device)
        int[][] cases = {{1, 3, 1, 1}, {2, 3, 1, 1}, {1, 1, 0, 0}, {2, 5, 0, 1}};
        for (DType dt : DType.values()) {
            for (int[] cs : cases) {
                int up = cs[0], k = cs[1], pad = cs[2];
                boolean demod = cs[3] == 1;
                int n = 2, c = 7, o = 5, h = 6, w = 5;
                Tensor x = Tensor.randn(dt, 11, n, c, h, w), wt = Tensor.randn(dt, 12, o, c, k, k), s = Tensor.randn(dt, 13, n, c);
                Tensor f = up == 2 ? FILTER.copyAs(dt) : null;
                ModulatedConvSpec hostSpec = new ModulatedConvSpec(up, f, pad, demod);
                Tensor[] ref = ComposedModulatedConv.forward(x, ModulatedWeight.plain(wt), s, hostSpec);
                Tensor g = Tensor.randn(dt, 14, ref[0].shape());
                Tensor[] refGrad = ComposedModulatedConv.backward(g, ref[0], ref[1], x, ModulatedWeight.plain(wt), s, hostSpec, true, true, true);

                Tensor dx = be.fromHost(x), dwt = be.fromHost(wt), ds = be.fromHost(s);
                ModulatedConvSpec devSpec = new ModulatedConvSpec(up, f == null ? null : be.fromHost(f), pad, demod);
                // StyleGAN's layers come prepared (squared sums, swapped copy: the kernels ignore them), training's plain
                ModulatedWeight mw = k == 3 ? ModulatedWeight.prepared(dwt, up) : ModulatedWeight.plain(dwt);
                Tensor[] got = be.modulatedConv2d(dx, mw, ds, devSpec);
                String what = "modulatedConv2d up " + up + " k " + k + " pad " + pad + " demod " + demod + " " + dt;
                double tol = dt == DType.F32 ? 2e-5 : 1e-12;
                Check.close(what + " y", ref[0], be.toHost(got[0]), tol, tol);
                if (demod) Check.close(what + " dcoef", ref[1], be.toHost(got[1]), tol, tol);
                Tensor[] grads = be.modulatedConv2dBackward(be.fromHost(g), got[0], got[1], dx, mw, ds, devSpec, true, true, true);
                String[] names = {"dx", "dweight", "dstyles"};
                for (int i = 0; i < 3; i++) Check.close(what + " " + names[i], refGrad[i], be.toHost(grads[i]), 10 * tol, 10 * tol);
                // only the styles' gradient, as DragGAN asks
                Tensor[] onlyS = be.modulatedConv2dBackward(be.fromHost(g), got[0], got[1], dx, mw, ds, devSpec, false, false, true);
                assertEquals(null, onlyS[0], what + ": dx not asked for");
                assertEquals(null, onlyS[1], what + ": dweight not asked for");
                Check.close(what + " dstyles alone", refGrad[2], be.toHost(onlyS[2]), 10 * tol, 10 * tol);
            }
        }
    }

    /** The reference search: the default's arithmetic on the host (RefBasics' distances, then ofSquared). */
    private static WindowNearest reference(Tensor feat, Tensor f0, int[] w) {
        return WindowNearest.ofSquared(RefBasics.windowDistances(feat, f0, w[0], w[1], w[2], w[3]).toFloatArray());
    }

    private static void same(String what, WindowNearest expected, WindowNearest got) {
        System.out.println(what + ": expected " + expected + " got " + got);
        assertEquals(expected, got, what);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void windowNearestIsBitIdenticalToTheReference(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor feat = Tensor.randn(dt, 21, 33, 40, 35), f0 = Tensor.randn(dt, 22, 33);
            Tensor dfeat = be.fromHost(feat), df0 = be.fromHost(f0);
            int[][] windows = {{0, 40, 0, 35}, {3, 28, 5, 30}, {7, 8, 9, 10}, {0, 1, 0, 35}};
            for (int[] w : windows) {
                same("windowNearest " + Arrays.toString(w) + " " + dt, reference(feat, f0, w), be.windowNearest(dfeat, df0, w[0], w[1], w[2], w[3]));
            }
            // f0 equal to a pixel's feature: distance exactly 0
            Tensor f1 = feat.sliceView(1, 17, 18).sliceView(2, 20, 21).copy().reshapeView(33);
            same("windowNearest exact hit " + dt, reference(feat, f1, windows[1]), be.windowNearest(dfeat, be.fromHost(f1), 3, 28, 5, 30));
            // a channel-last view of the features
            Tensor hwc = Tensor.randn(dt, 23, 40, 35, 33);
            same("windowNearest of a permuted view " + dt, reference(hwc.permuteView(2, 0, 1), f0, windows[1]),
                    be.windowNearest(be.fromHost(hwc).permuteView(2, 0, 1), df0, 3, 28, 5, 30));
        }
        // ties: three pixels at distance 0 across thread strides (window 25 x 40 = 1000 pixels, 256 threads)
        int c = 3, hh = 25, ww = 40;
        float[] v = new float[c * hh * ww];
        Arrays.fill(v, 5f);
        for (int p : new int[]{777, 301, 999}) for (int ch = 0; ch < c; ch++) v[ch * hh * ww + p] = 0f;
        Tensor tie = Tensor.of(v, c, hh, ww), zero = Tensor.zeros(DType.F32, c);
        WindowNearest t = be.windowNearest(be.fromHost(tie), be.fromHost(zero), 0, hh, 0, ww);
        same("windowNearest ties", reference(tie, zero, new int[]{0, hh, 0, ww}), t);
        assertEquals(301, t.index(), "the first tied pixel in row-major order");
        // NaN at the window's pixel 0 stays the best; NaN elsewhere is never chosen; infinite distances
        float[][] specials = {nanAt(v, c, hh * ww, 0), nanAt(v, c, hh * ww, 301), fill(c * hh * ww, 3e19f), infAt0(c, hh * ww)};
        String[] names = {"NaN at pixel 0", "NaN at the first best", "every distance infinite", "pixel 0 infinite"};
        for (int i = 0; i < specials.length; i++) {
            Tensor ft = Tensor.of(specials[i], c, hh, ww);
            same("windowNearest " + names[i], reference(ft, zero, new int[]{0, hh, 0, ww}), be.windowNearest(be.fromHost(ft), be.fromHost(zero), 0, hh, 0, ww));
            same("windowNearest " + names[i] + ", inner window", reference(ft, zero, new int[]{2, 20, 3, 31}),
                    be.windowNearest(be.fromHost(ft), be.fromHost(zero), 2, 20, 3, 31));
        }
    }

    private static float[] nanAt(float[] base, int c, int plane, int p) {
        float[] v = base.clone();
        v[p] = Float.NaN;                       // channel 0 only: the squared sum is NaN
        return v;
    }

    private static float[] fill(int n, float x) {
        float[] v = new float[n];
        Arrays.fill(v, x);
        return v;
    }

    private static float[] infAt0(int c, int plane) {
        float[] v = new float[c * plane];
        for (int i = 0; i < v.length; i++) v[i] = 1 + (i * 7919 % 1000) / 1000f;
        v[0] = 3e19f;                          // (3e19)^2 overflows float: distance +inf
        return v;
    }
}
