package io.github.dragganjvm.drag;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;

/**
 * The feature map F of the reference: a synthesis block's output [1, C, hb, hb] resized to the image size
 * h x h with bilinear interpolation, align_corners = False.
 *
 * <p>The loss and the tracker read F only around the handles, so {@link #window} computes just the requested
 * rectangle of the resized map, exactly: when h is an integer multiple k of hb, resizing a crop of the block
 * map that starts at source row a gives the global output rows from k*a on with the same sample positions and
 * weights (the scale is 1/k either way); a one-pixel source margin keeps the crop's edge clamping away from the
 * rows we keep. {@link #full()} makes (and caches) the whole resized map, which the mask term needs.
 * With {@code direct == false} every read goes through the full map (the straightforward path).
 */
public final class FeatureMap {
    private final Var block;     // [1, C, hb, hb]
    private final int h;
    private final boolean direct;
    private Var full;

    public FeatureMap(Var block, int imageSize, boolean direct) {
        int[] s = block.shape();
        if (s.length != 4 || s[0] != 1 || s[2] != s[3]) throw new IllegalArgumentException("FeatureMap: block must be [1, C, hb, hb] but is " + java.util.Arrays.toString(s));
        if (imageSize < s[2]) throw new IllegalArgumentException("FeatureMap: image size " + imageSize + " is smaller than the block " + s[2]);
        this.block = block;
        this.h = imageSize;
        this.direct = direct && imageSize % s[2] == 0;
        if (!this.direct) full();
    }

    /** Image size h (the resized map is h x h). */
    public int size() { return h; }

    /** Channels C. */
    public int channels() { return block.shape()[1]; }

    /** The block output this map resizes. */
    public Var block() { return block; }

    /** The whole resized map [1, C, h, h] (made once). */
    public Var full() {
        if (full == null) {
            int hb = block.shape()[2];
            full = hb == h ? block : ResampleOps.resizeBilinear(block, h, h, false);
        }
        return full;
    }

    /** Rows y0..y1-1 and columns x0..x1-1 of the resized map, [1, C, y1-y0, x1-x0]; the window must lie inside h x h. */
    public Var window(int y0, int y1, int x0, int x1) {
        if (y0 < 0 || x0 < 0 || y1 > h || x1 > h || y0 >= y1 || x0 >= x1) {
            throw new IllegalArgumentException("FeatureMap.window: rows [" + y0 + ", " + y1 + ") columns [" + x0 + ", " + x1 + ") outside the " + h + "x" + h + " map");
        }
        if (!direct || full != null) return crop(full(), y0, y1, x0, x1);
        int hb = block.shape()[2], k = h / hb;
        if (k == 1) return crop(block, y0, y1, x0, x1);
        int[] rows = sourceRange(y0, y1, k, hb), cols = sourceRange(x0, x1, k, hb);
        Var src = crop(block, rows[0], rows[1], cols[0], cols[1]);
        Var up = ResampleOps.resizeBilinear(src, k * (rows[1] - rows[0]), k * (cols[1] - cols[0]), false);
        return crop(up, y0 - k * rows[0], y1 - k * rows[0], x0 - k * cols[0], x1 - k * cols[0]);
    }

    /** Source rows [a, b) whose k-fold resize covers outputs [o0, o1) exactly (one-pixel margin each side). */
    static int[] sourceRange(int o0, int o1, int k, int hb) {
        double s0 = (o0 + 0.5) / k - 0.5, s1 = (o1 - 1 + 0.5) / k - 0.5;
        int a = Math.max(0, (int) Math.floor(s0) - 1);
        int b = Math.min(hb, (int) Math.ceil(s1) + 2);
        return new int[]{a, b};
    }

    private static Var crop(Var x, int y0, int y1, int x0, int x1) {
        int[] s = x.shape();
        if (y0 == 0 && x0 == 0 && y1 == s[2] && x1 == s[3]) return x;
        return ShapeOps.sliceView(ShapeOps.sliceView(x, 2, y0, y1), 3, x0, x1);
    }
}
