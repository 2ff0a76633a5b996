/**
 * The toy world: procedural cartoon faces whose geometry is known exactly, for training a small StyleGAN2 and then
 * measuring where DragGAN really moved the content. {@link io.github.dragganjvm.data.toy.FaceParams} (sampled from a seed) defines
 * a face, {@link io.github.dragganjvm.data.toy.ToyFaceRenderer} draws it deterministically, {@link io.github.dragganjvm.data.toy.Keypoints}
 * give its named {@link io.github.dragganjvm.data.toy.Keypoint}s in pixel coordinates, {@link io.github.dragganjvm.data.toy.ToyFaces} serves
 * it as an {@link io.github.dragganjvm.data.ImageSource}, and {@link io.github.dragganjvm.data.toy.SampleGrid} draws a contact sheet.
 */
package io.github.dragganjvm.data.toy;
