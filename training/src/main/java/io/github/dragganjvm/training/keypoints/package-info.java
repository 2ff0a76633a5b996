/**
 * A keypoint detector for the toy world ({@link io.github.dragganjvm.data.toy}): a small CNN trained with the library's own
 * autodiff that finds the 17 {@link io.github.dragganjvm.data.toy.Keypoint}s in an image without any generator features, to
 * measure where a DragGAN edit really moved the content. {@link io.github.dragganjvm.training.keypoints.KeypointDetector} is the
 * network ({@code toyFaces64()} loads the shipped one), {@link io.github.dragganjvm.training.keypoints.KeypointTrainer} trains it
 * and {@link io.github.dragganjvm.training.keypoints.KeypointEvaluation} measures it; see docs/keypoint-detector.md.
 */
package io.github.dragganjvm.training.keypoints;
