package io.github.dragganjvm.cuda.internal.tools;

import io.github.dragganjvm.cuda.internal.CudaBackend;
import io.github.dragganjvm.cuda.internal.CudaScope;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.BinaryOp;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.UnaryOp;

import java.util.ArrayList;
import java.util.List;

/**
 * A StyleGAN2 synthesis network (NVlabs layout: modulated 3x3 convs with demodulation, the up-sampling conv0 with
 * the [1,3,3,1] FIR, noise, bias + leaky ReLU + clamp 256, 1x1 ToRGB, skip architecture) built directly from the
 * CUDA backend's ops with seeded random weights, for timing the kernels at real sizes before (and independently of)
 * the stylegan module. Channels per resolution r: min(channelBase / r, 512).
 *
 * <p>{@link #forward} is one image; {@link #dragStep} is what one DragGAN iteration costs the GPU: forward to the
 * b128 features keeping what backward needs, features resized to image size, motion-supervision-like sampling and
 * tracking window, backward through every layer down to the first 6 rows of w+, and an Adam step on them.
 * It is a cost model with the right shapes and op sequence, not the exact generator (no mapping network, no
 * checkpoint): exactness is the stylegan and dragcore modules' business.
 */
public final class SynthesisProxy {
    private static final int W_DIM = 512;
    private static final double SQRT2 = Math.sqrt(2);

    private final CudaBackend be;
    public final int resolution, numWs;
    private final Tensor constInput, fir;
    private final List<Conv> convs = new ArrayList<>();
    private final List<Rgb> rgbs = new ArrayList<>();
    private long seed;

    /** One synthesis layer: modulated conv (+ FIR when up), noise, bias_act. */
    private record Conv(int res, boolean up, int wsIndex, Tensor weight, Tensor affine, Tensor affineBias, Tensor bias, Tensor noise) {}

    /** One ToRGB layer. */
    private record Rgb(int res, int wsIndex, Tensor weight, Tensor affine, Tensor affineBias, Tensor bias) {}

    /** What a conv layer's backward needs. */
    private record Saved(Conv layer, Tensor x, Tensor styles, Tensor convOut, Tensor d, Tensor noised, Tensor y) {}

    public SynthesisProxy(CudaBackend be, int resolution, int channelBase, long seed) {
        this.be = be;
        this.resolution = resolution;
        this.seed = seed;
        int log2 = Integer.numberOfTrailingZeros(resolution);
        if (Integer.bitCount(resolution) != 1 || resolution < 8) throw new IllegalArgumentException("resolution must be a power of two >= 8");
        numWs = 2 * log2 - 2;
        constInput = rand(0.5, 1, channels(4, channelBase), 4, 4);
        float[] k = {1, 3, 3, 1};
        float[] f = new float[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) f[i * 4 + j] = k[i] * k[j] / 64f;
        fir = be.fromHost(Tensor.of(f, 4, 4));
        int ws = 0;
        for (int res = 4; res <= resolution; res *= 2) {
            int cout = channels(res, channelBase), cin = res == 4 ? cout : channels(res / 2, channelBase);
            if (res > 4) convs.add(conv(res, true, ws++, cin, cout));
            convs.add(conv(res, false, ws++, cout, cout));
            rgbs.add(new Rgb(res, ws, rand(1, 3, cout, 1, 1), rand(1 / Math.sqrt(W_DIM), cout, W_DIM), ones(cout), rand(0.1, 3)));
        }
    }

    private static int channels(int res, int base) { return Math.min(base / res, 512); }

    private Tensor rand(double scale, int... shape) { return be.affine(be.fromHost(Tensor.randn(DType.F32, seed++, shape)), scale, 0); }

    private Tensor ones(int n) { return be.affine(be.zeros(DType.F32, n), 0, 1); }

    private Conv conv(int res, boolean up, int ws, int cin, int cout) {
        return new Conv(res, up, ws, rand(1, cout, cin, 3, 3), rand(1 / Math.sqrt(W_DIM), cin, W_DIM), ones(cin), rand(0.1, cout), rand(1, 1, 1, res, res));
    }

    /** Random w+ [1, numWs, 512]. */
    public Tensor randomWs(long s) { return be.fromHost(Tensor.randn(DType.F32, s, 1, numWs, W_DIM)); }

    private Tensor styles(Tensor ws, int row, Tensor affine, Tensor affineBias) {
        Tensor w = ws.selectView(0, 0).sliceView(0, row, row + 1);   // [1, 512]
        return be.biasAct(be.matmul(w, affine.transposeView(0, 1)), affineBias, 1, Activation.LINEAR, 0, 1, -1);
    }

    private Saved convForward(Conv c, Tensor x, Tensor ws) {
        Tensor s = styles(ws, c.wsIndex, c.affine, c.affineBias);
        Tensor[] r = c.up ? be.modulatedConvTranspose2d(x, c.weight, s, true) : be.modulatedConv2d(x, c.weight, s, true, 1);
        Tensor out = c.up ? be.upfirdn2d(r[0], fir, 1, 1, 1, 1, 1, 1, 1, 1, 4, false) : r[0];
        Tensor noised = be.noiseAdd(out, c.noise, 0.1);
        Tensor y = be.biasAct(noised, c.bias, 1, Activation.LRELU, 0.2, SQRT2, 256);
        return new Saved(c, x, s, r[0], r[1], noised, y);
    }

    private Tensor rgbForward(Rgb t, Tensor x, Tensor ws, Tensor img) {
        Tensor s = be.affine(styles(ws, t.wsIndex, t.affine, t.affineBias), 1 / Math.sqrt(x.size(1)), 0);
        Tensor rgb = be.biasAct(be.modulatedConv2d(x, t.weight, s, false, 0)[0], t.bias, 1, Activation.LINEAR, 0, 1, 256);
        if (img == null) return rgb;
        return be.binary(BinaryOp.ADD, be.upfirdn2d(img, fir, 2, 2, 1, 1, 2, 1, 2, 1, 4, false), rgb);
    }

    /** The image [1, 3, R, R] for w+ ws (the caller owns the scope). */
    public Tensor forward(Tensor ws) {
        Tensor x = constInput, img = null;
        int ci = 0;
        for (Rgb t : rgbs) {
            while (ci < convs.size() && convs.get(ci).res == t.res) x = convForward(convs.get(ci++), x, ws).y;
            img = rgbForward(t, x, ws, img);
        }
        return img;
    }

    /**
     * One drag iteration's GPU work on the parameter rows wParam [6, 512] (updated in place by Adam with moments m,
     * v): forward to b128, loss-like sampling of the resized features, tracking window, backward to wParam.
     * Returns the tracked index so nothing is optimised away.
     */
    public int dragStep(Tensor wParam, Tensor wRest, Tensor m, Tensor v, long step) {
        try (CudaScope scope = CudaScope.open()) {
            Tensor ws = be.zeros(DType.F32, 1, numWs, W_DIM);
            be.copyInto(wParam, ws.selectView(0, 0).sliceView(0, 0, 6));
            be.copyInto(wRest, ws.selectView(0, 0).sliceView(0, 6, numWs));
            List<Saved> saved = new ArrayList<>();
            Tensor x = constInput;
            for (Conv c : convs) {
                if (c.res > 128) break;
                Saved sv = convForward(c, x, ws);
                saved.add(sv);
                x = sv.y;
            }
            Tensor feat = be.resizeBilinear(x, resolution, resolution, false);           // F: [1, C, R, R]
            Tensor grid = be.fromHost(Tensor.uniform(DType.F32, step, -0.1, 0.1, 1, 1, 29, 2));
            Tensor sampled = be.gridSample(feat, grid, true);
            Tensor target = be.affine(sampled, 1, 0.01);
            Tensor gSampled = be.affine(be.unary(UnaryOp.SIGN, be.binary(BinaryOp.SUB, sampled, target)), 1.0 / sampled.numel(), 0);
            Tensor gFeat = be.gridSampleBackward(gSampled, feat, grid, true, true, false)[0];
            Tensor gx = be.resizeBilinearBackward(gFeat, x.size(2), x.size(3), false);
            int r2 = Math.max(1, Math.round(12f / 512 * resolution));
            int tracked = be.argmin(be.windowDistances(feat.selectView(0, 0), feat.selectView(0, 0).selectView(2, 5).selectView(1, 5), 0,
                    2 * r2 + 1, 0, 2 * r2 + 1));
            Tensor gw = be.zeros(DType.F32, numWs, W_DIM);
            for (int i = saved.size() - 1; i >= 0; i--) {
                Saved sv = saved.get(i);
                Conv c = sv.layer;
                Tensor gOut = be.biasActBackward(gx, sv.noised, c.bias, 1, Activation.LRELU, 0.2, SQRT2, 256);
                Tensor[] g = c.up
                        ? be.modulatedConvBackward(upfirdnBackward(gOut, sv.convOut), sv.convOut, sv.x, c.weight, sv.styles, sv.d, true, 0, i > 0, false, true)
                        : be.modulatedConvBackward(gOut, sv.convOut, sv.x, c.weight, sv.styles, sv.d, false, 1, i > 0, false, true);
                be.addInPlace(gw.sliceView(0, c.wsIndex, c.wsIndex + 1), be.matmul(g[2], c.affine));
                gx = g[0];
            }
            be.adamStep(wParam, gw.sliceView(0, 0, 6), m, v, step, 2e-3, 0.9, 0.999, 1e-8);
            return tracked;
        }
    }

    /** Gradient of the conv0 FIR (upfirdn2d pad 1, gain 4): the FIR flipped with adjusted padding. */
    private Tensor upfirdnBackward(Tensor gy, Tensor convOut) {
        int p0 = 4 - 1 - 1, p1 = convOut.size(3) - gy.size(3) + 1 - 1 + 1;
        int q1 = convOut.size(2) - gy.size(2) + 1 - 1 + 1;
        return be.upfirdn2d(gy, fir, 1, 1, 1, 1, p0, p1, p0, q1, 4, true);
    }

    /** Multiply-adds of one forward (modulated convs only), for throughput figures. */
    public double forwardMacs() {
        double macs = 0;
        for (Conv c : convs) {
            int in = c.up ? c.res / 2 : c.res;   // the phase-split transposed conv does no multiply on inserted zeros
            macs += (double) in * in * c.weight.size(0) * c.weight.size(1) * 9;
        }
        for (Rgb t : rgbs) macs += (double) t.res * t.res * 3 * t.weight.size(1);
        return macs;
    }
}
