package io.github.dragganjvm.data.toy;

/**
 * A face's parts as absolute sizes in the head frame: every length in normalized image units, positions as
 * {@code (a, b)} relative to the head centre along the head's axes (see {@link FaceParams}). The one place where
 * the relative parameters become shapes; the renderer draws these shapes and the keypoints are points of them.
 * Right-side parts are the mirror images (a -> -a) of the left ones, except that the pupils share one offset.
 */
final class FaceLayout {
    // head frame
    final double cx, cy, cos, sin;
    // head, hair, ears
    final double rx, ry, hairRx, hairRy, hairlineB, earA, earB, earR;
    // eyes (left eye at a = -eyeA), pupils (left at a = -eyeA + pupilDa), brows
    final double eyeA, eyeB, eyeW, eyeH, pupilDa, pupilB, pupilR;
    final double browA, browB, browHalfLength, browHalfThickness, browDirA, browDirB;   // left brow direction; right: (browDirA, -browDirB)
    // nose
    final double noseB, noseW, noseH;
    // mouth: centre line b(a) = mouthB - smileLift * (a / mouthW)^2; lips at -+ openHalf * (1 - (a / mouthW)^2)
    final double mouthB, mouthW, smileLift, openHalf, lipHalf;

    FaceLayout(FaceParams p) {
        FaceParams.Head h = p.head();
        FaceParams.Eyes e = p.eyes();
        FaceParams.Nose n = p.nose();
        FaceParams.Mouth m = p.mouth();
        cx = h.x();
        cy = h.y();
        cos = StrictMath.cos(h.tilt());
        sin = StrictMath.sin(h.tilt());
        rx = h.halfWidth();
        ry = h.halfHeight();
        hairRx = rx * h.hairVolume();
        hairRy = ry * h.hairVolume();
        hairlineB = h.hairline() * ry;
        earB = h.earY() * ry;
        earA = rx * Math.sqrt(1 - h.earY() * h.earY());
        earR = h.earSize() * rx;

        eyeA = e.spacing() * rx;
        eyeB = e.y() * ry;
        eyeW = e.size() * rx;
        eyeH = eyeW * e.openness();
        pupilR = e.pupilSize() * eyeW;
        pupilDa = e.gazeX() * (eyeW - pupilR);
        pupilB = eyeB + e.gazeY() * Math.max(0, eyeH - pupilR);
        browA = eyeA;
        browB = eyeB - eyeW - e.browRaise() * rx;
        browHalfLength = FaceParams.BROW_HALF_LENGTH * eyeW;
        browHalfThickness = FaceParams.BROW_THICKNESS * rx / 2;
        // left brow: its right (inner) end is lower for a positive tilt (b grows downwards)
        browDirA = StrictMath.cos(e.browTilt());
        browDirB = StrictMath.sin(e.browTilt());

        noseB = n.y() * ry;
        noseW = n.size() * rx;
        noseH = noseW * n.aspect();

        mouthB = m.y() * ry;
        mouthW = m.width() * rx;
        smileLift = m.smile() * mouthW;
        openHalf = m.open() * ry / 2;
        lipHalf = FaceParams.LIP_THICKNESS * rx / 2;
    }

    /** Normalized image column of head-frame point (a, b). */
    double imageX(double a, double b) { return cx + cos * a - sin * b; }

    /** Normalized image row of head-frame point (a, b). */
    double imageY(double a, double b) { return cy + sin * a + cos * b; }

    /** The head-frame point (a, b) of every keypoint, {@code [K, 2]} flattened in {@link Keypoint} order. */
    double[] keypointsInHeadFrame() {
        double[] ab = new double[2 * Keypoint.values().length];
        for (Keypoint k : Keypoint.values()) {
            double a, b;
            switch (k) {
                case HEAD_CENTER -> { a = 0; b = 0; }
                case HEAD_TOP -> { a = 0; b = -hairRy; }
                case CHIN -> { a = 0; b = ry; }
                case LEFT_EAR -> { a = -(earA + earR); b = earB; }
                case RIGHT_EAR -> { a = earA + earR; b = earB; }
                case LEFT_BROW -> { a = -browA; b = browB; }
                case RIGHT_BROW -> { a = browA; b = browB; }
                case LEFT_EYE -> { a = -eyeA; b = eyeB; }
                case RIGHT_EYE -> { a = eyeA; b = eyeB; }
                case LEFT_PUPIL -> { a = -eyeA + pupilDa; b = pupilB; }
                case RIGHT_PUPIL -> { a = eyeA + pupilDa; b = pupilB; }
                case NOSE_TIP -> { a = 0; b = noseB; }
                case MOUTH_LEFT -> { a = -mouthW; b = mouthB - smileLift; }
                case MOUTH_RIGHT -> { a = mouthW; b = mouthB - smileLift; }
                case MOUTH_CENTER -> { a = 0; b = mouthB; }
                case UPPER_LIP -> { a = 0; b = mouthB - openHalf; }
                case LOWER_LIP -> { a = 0; b = mouthB + openHalf; }
                default -> throw new AssertionError(k);
            }
            ab[2 * k.ordinal()] = a;
            ab[2 * k.ordinal() + 1] = b;
        }
        return ab;
    }

    /** The keypoints in pixel coordinates at a resolution: {@code u * res - 0.5} of the normalized image point. */
    Keypoints keypoints(int res) {
        double[] ab = keypointsInHeadFrame();
        double[] xy = new double[ab.length];
        for (int i = 0; i < ab.length; i += 2) {
            xy[i] = imageX(ab[i], ab[i + 1]) * res - 0.5;
            xy[i + 1] = imageY(ab[i], ab[i + 1]) * res - 0.5;
        }
        return new Keypoints(res, xy);
    }
}
