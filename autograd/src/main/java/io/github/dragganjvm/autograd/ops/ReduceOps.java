package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

/** Differentiable reductions and losses. */
public final class ReduceOps {
    private ReduceOps() {}

    // sum over dims: dx = g broadcast back over the summed dims
    public static Var sum(Var x, boolean keepdim, int... dims) {
        int[] ds = Ops.normaliseDims("sum", x.value(), dims);
        int[] inShape = x.shape();
        return Var.record("sum", Ops.sum(x.value(), keepdim, ds), (g, gr) -> gr.add(0, broadcastBack(g, inShape, ds)),
                (g, out, gr) -> gr.add(0, broadcastBack(g, inShape, ds)), x);
    }

    // mean over dims: dx = g / n broadcast back
    public static Var mean(Var x, boolean keepdim, int... dims) {
        int[] ds = Ops.normaliseDims("mean", x.value(), dims);
        int[] inShape = x.shape();
        long n = 1;
        for (int d : ds) n *= inShape[d];
        double inv = 1.0 / n;
        return Var.record("mean", Ops.mean(x.value(), keepdim, ds), (g, gr) -> gr.add(0, Ops.scale(broadcastBack(g, inShape, ds), inv)),
                (g, out, gr) -> gr.add(0, ElementwiseOps.affine(broadcastBack(g, inShape, ds), inv, 0)), x);
    }

    /** Expands a reduced gradient (with or without kept dims) back to the input shape, as a contiguous copy. */
    static Tensor broadcastBack(Tensor g, int[] inShape, int[] dims) {
        int[] keep = inShape.clone();
        for (int d : dims) keep[d] = 1;
        Tensor k = g.isContiguous() ? g.reshapeView(keep) : g.copy().reshapeView(keep);
        return k.expandView(inShape).copy();
    }

    /** {@link #broadcastBack(Tensor, int[], int[])} as recorded ops. */
    static Var broadcastBack(Var g, int[] inShape, int[] dims) {
        int[] keep = inShape.clone();
        for (int d : dims) keep[d] = 1;
        return ShapeOps.reshape(ShapeOps.expandView(ShapeOps.reshape(g, keep), inShape), inShape);
    }

    /** mean |a - b| over every element (torch.nn.functional.l1_loss, reduction 'mean'). */
    public static Var l1Loss(Var a, Var b) {
        return mean(ElementwiseOps.abs(ElementwiseOps.sub(a, b)), false);
    }

    /** mean (a - b)^2 over every element. */
    public static Var mseLoss(Var a, Var b) {
        return mean(ElementwiseOps.square(ElementwiseOps.sub(a, b)), false);
    }
}
