package io.github.dragganjvm.training.keypoints;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of a {@link KeypointDetector}: image side, the four encoder widths and the heatmap side. Written into a
 * saved detector as one line ({@link #describe()}) and parsed back ({@link #parse(String)}), so a file says exactly
 * which network its tensors belong to.
 *
 * <p>The network (all convolutions 3 x 3 with padding 1 unless said; "act" = leaky ReLU, slope
 * {@value KeypointDetector#LRELU_ALPHA}, after adding the bias):
 * <pre>
 *   encoder, level l = 0..3 (side R / 2^(l+1)):  x = act(conv_stride2(x, enc{l}.down) + b);  x = act(conv(x, enc{l}.conv) + b);  skip_l = x
 *   decoder, level l = 2 down to the heatmap level L:
 *                                               x = bilinear_x2(conv1x1(x, dec{l}.proj)) + skip_l;  x = act(conv(x, dec{l}.conv) + b)
 *   head:                                       h = conv1x1(x, head) + b        [N, K, S, S], S = the heatmap side = R / 2^(L+1)
 *   soft-argmax:                                p = softmax of h over its S*S cells;  (x, y)_k = sum_cells p * cell centre
 * </pre>
 * A cell (i, j) of the S x S heatmap covers the s x s pixels (s = R / S) whose centre is
 * {@code ((j + 0.5) s - 0.5, (i + 0.5) s - 0.5)}; the predictions are in pixel coordinates (x = column, y = row,
 * pixel centres at integers).
 *
 * @param resolution image side R in pixels: a multiple of 16, at least 16
 * @param widths     channels of encoder levels 0..3 (each >= 1); decoder level l has widths[l] channels
 * @param heatmap    heatmap side S: R/2, R/4 or R/8 (heatmap level L = 0, 1 or 2)
 */
public record DetectorArchitecture(int resolution, int[] widths, int heatmap) {
    /** Encoder levels (stride-2 stages). */
    public static final int LEVELS = 4;
    /** The name and version that {@link #describe()} starts with. */
    public static final String KIND = "unet4-softargmax-v1";

    private static final Pattern DESCRIPTION = Pattern.compile(
            Pattern.quote(KIND) + " resolution=(\\d{1,5}) widths=(\\d{1,4}),(\\d{1,4}),(\\d{1,4}),(\\d{1,4}) heatmap=(\\d{1,5})");

    public DetectorArchitecture {
        if (resolution < 16 || resolution % 16 != 0) {
            throw new IllegalArgumentException("DetectorArchitecture: resolution must be a multiple of 16, at least 16, but is " + resolution);
        }
        if (widths == null || widths.length != LEVELS) {
            throw new IllegalArgumentException("DetectorArchitecture: expected " + LEVELS + " widths but got " + (widths == null ? "null" : Arrays.toString(widths)));
        }
        for (int w : widths) if (w < 1) throw new IllegalArgumentException("DetectorArchitecture: widths must be >= 1 but are " + Arrays.toString(widths));
        widths = widths.clone();
        if (heatmap != resolution / 2 && heatmap != resolution / 4 && heatmap != resolution / 8) {
            throw new IllegalArgumentException("DetectorArchitecture: heatmap side must be resolution/2, /4 or /8 (" + resolution / 2 + ", "
                    + resolution / 4 + ", " + resolution / 8 + ") but is " + heatmap);
        }
    }

    /** The architecture of the shipped toy-faces detector: 64 px, widths 16, 32, 48, 64, a 32 x 32 heatmap. */
    public static DetectorArchitecture toyFaces64() { return new DetectorArchitecture(64, new int[]{16, 32, 48, 64}, 32); }

    @Override public int[] widths() { return widths.clone(); }

    /** Channels of encoder (and decoder) level l. */
    public int width(int level) { return widths[level]; }

    /** The decoder level whose output the head reads: heatmap side = resolution / 2^(level + 1). */
    public int heatmapLevel() { return Integer.numberOfTrailingZeros(resolution / heatmap) - 1; }

    /** Pixels per heatmap cell along each axis. */
    public int cellSize() { return resolution / heatmap; }

    /** Side of encoder level l's feature maps. */
    public int side(int level) { return resolution >> (level + 1); }

    /** One line naming the network, e.g. {@code unet4-softargmax-v1 resolution=64 widths=16,32,48,64 heatmap=32}. */
    public String describe() {
        return KIND + " resolution=" + resolution + " widths=" + widths[0] + "," + widths[1] + "," + widths[2] + "," + widths[3] + " heatmap=" + heatmap;
    }

    /**
     * Parses {@link #describe()}'s line.
     *
     * @throws IllegalArgumentException naming what was expected when the line is not one this version wrote
     */
    public static DetectorArchitecture parse(String line) {
        Matcher m = line == null ? null : DESCRIPTION.matcher(line);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("DetectorArchitecture: unknown architecture '" + line + "'; this version reads only '" + KIND
                    + " resolution=R widths=a,b,c,d heatmap=S'");
        }
        int[] w = new int[LEVELS];
        for (int i = 0; i < LEVELS; i++) w[i] = Integer.parseInt(m.group(2 + i));
        return new DetectorArchitecture(Integer.parseInt(m.group(1)), w, Integer.parseInt(m.group(6)));
    }

    /**
     * Every parameter's name and shape, in forward order: {@code enc{l}.down.weight [w_l, w_{l-1}, 3, 3]} (w_{-1} = 3),
     * {@code enc{l}.down.bias [w_l]}, {@code enc{l}.conv.weight [w_l, w_l, 3, 3]}, {@code enc{l}.conv.bias},
     * {@code dec{l}.proj.weight [w_l, w_{l+1}, 1, 1]}, {@code dec{l}.conv.weight [w_l, w_l, 3, 3]}, {@code dec{l}.conv.bias},
     * {@code head.weight [K, w_L, 1, 1]}, {@code head.bias [K]}.
     *
     * @param keypoints K, the number of heatmaps
     */
    public Map<String, int[]> parameterShapes(int keypoints) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int in = 3;
        for (int l = 0; l < LEVELS; l++) {
            int w = widths[l];
            m.put("enc" + l + ".down.weight", new int[]{w, in, 3, 3});
            m.put("enc" + l + ".down.bias", new int[]{w});
            m.put("enc" + l + ".conv.weight", new int[]{w, w, 3, 3});
            m.put("enc" + l + ".conv.bias", new int[]{w});
            in = w;
        }
        for (int l = LEVELS - 2; l >= heatmapLevel(); l--) {
            int w = widths[l];
            m.put("dec" + l + ".proj.weight", new int[]{w, widths[l + 1], 1, 1});
            m.put("dec" + l + ".conv.weight", new int[]{w, w, 3, 3});
            m.put("dec" + l + ".conv.bias", new int[]{w});
        }
        m.put("head.weight", new int[]{keypoints, widths[heatmapLevel()], 1, 1});
        m.put("head.bias", new int[]{keypoints});
        return m;
    }

    @Override public boolean equals(Object o) {
        return o instanceof DetectorArchitecture a && a.resolution == resolution && Arrays.equals(a.widths, widths) && a.heatmap == heatmap;
    }

    @Override public int hashCode() { return 31 * (31 * resolution + Arrays.hashCode(widths)) + heatmap; }

    @Override public String toString() { return describe(); }
}
