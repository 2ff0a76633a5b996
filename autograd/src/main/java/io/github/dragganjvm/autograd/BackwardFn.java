package io.github.dragganjvm.autograd;

import io.github.dragganjvm.tensor.Tensor;

/**
 * The backward rule of one recorded op: given dL/d(output), add dL/d(input i) through {@link Grads#add} for each
 * input that {@link Grads#needs} a gradient (and skip the work for the others).
 */
@FunctionalInterface
public interface BackwardFn {
    void backward(Tensor gout, Grads grads);
}
