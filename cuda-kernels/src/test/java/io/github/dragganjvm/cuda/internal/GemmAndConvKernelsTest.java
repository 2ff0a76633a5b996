package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * gemm.cu and conv.cu against RefBasics.matmul and RefConv, SIMT (float, double) and TF32 tensor cores.
 * Tolerances (absolute, for sums of K products of unit-normal numbers, whose partial sums grow like sqrt(K)):
 * float 1e-6 + 1.5e-7 K (float rounding of each partial sum, up to K of them); double 1e-12 sqrt(K); TF32 rounds
 * each operand to 11 significant bits (relative 2^-11, so up to ~1e-3 per product): 3e-3 sqrt(K) plus 2e-3 relative.
 */
class GemmAndConvKernelsTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    private static double atol(DType dt, boolean tf32, int k) {
        if (dt == DType.F64) return 1e-12 * Math.sqrt(k);
        return tf32 ? 3e-3 * Math.sqrt(k) : 1e-6 + 1.5e-7 * k;
    }

    private static double rtol(boolean tf32) { return tf32 ? 2e-3 : 0; }

    /** Runs body for F32, F64 and F32 with tensor cores. */
    private interface Variant { void run(DType dt, boolean tf32, String tag); }

    private static void variants(CudaBackend be, Variant body) {
        try {
            for (DType dt : DType.values()) {
                be.setTf32(false);
                body.run(dt, false, dt.toString());
            }
            be.setTf32(true);
            body.run(DType.F32, true, "TF32");
        } finally {
            be.setTf32(false);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void matmulPlainTransposedAndBatched(String device) {
        CudaBackend be = Devices.get(device);
        variants(be, (dt, tf32, tag) -> {
            int[][] mkn = {{1, 1, 1}, {33, 17, 65}, {7, 130, 5}, {64, 16, 64}};
            for (int[] s : mkn) {
                Tensor a = Tensor.randn(dt, 41, s[0], s[1]), b = Tensor.randn(dt, 42, s[1], s[2]);
                Check.close("matmul " + java.util.Arrays.toString(s) + " " + tag, ref.matmul(a, b),
                        be.toHost(be.matmul(be.fromHost(a), be.fromHost(b))), atol(dt, tf32, s[1]), rtol(tf32));
            }
            Tensor at = Tensor.randn(dt, 43, 17, 33), bt = Tensor.randn(dt, 44, 70, 17);
            Check.close("matmul a^T b^T " + tag, ref.matmul(at.transposeView(0, 1), bt.transposeView(0, 1)),
                    be.toHost(be.matmul(be.fromHost(at).transposeView(0, 1), be.fromHost(bt).transposeView(0, 1))), atol(dt, tf32, 17), rtol(tf32));
            Tensor ab = Tensor.randn(dt, 45, 3, 7, 5), bb = Tensor.randn(dt, 46, 3, 5, 70);
            Check.close("batched matmul " + tag, ref.matmul(ab, bb), be.toHost(be.matmul(be.fromHost(ab), be.fromHost(bb))), atol(dt, tf32, 5), rtol(tf32));
        });
    }

    /** x [n, c, h, w], w [o, c/g, kh, kw], strides, pads, groups. */
    private static final int[][] CONVS = {
            {2, 6, 9, 11, 10, 3, 3, 1, 1, 1, 1, 1},
            {1, 5, 8, 7, 3, 3, 3, 2, 2, 0, 0, 1},
            {2, 4, 6, 5, 6, 1, 1, 1, 1, 0, 0, 2},
            {1, 3, 7, 9, 4, 4, 2, 2, 1, 1, 0, 1},
            {1, 70, 5, 5, 66, 3, 3, 1, 1, 1, 1, 1},   // more than one 64-tile in M and in K
    };

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void conv2dAndItsWeightGradient(String device) {
        CudaBackend be = Devices.get(device);
        variants(be, (dt, tf32, tag) -> {
            for (int[] c : CONVS) {
                int n = c[0], ch = c[1], h = c[2], w = c[3], o = c[4], kh = c[5], kw = c[6], sh = c[7], sw = c[8], ph = c[9], pw = c[10], g = c[11];
                Tensor x = Tensor.randn(dt, 51, n, ch, h, w), wt = Tensor.randn(dt, 52, o, ch / g, kh, kw);
                String what = java.util.Arrays.toString(c) + " " + tag;
                Tensor y = ref.conv2d(x, wt, sh, sw, ph, pw, g);
                Check.close("conv2d " + what, y, be.toHost(be.conv2d(be.fromHost(x), be.fromHost(wt), sh, sw, ph, pw, g)),
                        atol(dt, tf32, ch / g * kh * kw), rtol(tf32));
                Tensor gy = Tensor.randn(dt, 53, y.shape());
                int k = n * y.size(2) * y.size(3);
                Check.close("conv2dWeightGrad " + what, ref.conv2dWeightGrad(x, gy, kh, kw, sh, sw, ph, pw, g),
                        be.toHost(be.conv2dWeightGrad(be.fromHost(x), be.fromHost(gy), kh, kw, sh, sw, ph, pw, g)), atol(dt, tf32, k), rtol(tf32));
            }
            // a strided input view
            Tensor xs = Tensor.randn(dt, 54, 2, 9, 4, 6);
            Tensor wt = Tensor.randn(dt, 55, 5, 4, 3, 3);
            Check.close("conv2d of a permuted view " + tag, ref.conv2d(xs.permuteView(0, 2, 1, 3), wt, 1, 1, 1, 1, 1),
                    be.toHost(be.conv2d(be.fromHost(xs).permuteView(0, 2, 1, 3), be.fromHost(wt), 1, 1, 1, 1, 1)), atol(dt, tf32, 36), rtol(tf32));
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void convTranspose2dAllPhases(String device) {
        CudaBackend be = Devices.get(device);
        // x [n, c, h, w], w [c, o/g, kh, kw], sh, sw, ph, pw, groups
        int[][] cases = {
                {2, 6, 5, 7, 4, 3, 3, 1, 1, 1, 1, 1},
                {2, 8, 5, 6, 6, 3, 3, 2, 2, 0, 0, 1},   // StyleGAN2's up-sampling conv
                {1, 3, 4, 5, 2, 4, 4, 2, 2, 1, 1, 1},
                {1, 4, 3, 4, 3, 2, 2, 3, 3, 0, 0, 2},   // kernel smaller than the stride: some phases have no taps
                {1, 5, 3, 3, 2, 3, 1, 2, 1, 1, 0, 1},
        };
        variants(be, (dt, tf32, tag) -> {
            for (int[] c : cases) {
                int n = c[0], ch = c[1], h = c[2], w = c[3], og = c[4], kh = c[5], kw = c[6], sh = c[7], sw = c[8], ph = c[9], pw = c[10], g = c[11];
                Tensor x = Tensor.randn(dt, 61, n, ch, h, w), wt = Tensor.randn(dt, 62, ch, og, kh, kw);
                Check.close("convTranspose2d " + java.util.Arrays.toString(c) + " " + tag, ref.convTranspose2d(x, wt, sh, sw, ph, pw, g),
                        be.toHost(be.convTranspose2d(be.fromHost(x), be.fromHost(wt), sh, sw, ph, pw, g)), atol(dt, tf32, ch * kh * kw), rtol(tf32));
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void mappingLayerGolden(String device) {
        // fc_lrmul_lrelu: out = lrelu(x (W * 0.01/sqrt(in))^T + b * 0.01) * sqrt(2), through matmul and biasAct
        CudaBackend be = Devices.get(device);
        String c = "fc_lrmul_lrelu";
        Tensor x = be.fromHost(Golden.npy("ops", c + "__x")), w = be.fromHost(Golden.npy("ops", c + "__weight"));
        Tensor b = be.fromHost(Golden.npy("ops", c + "__bias"));
        double wg = 0.01 / Math.sqrt(x.size(1));
        Tensor ws = be.affine(w, wg, 0), bs = be.affine(b, 0.01, 0);
        Tensor xw = be.matmul(x, ws.transposeView(0, 1));
        Tensor y = be.biasAct(xw, bs, 1, io.github.dragganjvm.tensor.Activation.LRELU, 0.2, Math.sqrt(2), -1);
        Check.close(c + " out", Golden.npy("ops", c + "__out"), be.toHost(y), 1e-6, 1e-5);
        Tensor gy = be.biasActBackward(be.fromHost(Golden.npy("ops", c + "__gout").copyAs(DType.F32)), xw, bs, 1,
                io.github.dragganjvm.tensor.Activation.LRELU, 0.2, Math.sqrt(2), -1);
        Check.close(c + " grad_x", Golden.npy("ops", c + "__grad_x"), be.toHost(be.matmul(gy, ws)), 1e-6, 1e-5);
        Check.close(c + " grad_weight", Golden.npy("ops", c + "__grad_weight"),
                be.toHost(be.affine(be.matmul(gy.transposeView(0, 1), x), wg, 0)), 1e-7, 1e-5);
        Check.close(c + " grad_bias", Golden.npy("ops", c + "__grad_bias"), be.toHost(be.affine(be.sum(gy, new int[]{0}, false), 0.01, 0)), 1e-7, 1e-5);
    }
}
