package io.github.dragganjvm.training.keypoints;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ConvOps;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.data.toy.Keypoint;
import io.github.dragganjvm.stylegan.io.SafeTensors;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;

/**
 * Finds the 17 toy-world {@link Keypoint}s in RGB images without any generator features: a small convolutional
 * U-Net whose head makes one heatmap per keypoint, read out by soft-argmax (the softmax-weighted mean of the cell
 * centres), so coordinates are continuous and sub-pixel. The layers are in {@link DetectorArchitecture}; every
 * parameter is a {@link Var#param} leaf (plain weights, no run-time gains), trained by {@link KeypointTrainer}.
 *
 * <p>Input: images {@code [N, 3, R, R]} with values in [-1, 1] (as {@link io.github.dragganjvm.data.toy.ToyFaces} and the
 * generator make them). Output: {@code [N, K, 2]}, K = 17 in {@link Keypoint} order, (x, y) in pixels (x = column,
 * y = row, pixel centres at integers).
 *
 * <p>Saved as safetensors: the parameters by name (F32), metadata {@value #META_FORMAT} = {@value #FORMAT},
 * {@value #META_ARCHITECTURE} = {@link DetectorArchitecture#describe()}, {@value #META_RESOLUTION} = R,
 * {@value #META_KEYPOINTS} = the keypoint names in order, plus whatever the caller adds (the training run).
 */
public final class KeypointDetector {
    /** Leaky ReLU slope of every hidden layer. */
    public static final double LRELU_ALPHA = 0.2;
    /** Keypoints predicted: every {@link Keypoint}, in order. */
    public static final int KEYPOINTS = Keypoint.values().length;
    /** Value of the format entry in a saved detector's metadata. */
    public static final String FORMAT = "draggan-keypoint-detector-v1";
    /** Metadata keys of a saved detector. */
    public static final String META_FORMAT = "format", META_ARCHITECTURE = "architecture", META_RESOLUTION = "resolution", META_KEYPOINTS = "keypoints";
    /** Classpath location of the shipped detector for 64 px toy faces. */
    public static final String TOY_FACES_64_RESOURCE = "/io/github/dragganjvm/training/keypoints/toy-faces-64.safetensors";
    /** Images per forward pass in {@link #predict}. */
    private static final int PREDICT_CHUNK = 64;

    private final DetectorArchitecture arch;
    private final DType dtype;
    private final Map<String, Var> params;
    private final Tensor gridX, gridY;   // [1, 1, S*S] cell centres in pixels

    /**
     * A detector with the given parameters (exactly {@link DetectorArchitecture#parameterShapes}, all F32 or all
     * F64). The tensors are copied.
     */
    public KeypointDetector(DetectorArchitecture arch, Map<String, Tensor> tensors) {
        this.arch = arch;
        Map<String, Var> p = io.github.dragganjvm.training.NamedParameters.leaves("KeypointDetector", arch.describe(), arch.parameterShapes(KEYPOINTS), tensors, "keypoints.");
        this.dtype = p.values().iterator().next().value().dtype();
        this.params = Collections.unmodifiableMap(p);
        int s = arch.heatmap(), cell = arch.cellSize();
        double[] gx = new double[s * s], gy = new double[s * s];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                gx[i * s + j] = (j + 0.5) * cell - 0.5;
                gy[i * s + j] = (i + 0.5) * cell - 0.5;
            }
        }
        this.gridX = Tensor.of(gx, 1, 1, s * s).copyAs(dtype);
        this.gridY = Tensor.of(gy, 1, 1, s * s).copyAs(dtype);
    }

    /**
     * Seeded random initialisation: each weight N(0, 2 / ((1 + alpha^2) fan_in)) (He for leaky ReLU), the head's
     * weights 10x smaller (near-uniform heatmaps at first, so early predictions sit near the image centre), every
     * bias 0. Each weight draws from its own seed split off {@code seed}.
     */
    public static KeypointDetector random(DetectorArchitecture arch, long seed, DType dtype) {
        SplittableRandom seeds = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : arch.parameterShapes(KEYPOINTS).entrySet()) {
            long s = seeds.nextLong();
            int[] shape = e.getValue();
            if (e.getKey().endsWith(".bias")) {
                t.put(e.getKey(), Tensor.zeros(dtype, shape));
                continue;
            }
            int fanIn = shape[1] * shape[2] * shape[3];
            double std = Math.sqrt(2 / ((1 + LRELU_ALPHA * LRELU_ALPHA) * fanIn));
            if (e.getKey().startsWith("head.")) std *= 0.1;
            Tensor w = Tensor.randn(DType.F64, s, shape);
            double[] v = w.toDoubleArray();
            for (int i = 0; i < v.length; i++) v[i] *= std;
            t.put(e.getKey(), Tensor.of(v, shape).copyAs(dtype));
        }
        return new KeypointDetector(arch, t);
    }

    /** The shipped detector for 64 px toy faces ({@value #TOY_FACES_64_RESOURCE}, trained by {@link KeypointTrainer}). */
    public static KeypointDetector toyFaces64() {
        try (InputStream in = KeypointDetector.class.getResourceAsStream(TOY_FACES_64_RESOURCE)) {
            if (in == null) throw new IllegalStateException("KeypointDetector.toyFaces64: resource " + TOY_FACES_64_RESOURCE + " is not on the classpath");
            Path tmp = Files.createTempFile("toy-faces-64", ".safetensors");
            try {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                KeypointDetector d = load(tmp);
                if (d.resolution() != 64) {
                    throw new IllegalStateException("KeypointDetector.toyFaces64: the resource is a " + d.resolution() + " px detector, expected 64");
                }
                return d;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new IllegalStateException("KeypointDetector.toyFaces64: cannot read " + TOY_FACES_64_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a detector saved by {@link #save}. Parameters come back as F32.
     *
     * @throws IllegalArgumentException when the file is not a detector of this format: another format entry, an
     *         unknown architecture line, a resolution entry that differs from the architecture's, other keypoints
     *         than {@link Keypoint}'s, or tensors that are not exactly the architecture's parameters (each named)
     * @throws IOException when the file cannot be read or is not valid safetensors
     */
    public static KeypointDetector load(Path file) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, String> meta = c.metadata();
        String what = "KeypointDetector.load(" + file + ")";
        String format = meta.get(META_FORMAT);
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException(what + ": metadata '" + META_FORMAT + "' is " + (format == null ? "missing" : "'" + format + "'")
                    + ", expected '" + FORMAT + "' (not a keypoint detector of this version)");
        }
        DetectorArchitecture arch;
        try {
            arch = DetectorArchitecture.parse(meta.get(META_ARCHITECTURE));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
        String res = meta.get(META_RESOLUTION);
        if (!String.valueOf(arch.resolution()).equals(res)) {
            throw new IllegalArgumentException(what + ": metadata '" + META_RESOLUTION + "' is " + (res == null ? "missing" : "'" + res + "'")
                    + " but the architecture is for " + arch.resolution() + " px");
        }
        String kp = meta.get(META_KEYPOINTS);
        if (!keypointNames().equals(kp)) {
            throw new IllegalArgumentException(what + ": metadata '" + META_KEYPOINTS + "' is " + (kp == null ? "missing" : "'" + kp + "'")
                    + ", expected '" + keypointNames() + "'");
        }
        try {
            return new KeypointDetector(arch, c.tensors());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the parameters (F32) and the metadata described in the class comment, atomically
     * ({@link SafeTensors#write}).
     *
     * @param extra more metadata (e.g. how it was trained); may not override the detector's own keys
     */
    public void save(Path file, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extra);
        for (String k : List.of(META_FORMAT, META_ARCHITECTURE, META_RESOLUTION, META_KEYPOINTS)) {
            if (meta.containsKey(k)) throw new IllegalArgumentException("KeypointDetector.save: extra metadata may not set '" + k + "'");
        }
        meta.put(META_FORMAT, FORMAT);
        meta.put(META_ARCHITECTURE, arch.describe());
        meta.put(META_RESOLUTION, String.valueOf(arch.resolution()));
        meta.put(META_KEYPOINTS, keypointNames());
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : params.entrySet()) t.put(e.getKey(), e.getValue().value().copyAs(DType.F32));
        SafeTensors.write(file, meta, t);
    }

    /** The keypoint names in {@link Keypoint} order, comma-separated (the {@value #META_KEYPOINTS} metadata entry). */
    public static String keypointNames() {
        StringJoiner j = new StringJoiner(",");
        for (Keypoint k : Keypoint.values()) j.add(k.name());
        return j.toString();
    }

    /** The layer sizes. */
    public DetectorArchitecture architecture() { return arch; }

    /** Image side this detector reads. */
    public int resolution() { return arch.resolution(); }

    /** Element type of the parameters (and of the images {@link #forward} accepts). */
    public DType dtype() { return dtype; }

    /** The parameters by name, in forward order (live leaves: an optimiser updates their values in place). */
    public Map<String, Var> parameters() { return params; }

    /** The parameters as a list in forward order (for {@link io.github.dragganjvm.autograd.Adam}). */
    public List<Var> parameterList() { return new ArrayList<>(params.values()); }

    /** Total number of parameter elements. */
    public long parameterCount() {
        long n = 0;
        for (Var v : params.values()) n += v.value().numel();
        return n;
    }

    /**
     * Keypoints of a batch of images.
     *
     * @param images {@code [N, 3, R, R]} (R = {@link #resolution()}), values in [-1, 1], F32 or F64, any device
     * @return {@code [N][K][2]}: (x, y) of each keypoint in {@link Keypoint} order, in pixels
     */
    public float[][][] predict(Tensor images) {
        checkImages("KeypointDetector.predict", images.shape());
        int n = images.size(0);
        float[][][] out = new float[n][KEYPOINTS][2];
        try (var ng = GradMode.noGrad()) {
            for (int from = 0; from < n; from += PREDICT_CHUNK) {
                int to = Math.min(n, from + PREDICT_CHUNK);
                Tensor chunk = images.toHost().sliceView(0, from, to).copyAs(dtype);
                float[] xy = forward(Var.constant(chunk)).value().toFloatArray();
                for (int i = 0; i < to - from; i++) {
                    for (int k = 0; k < KEYPOINTS; k++) {
                        out[from + i][k][0] = xy[(i * KEYPOINTS + k) * 2];
                        out[from + i][k][1] = xy[(i * KEYPOINTS + k) * 2 + 1];
                    }
                }
            }
        }
        return out;
    }

    /** The forward pass with this detector's parameters: images {@code [N, 3, R, R]} (its dtype) -> {@code [N, K, 2]} pixels. */
    public Var forward(Var images) { return forwardWith(params, images); }

    /**
     * The forward pass with other parameter values (same names, shapes and dtype; e.g. a gradient check's inputs).
     * Records only differentiable ops: conv2d, biasAct, resizeBilinear, add, reshape, exp, sum, div, mul, stack.
     *
     * @param p      parameters by name
     * @param images {@code [N, 3, R, R]} in this detector's dtype
     * @return {@code [N, K, 2]}: (x, y) in pixels
     */
    public Var forwardWith(Map<String, Var> p, Var images) {
        checkImages("KeypointDetector.forward", images.shape());
        if (images.value().dtype() != dtype) {
            throw new IllegalArgumentException("KeypointDetector.forward: images are " + images.value().dtype() + " but the parameters are " + dtype);
        }
        if (p != params) checkParams(p);
        return softArgmax(heatmapLogits(p, encode(p, images)));
    }

    /** The encoder: the output of each level (level l: {@code [N, widths[l], R / 2^(l+1), R / 2^(l+1)]}). */
    private Var[] encode(Map<String, Var> p, Var images) {
        Var x = images;
        Var[] levels = new Var[DetectorArchitecture.LEVELS];
        for (int l = 0; l < DetectorArchitecture.LEVELS; l++) {
            x = conv3x3(p, "enc" + l + ".down", x, 2);
            x = conv3x3(p, "enc" + l + ".conv", x, 1);
            levels[l] = x;
        }
        return levels;
    }

    /** The decoder and head: heatmap logits {@code [N, K, S, S]} from the encoder's levels. */
    private Var heatmapLogits(Map<String, Var> p, Var[] skips) {
        Var x = skips[DetectorArchitecture.LEVELS - 1];
        for (int l = DetectorArchitecture.LEVELS - 2; l >= arch.heatmapLevel(); l--) {
            Var proj = ConvOps.conv2d(x, p.get("dec" + l + ".proj.weight"), 1, 0, 1);
            int side = arch.side(l);
            x = ElementwiseOps.add(ResampleOps.resizeBilinear(proj, side, side, false), skips[l]);
            x = conv3x3(p, "dec" + l + ".conv", x, 1);
        }
        Var h = ConvOps.conv2d(x, p.get("head.weight"), 1, 0, 1);
        return ElementwiseOps.biasAct(h, p.get("head.bias"), 1, Activation.LINEAR, 0, 1, -1);
    }

    /**
     * What the detector sees in a batch, for judging images it was not trained on (a generator's):
     *
     * @param keypoints {@code [N][K][2]}: as {@link #predict}
     * @param peakMass  {@code [N][K]}: the softmax mass of the 3 x 3 heatmap cells around the most probable one (1 = the
     *                  detector is sure where the part is; 9 / S^2 = it sees nothing)
     * @param features  {@code [N][widths[LEVELS-1]]}: the deepest encoder level averaged over its cells (an image
     *                  embedding for distribution distances)
     */
    public record Readout(float[][][] keypoints, float[][] peakMass, float[][] features) {}

    /** Reads a batch (see {@link Readout}); images {@code [N, 3, R, R]} in [-1, 1], any dtype and device. */
    public Readout read(Tensor images) {
        checkImages("KeypointDetector.read", images.shape());
        int n = images.size(0), k = KEYPOINTS, s = arch.heatmap(), cells = s * s, c = arch.width(DetectorArchitecture.LEVELS - 1);
        float[][][] kp = new float[n][k][2];
        float[][] mass = new float[n][k];
        float[][] feat = new float[n][c];
        try (var ng = GradMode.noGrad()) {
            for (int from = 0; from < n; from += PREDICT_CHUNK) {
                int to = Math.min(n, from + PREDICT_CHUNK), m = to - from;
                Tensor chunk = images.toHost().sliceView(0, from, to).copyAs(dtype);
                Var[] levels = encode(params, Var.constant(chunk));
                Var logits = heatmapLogits(params, levels);
                float[] xy = softArgmax(logits).value().toFloatArray();
                double[] h = logits.value().toDoubleArray();
                double[] deep = levels[DetectorArchitecture.LEVELS - 1].value().toDoubleArray();
                int deepCells = deep.length / (m * c);
                for (int i = 0; i < m; i++) {
                    for (int q = 0; q < k; q++) {
                        kp[from + i][q][0] = xy[(i * k + q) * 2];
                        kp[from + i][q][1] = xy[(i * k + q) * 2 + 1];
                        mass[from + i][q] = (float) peakMass(h, (i * k + q) * cells, s);
                    }
                    for (int ch = 0; ch < c; ch++) {
                        double sum = 0;
                        for (int j = 0; j < deepCells; j++) sum += deep[(i * c + ch) * deepCells + j];
                        feat[from + i][ch] = (float) (sum / deepCells);
                    }
                }
            }
        }
        return new Readout(kp, mass, feat);
    }

    /** Softmax mass of the 3 x 3 cells around the largest logit of the s x s heatmap at h[off ..]. */
    private static double peakMass(double[] h, int off, int s) {
        int best = 0;
        for (int j = 1; j < s * s; j++) if (h[off + j] > h[off + best]) best = j;
        double max = h[off + best], total = 0, near = 0;
        int by = best / s, bx = best % s;
        for (int j = 0; j < s * s; j++) {
            double e = Math.exp(h[off + j] - max);
            total += e;
            if (Math.abs(j / s - by) <= 1 && Math.abs(j % s - bx) <= 1) near += e;
        }
        return near / total;
    }

    /**
     * Soft-argmax: heatmaps {@code [N, K, S, S]} -> {@code [N, K, 2]}; p = softmax over the S*S cells (the row maximum,
     * a constant, is subtracted first: softmax does not change and exp cannot overflow), (x, y) = sum p * (cell x, cell y).
     * Package-private for its test.
     */
    Var softArgmax(Var h) {
        int n = h.shape()[0], k = h.shape()[1], cells = arch.heatmap() * arch.heatmap();
        Var flat = ShapeOps.reshape(h, n, k, cells);
        double[] v = flat.value().toDoubleArray();
        double[] max = new double[n * k];
        for (int r = 0; r < n * k; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cells; c++) m = Math.max(m, v[r * cells + c]);
            max[r] = m;
        }
        Var shifted = ElementwiseOps.sub(flat, Var.constant(Tensor.of(max, n, k, 1).copyAs(dtype)));
        Var e = ElementwiseOps.exp(shifted);
        Var prob = ElementwiseOps.div(e, ReduceOps.sum(e, true, 2));
        Var px = ReduceOps.sum(ElementwiseOps.mul(prob, Var.constant(gridX)), false, 2);
        Var py = ReduceOps.sum(ElementwiseOps.mul(prob, Var.constant(gridY)), false, 2);
        return ShapeOps.stack(2, px, py);
    }

    private static Var conv3x3(Map<String, Var> p, String name, Var x, int stride) {
        Var y = ConvOps.conv2d(x, p.get(name + ".weight"), stride, 1, 1);
        return ElementwiseOps.biasAct(y, p.get(name + ".bias"), 1, Activation.LRELU, LRELU_ALPHA, 1, -1);
    }

    private void checkImages(String op, int[] s) {
        int r = arch.resolution();
        if (s.length != 4 || s[0] < 1 || s[1] != 3 || s[2] != r || s[3] != r) {
            throw new IllegalArgumentException(op + ": images must be [N >= 1, 3, " + r + ", " + r + "] (this detector reads " + r
                    + " px) but are " + Arrays.toString(s));
        }
    }

    private void checkParams(Map<String, Var> p) {
        for (Map.Entry<String, Var> e : params.entrySet()) {
            Var v = p.get(e.getKey());
            if (v == null) throw new IllegalArgumentException("KeypointDetector.forwardWith: parameter '" + e.getKey() + "' missing");
            if (!Arrays.equals(v.shape(), e.getValue().shape()) || v.value().dtype() != dtype) {
                throw new IllegalArgumentException("KeypointDetector.forwardWith: parameter '" + e.getKey() + "' is " + v.value().dtype() + " "
                        + Arrays.toString(v.shape()) + ", expected " + dtype + " " + Arrays.toString(e.getValue().shape()));
            }
        }
    }
}
