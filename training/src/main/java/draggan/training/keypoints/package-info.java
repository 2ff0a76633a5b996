/**
 * A keypoint detector for the toy world ({@link draggan.data.toy}): a small CNN trained with the library's own
 * autodiff that finds the 17 {@link draggan.data.toy.Keypoint}s in an image without any generator features, to
 * measure where a DragGAN edit really moved the content. {@link draggan.training.keypoints.KeypointDetector} is the
 * network ({@code toyFaces64()} loads the shipped one), {@link draggan.training.keypoints.KeypointTrainer} trains it
 * and {@link draggan.training.keypoints.KeypointEvaluation} measures it; see docs/keypoint-detector.md.
 */
package draggan.training.keypoints;
