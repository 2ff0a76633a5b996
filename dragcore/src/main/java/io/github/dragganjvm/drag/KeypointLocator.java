package io.github.dragganjvm.drag;

import io.github.dragganjvm.tensor.Tensor;

/**
 * Finds named points in an image: the seam through which a drag can be judged against an independent truth (e.g.
 * a keypoint detector trained on procedural faces) without dragcore depending on how the points are found.
 * Points are pixels: x = column, y = row, pixel centres at integers.
 */
public interface KeypointLocator {
    /** Number of keypoints K that {@link #locate} returns. */
    int count();

    /** Human-readable name of keypoint k (0 &lt;= k &lt; K), e.g. "left mouth corner"; used in task descriptions. */
    String name(int k);

    /**
     * The keypoints of one image.
     *
     * @param image {@code [1, 3, H, W]}, values in [-1, 1]
     * @return {@code [K][2]}: (x, y) of each keypoint in pixels
     */
    float[][] locate(Tensor image);
}
