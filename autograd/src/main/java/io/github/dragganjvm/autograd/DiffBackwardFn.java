package io.github.dragganjvm.autograd;

/**
 * The backward rule of one recorded op written with differentiable ops, so that the gradient it produces is itself a
 * recorded computation and can be differentiated again (PyTorch's {@code create_graph=True}).
 *
 * <p>Given dL/d(output) as a Var {@code gout} and the op's own output {@code out} (for rules that reuse it, such as
 * sqrt's {@code dx = g / (2 y)}), add dL/d(input i) through {@link VarGrads#add} for each input that
 * {@link VarGrads#needs} one. Every Var the rule uses (the op's inputs, its output, gout) keeps its graph, so a
 * second backward reaches the op's inputs through both the forward and this rule. A rule must compute the same
 * values as the op's {@link BackwardFn}; tests check the two against each other and against finite differences.
 */
@FunctionalInterface
public interface DiffBackwardFn {
    void backward(Var gout, Var out, VarGrads grads);
}
