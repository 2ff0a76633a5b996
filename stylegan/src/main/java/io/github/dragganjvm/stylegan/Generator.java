package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ModulatedConv2d;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A StyleGAN2 generator (NVlabs stylegan2-ada-pytorch semantics, architecture "skip") built from library ops, so
 * autograd flows from the image or any block's features back to w+.
 *
 * <pre>
 * z [N, z_dim] -> normalize_2nd_moment -> num_layers x (FC, lrelu) -> w [N, w_dim] -> broadcast -> truncation
 *   -> ws [N, num_ws, w_dim]
 * synthesis, block b{r} for r = 4, 8, ..., resolution:
 *   b4:   x = const; x = conv1(x, ws[0]);                 img = torgb(x, ws[1])
 *   b{r}: x = conv0(x, ws[i]) (up 2); x = conv1(x, ws[i+1]); img = upsample2d(img) + torgb(x, ws[i+2]); i += 2
 *   conv: styles = affine(w); modulated 3x3 conv (demodulated); + noise; bias + lrelu * sqrt 2; clamp
 *   torgb: styles = affine(w) / sqrt(C); modulated 1x1 conv (no demodulation); bias; clamp
 * </pre>
 * StyleGAN-Human's rectangular generators ({@link GeneratorConfig.Aspect#HALF_WIDTH}: const [C, 4, 2], block r is r x r/2)
 * run exactly as DragGAN rebuilds them ({@code square=False, padding=True}): every block's output x and the image
 * are returned padded left and right to r x r, features with 0 and the image with 1, so callers see a square
 * {@link #resolution()} x {@link #resolution()} frame; {@link #imageWidth()} is the generator's own width.
 * Parameters are constants (only ws is optimised by DragGAN); the runtime scales (lr multiplier, 1/sqrt(fan_in))
 * are folded into the weights once at construction, and every parameter tensor is marked constant
 * ({@link Tensor#markConstant()}), so the backend packs each convolution weight once instead of on every call.
 */
public final class Generator implements DragGenerator {
    private final GeneratorConfig config;
    private final Map<String, Tensor> raw;
    /** The 4x4 block's learned input (synthesis.b4.const), on the generator's device. */
    private Tensor constInput;
    private final int[] resolutions;
    private final int numWs;
    private final Tensor filter;                     // [4, 4] outer([1,3,3,1]) / 64
    private final MappingNetwork mappingNet;
    private final Map<String, Layer> layers = new LinkedHashMap<>();
    private final DType dtype;                       // of every parameter (F32 for models; F64 for gradient checks)

    /** One modulated layer's prepared constants, its affine folded; noiseConstScaled is noise_const * noise_strength (noise mode const). */
    private record Layer(Tensor affineW, Tensor affineB, ModulatedConv2d.PreparedWeight weight, Tensor bias, Tensor noiseConstScaled,
                         double noiseStrength, int up, int padding, boolean demodulate, int resolution) {}

    /**
     * Builds a generator from a configuration and NVlabs-named parameters (F32). Every tensor the architecture needs
     * must be present with the right shape; a missing or misshapen one is an error naming it.
     */
    public Generator(GeneratorConfig config, Map<String, Tensor> params) {
        this.config = config;
        this.raw = params;
        Tensor any = params.get("mapping.w_avg");
        this.dtype = any == null ? DType.F32 : any.dtype();
        int res = config.imgResolution();
        if (res < 4 || Integer.bitCount(res) != 1) throw new IllegalArgumentException("Generator: resolution must be a power of two >= 4 but is " + res);
        resolutions = config.blockResolutions();
        numWs = config.numWs();
        filter = setupFilter(new double[]{1, 3, 3, 1}, dtype);

        int wDim = config.wDim();
        int nl = config.mappingLayers();
        Tensor[] fcW = new Tensor[nl], fcB = new Tensor[nl];
        for (int i = 0; i < nl; i++) {
            fcW[i] = param("mapping.fc" + i + ".weight", wDim, i == 0 ? config.zDim() : wDim);
            fcB[i] = param("mapping.fc" + i + ".bias", wDim);
        }
        mappingNet = new MappingNetwork(fcW, fcB, param("mapping.w_avg", wDim), config.mappingLrMultiplier(), numWs);

        for (int r : resolutions) {
            int c = channels(r), cin = r == 4 ? 0 : channels(r / 2);
            String b = "synthesis.b" + r;
            if (r == 4) constInput = param(b + ".const", c, 4, config.aspect().width(4));   // on the device once, not every call
            else layers.put(b + ".conv0", synthesisLayer(b + ".conv0", cin, c, r, 2));
            layers.put(b + ".conv1", synthesisLayer(b + ".conv1", c, c, r, 1));
            Tensor aw = param(b + ".torgb.affine.weight", c, wDim), ab = param(b + ".torgb.affine.bias", c);
            double g = 1 / Math.sqrt(wDim), rgbGain = 1 / Math.sqrt(c);
            layers.put(b + ".torgb", new Layer(Ops.scale(aw, g * rgbGain).markConstant(), Ops.scale(ab, rgbGain).markConstant(),
                    prepared(param(b + ".torgb.weight", config.imgChannels(), c, 1, 1), 1), param(b + ".torgb.bias", config.imgChannels()),
                    null, 0, 1, 0, false, r));
        }
    }

    private Layer synthesisLayer(String name, int cin, int cout, int r, int up) {
        int wDim = config.wDim();
        Tensor aw = param(name + ".affine.weight", cin, wDim), ab = param(name + ".affine.bias", cin);
        Tensor w = param(name + ".weight", cout, cin, 3, 3), bias = param(name + ".bias", cout);
        Tensor nc = param(name + ".noise_const", r, config.aspect().width(r));
        double ns = param(name + ".noise_strength").item();
        // the const noise's product is the same every call: made once here, as the input below (the same op, so the same bits)
        return new Layer(Ops.scale(aw, 1 / Math.sqrt(wDim)).markConstant(), ab, prepared(w, up), bias, Ops.scale(nc, ns).markConstant(), ns, up, 1, true, r);
    }

    private static ModulatedConv2d.PreparedWeight prepared(Tensor w, int up) {
        ModulatedConv2d.PreparedWeight p = ModulatedConv2d.PreparedWeight.of(w, up);
        p.squaredSum().markConstant();
        if (p.swapped() != null) p.swapped().markConstant();
        return p;
    }

    private Tensor param(String name, int... shape) {
        Tensor t = raw.get(name);
        if (t == null) throw new IllegalArgumentException("Generator: parameter '" + name + "' missing from the checkpoint");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("Generator: parameter '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but the configuration needs " + Arrays.toString(shape));
        }
        if (t.dtype() != dtype) throw new IllegalArgumentException("Generator: parameter '" + name + "' is " + t.dtype() + " but the others are " + dtype);
        return t.toDevice(Backends.current().device()).markConstant();
    }

    /**
     * NVlabs upfirdn2d.setup_filter: outer product of a 1-D filter, normalised to sum 1; taps [n] -> [n, n], a
     * constant ({@link Tensor#markConstant()}) on the current backend's device.
     */
    public static Tensor setupFilter(double[] taps, DType dtype) {
        double s = 0;
        for (double a : taps) for (double b : taps) s += a * b;
        float[] f = new float[taps.length * taps.length];
        for (int i = 0; i < taps.length; i++) for (int j = 0; j < taps.length; j++) f[i * taps.length + j] = (float) (taps[i] * taps[j] / s);
        return Tensor.of(f, taps.length, taps.length).copyAs(dtype).toDevice(Backends.current().device()).markConstant();
    }

    // ------------------------------------------------------------------ geometry

    public GeneratorConfig config() { return config; }
    /** Side of the square frame of every image and feature map this generator returns (padded when rectangular). */
    public int resolution() { return config.imgResolution(); }

    /** Height of the generator's own image, unpadded (= {@link #resolution()}). */
    @Override public int imageHeight() { return config.imgResolution(); }

    /** Width of the generator's own image, unpadded: {@link #resolution()}, or half of it for StyleGAN-Human. */
    @Override public int imageWidth() { return config.imgWidth(); }

    /** Columns of padding on the left (and right) of the returned image: (resolution - imageWidth) / 2. */
    @Override public int imagePadLeft() { return config.aspect().padLeft(config.imgResolution()); }

    public int numWs() { return numWs; }
    public int wDim() { return config.wDim(); }
    public int zDim() { return config.zDim(); }

    /** Block resolutions 4, 8, ..., resolution. */
    public int[] blockResolutions() { return resolutions.clone(); }

    /** Feature channels of block r: min(channel_base / r, channel_max). */
    public int channels(int r) { return config.channels(r); }

    /** The feature list entry of block b{r}: {@link #blockIndex}. */
    @Override public int featureIndex(int blockRes) { return blockIndex(blockRes); }

    @Override public String architecture() { return "StyleGAN2"; }

    /** Windows ({@link Request#windows()}): square generators and StyleGAN-Human's half-width ones. */
    @Override public boolean computesWindows() { return true; }

    /** Index of the block with resolution r (0 for b4); fails for a resolution the generator lacks. */
    public int blockIndex(int r) {
        for (int i = 0; i < resolutions.length; i++) if (resolutions[i] == r) return i;
        throw new IllegalArgumentException("no synthesis block at resolution " + r + "; blocks: " + Arrays.toString(resolutions));
    }

    /** The truncation centre w_avg [w_dim]. */
    public Tensor wAvg() { return mappingNet.wAvg(); }

    // ------------------------------------------------------------------ mapping

    /** z for a seed exactly as NumPy's RandomState(seed).randn(1, z_dim). */
    public Tensor z(long seed) { return NumpyRandom.latent(seed, config.zDim()).copyAs(dtype); }

    /** Element type of the parameters. */
    public DType dtype() { return dtype; }

    /** A copy of this generator with every parameter converted to the given dtype (F64 for gradient checks). */
    public Generator withDType(DType t) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        for (var e : raw.entrySet()) p.put(e.getKey(), e.getValue().toHost().copyAs(t));
        return new Generator(config, p);
    }

    /**
     * Mapping network plus truncation: z [N, z_dim] -> ws [N, num_ws, w_dim]; rows below {@code cutoff} (or all when
     * cutoff &lt; 0) become w_avg + psi (w - w_avg). No gradient.
     */
    public Tensor mapping(Tensor z, double psi, int cutoff) { return mappingNet.map(z, psi, cutoff); }

    /** The mapping output without truncation, [N, w_dim]. */
    public Tensor mappingW(Tensor z) { return mapping(z, 1, -1).selectView(1, 0).copy(); }

    // ------------------------------------------------------------------ synthesis

    /**
     * What to compute in a synthesis pass. {@code windows}, when not null, asks for only those rectangles of the last
     * block's output (in its pixels): see {@link #synthesis}; null computes whole maps.
     */
    public record Request(NoiseMode noise, long noiseSeed, int lastBlockRes, ImageMode image, int gradUpToRes, List<Window> windows) {
        public Request {
            if (windows != null) {
                if (windows.isEmpty()) throw new IllegalArgumentException("Request: windows must hold at least one rectangle (null: whole maps)");
                windows = List.copyOf(windows);
            }
        }

        /** Whole maps (no window). */
        public Request(NoiseMode noise, long noiseSeed, int lastBlockRes, ImageMode image, int gradUpToRes) {
            this(noise, noiseSeed, lastBlockRes, image, gradUpToRes, null);
        }

        /** Everything: all blocks, image without extra taping decisions (taped when ws requires grad). */
        public static Request full(NoiseMode noise) { return new Request(noise, 0, Integer.MAX_VALUE, ImageMode.WITH_GRAD, Integer.MAX_VALUE); }

        public Request withNoiseSeed(long seed) { return new Request(noise, seed, lastBlockRes, image, gradUpToRes, windows); }

        /** The same request for only the given rectangle of the last block's output. */
        public Request withWindow(Window w) { return withWindows(List.of(w)); }

        /** The same request for only the given rectangles of the last block's output (null: whole maps). */
        public Request withWindows(List<Window> ws) { return new Request(noise, noiseSeed, lastBlockRes, image, gradUpToRes, ws); }
    }

    /**
     * A rectangle of one block's output map: rows [y0, y1) and columns [x0, x1) in that block's pixels. Its
     * geometry through the synthesis layers (what a layer needs of its input for a rectangle of its output) is
     * {@link #throughConv} and {@link #throughUp}, written once here.
     */
    public record Window(int y0, int y1, int x0, int x1) {
        public Window {
            if (y0 < 0 || x0 < 0 || y1 <= y0 || x1 <= x0) throw new IllegalArgumentException("Window: rows [" + y0 + ", " + y1 + ") and columns [" + x0 + ", " + x1 + ") must be non-empty and start at 0 or later");
        }

        /** The whole r x r map. */
        public static Window whole(int r) { return new Window(0, r, 0, r); }

        public int height() { return y1 - y0; }
        public int width() { return x1 - x0; }

        /** Whether this window is the whole r x r map. */
        public boolean isWhole(int r) { return y0 == 0 && x0 == 0 && y1 == r && x1 == r; }

        /** Whether this window lies inside r x r. */
        public boolean inside(int r) { return y1 <= r && x1 <= r; }

        public long area() { return (long) height() * width(); }

        /** Whether w lies inside this window. */
        public boolean contains(Window w) { return w.y0 >= y0 && w.x0 >= x0 && w.y1 <= y1 && w.x1 <= x1; }

        /** Whether the two windows share a pixel. */
        public boolean intersects(Window w) { return y0 < w.y1 && w.y0 < y1 && x0 < w.x1 && w.x0 < x1; }

        /** The bounding box of the two windows. */
        public Window union(Window w) { return new Window(Math.min(y0, w.y0), Math.max(y1, w.y1), Math.min(x0, w.x0), Math.max(x1, w.x1)); }

        /**
         * The windows with overlapping ones (or ones whose bounding box is no larger than the two) replaced by their
         * bounding box: the rectangles a synthesis of these windows computes in their block.
         */
        public static List<Window> merged(List<Window> ws) { return WindowPlan.merged(ws); }

        /**
         * The input rectangle a 3x3 convolution with padding 1 on an r x r map needs for this output rectangle: one
         * pixel more on each side, then widened to even edges and clipped to the map.
         */
        public Window throughConv(int r) { return throughConv(r, r); }

        /** {@link #throughConv(int)} on an h x w map. */
        public Window throughConv(int h, int w) { return new Window(even(y0 - 1, h), evenUp(y1 + 1, h), even(x0 - 1, w), evenUp(x1 + 1, w)); }

        /**
         * The input rectangle (on the r/2 x r/2 map) that NVlabs' up-sampling convolution (3x3 transposed conv with
         * stride 2, then the 4x4 blur, output r x r) needs for this output rectangle. Output pixel o reads the
         * transposed conv's outputs o-1..o+2 (the blur, padded by 1), which read inputs i with 2i in [o-3, o+2],
         * i.e. i from ceil((o-3)/2) = floor((o-2)/2) to floor((o+2)/2); then widened to even edges and clipped.
         */
        public Window throughUp(int r) { return throughUp(r, r); }

        /** {@link #throughUp(int)} for an h x w output map (input h/2 x w/2). */
        public Window throughUp(int h, int w) {
            return new Window(even(Math.floorDiv(y0 - 2, 2), h / 2), evenUp(Math.floorDiv(y1 + 1, 2) + 1, h / 2),
                    even(Math.floorDiv(x0 - 2, 2), w / 2), evenUp(Math.floorDiv(x1 + 1, 2) + 1, w / 2));
        }

        /** This window moved right by dx columns. */
        public Window shifted(int dx) { return new Window(y0, y1, x0 + dx, x1 + dx); }

        /** The output rectangle an up-sampling convolution makes from this input rectangle (twice the coordinates). */
        public Window doubled() { return new Window(2 * y0, 2 * y1, 2 * x0, 2 * x1); }

        /** x's values over {@code want}, where x [N, C, h, w] holds this window's pixels (want must lie inside). */
        Var crop(Var x, Window want) {
            if (want.equals(this)) return x;
            if (!contains(want)) throw new IllegalStateException("Window.crop: " + want + " is not inside " + this);
            int[] s = x.shape();
            return ShapeOps.crop(x, new int[]{0, 0, want.y0 - y0, want.x0 - x0}, new int[]{s[0], s[1], want.height(), want.width()});
        }

        /** t [..., r, r] over this window, a contiguous copy. */
        Tensor cropOf(Tensor t) {
            int d = t.dim();
            return t.sliceView(d - 2, y0, y1).sliceView(d - 1, x0, x1).copy();
        }

        /** Widened to even edges: even start, even end (or the map's edge), inside r. */
        public Window aligned(int r) { return aligned(r, r); }

        /** {@link #aligned(int)} inside h x w. */
        public Window aligned(int h, int w) { return new Window(even(y0, h), evenUp(y1, h), even(x0, w), evenUp(x1, w)); }

        private static int even(int a, int r) { return Math.min(Math.max(0, a - Math.floorMod(a, 2)), r); }
        private static int evenUp(int b, int r) { return Math.max(0, Math.min(r, b + Math.floorMod(b, 2))); }
    }

    /** Whether and how the RGB image is made. */
    public enum ImageMode { NONE, NO_GRAD, WITH_GRAD }

    /**
     * Block outputs x (index 0 = b4) up to the last computed block, and the image (null when not asked for); for a
     * rectangular generator both padded to square (see the class documentation).
     */
    public record Output(List<Var> features, Var image, List<List<Part>> parts) {
        /** Whole maps: every feature is its block's whole output. */
        public Output(List<Var> features, Var image) { this(features, image, null); }

        /** The output of block r. */
        public Var feature(Generator g, int r) { return features.get(g.blockIndex(r)); }

        /**
         * The rectangles of block i's map this pass computed, each with its values: one, the whole map, when the pass
         * had no windows. For a windowed pass, {@code features().get(i)} is the first of them.
         */
        public List<Part> parts(int i) {
            if (parts != null) return parts.get(i);
            int[] s = features.get(i).shape();
            return List.of(new Part(new Window(0, s[2], 0, s[3]), features.get(i)));
        }

        /** The rectangle feature i holds, for a block computed as one rectangle (or whole); see {@link #parts}. */
        public Window window(int i) {
            List<Part> p = parts(i);
            if (p.size() != 1) throw new IllegalStateException("Output.window: block " + i + " was computed as " + p.size() + " rectangles; read parts(" + i + ")");
            return p.get(0).window();
        }
    }

    /** The values [N, C, h, w] of one rectangle of a block's map (in the square frame's columns). */
    public record Part(Window window, Var value) {}

    /**
     * Synthesis from ws [N, num_ws, w_dim]. Blocks up to {@code lastBlockRes} run; those up to {@code gradUpToRes}
     * record a graph when ws requires grad, the rest run without one. The image is made when asked (ToRGB and the
     * skip up-sampling; with NO_GRAD on detached features), which needs every block.
     */
    public Output synthesis(Var ws, Request req) {
        int[] s = ws.shape();
        if (s.length != 3 || s[1] != numWs || s[2] != config.wDim()) {
            throw new IllegalArgumentException("synthesis: ws must be [N, " + numWs + ", " + config.wDim() + "] but is " + Arrays.toString(s));
        }
        if (req.windows() != null) return synthesisWindow(ws, req);
        int last = req.image() != ImageMode.NONE ? resolution() : Math.min(req.lastBlockRes(), resolution());
        if (last != resolution()) blockIndex(last);
        List<Var> feats = new ArrayList<>();
        Var x = null, img = null;
        int wi = 0, layerIndex = 0;
        for (int r : resolutions) {
            if (r > last) break;
            boolean taped = r <= req.gradUpToRes();
            try (var mode = taped ? GradMode.enableGrad() : GradMode.noGrad()) {
                String b = "synthesis.b" + r;
                if (r == 4) {
                    Tensor c = constInput;
                    x = Var.constant(c.unsqueezeView(0).expandView(s[0], c.size(0), c.size(1), c.size(2)).copy());
                } else {
                    x = layer(b + ".conv0", x, wRow(ws, wi++), req, layerIndex++);
                }
                x = layer(b + ".conv1", x, wRow(ws, wi++), req, layerIndex++);
            }
            if (config.aspect() == GeneratorConfig.Aspect.SQUARE) feats.add(x);
            else try (var mode = taped ? GradMode.enableGrad() : GradMode.noGrad()) { feats.add(padToSquare(x, 0)); }
            if (req.image() != ImageMode.NONE) {
                try (var mode = req.image() == ImageMode.WITH_GRAD && taped ? GradMode.enableGrad() : GradMode.noGrad()) {
                    Var xin = req.image() == ImageMode.NO_GRAD ? x.detach() : x;
                    Var y = layer("synthesis.b" + r + ".torgb", xin, wRow(ws, wi), req, -1);
                    img = img == null ? y : ElementwiseOps.add(ResampleOps.upsample2d(img, filter, 2), y);
                }
            }
        }
        if (img != null && config.aspect() != GeneratorConfig.Aspect.SQUARE) {
            try (var mode = req.image() == ImageMode.WITH_GRAD && resolution() <= req.gradUpToRes() ? GradMode.enableGrad() : GradMode.noGrad()) {
                img = padToSquare(img, 1);
            }
        }
        return new Output(feats, img);
    }

    /**
     * The synthesis of only some rectangles of the last block's output ({@link Request#windows()}, widened to even
     * edges): features only (the image needs every pixel). Each block's output is the rectangles the blocks above need
     * of it ({@link WindowPlan}; {@link Output#parts}); the last block's are the request's, merged where they overlap
     * ({@link Window#merged}). Windows are in the square frame's columns; a half-width
     * (StyleGAN-Human) block runs on its own columns, and the last block's feature also holds the padding columns
     * the request covers (zeros, as the whole synthesis pads them).
     *
     * <p>Why it is exact: every layer is translation equivariant (a convolution, the up-sampling conv with output
     * pixel 2i + j for input i, per-pixel noise, bias and activation), and its zero padding is the map's own only at
     * the map's edges. So a layer run on a rectangle of its input gives the whole map's values wherever its
     * receptive field lies inside that rectangle or crosses the map's edge; the rectangles are grown layer by layer by
     * the receptive fields ({@link Window#throughConv}, {@link Window#throughUp}) and each output cropped to what the
     * next layer needs. Edges are even, so Winograd's 2x2 tiles sit where they sit in the whole map and the outputs are
     * the same bits when the same kernels run ({@code WindowedSynthesisTest}); smaller maps may pick other kernels,
     * which changes only rounding. The cost falls with the area: a drag reads a few small discs of the feature block.
     */
    private Output synthesisWindow(Var ws, Request req) {
        if (req.image() != ImageMode.NONE) throw new IllegalArgumentException("synthesis: a window computes features only; the image needs ImageMode.NONE but is " + req.image());
        int last = Math.min(req.lastBlockRes(), resolution());
        int n = blockIndex(last) + 1;
        GeneratorConfig.Aspect aspect = config.aspect();
        int pad = aspect.padLeft(last), width = aspect.width(last);
        List<Window> asked = new ArrayList<>(), own = new ArrayList<>();
        for (Window w : req.windows()) {
            if (!w.inside(last)) throw new IllegalArgumentException("synthesis: window " + w + " is not inside block b" + last + "'s " + last + "x" + last + " map");
            Window a = w.aligned(last);
            asked.add(a);
            // in the block's own columns (a half-width block sits padLeft columns into its square frame)
            int x0 = Math.min(Math.max(a.x0() - pad, 0), width - 2), x1 = Math.max(Math.min(a.x1() - pad, width), x0 + 2);
            own.add(new Window(a.y0(), a.y1(), x0, x1));
        }
        WindowPlan plan = new WindowPlan(own, resolutions, n, aspect);
        Tensor c = constInput;
        Var constX = Var.constant(c.unsqueezeView(0).expandView(ws.shape()[0], c.size(0), c.size(1), c.size(2)).copy());
        List<List<Var>> xs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int r = resolutions[i];
            String b = "synthesis.b" + r;
            List<Var> here = new ArrayList<>();
            try (var mode = r <= req.gradUpToRes() ? GradMode.enableGrad() : GradMode.noGrad()) {
                Var styles0 = i == 0 ? null : wRow(ws, 2 * i - 1), styles1 = wRow(ws, 2 * i);
                for (int j = 0; j < plan.out(i).size(); j++) {
                    Var x;
                    if (i == 0) {
                        x = new Window(0, r, 0, aspect.width(r)).crop(constX, plan.mid(0, j));
                    } else {
                        int k = plan.source(i, j);
                        Var xin = plan.out(i - 1).get(k).crop(xs.get(i - 1).get(k), plan.in(i, j));
                        x = layer(b + ".conv0", xin, styles0, req, 2 * i - 1, plan.in(i, j).doubled(), plan.mid(i, j));
                    }
                    here.add(layer(b + ".conv1", x, styles1, req, 2 * i, plan.mid(i, j), plan.out(i).get(j)));
                }
            }
            xs.add(here);
        }
        // the square frame: every rectangle moves right by its block's padding (none for a square generator); the last
        // block's also covers the padding columns the request asked for, which hold 0 (as padToSquare's)
        List<List<Part>> parts = new ArrayList<>();
        List<Var> feats = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Part> p = new ArrayList<>();
            for (int j = 0; j < plan.out(i).size(); j++) p.add(new Part(plan.out(i).get(j).shifted(aspect.padLeft(resolutions[i])), xs.get(i).get(j)));
            parts.add(p);
        }
        if (aspect != GeneratorConfig.Aspect.SQUARE) {
            List<Part> top = parts.get(n - 1);
            int[] home = new int[asked.size()];                  // the part that holds each asked window
            for (int a = 0; a < asked.size(); a++) home[a] = WindowPlan.containing(plan.out(n - 1), own.get(a));
            try (var mode = last <= req.gradUpToRes() ? GradMode.enableGrad() : GradMode.noGrad()) {
                for (int j = 0; j < top.size(); j++) {
                    Window have = top.get(j).window(), cover = have;
                    for (int a = 0; a < asked.size(); a++) if (home[a] == j) cover = cover.union(asked.get(a));
                    if (cover.equals(have)) continue;
                    Var f = top.get(j).value();
                    int[] fs = f.shape();
                    top.set(j, new Part(cover, ShapeOps.embed(f, new int[]{fs[0], fs[1], cover.height(), cover.width()},
                            new int[]{0, 0, have.y0() - cover.y0(), have.x0() - cover.x0()})));
                }
            }
        }
        for (List<Part> p : parts) feats.add(p.get(0).value());
        return new Output(feats, null, parts.stream().map(List::copyOf).toList());
    }

    /**
     * torch.nn.functional.pad(x, (p, p), "constant", value) with p = (H - W) / 2: x [N, C, H, W] -> [N, C, H, H],
     * the new columns equal to value (0 or 1). Gradient: the centre columns of the upstream gradient.
     */
    private static Var padToSquare(Var x, double value) {
        int[] s = x.shape();
        int p = (s[2] - s[3]) / 2;
        Var y = ShapeOps.embed(x, new int[] {s[0], s[1], s[2], s[3] + 2 * p}, new int[] {0, 0, 0, p});
        if (value == 0) return y;
        Tensor border = Ops.zerosOn(x.value(), s[0], s[1], s[2], s[3] + 2 * p);   // value in the padding, 0 in the centre
        Ops.fill(border.sliceView(3, 0, p), value);
        Ops.fill(border.sliceView(3, p + s[3], s[3] + 2 * p), value);
        return ElementwiseOps.add(y, Var.constant(border));
    }

    /**
     * The image of a synthesis that stopped early, without gradient: continues {@code partial} through the blocks
     * above its last one and runs every block's ToRGB and the skip up-sampling. {@code partial} must come from
     * {@code synthesis(ws', r)} with the same ws values, noise mode and noise seed as here (any lastBlockRes, taped or
     * not); its block outputs are read as values. The result equals
     * {@code synthesis(ws, new Request(noise, seed, MAX, NO_GRAD, 0)).image()}: the same ops run on the same inputs
     * (the remaining blocks draw the same RANDOM noise, as it depends only on the seed and the layer's index), and it
     * costs only the blocks above the last computed one plus the ToRGB layers.
     *
     * @param partial block outputs b4.. of an earlier synthesis, features [N, C_r, r, r] (its image is ignored)
     * @param ws      [N, num_ws, w_dim], the latent that synthesis used
     * @param req     its noise mode and seed (lastBlockRes, image and gradUpToRes are ignored)
     * @return the image [N, img_channels, resolution, resolution]
     */
    @Override public Tensor imageFrom(Output partial, Tensor ws, Request req) {
        int[] s = ws.shape();
        if (s.length != 3 || s[1] != numWs || s[2] != config.wDim()) {
            throw new IllegalArgumentException("imageFrom: ws must be [N, " + numWs + ", " + config.wDim() + "] but is " + Arrays.toString(s));
        }
        int done = partial.features().size();
        if (done < 1 || done > resolutions.length) throw new IllegalArgumentException("imageFrom: partial holds " + done + " block outputs; expected 1.." + resolutions.length);
        try (var ng = GradMode.noGrad()) {
            Var w = Var.constant(ws), x = null, img = null;
            for (int i = 0; i < resolutions.length; i++) {         // block i reads rows 2i-1, 2i; its ToRGB row 2i+1 (as synthesis)
                int r = resolutions[i];
                String b = "synthesis.b" + r;
                if (i < done) {
                    x = partial.features().get(i).detach();
                    if (x.shape()[2] != r || x.shape()[0] != s[0]) throw new IllegalArgumentException("imageFrom: block output " + i + " is " + Arrays.toString(x.shape()) + " but block b" + r + " makes [" + s[0] + ", " + channels(r) + ", " + r + ", " + r + "]");
                    if (config.aspect() != GeneratorConfig.Aspect.SQUARE) {    // features are padded to the square: take the block's own columns
                        int p = config.aspect().padLeft(r);
                        x = Var.constant(x.value().sliceView(3, p, p + config.aspect().width(r)).copy());
                    }
                } else {
                    x = layer(b + ".conv0", x, wRow(w, 2 * i - 1), req, 2 * i - 1);
                    x = layer(b + ".conv1", x, wRow(w, 2 * i), req, 2 * i);
                }
                Var y = layer(b + ".torgb", x, wRow(w, 2 * i + 1), req, -1);
                img = img == null ? y : ElementwiseOps.add(ResampleOps.upsample2d(img, filter, 2), y);
            }
            if (config.aspect() != GeneratorConfig.Aspect.SQUARE) img = padToSquare(img, 1);
            return img.value();
        }
    }

    /** ws[:, i] as [N, w_dim]. */
    private static Var wRow(Var ws, int i) {
        return ShapeOps.reshape(ShapeOps.sliceView(ws, 1, i, i + 1), ws.shape()[0], ws.shape()[2]);
    }

    /** One SynthesisLayer or ToRGBLayer over whole maps. */
    private Var layer(String name, Var x, Var w, Request req, int layerIndex) { return layer(name, x, w, req, layerIndex, null, null); }

    /**
     * One SynthesisLayer or ToRGBLayer; with windows (a synthesis layer only), the conv's output covers {@code made}
     * of the layer's r x r map and is cropped to {@code keep} before the noise (cropped alike), bias and activation.
     */
    private Var layer(String name, Var x, Var w, Request req, int layerIndex, Window made, Window keep) {
        Layer l = layers.get(name);
        Var styles = LinalgOps.linear(w, Var.constant(l.affineW), Var.constant(l.affineB), 1, 1);   // [N, C]
        Var y = ModulatedConv2d.apply(x, l.weight, styles, l.up, filter, l.padding, l.demodulate);
        Double clamp = config.convClamp();
        if (!l.demodulate) {                                                 // ToRGB: bias, clamp, linear
            return ElementwiseOps.biasAct(y, Var.constant(l.bias), 1, Activation.LINEAR, 0, 1, clamp == null ? -1 : clamp);
        }
        Tensor noise;
        if (keep == null) noise = noise(l, req, layerIndex, y.shape());
        else {
            y = made.crop(y, keep);
            int[] ys = y.shape();
            Tensor whole = noise(l, req, layerIndex, new int[]{ys[0], 1, l.resolution, config.aspect().width(l.resolution)});
            noise = whole == null ? null : keep.cropOf(whole);
        }
        double c = clamp == null ? -1 : clamp;
        if (noise != null && !y.requiresGrad()) {
            // no gradient: noise and bias_act in one pass, over the conv's output (a fresh tensor only this layer holds)
            return Var.constant(Ops.addBiasActInPlace(y.value(), noise, l.bias, 1, Activation.LRELU, 0.2, Math.sqrt(2), c));
        }
        if (noise != null) y = ElementwiseOps.add(y, Var.constant(noise));
        return ElementwiseOps.biasAct(y, Var.constant(l.bias), 1, Activation.LRELU, 0.2, Math.sqrt(2), c);
    }

    private Tensor noise(Layer l, Request req, int layerIndex, int[] shape) {
        return switch (req.noise()) {
            case NONE -> null;
            case CONST -> l.noiseConstScaled;                                                           // [H, W]
            case RANDOM -> Ops.scale(Tensor.randn(dtype, req.noiseSeed() * 1_000_003L + layerIndex, shape[0], 1, shape[2], shape[3])
                    .toDevice(Backends.current().device()), l.noiseStrength);                          // [N, 1, H, W]
        };
    }

    // ------------------------------------------------------------------ conveniences

    /**
     * The image [1, C, R, R] (R = {@link #resolution()}; a rectangular generator's padded as in {@link #synthesis}) for
     * a seed, psi and noise mode (no gradient).
     */
    public Tensor generate(long seed, double psi, NoiseMode noise) {
        Tensor ws = mapping(z(seed), psi, -1);
        try (var ng = GradMode.noGrad()) {
            return synthesis(Var.constant(ws), new Request(noise, seed, Integer.MAX_VALUE, ImageMode.NO_GRAD, 0)).image().value();
        }
    }
}
