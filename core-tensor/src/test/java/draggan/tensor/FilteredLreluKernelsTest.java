package draggan.tensor;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fused filtered leaky ReLU kernels (reference and vector backends, forward and backward) against
 * {@link FilteredLreluComposed}, the composition of each backend's upfirdn2d / biasAct / biasActBackward that NVlabs'
 * {@code _filtered_lrelu_ref} is made of, on awkward cases: separable, 2-D (non-square) and absent filters, up 1/2/3/4,
 * down 1/2/3, asymmetric and negative padding, the clamp hit, flipped filters, strided views, float32 and float64.
 * Error: max |ours - expected| / max |expected|, printed with the worst index and both values.
 */
class FilteredLreluKernelsTest {
    private static final double F32_TOL = 2e-6, F64_TOL = 1e-13;
    private final ReferenceBackend ref = new ReferenceBackend();
    private final VectorBackend vec = new VectorBackend();

    /** One case: input size, filters (kind 0 none, 1 separable, 2 two-dimensional), params. */
    record Case(String name, int n, int c, int h, int w, int fuKind, int fuH, int fuW, int fdKind, int fdH, int fdW, FilteredLreluParams p, boolean clampHit) {}

    static List<Case> cases() {
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

    static Tensor filter(int kind, int fh, int fw, long seed, DType dt) {
        if (kind == 0) return null;
        Tensor f = kind == 1 ? Tensor.uniform(dt, seed, -0.2, 1, fw) : Tensor.uniform(dt, seed, -0.2, 1, fh, fw);
        double s = 0;
        for (double v : f.toDoubleArray()) s += v;
        return Ops.scale(f, (kind == 1 ? 1 : 1) / s);
    }

    /** x as a strided view (a slice of a permuted larger buffer) on odd cases. */
    static Tensor input(Case k, DType dt, long seed, boolean strided) {
        if (!strided) return Tensor.randn(dt, seed, k.n(), k.c(), k.h(), k.w());
        Tensor big = Tensor.randn(dt, seed, k.n(), k.h() + 2, k.w() + 3, k.c());
        return big.permuteView(0, 3, 1, 2).sliceView(2, 1, 1 + k.h()).sliceView(3, 2, 2 + k.w());
    }

    /** The case's params, with the clamp set to hit about a third of the activations when clampHit. */
    static FilteredLreluParams params(Case k, Tensor x, Tensor b, Tensor fu, Tensor fd) {
        if (!k.clampHit()) return k.p();
        Tensor a = Ops.filteredLrelu(x, b, fu, null, k.p().withClamp(FilteredLreluParams.NO_CLAMP));
        double[] v = a.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
        Arrays.sort(v);
        return k.p().withClamp(v[(int) (v.length * 0.7)]);
    }

    /** max |a - e| / max |e| with the worst index; fails above tol. */
    static double compare(String what, Tensor expected, Tensor actual, double tol) {
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

    @Test void fusedKernelsMatchTheComposition() {
        double worst32 = 0, worst64 = 0;
        int i = 0;
        for (Case k : cases()) {
            for (DType dt : new DType[]{DType.F32, DType.F64}) {
                long seed = 100 + 10L * i++;
                Tensor x = input(k, dt, seed, i % 2 == 0);
                Tensor b = Tensor.randn(dt, seed + 1, k.c());
                Tensor fu = filter(k.fuKind(), k.fuH(), k.fuW(), seed + 2, dt), fd = filter(k.fdKind(), k.fdH(), k.fdW(), seed + 3, dt);
                FilteredLreluParams p = params(k, x, b, fu, fd);
                Tensor g = Tensor.randn(dt, seed + 4, k.n(), k.c(), p.outHeight(k.h(), fu, fd), p.outWidth(k.w(), fu, fd));
                Tensor y = FilteredLreluComposed.forward(ref, x, b, fu, fd, p);
                Tensor dx = FilteredLreluComposed.backward(ref, g, x, b, fu, fd, p);
                double tol = dt == DType.F32 ? F32_TOL : F64_TOL;
                for (Backend be : new Backend[]{ref, vec}) {
                    String what = k.name() + " " + dt + " " + be.name();
                    double e1 = compare(what + " forward", y, be.filteredLrelu(x, b, fu, fd, p), tol);
                    double e2 = compare(what + " backward", dx, be.filteredLreluBackward(g, x, b, fu, fd, p), tol);
                    if (dt == DType.F32) worst32 = Math.max(worst32, Math.max(e1, e2)); else worst64 = Math.max(worst64, Math.max(e1, e2));
                }
            }
        }
        System.out.printf("filteredLrelu fused vs composition: worst relative error float32 %.2e, float64 %.2e%n", worst32, worst64);
    }

    @Test void backwardIsTheAdjointOfTheLinearization() {
        // <g, J h> == <J^T g, h> for the fused backward and the composition's linearization, float64
        for (Case k : cases()) {
            DType dt = DType.F64;
            Tensor x = input(k, dt, 7, false), b = Tensor.randn(dt, 8, k.c()), h = Tensor.randn(dt, 9, k.n(), k.c(), k.h(), k.w());
            Tensor fu = filter(k.fuKind(), k.fuH(), k.fuW(), 10, dt), fd = filter(k.fdKind(), k.fdH(), k.fdW(), 11, dt);
            FilteredLreluParams p = params(k, x, b, fu, fd);
            Tensor g = Tensor.randn(dt, 12, k.n(), k.c(), p.outHeight(k.h(), fu, fd), p.outWidth(k.w(), fu, fd));
            double lhs = dot(g, FilteredLreluComposed.linearized(ref, h, x, b, fu, fd, p));
            for (Backend be : new Backend[]{ref, vec}) {
                double rhs = dot(be.filteredLreluBackward(g, x, b, fu, fd, p), h);
                if (!(Math.abs(lhs - rhs) <= 1e-12 * Math.max(1, Math.abs(lhs)))) {
                    fail(k.name() + " " + be.name() + ": <g, J h> = " + lhs + " but <J^T g, h> = " + rhs);
                }
            }
        }
    }

    private static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    @Test void geometryIsTheReferenceFormula() {
        // SG3 layer: 36x36, up 2, down 2, 12-tap filters, padding 10/11 -> (72 + 21 - 11 - 11 + 1) // 2 = 36
        FilteredLreluParams p = new FilteredLreluParams(2, 2, 10, 11, 10, 11, Math.sqrt(2), 0.2, 256, false);
        Tensor f12 = Tensor.zeros(DType.F32, 12);
        if (p.outSize(36, 10, 11, 12, 12) != 36 || p.upSize(36, 10, 11, 12) != 82) fail("SG3 geometry: " + p.outSize(36, 10, 11, 12, 12) + ", up " + p.upSize(36, 10, 11, 12));
        if (p.outWidth(36, f12, Tensor.zeros(DType.F32, 12, 12)) != 36) fail("outWidth with a 2-D fd");
        // negative numerator floors as Python's //
        if (new FilteredLreluParams(1, 2, -4, 0, 0, 0, 1, 0.2, -1, false).outSize(2, -4, 0, 1, 1) != -1) fail("floor division");
    }

    @Test void badArgumentsAreNamed() {
        Tensor x = Tensor.zeros(DType.F32, 1, 2, 4, 4);
        FilteredLreluParams p = new FilteredLreluParams(1, 1, 0, 0, 0, 0, 1, 0.2, -1, false);
        assertMessage(() -> Ops.filteredLrelu(x, Tensor.zeros(DType.F32, 3), null, null, p), "b");
        assertMessage(() -> Ops.filteredLrelu(x, null, Tensor.zeros(DType.F32, 1, 1, 1), null, p), "fu");
        assertMessage(() -> Ops.filteredLrelu(x, null, Tensor.zeros(DType.F64, 3), null, p), "dtype");
        assertMessage(() -> Ops.filteredLrelu(x, null, null, Tensor.zeros(DType.F32, 9, 9), p), "output would be");
        assertMessage(() -> new FilteredLreluParams(0, 1, 0, 0, 0, 0, 1, 0.2, -1, false), "up and down");
        assertMessage(() -> new FilteredLreluParams(1, 1, 0, 0, 0, 0, 0, 0.2, -1, false), "gain");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        if (!ex.getMessage().contains(part) || !ex.getMessage().contains("filteredLrelu")) fail("message '" + ex.getMessage() + "' lacks '" + part + "'");
    }
}
