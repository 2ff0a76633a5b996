package io.github.dragganjvm.autograd.ops;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.FilteredLreluParams;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.io.Npy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Randomized differential suite against PyTorch: ~850 cases recorded with PyTorch 1.13 by
 * {@code autograd/src/test/python/record_torch_differential.py} (fixed seed; its docstring has every case layout)
 * into {@code src/test/resources/differential/*.npz}: bias_act (linear and lrelu, negative alpha and gain, values
 * exactly on +-clamp and on 0), upfirdn2d (up, down, crop/pad, flip, gain), StyleGAN3's filtered leaky ReLU (its own
 * recorder, {@code record_filtered_lrelu.py}), conv2d and conv_transpose2d (stride,
 * padding, groups, non-square kernels), matmul (2-d, batched) and linear, unary and broadcasting binary ops
 * (softplus around its threshold, sigmoid, clamp on its bounds, ...) and reductions, float32 and float64, shapes
 * with size-1 and odd dimensions. Each case runs forward and a vector-Jacobian product with the recorded random
 * cotangent, twice (the tensor backward rules and the recorded differentiable ones, createGraph); every third case
 * gets its inputs as transposed views and every third as strided views with an offset.
 *
 * <p>Error measure: max |ours - torch| / max |torch| per output (max-norm relative; absolute when torch's is all 0).
 * float32: 1e-5 (measured worst 9.3e-7, a matmul output on the reference backend; elementwise ops differ by an ulp or two as PyTorch
 * rounds every step where the reference kernels compute in double and round once, sums over up to ~150 terms by
 * their summation order). float64: 1e-13 (measured worst 2.0e-15).
 * A wrong gradient mask or slope shows up as an error of order 1. The backend is the JVM's CPU backend; the pom runs
 * this class a second time with {@code -Ddraggan.backend=reference}, so both CPU backends are covered.
 */
class TorchDifferentialTest {
    private static final double F32_TOL = 1e-5, F64_TOL = 1e-13;

    /** One recorded case: its parameters and arrays by name. */
    private record Case(String set, int index, double[] p, Map<String, Tensor> a) {
        DType dtype() { return p[0] == 0 ? DType.F32 : DType.F64; }
        Tensor get(String name) {
            Tensor t = a.get(name);
            if (t == null) throw new IllegalStateException(set + " case " + index + ": no array '" + name + "'");
            return t;
        }
        boolean has(String name) { return a.containsKey(name); }
        int i(int k) { return (int) p[k]; }
    }

    /** Reads differential/{set}.npz from the test classpath: entries "iiii/name.npy". */
    private static List<Case> load(String set) {
        Map<Integer, Map<String, Tensor>> byCase = new TreeMap<>();
        try (InputStream in = TorchDifferentialTest.class.getResourceAsStream("/differential/" + set + ".npz")) {
            if (in == null) throw new IllegalStateException("test resource differential/" + set + ".npz missing");
            ZipInputStream zip = new ZipInputStream(in);
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                String n = e.getName();
                int slash = n.indexOf('/');
                int idx = Integer.parseInt(n.substring(0, slash));
                String name = n.substring(slash + 1, n.length() - ".npy".length());
                byCase.computeIfAbsent(idx, k -> new TreeMap<>()).put(name, Npy.parse(zip.readAllBytes()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Case> cases = new ArrayList<>();
        byCase.forEach((i, m) -> cases.add(new Case(set, i, m.remove("p").toDoubleArray(), m)));
        return cases;
    }

    /**
     * The same values as another layout: kind 0 the tensor itself, 1 a transposed copy seen through permuteView
     * (non-contiguous), 2 a strided slice with an offset of a larger buffer.
     */
    static Tensor layout(Tensor t, int kind) {
        int r = t.dim();
        if (r == 0 || kind == 0) return t;
        if (kind == 1) {
            int[] rev = new int[r];
            for (int d = 0; d < r; d++) rev[d] = r - 1 - d;
            return t.permuteView(rev).copy().permuteView(rev);
        }
        int[] big = Arrays.copyOf(t.shape(), r + 1);
        big[r] = 2;
        Tensor buf = Ops.affine(Tensor.zeros(t.dtype(), big), 0, Double.NaN);   // NaN where nothing should be read
        Tensor view = buf.selectView(r, 1);                                        // last stride 2, offset 1
        Ops.copyInto(t, view);
        return view;
    }

    private static final class Report {
        final String set;
        final List<String> failures = new ArrayList<>();
        double worst = 0, worstF32 = 0, worstF64 = 0;
        String worstWhat = "";
        int cases, checks;

        Report(String set) { this.set = set; }

        void check(Case c, String what, Tensor expected, Tensor actual, double tolF32) {
            checks++;
            String label = set + " case " + c.index() + " " + c.dtype() + " " + what + " p=" + Arrays.toString(c.p());
            if (!Arrays.equals(expected.shape(), actual.shape())) {
                failures.add(label + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape()));
                return;
            }
            double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
            double maxRef = 0, maxDiff = -1;
            int wi = 0;
            for (int i = 0; i < e.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(e[i]));
                double d = Math.abs(e[i] - a[i]);
                if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
                if (d > maxDiff) { maxDiff = d; wi = i; }
            }
            if (e.length == 0) return;
            double rel = maxRef > 0 ? maxDiff / maxRef : maxDiff;
            double tol = c.dtype() == DType.F32 ? tolF32 : F64_TOL;
            String msg = String.format("%s: max |diff| %.3e at flat index %d (torch %.9g, ours %.9g), max |torch| %.4g, relative %.3e (tolerance %.0e)",
                    label, maxDiff, wi, e[wi], a[wi], maxRef, rel, tol);
            if (rel / tol > worst) { worst = rel / tol; worstWhat = msg; }
            if (c.dtype() == DType.F32) worstF32 = Math.max(worstF32, rel); else worstF64 = Math.max(worstF64, rel);
            if (!(rel <= tol)) failures.add(msg);
        }

        void finish() {
            System.out.printf("%s [%s backend]: %d cases, %d comparisons, worst relative error float32 %.2e, float64 %.2e; worst against its tolerance (%.3f): %s%n",
                    set, Backends.cpu().name(), cases, checks, worstF32, worstF64, worst, worstWhat);
            if (!failures.isEmpty()) {
                failures.forEach(System.out::println);
                fail(failures.size() + " of " + checks + " comparisons failed in " + set + "; first: " + failures.get(0));
            }
        }
    }

    /**
     * Runs every case of a set: op builds the output from Vars made of the named inputs (in the given layout), then
     * y and the gradients of every input listed in grads are compared with torch's, by tensor rules and by the
     * recorded differentiable rules.
     */
    private static void run(String set, double tolF32, List<String> inputNames, Function<Case, List<String>> grads,
                            OpFn op) {
        run(set, tolF32, tolF32, inputNames, grads, op);
    }

    /** {@link #run} with its own float32 tolerance for the gradients. */
    private static void run(String set, double tolF32, double gradTolF32, List<String> inputNames, Function<Case, List<String>> grads,
                            OpFn op) {
        Report r = new Report(set);
        for (Case c : load(set)) {
            r.cases++;
            for (boolean createGraph : new boolean[]{false, true}) {
                Map<String, Var> vars = new TreeMap<>();
                for (String n : inputNames) {
                    if (c.has(n)) vars.put(n, Var.param(layout(c.get(n), c.index() % 3)));
                }
                Var y = op.apply(c, vars);
                if (!createGraph) r.check(c, "y", c.get("y"), y.value(), tolF32);
                List<String> gn = grads.apply(c);
                Var[] in = gn.stream().map(vars::get).toArray(Var[]::new);
                Var[] g = Var.grad(y, c.get("gy"), in, createGraph);
                for (int k = 0; k < gn.size(); k++) {
                    r.check(c, "grad " + gn.get(k) + (createGraph ? " (createGraph)" : ""), c.get("g" + gn.get(k)), g[k].value(), gradTolF32);
                }
            }
        }
        r.finish();
    }

    @FunctionalInterface
    private interface OpFn { Var apply(Case c, Map<String, Var> v); }

    private static List<String> present(Case c, String... names) {
        return Arrays.stream(names).filter(c::has).toList();
    }

    @Test void biasAct() {
        run("bias_act", F32_TOL, List.of("x", "b"), c -> present(c, "x", "b"), (c, v) -> ElementwiseOps.biasAct(v.get("x"), v.get("b"),
                c.i(1), c.i(3) == 1 ? Activation.LRELU : Activation.LINEAR, c.p()[4], c.p()[5], c.p()[6]));
    }

    @Test void upfirdn2d() {
        run("upfirdn2d", F32_TOL, List.of("x"), c -> List.of("x"), (c, v) -> ResampleOps.upfirdn2d(v.get("x"), c.get("f"), c.i(1), c.i(2),
                new int[]{c.i(3), c.i(4), c.i(5), c.i(6)}, c.p()[7], c.i(8) == 1));
    }

    /**
     * StyleGAN3's filtered leaky ReLU ({@code record_filtered_lrelu.py}: NVlabs {@code _filtered_lrelu_ref}), 64 cases:
     * StyleGAN3-like layers (up 2 or 4, down 2, 12/24-tap separable up filters, separable or radial 2-D 12x12 down
     * filters, their paddings) and random ones (no filter, separable, 2-D non-square, up 1/2/4, down 1/2, padding
     * -2..6, slope 0, flip, clamp between two activations). Forward 1e-5, gradients 1e-4 relative (float32).
     */
    @Test void filteredLrelu() {
        run("filtered_lrelu", F32_TOL, 1e-4, List.of("x", "b"), c -> present(c, "x", "b"), (c, v) -> FilteredLrelu.apply(v.get("x"), v.get("b"),
                c.has("fu") ? c.get("fu") : null, c.has("fd") ? c.get("fd") : null,
                new FilteredLreluParams(c.i(1), c.i(2), c.i(3), c.i(4), c.i(5), c.i(6), c.p()[7], c.p()[8], c.p()[9], c.i(10) == 1)));
    }

    @Test void conv2d() {
        run("conv2d", F32_TOL, List.of("x", "w"), c -> List.of("x", "w"), (c, v) -> ConvOps.conv2d(v.get("x"), v.get("w"), c.i(1), c.i(2), c.i(3)));
    }

    @Test void convTranspose2d() {
        run("conv_transpose2d", F32_TOL, List.of("x", "w"), c -> List.of("x", "w"),
                (c, v) -> ConvOps.convTranspose2d(v.get("x"), v.get("w"), c.i(1), c.i(2), c.i(3)));
    }

    @Test void matmulAndLinear() {
        run("matmul", F32_TOL, List.of("a", "b", "x", "w"), c -> present(c, "a", "b", "x", "w"), (c, v) -> c.i(1) < 2
                ? LinalgOps.matmul(v.get("a"), v.get("b"))
                : LinalgOps.linear(v.get("x"), v.get("w"), v.get("b"), c.p()[2], c.p()[3]));
    }

    @Test void elementwise() {
        run("elementwise", F32_TOL, List.of("x", "a", "b"), c -> present(c, "x", "a", "b"), (c, v) -> {
            double q1 = c.p()[2], q2 = c.p()[3];
            Var x = v.get("x"), a = v.get("a"), b = v.get("b");
            return switch (c.i(1)) {
                case 0 -> ElementwiseOps.neg(x);
                case 1 -> ElementwiseOps.abs(x);
                case 2 -> ElementwiseOps.square(x);
                case 3 -> ElementwiseOps.sqrt(x);
                case 4 -> ElementwiseOps.rsqrt(x);
                case 5 -> ElementwiseOps.exp(x);
                case 6 -> ElementwiseOps.log(x);
                case 7 -> ElementwiseOps.softplus(x);
                case 8 -> ElementwiseOps.sigmoid(x);
                case 9 -> ElementwiseOps.affine(x, q1, q2);
                case 10 -> ElementwiseOps.clamp(x, q1, q2);
                case 11 -> ElementwiseOps.leakyRelu(x, q1, q2);
                case 20 -> ElementwiseOps.add(a, b);
                case 21 -> ElementwiseOps.sub(a, b);
                case 22 -> ElementwiseOps.mul(a, b);
                case 23 -> ElementwiseOps.div(a, b);
                default -> throw new IllegalStateException("elementwise: unknown op " + c.i(1));
            };
        });
    }

    @Test void reductions() {
        run("reduce", F32_TOL, List.of("x", "t"), c -> present(c, "x", "t"), (c, v) -> {
            int[] dims = new int[c.i(4)];
            for (int k = 0; k < dims.length; k++) dims[k] = c.i(5 + k);
            boolean keep = c.i(2) == 1;
            return switch (c.i(1)) {
                case 0 -> ReduceOps.sum(v.get("x"), keep, dims);
                case 1 -> ReduceOps.mean(v.get("x"), keep, dims);
                case 2 -> NormOps.normalize2ndMoment(v.get("x"), c.p()[3]);
                case 3 -> ReduceOps.mseLoss(v.get("x"), v.get("t"));
                case 4 -> ReduceOps.l1Loss(v.get("x"), v.get("t"));
                default -> throw new IllegalStateException("reduce: unknown op " + c.i(1));
            };
        });
    }
}
