package draggan.autograd.ops;

import draggan.autograd.Var;
import draggan.tensor.Ops;
import draggan.tensor.Shapes;
import draggan.tensor.Tensor;

/** Differentiable views and data movement. View ops return views of the input's value (no copy). */
public final class ShapeOps {
    private ShapeOps() {}

    /** View with a new shape (the value must be contiguous). dx = g viewed back. */
    public static Var reshapeView(Var x, int... shape) {
        int[] in = x.shape();
        return Var.record("reshape", x.value().reshapeView(shape), (g, gr) -> gr.add(0, g.contiguousOrCopy().reshapeView(in)), x);
    }

    /** Copy into a new contiguous shape (works on any view). */
    public static Var reshape(Var x, int... shape) {
        int[] in = x.shape();
        return Var.record("reshape", x.value().contiguousOrCopy().reshapeView(shape), (g, gr) -> gr.add(0, g.contiguousOrCopy().reshapeView(in)), x);
    }

    /** Dimension permutation view. dx = g permuted back. */
    public static Var permuteView(Var x, int... perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inv[Shapes.dim("permute", perm[i], perm.length)] = i;
        return Var.record("permute", x.value().permuteView(perm), (g, gr) -> gr.add(0, g.permuteView(inv).copy()), x);
    }

    /** Slice view [start, end) along dim. dx = g placed in a zero tensor. */
    public static Var sliceView(Var x, int dim, int start, int end) {
        int[] in = x.shape();
        return Var.record("slice", x.value().sliceView(dim, start, end), (g, gr) -> {
            Tensor dx = Ops.zerosLike(x.value());
            Ops.copyInto(g, dx.sliceView(dim, start, end));
            gr.add(0, dx);
        }, x);
    }

    /** Broadcast view to a larger shape. dx = g summed over the broadcast dims. */
    public static Var expandView(Var x, int... shape) {
        int[] in = x.shape();
        return Var.record("expand", x.value().expandView(shape), (g, gr) -> gr.add(0, ElementwiseOps.sumToShape(g, in)), x);
    }

    /** Inserts a size-1 dimension. */
    public static Var unsqueezeView(Var x, int dim) {
        int[] in = x.shape();
        return Var.record("unsqueeze", x.value().unsqueezeView(dim), (g, gr) -> gr.add(0, g.contiguousOrCopy().reshapeView(in)), x);
    }

    /** Concatenation along dim. dx_i = the matching slice of g. */
    public static Var cat(int dim, Var... xs) {
        Tensor[] vs = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) vs[i] = xs[i].value();
        Tensor out = Ops.cat(dim, vs);
        int d = Shapes.dim("cat", dim, out.dim());
        return Var.record("cat", out, (g, gr) -> {
            int at = 0;
            for (int i = 0; i < xs.length; i++) {
                int len = xs[i].value().size(d);
                if (gr.needs(i)) gr.add(i, g.sliceView(d, at, at + len).copy());
                at += len;
            }
        }, xs);
    }

    /** Stack along a new dim. */
    public static Var stack(int dim, Var... xs) {
        Var[] us = new Var[xs.length];
        for (int i = 0; i < xs.length; i++) us[i] = unsqueezeView(xs[i], dim);
        return cat(dim, us);
    }

    /** Gather entries along dim. dx = zeros with g added at the picked entries. */
    public static Var indexSelect(Var x, int dim, int... index) {
        int d = Shapes.dim("indexSelect", dim, x.value().dim());
        int[] idx = index.clone();
        return Var.record("indexSelect", Ops.indexSelect(x.value(), d, idx), (g, gr) -> {
            Tensor dx = Ops.zerosLike(x.value());
            Ops.indexAdd(dx, d, idx, g);
            gr.add(0, dx);
        }, x);
    }
}
