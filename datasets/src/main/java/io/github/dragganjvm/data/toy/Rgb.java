package io.github.dragganjvm.data.toy;

/**
 * A colour of the toy world: red, green, blue in [0, 1] (8-bit value {@code round(255 * c)}), no gamma.
 */
public record Rgb(double r, double g, double b) {
    public Rgb {
        check("r", r);
        check("g", g);
        check("b", b);
    }

    private static void check(String name, double v) {
        if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("Rgb: " + name + " must be in [0, 1] but got " + v);
    }

    /** Each channel times its factor (factors in [0, 1]). */
    public Rgb times(double fr, double fg, double fb) { return new Rgb(r * fr, g * fg, b * fb); }

    /** Every channel times f (f in [0, 1]). */
    public Rgb times(double f) { return times(f, f, f); }

    /** {@code a + t * (b - a)}, t in [0, 1]. */
    public static Rgb lerp(Rgb a, Rgb b, double t) {
        return new Rgb(a.r + t * (b.r - a.r), a.g + t * (b.g - a.g), a.b + t * (b.b - a.b));
    }

    /**
     * Hue, saturation, value to RGB (the standard hexcone model).
     *
     * @param h hue in turns (any real; taken modulo 1: 0 red, 1/3 green, 2/3 blue)
     * @param s saturation in [0, 1]
     * @param v value in [0, 1]
     */
    public static Rgb hsv(double h, double s, double v) {
        double hh = (h - Math.floor(h)) * 6;
        int sector = Math.min(5, (int) hh);
        double f = hh - sector, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        return switch (sector) {
            case 0 -> new Rgb(v, t, p);
            case 1 -> new Rgb(q, v, p);
            case 2 -> new Rgb(p, v, t);
            case 3 -> new Rgb(p, q, v);
            case 4 -> new Rgb(t, p, v);
            default -> new Rgb(v, p, q);
        };
    }

    /** The 8-bit value of each channel, round half up: {@code {R, G, B}} in 0..255. */
    public int[] toBytes() {
        return new int[]{to8(r), to8(g), to8(b)};
    }

    static int to8(double c) { return (int) Math.floor(c * 255 + 0.5); }
}
