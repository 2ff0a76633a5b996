package io.github.dragganjvm.stylegan.sg3;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.FilteredLrelu;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ModulatedConv2d;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.MappingNetwork;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.NumpyRandom;
import io.github.dragganjvm.stylegan.io.StyleGan3Config;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A StyleGAN3 generator (NVlabs stylegan3 / DragGAN {@code networks_stylegan3.py}, configs T and R) built from
 * library ops, so autograd flows from the image or any layer's output back to w+.
 *
 * <pre>
 * mapping: as StyleGAN2's (normalize_2nd_moment, num_layers x (FC, lrelu), broadcast to num_ws rows, truncation)
 * synthesis from ws [N, numLayers + 2, w_dim]:
 *   x = FourierInput(affine(ws[0]))                                       [N, C0, size0, size0]
 *   layer i = 0..numLayers (L{i}_{size}_{channels}, with ws[i + 1]):
 *     styles = affine(w)                      (ToRGB: times 1 / sqrt(I k^2))
 *     conv:   modulated conv, kernel k, padding k - 1: pre-normalised weight W / rms_o(W), styles / rms(styles),
 *             demodulated (not for ToRGB), times input_gain = magnitude_ema^(-1/2) (the stored buffer, never updated)
 *     x = filtered_lrelu(conv, up_filter, down_filter, bias, up, down, padding, gain sqrt 2 (ToRGB 1), slope 0.2 (ToRGB 1), clamp)
 *     features += x (margins included: sizes s + 2 margin, the last two res)
 *   image = x * output_scale
 * </pre>
 * The Fourier input's transform is the checkpoint's stored buffer or the identity ({@link InputTransform}); DragGAN and
 * NVlabs' gen_images.py overwrite it (the identity unless a user transform is given). StyleGAN3 has no noise inputs:
 * {@link NoiseMode} is accepted and ignored. Parameters are constants; runtime gains are folded in once.
 */
public final class StyleGan3Generator implements DragGenerator {
    /** Which Fourier-input transform the synthesis uses. */
    public enum InputTransform {
        /** The identity, as DragGAN's renderer and NVlabs' gen_images.py set it (the default). */
        IDENTITY,
        /** The checkpoint's own {@code synthesis.input.transform} buffer. */
        STORED;

        /** "identity" or "stored" (case and blanks ignored). */
        public static InputTransform parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "identity" -> IDENTITY;
                case "stored" -> STORED;
                default -> throw new IllegalArgumentException("input transform must be identity or stored but is '" + s + "'");
            };
        }
    }

    /** NVlabs' leaky ReLU slope and gain of the synthesis layers. */
    private static final double SLOPE = 0.2, GAIN = Math.sqrt(2);

    private final StyleGan3Config config;
    private final Map<String, Tensor> raw;
    private final InputTransform transformMode;
    private final DType dtype;
    private final MappingNetwork mappingNet;
    private final Tensor inputAffW, inputAffB;           // folded: [4, w_dim], [4]
    private final FourierInput input;
    private final List<Layer> layers = new ArrayList<>();

    private record Layer(StyleGan3Config.LayerSpec spec, Tensor affineW, Tensor affineB, ModulatedConv2d.PreparedWeight weight, Tensor bias,
                         double inputGain, Tensor upFilter, Tensor downFilter) {}

    /**
     * Builds the generator from a configuration and NVlabs-named tensors (exactly {@link StyleGan3Config#requiredShapes()};
     * a missing or misshapen one is an error naming it).
     *
     * @param transform which Fourier-input transform to use
     */
    public StyleGan3Generator(StyleGan3Config config, Map<String, Tensor> params, InputTransform transform) {
        if (transform == null) throw new IllegalArgumentException("StyleGan3Generator: transform must be given (IDENTITY or STORED)");
        this.config = config;
        this.raw = params;
        this.transformMode = transform;
        Tensor any = params.get("mapping.w_avg");
        this.dtype = any == null ? DType.F32 : any.dtype();
        Map<String, int[]> shapes = config.requiredShapes();

        int wDim = config.wDim(), nl = config.mappingLayers();
        Tensor[] fcW = new Tensor[nl], fcB = new Tensor[nl];
        for (int i = 0; i < nl; i++) {
            fcW[i] = param("mapping.fc" + i + ".weight", shapes);
            fcB[i] = param("mapping.fc" + i + ".bias", shapes);
        }
        mappingNet = new MappingNetwork(fcW, fcB, param("mapping.w_avg", shapes), config.mappingLrMultiplier(), config.numWs());

        StyleGan3Config.InputSpec is = config.input();
        inputAffW = Ops.scale(param("synthesis.input.affine.weight", shapes), 1 / Math.sqrt(wDim)).markConstant();
        inputAffB = param("synthesis.input.affine.bias", shapes);
        double[] m = transform == InputTransform.STORED ? param("synthesis.input.transform", shapes).toDoubleArray() : new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1};
        input = new FourierInput(is.channels(), is.size(), is.samplingRate(), is.bandwidth(), param("synthesis.input.freqs", shapes),
                param("synthesis.input.phases", shapes), m, param("synthesis.input.weight", shapes));

        for (StyleGan3Config.LayerSpec s : config.layers()) {
            String p = "synthesis." + s.name() + ".";
            double magnitude = param(p + "magnitude_ema", shapes).item();
            if (!(magnitude > 0) || Double.isInfinite(magnitude)) {
                throw new IllegalArgumentException("StyleGan3Generator: " + p + "magnitude_ema must be positive and finite but is " + magnitude);
            }
            double inputGain = (float) (1 / Math.sqrt((float) magnitude));      // torch rsqrt of a float32 scalar
            Tensor aw = param(p + "affine.weight", shapes), ab = param(p + "affine.bias", shapes), w = param(p + "weight", shapes);
            double styleGain = s.torgb() ? 1 / Math.sqrt((double) s.inChannels() * s.kernel() * s.kernel()) : 1;
            Tensor affW = Ops.scale(aw, styleGain / Math.sqrt(wDim)).markConstant(), affB = (s.torgb() ? Ops.scale(ab, styleGain) : ab).markConstant();
            Tensor weight = s.torgb() ? Ops.scale(w, inputGain) : normalisedWeight(w);
            ModulatedConv2d.PreparedWeight prep = ModulatedConv2d.PreparedWeight.of(weight.markConstant(), 1);
            prep.squaredSum().markConstant();
            layers.add(new Layer(s, affW, affB, prep, param(p + "bias", shapes), inputGain,
                    s.upTaps() > 1 ? param(p + "up_filter", shapes) : null, s.downTaps() > 1 ? param(p + "down_filter", shapes) : null));
        }
    }

    /** W / sqrt(mean over (I, kh, kw) of W^2) per output channel, computed in float64. */
    private Tensor normalisedWeight(Tensor w) {
        int o = w.size(0), per = w.size(1) * w.size(2) * w.size(3);
        double[] v = w.toDoubleArray();
        for (int i = 0; i < o; i++) {
            double ss = 0;
            for (int j = 0; j < per; j++) ss += v[i * per + j] * v[i * per + j];
            double g = 1 / Math.sqrt(ss / per);
            for (int j = 0; j < per; j++) v[i * per + j] *= g;
        }
        return Tensor.of(v, w.shape()).copyAs(dtype).toDevice(Backends.current().device());
    }

    private Tensor param(String name, Map<String, int[]> shapes) {
        Tensor t = raw.get(name);
        if (t == null) throw new IllegalArgumentException("StyleGan3Generator: parameter '" + name + "' missing from the checkpoint");
        int[] want = shapes.get(name);
        if (want == null) throw new IllegalArgumentException("StyleGan3Generator: '" + name + "' is not a tensor of " + config);
        if (!Arrays.equals(t.shape(), want)) {
            throw new IllegalArgumentException("StyleGan3Generator: parameter '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but the configuration needs " + Arrays.toString(want));
        }
        if (t.dtype() != dtype) throw new IllegalArgumentException("StyleGan3Generator: parameter '" + name + "' is " + t.dtype() + " but the others are " + dtype);
        return t.toDevice(Backends.current().device()).markConstant();
    }

    // ------------------------------------------------------------------ geometry

    public StyleGan3Config config() { return config; }
    @Override public int resolution() { return config.imgResolution(); }
    @Override public int numWs() { return config.numWs(); }
    @Override public int wDim() { return config.wDim(); }
    @Override public int zDim() { return config.zDim(); }
    @Override public DType dtype() { return dtype; }
    @Override public String architecture() { return config.convKernel() == 1 && config.useRadialFilters() ? "StyleGAN3-R" : "StyleGAN3-T"; }

    /** Which transform this generator's Fourier input uses. */
    public InputTransform inputTransform() { return transformMode; }

    /** The 3x3 transform in use, row-major (the identity, or the stored inverse transform). */
    public double[] transformMatrix() { return input.transform(); }

    /** The same weights with the other transform choice. */
    public StyleGan3Generator withInputTransform(InputTransform t) { return t == transformMode ? this : new StyleGan3Generator(config, raw, t); }

    /** The layers' names {@code L{i}_{size}_{channels}}, in feature-list order. */
    public List<String> layerNames() {
        List<String> n = new ArrayList<>();
        for (Layer l : layers) n.add(l.spec().name());
        return n;
    }

    /**
     * Entry log2(r) - 2 of the layer list (DragGAN's feature_idx 5 for r = 128). r must be a power of two with an entry.
     */
    @Override public int featureIndex(int blockRes) {
        int i = blockRes >= 4 && Integer.bitCount(blockRes) == 1 ? Integer.numberOfTrailingZeros(blockRes) - 2 : -1;
        if (i < 0 || i >= layers.size()) {
            throw new IllegalArgumentException("no feature for block size " + blockRes + " in this " + architecture() + " generator: block size r names layer log2(r) - 2, "
                    + "layers 0.." + (layers.size() - 1) + " (" + layerNames().getFirst() + " .. " + layerNames().getLast() + ")");
        }
        return i;
    }

    /** The last layer a request's block size asks for (all for sizes >= the resolution), -1 for none. */
    private int layerUpTo(int blockRes) {
        if (blockRes >= resolution()) return layers.size() - 1;
        if (blockRes < 4) return -1;
        return featureIndex(Integer.highestOneBit(blockRes));
    }

    // ------------------------------------------------------------------ mapping

    @Override public Tensor z(long seed) { return NumpyRandom.latent(seed, config.zDim()).copyAs(dtype); }

    @Override public Tensor mapping(Tensor z, double psi, int cutoff) { return mappingNet.map(z, psi, cutoff); }

    /** The mapping output without truncation, [N, w_dim]. */
    public Tensor mappingW(Tensor z) { return mapping(z, 1, -1).selectView(1, 0).copy(); }

    // ------------------------------------------------------------------ synthesis

    /**
     * Synthesis from ws [N, num_ws, w_dim]. The request's block sizes pick layers ({@link #featureIndex}; sizes from the
     * resolution on mean all): layers up to {@code lastBlockRes} run (all when an image is asked), those up to
     * {@code gradUpToRes} record a graph when ws requires grad. Features: every computed layer's output; the image
     * (output_scale times the last layer) when asked. Noise settings are ignored (StyleGAN3 has no noise).
     */
    @Override public Generator.Output synthesis(Var ws, Generator.Request req) {
        int[] s = ws.shape();
        if (s.length != 3 || s[1] != numWs() || s[2] != config.wDim()) {
            throw new IllegalArgumentException("synthesis: ws must be [N, " + numWs() + ", " + config.wDim() + "] but is " + Arrays.toString(s));
        }
        int last = req.image() != Generator.ImageMode.NONE ? layers.size() - 1 : layerUpTo(req.lastBlockRes());
        int taped = layerUpTo(req.gradUpToRes());
        List<Var> feats = new ArrayList<>();
        Var x;
        try (var mode = taped >= 0 ? GradMode.enableGrad() : GradMode.noGrad()) {
            Var t = LinalgOps.linear(wRow(ws, 0), Var.constant(inputAffW), Var.constant(inputAffB), 1, 1);   // [N, 4]
            x = input.forward(t);
        }
        for (int i = 0; i <= last; i++) {
            try (var mode = i <= taped ? GradMode.enableGrad() : GradMode.noGrad()) {
                x = layer(layers.get(i), x, wRow(ws, i + 1));
            }
            feats.add(x);
        }
        Var img = null;
        if (req.image() != Generator.ImageMode.NONE) {
            boolean grad = req.image() == Generator.ImageMode.WITH_GRAD && taped >= last;
            try (var mode = grad ? GradMode.enableGrad() : GradMode.noGrad()) {
                img = ElementwiseOps.affine(grad ? x : x.detach(), config.outputScale(), 0);
            }
        }
        return new Generator.Output(feats, img);
    }

    /** ws[:, i] as [N, w_dim]. */
    private static Var wRow(Var ws, int i) {
        return ShapeOps.reshape(ShapeOps.sliceView(ws, 1, i, i + 1), ws.shape()[0], ws.shape()[2]);
    }

    /** One SynthesisLayer (class comment). */
    private Var layer(Layer l, Var x, Var w) {
        StyleGan3Config.LayerSpec s = l.spec();
        Var styles = LinalgOps.linear(w, Var.constant(l.affineW()), Var.constant(l.affineB()), 1, 1);      // [N, I]
        Var y;
        if (s.torgb()) {
            y = ModulatedConv2d.apply(x, l.weight(), styles, 1, null, s.kernel() - 1, false);
        } else {
            // styles / sqrt(mean of styles^2 over every element, the batch included, as the reference)
            Var rms = ElementwiseOps.rsqrt(ReduceOps.mean(ElementwiseOps.square(styles), true, 0, 1));
            y = ModulatedConv2d.apply(x, l.weight(), ElementwiseOps.mul(styles, rms), 1, null, s.kernel() - 1, true);
            y = ElementwiseOps.affine(y, l.inputGain(), 0);
        }
        Double clamp = config.convClamp();
        int[] p = s.padding();                                                                       // {x0, x1, y0, y1}
        return FilteredLrelu.apply(y, Var.constant(l.bias()), l.upFilter(), l.downFilter(), new FilteredLreluParams(s.up(), s.down(),
                p[0], p[1], p[2], p[3], s.torgb() ? 1 : GAIN, s.torgb() ? 1 : SLOPE, clamp == null ? FilteredLreluParams.NO_CLAMP : clamp, false));
    }

    // ------------------------------------------------------------------ conveniences

    @Override public Tensor generate(long seed, double psi, NoiseMode noise) {
        Tensor ws = mapping(z(seed), psi, -1);
        try (var ng = GradMode.noGrad()) {
            return synthesis(Var.constant(ws), new Generator.Request(noise, seed, Integer.MAX_VALUE, Generator.ImageMode.NO_GRAD, 0)).image().value();
        }
    }
}
