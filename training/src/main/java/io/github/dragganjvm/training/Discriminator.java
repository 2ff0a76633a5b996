package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ConvOps;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.stylegan.io.DiscriminatorCheckpoint;
import io.github.dragganjvm.stylegan.io.DiscriminatorConfig;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A trainable StyleGAN2 discriminator, exactly NVlabs stylegan2-ada-pytorch {@code training/networks.py}
 * {@code Discriminator} with architecture "resnet" and c_dim 0 (see {@link DiscriminatorConfig} for the layout),
 * built from autograd ops so that gradients flow to its parameters and to its input image.
 *
 * <p>Parameters are {@link Var#param} leaves under their NVlabs names ({@code b128.fromrgb.weight}, ...,
 * {@code b4.out.bias}); the equalised-learning-rate gains are applied as ops at run time, so gradients are with
 * respect to the stored (raw) parameters, as in PyTorch. The resample filter {@code setup_filter([1,3,3,1])} is a
 * constant. Layer by layer (C_in the layer's input channels, k its kernel size):
 * <pre>
 * Conv2dLayer(k, down, act, gain g, clamp c):  w' = w / sqrt(C_in k^2)
 *   down 1:          y = conv2d(x, w', padding k/2)
 *   down 2, k = 1:   y = conv2d(upfirdn2d(x, f, down 2, padding 1 each side), w')
 *   down 2, k = 3:   y = conv2d(upfirdn2d(x, f, padding 2 each side), w', stride 2)
 *   then bias_act:   lrelu: clamp(lrelu_0.2(y + b) * sqrt(2) g, +-c g);  linear (skip, no bias): y g
 * FullyConnectedLayer: fc = bias_act(x (w / sqrt(in))^T, b, lrelu) ; out = x (w / sqrt(in))^T + b
 * MinibatchStdLayer(G, F): x [N, C, H, W] -> [N, C + F, H, W]; y = x viewed [G, N/G, F, C/F, H, W] (G = min(G, N)),
 *   y = sqrt(mean_g (y - mean_g y)^2 + 1e-8) averaged over (C/F, H, W) -> [N/G, F], repeated to sample
 *   i = g (N/G) + j from group j, appended as channels.
 * </pre>
 * Computation is in the parameters' dtype (F32; F64 for gradient checks); NVlabs' fp16 blocks are run in float32.
 *
 * <p>The forward records only these ops, each with a differentiable backward rule, so {@code Var.grad(..., createGraph)}
 * of the logits by the image can be differentiated again (the R1 penalty): {@code ElementwiseOps.affine, biasAct,
 * add, sub, square, sqrt}, {@code ConvOps.conv2d}, {@code ResampleOps.upfirdn2d}, {@code ReduceOps.mean},
 * {@code ShapeOps.reshape, expandView, permuteView, cat}, {@code LinalgOps.matmul, linear} (the latter: affine,
 * permuteView, matmul, unsqueezeView, add).
 */
public final class Discriminator {
    /** NVlabs lrelu slope and gain (bias_act's def_alpha, def_gain). */
    private static final double LRELU_ALPHA = 0.2, LRELU_GAIN = Math.sqrt(2);
    /** The resnet blocks' branch gain. */
    private static final double RESNET_GAIN = Math.sqrt(0.5);
    /** MinibatchStdLayer's epsilon under the square root. */
    private static final double MBSTD_EPS = 1e-8;
    /** NVlabs' default resample filter taps. */
    private static final double[] FIR_TAPS = {1, 3, 3, 1};

    private final DiscriminatorConfig config;
    private final DType dtype;
    private final Map<String, Var> params;          // NVlabs order
    private final Tensor filter;                    // [4, 4] setup_filter([1,3,3,1]), constant

    /**
     * A discriminator with the given parameters (NVlabs names, exactly {@link DiscriminatorConfig#requiredShapes()},
     * all of one float dtype). The tensors are copied: training never changes the caller's.
     */
    public Discriminator(DiscriminatorConfig config, Map<String, Tensor> tensors) {
        this.config = config;
        Map<String, Var> p = NamedParameters.leaves("Discriminator", config.toString(), config.requiredShapes(), tensors, "D.");
        this.dtype = p.values().iterator().next().value().dtype();
        this.params = Collections.unmodifiableMap(p);
        this.filter = Generator.setupFilter(FIR_TAPS, dtype);
    }

    /** The discriminator stored in a loaded NVlabs snapshot. */
    public static Discriminator of(DiscriminatorCheckpoint c) { return new Discriminator(c.config(), c.params()); }

    /** Loads {@code D} from an NVlabs network pickle ({@link Checkpoints#loadDiscriminator}). */
    public static Discriminator load(Path pkl) throws IOException { return of(Checkpoints.loadDiscriminator(pkl)); }

    /** Seeded random initialisation as NVlabs' constructors: every weight N(0, 1), every bias 0; float32. */
    public static Discriminator random(DiscriminatorConfig config, long seed) { return random(config, seed, DType.F32); }

    /** The same in the given dtype (F64 for gradient checks). Each weight draws from its own seed split off {@code seed}. */
    public static Discriminator random(DiscriminatorConfig config, long seed, DType dtype) {
        SplittableRandom seeds = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : config.requiredShapes().entrySet()) {
            long s = seeds.nextLong();
            t.put(e.getKey(), e.getKey().endsWith(".bias") ? Tensor.zeros(dtype, e.getValue()) : Tensor.randn(dtype, s, e.getValue()));
        }
        return new Discriminator(config, t);
    }

    /** The hyper-parameters. */
    public DiscriminatorConfig config() { return config; }

    /** Element type of the parameters (and of the images forward accepts). */
    public DType dtype() { return dtype; }

    /** The parameters by NVlabs name, in NVlabs order (live leaves: an optimiser updates their values in place). */
    public Map<String, Var> parameters() { return params; }

    /** The parameters as a list in NVlabs order (e.g. for {@link io.github.dragganjvm.autograd.Adam}). */
    public List<Var> parameterList() { return new ArrayList<>(params.values()); }

    /** Clears every parameter's gradient. */
    public void zeroGrad() { for (Var v : params.values()) v.zeroGrad(); }

    /** The parameters' current values by NVlabs name (the live tensors, not copies; NVlabs order). */
    public Map<String, Tensor> parameterTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : params.entrySet()) m.put(e.getKey(), e.getValue().value());
        return m;
    }

    /**
     * NVlabs {@code D.state_dict()} for saving: float32 host copies of every parameter and of the resample-filter
     * buffers, in NVlabs' state_dict order (per block: {@code b{r}.resample_filter}, then each layer's weight, bias
     * and {@code resample_filter}; the epilogue's conv, fc, out).
     */
    public Map<String, Tensor> saveTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        Tensor fir = filter.toHost().copyAs(DType.F32);
        for (int r : config.blockResolutions()) {
            String b = "b" + r + ".";
            m.put(b + "resample_filter", fir.copy());
            List<String> layers = r == config.imgResolution() ? List.of("fromrgb", "conv0", "conv1", "skip") : List.of("conv0", "conv1", "skip");
            for (String layer : layers) {
                save(m, b + layer + ".weight");
                if (!layer.equals("skip")) save(m, b + layer + ".bias");
                m.put(b + layer + ".resample_filter", fir.copy());
            }
        }
        save(m, "b4.conv.weight");
        save(m, "b4.conv.bias");
        m.put("b4.conv.resample_filter", fir.copy());
        for (String name : List.of("b4.fc.weight", "b4.fc.bias", "b4.out.weight", "b4.out.bias")) save(m, name);
        return m;
    }

    private void save(Map<String, Tensor> m, String name) { m.put(name, params.get(name).value().toHost().copyAs(DType.F32)); }

    /**
     * D(img): img [N, img_channels, R, R] (this discriminator's dtype) -> logits [N, 1]. N must be divisible by the
     * minibatch-std group min(G, N).
     */
    public Var forward(Var img) { return forwardWith(params, img); }

    /**
     * The same forward with other parameter values (same names and shapes; e.g. the inputs of a gradient check).
     * Uses only autograd ops, so it can be differentiated with respect to img and every parameter.
     */
    public Var forwardWith(Map<String, Var> p, Var img) {
        int res = config.imgResolution();
        int[] s = img.shape();
        if (s.length != 4 || s[1] != config.imgChannels() || s[2] != res || s[3] != res) {
            throw new IllegalArgumentException("Discriminator.forward: img must be [N, " + config.imgChannels() + ", " + res + ", " + res
                    + "] but is " + Arrays.toString(s));
        }
        if (img.value().dtype() != dtype) {
            throw new IllegalArgumentException("Discriminator.forward: img is " + img.value().dtype() + " but the parameters are " + dtype);
        }
        if (p != params) checkParams(p);
        Double clamp = config.convClamp();
        Var x = null;
        for (int r : config.blockResolutions()) {
            String b = "b" + r + ".";
            if (r == res) x = convLayer(p, b + "fromrgb", img, 1, 1, true, 1, clamp);
            Var y = convLayer(p, b + "skip", x, 1, 2, false, RESNET_GAIN, null);
            x = convLayer(p, b + "conv0", x, 3, 1, true, 1, clamp);
            x = convLayer(p, b + "conv1", x, 3, 2, true, RESNET_GAIN, clamp);
            x = ElementwiseOps.add(y, x);
        }
        return epilogue(p, x, clamp);
    }

    /** DiscriminatorEpilogue: mbstd, conv 3x3 (lrelu), fc (lrelu), out (linear): [N, C4, 4, 4] -> [N, 1]. */
    private Var epilogue(Map<String, Var> p, Var x, Double clamp) {
        int n = x.shape()[0], c = config.channels(4);
        if (config.mbstdNumChannels() > 0) x = minibatchStd(x, config.mbstdGroup(n), config.mbstdNumChannels());
        x = convLayer(p, "b4.conv", x, 3, 1, true, 1, clamp);
        x = ShapeOps.reshape(x, n, c * 16);
        Var fcW = ElementwiseOps.affine(p.get("b4.fc.weight"), 1 / Math.sqrt(c * 16), 0);
        x = LinalgOps.matmul(x, ShapeOps.permuteView(fcW, 1, 0));
        x = ElementwiseOps.biasAct(x, p.get("b4.fc.bias"), 1, Activation.LRELU, LRELU_ALPHA, LRELU_GAIN, -1);
        return LinalgOps.linear(x, p.get("b4.out.weight"), p.get("b4.out.bias"), 1 / Math.sqrt(c), 1);
    }

    /**
     * NVlabs MinibatchStdLayer: x [N, C, H, W] -> [N, C + f, H, W] with groups of g (g divides N, f divides C).
     * Sample i = a (N/g) + j belongs to group j.
     */
    static Var minibatchStd(Var x, int g, int f) {
        int[] s = x.shape();
        int n = s[0], c = s[1], h = s[2], w = s[3];
        if (n % g != 0) {
            throw new IllegalArgumentException("Discriminator minibatch std: batch size " + n + " is not divisible by the group size " + g
                    + " (min(mbstd_group_size, N)); use a batch that is a multiple of it");
        }
        int groups = n / g;
        Var y = ShapeOps.reshape(x, g, groups, f, c / f, h, w);                                   // [G, n, F, c, H, W]
        y = ElementwiseOps.sub(y, ReduceOps.mean(y, true, 0));                                    // minus the group mean
        y = ReduceOps.mean(ElementwiseOps.square(y), false, 0);                                   // [n, F, c, H, W] variance
        y = ElementwiseOps.sqrt(ElementwiseOps.affine(y, 1, MBSTD_EPS));                         // stddev
        y = ReduceOps.mean(y, false, 2, 3, 4);                                                    // [n, F]
        y = ShapeOps.reshape(y, 1, groups, f, 1, 1);
        y = ShapeOps.expandView(y, g, groups, f, h, w);                                           // repeat(G, 1, H, W)
        y = ShapeOps.reshape(y, n, f, h, w);
        return ShapeOps.cat(1, x, y);
    }

    /**
     * NVlabs Conv2dLayer (up 1): equalised-lr weight, conv2d_resample, then bias_act (lrelu with bias, or linear
     * without one). {@code clamp} null = no clamp; the clamp and the activation gain are scaled by {@code gain}.
     */
    private Var convLayer(Map<String, Var> p, String name, Var x, int k, int down, boolean lrelu, double gain, Double clamp) {
        Var w = p.get(name + ".weight");
        int cin = w.shape()[1];
        Var ws = ElementwiseOps.affine(w, 1 / Math.sqrt((double) cin * k * k), 0);
        Var y = conv2dResample(x, ws, k, down);
        if (!lrelu) return ElementwiseOps.affine(y, gain, 0);
        return ElementwiseOps.biasAct(y, p.get(name + ".bias"), 1, Activation.LRELU, LRELU_ALPHA, LRELU_GAIN * gain,
                clamp == null ? -1 : clamp * gain);
    }

    /**
     * NVlabs conv2d_resample with up 1, padding k/2 and the [1,3,3,1] filter (fw = 4): down 1 is a plain conv;
     * down d > 1 pads by k/2 + (fw - d + 1)/2 before and k/2 + (fw - d)/2 after, and then a 1x1 kernel filters and
     * down-samples in upfirdn2d before the conv, any other kernel filters first and strides the conv by d.
     */
    private Var conv2dResample(Var x, Var w, int k, int down) {
        if (down == 1) return ConvOps.conv2d(x, w, 1, k / 2, 1);
        int fw = filter.size(1);
        int p0 = k / 2 + (fw - down + 1) / 2, p1 = k / 2 + (fw - down) / 2;
        int[] pad = {p0, p1, p0, p1};
        if (k == 1) return ConvOps.conv2d(ResampleOps.upfirdn2d(x, filter, 1, down, pad, 1, false), w, 1, 0, 1);
        return ConvOps.conv2d(ResampleOps.upfirdn2d(x, filter, 1, 1, pad, 1, false), w, down, 0, 1);
    }

    private void checkParams(Map<String, Var> p) {
        for (Map.Entry<String, Var> e : params.entrySet()) {
            Var v = p.get(e.getKey());
            if (v == null) throw new IllegalArgumentException("Discriminator.forwardWith: parameter '" + e.getKey() + "' missing");
            if (!Arrays.equals(v.shape(), e.getValue().shape()) || v.value().dtype() != dtype) {
                throw new IllegalArgumentException("Discriminator.forwardWith: parameter '" + e.getKey() + "' is " + v.value().dtype() + " "
                        + Arrays.toString(v.shape()) + ", expected " + dtype + " " + Arrays.toString(e.getValue().shape()));
            }
        }
    }
}
