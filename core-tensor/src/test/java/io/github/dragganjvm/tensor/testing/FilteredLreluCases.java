package io.github.dragganjvm.tensor.testing;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Filtered leaky ReLU test cases shared by the kernel tests (core-tensor) and the autograd op's tests: separable,
 * 2-D (non-square) and absent filters, up 1/2/3/4, down 1/2/3, asymmetric and negative padding, clamp hit, flip;
 * and a max-norm relative comparison that names the worst element.
 */
public final class FilteredLreluCases {
    private FilteredLreluCases() {}

    /** One case: input size, filters (kind 0 none, 1 separable, 2 two-dimensional), params. */
    public record Case(String name, int n, int c, int h, int w, int fuKind, int fuH, int fuW, int fdKind, int fdH, int fdW, FilteredLreluParams p, boolean clampHit) {}

    public static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        double g = Math.sqrt(2);
        cs.add(new Case("SG3-like up 2 down 2 separable 12 taps", 1, 3, 9, 11, 1, 12, 12, 1, 12, 12, new FilteredLreluParams(2, 2, 10, 11, 10, 11, g, 0.2, FilteredLreluParams.NO_CLAMP, false), false));
        cs.add(new Case("SG3-R-like radial 2-D fd, clamp hit", 2, 2, 8, 8, 1, 12, 12, 2, 12, 12, new FilteredLreluParams(2, 2, 10, 11, 10, 11, g, 0.2, 0, false), true));
        cs.add(new Case("up 4 down 2 separable 24/12 taps", 1, 2, 6, 7, 1, 24, 24, 1, 12, 12, new FilteredLreluParams(4, 2, 21, 22, 21, 22, g, 0.2, 256, false), false));
        cs.add(new Case("up 1 down 1 no filters (bias + lrelu)", 2, 3, 5, 6, 0, 1, 1, 0, 1, 1, new FilteredLreluParams(1, 1, 0, 0, 0, 0, g, 0.2, 0, false), true));
        cs.add(new Case("2-D non-square fu, flip, asymmetric padding", 1, 2, 7, 5, 2, 3, 5, 1, 4, 4, new FilteredLreluParams(2, 1, 3, 1, 0, 4, 1.5, 0.1, FilteredLreluParams.NO_CLAMP, true), false));
        cs.add(new Case("negative padding crops", 2, 1, 9, 10, 1, 4, 4, 2, 3, 2, new FilteredLreluParams(2, 2, -2, 3, 1, -3, 1, 0.3, 0, false), true));
        cs.add(new Case("up 3 down 3, 2-D both", 1, 2, 5, 4, 2, 5, 4, 2, 4, 5, new FilteredLreluParams(3, 3, 2, 4, 3, 1, 2, 0.25, FilteredLreluParams.NO_CLAMP, true), false));
        cs.add(new Case("up 1 down 2 separable, slope 0", 1, 3, 10, 13, 1, 3, 3, 1, 6, 6, new FilteredLreluParams(1, 2, 1, 2, 2, 1, 1, 0, 0, false), true));
        cs.add(new Case("1x1 input, up 2", 1, 1, 1, 1, 1, 4, 4, 1, 2, 2, new FilteredLreluParams(2, 1, 2, 1, 2, 1, g, 0.2, FilteredLreluParams.NO_CLAMP, false), false));
        cs.add(new Case("wide rows (vector bodies and tails)", 1, 2, 3, 45, 1, 6, 6, 2, 3, 7, new FilteredLreluParams(2, 2, 5, 4, 3, 4, g, 0.2, 0, true), true));
        return cs;
    }

    public static Tensor filter(int kind, int fh, int fw, long seed, DType dt) {
        if (kind == 0) return null;
        Tensor f = kind == 1 ? Tensor.uniform(dt, seed, -0.2, 1, fw) : Tensor.uniform(dt, seed, -0.2, 1, fh, fw);
        double s = 0;
        for (double v : f.toDoubleArray()) s += v;
        return Ops.scale(f, 1 / s);                       // unit DC gain, as a low-pass filter
    }

    /** x as a strided view (a slice of a permuted larger buffer) on odd cases. */
    public static Tensor input(Case k, DType dt, long seed, boolean strided) {
        if (!strided) return Tensor.randn(dt, seed, k.n(), k.c(), k.h(), k.w());
        Tensor big = Tensor.randn(dt, seed, k.n(), k.h() + 2, k.w() + 3, k.c());
        return big.permuteView(0, 3, 1, 2).sliceView(2, 1, 1 + k.h()).sliceView(3, 2, 2 + k.w());
    }

    /**
     * The case's params, with the clamp set to hit about a third of the activations when clampHit: half-way between
     * two neighbouring activation magnitudes, so that no activation lies on the bound (where backends rounding u
     * differently would disagree about the gradient mask; values exactly on the bound are bias_act's PyTorch cases).
     */
    public static FilteredLreluParams params(Case k, Tensor x, Tensor b, Tensor fu, Tensor fd) {
        if (!k.clampHit()) return k.p();
        Tensor a = Ops.filteredLrelu(x, b, fu, null, k.p().withClamp(FilteredLreluParams.NO_CLAMP));
        double[] v = a.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
        Arrays.sort(v);
        int i = (int) (v.length * 0.7);
        while (i + 2 < v.length && !(v[i + 1] - v[i] > 1e-4 * v[i + 1])) i++;
        return k.p().withClamp(i + 1 < v.length ? (v[i] + v[i + 1]) / 2 : v[i] * 1.001);
    }

    /** max |a - e| / max |e| with the worst index; fails above tol. */
    public static double compare(String what, Tensor expected, Tensor actual, double tol) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            fail(what + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape()));
        }
        double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
        double maxRef = 0, maxDiff = 0;
        int wi = 0;
        for (int i = 0; i < e.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(e[i]));
            double d = Math.abs(e[i] - a[i]);
            if (!(d <= maxDiff)) { maxDiff = d; wi = i; }
        }
        double rel = maxRef > 0 ? maxDiff / maxRef : maxDiff;
        String msg = String.format("%s: relative %.3e (max |diff| %.3e at flat index %d: expected %.9g, got %.9g; max |expected| %.4g)",
                what, rel, maxDiff, wi, e.length > 0 ? e[wi] : 0, a.length > 0 ? a[wi] : 0, maxRef);
        if (!(rel <= tol)) fail(msg + " above tolerance " + tol);
        return rel;
    }
}
