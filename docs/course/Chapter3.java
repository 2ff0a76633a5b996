// Chapter 3 of the course: the StyleGAN2 generator layer by layer, on a tiny generator in float64.
// Run: docs/course/run.sh 3 [FIGURE_DIR]   (see docs/course/README.md). One PASS line per checked formula; exits 1 on a FAIL.

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ModulatedConv2d;
import io.github.dragganjvm.autograd.ops.ResampleOps;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

public class Chapter3 {
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

    static double lrelu(double v) { return (v >= 0 ? v : 0.2 * v) * Math.sqrt(2); }

    // A tiny StyleGAN2: z 8 -> 2 FC layers -> w 8; blocks 4, 8, 16 with 8, 8, 4 channels; RGB 16 x 16.
    static final int Z = 8, WD = 8, RES = 16;
    static final GeneratorConfig CFG = new GeneratorConfig(Z, WD, 0, RES, 3, 2, 0.01, 64, 8, null, 0, "skip");

    public static void main(String[] args) throws Exception {
        Path figs = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("course-ch3");
        Files.createDirectories(figs);
        System.out.println("Chapter 3: the StyleGAN2 generator on a tiny float64 model (" + CFG + ")");

        Map<String, Tensor> p = new LinkedHashMap<>();
        long seed = 1;
        for (var e : CFG.requiredShapes().entrySet()) {
            String n = e.getKey();
            int[] s = e.getValue();
            Tensor t = s.length == 0 ? Tensor.scalar(DType.F64, 0.3) : Tensor.randn(DType.F64, seed++, s);
            if (n.startsWith("mapping.fc") && n.endsWith("weight")) t = Ops.scale(t, 1 / CFG.mappingLrMultiplier());  // stored / lr_mul
            if (n.endsWith("affine.bias")) t = Ops.addScalar(Ops.scale(t, 0.1), 1);                                   // styles near 1
            p.put(n, t);
        }
        Generator g = new Generator(CFG, p);
        System.out.println("  shapes: z [1, 8] -> w [1, 8] -> ws [1, " + g.numWs() + ", 8]; blocks "
                + java.util.Arrays.toString(g.blockResolutions()) + " with channels " + g.channels(4) + ", " + g.channels(8) + ", " + g.channels(16));

        // ---------------------------------------------------------------- mapping and truncation, by hand
        double psi = 0.7;
        Tensor z = g.z(42);
        Tensor ws = g.mapping(z, psi, -1);                                             // [1, numWs, 8]
        double[] x = z.toDoubleArray();
        double ms = 0;
        for (double v : x) ms += v * v / Z;
        for (int i = 0; i < Z; i++) x[i] /= Math.sqrt(ms + 1e-8);                      // normalize_2nd_moment
        for (int l = 0; l < 2; l++) {
            Tensor wl = p.get("mapping.fc" + l + ".weight"), bl = p.get("mapping.fc" + l + ".bias");
            double[] y = new double[WD];
            for (int o = 0; o < WD; o++) {
                double acc = 0;
                for (int i = 0; i < x.length; i++) acc += wl.get(o, i) * 0.01 / Math.sqrt(x.length) * x[i];   // equalized lr
                y[o] = lrelu(acc + bl.get(o) * 0.01);
            }
            x = y;
        }
        double err = 0;
        for (int r = 0; r < g.numWs(); r++) for (int i = 0; i < WD; i++) {
            double avg = p.get("mapping.w_avg").get(i);
            err = Math.max(err, Math.abs(avg + psi * (x[i] - avg) - ws.get(0, r, i)));
        }
        check("3.1 mapping: normalize, FC with weight * lr_mul / sqrt(fan_in), lrelu * sqrt 2, truncation", err, 1e-13);

        // ---------------------------------------------------------------- one synthesis layer (b4.conv1) by hand
        Generator.Output out = g.synthesis(Var.constant(ws), Generator.Request.full(NoiseMode.CONST));
        Tensor feat4 = out.feature(g, 4).value();                                       // [1, 8, 4, 4]
        String L = "synthesis.b4.conv1.";
        Tensor cst = p.get("synthesis.b4.const"), W = p.get(L + "weight");
        int C = 8;
        double[] s = styles(p, L, ws, 0, 1.0);                                          // [C]
        double[] dcoef = new double[C];
        for (int o = 0; o < C; o++) {
            double sum = 0;
            for (int i = 0; i < C; i++) for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) sum += sq(W.get(o, i, a, b) * s[i]);
            dcoef[o] = 1 / Math.sqrt(sum + 1e-8);
        }
        double ns = p.get(L + "noise_strength").item();
        err = 0;
        for (int o = 0; o < C; o++) for (int yy = 0; yy < 4; yy++) for (int xx = 0; xx < 4; xx++) {
            double acc = 0;
            for (int i = 0; i < C; i++) for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) {
                int r = yy + a - 1, c = xx + b - 1;
                if (r >= 0 && r < 4 && c >= 0 && c < 4) acc += W.get(o, i, a, b) * s[i] * dcoef[o] * cst.get(i, r, c);
            }
            acc += ns * p.get(L + "noise_const").get(yy, xx) + p.get(L + "bias").get(o);
            err = Math.max(err, Math.abs(lrelu(acc) - feat4.get(0, o, yy, xx)));
        }
        check("3.2 a synthesis layer: s = A w + b, conv with W[o,i] s[i] dcoef[o], + noise, + bias, lrelu * sqrt 2", err, 1e-12);

        // demodulated weights have unit L2 norm per output channel (up to eps)
        err = 0;
        for (int o = 0; o < C; o++) {
            double sum = 0;
            for (int i = 0; i < C; i++) for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) sum += sq(W.get(o, i, a, b) * s[i] * dcoef[o]);
            err = Math.max(err, Math.abs(sum - 1));
        }
        check("3.3 demodulation: sum_{i,k} (W[o,i,k] s[i] dcoef[o])^2 = 1 for every o", err, 1e-9);

        // d dcoef[o] / d s[i] = -dcoef[o]^3 s[i] S[o,i], S[o,i] = sum_k W[o,i,k]^2
        double h = 1e-6;
        err = 0;
        for (int o = 0; o < C; o++) for (int i = 0; i < C; i++) {
            double S = 0;
            for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) S += sq(W.get(o, i, a, b));
            double analytic = -Math.pow(dcoef[o], 3) * s[i] * S;
            double[] sp = s.clone(), sm = s.clone();
            sp[i] += h;
            sm[i] -= h;
            double numeric = (dcoefOf(W, sp, o) - dcoefOf(W, sm, o)) / (2 * h);
            err = Math.max(err, Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(analytic)));
        }
        check("3.4 d dcoef[o] / d s[i] = -dcoef[o]^3 s[i] S[o,i] (central differences, relative)", err, 1e-7);

        // the style gradient of the whole op, assembled from the derivation, against the engine's fused backward
        Tensor xin = Tensor.randn(DType.F64, 20, 2, C, 6, 6), sty = Ops.addScalar(Ops.scale(Tensor.randn(DType.F64, 21, 2, C), 0.3), 1);
        Tensor gy = Tensor.randn(DType.F64, 22, 2, C, 6, 6);
        Var xv = Var.param(xin), sv = Var.param(sty);
        ModulatedConv2d.apply(xv, Var.constant(W), sv, 1, null, 1, true).backward(gy);
        Tensor Ssum = Ops.sum(Ops.square(W), false, 2, 3);                               // [O, C]
        Tensor dc = Ops.rsqrt(Ops.addScalar(Ops.matmul(Ops.square(sty), Ssum.transposeView(0, 1)), 1e-8));   // [N, O]
        Tensor raw = Ops.conv2d(Ops.mul(xin, sty.reshapeView(2, C, 1, 1)), W, 1, 1, 1);
        Tensor gRaw = Ops.mul(gy, dc.reshapeView(2, C, 1, 1));
        Tensor gXs = Ops.convTranspose2d(gRaw, W, 1, 1, 1);                              // chapter 2: the input adjoint
        Tensor q = Ops.mul(Ops.sum(Ops.mul(gy, raw), false, 2, 3), Ops.mul(Ops.square(dc), dc));   // g_dcoef * dcoef^3
        Tensor gS = Ops.sub(Ops.sum(Ops.mul(gXs, xin), false, 2, 3), Ops.mul(sty, Ops.matmul(q, Ssum)));
        check("3.5 dL/ds = sum_hw(g_xs x) - s * (q S), q = (sum_hw g raw) dcoef^3: equals the fused op's gradient", maxAbsDiff(sv.grad(), gS), 1e-12);
        check("3.6 dL/dx = s * convTranspose(g dcoef, W)", maxAbsDiff(xv.grad(), Ops.mul(gXs, sty.reshapeView(2, C, 1, 1))), 1e-12);

        Tensor f = Generator.setupFilter(new double[]{1, 3, 3, 1}, DType.F64);
        Tensor Wup = Tensor.randn(DType.F64, 23, 4, C, 3, 3);
        GradCheck.Result r = GradCheck.check(in -> ModulatedConv2d.apply(in[0], in[1], in[2], 2, f, 1, true),
                new Tensor[]{Tensor.randn(DType.F64, 24, 2, C, 5, 5), Wup, sty}, 25, 1e-6);
        System.out.println("  GradCheck of the up-sampling modulated conv (x, W and s): " + r);
        check("3.7 GradCheck: modulated conv with up 2 (transposed conv + [1,3,3,1] filter), all three inputs", r.relError(), 1e-8);

        // ---------------------------------------------------------------- ToRGB and the skip architecture
        // rgb_r = modconv1x1(x_r, s / sqrt(C_r), no demodulation) + bias;  img = up(up(rgb_4) + rgb_8) + rgb_16
        Tensor img = null;
        Tensor[] parts = new Tensor[3];
        int wi = 1;
        int[] res = g.blockResolutions();
        for (int k = 0; k < res.length; k++) {
            String b = "synthesis.b" + res[k] + ".torgb.";
            int c = g.channels(res[k]);
            double[] st = styles(p, b, ws, wi, 1 / Math.sqrt(c));
            wi += 2;
            Tensor rgb = ModulatedConv2d.apply(out.features().get(k), Var.constant(p.get(b + "weight")), Var.constant(Tensor.of(st, 1, c)), 1, null, 0, false).value();
            rgb = Ops.add(rgb, p.get(b + "bias").reshapeView(1, 3, 1, 1));
            img = img == null ? rgb : Ops.add(ResampleOps.upsample2d(Var.constant(img), f, 2).value(), rgb);
            parts[k] = rgb;
        }
        check("3.8 skip architecture: img = upsample2d(upsample2d(rgb_4) + rgb_8) + rgb_16, ToRGB styles / sqrt(C)", maxAbsDiff(img, out.image().value()), 1e-12);
        System.out.println("  image " + java.util.Arrays.toString(out.image().shape()) + ", ws rows used: conv1 b4 = 0, torgb b4 = 1, b8 conv0/conv1/torgb = 1/2/3, b16 = 3/4/5");

        // ---------------------------------------------------------------- end to end: d image / d ws
        GradCheck.Result rg = GradCheck.check(in -> g.synthesis(in[0], Generator.Request.full(NoiseMode.CONST)).image(), new Tensor[]{ws}, 26, 1e-6);
        System.out.println("  GradCheck of the whole synthesis network, image w.r.t. ws: " + rg);
        check("3.9 GradCheck: the tiny generator's image with respect to ws", rg.relError(), 1e-8);

        // figure: what each resolution contributes
        Tensor u4 = up(up(parts[0], f), f), u8 = up(parts[1], f);
        writeRow(figs.resolve("ch3-skip.png"), new Tensor[]{u4, u8, parts[2], out.image().value()}, 10);
        System.out.println("  wrote " + figs.resolve("ch3-skip.png") + " (up(up(rgb4)), up(rgb8), rgb16, their sum = the image)");

        System.out.println(failures == 0 ? "Chapter 3: all checks passed" : "Chapter 3: " + failures + " check(s) FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }

    static double sq(double v) { return v * v; }

    /** styles of a layer: (A w_row / sqrt(w_dim) + b) * extraGain, A [C, w_dim]. */
    static double[] styles(Map<String, Tensor> p, String prefix, Tensor ws, int row, double extraGain) {
        Tensor a = p.get(prefix + "affine.weight"), b = p.get(prefix + "affine.bias");
        double[] s = new double[a.size(0)];
        for (int i = 0; i < s.length; i++) {
            double acc = 0;
            for (int k = 0; k < WD; k++) acc += a.get(i, k) / Math.sqrt(WD) * ws.get(0, row, k);
            s[i] = (acc + b.get(i)) * extraGain;
        }
        return s;
    }

    static double dcoefOf(Tensor W, double[] s, int o) {
        double sum = 0;
        for (int i = 0; i < s.length; i++) for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) sum += sq(W.get(o, i, a, b) * s[i]);
        return 1 / Math.sqrt(sum + 1e-8);
    }

    static Tensor up(Tensor t, Tensor f) { return ResampleOps.upsample2d(Var.constant(t), f, 2).value(); }

    /** Images [1, 3, H, W] side by side, each scaled to [0, 255] by the shared range of all, enlarged by zoom. */
    static void writeRow(Path file, Tensor[] imgs, int zoom) throws Exception {
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (Tensor t : imgs) for (double v : t.toDoubleArray()) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        int h = imgs[0].size(2), w = imgs[0].size(3), gap = 8;
        BufferedImage bi = new BufferedImage(imgs.length * (w * zoom + gap) - gap, h * zoom, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < bi.getHeight(); y++) for (int x = 0; x < bi.getWidth(); x++) bi.setRGB(x, y, 0xffffff);
        for (int k = 0; k < imgs.length; k++)
            for (int y = 0; y < h * zoom; y++) for (int x = 0; x < w * zoom; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) rgb = rgb << 8 | (int) Math.round(255 * (imgs[k].get(0, c, y / zoom, x / zoom) - lo) / (hi - lo));
                bi.setRGB(k * (w * zoom + gap) + x, y, rgb);
            }
        ImageIO.write(bi, "png", file.toFile());
    }
}
