package io.github.dragganjvm.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Filtered leaky ReLU as a composition of a backend's own ops (biasAct, upfirdn2d, biasActBackward), step for step
 * NVlabs' {@code _filtered_lrelu_ref}: bias, upfirdn2d(fu, up, padding, gain up^2), leaky ReLU times gain and clamp,
 * upfirdn2d(fd, down). A 1-D (separable) filter runs as two upfirdn2d passes, along x then along y, each with the
 * square root of the stage's gain; a null filter is the 1x1 filter of ones. Backward: the same passes' adjoints in
 * reverse order. Every intermediate is materialised, so this is the fallback of backends without a fused kernel
 * ({@link Backend#filteredLrelu}'s default, the CUDA backend today) and a check for the fused ones.
 *
 * <p>Arguments as {@link Ops#filteredLrelu} (already validated): x [N, C, H, W], b [C] or null, fu and fd null,
 * [taps] or [fh, fw], all of one dtype on the backend's device.
 */
public final class FilteredLreluComposed {
    private FilteredLreluComposed() {}

    /** One upfirdn2d call with its input size, so that its adjoint can be formed. */
    private record Pass(Tensor f, int upX, int upY, int downX, int downY, int px0, int px1, int py0, int py1, double gain, boolean flip) {
        Tensor apply(Backend be, Tensor x) {
            return be.upfirdn2d(x, f, upX, upY, downX, downY, px0, px1, py0, py1, gain, flip);
        }

        /**
         * The adjoint (exactly NVlabs' upfirdn2d backward): upfirdn2d(g, f, up = down, down = up, padding
         * {fw - x0 - 1, W*up - Wo*down + x0 - up + 1, ...}, the same gain, flip negated) back to [.., inH, inW].
         */
        Tensor adjoint(Backend be, Tensor g, int inH, int inW) {
            int fh = f.size(0), fw = f.size(1), ho = g.size(2), wo = g.size(3);
            return be.upfirdn2d(g, f, downX, downY, upX, upY,
                    fw - px0 - 1, inW * upX - wo * downX + px0 - upX + 1,
                    fh - py0 - 1, inH * upY - ho * downY + py0 - upY + 1, gain, !flip);
        }
    }

    /** The passes of the up-sampling stage (bias-added input to the activation's input u). */
    private static List<Pass> upPasses(Backend be, Tensor fu, FilteredLreluParams p, DType dtype) {
        int u = p.up();
        if (fu != null && fu.dim() == 1) {
            double g = Math.sqrt(p.upGain());
            return List.of(new Pass(fu.unsqueezeView(0), u, u, 1, 1, p.padX0(), p.padX1(), p.padY0(), p.padY1(), g, p.flipFilter()),
                    new Pass(fu.unsqueezeView(1), 1, 1, 1, 1, 0, 0, 0, 0, g, p.flipFilter()));
        }
        Tensor f = fu != null ? fu : ones(be, dtype);
        return List.of(new Pass(f, u, u, 1, 1, p.padX0(), p.padX1(), p.padY0(), p.padY1(), p.upGain(), p.flipFilter()));
    }

    /** The passes of the down-sampling stage (activation's output to y). */
    private static List<Pass> downPasses(Backend be, Tensor fd, FilteredLreluParams p, DType dtype) {
        int d = p.down();
        if (fd != null && fd.dim() == 1) {
            return List.of(new Pass(fd.unsqueezeView(0), 1, 1, d, 1, 0, 0, 0, 0, 1, p.flipFilter()),
                    new Pass(fd.unsqueezeView(1), 1, 1, 1, d, 0, 0, 0, 0, 1, p.flipFilter()));
        }
        Tensor f = fd != null ? fd : ones(be, dtype);
        return List.of(new Pass(f, 1, 1, d, d, 0, 0, 0, 0, 1, p.flipFilter()));
    }

    private static Tensor ones(Backend be, DType dtype) { return be.fromHost(Tensor.full(dtype, 1, 1, 1)); }

    /** Runs passes in order; sizes (when not null) receives each pass's input {height, width}. */
    private static Tensor run(Backend be, List<Pass> passes, Tensor x, List<int[]> sizes) {
        for (Pass pass : passes) {
            if (sizes != null) sizes.add(new int[]{x.size(2), x.size(3)});
            x = pass.apply(be, x);
        }
        return x;
    }

    /** Adjoints of passes in reverse order; sizes are the passes' input {height, width}. */
    private static Tensor runAdjoint(Backend be, List<Pass> passes, List<int[]> sizes, Tensor g) {
        for (int k = passes.size() - 1; k >= 0; k--) g = passes.get(k).adjoint(be, g, sizes.get(k)[0], sizes.get(k)[1]);
        return g;
    }

    /** The activation's input u = upfirdn2d(x + b, fu, up, padding, gain up^2); sizes receives the passes' input sizes. */
    private static Tensor upsampled(Backend be, Tensor x, Tensor b, List<Pass> up, List<int[]> sizes) {
        Tensor v = b == null ? x : be.biasAct(x, b, 1, Activation.LINEAR, 0, 1, -1);
        return run(be, up, v, sizes);
    }

    /** y of {@link Ops#filteredLrelu} by composition. */
    public static Tensor forward(Backend be, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        Tensor u = upsampled(be, x, b, upPasses(be, fu, p, x.dtype()), null);
        Tensor a = be.biasAct(u, null, 1, Activation.LRELU, p.slope(), p.gain(), p.clamp());
        return run(be, downPasses(be, fd, p, x.dtype()), a, null);
    }

    /**
     * dL/dx of {@link Ops#filteredLrelu} from gout = dL/dy [N, C, Ho, Wo] by composition: u recomputed, then
     * du = biasActBackward(down-stage adjoint of gout, u) and dx = up-stage adjoint of du (the bias gradient is dx
     * summed over N, H, W).
     */
    public static Tensor backward(Backend be, Tensor gout, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        List<Pass> up = upPasses(be, fu, p, x.dtype()), down = downPasses(be, fd, p, x.dtype());
        List<int[]> upIns = new ArrayList<>(), downIns = new ArrayList<>();
        Tensor u = upsampled(be, x, b, up, upIns);
        int[] hw = {u.size(2), u.size(3)};
        for (Pass q : down) {                     // the down passes' input sizes
            downIns.add(hw);
            hw = new int[]{Ops.upfirdnSize(hw[0], q.upY(), q.py0(), q.py1(), q.f().size(0), q.downY()),
                    Ops.upfirdnSize(hw[1], q.upX(), q.px0(), q.px1(), q.f().size(1), q.downX())};
        }
        Tensor da = runAdjoint(be, down, downIns, gout);
        Tensor du = be.biasActBackward(da, u, null, 1, Activation.LRELU, p.slope(), p.gain(), p.clamp());
        return runAdjoint(be, up, upIns, du);
    }

    /**
     * The op linearised at (x, b), applied to h [N, C, H, W]: down(act'(u) * gain * mask * up(h)), with u of (x, b)
     * and the mask of {@link Backend#biasActBackward} (0 where the activation was clamped). It is the adjoint of
     * {@link #backward}'s map gout -> dx, so the two together make the op differentiable to any order.
     */
    public static Tensor linearized(Backend be, Tensor h, Tensor x, Tensor b, Tensor fu, Tensor fd, FilteredLreluParams p) {
        List<Pass> up = upPasses(be, fu, p, x.dtype());
        Tensor u = upsampled(be, x, b, up, null);
        Tensor uh = run(be, up, h, null);
        Tensor ah = be.biasActBackward(uh, u, null, 1, Activation.LRELU, p.slope(), p.gain(), p.clamp());
        return run(be, downPasses(be, fd, p, x.dtype()), ah, null);
    }
}
