package io.github.dragganjvm.stylegan.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hyper-parameters of a StyleGAN3 generator (NVlabs stylegan3 / DragGAN {@code training/networks_stylegan3.py},
 * configs T and R), as read from a checkpoint, and the layer schedule they imply ({@link #layers()}): the reference's
 * {@code SynthesisNetwork.__init__} arithmetic, in float64 as NumPy does it.
 *
 * <pre>
 * f_c[i] = firstCutoff * (res/2 / firstCutoff)^e_i,  f_t[i] = firstStopband * (res/2 * lastStopbandRel / firstStopband)^e_i,
 *   e_i = min(i / (numLayers - numCritical), 1),  i = 0..numLayers
 * s[i] = 2^ceil(log2(min(2 f_t[i], res)));  f_h[i] = max(f_t[i], s[i]/2) - f_c[i]
 * size[i] = s[i] + 2 marginSize (the last two: res);  channels[i] = rint(min(channelBase/2 / f_c[i], channelMax)) (the last: imgChannels)
 * layer i (L{i}_{size}_{channels}) maps layer i-1 (the Fourier input for i = 0) to i; tmp rate = max(s_in, s_out) * (ToRGB ? 1 : lreluUpsampling)
 * up = tmp / s_in, down = tmp / s_out, taps = filterSize * factor (1 when the factor is 1 or for ToRGB)
 * padding: total = (size_out - 1) down + 1 - (size_in + k - 1) up + upTaps + downTaps - 2; lo = (total + up) / 2, hi = total - lo
 * </pre>
 *
 * @param zDim                latent z size
 * @param wDim                intermediate latent size
 * @param imgResolution       output height = width (a power of two >= 16)
 * @param imgChannels         output channels
 * @param mappingLayers       fully connected layers of the mapping network
 * @param mappingLrMultiplier the mapping's learning-rate multiplier (as in {@link GeneratorConfig})
 * @param channelBase         channels[i] = rint(min(channelBase / 2 / f_c[i], channelMax))
 * @param channelMax          see channelBase
 * @param numLayers           synthesis layers excluding the Fourier input and ToRGB (14)
 * @param numCritical         critically sampled layers at the end (2)
 * @param firstCutoff         f_c of the first layer (2)
 * @param firstStopband       f_t of the first layer (2^2.1)
 * @param lastStopbandRel     the last layer's f_t relative to its cutoff (2^0.3)
 * @param marginSize          pixels outside the image on each side (10)
 * @param outputScale         factor of the image (0.25)
 * @param convKernel          kernel of the synthesis convolutions (3 for T, 1 for R); ToRGB's is 1
 * @param filterSize          low-pass filter length relative to the lower rate (6)
 * @param lreluUpsampling     relative sampling rate of the leaky ReLU (2)
 * @param useRadialFilters    radially symmetric (2-D) down filters in the non-critical layers (R)
 * @param convClamp           clamp of every layer's output, or null for none
 * @param numFp16Res          recorded only (we compute in float32, as the reference does on CPU)
 */
public record StyleGan3Config(int zDim, int wDim, int imgResolution, int imgChannels, int mappingLayers, double mappingLrMultiplier,
                              int channelBase, int channelMax, int numLayers, int numCritical, double firstCutoff, double firstStopband,
                              double lastStopbandRel, int marginSize, double outputScale, int convKernel, int filterSize, int lreluUpsampling,
                              boolean useRadialFilters, Double convClamp, int numFp16Res) {

    /** The reference SynthesisNetwork's defaults (used when a checkpoint's kwargs leave one out). */
    public static final int DEFAULT_NUM_LAYERS = 14, DEFAULT_NUM_CRITICAL = 2, DEFAULT_MARGIN = 10, DEFAULT_FILTER_SIZE = 6,
            DEFAULT_LRELU_UPSAMPLING = 2, DEFAULT_CONV_KERNEL = 3;
    public static final double DEFAULT_FIRST_CUTOFF = 2, DEFAULT_FIRST_STOPBAND = Math.pow(2, 2.1), DEFAULT_LAST_STOPBAND_REL = Math.pow(2, 0.3),
            DEFAULT_OUTPUT_SCALE = 0.25;

    public StyleGan3Config {
        if (zDim <= 0 || wDim <= 0) throw new IllegalArgumentException("StyleGan3Config: zDim " + zDim + " and wDim " + wDim + " must be positive");
        if (imgResolution < 16 || Integer.bitCount(imgResolution) != 1) {
            throw new IllegalArgumentException("StyleGan3Config: imgResolution " + imgResolution + " must be a power of two >= 16");
        }
        if (imgChannels <= 0 || mappingLayers <= 0) throw new IllegalArgumentException("StyleGan3Config: imgChannels " + imgChannels + " and mappingLayers " + mappingLayers + " must be positive");
        if (!(mappingLrMultiplier > 0) || Double.isInfinite(mappingLrMultiplier)) throw new IllegalArgumentException("StyleGan3Config: mappingLrMultiplier " + mappingLrMultiplier + " must be positive and finite");
        if (channelBase <= 0 || channelMax <= 0) throw new IllegalArgumentException("StyleGan3Config: channelBase " + channelBase + " and channelMax " + channelMax + " must be positive");
        if (numLayers < 2 || numLayers > 64 || numCritical < 0 || numCritical >= numLayers) {
            throw new IllegalArgumentException("StyleGan3Config: numLayers " + numLayers + " must be in [2, 64] and numCritical " + numCritical + " in [0, numLayers)");
        }
        if (!(firstCutoff > 0) || !(firstStopband > 0) || !(lastStopbandRel > 0) || Double.isInfinite(firstCutoff) || Double.isInfinite(firstStopband) || Double.isInfinite(lastStopbandRel)) {
            throw new IllegalArgumentException("StyleGan3Config: firstCutoff, firstStopband and lastStopbandRel must be positive and finite");
        }
        if (marginSize < 0 || marginSize > 1024) throw new IllegalArgumentException("StyleGan3Config: marginSize " + marginSize + " must be in [0, 1024]");
        if (!Double.isFinite(outputScale)) throw new IllegalArgumentException("StyleGan3Config: outputScale must be finite");
        if (convKernel < 1 || convKernel > 7 || filterSize < 1 || filterSize > 64 || lreluUpsampling < 1 || lreluUpsampling > 8) {
            throw new IllegalArgumentException("StyleGan3Config: convKernel " + convKernel + " (1..7), filterSize " + filterSize + " (1..64), lreluUpsampling "
                    + lreluUpsampling + " (1..8) out of range");
        }
        if (convClamp != null && !(convClamp > 0)) throw new IllegalArgumentException("StyleGan3Config: convClamp " + convClamp + " must be positive or null");
        if (numFp16Res < 0) throw new IllegalArgumentException("StyleGan3Config: numFp16Res must be >= 0");
    }

    /** w rows the synthesis reads: the Fourier input, then one per layer: numLayers + 2. */
    public int numWs() { return numLayers + 2; }

    /** The Fourier input: channels, size (margin included), sampling rate and bandwidth (= f_c[0]). */
    public record InputSpec(int channels, int size, double samplingRate, double bandwidth) {}

    /**
     * One synthesis layer as the reference builds it.
     *
     * @param name      {@code L{i}_{outSize}_{outChannels}}
     * @param padding   {x0, x1, y0, y1} of the filtered leaky ReLU's up-sampling
     * @param upTaps    1 means no up filter (None)
     * @param downTaps  1 means no down filter (None)
     * @param downRadial the down filter is a 2-D [taps, taps] radial filter
     */
    public record LayerSpec(String name, int index, boolean torgb, boolean criticallySampled, int inChannels, int outChannels, int inSize, int outSize,
                            int inSamplingRate, int outSamplingRate, int kernel, int up, int down, int upTaps, int downTaps, boolean downRadial,
                            int[] padding) {}

    private double[][] schedule() {
        int n = numLayers;
        double lastCutoff = imgResolution / 2.0, lastStopband = lastCutoff * lastStopbandRel;
        double[] cut = new double[n + 1], stop = new double[n + 1], rate = new double[n + 1], half = new double[n + 1], size = new double[n + 1], ch = new double[n + 1];
        for (int i = 0; i <= n; i++) {
            double e = Math.min((double) i / (n - numCritical), 1);
            cut[i] = firstCutoff * Math.pow(lastCutoff / firstCutoff, e);
            stop[i] = firstStopband * Math.pow(lastStopband / firstStopband, e);
            rate[i] = Math.pow(2, Math.ceil(log2(Math.min(stop[i] * 2, imgResolution))));
            half[i] = Math.max(stop[i], rate[i] / 2) - cut[i];
            size[i] = rate[i] + marginSize * 2;
            ch[i] = Math.rint(Math.min(channelBase / 2.0 / cut[i], channelMax));
        }
        size[n] = size[n - 1] = imgResolution;
        ch[n] = imgChannels;
        return new double[][] {cut, rate, size, ch};
    }

    private static double log2(double v) { return Math.log(v) / Math.log(2); }

    /** The Fourier input layer's shape. */
    public InputSpec input() {
        double[][] s = schedule();
        return new InputSpec((int) s[3][0], (int) s[2][0], s[1][0], s[0][0]);
    }

    /** The numLayers + 1 synthesis layers (the last is ToRGB). */
    public List<LayerSpec> layers() {
        double[][] s = schedule();
        double[] rate = s[1], size = s[2], ch = s[3];
        List<LayerSpec> out = new ArrayList<>();
        for (int i = 0; i <= numLayers; i++) {
            int prev = Math.max(i - 1, 0);
            boolean torgb = i == numLayers, critical = i >= numLayers - numCritical;
            int inRate = (int) rate[prev], outRate = (int) rate[i];
            int tmp = Math.max(inRate, outRate) * (torgb ? 1 : lreluUpsampling);
            int up = tmp / inRate, down = tmp / outRate;
            if (up * inRate != tmp || down * outRate != tmp) throw new IllegalArgumentException("StyleGan3Config: layer " + i + " sampling rates " + inRate + " -> " + outRate + " are not integer factors of " + tmp);
            int k = torgb ? 1 : convKernel;
            int upTaps = up > 1 && !torgb ? filterSize * up : 1, downTaps = down > 1 && !torgb ? filterSize * down : 1;
            int inSize = (int) size[prev], outSize = (int) size[i];
            int total = (outSize - 1) * down + 1 - (inSize + k - 1) * up + upTaps + downTaps - 2;
            int lo = Math.floorDiv(total + up, 2), hi = total - lo;
            int inCh = (int) ch[prev], outCh = (int) ch[i];
            out.add(new LayerSpec("L" + i + "_" + outSize + "_" + outCh, i, torgb, critical, inCh, outCh, inSize, outSize, inRate, outRate, k, up, down,
                    upTaps, downTaps, useRadialFilters && !critical && downTaps > 1, new int[] {lo, hi, lo, hi}));
        }
        return out;
    }

    /**
     * Every tensor of this generator in NVlabs naming with its shape: the mapping (as StyleGAN2's); the Fourier input's
     * {@code synthesis.input.weight [C, C]}, {@code .affine.weight [4, w_dim]}, {@code .affine.bias [4]},
     * {@code .transform [3, 3]}, {@code .freqs [C, 2]}, {@code .phases [C]}; per layer {@code synthesis.L...}:
     * {@code weight [O, I, k, k]}, {@code bias [O]}, {@code magnitude_ema []}, {@code affine.weight [I, w_dim]},
     * {@code affine.bias [I]}, {@code up_filter [upTaps]}, {@code down_filter [downTaps]} (radial: [downTaps, downTaps]);
     * a filter of one tap is absent (the reference's None).
     */
    public Map<String, int[]> requiredShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int i = 0; i < mappingLayers; i++) {
            m.put("mapping.fc" + i + ".weight", new int[] {wDim, i == 0 ? zDim : wDim});
            m.put("mapping.fc" + i + ".bias", new int[] {wDim});
        }
        m.put("mapping.w_avg", new int[] {wDim});
        int c = input().channels();
        m.put("synthesis.input.weight", new int[] {c, c});
        m.put("synthesis.input.affine.weight", new int[] {4, wDim});
        m.put("synthesis.input.affine.bias", new int[] {4});
        m.put("synthesis.input.transform", new int[] {3, 3});
        m.put("synthesis.input.freqs", new int[] {c, 2});
        m.put("synthesis.input.phases", new int[] {c});
        for (LayerSpec l : layers()) {
            String p = "synthesis." + l.name() + ".";
            m.put(p + "weight", new int[] {l.outChannels(), l.inChannels(), l.kernel(), l.kernel()});
            m.put(p + "bias", new int[] {l.outChannels()});
            m.put(p + "magnitude_ema", new int[] {});
            m.put(p + "affine.weight", new int[] {l.inChannels(), wDim});
            m.put(p + "affine.bias", new int[] {l.inChannels()});
            if (l.upTaps() > 1) m.put(p + "up_filter", new int[] {l.upTaps()});
            if (l.downTaps() > 1) m.put(p + "down_filter", l.downRadial() ? new int[] {l.downTaps(), l.downTaps()} : new int[] {l.downTaps()});
        }
        return m;
    }

    @Override public String toString() {
        List<String> names = new ArrayList<>();
        for (LayerSpec l : layers()) names.add(l.name());
        return "StyleGan3Config[z_dim=" + zDim + ", w_dim=" + wDim + ", img_resolution=" + imgResolution + ", img_channels=" + imgChannels
                + ", mapping num_layers=" + mappingLayers + ", mapping lr_multiplier=" + mappingLrMultiplier + ", channel_base=" + channelBase
                + ", channel_max=" + channelMax + ", num_layers=" + numLayers + ", num_critical=" + numCritical + ", margin_size=" + marginSize
                + ", output_scale=" + outputScale + ", conv_kernel=" + convKernel + ", use_radial_filters=" + useRadialFilters + ", conv_clamp=" + convClamp
                + ", layers=" + names + "]";
    }
}
