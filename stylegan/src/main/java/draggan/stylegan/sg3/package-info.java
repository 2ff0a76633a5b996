/**
 * StyleGAN3 (alias-free GAN, configs T and R) as NVlabs stylegan3 and DragGAN run it:
 * {@link draggan.stylegan.sg3.StyleGan3Generator} (a {@link draggan.stylegan.DragGenerator}, so DragSession drags it),
 * built from a {@link draggan.stylegan.io.StyleGan3Checkpoint}; its Fourier-feature input (one op with a hand-written
 * backward); every layer's filtered leaky ReLU is the library's fused op
 * ({@link draggan.autograd.ops.FilteredLrelu}, exactly the reference's {@code _filtered_lrelu_ref}).
 */
package draggan.stylegan.sg3;
