package draggan.autograd;

import draggan.tensor.Tensor;

/** Collects the input gradients a {@link BackwardFn} produces. */
public final class Grads {
    private final Var[] inputs;
    final Tensor[] out;

    Grads(Var[] inputs) {
        this.inputs = inputs;
        this.out = new Tensor[inputs.length];
    }

    /** Whether input i needs a gradient (it or something it came from requires grad). */
    public boolean needs(int i) { return inputs[i] != null && inputs[i].requiresGrad(); }

    /** Adds g to the gradient of input i (same shape as that input). Ignored when input i needs none. */
    public void add(int i, Tensor g) {
        if (!needs(i)) return;
        int[] want = inputs[i].value().shape();
        if (!java.util.Arrays.equals(want, g.shape())) {
            throw new IllegalStateException("backward rule produced gradient " + java.util.Arrays.toString(g.shape())
                    + " for input " + i + " of shape " + java.util.Arrays.toString(want));
        }
        out[i] = out[i] == null ? g : draggan.tensor.Ops.add(out[i], g);
    }
}
