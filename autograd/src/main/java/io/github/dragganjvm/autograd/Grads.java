package io.github.dragganjvm.autograd;

import io.github.dragganjvm.tensor.Tensor;

/** Collects the input gradients a {@link BackwardFn} produces. */
public final class Grads {
    private final Var[] inputs;
    private final boolean[] wanted;   // null: every input that requires grad
    final Tensor[] out;

    Grads(Var[] inputs, boolean[] wanted) {
        this.inputs = inputs;
        this.wanted = wanted;
        this.out = new Tensor[inputs.length];
    }

    /**
     * Whether input i needs a gradient: it requires grad and, in {@link Var#grad}, leads to one of the values asked
     * for (so a pass for dL/d(image) skips every weight gradient).
     */
    public boolean needs(int i) { return inputs[i] != null && inputs[i].requiresGrad() && (wanted == null || wanted[i]); }

    /** Adds g to the gradient of input i (same shape as that input). Ignored when input i needs none. */
    public void add(int i, Tensor g) {
        if (!needs(i)) return;
        int[] want = inputs[i].value().shape();
        if (!java.util.Arrays.equals(want, g.shape())) {
            throw new IllegalStateException("backward rule produced gradient " + java.util.Arrays.toString(g.shape())
                    + " for input " + i + " of shape " + java.util.Arrays.toString(want));
        }
        out[i] = out[i] == null ? g : io.github.dragganjvm.tensor.Ops.add(out[i], g);
    }
}
