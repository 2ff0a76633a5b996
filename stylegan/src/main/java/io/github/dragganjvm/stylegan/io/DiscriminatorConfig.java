package io.github.dragganjvm.stylegan.io;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hyper-parameters of a StyleGAN2 discriminator, NVlabs stylegan2-ada-pytorch {@code training/networks.py}
 * {@code Discriminator} (with its {@code DiscriminatorBlock}s, {@code DiscriminatorEpilogue} and
 * {@code MinibatchStdLayer}), architecture "resnet":
 *
 * <pre>
 * img [N, img_channels, R, R]
 *   b{R}:  x = fromrgb(img)                                      1x1 conv, lrelu
 *   b{r}, r = R, R/2, ..., 8:
 *          y = skip(x)                                           1x1 conv, down 2, no bias, linear, gain sqrt(1/2)
 *          x = conv1(conv0(x)); x = y + x                        3x3 lrelu; 3x3 down 2, lrelu, gain sqrt(1/2)
 *   b4:    x = mbstd(x); x = conv(x); x = fc(flatten(x)); out(x)  [N, C4+F, 4, 4] -> [N, C4] -> [N, 1]
 * </pre>
 * Channels of block r (and of the epilogue, r = 4): {@code min(channel_base / r, channel_max)} (integer division).
 * Block b{r} maps channels(r) to channels(r / 2). Only what our port computes is accepted: unconditional
 * ({@code c_dim} 0) and the resnet architecture; anything else is refused with a message saying so.
 *
 * @param cDim             conditioning label size; must be 0
 * @param imgResolution    input height = width, a power of two >= 8 (NVlabs' resnet D has no block at 4: its
 *                         epilogue needs a block's features)
 * @param imgChannels      input channels (3 for RGB)
 * @param architecture     must be "resnet" (the NVlabs default)
 * @param channelBase      see above (NVlabs default 32768)
 * @param channelMax       see above (NVlabs default 512)
 * @param mbstdGroupSize   minibatch-std group size G (the layer uses min(G, N)); null = the whole minibatch (NVlabs
 *                         None). NVlabs default 4
 * @param mbstdNumChannels minibatch-std features F appended to the epilogue's input (0 = no mbstd layer). Default 1
 * @param convClamp        clamp of the conv layers' activations to +-convClamp (times the layer's gain), or null for
 *                         none (the skip layers and the FCs never clamp, as in NVlabs). Default null
 * @param numFp16Res       how many of the highest resolutions NVlabs ran in fp16 (recorded only: we compute in the
 *                         parameters' dtype). Default 0
 */
public record DiscriminatorConfig(int cDim, int imgResolution, int imgChannels, String architecture, int channelBase,
                                  int channelMax, Integer mbstdGroupSize, int mbstdNumChannels, Double convClamp,
                                  int numFp16Res) {

    /** NVlabs {@code Discriminator} default channel_base. */
    public static final int DEFAULT_CHANNEL_BASE = 32768;
    /** NVlabs {@code Discriminator} default channel_max. */
    public static final int DEFAULT_CHANNEL_MAX = 512;
    /** NVlabs {@code DiscriminatorEpilogue} default mbstd_group_size. */
    public static final int DEFAULT_MBSTD_GROUP_SIZE = 4;
    /** NVlabs {@code DiscriminatorEpilogue} default mbstd_num_channels. */
    public static final int DEFAULT_MBSTD_NUM_CHANNELS = 1;
    /** The only architecture supported (NVlabs' default). */
    public static final String RESNET = "resnet";

    public DiscriminatorConfig {
        if (cDim != 0) {
            throw new IllegalArgumentException("DiscriminatorConfig: c_dim is " + cDim + "; only unconditional discriminators (c_dim 0) are supported");
        }
        if (imgResolution < 8 || Integer.bitCount(imgResolution) != 1) {
            throw new IllegalArgumentException("DiscriminatorConfig: img_resolution " + imgResolution + " must be a power of two >= 8"
                    + " (the resnet discriminator's epilogue at 4x4 needs at least one block before it)");
        }
        if (imgChannels <= 0) throw new IllegalArgumentException("DiscriminatorConfig: img_channels " + imgChannels + " must be positive");
        if (!RESNET.equals(architecture)) {
            throw new IllegalArgumentException("DiscriminatorConfig: architecture " + (architecture == null ? "null" : "'" + architecture + "'")
                    + " is not supported; only '" + RESNET + "' (the NVlabs default) is implemented");
        }
        if (channelBase <= 0 || channelMax <= 0) {
            throw new IllegalArgumentException("DiscriminatorConfig: channel_base " + channelBase + " and channel_max " + channelMax + " must be positive");
        }
        if (channelBase / imgResolution < 1) {
            throw new IllegalArgumentException("DiscriminatorConfig: channel_base " + channelBase + " / img_resolution " + imgResolution
                    + " gives 0 channels in the top block; channel_base must be >= img_resolution");
        }
        if (mbstdGroupSize != null && mbstdGroupSize <= 0) {
            throw new IllegalArgumentException("DiscriminatorConfig: mbstd_group_size " + mbstdGroupSize + " must be positive (or null: the whole minibatch)");
        }
        if (mbstdNumChannels < 0) throw new IllegalArgumentException("DiscriminatorConfig: mbstd_num_channels " + mbstdNumChannels + " must be >= 0");
        int c4 = Math.min(channelBase / 4, channelMax);
        if (mbstdNumChannels > 0 && c4 % mbstdNumChannels != 0) {
            throw new IllegalArgumentException("DiscriminatorConfig: mbstd_num_channels " + mbstdNumChannels + " must divide the epilogue's "
                    + c4 + " channels");
        }
        if (convClamp != null && !(convClamp > 0 && !convClamp.isInfinite())) {
            throw new IllegalArgumentException("DiscriminatorConfig: conv_clamp " + convClamp + " must be positive and finite, or null");
        }
        if (numFp16Res < 0) throw new IllegalArgumentException("DiscriminatorConfig: num_fp16_res " + numFp16Res + " must be >= 0");
    }

    /** NVlabs' defaults for everything but the image geometry and the widths. */
    public static DiscriminatorConfig of(int imgResolution, int imgChannels, int channelBase, int channelMax) {
        return new DiscriminatorConfig(0, imgResolution, imgChannels, RESNET, channelBase, channelMax,
                DEFAULT_MBSTD_GROUP_SIZE, DEFAULT_MBSTD_NUM_CHANNELS, null, 0);
    }

    /** NVlabs' defaults throughout (channel_base 32768, channel_max 512, mbstd 4 / 1, no clamp). */
    public static DiscriminatorConfig defaults(int imgResolution, int imgChannels) {
        return of(imgResolution, imgChannels, DEFAULT_CHANNEL_BASE, DEFAULT_CHANNEL_MAX);
    }

    /** The same with another minibatch-std setting. */
    public DiscriminatorConfig withMbstd(Integer groupSize, int numChannels) {
        return new DiscriminatorConfig(cDim, imgResolution, imgChannels, architecture, channelBase, channelMax, groupSize, numChannels, convClamp, numFp16Res);
    }

    /** The same with another conv clamp (null: none). */
    public DiscriminatorConfig withConvClamp(Double clamp) {
        return new DiscriminatorConfig(cDim, imgResolution, imgChannels, architecture, channelBase, channelMax, mbstdGroupSize, mbstdNumChannels, clamp, numFp16Res);
    }

    /** log2 of the resolution. */
    public int resolutionLog2() { return Integer.numberOfTrailingZeros(imgResolution); }

    /** The blocks' resolutions in forward order: R, R/2, ..., 8 (the epilogue b4 follows). */
    public int[] blockResolutions() {
        int[] r = new int[resolutionLog2() - 2];
        for (int i = 0; i < r.length; i++) r[i] = imgResolution >> i;
        return r;
    }

    /** Feature channels at resolution res (blocks and the epilogue, res = 4): min(channelBase / res, channelMax). */
    public int channels(int res) { return Math.min(channelBase / res, channelMax); }

    /** The minibatch-std group used for a batch of n: min(mbstdGroupSize, n), or n when the size is null. */
    public int mbstdGroup(int n) { return mbstdGroupSize == null ? n : Math.min(mbstdGroupSize, n); }

    /**
     * Every parameter of this discriminator, NVlabs module paths (no {@code D.} prefix) in NVlabs' registration
     * order, with its shape. Per block b{r} (C = channels(r), C' = channels(r / 2)): the top block's
     * {@code fromrgb.weight [C, img_channels, 1, 1]}, {@code fromrgb.bias [C]}; then {@code conv0.weight [C, C, 3, 3]},
     * {@code conv0.bias [C]}, {@code conv1.weight [C', C, 3, 3]}, {@code conv1.bias [C']},
     * {@code skip.weight [C', C, 1, 1]}. Epilogue (C = channels(4), F = mbstd channels):
     * {@code b4.conv.weight [C, C + F, 3, 3]}, {@code b4.conv.bias [C]}, {@code b4.fc.weight [C, 16 C]},
     * {@code b4.fc.bias [C]}, {@code b4.out.weight [1, C]}, {@code b4.out.bias [1]}. Buffers (the resample filters)
     * are not listed: the port uses the fixed [1,3,3,1] filter and the loader checks that the file's are that.
     */
    public Map<String, int[]> requiredShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int r : blockResolutions()) {
            int c = channels(r), out = channels(r / 2);
            String b = "b" + r + ".";
            if (r == imgResolution) {
                m.put(b + "fromrgb.weight", new int[] {c, imgChannels, 1, 1});
                m.put(b + "fromrgb.bias", new int[] {c});
            }
            m.put(b + "conv0.weight", new int[] {c, c, 3, 3});
            m.put(b + "conv0.bias", new int[] {c});
            m.put(b + "conv1.weight", new int[] {out, c, 3, 3});
            m.put(b + "conv1.bias", new int[] {out});
            m.put(b + "skip.weight", new int[] {out, c, 1, 1});
        }
        int c = channels(4);
        m.put("b4.conv.weight", new int[] {c, c + mbstdNumChannels, 3, 3});
        m.put("b4.conv.bias", new int[] {c});
        m.put("b4.fc.weight", new int[] {c, c * 16});
        m.put("b4.fc.bias", new int[] {c});
        m.put("b4.out.weight", new int[] {1, c});
        m.put("b4.out.bias", new int[] {1});
        return m;
    }

    @Override public String toString() {
        return "DiscriminatorConfig[c_dim=" + cDim + ", img_resolution=" + imgResolution + ", img_channels=" + imgChannels
                + ", architecture=" + architecture + ", channel_base=" + channelBase + ", channel_max=" + channelMax
                + ", mbstd_group_size=" + mbstdGroupSize + ", mbstd_num_channels=" + mbstdNumChannels + ", conv_clamp=" + convClamp
                + ", num_fp16_res=" + numFp16Res + ", blocks=" + Arrays.toString(blockResolutions()) + " + b4]";
    }
}
