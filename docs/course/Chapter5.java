// Chapter 5 of the course: making it fast without changing the numbers.
// Run: docs/course/run.sh 5   (see docs/course/README.md). One PASS line per checked formula; exits 1 on a FAIL.

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ModulatedConv2d;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.FeatureMap;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.internal.vector.Winograd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;

public class Chapter5 {
    static int failures = 0;

    static void check(String label, double err, double tol) {
        boolean ok = err <= tol;
        if (!ok) failures++;
        System.out.printf("%s %s  (error %.3g, tolerance %.1g)%n", ok ? "PASS" : "FAIL", label, err, tol);
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) return Double.NaN;
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    static double maxAbs(Tensor a) {
        double m = 0;
        for (double v : a.toDoubleArray()) m = Math.max(m, Math.abs(v));
        return m;
    }

    public static void main(String[] args) {
        System.out.println("Chapter 5: making it fast, with the same results");

        // ---------------------------------------------------------------- 1. the default drag path vs the straightforward one
        Generator g = RandomModels.create(64, 1024, 0);
        int h = g.resolution();
        DragConfig fast = DragConfig.reference().withFeatureBlock(32), plain = fast.withDirectSampling(false);
        List<Tensor> ga = new ArrayList<>(), gb = new ArrayList<>();
        List<double[]> a = drag(g, fast, ga), b = drag(g, plain, gb);
        double lossErr = 0, gradErr = 0;
        boolean samePoints = true;
        for (int i = 0; i < a.size(); i++) {
            lossErr = Math.max(lossErr, Math.abs(a.get(i)[0] - b.get(i)[0]) / Math.abs(b.get(i)[0]));
            gradErr = Math.max(gradErr, maxAbsDiff(ga.get(i), gb.get(i)) / maxAbs(gb.get(i)));
            samePoints &= a.get(i)[1] == b.get(i)[1] && a.get(i)[2] == b.get(i)[2];
        }
        System.out.printf("  %d steps on random:64:1024 with F from b32 (resized 2x), default path vs straightforward: worst relative loss difference %.2g, gradient %.2g%n", a.size(), lossErr, gradErr);
        check("5.1 default and straightforward drag paths track the same points at every step", samePoints ? 0 : 1, 0);
        check("5.2 ... and compute the same loss (relative, float32)", lossErr, 1e-5);
        check("5.3 ... and the same dL/dw+[:, :6] (max difference / max |gradient|)", gradErr, 1e-4);

        // the window of the resized map, computed from a crop of the block map, equals the crop of the full resize
        Var blk = g.synthesis(Var.constant(g.mapping(g.z(3), 0.7, -1)), new Generator.Request(NoiseMode.CONST, 3, 16, Generator.ImageMode.NONE, 16)).feature(g, 16);
        FeatureMap direct = new FeatureMap(blk, h, true), whole = new FeatureMap(blk, h, false);
        double wErr = 0;
        int[][] windows = {{10, 17, 20, 27}, {0, 5, 0, 5}, {58, 64, 30, 41}, {31, 32, 31, 32}};
        for (int[] w : windows) wErr = Math.max(wErr, maxAbsDiff(direct.window(w[0], w[1], w[2], w[3]).value(), whole.window(w[0], w[1], w[2], w[3]).value()));
        check("5.4 a window of the 4x bilinear resize, made from a crop of b16 with a 1-pixel margin, equals the full resize's", wErr, 1e-6);

        // a forward of only a rectangle of b32 equals that rectangle of the whole forward, in every block it computes
        Tensor ws3 = g.mapping(g.z(3), 0.7, -1);
        Generator.Request upTo32 = new Generator.Request(NoiseMode.CONST, 3, 32, Generator.ImageMode.NONE, 0);
        Generator.Output all = g.synthesis(Var.constant(ws3), upTo32);
        Generator.Output part = g.synthesis(Var.constant(ws3), upTo32.withWindow(new Generator.Window(9, 17, 20, 27)));
        double pErr = 0;
        StringBuilder sizes = new StringBuilder();
        for (int i = 0; i < part.features().size(); i++) {
            Generator.Window w = part.window(i);
            Tensor ref = all.features().get(i).value().sliceView(2, w.y0(), w.y1()).sliceView(3, w.x0(), w.x1()).copy();
            pErr = Math.max(pErr, maxAbsDiff(part.features().get(i).value(), ref) / maxAbs(ref));
            sizes.append(i == 0 ? "" : ", ").append("b").append(4 << i).append(" ").append(w.height()).append("x").append(w.width());
        }
        System.out.println("  rectangle rows 9-16, columns 20-26 of b32; computed per block: " + sizes);
        check("5.12 a synthesis of a rectangle of b32 equals that rectangle of the whole synthesis in every block (relative)", pErr, 1e-6);

        // the modulated conv's backward on the non-zero box of dL/dy only, against the composed primitives (float64)
        Tensor x = Tensor.randn(DType.F64, 1, 1, 6, 16, 16), wgt = Tensor.randn(DType.F64, 2, 5, 6, 3, 3);
        Tensor st = Ops.addScalar(Ops.scale(Tensor.randn(DType.F64, 3, 1, 6), 0.2), 1);
        Tensor gy = Tensor.zeros(DType.F64, 1, 5, 16, 16);
        Ops.copyInto(Tensor.randn(DType.F64, 4, 1, 5, 3, 4), gy.sliceView(2, 6, 9).sliceView(3, 9, 13));   // a small disc-like box
        Var x1 = Var.param(x), s1 = Var.param(st), x2 = Var.param(x), s2 = Var.param(st);
        ModulatedConv2d.apply(x1, Var.constant(wgt), s1, 1, null, 1, true).backward(gy);
        ModulatedConv2d.composed(x2, Var.constant(wgt), s2, 1, null, 1, true).backward(gy);
        check("5.5 the sparse-box backward of the modulated conv equals the dense composed one (dx and ds)",
                Math.max(maxAbsDiff(x1.grad(), x2.grad()), maxAbsDiff(s1.grad(), s2.grad())), 1e-12);

        // ---------------------------------------------------------------- 2. Winograd
        // F(2, 3) in 1-D: outputs y0 = d0 g0 + d1 g1 + d2 g2, y1 = d1 g0 + d2 g1 + d3 g2 with 4 multiplies, not 6
        double[] d = {0.3, -1.2, 2.5, 0.7}, k = {0.5, -0.25, 1.5};
        double m1 = (d[0] - d[2]) * k[0], m2 = (d[1] + d[2]) * (k[0] + k[1] + k[2]) / 2, m3 = (d[2] - d[1]) * (k[0] - k[1] + k[2]) / 2, m4 = (d[1] - d[3]) * k[2];
        double y0 = m1 + m2 + m3, y1 = m2 - m3 - m4;
        check("5.6 Winograd F(2,3): y0 = m1 + m2 + m3, y1 = m2 - m3 - m4 from 4 products", Math.max(Math.abs(y0 - (d[0] * k[0] + d[1] * k[1] + d[2] * k[2])), Math.abs(y1 - (d[1] * k[0] + d[2] * k[1] + d[3] * k[2]))), 1e-15);

        // F(2x2, 3x3): Y = A^T [(G g G^T) .* (B^T d B)] A on a 4x4 tile
        double[][] BT = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
        double[][] G = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
        double[][] AT = {{1, 1, 1, 0}, {0, 1, -1, -1}};
        double[][] tile = new double[4][4], ker = new double[3][3];
        java.util.Random rnd = new java.util.Random(5);
        for (double[] r : tile) for (int j = 0; j < 4; j++) r[j] = rnd.nextGaussian();
        for (double[] r : ker) for (int j = 0; j < 3; j++) r[j] = rnd.nextGaussian();
        double[][] U = mul(mul(G, ker), tr(G)), V = mul(mul(BT, tile), tr(BT)), M = new double[4][4];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) M[i][j] = U[i][j] * V[i][j];
        double[][] Y = mul(mul(AT, M), tr(AT));
        double e2 = 0;
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) {
            double direct2 = 0;
            for (int p = 0; p < 3; p++) for (int q = 0; q < 3; q++) direct2 += tile[i + p][j + q] * ker[p][q];
            e2 = Math.max(e2, Math.abs(direct2 - Y[i][j]));
        }
        check("5.7 Winograd F(2x2,3x3): A^T [(G g G^T) .* (B^T d B)] A equals the 3x3 correlation (16 products, not 36)", e2, 1e-14);

        // the engine's Winograd kernel (F32, Vector API) against the reference backend's loops
        ReferenceBackend ref = new ReferenceBackend();
        Tensor xc = Tensor.randn(DType.F32, 6, 1, 32, 24, 24), wc = Tensor.randn(DType.F32, 7, 32, 32, 3, 3);
        Tensor yw = Winograd.conv2d(xc, wc, 1, 1), yr = ref.conv2d(xc, wc, 1, 1, 1, 1, 1);
        Tensor scale = ref.conv2d(Ops.abs(xc), Ops.abs(wc), 1, 1, 1, 1, 1);           // sum of |products| per output
        double rel = 0;
        double[] dw = yw.toDoubleArray(), dr = yr.toDoubleArray(), ds = scale.toDoubleArray();
        for (int i = 0; i < dw.length; i++) rel = Math.max(rel, Math.abs(dw[i] - dr[i]) / ds[i]);
        System.out.println("  Winograd would be chosen for this shape by the vector backend: " + Winograd.worthIt(xc, wc, 1, 1, 1, 1, 1, false));
        check("5.8 the engine's Winograd conv2d equals the reference loops to float32 rounding (error / sum|products|)", rel, 1e-6);

        // ---------------------------------------------------------------- 3. a Vector API kernel: a dot product
        float[] va = new float[1000], vb = new float[1000];
        for (int i = 0; i < va.length; i++) { va[i] = (float) rnd.nextGaussian(); vb[i] = (float) rnd.nextGaussian(); }
        double exact = 0, abs = 0;
        for (int i = 0; i < va.length; i++) { exact += (double) va[i] * vb[i]; abs += Math.abs((double) va[i] * vb[i]); }
        float vec = dotVector(va, vb);
        System.out.printf("  %d float lanes per vector on this CPU; dot product %.7f (float64 %.7f)%n", SPECIES.length(), vec, exact);
        check("5.9 the Vector API dot product (lane-wise FMA, one reduction) equals the float64 sum to float32 rounding", Math.abs(vec - exact) / abs, 1e-6);

        // ---------------------------------------------------------------- 3b. the up conv as one GEMM over its taps, then a gather
        // T[(o, ky, kx), (i, j)] = sum_c w[c, o, ky, kx] x[c, i, j]   (one matmul: taps as rows, the image as columns)
        // out[o, 2i + ky, 2j + kx] = sum of the T entries landing there (each output gathers at most 2 x 2 of them)
        int cT = 6, oT = 5, hT = 5, wT = 7;
        Tensor xt = Tensor.randn(DType.F32, 8, 1, cT, hT, wT), wt = Tensor.randn(DType.F32, 9, cT, oT, 3, 3);
        Tensor taps = Ops.matmul(wt.reshapeView(cT, oT * 9).transposeView(0, 1), xt.reshapeView(cT, hT * wT));   // [9 O, H W]
        float[] tv = taps.toFloatArray();
        int ho = 2 * hT + 1, wo = 2 * wT + 1;
        float[] gathered = new float[oT * ho * wo];
        for (int o = 0; o < oT; o++) {
            for (int r = 0; r < ho; r++) {
                for (int q = 0; q < wo; q++) {
                    float sum = 0;
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            int i2 = r - ky, j2 = q - kx;           // output (r, q) = (2i + ky, 2j + kx)
                            if (i2 < 0 || j2 < 0 || i2 % 2 != 0 || j2 % 2 != 0 || i2 / 2 >= hT || j2 / 2 >= wT) continue;
                            sum += tv[((o * 9) + ky * 3 + kx) * hT * wT + (i2 / 2) * wT + j2 / 2];
                        }
                    }
                    gathered[(o * ho + r) * wo + q] = sum;
                }
            }
        }
        Tensor scatter = ref.convTranspose2d(xt, wt, 2, 2, 0, 0, 1);                  // the scatter definition, in loops
        Tensor scaleT = ref.convTranspose2d(Ops.abs(xt), Ops.abs(wt), 2, 2, 0, 0, 1);
        double relT = 0, relE = 0;
        double[] dsT = scatter.toDoubleArray(), dsA = scaleT.toDoubleArray(), engine = Ops.convTranspose2d(xt, wt, 2, 0, 1).toDoubleArray();
        for (int i = 0; i < dsT.length; i++) {
            relT = Math.max(relT, Math.abs(gathered[i] - dsT[i]) / dsA[i]);
            relE = Math.max(relE, Math.abs(engine[i] - dsT[i]) / dsA[i]);
        }
        check("5.10 a stride-2 transposed conv is one GEMM over its 9 taps plus a gather (error / sum|products|)", relT, 1e-6);
        check("5.11 ... and the engine's transposed conv (which runs it so for small images) equals the scatter", relE, 1e-6);


        System.out.println(failures == 0 ? "Chapter 5: all checks passed" : "Chapter 5: " + failures + " check(s) FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** sum_i a[i] b[i]: VL products per instruction into a vector accumulator, the lanes summed once at the end. */
    static float dotVector(float[] a, float[] b) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0, upper = SPECIES.loopBound(a.length);
        for (; i < upper; i += SPECIES.length()) {
            acc = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < a.length; i++) s += a[i] * b[i];                                        // the tail
        return s;
    }

    /** Five drag steps; per step {loss, handle x, handle y}; the step's dL/dw+[:, :6] is added to grads. */
    static List<double[]> drag(Generator g, DragConfig cfg, List<Tensor> grads) {
        DragSession s = DragSession.fromSeed(g, 7, 0.7, NoiseMode.CONST, cfg);
        s.addPair(new Point(26, 32), new Point(35, 28));
        List<double[]> out = new ArrayList<>();
        s.run(5, r -> {
            out.add(new double[]{r.loss(), r.handles().get(0).x(), r.handles().get(0).y()});
            grads.add(s.lastGradient());
        });
        return out;
    }

    static double[][] mul(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < b[0].length; j++) for (int k = 0; k < b.length; k++) c[i][j] += a[i][k] * b[k][j];
        return c;
    }

    static double[][] tr(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) t[j][i] = a[i][j];
        return t;
    }
}
