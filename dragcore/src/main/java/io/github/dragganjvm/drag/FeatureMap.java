package io.github.dragganjvm.drag;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.stylegan.Generator;

import java.util.List;

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
 * <p>The same argument lets the block itself be only some rectangles of the hb x hb map ({@link #windowed}, from a
 * windowed synthesis): a read needs only the source rows and columns {@link #sourceRange} names, so it is exact
 * whenever they lie inside one of the rectangles, and refused otherwise; {@link #full()} is refused.
 */
public final class FeatureMap {
    private final List<Generator.Part> parts;   // each [1, C, bh, bw] at its window of the hb x hb block map
    private final int hb;
    private final int h;
    private final boolean direct;
    private Var full;

    public FeatureMap(Var block, int imageSize, boolean direct) {
        this(List.of(new Generator.Part(Generator.Window.whole(requireSquare(block)), block)), block.shape()[2], imageSize, direct);
    }

    private FeatureMap(List<Generator.Part> parts, int hb, int imageSize, boolean direct) {
        if (imageSize < hb) throw new IllegalArgumentException("FeatureMap: image size " + imageSize + " is smaller than the block " + hb);
        this.parts = List.copyOf(parts);
        this.hb = hb;
        this.h = imageSize;
        this.direct = direct && imageSize % hb == 0;
        if (!this.direct) full();
    }

    /**
     * The map of a block of which only some rectangles were computed: each part [1, C, bh, bw] holds its window's
     * rows and columns of the hb x hb block output. The image size must be a multiple of hb (the exact windowed
     * resize above).
     */
    public static FeatureMap windowed(List<Generator.Part> parts, int hb, int imageSize) {
        if (parts.isEmpty()) throw new IllegalArgumentException("FeatureMap.windowed: no parts");
        for (Generator.Part p : parts) {
            int[] s = p.value().shape();
            Generator.Window w = p.window();
            if (s.length != 4 || s[0] != 1 || s[2] != w.height() || s[3] != w.width()) {
                throw new IllegalArgumentException("FeatureMap.windowed: a part must be [1, C, " + w.height() + ", " + w.width() + "] for its window " + w + " but is " + java.util.Arrays.toString(s));
            }
            if (!w.inside(hb)) throw new IllegalArgumentException("FeatureMap.windowed: window " + w + " is not inside the " + hb + "x" + hb + " block");
        }
        if (imageSize % hb != 0) throw new IllegalArgumentException("FeatureMap.windowed: image size " + imageSize + " must be a multiple of the block's " + hb);
        return new FeatureMap(parts, hb, imageSize, true);
    }

    private static int requireSquare(Var block) {
        int[] s = block.shape();
        if (s.length != 4 || s[0] != 1 || s[2] != s[3]) throw new IllegalArgumentException("FeatureMap: block must be [1, C, hb, hb] but is " + java.util.Arrays.toString(s));
        return s[2];
    }

    /** A map of the same parts whose values are copies, without gradient (to keep after the step's graph is gone). */
    public FeatureMap valuesCopy() {
        List<Generator.Part> copies = new java.util.ArrayList<>();
        for (Generator.Part p : parts) copies.add(new Generator.Part(p.window(), Var.constant(p.value().value().copy())));
        return new FeatureMap(copies, hb, h, direct);
    }

    /** Whether the block holds only rectangles of its map ({@link #windowed}). */
    public boolean isWindowed() { return parts.size() != 1 || !parts.get(0).window().isWhole(hb); }

    /** Image size h (the resized map is h x h). */
    public int size() { return h; }

    /** Channels C. */
    public int channels() { return parts.get(0).value().shape()[1]; }

    /** The block output this map resizes; refused for a {@link #windowed} map (read {@link #window} instead). */
    public Var block() {
        if (isWindowed()) throw new IllegalStateException("FeatureMap.block: this map holds only " + windowsText() + " of the " + hb + "x" + hb + " block");
        return parts.get(0).value();
    }

    /** The whole resized map [1, C, h, h] (made once); refused for a {@link #windowed} map. */
    public Var full() {
        if (full == null) {
            Var block = block();
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

    /** Rows r0..r1-1 and columns c0..c1-1 of the hb x hb block map, from the first part that holds them all; refused where none does. */
    private Var blockPart(int r0, int r1, int c0, int c1) {
        for (Generator.Part p : parts) {
            Generator.Window w = p.window();
            if (r0 >= w.y0() && c0 >= w.x0() && r1 <= w.y1() && c1 <= w.x1()) return crop(p.value(), r0 - w.y0(), r1 - w.y0(), c0 - w.x0(), c1 - w.x0());
        }
        throw new IllegalStateException("FeatureMap.window: the read needs block rows [" + r0 + ", " + r1 + ") and columns [" + c0 + ", " + c1
                + ") but only " + windowsText() + " were computed");
    }

    private String windowsText() {
        StringBuilder b = new StringBuilder();
        for (Generator.Part p : parts) {
            Generator.Window w = p.window();
            b.append(b.isEmpty() ? "" : ", ").append("rows [").append(w.y0()).append(", ").append(w.y1()).append(") x columns [").append(w.x0()).append(", ").append(w.x1()).append(")");
        }
        return b.toString();
    }

    private static Var crop(Var x, int y0, int y1, int x0, int x1) {
        int[] s = x.shape();
        if (y0 == 0 && x0 == 0 && y1 == s[2] && x1 == s[3]) return x;
        return ShapeOps.sliceView(ShapeOps.sliceView(x, 2, y0, y1), 3, x0, x1);
    }
}
