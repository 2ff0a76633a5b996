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
 *
 * <p>The same argument lets the block itself be only a rectangle of the hb x hb map ({@link #windowed}, from a
 * synthesis of a window): a read needs only the source rows and columns {@link #sourceRange} names, so it is exact
 * whenever they lie inside the rectangle, and refused otherwise; {@link #full()} is refused.
 */
public final class FeatureMap {
    private final Var block;     // [1, C, bh, bw]: rows top.., columns left.. of the hb x hb block map
    private final int hb, top, left;
    private final int h;
    private final boolean direct;
    private Var full;

    public FeatureMap(Var block, int imageSize, boolean direct) {
        this(block, requireSquare(block), 0, 0, imageSize, direct);
    }

    private FeatureMap(Var block, int hb, int top, int left, int imageSize, boolean direct) {
        if (imageSize < hb) throw new IllegalArgumentException("FeatureMap: image size " + imageSize + " is smaller than the block " + hb);
        this.block = block;
        this.hb = hb;
        this.top = top;
        this.left = left;
        this.h = imageSize;
        this.direct = direct && imageSize % hb == 0;
        if (!this.direct) full();
    }

    /**
     * The map of a block of which only a rectangle was computed: {@code part} [1, C, bh, bw] holds rows top..top+bh-1
     * and columns left..left+bw-1 of the hb x hb block output. The image size must be a multiple of hb (the exact
     * windowed resize above).
     */
    public static FeatureMap windowed(Var part, int hb, int top, int left, int imageSize) {
        int[] s = part.shape();
        if (s.length != 4 || s[0] != 1) throw new IllegalArgumentException("FeatureMap.windowed: part must be [1, C, bh, bw] but is " + java.util.Arrays.toString(s));
        if (top < 0 || left < 0 || top + s[2] > hb || left + s[3] > hb) {
            throw new IllegalArgumentException("FeatureMap.windowed: rows [" + top + ", " + (top + s[2]) + ") and columns [" + left + ", " + (left + s[3]) + ") are not inside the " + hb + "x" + hb + " block");
        }
        if (imageSize % hb != 0) throw new IllegalArgumentException("FeatureMap.windowed: image size " + imageSize + " must be a multiple of the block's " + hb);
        return new FeatureMap(part, hb, top, left, imageSize, true);
    }

    private static int requireSquare(Var block) {
        int[] s = block.shape();
        if (s.length != 4 || s[0] != 1 || s[2] != s[3]) throw new IllegalArgumentException("FeatureMap: block must be [1, C, hb, hb] but is " + java.util.Arrays.toString(s));
        return s[2];
    }

    /** Whether the block holds only a rectangle of its map ({@link #windowed}). */
    public boolean isWindowed() { return block.shape()[2] != hb || block.shape()[3] != hb; }

    /** Image size h (the resized map is h x h). */
    public int size() { return h; }

    /** Channels C. */
    public int channels() { return block.shape()[1]; }

    /** The block output this map resizes (for a {@link #windowed} map, the rectangle it holds). */
    public Var block() { return block; }

    /** The whole resized map [1, C, h, h] (made once); refused for a {@link #windowed} map. */
    public Var full() {
        if (full == null) {
            if (isWindowed()) throw new IllegalStateException("FeatureMap.full: this map holds only rows [" + top + ", " + (top + block.shape()[2])
                    + ") and columns [" + left + ", " + (left + block.shape()[3]) + ") of the " + hb + "x" + hb + " block");
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
        int k = h / hb;
        if (k == 1) return blockPart(y0, y1, x0, x1);
        int[] rows = sourceRange(y0, y1, k, hb), cols = sourceRange(x0, x1, k, hb);
        Var src = blockPart(rows[0], rows[1], cols[0], cols[1]);
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

    /** Rows r0..r1-1 and columns c0..c1-1 of the hb x hb block map; refused where a windowed block lacks them. */
    private Var blockPart(int r0, int r1, int c0, int c1) {
        int[] s = block.shape();
        if (r0 < top || c0 < left || r1 > top + s[2] || c1 > left + s[3]) {
            throw new IllegalStateException("FeatureMap.window: the read needs block rows [" + r0 + ", " + r1 + ") and columns [" + c0 + ", " + c1
                    + ") but only rows [" + top + ", " + (top + s[2]) + ") and columns [" + left + ", " + (left + s[3]) + ") were computed");
        }
        return crop(block, r0 - top, r1 - top, c0 - left, c1 - left);
    }

    private static Var crop(Var x, int y0, int y1, int x0, int x1) {
        int[] s = x.shape();
        if (y0 == 0 && x0 == 0 && y1 == s[2] && x1 == s[3]) return x;
        return ShapeOps.sliceView(ShapeOps.sliceView(x, 2, y0, y1), 3, x0, x1);
    }
}
