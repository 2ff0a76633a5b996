/**
 * The toy world: procedural cartoon faces whose geometry is known exactly, for training a small StyleGAN2 and then
 * measuring where DragGAN really moved the content. {@link draggan.data.toy.FaceParams} (sampled from a seed) defines
 * a face, {@link draggan.data.toy.ToyFaceRenderer} draws it deterministically, {@link draggan.data.toy.Keypoints}
 * give its named {@link draggan.data.toy.Keypoint}s in pixel coordinates, {@link draggan.data.toy.ToyFaces} serves
 * it as an {@link draggan.data.ImageSource}, and {@link draggan.data.toy.SampleGrid} draws a contact sheet.
 */
package draggan.data.toy;
