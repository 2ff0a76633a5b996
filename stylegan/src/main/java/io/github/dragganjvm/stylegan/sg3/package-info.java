/**
 * StyleGAN3 (alias-free GAN, configs T and R) as NVlabs stylegan3 and DragGAN run it:
 * {@link io.github.dragganjvm.stylegan.sg3.StyleGan3Generator} (a {@link io.github.dragganjvm.stylegan.DragGenerator}, so DragSession drags it),
 * built from a {@link io.github.dragganjvm.stylegan.io.StyleGan3Checkpoint}; its Fourier-feature input (one op with a hand-written
 * backward); every layer's filtered leaky ReLU is the library's fused op
 * ({@link io.github.dragganjvm.autograd.ops.FilteredLrelu}, exactly the reference's {@code _filtered_lrelu_ref}).
 */
package io.github.dragganjvm.stylegan.sg3;
