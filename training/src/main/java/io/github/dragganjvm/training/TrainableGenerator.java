package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ModulatedConv2d;
import io.github.dragganjvm.autograd.ops.NormOps;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Device;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A StyleGAN2 generator whose stored NVlabs parameters are autograd leaves ({@link Var#param}), for training: the
 * same function as {@link Generator} (NVlabs stylegan2-ada-pytorch {@code training/networks.py}, architecture
 * "skip"), with every runtime gain applied inside the forward as an op, so gradients are with respect to the raw
 * parameters exactly as in PyTorch:
 * <pre>
 * mapping  x = normalize_2nd_moment(z); per layer i: x = lrelu(x (W_i * lr / sqrt(in))^T + b_i * lr) * sqrt 2
 * affine   styles = w (A * 1 / sqrt(w_dim))^T + a                   (FullyConnectedLayer, lr 1, bias_init 1)
 * conv     y = modconv(x, W, styles, demodulate); y += noise * noise_strength;
 *          x = clamp(lrelu(y + b) * sqrt 2, +-conv_clamp)
 * torgb    y = modconv(x, W, styles / sqrt(C * 1 * 1), no demodulation); clamp(y + b, +-conv_clamp)
 * blocks   b4: x = const (broadcast); conv1(ws[0]); img = torgb(ws[1])
 *          b{r}: conv0(ws[i]) up 2; conv1(ws[i+1]); img = upsample2d(img) + torgb(ws[i+2]); i += 2
 * </pre>
 *
 * <p>State: the trainable parameters {@link #parameters()} under their NVlabs module paths, in the order of
 * PyTorch's {@code G.named_parameters()} (synthesis blocks, then the mapping); and the non-trainable buffers
 * {@link #buffers()}: {@code mapping.w_avg} (moved by {@link #updateWAvg}, which the trainer calls explicitly; no
 * forward changes any state) and every {@code synthesis.b{r}.conv{i}.noise_const}. Values live on the current
 * backend's device, are contiguous and are owned by this object: an optimizer updates them in place.
 *
 * <p>One generator pass of a training step, as NVlabs' {@code StyleGAN2Loss.run_G} in training mode:
 * <pre>{@code
 *   Var w = g.mappingW(Var.constant(z));                      // [N, w_dim]
 *   g.updateWAvg(w.value(), TrainableGenerator.W_AVG_BETA);   // the moving average (a state change, explicit)
 *   Var ws = g.broadcast(w);                                  // [N, num_ws, w_dim]
 *   if (mix) ws = TrainableGenerator.styleMix(ws, g.broadcast(g.mappingW(Var.constant(z2))), cutoff);
 *   Var img = g.synthesis(ws, NoiseMode.RANDOM, stepSeed);     // a new seed each call
 * }</pre>
 * Passes that need no parameter gradients (the fakes of the discriminator's phase) run inside
 * {@code GradMode.noGrad()}; {@link #toInference()} gives a sampling snapshot.
 */
public final class TrainableGenerator {
    /** NVlabs MappingNetwork's w_avg_beta: the decay of the moving average of w during training. */
    public static final double W_AVG_BETA = 0.995;
    /** The epsilon of normalize_2nd_moment. */
    private static final double NORM_EPS = 1e-8;
    private static final double LRELU_ALPHA = 0.2;
    private static final double LRELU_GAIN = Math.sqrt(2);
    /** NVlabs resample_filter [1, 3, 3, 1] (setup_filter: outer product normalised to sum 1). */
    private static final double[] FIR = {1, 3, 3, 1};

    private final GeneratorConfig config;
    private final DType dtype;
    private final Map<String, Var> params;        // named_parameters order; unmodifiable
    private final Map<String, Tensor> buffers;    // w_avg and noise_const; unmodifiable map of mutable tensors
    private final Tensor filter;                  // [4, 4], constant

    /**
     * A generator with the given configuration and values (copied: this object owns its tensors). {@code tensors}
     * must hold every name of {@link GeneratorConfig#requiredShapes()} with that shape and one dtype for all (F32 for
     * training, F64 for gradient checks); other names (such as the loaders' optional resample filters) are ignored.
     * The map the checkpoint loaders and {@link GeneratorInit#nvlabs} produce fits.
     */
    public TrainableGenerator(GeneratorConfig config, Map<String, Tensor> tensors) {
        if (config.aspect() != GeneratorConfig.Aspect.SQUARE) {
            throw new IllegalArgumentException("TrainableGenerator: only square generators train; " + config + " is StyleGAN-Human's rectangular layout");
        }
        this.config = config;
        Tensor avg = tensors.get("mapping.w_avg");
        if (avg == null) throw new IllegalArgumentException("TrainableGenerator: tensor 'mapping.w_avg' is missing");
        this.dtype = avg.dtype();
        Device dev = Backends.current().device();
        Map<String, int[]> shapes = config.requiredShapes();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) problems.add("'" + e.getKey() + "' is missing");
            else if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add("'" + e.getKey() + "' has shape " + Arrays.toString(t.shape()) + ", the config needs " + Arrays.toString(e.getValue()));
            } else if (t.dtype() != dtype) problems.add("'" + e.getKey() + "' is " + t.dtype() + " but mapping.w_avg is " + dtype);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("TrainableGenerator: the tensors do not fit " + config + ": "
                    + String.join("; ", problems.subList(0, Math.min(8, problems.size()))) + (problems.size() > 8 ? "; and " + (problems.size() - 8) + " more" : ""));
        }
        Map<String, Var> p = new LinkedHashMap<>();
        for (String name : parameterNames(config)) p.put(name, Var.param(Ops.copy(tensors.get(name).toDevice(dev))).named(name));
        Map<String, Tensor> b = new LinkedHashMap<>();
        for (String name : shapes.keySet()) {
            if (!p.containsKey(name)) b.put(name, Ops.copy(tensors.get(name).toDevice(dev)));
        }
        this.params = Collections.unmodifiableMap(p);
        this.buffers = Collections.unmodifiableMap(b);
        this.filter = setupFilter(dtype).toDevice(dev).markConstant();
    }

    /** The same config, buffers and filter with some parameter Vars replaced (gradient checks substitute inputs). */
    private TrainableGenerator(TrainableGenerator base, Map<String, Var> replaced) {
        this.config = base.config;
        this.dtype = base.dtype;
        this.buffers = base.buffers;
        this.filter = base.filter;
        Map<String, Var> p = new LinkedHashMap<>(base.params);
        for (Map.Entry<String, Var> e : replaced.entrySet()) {
            Var old = p.get(e.getKey());
            if (old == null) throw new IllegalArgumentException("withParameters: no parameter '" + e.getKey() + "'");
            if (!Arrays.equals(old.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("withParameters: '" + e.getKey() + "' must have shape " + Arrays.toString(old.shape())
                        + " but the replacement has " + Arrays.toString(e.getValue().shape()));
            }
            p.put(e.getKey(), e.getValue());
        }
        this.params = Collections.unmodifiableMap(p);
    }

    /** A fresh generator with NVlabs' initialisation ({@link GeneratorInit#nvlabs}) from a seed. */
    public static TrainableGenerator initialised(GeneratorConfig config, long seed, DType dtype) {
        return new TrainableGenerator(config, GeneratorInit.nvlabs(config, seed, dtype));
    }

    /**
     * The trainable parameter names of a config in PyTorch's {@code G.named_parameters()} order: per synthesis block
     * ({@code const} for b4), per layer {@code weight, noise_strength, bias, affine.weight, affine.bias} (ToRGB has no
     * noise_strength), then {@code mapping.fc{i}.weight, .bias}. These are exactly the names of the golden
     * {@code gmain_grad_G.<name>.npy} files.
     */
    public static List<String> parameterNames(GeneratorConfig config) {
        List<String> names = new ArrayList<>();
        for (int r : config.blockResolutions()) {
            String b = "synthesis.b" + r + ".";
            if (r == 4) names.add(b + "const");
            for (String layer : r == 4 ? new String[] {"conv1", "torgb"} : new String[] {"conv0", "conv1", "torgb"}) {
                names.add(b + layer + ".weight");
                if (!layer.equals("torgb")) names.add(b + layer + ".noise_strength");
                names.add(b + layer + ".bias");
                names.add(b + layer + ".affine.weight");
                names.add(b + layer + ".affine.bias");
            }
        }
        for (int i = 0; i < config.mappingLayers(); i++) {
            names.add("mapping.fc" + i + ".weight");
            names.add("mapping.fc" + i + ".bias");
        }
        return names;
    }

    /** NVlabs upfirdn2d.setup_filter([1, 3, 3, 1]): the outer product normalised to sum 1, [4, 4]. */
    private static Tensor setupFilter(DType dtype) {
        double s = 0;
        for (double a : FIR) for (double b : FIR) s += a * b;
        float[] f = new float[FIR.length * FIR.length];
        for (int i = 0; i < FIR.length; i++) for (int j = 0; j < FIR.length; j++) f[i * FIR.length + j] = (float) (FIR[i] * FIR[j] / s);
        return Tensor.of(f, FIR.length, FIR.length).copyAs(dtype);
    }

    // ------------------------------------------------------------------ state

    public GeneratorConfig config() { return config; }
    public DType dtype() { return dtype; }
    public int numWs() { return config.numWs(); }
    public int resolution() { return config.imgResolution(); }

    /** The trainable parameters by NVlabs name, in {@code named_parameters()} order (unmodifiable; the Vars are live). */
    public Map<String, Var> parameters() { return params; }

    /** The trainable parameters as a list in the same order (for an optimizer). */
    public List<Var> parameterList() { return List.copyOf(params.values()); }

    /** One parameter by NVlabs name; fails naming it when absent. */
    public Var parameter(String name) {
        Var v = params.get(name);
        if (v == null) throw new IllegalArgumentException("TrainableGenerator: no parameter '" + name + "' (buffers: mapping.w_avg, *.noise_const)");
        return v;
    }

    /** The buffers {@code mapping.w_avg [w_dim]} and {@code synthesis.b{r}.conv{i}.noise_const [r, r]} (live tensors). */
    public Map<String, Tensor> buffers() { return buffers; }

    /** The moving average of w, [w_dim] (live). */
    public Tensor wAvg() { return buffers.get("mapping.w_avg"); }

    /** Clears the gradient of every parameter. */
    public void zeroGrad() {
        for (Var v : params.values()) v.zeroGrad();
    }

    /**
     * Every parameter and buffer as a new tensor (a copy on the same device), under {@link GeneratorConfig#requiredShapes()}'s
     * names and order: what {@link Generator}'s constructor and the checkpoint loaders use.
     */
    public Map<String, Tensor> parameterTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : config.requiredShapes().keySet()) out.put(name, Ops.copy(valueOf(name)));
        return out;
    }

    /** An inference {@link Generator} with the current values (a snapshot: later training steps do not change it). */
    public Generator toInference() { return new Generator(config, parameterTensors()); }

    /** A deep copy: new parameter leaves (no gradients) and buffers with the same values. */
    public TrainableGenerator copy() {
        Map<String, Tensor> live = new LinkedHashMap<>();
        for (String name : config.requiredShapes().keySet()) live.put(name, valueOf(name));
        return new TrainableGenerator(config, live);     // the constructor copies
    }

    /** Overwrites every parameter and buffer with src's values, in place (same config and dtype). */
    public void copyValuesFrom(TrainableGenerator src) {
        requireCompatible("copyValuesFrom", src);
        for (Map.Entry<String, Var> e : params.entrySet()) Ops.copyInto(src.params.get(e.getKey()).value(), e.getValue().value());
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) Ops.copyInto(src.buffers.get(e.getKey()), e.getValue());
    }

    /**
     * The G_ema update of NVlabs {@code training_loop.py}, in place: every parameter becomes
     * {@code lerp(p_src, p_this, beta)} = p_src + beta (p_this - p_src) (torch.lerp's formula, see {@link #lerp}),
     * every buffer is copied from src.
     *
     * @param src  the trained generator G (same config and dtype)
     * @param beta the EMA decay in [0, 1] (NVlabs: 0.5 ^ (batch / ema_nimg))
     */
    public void lerpFrom(TrainableGenerator src, double beta) {
        requireCompatible("lerpFrom", src);
        if (!(beta >= 0 && beta <= 1)) throw new IllegalArgumentException("lerpFrom: beta must be in [0, 1] but is " + beta);
        for (Map.Entry<String, Var> e : params.entrySet()) {
            Tensor mine = e.getValue().value();
            Ops.copyInto(lerp(src.params.get(e.getKey()).value(), mine, beta), mine);
        }
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) Ops.copyInto(src.buffers.get(e.getKey()), e.getValue());
    }

    /**
     * NVlabs' training-mode w_avg update, in place: {@code w_avg = lerp(mean_n(w), w_avg, beta)}.
     *
     * @param w    the mapping output of one batch, [N, w_dim] ({@link #mappingW}'s value, or row 0 of {@link #mapping}
     *             with psi 1; not the rows a style mix replaced)
     * @param beta the decay ({@link #W_AVG_BETA})
     */
    public void updateWAvg(Tensor w, double beta) {
        if (w.dim() != 2 || w.size(1) != config.wDim()) {
            throw new IllegalArgumentException("updateWAvg: w must be [N, " + config.wDim() + "] but is " + Arrays.toString(w.shape()));
        }
        if (!(beta >= 0 && beta <= 1)) throw new IllegalArgumentException("updateWAvg: beta must be in [0, 1] but is " + beta);
        Tensor avg = wAvg();
        Ops.copyInto(lerp(Ops.mean(w, false, 0), avg, beta), avg);
    }

    /**
     * torch.lerp(start, end, weight) as PyTorch computes it: start + weight (end - start) for weight &lt; 0.5, else
     * end - (end - start)(1 - weight) (exact at weight 1). A new tensor.
     */
    static Tensor lerp(Tensor start, Tensor end, double weight) {
        Tensor diff = Ops.sub(end, start);
        return weight < 0.5 ? Ops.add(start, Ops.scale(diff, weight)) : Ops.sub(end, Ops.scale(diff, 1 - weight));
    }

    private void requireCompatible(String op, TrainableGenerator src) {
        if (!config.equals(src.config)) throw new IllegalArgumentException(op + ": configs differ: " + config + " vs " + src.config);
        if (dtype != src.dtype) throw new IllegalArgumentException(op + ": dtypes differ: " + dtype + " vs " + src.dtype);
    }

    private Tensor valueOf(String name) {
        Var v = params.get(name);
        return v != null ? v.value() : buffers.get(name);
    }

    /**
     * This generator with some parameters replaced by the given Vars (shapes must match); everything else is shared.
     * For gradient checks, which feed their own inputs in place of parameters.
     */
    TrainableGenerator withParameters(Map<String, Var> replaced) { return new TrainableGenerator(this, replaced); }

    // ------------------------------------------------------------------ mapping

    /**
     * The mapping network without broadcast or truncation: z [N, z_dim] -> w [N, w_dim]. Differentiable in the
     * mapping parameters (and in z when it requires grad). Changes no state.
     */
    public Var mappingW(Var z) {
        int[] s = z.shape();
        if (s.length != 2 || s[1] != config.zDim()) {
            throw new IllegalArgumentException("mapping: z must be [N, " + config.zDim() + "] but is " + Arrays.toString(s));
        }
        requireDType("mapping", "z", z);
        Var x = NormOps.normalize2ndMoment(z, NORM_EPS);
        double lr = config.mappingLrMultiplier();
        for (int i = 0; i < config.mappingLayers(); i++) {
            Var w = params.get("mapping.fc" + i + ".weight"), b = params.get("mapping.fc" + i + ".bias");
            int in = w.shape()[1];
            Var wt = ShapeOps.permuteView(ElementwiseOps.affine(w, lr / Math.sqrt(in), 0), 1, 0);    // (W * weight_gain)^T
            x = ElementwiseOps.biasAct(LinalgOps.matmul(x, wt), ElementwiseOps.affine(b, lr, 0), 1, Activation.LRELU, LRELU_ALPHA, LRELU_GAIN, -1);
        }
        return x;
    }

    /** w [N, w_dim] -> ws [N, num_ws, w_dim], every row w (a contiguous copy; gradients sum over the rows). */
    public Var broadcast(Var w) {
        int[] s = w.shape();
        if (s.length != 2 || s[1] != config.wDim()) throw new IllegalArgumentException("broadcast: w must be [N, " + config.wDim() + "] but is " + Arrays.toString(s));
        int n = s[0], nw = numWs(), wd = config.wDim();
        return ShapeOps.reshape(ShapeOps.expandView(ShapeOps.unsqueezeView(w, 1), n, nw, wd), n, nw, wd);
    }

    /**
     * NVlabs MappingNetwork.forward: z [N, z_dim] -> ws [N, num_ws, w_dim], with truncation toward w_avg (a
     * constant) for psi != 1: rows below {@code cutoff} (all rows when cutoff &lt; 0) become w_avg + psi (w - w_avg),
     * as {@link Generator#mapping}. Training uses psi 1; the w_avg update is {@link #updateWAvg}, not done here.
     */
    public Var mapping(Var z, double psi, int cutoff) {
        if (!Double.isFinite(psi)) throw new IllegalArgumentException("mapping: psi must be finite but is " + psi);
        Var ws = broadcast(mappingW(z));
        if (psi == 1) return ws;
        int nw = numWs(), rows = cutoff < 0 ? nw : Math.min(cutoff, nw);
        if (rows == 0) return ws;
        Var avg = Var.constant(wAvg().reshapeView(1, 1, config.wDim()));
        Var part = rows == nw ? ws : ShapeOps.sliceView(ws, 1, 0, rows);
        Var t = ElementwiseOps.add(avg, ElementwiseOps.affine(ElementwiseOps.sub(part, avg), psi, 0));
        return rows == nw ? t : ShapeOps.cat(1, t, ShapeOps.sliceView(ws, 1, rows, nw));
    }

    /**
     * Style mixing as NVlabs' loss does it ({@code ws[:, cutoff:] = ws2[:, cutoff:]}): rows [0, cutoff) of ws and
     * rows [cutoff, num_ws) of other, both [N, num_ws, w_dim]; gradients flow to each from its own rows. cutoff in
     * [0, num_ws] (num_ws: no mixing, ws itself).
     */
    public static Var styleMix(Var ws, Var other, int cutoff) {
        int[] s = ws.shape();
        if (s.length != 3 || !Arrays.equals(s, other.shape())) {
            throw new IllegalArgumentException("styleMix: ws " + Arrays.toString(s) + " and other " + Arrays.toString(other.shape()) + " must both be [N, num_ws, w_dim]");
        }
        if (cutoff < 0 || cutoff > s[1]) throw new IllegalArgumentException("styleMix: cutoff must be in [0, " + s[1] + "] but is " + cutoff);
        if (cutoff == s[1]) return ws;
        if (cutoff == 0) return other;
        return ShapeOps.cat(1, ShapeOps.sliceView(ws, 1, 0, cutoff), ShapeOps.sliceView(other, 1, cutoff, s[1]));
    }

    // ------------------------------------------------------------------ synthesis

    /**
     * NVlabs SynthesisNetwork (architecture "skip"): ws [N, num_ws, w_dim] -> image [N, img_channels, R, R].
     * Rows of ws are independent inputs (a style mix is a ws whose rows come from different w).
     *
     * @param ws        the per-layer latents
     * @param noise     CONST: each layer adds noise_const * noise_strength; RANDOM: fresh N(0, 1) noise
     *                  [N, 1, r, r] per layer, drawn with seed {@code noiseSeed * 1000003 + layer index} (layers
     *                  counted from 0 over the conv layers, b4.conv1 first; the same noise as {@link Generator}'s
     *                  RANDOM mode for that seed), times noise_strength; NONE: no noise
     * @param noiseSeed the seed of RANDOM noise (ignored otherwise)
     */
    public Var synthesis(Var ws, NoiseMode noise, long noiseSeed) {
        int[] s = ws.shape();
        if (s.length != 3 || s[1] != numWs() || s[2] != config.wDim()) {
            throw new IllegalArgumentException("synthesis: ws must be [N, " + numWs() + ", " + config.wDim() + "] but is " + Arrays.toString(s));
        }
        requireDType("synthesis", "ws", ws);
        int n = s[0];
        Var x = null, img = null;
        int wi = 0, layer = 0;
        for (int r : config.blockResolutions()) {
            String b = "synthesis.b" + r;
            if (r == 4) {
                Var c = params.get(b + ".const");                                              // [C, 4, 4]
                int[] cs = c.shape();
                x = ShapeOps.reshape(ShapeOps.expandView(ShapeOps.unsqueezeView(c, 0), n, cs[0], cs[1], cs[2]), n, cs[0], cs[1], cs[2]);
            } else {
                x = synthesisLayer(b + ".conv0", x, row(ws, wi++), 2, noise, noiseSeed, layer++);
            }
            x = synthesisLayer(b + ".conv1", x, row(ws, wi++), 1, noise, noiseSeed, layer++);
            Var y = toRgb(b + ".torgb", x, row(ws, wi));                                        // shares its row with the next conv0
            img = img == null ? y : ElementwiseOps.add(ResampleOps.upsample2d(img, filter, 2), y);
        }
        return img;
    }

    /** ws[:, i] as [N, w_dim]. */
    private static Var row(Var ws, int i) {
        int[] s = ws.shape();
        return ShapeOps.reshape(ShapeOps.sliceView(ws, 1, i, i + 1), s[0], s[2]);
    }

    /** styles = w (A / sqrt(w_dim))^T + a: the layer's FullyConnectedLayer(w_dim, C, bias_init 1), [N, C]. */
    private Var affine(String layer, Var w) {
        return LinalgOps.linear(w, params.get(layer + ".affine.weight"), params.get(layer + ".affine.bias"), 1 / Math.sqrt(config.wDim()), 1);
    }

    private double clamp() { return config.convClamp() == null ? -1 : config.convClamp(); }

    /** NVlabs SynthesisLayer (kernel 3, padding 1, demodulated, noise, lrelu, clamp). */
    private Var synthesisLayer(String name, Var x, Var w, int up, NoiseMode noise, long noiseSeed, int layerIndex) {
        Var y = ModulatedConv2d.apply(x, params.get(name + ".weight"), affine(name, w), up, filter, 1, true);
        Var strength = params.get(name + ".noise_strength");
        Var n = switch (noise) {
            case NONE -> null;
            case CONST -> ElementwiseOps.mul(Var.constant(buffers.get(name + ".noise_const")), strength);                 // [r, r]
            case RANDOM -> {
                int[] ys = y.shape();
                Tensor z = Tensor.randn(dtype, noiseSeed * 1_000_003L + layerIndex, ys[0], 1, ys[2], ys[3]).toDevice(filter.device());
                yield ElementwiseOps.mul(Var.constant(z), strength);                                                      // [N, 1, r, r]
            }
        };
        if (n != null) y = ElementwiseOps.add(y, n);
        return ElementwiseOps.biasAct(y, params.get(name + ".bias"), 1, Activation.LRELU, LRELU_ALPHA, LRELU_GAIN, clamp());
    }

    /** NVlabs ToRGBLayer (kernel 1, styles times 1 / sqrt(C), no demodulation, bias, clamp). */
    private Var toRgb(String name, Var x, Var w) {
        double weightGain = 1 / Math.sqrt(x.shape()[1]);
        Var styles = ElementwiseOps.affine(affine(name, w), weightGain, 0);
        Var y = ModulatedConv2d.apply(x, params.get(name + ".weight"), styles, 1, filter, 0, false);
        return ElementwiseOps.biasAct(y, params.get(name + ".bias"), 1, Activation.LINEAR, 0, 1, clamp());
    }

    private void requireDType(String op, String arg, Var v) {
        if (v.value().dtype() != dtype) throw new IllegalArgumentException(op + ": " + arg + " is " + v.value().dtype() + " but the parameters are " + dtype);
    }
}
