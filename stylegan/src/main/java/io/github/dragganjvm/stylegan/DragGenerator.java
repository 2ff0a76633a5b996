package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

/**
 * What a drag needs of a generator, whatever its architecture ({@link Generator}: StyleGAN2;
 * {@link io.github.dragganjvm.stylegan.sg3.StyleGan3Generator}: StyleGAN3): z for a seed, the mapping to w+, and a synthesis pass
 * that returns the feature list and the image, with the feature the drag reads picked by a "feature block" size.
 *
 * <p>Feature blocks: DragGAN reads entry 5 of the feature list the generator returns (renderer {@code feature_idx}
 * 5), which for StyleGAN2 is the output of block b128. The drag config names it by that block's resolution (128);
 * a generator maps a block size r to its list entry with {@link #featureIndex(int)}: StyleGAN2 the block b{r};
 * StyleGAN3 entry log2(r) - 2 of its layer list (128 -> 5, layer L5, the reference's choice for both).
 */
public interface DragGenerator {
    /** Image height = width in pixels. */
    int resolution();

    /** Rows of w+. */
    int numWs();

    /** Size of one w row. */
    int wDim();

    /** Size of z. */
    int zDim();

    /** Element type of the parameters. */
    DType dtype();

    /** z [1, z_dim] for a seed exactly as NumPy's RandomState(seed).randn(1, z_dim). */
    Tensor z(long seed);

    /**
     * Mapping plus truncation: z [N, z_dim] -> ws [N, num_ws, w_dim]; rows below {@code cutoff} (all when cutoff &lt; 0)
     * become w_avg + psi (w - w_avg). No gradient.
     */
    Tensor mapping(Tensor z, double psi, int cutoff);

    /**
     * A synthesis pass from ws [N, num_ws, w_dim] (see {@link Generator.Request}: what to compute and what to tape;
     * its block sizes are read through {@link #featureIndex(int)} by generators that have no blocks). The output's
     * feature list holds the computed features in order, the image [N, C, res, res] when asked.
     */
    Generator.Output synthesis(Var ws, Generator.Request req);

    /**
     * The position in {@link Generator.Output#features()} of the feature named by block size r (class comment);
     * fails with a message naming the generator's choices when it has none.
     */
    int featureIndex(int blockRes);

    /**
     * Whether {@link #synthesis} accepts {@link Generator.Request#windows()} (only rectangles of the last block's
     * output, features only; the output's {@link Generator.Output#parts(int)} says what each block holds). False:
     * whole maps only, and a drag runs whole forwards.
     */
    default boolean computesWindows() { return false; }

    /** The feature a drag reads, [N, C, hb, wb], of an output computed at least up to it. */
    default Var dragFeature(Generator.Output out, int blockRes) { return out.features().get(featureIndex(blockRes)); }

    /** The image [1, C, res, res] for a seed, psi and noise mode (no gradient). */
    Tensor generate(long seed, double psi, NoiseMode noise);

    /** A one-line description of the architecture for messages ("StyleGAN2", "StyleGAN3-T", ...). */
    String architecture();

    /**
     * The image of the ws a synthesis that stopped early ran on, without gradient (see {@link Generator#imageFrom}:
     * StyleGAN2 continues {@code partial}'s block outputs). This default ignores {@code partial} and runs a whole
     * synthesis of ws: the same image, at the full cost.
     *
     * @param partial an earlier {@code synthesis(ws, ...)} output with the same noise mode and seed
     * @param ws      [N, num_ws, w_dim]
     * @param req     the noise mode and seed of that synthesis
     * @return [N, img_channels, resolution, resolution]
     */
    default Tensor imageFrom(Generator.Output partial, Tensor ws, Generator.Request req) {
        try (var ng = io.github.dragganjvm.autograd.GradMode.noGrad()) {
            return synthesis(Var.constant(ws), new Generator.Request(req.noise(), req.noiseSeed(), Integer.MAX_VALUE, Generator.ImageMode.NO_GRAD, 0)).image().value();
        }
    }

    /** Rows of the generator's own image (the square's side: every architecture here is as tall as it is wide or half as wide). */
    default int imageHeight() { return resolution(); }

    /** Columns of the generator's own image; less than {@link #resolution()} for a StyleGAN-Human (half-width) model. */
    default int imageWidth() { return resolution(); }

    /** Columns of padding left (and right) of the own image inside the square that synthesis returns. */
    default int imagePadLeft() { return 0; }
}
