package io.github.dragganjvm.drag;

import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The generator's own image frame and the square frame a {@link DragSession} works in. For a square generator the
 * two are the same. A StyleGAN-Human generator makes {@code height} x {@code width} images (256 x 128) which, as in
 * DragGAN, are padded left and right by {@code padLeft} columns to a {@code height} x {@code height} square: the
 * session, its points, masks and images live in that square, while users see and type points in the generator's
 * own frame. Mapping: x_square = x + padLeft, y_square = y.
 *
 * @param height  image rows (= the square's side, {@link DragGenerator#resolution()})
 * @param width   image columns of the generator's own frame ({@link DragGenerator#imageWidth()})
 * @param padLeft columns of padding on the left of the square ((height - width) / 2)
 */
public record Frame(int height, int width, int padLeft) {
    public Frame {
        if (height < 1 || width < 1 || width > height || padLeft < 0 || padLeft + width > height) {
            throw new IllegalArgumentException("Frame: a " + height + " tall, " + width + " wide frame at column " + padLeft + " does not fit its "
                    + height + "x" + height + " square");
        }
    }

    /** The frame of a generator's images. */
    public static Frame of(DragGenerator g) { return new Frame(g.imageHeight(), g.imageWidth(), g.imagePadLeft()); }

    /** The frame of a square image of the given side (no padding). */
    public static Frame square(int side) { return new Frame(side, side, 0); }

    /** Side of the square frame the session works in. */
    public int squareSize() { return height; }

    /** True when the generator's frame is narrower than the square (StyleGAN-Human). */
    public boolean padded() { return width != height; }

    /** True when p lies on the generator's frame: 0 &lt;= x &lt;= width - 1, 0 &lt;= y &lt;= height - 1. */
    public boolean inside(Point p) { return p.x() >= 0 && p.y() >= 0 && p.x() <= width - 1 && p.y() <= height - 1; }

    /** The frame's size as "WIDTHxHEIGHT" ("128x256" for a 256 px StyleGAN-Human model, "256x256" for a square one). */
    public String size() { return width + "x" + height; }

    /**
     * Fails with one line naming the point and the frame when p lies off the generator's frame.
     *
     * @param what how the caller names the point in the message, e.g. "--points: point 140,20 (pair 1)"
     */
    public void requireInside(Point p, String what) {
        if (!inside(p)) {
            throw new IllegalArgumentException(what + " is off the " + size() + " (width x height) image: x must be in [0, "
                    + (width - 1) + "] and y in [0, " + (height - 1) + "]");
        }
    }

    /** A point of the generator's frame in the square: (x + padLeft, y). */
    public Point toSquare(Point p) { return padLeft == 0 ? p : new Point(p.x() + padLeft, p.y()); }

    /** A point of the square in the generator's frame: (x - padLeft, y); it may lie off the frame (in the padding). */
    public Point fromSquare(Point p) { return padLeft == 0 ? p : new Point(p.x() - padLeft, p.y()); }

    /** {@link #fromSquare(Point)} of every point. */
    public List<Point> fromSquare(List<Point> ps) {
        if (padLeft == 0) return ps;
        List<Point> out = new ArrayList<>(ps.size());
        for (Point p : ps) out.add(fromSquare(p));
        return out;
    }

    /** {@link #toSquare(Point)} of every point. */
    public List<Point> toSquare(List<Point> ps) {
        if (padLeft == 0) return ps;
        List<Point> out = new ArrayList<>(ps.size());
        for (Point p : ps) out.add(toSquare(p));
        return out;
    }

    /**
     * The generator's frame cut out of a square image: img [N, C, S, S] (S = {@link #squareSize()}) -> a view
     * [N, C, height, width] of columns padLeft .. padLeft + width - 1.
     */
    public Tensor cropView(Tensor img) {
        int[] s = img.shape();
        if (s.length != 4 || s[2] != height || s[3] != height) {
            throw new IllegalArgumentException("Frame.cropView: image must be [N, C, " + height + ", " + height + "] but is " + java.util.Arrays.toString(s));
        }
        return padLeft == 0 ? img : img.sliceView(3, padLeft, padLeft + width);
    }

    /**
     * The flexible box x0 &lt;= x &lt; x1, y0 &lt;= y &lt; y1 of the generator's frame added to a mask of the square;
     * the box must lie inside the frame (one clear line otherwise).
     */
    public Mask withFlexibleBox(Mask m, int x0, int y0, int x1, int y1) {
        if (x0 < 0 || y0 < 0 || x1 > width || y1 > height || x0 >= x1 || y0 >= y1) {
            throw new IllegalArgumentException("mask box " + x0 + "," + y0 + "," + x1 + "," + y1 + " must satisfy 0 <= x0 < x1 <= " + width + " and 0 <= y0 < y1 <= " + height);
        }
        return m.withFlexibleBox(x0 + padLeft, y0, x1 + padLeft, y1);
    }

    /**
     * A mask painted on the generator's frame as the square's mask: flexible [height * width] (row-major) placed at
     * column padLeft; the padding is fixed (its features are 0, so it adds nothing to the loss).
     */
    public Mask maskToSquare(boolean[] flexible) {
        if (flexible.length != width * height) {
            throw new IllegalArgumentException("Frame.maskToSquare: the bitmap has " + flexible.length + " entries, expected " + width + "x" + height);
        }
        int s = squareSize();
        boolean[] sq = new boolean[s * s];
        for (int y = 0; y < height; y++) System.arraycopy(flexible, y * width, sq, y * s + padLeft, width);
        return Mask.ofFlexible(s, sq);
    }

    /** The generator's frame of a square mask, row-major [height * width] (the padding is dropped). */
    public boolean[] maskFromSquare(Mask m) {
        int s = squareSize();
        if (m.size() != s) throw new IllegalArgumentException("Frame.maskFromSquare: the mask is " + m.size() + "x" + m.size() + ", expected " + s + "x" + s);
        boolean[] sq = m.flexibleBitmap(), out = new boolean[width * height];
        for (int y = 0; y < height; y++) System.arraycopy(sq, y * s + padLeft, out, y * width, width);
        return out;
    }
}
