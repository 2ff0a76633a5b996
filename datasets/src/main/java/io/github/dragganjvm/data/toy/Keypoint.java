package io.github.dragganjvm.data.toy;

/**
 * Named points of a toy face. The names and their order are stable (new points are only ever appended), so
 * {@link #ordinal()} may index arrays of predictions. "Left" is the image left. Each point's definition says where
 * it is in the picture; points inside a part lie on that part's colour, points on an outline on its edge.
 */
public enum Keypoint {
    /** Centre of the head ellipse (inside the face: skin, or the nose when it reaches up there). */
    HEAD_CENTER,
    /** Top of the hair outline on the head's vertical axis (hair below it, background above). */
    HEAD_TOP,
    /** Bottom of the head outline on its vertical axis (skin above, background below). */
    CHIN,
    /** Outermost point of the left ear disc along the head's horizontal axis (ear inside, background outside). */
    LEFT_EAR,
    /** Outermost point of the right ear disc. */
    RIGHT_EAR,
    /** Centre of the left brow bar (brow colour). */
    LEFT_BROW,
    /** Centre of the right brow bar. */
    RIGHT_BROW,
    /** Centre of the left eye's white ellipse (white, or pupil when the gaze is near straight). */
    LEFT_EYE,
    /** Centre of the right eye's white ellipse. */
    RIGHT_EYE,
    /** Centre of the left pupil disc (pupil colour; it moves with the gaze). */
    LEFT_PUPIL,
    /** Centre of the right pupil disc. */
    RIGHT_PUPIL,
    /** Centre of the round nose (nose colour). */
    NOSE_TIP,
    /** Left mouth corner: the end of the lips' centre line, centre of the round lip end. */
    MOUTH_LEFT,
    /** Right mouth corner. */
    MOUTH_RIGHT,
    /** Middle of the mouth, halfway between the lip lines (lip colour when closed, the inside when open). */
    MOUTH_CENTER,
    /** Middle of the upper lip line (lip colour). */
    UPPER_LIP,
    /** Middle of the lower lip line (lip colour). */
    LOWER_LIP;

    /** The point that this one becomes when the picture is mirrored left-right (LEFT_x &lt;-> RIGHT_x, others fixed). */
    public Keypoint mirrored() {
        return switch (this) {
            case LEFT_EAR -> RIGHT_EAR;
            case RIGHT_EAR -> LEFT_EAR;
            case LEFT_BROW -> RIGHT_BROW;
            case RIGHT_BROW -> LEFT_BROW;
            case LEFT_EYE -> RIGHT_EYE;
            case RIGHT_EYE -> LEFT_EYE;
            case LEFT_PUPIL -> RIGHT_PUPIL;
            case RIGHT_PUPIL -> LEFT_PUPIL;
            case MOUTH_LEFT -> MOUTH_RIGHT;
            case MOUTH_RIGHT -> MOUTH_LEFT;
            default -> this;
        };
    }
}
