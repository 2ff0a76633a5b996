package io.github.dragganjvm.drag;

/** Python's rounding, which the reference's radii and point rounding depend on (round(2.5) == 2). */
public final class PyMath {
    private PyMath() {}

    /** Python 3 round(x): to the nearest integer, ties to even. */
    public static long round(double x) { return (long) Math.rint(x); }
}
