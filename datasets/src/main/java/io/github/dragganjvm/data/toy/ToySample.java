package io.github.dragganjvm.data.toy;

import io.github.dragganjvm.tensor.Tensor;

/**
 * One toy-world image with its ground truth.
 *
 * @param seed      the seed (= index in {@link ToyFaces})
 * @param params    the face
 * @param keypoints its keypoints at the image's resolution (pixel coordinates, x = column, y = row)
 * @param image     F32 {@code [3, res, res]}, values {@code b / 127.5 - 1}
 */
public record ToySample(long seed, FaceParams params, Keypoints keypoints, Tensor image) {}
