package io.github.dragganjvm.data.toy;

/**
 * Everything that defines one cartoon face of the toy world: geometry and colours. Sampled from a seed by
 * {@link #sample(long)}; any other values may be built by hand (e.g. to move one part by a known amount).
 *
 * <h2>Coordinates</h2>
 * Image coordinates are normalized: {@code x} (column) and {@code y} (row) in [0, 1] across the picture, y pointing
 * down; at resolution {@code res} a normalized {@code u} is the pixel coordinate {@code u * res - 0.5} (pixel centres
 * at integers). The face lives in the head's own frame: {@code (a, b)} with {@code a} along the head's horizontal axis
 * (to the image right when untilted) and {@code b} along its vertical axis (down); the image point is
 * {@code head centre + R(tilt) (a, b)}, {@code R = [[cos, -sin], [sin, cos]]}, so a positive tilt turns the face
 * clockwise on screen. The parts' parameters are relative to the head: vertical positions in units of
 * {@link Head#halfHeight()}, horizontal sizes in units of {@link Head#halfWidth()}. "Left" is the image left.
 *
 * <h2>The face (back to front)</h2>
 * background (vertical gradient) - ears (discs centred on the head outline) - head (ellipse) - hair (the head
 * ellipse scaled by {@code hairVolume}, above the straight hairline) - nose (ellipse) - eyes (white ellipses) -
 * pupils (discs, clipped to their eye) - brows (round-ended bars) - mouth (two lip lines, bent by the smile and
 * parted by the opening, with the inside of the mouth between them).
 *
 * <p>The ranges given for each parameter are those of {@link #sample(long)}; every draw is uniform in its range
 * unless said otherwise. The ranges are chosen so that no part hides another's keypoint and every keypoint stays
 * inside the picture (worst cases worked out by hand; KeypointTest checks it on 2000 sampled faces and it held on
 * 100 000).
 */
public record FaceParams(Head head, Eyes eyes, Nose nose, Mouth mouth, Palette palette) {

    /** Full thickness of each lip line, in head half-widths. */
    public static final double LIP_THICKNESS = 0.11;
    /** Full thickness of a brow, in head half-widths. */
    public static final double BROW_THICKNESS = 0.12;
    /** Half-length of a brow (centre to the centre of its round end), in eye half-widths. */
    public static final double BROW_HALF_LENGTH = 1.1;
    /** Ear colour = skin times this. */
    public static final double EAR_SHADE = 0.9;
    /** Brow colour = hair times this. */
    public static final double BROW_SHADE = 0.55;
    /** Nose colour = skin times these (red, green, blue): a darker, redder skin. */
    public static final double[] NOSE_SHADE = {0.88, 0.72, 0.68};
    /** Version of the sampler: the faces of a seed change only when this does. */
    public static final int WORLD_VERSION = 1;

    public FaceParams {
        if (head == null || eyes == null || nose == null || mouth == null || palette == null) {
            throw new IllegalArgumentException("FaceParams: head, eyes, nose, mouth and palette are all required");
        }
    }

    /**
     * The head.
     *
     * @param x          centre column, normalized, in [0.44, 0.56]
     * @param y          centre row, normalized, in [0.47, 0.55]
     * @param halfWidth  half the head's width (ellipse radius along a), normalized, in [0.25, 0.31]
     * @param halfHeight half the head's height (radius along b), normalized: halfWidth times [1.05, 1.25]
     * @param tilt       rotation in radians (positive = clockwise on screen), in [-0.28, 0.28] (about 16 degrees)
     * @param hairline   the hair covers the head above b = hairline * halfHeight; sampled between the top of the
     *                   brows (b = t) and the top of the head: {@code t - f * (t + 1)}, f in [0.15, 0.75], so the
     *                   hair never reaches a brow (about -0.94 .. -0.41)
     * @param hairVolume the hair is the head ellipse scaled by this about its centre, in [1.03, 1.12]
     * @param earY       ear centre at b = earY * halfHeight on the head outline; in [-0.10, 0.15]
     * @param earSize    ear radius in head half-widths, in [0.12, 0.20]
     */
    public record Head(double x, double y, double halfWidth, double halfHeight, double tilt, double hairline,
                       double hairVolume, double earY, double earSize) {
        public Head {
            finite("Head", x, y, halfWidth, halfHeight, tilt, hairline, hairVolume, earY, earSize);
            positive("Head.halfWidth", halfWidth);
            positive("Head.halfHeight", halfHeight);
            positive("Head.hairVolume", hairVolume);
            positive("Head.earSize", earSize);
            if (!(Math.abs(earY) < 1)) throw new IllegalArgumentException("Head.earY must be in (-1, 1) but got " + earY);
        }
    }

    /**
     * Eyes, pupils and brows (mirror images of each other about the head's vertical axis; the gaze is shared).
     *
     * @param y         eye centres at b = y * halfHeight, in [-0.22, -0.02]
     * @param spacing   eye centres at a = -+spacing * halfWidth (half the distance between the eyes), in [0.30, 0.46]
     * @param size      eye half-width in head half-widths, in [0.17, 0.26]
     * @param openness  eye half-height / eye half-width, in [0.35, 1.0]
     * @param pupilSize pupil radius / eye half-width, in [0.38, 0.60]
     * @param gazeX     pupil offset along a, as a fraction of the room (eye half-width - pupil radius); with
     *                  gazeY uniform in the unit disc; positive = looking to the image right
     * @param gazeY     pupil offset along b, as a fraction of max(0, eye half-height - pupil radius); positive = down
     * @param browRaise gap between the eye's top (its centre minus one eye half-width) and the brow's centre line,
     *                  in head half-widths, in [0.08, 0.24]
     * @param browTilt  brow angle in radians, positive = inner ends lower (a frown), in [-0.30, 0.30]
     */
    public record Eyes(double y, double spacing, double size, double openness, double pupilSize, double gazeX,
                       double gazeY, double browRaise, double browTilt) {
        public Eyes {
            finite("Eyes", y, spacing, size, openness, pupilSize, gazeX, gazeY, browRaise, browTilt);
            positive("Eyes.size", size);
            positive("Eyes.openness", openness);
            positive("Eyes.pupilSize", pupilSize);
        }
    }

    /**
     * The nose: an ellipse whose centre is the {@link Keypoint#NOSE_TIP}.
     *
     * @param y      centre at b = y * halfHeight, in [0.10, 0.24]
     * @param size   half-width in head half-widths, in [0.07, 0.12]
     * @param aspect half-height / half-width, in [0.80, 1.25]
     */
    public record Nose(double y, double size, double aspect) {
        public Nose {
            finite("Nose", y, size, aspect);
            positive("Nose.size", size);
            positive("Nose.aspect", aspect);
        }
    }

    /**
     * The mouth. Its centre line is {@code b(s) = y - smile * w * (s / w)^2} for {@code s = a} in {@code [-w, w]}
     * ({@code w = width * halfWidth}, all in head units before scaling by halfHeight for y); the upper and lower lip
     * lines lie {@code -+ open/2 * (1 - (s/w)^2)} about it, each drawn {@link #LIP_THICKNESS} thick (measured along
     * b) with round ends at the corners; between them is the inside of the mouth.
     *
     * @param y     centre at b = y * halfHeight, in [0.52, 0.66]
     * @param width half-width (centre to corner) in head half-widths, in [0.24, 0.44]
     * @param smile corner lift / mouth half-width (positive = corners up, a smile), in [-0.25, 0.35]
     * @param open  distance between the lip lines at the middle, in head half-heights, in [0, 0.16]
     */
    public record Mouth(double y, double width, double smile, double open) {
        public Mouth {
            finite("Mouth", y, width, smile, open);
            positive("Mouth.width", width);
            if (!(open >= 0)) throw new IllegalArgumentException("Mouth.open must be >= 0 but got " + open);
        }
    }

    /**
     * Colours. Derived ones: ears = skin * {@link #EAR_SHADE}, nose = skin * {@link #NOSE_SHADE}, brows = hair *
     * {@link #BROW_SHADE}.
     *
     * @param backgroundTop    background at the top row (hue 0.25..0.80 turns: greens, blues, purples, away from
     *                         skin; saturation 0.15..0.65, value 0.35..0.95)
     * @param backgroundBottom background at the bottom row, linear in between (hue +-0.05, saturation +-0.1,
     *                         value +-0.3 of the top, clamped to [0.2, 1] and [0, 1])
     * @param skin             from pale (0.96, 0.82, 0.68) to brown (0.66, 0.45, 0.32), each channel +-0.03
     * @param hair             hue 0.03..0.12 turns, saturation 0.25..0.85, value 0.08..0.85 (black, brown, red,
     *                         blond)
     * @param sclera           eye whites: a grey of value 0.93..1.0
     * @param pupil            hue any, saturation 0.3..0.9, value 0.12..0.45
     * @param lip              hue -0.03..0.02 turns, saturation 0.55..0.85, value 0.25..0.45
     * @param mouthInside      lip hue, saturation 0.6..0.9, value 0.05..0.18
     */
    public record Palette(Rgb backgroundTop, Rgb backgroundBottom, Rgb skin, Rgb hair, Rgb sclera, Rgb pupil, Rgb lip,
                          Rgb mouthInside) {
        public Palette {
            if (backgroundTop == null || backgroundBottom == null || skin == null || hair == null || sclera == null
                    || pupil == null || lip == null || mouthInside == null) {
                throw new IllegalArgumentException("Palette: all eight colours are required");
            }
        }

        /** skin * EAR_SHADE */
        public Rgb ear() { return skin.times(EAR_SHADE); }

        /** skin * NOSE_SHADE */
        public Rgb nose() { return skin.times(NOSE_SHADE[0], NOSE_SHADE[1], NOSE_SHADE[2]); }

        /** hair * BROW_SHADE */
        public Rgb brow() { return hair.times(BROW_SHADE); }

        /** The background at normalized row y (0 = top edge, 1 = bottom edge). */
        public Rgb background(double y) { return Rgb.lerp(backgroundTop, backgroundBottom, Math.max(0, Math.min(1, y))); }
    }

    public FaceParams withHead(Head h) { return new FaceParams(h, eyes, nose, mouth, palette); }

    public FaceParams withEyes(Eyes e) { return new FaceParams(head, e, nose, mouth, palette); }

    public FaceParams withNose(Nose n) { return new FaceParams(head, eyes, n, mouth, palette); }

    public FaceParams withMouth(Mouth m) { return new FaceParams(head, eyes, nose, m, palette); }

    public FaceParams withPalette(Palette p) { return new FaceParams(head, eyes, nose, mouth, p); }

    /**
     * The keypoints of this face at a resolution, in pixel coordinates (x = column, y = row, pixel centres at
     * integers): a normalized point u becomes {@code u * resolution - 0.5}.
     */
    public Keypoints keypoints(int resolution) {
        return new FaceLayout(this).keypoints(resolution);
    }

    /**
     * The face of a seed: a fixed sequence of draws from SplitMix64 seeded with {@code seed}, in the ranges documented
     * on the components. Deterministic on every JVM (plain IEEE arithmetic, no JDK random generator).
     */
    public static FaceParams sample(long seed) {
        SplitMix64 rng = new SplitMix64(seed);
        // head
        double hx = rng.uniform(0.44, 0.56), hy = rng.uniform(0.47, 0.55);
        double rx = rng.uniform(0.25, 0.31), ry = rx * rng.uniform(1.05, 1.25);
        double tilt = rng.uniform(-0.28, 0.28);
        double hairFraction = rng.uniform(0.15, 0.75), hairVolume = rng.uniform(1.03, 1.12);
        double earY = rng.uniform(-0.10, 0.15), earSize = rng.uniform(0.12, 0.20);
        // eyes
        double ey = rng.uniform(-0.22, -0.02), spacing = rng.uniform(0.30, 0.46), size = rng.uniform(0.17, 0.26);
        double openness = rng.uniform(0.35, 1.0), pupil = rng.uniform(0.38, 0.60);
        double gr = Math.sqrt(rng.nextDouble()), ga = 2 * Math.PI * rng.nextDouble();
        double gx = gr * StrictMath.cos(ga), gy = gr * StrictMath.sin(ga);
        double browRaise = rng.uniform(0.08, 0.24), browTilt = rng.uniform(-0.30, 0.30);
        Eyes eyes = new Eyes(ey, spacing, size, openness, pupil, gx, gy, browRaise, browTilt);
        // the hairline lies between the brows' top and the top of the head, so the hair never covers a brow
        double browTop = ey - (size + browRaise + BROW_HALF_LENGTH * size * Math.abs(StrictMath.sin(browTilt)) + BROW_THICKNESS / 2) * rx / ry;
        double hairline = browTop - hairFraction * (browTop + 1);
        Head head = new Head(hx, hy, rx, ry, tilt, hairline, hairVolume, earY, earSize);
        // nose and mouth
        Nose nose = new Nose(rng.uniform(0.10, 0.24), rng.uniform(0.07, 0.12), rng.uniform(0.80, 1.25));
        Mouth mouth = new Mouth(rng.uniform(0.52, 0.66), rng.uniform(0.24, 0.44), rng.uniform(-0.25, 0.35), rng.uniform(0, 0.16));
        // colours
        double bh = rng.uniform(0.25, 0.80), bs = rng.uniform(0.15, 0.65), bv = rng.uniform(0.35, 0.95);
        Rgb bgTop = Rgb.hsv(bh, bs, bv);
        Rgb bgBottom = Rgb.hsv(bh + rng.uniform(-0.05, 0.05), clamp(bs + rng.uniform(-0.1, 0.1), 0, 1),
                clamp(bv + rng.uniform(-0.3, 0.3), 0.2, 1));
        Rgb pale = new Rgb(0.96, 0.82, 0.68), brown = new Rgb(0.66, 0.45, 0.32);
        Rgb base = Rgb.lerp(pale, brown, rng.nextDouble());
        Rgb skin = new Rgb(clamp(base.r() + rng.uniform(-0.03, 0.03), 0, 1), clamp(base.g() + rng.uniform(-0.03, 0.03), 0, 1),
                clamp(base.b() + rng.uniform(-0.03, 0.03), 0, 1));
        Rgb hair = Rgb.hsv(rng.uniform(0.03, 0.12), rng.uniform(0.25, 0.85), rng.uniform(0.08, 0.85));
        double grey = rng.uniform(0.93, 1.0);
        Rgb sclera = new Rgb(grey, grey, grey);
        Rgb pupilColour = Rgb.hsv(rng.nextDouble(), rng.uniform(0.3, 0.9), rng.uniform(0.12, 0.45));
        double lipHue = rng.uniform(-0.03, 0.02);
        Rgb lip = Rgb.hsv(lipHue, rng.uniform(0.55, 0.85), rng.uniform(0.25, 0.45));
        Rgb inside = Rgb.hsv(lipHue, rng.uniform(0.6, 0.9), rng.uniform(0.05, 0.18));
        return new FaceParams(head, eyes, nose, mouth, new Palette(bgTop, bgBottom, skin, hair, sclera, pupilColour, lip, inside));
    }

    private static double clamp(double v, double lo, double hi) { return Math.max(lo, Math.min(hi, v)); }

    private static void finite(String what, double... v) {
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) throw new IllegalArgumentException(what + ": component " + i + " must be finite but got " + v[i]);
        }
    }

    private static void positive(String what, double v) {
        if (!(v > 0)) throw new IllegalArgumentException(what + " must be > 0 but got " + v);
    }
}
