package io.github.dragganjvm.tensor;

/**
 * The weight of a modulated convolution with what a backend may reuse from it between calls: weight
 * [O, C, kh, kw]; squaredSum [O, C] = sum over the taps of weight^2 (the demodulation's ingredient), or null to
 * compute it per call; swapped [C, O, kh, kw] = weight with its first two dimensions swapped, contiguous (the
 * up-sampling conv reads the weight that way), or null to use a transposed view per call. A backend may ignore
 * the two precomputed tensors (the CUDA one computes what it needs in its kernels).
 *
 * @param weight     [O, C, kh, kw]
 * @param squaredSum [O, C] or null
 * @param swapped    [C, O, kh, kw] contiguous or null
 */
public record ModulatedWeight(Tensor weight, Tensor squaredSum, Tensor swapped) {
    public ModulatedWeight {
        if (weight == null) throw new IllegalArgumentException("ModulatedWeight: weight is null");
        Shapes.requireRank("ModulatedWeight", "weight", weight, 4, "[O, C, kh, kw]");
        if (squaredSum != null) {
            Shapes.requireShape("ModulatedWeight", "squaredSum", squaredSum, weight.size(0), weight.size(1));
            Shapes.requireSameKind("ModulatedWeight", weight, squaredSum);
        }
        if (swapped != null) {
            Shapes.requireShape("ModulatedWeight", "swapped", swapped, weight.size(1), weight.size(0), weight.size(2), weight.size(3));
            Shapes.requireSameKind("ModulatedWeight", weight, swapped);
        }
    }

    /** A weight with nothing precomputed (a trained weight that changes every step). */
    public static ModulatedWeight plain(Tensor weight) { return new ModulatedWeight(weight, null, null); }

    /**
     * Precomputes for a weight that stays fixed over many calls (StyleGAN's during a drag): the squared sum, and
     * the swapped copy when up is 2.
     *
     * @param weight [O, C, kh, kw]
     * @param up     the layer's up-sampling factor, 1 or 2
     */
    public static ModulatedWeight prepared(Tensor weight, int up) {
        return new ModulatedWeight(weight, Ops.sum(Ops.square(weight), false, 2, 3), up == 1 ? null : weight.transposeView(0, 1).copy());
    }
}
