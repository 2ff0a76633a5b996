package io.github.dragganjvm.data.toy;

import org.junit.jupiter.api.Test;

import static io.github.dragganjvm.data.toy.Keypoint.*;
import static io.github.dragganjvm.data.toy.ToyFaceRenderer.*;
import static org.junit.jupiter.api.Assertions.*;

/** Keypoints are where the renderer put their parts, stay visible and in frame, and move exactly with their parameters. */
class KeypointTest {
    private static final int RES = 64;

    /** Label of the part at pixel point (x, y) of a RES image, + (dx, dy) pixels. */
    private static int labelAtPixel(FaceParams p, double x, double y) {
        return ToyFaceRenderer.labelAt(p, (x + 0.5) / RES, (y + 0.5) / RES);
    }

    private static String name(int label) {
        return new String[]{"BACKGROUND", "SKIN", "HAIR", "EAR", "NOSE", "SCLERA", "PUPIL", "BROW", "LIP", "MOUTH_INSIDE"}[label];
    }

    /** The part at the keypoint and at 8 points r pixels around it is `want` (the part is visible, not a sliver). */
    private static void assertDisc(FaceParams p, Keypoints kp, Keypoint k, double r, long seed, int... want) {
        for (int i = -1; i < 8; i++) {
            double dx = i < 0 ? 0 : r * Math.cos(i * Math.PI / 4), dy = i < 0 ? 0 : r * Math.sin(i * Math.PI / 4);
            int got = labelAtPixel(p, kp.x(k) + dx, kp.y(k) + dy);
            boolean ok = false;
            for (int w : want) ok |= got == w;
            if (!ok) fail("seed " + seed + ": " + k + " at (" + kp.x(k) + ", " + kp.y(k) + ") + (" + dx + ", " + dy + ") is " + name(got));
        }
    }

    /** Moving from the keypoint by d pixels along unit (ux, uy) lands on `want`. */
    private static void assertAt(FaceParams p, Keypoints kp, Keypoint k, double ux, double uy, double d, long seed, int want) {
        int got = labelAtPixel(p, kp.x(k) + d * ux, kp.y(k) + d * uy);
        if (got != want) fail("seed " + seed + ": " + k + " + " + d + " px along (" + ux + ", " + uy + ") is " + name(got) + ", expected " + name(want));
    }

    /** Over many seeds: each keypoint lies on its part (with a margin of 0.7 px at 64 px) or on its outline. */
    @Test void everyKeypointSitsOnItsPartForManySeeds() {
        int seeds = 2000;
        double minPupil = 1e9, minBrow = 1e9, minLip = 1e9, minMargin = 1e9;
        for (long seed = 0; seed < seeds; seed++) {
            FaceParams p = FaceParams.sample(seed);
            Keypoints kp = p.keypoints(RES);
            FaceLayout l = new FaceLayout(p);
            double r = 0.7;
            assertDisc(p, kp, LEFT_PUPIL, r, seed, PUPIL);
            assertDisc(p, kp, RIGHT_PUPIL, r, seed, PUPIL);
            assertDisc(p, kp, LEFT_BROW, r, seed, BROW);
            assertDisc(p, kp, RIGHT_BROW, r, seed, BROW);
            assertDisc(p, kp, NOSE_TIP, r, seed, NOSE);
            assertDisc(p, kp, UPPER_LIP, r, seed, LIP);
            assertDisc(p, kp, LOWER_LIP, r, seed, LIP);
            assertDisc(p, kp, MOUTH_LEFT, r, seed, LIP);
            assertDisc(p, kp, MOUTH_RIGHT, r, seed, LIP);
            assertDisc(p, kp, LEFT_EYE, r, seed, SCLERA, PUPIL);
            assertDisc(p, kp, RIGHT_EYE, r, seed, SCLERA, PUPIL);
            assertDisc(p, kp, HEAD_CENTER, 0, seed, SKIN, NOSE);
            assertDisc(p, kp, MOUTH_CENTER, 0, seed, l.openHalf > l.lipHalf ? MOUTH_INSIDE : LIP);
            // outline points: inside on one side, outside on the other; axes of the head frame in pixels
            double ax = l.cos, ay = l.sin, bx = -l.sin, by = l.cos;
            double d = 1.0;
            assertAt(p, kp, CHIN, -bx, -by, d, seed, SKIN);
            assertAt(p, kp, CHIN, bx, by, d, seed, BACKGROUND);
            assertAt(p, kp, HEAD_TOP, bx, by, d, seed, HAIR);
            assertAt(p, kp, HEAD_TOP, -bx, -by, d, seed, BACKGROUND);
            assertAt(p, kp, LEFT_EAR, ax, ay, d, seed, EAR);
            assertAt(p, kp, LEFT_EAR, -ax, -ay, d, seed, BACKGROUND);
            assertAt(p, kp, RIGHT_EAR, -ax, -ay, d, seed, EAR);
            assertAt(p, kp, RIGHT_EAR, ax, ay, d, seed, BACKGROUND);
            // the lips end at the corners: one lip half-thickness plus a pixel further out is skin
            double lipPx = l.lipHalf * RES;
            assertAt(p, kp, MOUTH_LEFT, -ax, -ay, lipPx + 1, seed, SKIN);
            assertAt(p, kp, MOUTH_RIGHT, ax, ay, lipPx + 1, seed, SKIN);
            // left is the image left
            assertTrue(kp.x(LEFT_EYE) < kp.x(RIGHT_EYE) && kp.x(MOUTH_LEFT) < kp.x(MOUTH_RIGHT) && kp.x(LEFT_EAR) < kp.x(RIGHT_EAR),
                    "seed " + seed + ": left/right swapped");
            // every keypoint at least 1 px inside the frame
            for (Keypoint k : Keypoint.values()) {
                double m = Math.min(Math.min(kp.x(k), kp.y(k)), Math.min(RES - 1 - kp.x(k), RES - 1 - kp.y(k)));
                minMargin = Math.min(minMargin, m);
                assertTrue(m >= 1, "seed " + seed + ": " + k + " at (" + kp.x(k) + ", " + kp.y(k) + ") is within 1 px of the edge");
            }
            minPupil = Math.min(minPupil, l.pupilR * RES);
            minBrow = Math.min(minBrow, l.browHalfThickness * RES);
            minLip = Math.min(minLip, l.lipHalf * RES);
        }
        System.out.printf("over %d seeds at %d px: smallest pupil radius %.2f px, brow half-thickness %.2f px, lip half-thickness %.2f px, "
                + "keypoint margin to the frame %.2f px%n", seeds, RES, minPupil, minBrow, minLip, minMargin);
    }

    /** In the rendered 8-bit picture (256 px, where every part is several pixels wide) the keypoint pixels have their parts' colours. */
    @Test void renderedPixelsAtKeypointsHaveTheirPartsColours() {
        int res = 256;
        for (long seed = 100; seed < 124; seed++) {
            FaceParams p = FaceParams.sample(seed);
            byte[] img = ToyFaceRenderer.render(p, res);
            Keypoints kp = p.keypoints(res);
            FaceLayout l = new FaceLayout(p);
            assertPixel(p, img, res, kp, LEFT_PUPIL, seed, PUPIL);
            assertPixel(p, img, res, kp, RIGHT_PUPIL, seed, PUPIL);
            assertPixel(p, img, res, kp, LEFT_BROW, seed, BROW);
            assertPixel(p, img, res, kp, RIGHT_BROW, seed, BROW);
            assertPixel(p, img, res, kp, NOSE_TIP, seed, NOSE);
            assertPixel(p, img, res, kp, UPPER_LIP, seed, LIP);
            assertPixel(p, img, res, kp, LOWER_LIP, seed, LIP);
            assertPixel(p, img, res, kp, MOUTH_LEFT, seed, LIP);
            assertPixel(p, img, res, kp, MOUTH_RIGHT, seed, LIP);
            assertMix(p, img, res, kp, LEFT_EYE, seed, SCLERA, PUPIL);
            assertMix(p, img, res, kp, RIGHT_EYE, seed, SCLERA, PUPIL);
            assertMix(p, img, res, kp, HEAD_CENTER, seed, SKIN, NOSE);
            if (l.openHalf * res > l.lipHalf * res + 1.5) assertPixel(p, img, res, kp, MOUTH_CENTER, seed, MOUTH_INSIDE);
            if (l.openHalf * res < l.lipHalf * res - 1.5) assertPixel(p, img, res, kp, MOUTH_CENTER, seed, LIP);
        }
    }

    private static void assertPixel(FaceParams p, byte[] img, int res, Keypoints kp, Keypoint k, long seed, int... labels) {
        int x = (int) Math.round(kp.x(k)), y = (int) Math.round(kp.y(k)), plane = res * res, i = y * res + x;
        int[] px = {img[i] & 0xFF, img[plane + i] & 0xFF, img[2 * plane + i] & 0xFF};
        StringBuilder tried = new StringBuilder();
        for (int label : labels) {
            int[] c = ToyFaceRenderer.colourOf(p, label, (y + 0.5) / res).toBytes();
            if (Math.abs(c[0] - px[0]) <= 1 && Math.abs(c[1] - px[1]) <= 1 && Math.abs(c[2] - px[2]) <= 1) return;
            tried.append(name(label)).append(java.util.Arrays.toString(c)).append(' ');
        }
        fail("seed " + seed + ": pixel (" + x + ", " + y + ") at " + k + " is " + java.util.Arrays.toString(px) + ", expected " + tried);
    }

    /** The pixel at the keypoint is a mix of two parts' colours (the eye centre may lie on the pupil's edge). */
    private static void assertMix(FaceParams p, byte[] img, int res, Keypoints kp, Keypoint k, long seed, int labelA, int labelB) {
        int x = (int) Math.round(kp.x(k)), y = (int) Math.round(kp.y(k)), plane = res * res, i = y * res + x;
        int[] px = {img[i] & 0xFF, img[plane + i] & 0xFF, img[2 * plane + i] & 0xFF};
        int[] a = ToyFaceRenderer.colourOf(p, labelA, (y + 0.5) / res).toBytes(), b = ToyFaceRenderer.colourOf(p, labelB, (y + 0.5) / res).toBytes();
        double num = 0, den = 0;
        for (int c = 0; c < 3; c++) {
            num += (px[c] - a[c]) * (double) (b[c] - a[c]);
            den += (b[c] - a[c]) * (double) (b[c] - a[c]);
        }
        double t = den == 0 ? 0 : Math.max(0, Math.min(1, num / den));
        for (int c = 0; c < 3; c++) {
            double want = a[c] + t * (b[c] - a[c]);
            if (Math.abs(px[c] - want) > 2) {
                fail("seed " + seed + ": pixel (" + x + ", " + y + ") at " + k + " is " + java.util.Arrays.toString(px) + ", not a mix of "
                        + name(labelA) + java.util.Arrays.toString(a) + " and " + name(labelB) + java.util.Arrays.toString(b));
            }
        }
    }

    /** A face whose parts are upright and fully open, so parts are symmetric about their keypoints. */
    private static FaceParams upright(long seed) {
        FaceParams p = FaceParams.sample(seed);
        FaceParams.Head h = p.head();
        FaceParams.Eyes e = p.eyes();
        return p.withHead(new FaceParams.Head(h.x(), h.y(), h.halfWidth(), h.halfHeight(), 0, h.hairline(), h.hairVolume(), h.earY(), h.earSize()))
                .withEyes(new FaceParams.Eyes(e.y(), e.spacing(), e.size(), 1.0, 0.45, 0, 0, e.browRaise(), e.browTilt()));
    }

    @Test void keypointsMoveExactlyWithTheirParameters() {
        FaceParams p = FaceParams.sample(21);
        Keypoints k0 = p.keypoints(RES);
        // head position: every point moves by the same amount
        FaceParams.Head h = p.head();
        double d = 0.03125;   // two pixels at 64 px
        Keypoints k1 = p.withHead(new FaceParams.Head(h.x() + d, h.y() - d, h.halfWidth(), h.halfHeight(), h.tilt(), h.hairline(),
                h.hairVolume(), h.earY(), h.earSize())).keypoints(RES);
        for (Keypoint k : Keypoint.values()) {
            assertEquals(k0.x(k) + 2, k1.x(k), 1e-9, k + ".x");
            assertEquals(k0.y(k) - 2, k1.y(k), 1e-9, k + ".y");
        }
        // upright face: gaze moves both pupils sideways by gaze * (eye half-width - pupil radius), nothing else moves
        FaceParams u = upright(21);
        FaceParams.Eyes e = u.eyes();
        Keypoints g0 = u.keypoints(RES);
        Keypoints g1 = u.withEyes(new FaceParams.Eyes(e.y(), e.spacing(), e.size(), e.openness(), e.pupilSize(), 0.5, 0,
                e.browRaise(), e.browTilt())).keypoints(RES);
        double ew = e.size() * u.head().halfWidth() * RES;
        for (Keypoint k : Keypoint.values()) {
            double want = (k == LEFT_PUPIL || k == RIGHT_PUPIL) ? 0.5 * (ew - e.pupilSize() * ew) : 0;
            assertEquals(want, g1.x(k) - g0.x(k), 1e-9, k + ".x");
            assertEquals(0, g1.y(k) - g0.y(k), 1e-9, k + ".y");
        }
        // smile lifts both corners by dSmile * mouth half-width; opening parts the lips by dOpen * halfHeight
        FaceParams.Mouth m = u.mouth();
        double mw = m.width() * u.head().halfWidth() * RES, ry = u.head().halfHeight() * RES;
        Keypoints s1 = u.withMouth(new FaceParams.Mouth(m.y(), m.width(), m.smile() + 0.1, m.open() + 0.05)).keypoints(RES);
        assertEquals(-0.1 * mw, s1.y(MOUTH_LEFT) - g0.y(MOUTH_LEFT), 1e-9);
        assertEquals(-0.1 * mw, s1.y(MOUTH_RIGHT) - g0.y(MOUTH_RIGHT), 1e-9);
        assertEquals(0, s1.x(MOUTH_LEFT) - g0.x(MOUTH_LEFT), 1e-9);
        assertEquals(-0.025 * ry, s1.y(UPPER_LIP) - g0.y(UPPER_LIP), 1e-9);
        assertEquals(0.025 * ry, s1.y(LOWER_LIP) - g0.y(LOWER_LIP), 1e-9);
        assertEquals(0, s1.y(MOUTH_CENTER) - g0.y(MOUTH_CENTER), 1e-9);
        // tilt turns every point about the head centre
        double t = 0.2;
        Keypoints r = u.withHead(new FaceParams.Head(h.x(), h.y(), h.halfWidth(), h.halfHeight(), t, h.hairline(), h.hairVolume(),
                h.earY(), h.earSize())).keypoints(RES);
        for (Keypoint k : Keypoint.values()) {
            double vx = g0.x(k) - g0.x(HEAD_CENTER), vy = g0.y(k) - g0.y(HEAD_CENTER);
            assertEquals(g0.x(HEAD_CENTER) + Math.cos(t) * vx - Math.sin(t) * vy, r.x(k), 1e-9, k + ".x after tilt");
            assertEquals(g0.y(HEAD_CENTER) + Math.sin(t) * vx + Math.cos(t) * vy, r.y(k), 1e-9, k + ".y after tilt");
        }
    }

    /** Coverage-weighted centroid of the pixels near (cx, cy) of colour `part` against background colour `around`. */
    private static double[] centroid(byte[] img, int res, double cx, double cy, double radius, int[] part, int[] around) {
        int plane = res * res;
        double sw = 0, sx = 0, sy = 0, den = 0;
        for (int c = 0; c < 3; c++) den += (part[c] - around[c]) * (double) (part[c] - around[c]);
        for (int y = (int) Math.floor(cy - radius); y <= Math.ceil(cy + radius); y++) {
            for (int x = (int) Math.floor(cx - radius); x <= Math.ceil(cx + radius); x++) {
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > radius * radius) continue;
                int i = y * res + x;
                double w = 0;
                for (int c = 0; c < 3; c++) w += ((img[c * plane + i] & 0xFF) - around[c]) * (double) (part[c] - around[c]);
                w /= den;
                sw += w;
                sx += w * x;
                sy += w * y;
            }
        }
        return new double[]{sx / sw, sy / sw};
    }

    /** The pupil's measured centre (coverage-weighted centroid in the picture) is its keypoint, before and after a gaze change. */
    @Test void measuredPupilAndNoseCentresAreTheKeypoints() {
        int res = 256;
        for (long seed = 30; seed < 34; seed++) {
            FaceParams u = upright(seed);
            for (double gx : new double[]{0, 0.5}) {
                FaceParams.Eyes e = u.eyes();
                FaceParams p = u.withEyes(new FaceParams.Eyes(e.y(), e.spacing(), e.size(), e.openness(), e.pupilSize(), gx, 0,
                        e.browRaise(), e.browTilt()));
                byte[] img = ToyFaceRenderer.render(p, res);
                Keypoints kp = p.keypoints(res);
                FaceLayout l = new FaceLayout(p);
                int[] pupil = p.palette().pupil().toBytes(), white = p.palette().sclera().toBytes(), skin = p.palette().skin().toBytes();
                for (Keypoint k : new Keypoint[]{LEFT_PUPIL, RIGHT_PUPIL}) {
                    double[] c = centroid(img, res, kp.x(k), kp.y(k), l.pupilR * res + 1.5, pupil, white);
                    System.out.printf("seed %d gaze %.1f %s: keypoint (%.3f, %.3f), measured (%.3f, %.3f)%n", seed, gx, k, kp.x(k), kp.y(k), c[0], c[1]);
                    assertEquals(kp.x(k), c[0], 0.05, "seed " + seed + " " + k + ".x");
                    assertEquals(kp.y(k), c[1], 0.05, "seed " + seed + " " + k + ".y");
                }
                double[] n = centroid(img, res, kp.x(NOSE_TIP), kp.y(NOSE_TIP), Math.max(l.noseW, l.noseH) * res + 1.5,
                        p.palette().nose().toBytes(), skin);
                assertEquals(kp.x(NOSE_TIP), n[0], 0.05, "seed " + seed + " nose.x");
                assertEquals(kp.y(NOSE_TIP), n[1], 0.05, "seed " + seed + " nose.y");
            }
        }
    }

    /**
     * The outer end of the lips in the picture is one lip half-thickness beyond the corner keypoint, and moves with
     * the mouth width exactly as the keypoint does. Edge position from coverage: {@code e = x1 + 0.5 - sum(w)} over
     * the pixels from fully outside to x1 (fully inside) on the corner's row.
     */
    @Test void measuredMouthEndsFollowTheCornerKeypoints() {
        int res = 256;
        FaceParams u = upright(40);
        FaceParams.Mouth m = u.mouth();
        for (double width : new double[]{0.30, 0.30 + 4.0 / (u.head().halfWidth() * res)}) {   // the second: corners 4 px further out
            FaceParams p = u.withMouth(new FaceParams.Mouth(m.y(), width, 0.2, 0));
            byte[] img = ToyFaceRenderer.render(p, res);
            Keypoints kp = p.keypoints(res);
            double lh = new FaceLayout(p).lipHalf * res;
            int[] lip = p.palette().lip().toBytes(), skin = p.palette().skin().toBytes();
            int row = (int) Math.round(kp.y(MOUTH_LEFT));
            double dy = row - kp.y(MOUTH_LEFT);
            // expected edge: the cap disc's chord averaged over the pixel row's height (independent numeric integral)
            double chord = 0;
            int steps = 10000;
            for (int i = 0; i < steps; i++) {
                double t = dy - 0.5 + (i + 0.5) / steps;
                chord += Math.sqrt(Math.max(0, lh * lh - t * t)) / steps;
            }
            int x1 = (int) Math.round(kp.x(MOUTH_LEFT)), x0 = x1 - (int) Math.ceil(lh) - 3;
            double sum = 0;
            int plane = res * res;
            double den = 0;
            for (int c = 0; c < 3; c++) den += (lip[c] - skin[c]) * (double) (lip[c] - skin[c]);
            for (int x = x0; x <= x1; x++) {
                double w = 0;
                for (int c = 0; c < 3; c++) w += ((img[c * plane + row * res + x] & 0xFF) - skin[c]) * (double) (lip[c] - skin[c]);
                sum += w / den;
            }
            double edge = x1 + 0.5 - sum, want = kp.x(MOUTH_LEFT) - chord;
            System.out.printf("mouth width %.4f: left corner x %.3f, measured lip end %.3f, expected %.3f%n", width, kp.x(MOUTH_LEFT), edge, want);
            assertEquals(want, edge, 0.1, "left lip end");
        }
    }
}
