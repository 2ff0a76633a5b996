package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Shapes;
import io.github.dragganjvm.tensor.Tensor;

/**
 * Differentiable views and data movement. View ops return views of the input's value (no copy). Every op here is
 * linear, so its differentiable rule (for gradients of gradients) is its backward written with these same ops.
 */
public final class ShapeOps {
    private ShapeOps() {}

    /** View with a new shape (the value must be contiguous). dx = g viewed back. */
    public static Var reshapeView(Var x, int... shape) {
        int[] in = x.shape();
        return Var.record("reshape", x.value().reshapeView(shape), (g, gr) -> gr.add(0, g.contiguousOrCopy().reshapeView(in)),
                (g, out, gr) -> gr.add(0, reshape(g, in)), x);
    }

    /** Copy into a new contiguous shape (works on any view). */
    public static Var reshape(Var x, int... shape) {
        int[] in = x.shape();
        return Var.record("reshape", x.value().contiguousOrCopy().reshapeView(shape), (g, gr) -> gr.add(0, g.contiguousOrCopy().reshapeView(in)),
                (g, out, gr) -> gr.add(0, reshape(g, in)), x);
    }

    /** Dimension permutation view. dx = g permuted back. */
    public static Var permuteView(Var x, int... perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inv[Shapes.dim("permute", perm[i], perm.length)] = i;
        int[] in = x.shape();
        return Var.record("permute", x.value().permuteView(perm), (g, gr) -> gr.add(0, g.permuteView(inv).copy()),
                (g, out, gr) -> gr.add(0, reshape(permuteView(g, inv), in)), x);
    }

    /** Swaps two dimensions (a permutation view). */
    public static Var transposeView(Var x, int d0, int d1) {
        int r = x.shape().length;
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        int a = Shapes.dim("transpose", d0, r), b = Shapes.dim("transpose", d1, r);
        perm[a] = b;
        perm[b] = a;
        return permuteView(x, perm);
    }

    /** Slice view [start, end) along dim. dx = g placed in a zero tensor. */
    public static Var sliceView(Var x, int dim, int start, int end) {
        int[] in = x.shape();
        int d = Shapes.dim("slice", dim, in.length);
        int[] offsets = new int[in.length];
        offsets[d] = start;
        return Var.record("slice", x.value().sliceView(dim, start, end), (g, gr) -> {
            Tensor dx = Ops.zerosLike(x.value());
            Ops.copyInto(g, dx.sliceView(dim, start, end));
            gr.add(0, dx);
        }, (g, out, gr) -> gr.add(0, embed(g, in, offsets)), x);
    }

    /**
     * A zero tensor of the given shape with x written at the given offsets (one per dimension): the adjoint of a
     * slice, e.g. zero padding. dx = the slice of g where x sits. x must fit.
     */
    public static Var embed(Var x, int[] shape, int[] offsets) {
        int[] xs = x.shape();
        if (shape.length != xs.length || offsets.length != xs.length) {
            throw new IllegalArgumentException("embed: x " + java.util.Arrays.toString(xs) + ", shape " + java.util.Arrays.toString(shape)
                    + " and offsets " + java.util.Arrays.toString(offsets) + " must have the same rank");
        }
        for (int i = 0; i < xs.length; i++) {
            if (offsets[i] < 0 || offsets[i] + xs[i] > shape[i]) {
                throw new IllegalArgumentException("embed: x of size " + xs[i] + " at offset " + offsets[i] + " does not fit dimension " + i
                        + " of size " + shape[i]);
            }
        }
        Tensor out = Ops.zerosOn(x.value(), shape);
        Ops.copyInto(x.value(), region(out, offsets, xs));
        return Var.record("embed", out, (g, gr) -> gr.add(0, region(g, offsets, xs).copy()),
                (g, out2, gr) -> gr.add(0, crop(g, offsets, xs)), x);
    }

    private static Tensor region(Tensor t, int[] offsets, int[] sizes) {
        for (int i = 0; i < sizes.length; i++) if (offsets[i] != 0 || sizes[i] != t.size(i)) t = t.sliceView(i, offsets[i], offsets[i] + sizes[i]);
        return t;
    }

    /** The region [offsets, offsets + sizes) of x as a contiguous Var (recorded slices). */
    public static Var crop(Var x, int[] offsets, int[] sizes) {
        Var t = x;
        for (int i = 0; i < sizes.length; i++) if (offsets[i] != 0 || sizes[i] != x.shape()[i]) t = sliceView(t, i, offsets[i], offsets[i] + sizes[i]);
        return reshape(t, sizes);
    }

    /** Broadcast view to a larger shape. dx = g summed over the broadcast dims. */
    public static Var expandView(Var x, int... shape) {
        int[] in = x.shape();
        return Var.record("expand", x.value().expandView(shape), (g, gr) -> gr.add(0, ElementwiseOps.sumToShape(g, in)),
                (g, out, gr) -> gr.add(0, ElementwiseOps.sumToShape(g, in)), x);
    }

    /** Inserts a size-1 dimension. */
    public static Var unsqueezeView(Var x, int dim) {
        int[] in = x.shape();
        return Var.record("unsqueeze", x.value().unsqueezeView(dim), (g, gr) -> gr.add(0, g.contiguousOrCopy().reshapeView(in)),
                (g, out, gr) -> gr.add(0, reshape(g, in)), x);
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
        }, (g, o, gr) -> {
            int at = 0;
            for (int i = 0; i < xs.length; i++) {
                int len = xs[i].value().size(d);
                if (gr.needs(i)) gr.add(i, reshape(sliceView(g, d, at, at + len), xs[i].shape()));
                at += len;
            }
        }, xs);
    }

    /** Stack along a new dim. */
    public static Var stack(int dim, Var... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("stack: needs at least one tensor");
        Shapes.dim("stack", dim, xs[0].value().dim() + 1);
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
