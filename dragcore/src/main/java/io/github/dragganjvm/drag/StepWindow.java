package io.github.dragganjvm.drag;

import io.github.dragganjvm.stylegan.Generator;

import java.util.List;

/**
 * The rectangles of the feature block a drag step reads, so that the step's forward computes only those rectangles
 * ({@link Generator.Request#windows()}) instead of whole maps.
 *
 * <p>A step that needs no image and has no mask term reads the feature map F only around its handles: the tracker
 * reads the (2 r2 + 1)^2 window around each handle p; the handle then moves to some p' in that window, and motion
 * supervision reads the disc of radius r1 around p' plus two pixels for the bilinear taps of q + d
 * ({@link MotionSupervision}). So every read of F lies within r2 + r1 + 2 pixels of a handle; one pixel more is kept for
 * the disc's stretched grid. Those image rows become block rows by {@link FeatureMap#sourceRange} (the exact
 * windowed resize): one rectangle per handle, which the synthesis merges where they overlap
 * ({@link Generator.Window#merged}). A read outside them would be refused by {@link FeatureMap#windowed}, not
 * answered wrongly.
 */
public final class StepWindow {
    /** {@code -Ddraggan.drag.window=false} runs every step's forward over whole maps (for comparisons). */
    public static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("draggan.drag.window", "true"));

    private StepWindow() {}

    /** Image pixels around a handle that a step may read: r2 + r1 + 2, plus one (class comment). */
    public static int reach(int r1, int r2) { return r2 + r1 + 3; }

    /**
     * The block rectangles covering every read of a step whose handles are at the given integer points, one per
     * handle, on an h x h image resized from an hb x hb block (h a multiple of hb); null when, merged, they are the
     * whole block.
     */
    public static List<Generator.Window> around(List<Point> handles, int h, int hb, int r1, int r2) {
        if (h % hb != 0) throw new IllegalArgumentException("StepWindow: image size " + h + " must be a multiple of the block's " + hb);
        int k = h / hb, m = reach(r1, r2);
        List<Generator.Window> list = new java.util.ArrayList<>();
        for (Point p : handles) {
            int px = (int) Math.floor(p.x()), py = (int) Math.floor(p.y());
            int[] rows = FeatureMap.sourceRange(Math.max(0, py - m), Math.min(h, py + m + 2), k, hb);
            int[] cols = FeatureMap.sourceRange(Math.max(0, px - m), Math.min(h, px + m + 2), k, hb);
            list.add(new Generator.Window(rows[0], rows[1], cols[0], cols[1]));
        }
        List<Generator.Window> merged = Generator.Window.merged(list);
        return merged.size() == 1 && merged.get(0).aligned(hb).isWhole(hb) ? null : List.copyOf(list);
    }
}
