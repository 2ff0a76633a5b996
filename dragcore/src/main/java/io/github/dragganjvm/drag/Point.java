package io.github.dragganjvm.drag;

/** A pixel position: x = column, y = row, pixel centres at integers (see the package documentation). */
public record Point(double x, double y) {
    public Point {
        if (!Double.isFinite(x) || !Double.isFinite(y)) throw new IllegalArgumentException("point coordinates must be finite but are (" + x + ", " + y + ")");
    }

    /** Euclidean distance to another point. */
    public double distance(Point o) { return Math.hypot(o.x - x, o.y - y); }

    /** This point with both coordinates rounded as Python's round() (half to even), as the reference rounds. */
    public Point rounded() { return new Point(PyMath.round(x), PyMath.round(y)); }

    /** True when the point lies on an image of the given resolution (0 &lt;= x, y &lt;= res - 1). */
    public boolean inside(int resolution) { return x >= 0 && y >= 0 && x <= resolution - 1 && y <= resolution - 1; }

    @Override public String toString() { return fmt(x) + "," + fmt(y); }

    private static String fmt(double v) { return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v); }
}
