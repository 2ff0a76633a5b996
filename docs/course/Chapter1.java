// Chapter 1 of the course: reverse-mode automatic differentiation from scratch.
// Run: docs/course/run.sh 1   (see docs/course/README.md). Prints one PASS line per checked formula; exits 1 on a FAIL.

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

public class Chapter1 {
    static int failures = 0;

    static void check(String label, double err, double tol) {
        boolean ok = err <= tol;                                   // NaN fails
        if (!ok) failures++;
        System.out.printf("%s %s  (error %.3g, tolerance %.1g)%n", ok ? "PASS" : "FAIL", label, err, tol);
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return a.length == b.length ? m : Double.NaN;
    }

    // ------------------------------------------------------------ the graph  L = sum(sigmoid(W x)),  W [2, 3], x [3, 1]
    static double sigmoid(double u) { return 1 / (1 + Math.exp(-u)); }

    /** Forward in plain doubles: returns L. */
    static double forward(double[] w, double[] x) {
        double l = 0;
        for (int i = 0; i < 2; i++) {
            double u = 0;
            for (int k = 0; k < 3; k++) u += w[i * 3 + k] * x[k];
            l += sigmoid(u);
        }
        return l;
    }

    // ------------------------------------------------------------ a tape in 40 lines (scalars only)
    /** A scalar node: its value, its accumulated gradient, and how to push a gradient to its inputs. */
    static final class Node {
        final double value;
        double grad;
        final Node[] inputs;
        final double[] localDerivatives;                          // d value / d inputs[i], saved by the forward
        Node(double value, Node[] inputs, double[] local) { this.value = value; this.inputs = inputs; this.localDerivatives = local; }
    }

    static final class Tape {
        final List<Node> nodes = new ArrayList<>();               // in creation order = a topological order
        Node leaf(double v) { return add(new Node(v, new Node[0], new double[0])); }
        Node add(Node n) { nodes.add(n); return n; }
        Node mul(Node a, Node b) { return add(new Node(a.value * b.value, new Node[]{a, b}, new double[]{b.value, a.value})); }
        Node plus(Node a, Node b) { return add(new Node(a.value + b.value, new Node[]{a, b}, new double[]{1, 1})); }
        Node sigmoid(Node a) {
            double s = Chapter1.sigmoid(a.value);
            return add(new Node(s, new Node[]{a}, new double[]{s * (1 - s)}));
        }
        /** Reverse sweep: seed dL/dL = 1, then every node, last to first, pushes grad * local derivative. */
        void backward(Node out) {
            out.grad = 1;
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node n = nodes.get(i);
                for (int k = 0; k < n.inputs.length; k++) n.inputs[k].grad += n.grad * n.localDerivatives[k];
            }
            nodes.clear();                                        // the graph is freed: its saved values are gone
        }
    }

    public static void main(String[] args) throws Exception {
        Path figs = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("course-ch1");
        Files.createDirectories(figs);
        double[] w = {0.5, -1.0, 0.25, 1.5, 0.3, -0.7};          // W [2, 3] row-major
        double[] x = {0.2, -0.4, 1.1};                             // x [3]
        System.out.println("Chapter 1: reverse-mode autodiff on L = sum(sigmoid(W x)), W [2, 3], x [3, 1]");

        // (1) the VJP by hand, from the three local Jacobians
        double[] u = new double[2], gU = new double[2];
        for (int i = 0; i < 2; i++) for (int k = 0; k < 3; k++) u[i] += w[i * 3 + k] * x[k];
        for (int i = 0; i < 2; i++) gU[i] = 1 * sigmoid(u[i]) * (1 - sigmoid(u[i]));     // dL/dv = 1, then diag(s(1-s))
        double[] gW = new double[6], gX = new double[3];
        for (int i = 0; i < 2; i++) for (int k = 0; k < 3; k++) {
            gW[i * 3 + k] = gU[i] * x[k];                           // dL/dW = gU x^T
            gX[k] += w[i * 3 + k] * gU[i];                          // dL/dx = W^T gU
        }
        System.out.printf("  by hand: dL/dW = %s%n  by hand: dL/dx = %s%n", java.util.Arrays.toString(round(gW)), java.util.Arrays.toString(round(gX)));

        // (2) the same with the 40-line tape
        Tape tape = new Tape();
        Node[] wn = new Node[6], xn = new Node[3];
        for (int i = 0; i < 6; i++) wn[i] = tape.leaf(w[i]);
        for (int k = 0; k < 3; k++) xn[k] = tape.leaf(x[k]);
        Node loss = null;
        for (int i = 0; i < 2; i++) {
            Node ui = tape.mul(wn[i * 3], xn[0]);
            for (int k = 1; k < 3; k++) ui = tape.plus(ui, tape.mul(wn[i * 3 + k], xn[k]));
            Node vi = tape.sigmoid(ui);
            loss = loss == null ? vi : tape.plus(loss, vi);
        }
        int recorded = tape.nodes.size();
        tape.backward(loss);
        double[] tW = new double[6], tX = new double[3];
        for (int i = 0; i < 6; i++) tW[i] = wn[i].grad;
        for (int k = 0; k < 3; k++) tX[k] = xn[k].grad;
        System.out.println("  the scalar tape recorded " + recorded + " nodes");
        check("1.1 scalar tape gradients equal the hand-derived VJP (dW = gU x^T, dx = W^T gU)", Math.max(maxAbsDiff(tW, gW), maxAbsDiff(tX, gX)), 1e-15);

        // (3) the engine: Var, with the same three ops on tensors (matmul, sigmoid, sum)
        Var wv = Var.param(Tensor.of(w, 2, 3));
        Var xv = Var.param(Tensor.of(x, 3, 1));
        Var ev = ReduceOps.sum(ElementwiseOps.sigmoid(LinalgOps.matmul(wv, xv)), false);
        System.out.printf("  engine: L = %.15f (plain forward %.15f), made by op '%s'%n", ev.value().item(), forward(w, x), ev.opName());
        ev.backward();
        check("1.2 engine Var gradients equal the hand-derived VJP", Math.max(maxAbsDiff(wv.grad().toDoubleArray(), gW), maxAbsDiff(xv.grad().toDoubleArray(), gX)), 1e-15);

        // (4) a VJP with any upstream vector: backward(seed) on the non-scalar v = sigmoid(W x) computes J^T seed
        Var w2 = Var.param(Tensor.of(w, 2, 3)), x2 = Var.constant(Tensor.of(x, 3, 1));
        Var v = ElementwiseOps.sigmoid(LinalgOps.matmul(w2, x2));
        double[] seed = {0.3, -2.0};
        v.backward(Tensor.of(seed, 2, 1));
        double[] expect = new double[6];
        for (int i = 0; i < 2; i++) for (int k = 0; k < 3; k++) expect[i * 3 + k] = seed[i] * sigmoid(u[i]) * (1 - sigmoid(u[i])) * x[k];
        check("1.3 backward(seed) computes the vector-Jacobian product seed^T J", maxAbsDiff(w2.grad().toDoubleArray(), expect), 1e-15);

        // (5) finite differences: the central difference's error is O(h^2), the one-sided one's O(h)
        double[] dir = {0.3, -0.2, 0.5, 0.1, -0.4, 0.25};
        double exact = 0;
        for (int i = 0; i < 6; i++) exact += gW[i] * dir[i];
        double[] errC = new double[2], errF = new double[2];
        for (int t = 0; t < 2; t++) {
            double h = t == 0 ? 1e-2 : 5e-3;
            double lp = forward(axpy(w, dir, h), x), lm = forward(axpy(w, dir, -h), x), l0 = forward(w, x);
            errC[t] = Math.abs((lp - lm) / (2 * h) - exact);
            errF[t] = Math.abs((lp - l0) / h - exact);
        }
        System.out.printf("  directional derivative %.12f; central error %.3g -> %.3g, one-sided %.3g -> %.3g when h halves%n",
                exact, errC[0], errC[1], errF[0], errF[1]);
        check("1.4 central difference error falls 4x when h halves (O(h^2))", Math.abs(errC[0] / errC[1] - 4), 0.05);
        check("1.5 one-sided difference error falls 2x when h halves (O(h))", Math.abs(errF[0] / errF[1] - 2), 0.05);

        // the whole picture: error against h, from truncation (slope 1 or 2) down to rounding (slope -1)
        int pts = 45;
        double[] hs = new double[pts], ec = new double[pts], ef = new double[pts];
        for (int t = 0; t < pts; t++) {
            hs[t] = Math.pow(10, -0.5 - t * 0.25);
            double lp = forward(axpy(w, dir, hs[t]), x), lm = forward(axpy(w, dir, -hs[t]), x), l0 = forward(w, x);
            ec[t] = Math.abs((lp - lm) / (2 * hs[t]) - exact);
            ef[t] = Math.abs((lp - l0) / hs[t] - exact);
        }
        writeErrorPlot(figs.resolve("ch1-fd-error.png"), hs, ef, ec);
        System.out.println("  wrote " + figs.resolve("ch1-fd-error.png") + " (finite-difference error against h, log-log)");

        // (6) the engine's gradient check: one backward with a random seed u, one random direction per input
        GradCheck.Result r = GradCheck.check(in -> ElementwiseOps.sigmoid(LinalgOps.matmul(ElementwiseOps.square(in[0]), in[1])),
                new Tensor[]{Tensor.randn(DType.F64, 1, 4, 5), Tensor.randn(DType.F64, 2, 5, 3)}, 7, 1e-5);
        System.out.println("  GradCheck on sigmoid(square(A) B): " + r);
        check("1.6 GradCheck: <v, J^T u> equals the central difference of <u, f(x + h v)>", r.relError(), 1e-8);

        // (7) the tape frees the graph: a second backward through it is an error; gradients accumulate
        Var p = Var.param(Tensor.of(new double[]{1, 2, 3}, 3));
        Var q = ReduceOps.sum(ElementwiseOps.square(p), false);
        String before = q.opName();
        q.backward();
        String after = q.opName();
        boolean refused;
        try {
            q.backward();
            refused = false;
        } catch (RuntimeException e) {
            refused = true;
            System.out.println("  second backward: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        System.out.println("  op of q before backward: '" + before + "', after: '" + after + "'");
        check("1.7 backward frees the graph (node released, a second backward is refused)", refused && after.equals("released") ? 0 : 1, 0);
        ReduceOps.sum(ElementwiseOps.square(p), false).backward();   // a new graph over the same leaf
        check("1.8 gradients accumulate across backward passes until zeroGrad (2 * 2p)", maxAbsDiff(p.grad().toDoubleArray(), new double[]{4, 8, 12}), 0);

        System.out.println(failures == 0 ? "Chapter 1: all checks passed" : "Chapter 1: " + failures + " check(s) FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** log-log plot of two error curves against h (h decreasing to the right). */
    static void writeErrorPlot(Path file, double[] hs, double[] one, double[] central) throws Exception {
        int W = 520, H = 320, m = 50;
        BufferedImage bi = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = bi.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        double lx0 = Math.log10(hs[0]), lx1 = Math.log10(hs[hs.length - 1]), ly0 = -17, ly1 = 0;
        java.util.function.DoubleUnaryOperator px = v -> m + (Math.log10(v) - lx0) / (lx1 - lx0) * (W - m - 20);
        java.util.function.DoubleUnaryOperator py = v -> H - m - (Math.log10(Math.max(v, 1e-17)) - ly0) / (ly1 - ly0) * (H - m - 20);
        g.setColor(Color.BLACK);
        g.drawLine(m, H - m, W - 20, H - m);
        g.drawLine(m, 20, m, H - m);
        for (int e = -16; e <= 0; e += 4) g.drawString("1e" + e, 8, (int) py.applyAsDouble(Math.pow(10, e)) + 4);
        for (int e = -1; e >= -11; e -= 2) g.drawString("1e" + e, (int) px.applyAsDouble(Math.pow(10, e)) - 10, H - m + 16);
        g.drawString("h", W - 30, H - m + 30);
        g.drawString("|finite difference - exact|", m + 10, 16);
        Color[] colors = {new Color(200, 40, 40), new Color(30, 90, 200)};
        double[][] ys = {one, central};
        String[] names = {"one-sided (f(x+h)-f(x))/h", "central (f(x+h)-f(x-h))/2h"};
        g.setStroke(new BasicStroke(2));
        for (int k = 0; k < 2; k++) {
            g.setColor(colors[k]);
            for (int i = 1; i < hs.length; i++) {
                g.drawLine((int) px.applyAsDouble(hs[i - 1]), (int) py.applyAsDouble(ys[k][i - 1]), (int) px.applyAsDouble(hs[i]), (int) py.applyAsDouble(ys[k][i]));
            }
            g.drawString(names[k], W - 230, 40 + 16 * k);
        }
        g.dispose();
        ImageIO.write(bi, "png", file.toFile());
    }

    static double[] axpy(double[] a, double[] d, double h) {
        double[] r = a.clone();
        for (int i = 0; i < r.length; i++) r[i] += h * d[i];
        return r;
    }

    static double[] round(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = Math.round(a[i] * 1e6) / 1e6;
        return r;
    }
}
