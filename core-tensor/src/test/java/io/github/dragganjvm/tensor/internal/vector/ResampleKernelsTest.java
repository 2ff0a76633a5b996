package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The fast F32 resampling kernels against their reference twins on awkward sizes (1, 7, 33), every up/down/pad/flip
 * combination StyleGAN2 and the golden cases use (negative padding included), and non-contiguous views. Each
 * comparison prints the worst element with both values. Float sums in a different order: relative 2e-6 of the
 * largest expected value.
 */
class ResampleKernelsTest {
    private static final double RTOL = 2e-6;
    private final ReferenceBackend ref = new ReferenceBackend();
    private final VectorBackend vec = new VectorBackend();

    /** A random F32 tensor of the given shape seen through a non-contiguous view: a slice of a permuted larger buffer. */
    private static Tensor strided(long seed, int n, int c, int h, int w) {
        Tensor big = Tensor.randn(DType.F32, seed, n, h + 2, w + 3, c);          // channels-last storage, padded
        return big.permuteView(0, 3, 1, 2).sliceView(2, 1, 1 + h).sliceView(3, 2, 2 + w);
    }

    private void upfirdn(String what, Tensor x, Tensor f, int upX, int upY, int downX, int downY, int[] p, double gain, boolean flip) {
        Tensor e = ref.upfirdn2d(x, f, upX, upY, downX, downY, p[0], p[1], p[2], p[3], gain, flip);
        Tensor a = vec.upfirdn2d(x, f, upX, upY, downX, downY, p[0], p[1], p[2], p[3], gain, flip);
        Golden.assertCloseRel("upfirdn2d " + what, e, a, RTOL);
    }

    @Test void upfirdn2dMatchesReference() {
        Tensor f4 = Tensor.randn(DType.F32, 7, 4, 4), f3x2 = Tensor.randn(DType.F32, 8, 3, 2), f1 = Tensor.randn(DType.F32, 9, 1, 1);
        Tensor x = Tensor.randn(DType.F32, 1, 2, 3, 33, 7);
        upfirdn("FIR blur pad 1", x, f4, 1, 1, 1, 1, new int[]{1, 1, 1, 1}, 4, false);
        upfirdn("up 2 pad 2,1,2,1", x, f4, 2, 2, 1, 1, new int[]{2, 1, 2, 1}, 4, false);
        upfirdn("down 2", x, f4, 1, 1, 2, 2, new int[]{1, 1, 1, 1}, 1, false);
        upfirdn("up 2 flip, uneven pad", x, f4, 2, 2, 1, 1, new int[]{1, 2, 0, 3}, 4, true);
        upfirdn("negative padding", x, f4, 1, 1, 1, 1, new int[]{-1, 2, 1, -1}, 1, false);
        upfirdn("3x2 filter, up x only, down y", x, f3x2, 2, 1, 1, 3, new int[]{0, 3, 2, -1}, 0.5, false);
        upfirdn("1x1 filter up 3", x, f1, 3, 3, 1, 1, new int[]{0, 0, 0, 0}, 2, false);
        upfirdn("1x1 input", Tensor.randn(DType.F32, 3, 1, 1, 1, 1), f4, 2, 2, 1, 1, new int[]{2, 1, 2, 1}, 4, false);
        upfirdn("wide rows (vector body + tail)", Tensor.randn(DType.F32, 4, 1, 7, 5, 71), f4, 1, 1, 1, 1, new int[]{1, 1, 1, 1}, 4, false);
        upfirdn("tall planes (several row bands)", Tensor.randn(DType.F32, 5, 1, 2, 70, 33), f4, 2, 2, 1, 1, new int[]{2, 1, 2, 1}, 4, false);
        Tensor wide = Tensor.randn(DType.F32, 15, 1, 3, 7, 71);
        upfirdn("up 2 wide rows (two column phases)", wide, f4, 2, 2, 1, 1, new int[]{2, 1, 2, 1}, 4, false);
        upfirdn("down 2 wide rows (two input phases)", wide, f4, 1, 1, 2, 2, new int[]{1, 2, 1, 2}, 4, true);
        upfirdn("up 3 down 2 (three phases, step 2)", wide, f4, 3, 3, 2, 2, new int[]{2, 3, 1, 4}, 2, true);
        upfirdn("up 2 down 2", wide, f4, 2, 2, 2, 2, new int[]{1, 1, 1, 1}, 1, false);
        upfirdn("up 2 down 3 in x, down 2 in y", wide, f3x2, 2, 1, 3, 2, new int[]{-3, 1, 0, 2}, 1, false);
        upfirdn("bands of pure padding", Tensor.randn(DType.F32, 16, 1, 1, 3, 5), f4, 1, 1, 1, 1, new int[]{0, 0, 70, 2}, 1, false);
        upfirdn("strided x, transposed f", strided(6, 2, 7, 33, 9), f4.transposeView(0, 1), 1, 1, 1, 1, new int[]{2, 1, 1, 2}, 4, false);
        upfirdn("strided x up 2", strided(10, 1, 3, 7, 33), f4, 2, 2, 1, 1, new int[]{2, 1, 2, 1}, 4, true);
    }

    /**
     * An outer product u v^T [fh, fw] of two random vectors; with {@code dyadic} their entries are multiples of 1/8
     * (so every product is an exact float: an exactly separable filter), else plain random floats (products rounded).
     */
    private static Tensor outer(long seed, int fh, int fw, boolean dyadic) {
        Tensor u = Tensor.randn(DType.F32, seed, fh), v = Tensor.randn(DType.F32, seed + 1, fw);
        Tensor f = Tensor.zeros(fh, fw);
        for (int i = 0; i < fh; i++) {
            for (int j = 0; j < fw; j++) {
                double a = dyadic ? Math.round(u.get(i) * 8) / 8.0 + 0.125 : u.get(i), b = dyadic ? Math.round(v.get(j) * 8) / 8.0 - 0.125 : v.get(j);
                f.set((float) (a * b), i, j);
            }
        }
        return f;
    }

    /**
     * Separable filters take the two-pass path ({@link ResampleKernels#separable} finds their factors; a random
     * 4x4 filter is refused): StyleGAN's [1, 3, 3, 1] filter and an outer product of random dyadic vectors (negative taps; exact products), on the
     * discriminator's narrow maps (8 and 9 columns: one vector of 16 lanes, all tail) and wide rows.
     */
    @Test void upfirdn2dSeparableFiltersMatchReference() {
        float[] k1 = {1, 3, 3, 1};
        Tensor fsg = Tensor.zeros(4, 4);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) fsg.set(k1[i] * k1[j] / 64f, i, j);
        Tensor fr = outer(40, 4, 4, true), f3x2 = outer(42, 3, 2, true);
        Tensor fsg4 = Tensor.zeros(4, 4);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) fsg4.set(4 * fsg.get(i, j), i, j);
        assertNotNull(ResampleKernels.separable(flat(fsg), 4, 4), "StyleGAN's filter is separable");
        assertNotNull(ResampleKernels.separable(flat(fsg4), 4, 4), "StyleGAN's filter times the up-sampling gain 4 is separable");
        assertNotNull(ResampleKernels.separable(flat(fr), 4, 4), "an outer product of dyadic vectors is separable");
        assertNull(ResampleKernels.separable(flat(outer(47, 4, 4, false)), 4, 4), "an outer product rounded to float is not exactly");
        assertNull(ResampleKernels.separable(flat(Tensor.randn(DType.F32, 7, 4, 4)), 4, 4), "a random 4x4 filter is not");
        for (Tensor f : new Tensor[]{fsg, fr}) {
            String name = f == fsg ? "[1,3,3,1] " : "dyadic outer product ";
            Tensor d9 = Tensor.randn(DType.F32, 41, 3, 5, 9, 9), d8 = Tensor.randn(DType.F32, 43, 3, 5, 8, 8);
            upfirdn(name + "blur 9x9 pad 1 (8 columns)", d9, f, 1, 1, 1, 1, new int[]{1, 1, 1, 1}, 1, true);
            upfirdn(name + "blur 8x8 pad 2 (9 columns)", d8, f, 1, 1, 1, 1, new int[]{2, 2, 2, 2}, 1, false);
            upfirdn(name + "up 2 of 8x8", d8, f, 2, 2, 1, 1, new int[]{2, 1, 2, 1}, 4, true);
            upfirdn(name + "down 2 of 9x9", d9, f, 1, 1, 2, 2, new int[]{1, 1, 1, 1}, 1, true);
            Tensor wide = Tensor.randn(DType.F32, 44, 1, 3, 7, 71);
            upfirdn(name + "wide rows pad 2", wide, f, 1, 1, 1, 1, new int[]{2, 2, 2, 2}, 1, false);
            upfirdn(name + "up 3 down 2 wide", wide, f, 3, 3, 2, 2, new int[]{2, 3, 1, 4}, 2, true);
            upfirdn(name + "strided x", strided(45, 2, 7, 33, 9), f, 1, 1, 1, 1, new int[]{2, 1, 1, 2}, 4, false);
        }
        upfirdn("dyadic outer product 3x2, up x, down y", Tensor.randn(DType.F32, 46, 2, 3, 33, 7), f3x2, 2, 1, 1, 3, new int[]{0, 3, 2, -1}, 0.5, false);
    }

    private static float[] flat(Tensor f) {
        float[] k = new float[f.numel()];
        for (int i = 0; i < f.size(0); i++) for (int j = 0; j < f.size(1); j++) k[i * f.size(1) + j] = (float) f.get(i, j);
        return k;
    }

    @Test void resizeBilinearAndBackwardMatchReference() {
        int[][] sizes = {{7, 33, 33, 7}, {33, 7, 7, 33}, {1, 1, 7, 9}, {7, 9, 1, 1}, {5, 4, 11, 9}, {7, 5, 3, 2}, {16, 16, 40, 40}};
        for (boolean ac : new boolean[]{false, true}) {
            for (int[] s : sizes) {
                String what = s[0] + "x" + s[1] + " -> " + s[2] + "x" + s[3] + " align_corners " + ac;
                Tensor x = Tensor.randn(DType.F32, 11 + s[0], 2, 3, s[0], s[1]);
                Golden.assertCloseRel("resize " + what, ref.resizeBilinear(x, s[2], s[3], ac), vec.resizeBilinear(x, s[2], s[3], ac), RTOL);
                Tensor g = Tensor.randn(DType.F32, 12 + s[2], 2, 3, s[2], s[3]);
                Golden.assertCloseRel("resize backward " + what, ref.resizeBilinearBackward(g, s[0], s[1], ac),
                        vec.resizeBilinearBackward(g, s[0], s[1], ac), RTOL);
            }
            Tensor xs = strided(13, 2, 7, 33, 9);
            Golden.assertCloseRel("resize strided", ref.resizeBilinear(xs, 7, 33, ac), vec.resizeBilinear(xs, 7, 33, ac), RTOL);
            Tensor gs = strided(14, 2, 7, 9, 33);
            Golden.assertCloseRel("resize backward strided", ref.resizeBilinearBackward(gs, 33, 7, ac), vec.resizeBilinearBackward(gs, 33, 7, ac), RTOL);
        }
    }

    @Test void gridSampleAndBackwardMatchReference() {
        for (boolean ac : new boolean[]{false, true}) {
            for (Tensor x : new Tensor[]{Tensor.randn(DType.F32, 20, 2, 7, 33, 9), strided(21, 2, 7, 33, 9), Tensor.randn(DType.F32, 22, 2, 1, 1, 1)}) {
                int n = x.size(0);
                // points inside, on the border and outside the map
                Tensor grid = Tensor.uniform(DType.F32, 23, -1.3, 1.3, n, 5, 7, 2);
                // a few exactly on pixel centres / integer coordinates
                grid.set(-1.0, 0, 0, 0, 0);
                grid.set(1.0, 0, 0, 0, 1);
                grid.set(0.0, 1, 4, 6, 0);
                Tensor gridView = Tensor.uniform(DType.F32, 24, -1.1, 1.1, n, 2, 7, 5).permuteView(0, 2, 3, 1);  // non-contiguous grid
                for (Tensor gr : new Tensor[]{grid, gridView}) {
                    String what = "x " + java.util.Arrays.toString(x.shape()) + (x.isContiguous() ? "" : " strided")
                            + (gr.isContiguous() ? "" : ", strided grid") + ", align_corners " + ac;
                    Golden.assertCloseRel("gridSample " + what, ref.gridSample(x, gr, ac), vec.gridSample(x, gr, ac), RTOL);
                    Tensor g = Tensor.randn(DType.F32, 25, n, x.size(1), gr.size(1), gr.size(2));
                    Tensor[] e = ref.gridSampleBackward(g, x, gr, ac, true, true);
                    Tensor[] a = vec.gridSampleBackward(g, x, gr, ac, true, true);
                    Golden.assertCloseRel("gridSample dx " + what, e[0], a[0], RTOL);
                    Golden.assertCloseRel("gridSample dgrid " + what, e[1], a[1], 1e-5);
                }
            }
        }
        Tensor x = Tensor.randn(DType.F32, 26, 1, 2, 4, 4), grid = Tensor.uniform(DType.F32, 27, -1, 1, 1, 3, 3, 2);
        Tensor g = Tensor.randn(DType.F32, 28, 1, 2, 3, 3);
        Tensor[] onlyX = vec.gridSampleBackward(g, x, grid, false, true, false), onlyGrid = vec.gridSampleBackward(g, x, grid, false, false, true);
        assertNotNull(onlyX[0]);
        assertNull(onlyX[1]);
        assertNull(onlyGrid[0]);
        assertArrayEquals(new int[]{1, 3, 3, 2}, onlyGrid[1].shape());
    }

    /** A NaN or infinite grid coordinate samples NaN (torch.nn.functional.grid_sample, and the reference backend). */
    @Test void gridSampleOfANonFiniteCoordinateIsNaN() {
        Tensor x = Tensor.randn(DType.F32, 29, 1, 1, 4, 4);
        Tensor grid = Tensor.of(new float[]{Float.NaN, 0.1f, 0.1f, Float.POSITIVE_INFINITY, 0.2f, -0.3f}, 1, 1, 3, 2);
        for (boolean ac : new boolean[]{false, true}) {
            float[] v = vec.gridSample(x, grid, ac).toFloatArray(), r = ref.gridSample(x, grid, ac).toFloatArray();
            org.junit.jupiter.api.Assertions.assertTrue(Float.isNaN(v[0]) && Float.isNaN(v[1]), "vector: " + java.util.Arrays.toString(v));
            org.junit.jupiter.api.Assertions.assertTrue(Float.isNaN(r[0]) && Float.isNaN(r[1]), "reference: " + java.util.Arrays.toString(r));
            org.junit.jupiter.api.Assertions.assertEquals(r[2], v[2], 1e-6, "the finite point");
        }
    }

    @Test void upfirdn2dZeroInsertionByHand() {
        // filter [[1]], up 2: every input sample lands at even positions, zeros between; one column of left padding
        Tensor x = Tensor.of(new float[]{1, 2, 3, 4}, 1, 1, 2, 2), f = Tensor.of(new float[]{1}, 1, 1);
        float[] want = {0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 0};   // [4, 5]
        assertArrayEquals(want, vec.upfirdn2d(x, f, 2, 2, 1, 1, 1, 0, 0, 0, 1, false).toFloatArray());
        assertArrayEquals(want, ref.upfirdn2d(x, f, 2, 2, 1, 1, 1, 0, 0, 0, 1, false).toFloatArray());
        // a 1x2 filter [a, b] is flipped (true convolution): out[x] = b*p[x] + a*p[x+1]
        Tensor f2 = Tensor.of(new float[]{10, 1}, 1, 2), row = Tensor.of(new float[]{1, 2, 3}, 1, 1, 1, 3);
        assertArrayEquals(new float[]{21, 32}, vec.upfirdn2d(row, f2, 1, 1, 1, 1, 0, 0, 0, 0, 1, false).toFloatArray());
        assertArrayEquals(new float[]{12, 23}, vec.upfirdn2d(row, f2, 1, 1, 1, 1, 0, 0, 0, 0, 1, true).toFloatArray());
        assertArrayEquals(new float[]{21, 32}, ref.upfirdn2d(row, f2, 1, 1, 1, 1, 0, 0, 0, 0, 1, false).toFloatArray());
    }
}
