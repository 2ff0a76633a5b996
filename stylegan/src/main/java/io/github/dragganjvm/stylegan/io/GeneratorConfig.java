package io.github.dragganjvm.stylegan.io;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hyper-parameters of a StyleGAN2 generator (NVlabs stylegan2-ada-pytorch {@code Generator}), as read from a
 * checkpoint. Every field comes from the file (init kwargs, module attributes, tensor shapes), never from literals;
 * for rosinality {@code .pt} files, which carry no hyper-parameters, they are inferred from tensor names and shapes
 * (mapping lr multiplier 0.01 and no clamp by that port's convention).
 *
 * @param zDim                 latent z size (512 for the usual models)
 * @param wDim                 intermediate latent w size
 * @param cDim                 conditioning label size; always 0 here (conditional models are refused)
 * @param imgResolution        output height (= width for {@link Aspect#SQUARE}), a power of two >= 4
 * @param imgChannels          output channels (3 for RGB)
 * @param mappingLayers        fully connected layers in the mapping network
 * @param mappingLrMultiplier  the mapping's learning-rate multiplier (runtime weight = stored * lr / sqrt(fan_in),
 *                             runtime bias = stored * lr)
 * @param channelBase          channels of block r are min(channelBase / r, channelMax)
 * @param channelMax           see channelBase
 * @param convClamp            clamp of the synthesis layers' activations to +-convClamp, or null for none
 * @param numFp16Res           how many of the highest resolutions the model was trained in fp16 (recorded only:
 *                             we compute in float32, as DragGAN does)
 * @param architecture         synthesis architecture; always "skip" here (others are refused)
 * @param aspect               the blocks' shape: {@link Aspect#SQUARE} (r x r) or StyleGAN-Human's rectangular
 *                             {@link Aspect#HALF_WIDTH} (r x r/2, padded to r x r on output); inferred from the shape
 *                             of {@code synthesis.b4.const}
 */
public record GeneratorConfig(int zDim, int wDim, int cDim, int imgResolution, int imgChannels,
                              int mappingLayers, double mappingLrMultiplier, int channelBase, int channelMax,
                              Double convClamp, int numFp16Res, String architecture, Aspect aspect) {

    /**
     * The shape of every synthesis block's feature map and of the image.
     * <ul>
     *   <li>{@link #SQUARE}: block r is r x r (StyleGAN2 as NVlabs trains it).</li>
     *   <li>{@link #HALF_WIDTH}: block r is r tall and r/2 wide ({@code const} [C, 4, 2], {@code noise_const}
     *       [r, r/2]): StyleGAN-Human's rectangular generator ({@code stylegan_human/training_scripts/sg2/training/
     *       networks.py}). As DragGAN rebuilds it ({@code square=False, padding=True}) every output is padded left
     *       and right by (r - r/2) / 2 columns to r x r: the image with the constant 1 (white), each block's
     *       features with 0. A 256 px model thus makes a 256 x 128 picture shown in a 256 x 256 square.</li>
     * </ul>
     */
    public enum Aspect {
        SQUARE(1), HALF_WIDTH(2);

        private final int widthDivisor;

        Aspect(int widthDivisor) { this.widthDivisor = widthDivisor; }

        /** Width of a block (or image) of height r: r for SQUARE, r / 2 for HALF_WIDTH. */
        public int width(int r) { return r / widthDivisor; }

        /** Columns of padding on each side that square up a block of height r: (r - width(r)) / 2. */
        public int padLeft(int r) { return (r - width(r)) / 2; }

        /** The name used in files (safetensors metadata, the weight cache): "square" or "half_width". */
        public String fileName() { return name().toLowerCase(java.util.Locale.ROOT); }

        /** The aspect named by {@link #fileName()}; null for any other string. */
        public static Aspect fromFileName(String s) {
            for (Aspect a : values()) if (a.fileName().equals(s)) return a;
            return null;
        }
    }

    /** A square generator (the StyleGAN2 default): the canonical constructor with {@link Aspect#SQUARE}. */
    public GeneratorConfig(int zDim, int wDim, int cDim, int imgResolution, int imgChannels, int mappingLayers, double mappingLrMultiplier,
                           int channelBase, int channelMax, Double convClamp, int numFp16Res, String architecture) {
        this(zDim, wDim, cDim, imgResolution, imgChannels, mappingLayers, mappingLrMultiplier, channelBase, channelMax, convClamp, numFp16Res,
                architecture, Aspect.SQUARE);
    }

    /** This config with another aspect. */
    public GeneratorConfig withAspect(Aspect a) {
        return new GeneratorConfig(zDim, wDim, cDim, imgResolution, imgChannels, mappingLayers, mappingLrMultiplier, channelBase, channelMax,
                convClamp, numFp16Res, architecture, a);
    }

    /** Width of the generator's own image (imgResolution, or imgResolution / 2 for {@link Aspect#HALF_WIDTH}). */
    public int imgWidth() { return aspect.width(imgResolution); }

    public GeneratorConfig {
        if (aspect == null) throw new IllegalArgumentException("GeneratorConfig: aspect is null");
        if (zDim <= 0 || wDim <= 0) throw new IllegalArgumentException("GeneratorConfig: zDim " + zDim + " and wDim " + wDim + " must be positive");
        if (cDim < 0) throw new IllegalArgumentException("GeneratorConfig: cDim " + cDim + " must be >= 0");
        if (imgResolution < 4 || Integer.bitCount(imgResolution) != 1) {
            throw new IllegalArgumentException("GeneratorConfig: imgResolution " + imgResolution + " must be a power of two >= 4");
        }
        if (imgChannels <= 0) throw new IllegalArgumentException("GeneratorConfig: imgChannels " + imgChannels + " must be positive");
        if (mappingLayers <= 0) throw new IllegalArgumentException("GeneratorConfig: mappingLayers " + mappingLayers + " must be positive");
        if (!(mappingLrMultiplier > 0) || Double.isInfinite(mappingLrMultiplier)) {
            throw new IllegalArgumentException("GeneratorConfig: mappingLrMultiplier " + mappingLrMultiplier + " must be positive and finite");
        }
        if (channelBase <= 0 || channelMax <= 0) {
            throw new IllegalArgumentException("GeneratorConfig: channelBase " + channelBase + " and channelMax " + channelMax + " must be positive");
        }
        if (convClamp != null && !(convClamp > 0)) throw new IllegalArgumentException("GeneratorConfig: convClamp " + convClamp + " must be positive or null");
        if (numFp16Res < 0) throw new IllegalArgumentException("GeneratorConfig: numFp16Res " + numFp16Res + " must be >= 0");
        if (architecture == null) throw new IllegalArgumentException("GeneratorConfig: architecture is null");
    }

    /** log2 of the resolution. */
    public int resolutionLog2() { return Integer.numberOfTrailingZeros(imgResolution); }

    /** Number of w rows the synthesis network reads: 2 * log2(res) - 2. */
    public int numWs() { return 2 * resolutionLog2() - 2; }

    /** The synthesis blocks' resolutions: 4, 8, ..., imgResolution. */
    public int[] blockResolutions() {
        int[] r = new int[resolutionLog2() - 1];
        for (int i = 0; i < r.length; i++) r[i] = 4 << i;
        return r;
    }

    /** Feature channels of the block at resolution res: min(channelBase / res, channelMax) (integer division). */
    public int channels(int res) { return Math.min(channelBase / res, channelMax); }

    /**
     * Every tensor a skip-architecture StyleGAN2 generator with this config needs, in NVlabs naming, with its shape
     * (a 0-dimensional tensor has shape []); for {@link Aspect#HALF_WIDTH} {@code const} and
     * every {@code noise_const} are half as wide. Resample filters are not listed: they are optional buffers (see
     * {@link Checkpoint#params()}).
     */
    public Map<String, int[]> requiredShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int i = 0; i < mappingLayers; i++) {
            int in = i == 0 ? zDim : wDim;
            m.put("mapping.fc" + i + ".weight", new int[] {wDim, in});
            m.put("mapping.fc" + i + ".bias", new int[] {wDim});
        }
        m.put("mapping.w_avg", new int[] {wDim});
        int prev = 0;
        for (int res : blockResolutions()) {
            int c = channels(res);
            String b = "synthesis.b" + res + ".";
            if (res == 4) {
                m.put(b + "const", new int[] {c, 4, aspect.width(4)});
                layer(m, b + "conv1.", c, c, res);
            } else {
                layer(m, b + "conv0.", prev, c, res);
                layer(m, b + "conv1.", c, c, res);
            }
            m.put(b + "torgb.weight", new int[] {imgChannels, c, 1, 1});
            m.put(b + "torgb.bias", new int[] {imgChannels});
            m.put(b + "torgb.affine.weight", new int[] {c, wDim});
            m.put(b + "torgb.affine.bias", new int[] {c});
            prev = c;
        }
        return m;
    }

    private void layer(Map<String, int[]> m, String p, int in, int out, int res) {
        m.put(p + "weight", new int[] {out, in, 3, 3});
        m.put(p + "bias", new int[] {out});
        m.put(p + "affine.weight", new int[] {in, wDim});
        m.put(p + "affine.bias", new int[] {in});
        m.put(p + "noise_strength", new int[] {});
        m.put(p + "noise_const", new int[] {res, aspect.width(res)});
    }

    @Override public String toString() {
        return "GeneratorConfig[z_dim=" + zDim + ", w_dim=" + wDim + ", c_dim=" + cDim + ", img_resolution=" + imgResolution
                + ", img_channels=" + imgChannels + ", mapping num_layers=" + mappingLayers + ", mapping lr_multiplier="
                + mappingLrMultiplier + ", channel_base=" + channelBase + ", channel_max=" + channelMax + ", conv_clamp="
                + convClamp + ", num_fp16_res=" + numFp16Res + ", architecture=" + architecture + (aspect == Aspect.SQUARE ? "" : ", aspect=" + aspect.fileName()) + ", blocks="
                + Arrays.toString(blockResolutions()) + "]";
    }
}
