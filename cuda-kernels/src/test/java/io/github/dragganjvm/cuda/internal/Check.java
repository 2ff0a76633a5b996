package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * CUDA-vs-reference comparison in the style of llm.c's dev/cuda: element i passes when
 * |got - expected| <= atol + rtol * |expected|; the report names the worst element (by its share of the tolerance)
 * with its multi-index and both values, and is printed whether the check passes or not.
 */
final class Check {
    private Check() {}

    static void close(String what, Tensor expected, Tensor got, double atol, double rtol) {
        assertArrayEquals(expected.shape(), got.shape(), what + ": shape");
        double[] e = expected.toDoubleArray(), g = got.toDoubleArray();
        int worst = -1;
        double worstRatio = -1, maxAbs = 0;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - g[i]);
            if (Double.isNaN(d)) d = (Double.isNaN(e[i]) && Double.isNaN(g[i])) ? 0 : Double.POSITIVE_INFINITY;
            double ratio = d == 0 ? 0 : d / (atol + rtol * Math.abs(e[i]));
            if (ratio > worstRatio) { worstRatio = ratio; worst = i; }
            maxAbs = Math.max(maxAbs, d);
        }
        String where = worst < 0 ? "(no elements)" : Arrays.toString(unravel(worst, expected.shape())) + String.format(
                " expected %.9g got %.9g", e[worst], g[worst]);
        String msg = String.format("%s: max |diff| %.3e; worst vs tolerance at %s (%.2f of atol %.1e + rtol %.1e)",
                what, maxAbs, where, Math.max(worstRatio, 0), atol, rtol);
        System.out.println(msg);
        if (worstRatio > 1) fail(msg);
    }

    /** Bit-identical (NaNs equal). */
    static void bitEqual(String what, Tensor expected, Tensor got) { close(what, expected, got, 0, 0); }

    static int[] unravel(int i, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : i % shape[d];
            i = shape[d] == 0 ? 0 : i / shape[d];
        }
        return idx;
    }

    /** Relative tolerance that fits a dtype: float ~1e-6 per op, double ~1e-13. */
    static double eps(DType dt) { return dt == DType.F32 ? 1e-6 : 1e-13; }
}
