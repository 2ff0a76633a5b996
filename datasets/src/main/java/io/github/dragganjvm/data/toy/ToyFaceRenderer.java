package io.github.dragganjvm.data.toy;

/**
 * Draws a {@link FaceParams} face into 8-bit RGB, in pure Java and bit-for-bit the same on every JVM.
 *
 * <p>Each part is an exact inside test in the head frame (ellipses, discs, round-ended bars, the mouth's bent
 * bands; see {@link FaceParams}); a sample takes the colour of the front-most part containing it (the painter's
 * order listed there) or the background gradient at its row. A pixel is the box-filtered mean of an
 * {@code S x S} grid of samples at normalized points {@code ((S col + i + 0.5) / (S res), (S row + j + 0.5) / (S res))},
 * so edges are anti-aliased with coverage steps of {@code 1 / S^2}; the 8-bit value is {@code floor(255 * mean + 0.5)}.
 * Only +, -, *, / and comparisons run per sample (tilt's sine and cosine come from {@link StrictMath} once per
 * face), so the output is reproducible everywhere. Stateless and thread-safe.
 */
public final class ToyFaceRenderer {
    /** Samples per pixel axis by default: 4 x 4 = 16 samples per pixel. */
    public static final int DEFAULT_SAMPLES_PER_AXIS = 4;
    /** Largest samples per axis accepted. */
    public static final int MAX_SAMPLES_PER_AXIS = 16;

    // labels: indices into the colour table; BACKGROUND's colour depends on the row
    static final int BACKGROUND = 0, SKIN = 1, HAIR = 2, EAR = 3, NOSE = 4, SCLERA = 5, PUPIL = 6, BROW = 7, LIP = 8, MOUTH_INSIDE = 9;
    private static final int LABELS = 10;

    private ToyFaceRenderer() {}

    /** {@link #render(FaceParams, int, int)} with {@link #DEFAULT_SAMPLES_PER_AXIS}. */
    public static byte[] render(FaceParams face, int resolution) {
        return render(face, resolution, DEFAULT_SAMPLES_PER_AXIS);
    }

    /**
     * Renders one face.
     *
     * @param face           the face
     * @param resolution     image side in pixels, 1..8192
     * @param samplesPerAxis S, 1..{@value #MAX_SAMPLES_PER_AXIS} (S^2 samples per pixel)
     * @return planar unsigned 8-bit RGB {@code [3, res, res]} (see {@link io.github.dragganjvm.data.Rgb8})
     */
    public static byte[] render(FaceParams face, int resolution, int samplesPerAxis) {
        if (resolution < 1 || resolution > 8192) {
            throw new IllegalArgumentException("ToyFaceRenderer.render: resolution must be in [1, 8192] but got " + resolution);
        }
        if (samplesPerAxis < 1 || samplesPerAxis > MAX_SAMPLES_PER_AXIS) {
            throw new IllegalArgumentException("ToyFaceRenderer.render: samplesPerAxis must be in [1, " + MAX_SAMPLES_PER_AXIS + "] but got " + samplesPerAxis);
        }
        return new Scene(new FaceLayout(face), face.palette()).render(resolution, samplesPerAxis);
    }

    /**
     * The label (front-most part) at one normalized image point; package-private for tests.
     *
     * @return one of the label constants ({@link #BACKGROUND} .. {@link #MOUTH_INSIDE})
     */
    static int labelAt(FaceParams face, double x, double y) {
        FaceLayout l = new FaceLayout(face);
        Scene s = new Scene(l, face.palette());
        double dx = x - l.cx, dy = y - l.cy;
        return s.label(l.cos * dx + l.sin * dy, -l.sin * dx + l.cos * dy);
    }

    /** The colour a label is drawn in ({@link #BACKGROUND}: the gradient at normalized row y). */
    static Rgb colourOf(FaceParams face, int label, double y) {
        return label == BACKGROUND ? face.palette().background(y) : labelColours(face.palette())[label];
    }

    /** Colour of each label; entry BACKGROUND is null (it depends on the row). */
    private static Rgb[] labelColours(FaceParams.Palette p) {
        Rgb[] rgb = new Rgb[LABELS];
        rgb[SKIN] = p.skin();
        rgb[HAIR] = p.hair();
        rgb[EAR] = p.ear();
        rgb[NOSE] = p.nose();
        rgb[SCLERA] = p.sclera();
        rgb[PUPIL] = p.pupil();
        rgb[BROW] = p.brow();
        rgb[LIP] = p.lip();
        rgb[MOUTH_INSIDE] = p.mouthInside();
        return rgb;
    }

    /** One face's shapes with their bounds, ready for many inside tests. */
    private static final class Scene {
        private final FaceLayout l;
        private final FaceParams.Palette palette;
        private final double[][] colour = new double[LABELS][3];   // row BACKGROUND is rewritten per sample row
        // squared reciprocals and bounds
        private final double invRx2, invRy2, invHairRx2, invHairRy2, earR2, invEyeW2, invEyeH2, pupilR2;
        private final double invNoseW2, invNoseH2, browHalfThickness2, lipHalf2;
        private final double featTop, featBottom, featHalfWidth, mouthTop, mouthBottom, browTop, browBottom;
        private final double earTop, earBottom, earInner, earOuter;
        /** Squared radius of a disc about the head centre that holds every part (hair and ears included). */
        private final double boundR2;

        Scene(FaceLayout l, FaceParams.Palette palette) {
            this.l = l;
            this.palette = palette;
            Rgb[] rgb = labelColours(palette);
            for (int i = 1; i < LABELS; i++) colour[i] = new double[]{rgb[i].r(), rgb[i].g(), rgb[i].b()};
            invRx2 = 1 / (l.rx * l.rx);
            invRy2 = 1 / (l.ry * l.ry);
            invHairRx2 = 1 / (l.hairRx * l.hairRx);
            invHairRy2 = 1 / (l.hairRy * l.hairRy);
            earR2 = l.earR * l.earR;
            invEyeW2 = 1 / (l.eyeW * l.eyeW);
            invEyeH2 = 1 / (l.eyeH * l.eyeH);
            pupilR2 = l.pupilR * l.pupilR;
            invNoseW2 = 1 / (l.noseW * l.noseW);
            invNoseH2 = 1 / (l.noseH * l.noseH);
            browHalfThickness2 = l.browHalfThickness * l.browHalfThickness;
            lipHalf2 = l.lipHalf * l.lipHalf;

            mouthTop = l.mouthB - Math.max(0, l.smileLift) - l.openHalf - l.lipHalf;
            mouthBottom = l.mouthB + Math.max(0, -l.smileLift) + l.openHalf + l.lipHalf;
            double browExtentB = l.browHalfLength * Math.abs(l.browDirB) + l.browHalfThickness;
            browTop = l.browB - browExtentB;
            browBottom = l.browB + browExtentB;
            featTop = Math.min(Math.min(browTop, l.eyeB - l.eyeH), Math.min(l.noseB - l.noseH, mouthTop));
            featBottom = Math.max(Math.max(browBottom, l.eyeB + l.eyeH), Math.max(l.noseB + l.noseH, mouthBottom));
            featHalfWidth = Math.max(Math.max(l.browA + l.browHalfLength * Math.abs(l.browDirA) + l.browHalfThickness, l.eyeA + l.eyeW),
                    Math.max(l.mouthW + l.lipHalf, l.noseW));
            earTop = l.earB - l.earR;
            earBottom = l.earB + l.earR;
            earInner = l.earA - l.earR;
            earOuter = l.earA + l.earR;
            double ea = l.earA + l.earR, eb = Math.abs(l.earB) + l.earR;
            double r = 1.001 * Math.max(Math.max(l.hairRx, l.hairRy), Math.max(Math.max(l.rx, l.ry), Math.sqrt(ea * ea + eb * eb)));
            boundR2 = r * r;
        }

        /** Front-most part at head-frame point (a, b). */
        int label(double a, double b) {
            if (b >= featTop && b <= featBottom && Math.abs(a) <= featHalfWidth) {
                if (b >= mouthTop && b <= mouthBottom) {
                    int m = mouth(Math.abs(a), b);
                    if (m != BACKGROUND) return m;
                }
                if (b >= browTop && b <= browBottom && (inBrow(a + l.browA, b - l.browB, l.browDirB) || inBrow(a - l.browA, b - l.browB, -l.browDirB))) {
                    return BROW;
                }
                double db = b - l.eyeB;
                if (db * db * invEyeH2 <= 1) {
                    int e = eye(a + l.eyeA, db, a + l.eyeA - l.pupilDa);
                    if (e != BACKGROUND) return e;
                    e = eye(a - l.eyeA, db, a - l.eyeA - l.pupilDa);
                    if (e != BACKGROUND) return e;
                }
                double dn = b - l.noseB;
                if (a * a * invNoseW2 + dn * dn * invNoseH2 <= 1) return NOSE;
            }
            double a2 = a * a, b2 = b * b;
            if (b < l.hairlineB && a2 * invHairRx2 + b2 * invHairRy2 <= 1) return HAIR;
            if (a2 * invRx2 + b2 * invRy2 <= 1) return SKIN;
            double aa = Math.abs(a);
            if (b >= earTop && b <= earBottom && aa >= earInner && aa <= earOuter) {
                double da = aa - l.earA, db = b - l.earB;
                if (da * da + db * db <= earR2) return EAR;
            }
            return BACKGROUND;
        }

        /** Eye at offset (da, db) from its centre; pa = offset along a from its pupil centre. */
        private int eye(double da, double db, double pa) {
            if (da * da * invEyeW2 + db * db * invEyeH2 > 1) return BACKGROUND;
            double pb = db + l.eyeB - l.pupilB;
            return pa * pa + pb * pb <= pupilR2 ? PUPIL : SCLERA;
        }

        /** Brow bar: distance from (da, db) (offset from the brow centre) to the segment +-halfLength * (dirA, dirB). */
        private boolean inBrow(double da, double db, double dirB) {
            double t = da * l.browDirA + db * dirB;
            if (t > l.browHalfLength) t = l.browHalfLength;
            else if (t < -l.browHalfLength) t = -l.browHalfLength;
            double ea = da - t * l.browDirA, eb = db - t * dirB;
            return ea * ea + eb * eb <= browHalfThickness2;
        }

        /** Mouth at |a| = aa (it is symmetric): LIP, MOUTH_INSIDE or BACKGROUND (= not the mouth). */
        private int mouth(double aa, double b) {
            if (aa <= l.mouthW) {
                double q = aa / l.mouthW, q2 = q * q;
                double c = l.mouthB - l.smileLift * q2, h = l.openHalf * (1 - q2);
                double up = c - h, lo = c + h;
                if (Math.abs(b - up) <= l.lipHalf || Math.abs(b - lo) <= l.lipHalf) return LIP;
                if (b > up && b < lo) return MOUTH_INSIDE;
            }
            if (aa >= l.mouthW - l.lipHalf) {
                double da = aa - l.mouthW, db = b - (l.mouthB - l.smileLift);
                if (da * da + db * db <= lipHalf2) return LIP;
            }
            return BACKGROUND;
        }

        byte[] render(int res, int s) {
            int n = res * s, plane = res * res;
            // sample k of a row (or column) sits at normalized (k + 0.5) / n, k = pixel * s + sub-sample
            double[] cdx = new double[n], sdx = new double[n];
            for (int k = 0; k < n; k++) {
                double dx = (k + 0.5) / n - l.cx;
                cdx[k] = l.cos * dx;
                sdx[k] = l.sin * dx;
            }
            double[] sums = new double[3 * res];
            int[] labels = new int[n];
            byte[] out = new byte[3 * plane];
            double[][] c = colour;
            double norm = 255.0 / (s * s);
            for (int row = 0; row < res; row++) {
                java.util.Arrays.fill(sums, 0);
                for (int j = 0; j < s; j++) {
                    double y = (row * s + j + 0.5) / n;
                    Rgb bg = palette.background(y);
                    c[BACKGROUND][0] = bg.r();
                    c[BACKGROUND][1] = bg.g();
                    c[BACKGROUND][2] = bg.b();
                    double dy = y - l.cy, a0 = l.sin * dy, b0 = l.cos * dy;
                    // samples outside the disc that holds the whole face are background: only the rest are tested
                    int lo = n, hi = -1;
                    if (dy * dy < boundR2) {
                        double half = Math.sqrt(boundR2 - dy * dy);
                        lo = Math.max(0, (int) Math.floor((l.cx - half) * n - 0.5) - 1);
                        hi = Math.min(n - 1, (int) Math.ceil((l.cx + half) * n - 0.5) + 1);
                    }
                    java.util.Arrays.fill(labels, BACKGROUND);
                    for (int k = lo; k <= hi; k++) labels[k] = label(cdx[k] + a0, b0 - sdx[k]);
                    for (int x = 0, k = 0; x < res; x++) {
                        double r = 0, g = 0, b = 0;
                        for (int i = 0; i < s; i++, k++) {
                            double[] col = c[labels[k]];
                            r += col[0];
                            g += col[1];
                            b += col[2];
                        }
                        sums[3 * x] += r;
                        sums[3 * x + 1] += g;
                        sums[3 * x + 2] += b;
                    }
                }
                for (int x = 0; x < res; x++) {
                    int i = row * res + x;
                    out[i] = to8(sums[3 * x] * norm);
                    out[plane + i] = to8(sums[3 * x + 1] * norm);
                    out[2 * plane + i] = to8(sums[3 * x + 2] * norm);
                }
            }
            return out;
        }

        private static byte to8(double v255) {
            int v = (int) Math.floor(v255 + 0.5);
            return (byte) Math.min(255, v);
        }
    }
}
