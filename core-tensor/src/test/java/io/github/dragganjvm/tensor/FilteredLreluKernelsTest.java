package io.github.dragganjvm.tensor;

import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.testing.FilteredLreluCases;
import io.github.dragganjvm.tensor.testing.FilteredLreluCases.Case;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

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

    @Test void fusedKernelsMatchTheComposition() {
        double worst32 = 0, worst64 = 0;
        int i = 0;
        for (Case k : FilteredLreluCases.cases()) {
            for (DType dt : new DType[]{DType.F32, DType.F64}) {
                long seed = 100 + 10L * i++;
                Tensor x = FilteredLreluCases.input(k, dt, seed, i % 2 == 0);
                Tensor b = Tensor.randn(dt, seed + 1, k.c());
                Tensor fu = FilteredLreluCases.filter(k.fuKind(), k.fuH(), k.fuW(), seed + 2, dt), fd = FilteredLreluCases.filter(k.fdKind(), k.fdH(), k.fdW(), seed + 3, dt);
                FilteredLreluParams p = FilteredLreluCases.params(k, x, b, fu, fd);
                Tensor g = Tensor.randn(dt, seed + 4, k.n(), k.c(), p.outHeight(k.h(), fu, fd), p.outWidth(k.w(), fu, fd));
                Tensor y = FilteredLreluComposed.forward(ref, x, b, fu, fd, p);
                Tensor dx = FilteredLreluComposed.backward(ref, g, x, b, fu, fd, p);
                double tol = dt == DType.F32 ? F32_TOL : F64_TOL;
                for (Backend be : new Backend[]{ref, vec}) {
                    String what = k.name() + " " + dt + " " + be.name();
                    double e1 = FilteredLreluCases.compare(what + " forward", y, be.filteredLrelu(x, b, fu, fd, p), tol);
                    double e2 = FilteredLreluCases.compare(what + " backward", dx, be.filteredLreluBackward(g, x, b, fu, fd, p), tol);
                    if (dt == DType.F32) worst32 = Math.max(worst32, Math.max(e1, e2)); else worst64 = Math.max(worst64, Math.max(e1, e2));
                }
            }
        }
        System.out.printf("filteredLrelu fused vs composition: worst relative error float32 %.2e, float64 %.2e%n", worst32, worst64);
    }

    @Test void backwardIsTheAdjointOfTheLinearization() {
        // <g, J h> == <J^T g, h> for the fused backward and the composition's linearization, float64
        for (Case k : FilteredLreluCases.cases()) {
            DType dt = DType.F64;
            Tensor x = FilteredLreluCases.input(k, dt, 7, false), b = Tensor.randn(dt, 8, k.c()), h = Tensor.randn(dt, 9, k.n(), k.c(), k.h(), k.w());
            Tensor fu = FilteredLreluCases.filter(k.fuKind(), k.fuH(), k.fuW(), 10, dt), fd = FilteredLreluCases.filter(k.fdKind(), k.fdH(), k.fdW(), 11, dt);
            FilteredLreluParams p = FilteredLreluCases.params(k, x, b, fu, fd);
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
