package io.github.dragganjvm.autograd;

import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tensor value in a computation that can be differentiated: reverse-mode automatic differentiation by a graph
 * recorded as the ops run (define by run).
 *
 * <p>A {@link #param} is a leaf that requires grad; {@link #constant}s and {@link #detach()}ed values do not.
 * An op's result requires grad when any input does and {@link GradMode} is enabled; it then remembers the op's
 * {@link BackwardFn}. {@link #backward()} walks the graph once in reverse topological order, adds into each
 * leaf's {@link #grad()} (gradients accumulate until {@link #zeroGrad()}), and frees the graph: the recorded
 * rules and the tensors they saved are released, and a second backward through the same graph is an error.
 *
 * <p>Higher-order gradients: {@link #grad(Var, Var, Var[], boolean)} returns gradients of an output with respect
 * to chosen values. With {@code createGraph} each op runs its {@link DiffBackwardFn} (its backward written with
 * recorded ops), so the gradients are Vars with graphs of their own and can be differentiated again, as PyTorch's
 * {@code torch.autograd.grad(..., create_graph=True)}: the R1 penalty {@code |dD(x)/dx|^2} of a GAN discriminator
 * is differentiated this way with respect to the discriminator's weights.
 */
public final class Var {
    private final Tensor value;
    private final boolean requiresGrad;
    private Node node;          // the op that made this value; null for leaves
    private boolean released;   // the node was freed by a backward pass
    private boolean retainGrad;
    private Tensor grad;
    private String name;

    private Var(Tensor value, boolean requiresGrad, Node node) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.node = node;
    }

    /** A leaf that requires grad (a parameter or an input to differentiate by). */
    public static Var param(Tensor value) { return new Var(value, true, null); }

    /** A leaf that requires no grad. */
    public static Var constant(Tensor value) { return new Var(value, false, null); }

    /**
     * Records an op: returns a Var holding {@code out} that, when grad mode is on and any input requires grad,
     * remembers {@code rule} to be called in {@link #backward()}. Inputs may contain null (non-tensor slots).
     * An op recorded this way can be differentiated once; {@link #grad} with createGraph refuses it.
     */
    public static Var record(String op, Tensor out, BackwardFn rule, Var... inputs) {
        return record(op, out, rule, null, inputs);
    }

    /**
     * Records an op with its backward twice: {@code rule} on tensors (the fast path of {@link #backward()} and of
     * {@link #grad} without createGraph) and {@code diffRule} with recorded ops (used by {@link #grad} with
     * createGraph, so the gradient can be differentiated again). Both must compute the same values.
     */
    public static Var record(String op, Tensor out, BackwardFn rule, DiffBackwardFn diffRule, Var... inputs) {
        boolean any = false;
        for (Var v : inputs) if (v != null && v.requiresGrad) any = true;
        if (!any || !GradMode.isEnabled()) return new Var(out, false, null);
        return new Var(out, true, new Node(op, inputs, rule, diffRule));
    }

    /** The value. */
    public Tensor value() { return value; }

    /** Shape of the value. */
    public int[] shape() { return value.shape(); }

    /** Whether gradients flow to or through this value. */
    public boolean requiresGrad() { return requiresGrad; }

    /** True for values no op made (parameters, constants). */
    public boolean isLeaf() { return node == null && !released; }

    /** The accumulated gradient (leaves, and non-leaves after {@link #retainGrad()}), or null. */
    public Tensor grad() { return grad; }

    /** Clears the accumulated gradient. */
    public void zeroGrad() { grad = null; }

    /**
     * Adds g to this leaf's accumulated gradient, as {@link #backward()} does: for gradients computed with
     * {@link #grad} and applied by an optimizer (a trainer's phases), or accumulated over several batches.
     */
    public void addGrad(Tensor g) {
        if (node != null || released || !requiresGrad) throw new IllegalStateException("addGrad: only leaves that require grad hold a gradient: " + this);
        if (!java.util.Arrays.equals(g.shape(), value.shape())) {
            throw new IllegalArgumentException("addGrad: gradient shape " + java.util.Arrays.toString(g.shape())
                    + " differs from value shape " + java.util.Arrays.toString(value.shape()));
        }
        accumulate(g);
    }

    /** Keep this non-leaf's gradient in {@link #grad()} during backward. */
    public Var retainGrad() {
        retainGrad = true;
        return this;
    }

    /** The same value, cut from the graph (stop-gradient). Shares the tensor. */
    public Var detach() { return constant(value); }

    /** A label for error messages and graph dumps. */
    public Var named(String n) {
        this.name = n;
        return this;
    }

    /** The name of the op that made this value, or "leaf". */
    public String opName() { return node != null ? node.op : released ? "released" : "leaf"; }

    /** Backward from a one-element value with seed 1. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalStateException("backward() needs a one-element value but this has shape "
                    + java.util.Arrays.toString(value.shape()) + "; pass the upstream gradient to backward(Tensor)");
        }
        backward(Ops.addScalar(Ops.zerosLike(value), 1.0));
    }

    /** Backward with the given dL/d(this), which must have this value's shape. */
    public void backward(Tensor seed) {
        if (!requiresGrad) throw new IllegalStateException("backward(): this value does not require grad (no input of the computation did)");
        if (!java.util.Arrays.equals(seed.shape(), value.shape())) {
            throw new IllegalArgumentException("backward(seed): seed shape " + java.util.Arrays.toString(seed.shape())
                    + " differs from value shape " + java.util.Arrays.toString(value.shape()));
        }
        List<Var> order = topologicalOrder();
        Map<Var, Tensor> pending = new IdentityHashMap<>();
        pending.put(this, seed);
        for (Var v : order) {
            Tensor g = pending.remove(v);
            if (g == null) continue;
            if (v.node == null) {            // a leaf
                v.accumulate(g);
                continue;
            }
            if (v.retainGrad) v.accumulate(g);
            Node n = v.node;
            Grads grads = new Grads(n.inputs, null);
            n.rule.backward(g, grads);
            for (int i = 0; i < n.inputs.length; i++) {
                Tensor gi = grads.out[i];
                if (gi == null) continue;
                Var in = n.inputs[i];
                Tensor prev = pending.get(in);
                pending.put(in, prev == null ? gi : Ops.add(prev, gi));
            }
            v.node = null;                   // free the rule and what it saved
            v.released = true;
        }
    }

    /**
     * Gradients of {@code output} with respect to each of {@code inputs}, as torch.autograd.grad: nothing is added
     * to any {@link #grad()}, and only the gradients that lead to the inputs asked for are computed (a pass for
     * dL/d(image) computes no weight gradient). {@code seed} is dL/d(output) (its shape), or null for a one-element
     * output (seed 1). An input the output does not depend on gets a zero gradient.
     *
     * <p>With {@code createGraph} every op on the way runs its differentiable rule ({@link DiffBackwardFn}) with
     * recording on, the results are Vars that require grad wherever they depend on something that does (the
     * inputs, the weights, the seed), and the graph of {@code output} is kept so a later {@link #backward()} can
     * go through both; an op without a differentiable rule is an error naming it. Without createGraph the fast
     * tensor rules run, the results are constants, and the graph is kept as well (free it by dropping the output).
     */
    public static Var[] grad(Var output, Var seed, Var[] inputs, boolean createGraph) {
        if (!output.requiresGrad) throw new IllegalStateException("grad(): the output does not require grad (no input of the computation did)");
        Var s = seed != null ? seed : onesSeed(output);
        if (!java.util.Arrays.equals(s.shape(), output.shape())) {
            throw new IllegalArgumentException("grad(seed): seed shape " + java.util.Arrays.toString(s.shape())
                    + " differs from output shape " + java.util.Arrays.toString(output.shape()));
        }
        Map<Var, Integer> asked = new IdentityHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) throw new IllegalArgumentException("grad(): input " + i + " is null");
            asked.putIfAbsent(inputs[i], i);
        }
        List<Var> order = output.topologicalOrder();
        // the values some asked-for input is reached from: the only ones whose gradients are needed
        Map<Var, Boolean> leads = new IdentityHashMap<>();
        for (int k = order.size() - 1; k >= 0; k--) {
            Var v = order.get(k);
            boolean l = asked.containsKey(v);
            if (!l && v.node != null) for (Var in : v.node.inputs) if (in != null && leads.containsKey(in)) { l = true; break; }
            if (l) leads.put(v, Boolean.TRUE);
        }
        Map<Var, Object> found = new IdentityHashMap<>();
        Map<Var, Object> pending = new IdentityHashMap<>();
        pending.put(output, createGraph ? s : s.value);
        try (var mode = createGraph ? GradMode.enableGrad() : GradMode.noGrad()) {
            for (Var v : order) {
                if (!leads.containsKey(v)) continue;
                Object g = pending.remove(v);
                if (g == null) continue;
                if (asked.containsKey(v)) found.put(v, g);
                Node n = v.node;
                if (n == null) continue;
                boolean[] wanted = new boolean[n.inputs.length];
                boolean anyWanted = false;
                for (int i = 0; i < wanted.length; i++) {
                    wanted[i] = n.inputs[i] != null && leads.containsKey(n.inputs[i]);
                    anyWanted |= wanted[i];
                }
                if (!anyWanted) continue;
                if (createGraph) {
                    if (n.diffRule == null) {
                        throw new IllegalStateException("grad(createGraph): op '" + n.op + "' has no differentiable backward rule, so its gradient"
                                + " cannot be differentiated again");
                    }
                    VarGrads vg = new VarGrads(n.inputs, wanted);
                    n.diffRule.backward((Var) g, v, vg);
                    for (int i = 0; i < n.inputs.length; i++) {
                        if (vg.out[i] == null) continue;
                        Var prev = (Var) pending.get(n.inputs[i]);
                        pending.put(n.inputs[i], prev == null ? vg.out[i] : io.github.dragganjvm.autograd.ops.ElementwiseOps.add(prev, vg.out[i]));
                    }
                } else {
                    Grads gr = new Grads(n.inputs, wanted);
                    n.rule.backward((Tensor) g, gr);
                    for (int i = 0; i < n.inputs.length; i++) {
                        if (gr.out[i] == null) continue;
                        Tensor prev = (Tensor) pending.get(n.inputs[i]);
                        pending.put(n.inputs[i], prev == null ? gr.out[i] : Ops.add(prev, gr.out[i]));
                    }
                }
            }
        }
        Var[] result = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Object g = found.get(inputs[i]);
            if (g == null) result[i] = constant(Ops.zerosLike(inputs[i].value));
            else result[i] = g instanceof Var gv ? gv : constant((Tensor) g);
        }
        return result;
    }

    /** {@link #grad(Var, Var, Var[], boolean)} with a constant seed (null: 1 for a one-element output). */
    public static Var[] grad(Var output, Tensor seed, Var[] inputs, boolean createGraph) {
        return grad(output, seed == null ? null : constant(seed), inputs, createGraph);
    }

    private static Var onesSeed(Var output) {
        if (output.value.numel() != 1) {
            throw new IllegalArgumentException("grad(): the output has shape " + java.util.Arrays.toString(output.shape())
                    + "; pass dL/d(output) as the seed unless it has one element");
        }
        return constant(Ops.addScalar(Ops.zerosLike(output.value), 1.0));
    }

    private void accumulate(Tensor g) {
        if (grad == null) grad = Ops.copy(g);
        else Ops.addInPlace(grad, g);
    }

    /** Nodes reachable from this, outputs before inputs (iterative DFS: deep graphs do not overflow the stack). */
    private List<Var> topologicalOrder() {
        List<Var> post = new ArrayList<>();
        IdentityHashMap<Var, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[]{this, 0});
        seen.put(this, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Var v = (Var) top[0];
            int i = (Integer) top[1];
            if (v.released) {
                throw new IllegalStateException("backward through a graph that an earlier backward() already freed (value made by a released op"
                        + (v.name != null ? ", named " + v.name : "") + ")");
            }
            Var[] ins = v.node == null ? new Var[0] : v.node.inputs;
            if (i < ins.length) {
                top[1] = i + 1;
                Var in = ins[i];
                if (in != null && in.requiresGrad && !seen.containsKey(in)) {
                    seen.put(in, Boolean.TRUE);
                    stack.push(new Object[]{in, 0});
                }
            } else {
                stack.pop();
                post.add(v);
            }
        }
        java.util.Collections.reverse(post);
        return post;
    }

    @Override public String toString() {
        return "Var(" + (name != null ? name + ", " : "") + opName() + ", " + value + (requiresGrad ? ", requires grad" : "") + ")";
    }

    /** One recorded op. */
    static final class Node {
        final String op;
        final Var[] inputs;
        final BackwardFn rule;
        final DiffBackwardFn diffRule;   // null: differentiable once only

        Node(String op, Var[] inputs, BackwardFn rule, DiffBackwardFn diffRule) {
            this.op = op;
            this.inputs = inputs;
            this.rule = rule;
            this.diffRule = diffRule;
        }
    }
}
