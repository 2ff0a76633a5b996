package io.github.dragganjvm.autograd;

import io.github.dragganjvm.autograd.ops.ElementwiseOps;

import java.util.Arrays;

/** Collects the input gradients a {@link DiffBackwardFn} produces, as Vars (recorded, differentiable again). */
public final class VarGrads {
    private final Var[] inputs;
    private final boolean[] wanted;
    final Var[] out;

    VarGrads(Var[] inputs, boolean[] wanted) {
        this.inputs = inputs;
        this.wanted = wanted;
        this.out = new Var[inputs.length];
    }

    /** Whether input i needs a gradient in this pass. */
    public boolean needs(int i) { return inputs[i] != null && inputs[i].requiresGrad() && (wanted == null || wanted[i]); }

    /** Adds g to the gradient of input i (same shape as that input). Ignored when input i needs none. */
    public void add(int i, Var g) {
        if (!needs(i)) return;
        int[] want = inputs[i].value().shape();
        if (!Arrays.equals(want, g.shape())) {
            throw new IllegalStateException("differentiable backward rule produced gradient " + Arrays.toString(g.shape())
                    + " for input " + i + " of shape " + Arrays.toString(want));
        }
        out[i] = out[i] == null ? g : ElementwiseOps.add(out[i], g);
    }
}
