package draggan.autograd;

import draggan.tensor.Ops;
import draggan.tensor.Tensor;

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
     */
    public static Var record(String op, Tensor out, BackwardFn rule, Var... inputs) {
        boolean any = false;
        for (Var v : inputs) if (v != null && v.requiresGrad) any = true;
        if (!any || !GradMode.isEnabled()) return new Var(out, false, null);
        return new Var(out, true, new Node(op, inputs, rule));
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
            Grads grads = new Grads(n.inputs);
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

        Node(String op, Var[] inputs, BackwardFn rule) {
            this.op = op;
            this.inputs = inputs;
            this.rule = rule;
        }
    }
}
