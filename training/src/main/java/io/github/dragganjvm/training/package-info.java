/**
 * Training StyleGAN2 with the library's own autodiff: the discriminator, a generator whose parameters are trainable,
 * the StyleGAN2 loss (NVlabs {@code training/loss.py}) and the trainer behind {@code ./draggan train}.
 */
package io.github.dragganjvm.training;
