// Chapter 2 of the course: convolution, its two adjoints, transposed convolution, upfirdn2d and its adjoint.
// Run: docs/course/run.sh 2   (see docs/course/README.md). Prints one PASS line per checked formula; exits 1 on a FAIL.

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ConvOps;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

public class Chapter2 {
    static int failures = 0;

    static void check(String label, double err, double tol) {
        boolean ok = err <= tol;
        if (!ok) failures++;
        System.out.printf("%s %s  (error %.3g, tolerance %.1g)%n", ok ? "PASS" : "FAIL", label, err, tol);
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            System.out.println("  shape mismatch " + java.util.Arrays.toString(a.shape()) + " vs " + java.util.Arrays.toString(b.shape()));
            return Double.NaN;
        }
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    static double dot(Tensor a, Tensor b) { return Ops.sumAll(Ops.mul(a, b)).item(); }

    // ------------------------------------------------------------ the three index formulas, as loops
    /** y[n,o,i,j] = sum_{c,a,b} x[n,c, s*i+a-p, s*j+b-p] w[o,c,a,b]   (zero outside x). */
    static Tensor convLoop(Tensor x, Tensor w, int s, int p) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), o = w.size(0), kh = w.size(2), kw = w.size(3);
        int ho = (h + 2 * p - kh) / s + 1, wo = (wd + 2 * p - kw) / s + 1;
        Tensor y = Tensor.zeros(DType.F64, n, o, ho, wo);
        for (int b = 0; b < n; b++) for (int oc = 0; oc < o; oc++) for (int i = 0; i < ho; i++) for (int j = 0; j < wo; j++) {
            double acc = 0;
            for (int ic = 0; ic < c; ic++) for (int a = 0; a < kh; a++) for (int bb = 0; bb < kw; bb++) {
                int r = s * i + a - p, q = s * j + bb - p;
                if (r >= 0 && r < h && q >= 0 && q < wd) acc += x.get(b, ic, r, q) * w.get(oc, ic, a, bb);
            }
            y.set(acc, b, oc, i, j);
        }
        return y;
    }

    /** dx[n,c,r,q] = sum over (o,i,j,a,b) with s*i+a-p = r, s*j+b-p = q of g[n,o,i,j] w[o,c,a,b]: a scatter. */
    static Tensor inputAdjointLoop(Tensor g, Tensor w, int h, int wd, int s, int p) {
        int n = g.size(0), o = g.size(1), ho = g.size(2), wo = g.size(3), c = w.size(1), kh = w.size(2), kw = w.size(3);
        Tensor dx = Tensor.zeros(DType.F64, n, c, h, wd);
        for (int b = 0; b < n; b++) for (int oc = 0; oc < o; oc++) for (int i = 0; i < ho; i++) for (int j = 0; j < wo; j++)
            for (int ic = 0; ic < c; ic++) for (int a = 0; a < kh; a++) for (int bb = 0; bb < kw; bb++) {
                int r = s * i + a - p, q = s * j + bb - p;
                if (r >= 0 && r < h && q >= 0 && q < wd) dx.set(dx.get(b, ic, r, q) + g.get(b, oc, i, j) * w.get(oc, ic, a, bb), b, ic, r, q);
            }
        return dx;
    }

    /** dw[o,c,a,b] = sum_{n,i,j} g[n,o,i,j] x[n,c, s*i+a-p, s*j+b-p]. */
    static Tensor weightAdjointLoop(Tensor x, Tensor g, int kh, int kw, int s, int p) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), o = g.size(1), ho = g.size(2), wo = g.size(3);
        Tensor dw = Tensor.zeros(DType.F64, o, c, kh, kw);
        for (int oc = 0; oc < o; oc++) for (int ic = 0; ic < c; ic++) for (int a = 0; a < kh; a++) for (int bb = 0; bb < kw; bb++) {
            double acc = 0;
            for (int b = 0; b < n; b++) for (int i = 0; i < ho; i++) for (int j = 0; j < wo; j++) {
                int r = s * i + a - p, q = s * j + bb - p;
                if (r >= 0 && r < h && q >= 0 && q < wd) acc += g.get(b, oc, i, j) * x.get(b, ic, r, q);
            }
            dw.set(acc, oc, ic, a, bb);
        }
        return dw;
    }

    /** upfirdn2d from its definition: zero-insert by up, pad, true convolution with f (flipped unless flip), gain, keep every down-th. */
    static Tensor upfirdnLoop(Tensor x, Tensor f, int up, int down, int[] pad, double gain, boolean flip) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), fh = f.size(0), fw = f.size(1);
        int uh = h * up + pad[2] + pad[3], uw = w * up + pad[0] + pad[1];
        double[][] z = new double[uh][uw];
        int ho = Math.floorDiv(uh - fh, down) + 1, wo = Math.floorDiv(uw - fw, down) + 1;
        Tensor y = Tensor.zeros(DType.F64, n, c, ho, wo);
        for (int b = 0; b < n; b++) for (int ch = 0; ch < c; ch++) {
            for (double[] row : z) java.util.Arrays.fill(row, 0);
            for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) {           // u[k] = x[k/up] at multiples of up, then shift by pad
                int r = i * up + pad[2], q = j * up + pad[0];
                if (r >= 0 && r < uh && q >= 0 && q < uw) z[r][q] = x.get(b, ch, i, j);
            }
            for (int oy = 0; oy < ho; oy++) for (int ox = 0; ox < wo; ox++) {
                double acc = 0;
                for (int a = 0; a < fh; a++) for (int bb = 0; bb < fw; bb++) {
                    double fv = flip ? f.get(a, bb) : f.get(fh - 1 - a, fw - 1 - bb);
                    acc += fv * z[oy * down + a][ox * down + bb];
                }
                y.set(gain * acc, b, ch, oy, ox);
            }
        }
        return y;
    }

    public static void main(String[] args) throws Exception {
        Path figs = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("course-ch2");
        Files.createDirectories(figs);
        System.out.println("Chapter 2: convolution and its adjoints, upfirdn2d and its adjoint (float64)");
        int s = 2, p = 1;
        Tensor x = Tensor.randn(DType.F64, 1, 2, 3, 7, 6);             // [N=2, C=3, H=7, W=6]
        Tensor w = Tensor.randn(DType.F64, 2, 4, 3, 3, 3);             // [O=4, C=3, 3, 3]
        Tensor y = Ops.conv2d(x, w, s, p, 1);
        System.out.println("  x " + java.util.Arrays.toString(x.shape()) + " * w " + java.util.Arrays.toString(w.shape())
                + ", stride 2, padding 1 -> y " + java.util.Arrays.toString(y.shape()) + "  (Ho = floor((7 + 2 - 3) / 2) + 1 = 4)");
        check("2.1 conv2d equals y[n,o,i,j] = sum x[n,c,s*i+a-p,s*j+b-p] w[o,c,a,b]", maxAbsDiff(y, convLoop(x, w, s, p)), 1e-12);

        Tensor g = Tensor.randn(DType.F64, 3, y.shape());
        Tensor dxLoop = inputAdjointLoop(g, w, 7, 6, s, p), dwLoop = weightAdjointLoop(x, g, 3, 3, s, p);
        Var xv = Var.param(x), wv = Var.param(w);
        ConvOps.conv2d(xv, wv, s, p, 1).backward(g);
        check("2.2 input gradient of conv2d equals the scatter dx[r] += g[i] w[a] at r = s*i+a-p", maxAbsDiff(xv.grad(), dxLoop), 1e-12);
        check("2.3 weight gradient equals dw[o,c,a,b] = sum g[n,o,i,j] x[n,c,s*i+a-p,s*j+b-p]", maxAbsDiff(wv.grad(), dwLoop), 1e-12);
        double lhs = dot(g, y), rhs = dot(dxLoop, x);
        check("2.4 adjoint identity <g, conv(x)> = <conv^T(g), x>", Math.abs(lhs - rhs) / Math.abs(lhs), 1e-13);
        // the transposed convolution is that scatter, cropped by p at both ends; its size (Wo-1)*s - 2p + k can fall
        // short of W when the forward's floor division dropped a remainder (here 6 -> 3 -> 5 columns)
        Tensor ct = Ops.convTranspose2d(g, w, s, p, 1);
        System.out.println("  convTranspose2d(g, w, 2, 1) is " + java.util.Arrays.toString(ct.shape()) + " but x is 7 x 6: column 5 (read by j = 2, b = 2) is cut off");
        Tensor dxCrop = dxLoop.sliceView(3, 0, ct.size(3)).copy();
        check("2.5 convTranspose2d(g, w) is the input adjoint (on the columns it covers)", maxAbsDiff(ct, dxCrop), 1e-12);
        Tensor full = Ops.convTranspose2d(g, w, s, 0, 1);                   // unpadded: padded-input coordinates
        Tensor cropped = full.sliceView(2, p, p + 7).sliceView(3, p, p + 6).copy();
        System.out.println("  unpadded convTranspose2d is " + java.util.Arrays.toString(full.shape()) + "; rows/columns [p, p + H) of it are dx");
        check("2.6 output padding: the unpadded transposed conv cropped to [p, p + H) is the whole input gradient", maxAbsDiff(cropped, dxLoop), 1e-12);

        // the transposed conv as a plain conv: zero-insert g by s, pad k-1-p, convolve with the flipped, channel-swapped kernel
        Tensor one = Tensor.of(new double[]{1}, 1, 1);
        int k = 3, q = k - 1 - p;
        Tensor gz = Ops.upfirdn2d(g, one, s, 1, new int[]{q, q - (s - 1), q, q - (s - 1)}, 1, false);   // dilate and pad
        Tensor wf = flipSwap(w);                                                                        // [C, O, 3, 3] flipped
        Tensor ct2 = Ops.conv2d(gz, wf, 1, 0, 1);
        check("2.7 convTranspose2d = conv2d(zero-inserted g padded k-1-p, flipped w with in/out swapped)", maxAbsDiff(ct, ct2), 1e-12);

        // upfirdn2d: StyleGAN2's 2x up-sampling and 2x down-sampling with the [1,3,3,1] filter
        Tensor f = outer(new double[]{1, 3, 3, 1});
        Tensor xs = Tensor.randn(DType.F64, 4, 1, 2, 5, 5);
        int[][] cases = {{2, 1, 2, 1, 2, 1}, {1, 2, 1, 1, 1, 1}, {3, 2, 2, 0, 1, 3}};      // up, down, x0, x1, y0, y1
        for (int[] cs : cases) {
            int up = cs[0], down = cs[1];
            int[] pad = {cs[2], cs[3], cs[4], cs[5]};
            double gain = up * up;
            Tensor u = Ops.upfirdn2d(xs, f, up, down, pad, gain, false);
            String name = "up " + up + " down " + down + " pad " + java.util.Arrays.toString(pad);
            check("2.8 upfirdn2d (" + name + ") equals zero-insert, pad, convolve, decimate", maxAbsDiff(u, upfirdnLoop(xs, f, up, down, pad, gain, false)), 1e-12);
            // the derived adjoint: swap up/down, flip the filter, pad fw-1-x0 on the left and the rest so the size is W
            int hh = xs.size(2), ww = xs.size(3), ho = u.size(2), wo = u.size(3), fw = 4, fh = 4;
            int[] bp = {fw - 1 - pad[0], ww * up - wo * down + pad[0] - up + 1, fh - 1 - pad[2], hh * up - ho * down + pad[2] - up + 1};
            Tensor gu = Tensor.randn(DType.F64, 5, u.shape());
            Tensor adj = Ops.upfirdn2d(gu, f, down, up, bp, gain, true);
            System.out.println("  " + name + ": " + java.util.Arrays.toString(xs.shape()) + " -> " + java.util.Arrays.toString(u.shape())
                    + "; adjoint: up " + down + " down " + up + " pad " + java.util.Arrays.toString(bp) + ", filter flipped -> " + java.util.Arrays.toString(adj.shape()));
            double l = dot(gu, u), r = dot(adj, xs);
            check("2.9 <g, U x> = <U^T g, x> with U^T = upfirdn2d(g, flip f, up=" + down + ", down=" + up + ", derived padding)", Math.abs(l - r) / Math.abs(l), 1e-13);
            Var xp = Var.param(xs);
            ResampleOps.upfirdn2d(xp, f, up, down, pad, gain, false).backward(gu);
            check("2.10 the engine's upfirdn2d backward equals that adjoint", maxAbsDiff(xp.grad(), adj), 1e-12);
        }

        GradCheck.Result r = GradCheck.check(in -> ResampleOps.upfirdn2d(ConvOps.conv2d(in[0], in[1], 2, 1, 1), f, 2, 1, new int[]{2, 1, 2, 1}, 4, false),
                new Tensor[]{x, w}, 11, 1e-6);
        System.out.println("  GradCheck of upsample2d(conv2d(x, w, stride 2)): " + r);
        check("2.11 GradCheck through conv2d and upfirdn2d", r.relError(), 1e-8);

        // figure: 2x up-sampling of one row, step by step (1-D filter [1, 3, 3, 1] / 8, padding 2 left, 1 right, gain 2)
        double[] row = {0.2, 1.0, -0.6, 0.4, 0.9, -0.3};
        Tensor xr = Tensor.of(row, 1, 1, 1, row.length), f1 = Tensor.of(new double[]{1 / 8.0, 3 / 8.0, 3 / 8.0, 1 / 8.0}, 1, 4);
        // per-axis factors: up 2 along x only (the 2-D call up-samples both axes)
        Tensor zr = Ops.upfirdn2d(xr, Tensor.of(new double[]{1}, 1, 1), 2, 1, 1, 1, 2, 1, 0, 0, 1, false);   // zero-insert and pad only
        Tensor yr = Ops.upfirdn2d(xr, f1, 2, 1, 1, 1, 2, 1, 0, 0, 2, false);
        if (yr.size(3) != 12 || zr.size(3) != 15) throw new IllegalStateException("figure: unexpected sizes " + yr + ", " + zr);
        writeStems(figs.resolve("ch2-upfirdn.png"), new Tensor[]{xr, zr, yr},
                new String[]{"x (6 samples)", "zero-inserted (up 2) and padded (2 left, 1 right)", "filtered by [1,3,3,1]/8, gain 2: 12 samples (each drawn at the centre of its 4 taps)"});
        System.out.println("  wrote " + figs.resolve("ch2-upfirdn.png") + " (upfirdn2d up 2 on one row, step by step)");

        System.out.println(failures == 0 ? "Chapter 2: all checks passed" : "Chapter 2: " + failures + " check(s) FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** Stem plots of 1-row signals [1, 1, 1, W], one per panel, on a shared x axis (sample spacing of the longest). */
    static void writeStems(Path file, Tensor[] rows, String[] titles) throws Exception {
        int panelH = 110, W = 560, m = 30;
        BufferedImage bi = new BufferedImage(W, panelH * rows.length, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = bi.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, bi.getWidth(), bi.getHeight());
        int longest = 0;
        for (Tensor r : rows) longest = Math.max(longest, r.size(3));
        double step = (W - 2.0 * m) / (longest - 1);
        for (int k = 0; k < rows.length; k++) {
            double[] v = rows[k].toDoubleArray();
            int base = k * panelH + panelH / 2 + 10;
            double spacing = k == 0 ? step * 2 : step;                  // x sits at every other position of the up-sampled axis
            double offset = k == 0 ? 2 * step : k == 2 ? 1.5 * step : 0;   // x after the 2-sample pad; y at its taps' centre
            g.setColor(Color.GRAY);
            g.drawLine(m, base, W - m, base);
            g.setColor(Color.BLACK);
            g.drawString(titles[k], m, k * panelH + 16);
            g.setStroke(new BasicStroke(2));
            for (int i = 0; i < v.length; i++) {
                int x = (int) Math.round(m + offset + i * spacing), y = (int) Math.round(base - v[i] * 35);
                g.setColor(v[i] == 0 ? Color.LIGHT_GRAY : new Color(30, 90, 200));
                g.drawLine(x, base, x, y);
                g.fillOval(x - 4, y - 4, 8, 8);
            }
        }
        g.dispose();
        ImageIO.write(bi, "png", file.toFile());
    }

    /** [O, C, k, k] -> [C, O, k, k] with both spatial axes reversed. */
    static Tensor flipSwap(Tensor w) {
        int o = w.size(0), c = w.size(1), kh = w.size(2), kw = w.size(3);
        Tensor r = Tensor.zeros(DType.F64, c, o, kh, kw);
        for (int a = 0; a < o; a++) for (int b = 0; b < c; b++) for (int i = 0; i < kh; i++) for (int j = 0; j < kw; j++)
            r.set(w.get(a, b, kh - 1 - i, kw - 1 - j), b, a, i, j);
        return r;
    }

    /** outer(t, t) / sum, as StyleGAN2's setup_filter. */
    static Tensor outer(double[] t) {
        double sum = 0;
        for (double a : t) for (double b : t) sum += a * b;
        double[] v = new double[t.length * t.length];
        for (int i = 0; i < t.length; i++) for (int j = 0; j < t.length; j++) v[i * t.length + j] = t[i] * t[j] / sum;
        return Tensor.of(v, t.length, t.length);
    }
}
