package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;


/**
 * {@link IndexedConv} (the batched direct convolutions on exact output pixels) against the reference loops: the
 * shapes of a StyleGAN2 training step that {@link VConv} sends there (128 channels at 4x4 and 8x8, stride 1, the
 * stride-2 up and down convs at those sizes), output channels off the 2-vector panel (33, 36, 40, 96) and below it,
 * and the awkward shapes of {@link StackedConvTest} (batch 1 and 3, odd sizes, 1/3/5 channels, strides 2 and 3 with
 * odd inputs, paddings above the kernel's reach), which it computes as well. Worst index and values printed on
 * mismatch ({@link Golden#assertClose}).
 */
class IndexedConvTest {
    private final VectorBackend vec = new VectorBackend();

    /**
     * n, c, h, w, o, kh, kw, stride, pad. Batch 4 instead of training's 16 keeps the reference loops to seconds: the
     * batch only adds pixels (row tiles) on the same path.
     */
    private static final int[][] CONVS = {
            // training: 3x3 convs of the synthesis / discriminator blocks at 4x4 and 8x8, stride 1, padding 1
            {4, 128, 8, 8, 128, 3, 3, 1, 1}, {4, 129, 4, 4, 128, 3, 3, 1, 1}, {16, 32, 4, 4, 96, 3, 3, 1, 1},
            // training: the discriminator's down-sampling convs (stride 2 on the filtered 2R+1 input) and a 1x1 conv
            {4, 64, 17, 17, 128, 3, 3, 2, 0}, {4, 128, 9, 9, 128, 3, 3, 2, 0}, {4, 3, 8, 8, 40, 1, 1, 1, 0},
            // awkward
            {1, 3, 7, 5, 4, 3, 3, 1, 1}, {3, 5, 9, 7, 3, 3, 3, 2, 0}, {3, 1, 5, 6, 1, 3, 3, 1, 1}, {1, 5, 6, 5, 2, 3, 3, 1, 0},
            {3, 3, 11, 10, 5, 3, 3, 2, 1}, {2, 4, 8, 9, 3, 4, 2, 2, 3}, {3, 2, 10, 10, 9, 3, 3, 3, 2}, {2, 3, 6, 6, 3, 5, 5, 1, 2},
            {3, 40, 12, 11, 36, 3, 3, 1, 1}, {3, 2, 1, 1, 3, 1, 1, 1, 0}, {2, 3, 5, 5, 7, 3, 3, 1, 3}, {3, 5, 13, 13, 11, 3, 3, 2, 1},
    };

    /** Transposed convs: n, c, h, w, o, k, stride, pad (weight [C, O, k, k]). */
    private static final int[][] TRANSPOSED = {
            // training: the generator's up-sampling convs (and the discriminator's down-convs' input gradients)
            {4, 128, 4, 4, 128, 3, 2, 0}, {4, 128, 8, 8, 64, 3, 2, 0},
            // training: input gradients of the 3x3 convs
            {4, 128, 8, 8, 128, 3, 1, 1}, {16, 128, 4, 4, 33, 3, 1, 1},
            // awkward
            {1, 3, 4, 3, 2, 3, 2, 0}, {3, 5, 5, 7, 3, 3, 2, 1}, {1, 2, 5, 4, 3, 4, 2, 1}, {3, 3, 3, 5, 2, 3, 3, 0},
            {2, 2, 4, 4, 2, 2, 3, 0}, {3, 40, 6, 5, 33, 3, 2, 0}, {3, 1, 1, 1, 1, 1, 1, 0}, {1, 3, 5, 5, 4, 5, 1, 2},
            {3, 5, 7, 6, 9, 3, 1, 2},
    };

    private static final DirectConvCheck.Kernel KERNEL =
            new DirectConvCheck.Kernel(IndexedConv::conv2d, IndexedConv::convTranspose2d, IndexedConv::conv2dWeightGrad);

    private static double tol(long terms) { return DirectConvCheck.tol(terms); }

    @Test void conv2dMatchesReference() { DirectConvCheck.conv2d(CONVS, KERNEL); }

    @Test void conv2dWeightGradMatchesReference() { DirectConvCheck.conv2dWeightGrad(CONVS, KERNEL); }

    @Test void convTranspose2dMatchesReference() { DirectConvCheck.convTranspose2d(TRANSPOSED, KERNEL); }

    @Test void readsViewsOfAnyStrides() { DirectConvCheck.views(KERNEL); }

    /** Both register tiles (AVX-512's 8 rows, AVX2's 4), whatever this CPU runs, against a scalar product. */
    @Test void bothRegisterTiles() {
        int nb = IndexedConv.NB, depth = 37, bo = 5, r0 = 3;
        for (int mr : new int[]{4, 8}) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(mr);
            float[] x = new float[700], b = new float[bo + depth * nb], c = new float[mr * nb];
            int[] idx = new int[depth], off = new int[r0 + mr];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < depth; i++) idx[i] = r.nextInt(400);
            for (int i = 0; i < off.length; i++) off[i] = r.nextInt(300);
            if (mr == 8) IndexedConv.kernel8(depth, idx, x, off, r0, b, bo, c);
            else IndexedConv.kernel4(depth, idx, x, off, r0, b, bo, c);
            double worst = 0;
            int wi = -1;
            for (int i = 0; i < mr; i++) {
                for (int j = 0; j < nb; j++) {
                    double s = 0;
                    for (int k = 0; k < depth; k++) s += (double) x[idx[k] + off[r0 + i]] * b[bo + k * nb + j];
                    double e = Math.abs(s - c[i * nb + j]);
                    if (e > worst) { worst = e; wi = i * nb + j; }
                }
            }
            System.out.println("register tile " + mr + " x " + nb + ": max |diff| " + worst + " at " + wi);
            org.junit.jupiter.api.Assertions.assertTrue(worst <= tol(depth), "register tile " + mr + ": max |diff| " + worst + " at " + wi);
        }
    }

    @Test void deterministicAndTheBackendsChoice() {
        // 4x4 batches of 128 channels go here (VConv.indexedBeatsStacked), as do the weight gradients of 16x16 batches
        // with AVX2: the backend's result is bit-identical to the path the rule names; each path run twice is bit-identical
        Tensor x = Tensor.uniform(DType.F32, 5, -1, 1, 16, 128, 4, 4), w = Tensor.uniform(DType.F32, 6, -1, 1, 128, 128, 3, 3);
        Tensor g = Tensor.uniform(DType.F32, 7, -1, 1, 16, 128, 4, 4);
        boolean indexed = VConv.indexedBeatsStacked(128, 16, false);
        System.out.println("VConv sends 128 channels at 4x4 to " + (indexed ? "IndexedConv" : "StackedConv"));
        Tensor y = IndexedConv.conv2d(x, w, 1, 1, 1, 1);
        Golden.assertBitEqual("conv2d run twice", y, IndexedConv.conv2d(x, w, 1, 1, 1, 1));
        Golden.assertBitEqual("VectorBackend.conv2d of a batch", indexed ? y : StackedConv.conv2d(x, w, 1, 1, 1, 1),
                vec.conv2d(x, w, 1, 1, 1, 1, 1));
        Tensor gx = IndexedConv.convTranspose2d(g, w, 1, 1, 1, 1);
        Golden.assertBitEqual("convTranspose2d run twice", gx, IndexedConv.convTranspose2d(g, w, 1, 1, 1, 1));
        Golden.assertBitEqual("VectorBackend.convTranspose2d of a batch", indexed ? gx : StackedConv.convTranspose2d(g, w, 1, 1, 1, 1),
                vec.convTranspose2d(g, w, 1, 1, 1, 1, 1));
        Tensor dw = IndexedConv.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1);
        Golden.assertBitEqual("conv2dWeightGrad run twice", dw, IndexedConv.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1));
        Golden.assertBitEqual("VectorBackend.conv2dWeightGrad of a batch", indexed ? dw : StackedConv.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1),
                vec.conv2dWeightGrad(x, g, 3, 3, 1, 1, 1, 1, 1));

        Tensor x16 = Tensor.uniform(DType.F32, 8, -1, 1, 4, 64, 16, 16), g16 = Tensor.uniform(DType.F32, 9, -1, 1, 4, 32, 16, 16);
        boolean indexed16 = VConv.indexedBeatsStacked(32, 256, true);
        System.out.println("VConv sends the weight gradient of 32 channels at 16x16 to " + (indexed16 ? "IndexedConv" : "StackedConv"));
        Golden.assertBitEqual("VectorBackend.conv2dWeightGrad of a 16x16 batch",
                indexed16 ? IndexedConv.conv2dWeightGrad(x16, g16, 3, 3, 1, 1, 1, 1) : StackedConv.conv2dWeightGrad(x16, g16, 3, 3, 1, 1, 1, 1),
                vec.conv2dWeightGrad(x16, g16, 3, 3, 1, 1, 1, 1, 1));
    }
}
