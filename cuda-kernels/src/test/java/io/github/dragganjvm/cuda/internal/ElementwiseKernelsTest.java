package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.BinaryOp;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.UnaryOp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** elementwise.cu against the reference kernels (RefBasics), on awkward sizes and strided views, F32 and F64. */
class ElementwiseKernelsTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    private static Tensor randn(DType dt, long seed, int... shape) { return Tensor.randn(dt, seed, shape); }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void unaryOpsOnContiguousAndTransposedViews(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor x = randn(dt, 1, 7, 33);
            Tensor pos = ref.affine(ref.unary(UnaryOp.ABS, x), 1, 0.1);   // domain of log, sqrt, rsqrt
            for (UnaryOp op : UnaryOp.values()) {
                boolean needsPositive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
                Tensor in = needsPositive ? pos : x;
                Tensor view = in.transposeView(0, 1);   // [33, 7], strided
                Tensor d = be.fromHost(in);
                Check.close(op + " " + dt, ref.unary(op, in), be.toHost(be.unary(op, d)), 0, 4 * Check.eps(dt));
                Check.close(op + " " + dt + " transposed", ref.unary(op, view), be.toHost(be.unary(op, d.transposeView(0, 1))), 0, 4 * Check.eps(dt));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void binaryOpsBroadcastOverViews(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor a = randn(dt, 2, 7, 1, 33), b = randn(dt, 3, 5, 1);
            Tensor at = randn(dt, 4, 33, 5).transposeView(0, 1);   // [5, 33] strided
            Tensor da = be.fromHost(a), db = be.fromHost(b), dat = be.fromHost(randn(dt, 4, 33, 5)).transposeView(0, 1);
            for (BinaryOp op : BinaryOp.values()) {
                Check.close(op + " " + dt + " broadcast", ref.binary(op, a, b), be.toHost(be.binary(op, da, db)), 0, Check.eps(dt));
                Check.close(op + " " + dt + " strided", ref.binary(op, b, at), be.toHost(be.binary(op, db, dat)), 0, Check.eps(dt));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void affineClampFillAndAddInPlace(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor x = randn(dt, 5, 1, 33, 7);
            Tensor dx = be.fromHost(x);
            Check.close("affine " + dt, ref.affine(x, 1.7, -0.3), be.toHost(be.affine(dx, 1.7, -0.3)), 1e-7, 2 * Check.eps(dt));
            Check.close("clamp " + dt, ref.clamp(x.permuteView(2, 1, 0), -0.5, 0.25),
                    be.toHost(be.clamp(dx.permuteView(2, 1, 0), -0.5, 0.25)), 0, 0);
            Tensor hostFilled = x.copy();
            ref.fill(hostFilled.sliceView(1, 3, 30).sliceView(2, 1, 6), 2.5);
            Tensor devFilled = be.copy(dx);
            be.fill(devFilled.sliceView(1, 3, 30).sliceView(2, 1, 6), 2.5);
            Check.bitEqual("fill on a view " + dt, hostFilled, be.toHost(devFilled));
            Tensor acc = randn(dt, 6, 7, 33), add = randn(dt, 7, 33, 7).transposeView(0, 1);
            Tensor dacc = be.fromHost(acc);
            be.addInPlace(dacc, be.fromHost(randn(dt, 7, 33, 7)).transposeView(0, 1));
            ref.addInPlace(acc, add);
            Check.close("addInPlace " + dt, acc, be.toHost(dacc), 0, Check.eps(dt));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void copiesViewsConversionsAndTransfers(String device) {
        CudaBackend be = Devices.get(device);
        Tensor x = randn(DType.F32, 8, 3, 5, 7);
        Tensor perm = x.permuteView(2, 0, 1);
        Tensor d = be.fromHost(x);
        Check.bitEqual("copy of a permuted view", perm.copy(), be.toHost(be.copy(d.permuteView(2, 0, 1))));
        Check.bitEqual("toHost of a permuted view", perm.copy(), be.toHost(d.permuteView(2, 0, 1)));
        Check.bitEqual("fromHost of a permuted view", perm.copy(), be.toHost(be.fromHost(perm)));
        Check.bitEqual("F32 -> F64", ref.convert(x, DType.F64), be.toHost(be.convert(d, DType.F64)));
        Tensor x64 = randn(DType.F64, 9, 4, 6);
        Check.bitEqual("F64 -> F32 of a slice", ref.convert(x64.sliceView(1, 1, 5), DType.F32),
                be.toHost(be.convert(be.fromHost(x64).sliceView(1, 1, 5), DType.F32)));
        // copyInto a slice of another buffer, and within one buffer (overlapping rows shift down by one)
        Tensor dst = Tensor.zeros(DType.F32, 3, 5, 9);
        Tensor ddst = be.zeros(DType.F32, 3, 5, 9);
        ref.copyInto(x.sliceView(2, 1, 7), dst.sliceView(2, 2, 8));
        be.copyInto(d.sliceView(2, 1, 7), ddst.sliceView(2, 2, 8));
        Check.bitEqual("copyInto a slice", dst, be.toHost(ddst));
        Tensor self = x.copy();
        Tensor dself = be.copy(d);
        ref.copyInto(self.sliceView(1, 0, 4), self.sliceView(1, 1, 5));
        be.copyInto(dself.sliceView(1, 0, 4), dself.sliceView(1, 1, 5));
        Check.bitEqual("copyInto overlapping", self, be.toHost(dself));
        assertEquals(0, be.toHost(be.zeros(DType.F64, 0, 4)).numel());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void indexSelectAndIndexAddWithRepeats(String device) {
        CudaBackend be = Devices.get(device);
        for (DType dt : DType.values()) {
            Tensor x = randn(dt, 10, 4, 7, 3);
            int[] idx = {6, 0, 6, 2};
            Check.bitEqual("indexSelect " + dt, ref.indexSelect(x, 1, idx), be.toHost(be.indexSelect(be.fromHost(x), 1, idx)));
            Tensor dst = randn(dt, 11, 4, 7, 3), src = randn(dt, 12, 4, 4, 3);
            Tensor ddst = be.fromHost(dst);
            ref.indexAdd(dst, 1, idx, src);
            be.indexAdd(ddst, 1, idx, be.fromHost(src));
            Check.close("indexAdd " + dt, dst, be.toHost(ddst), 0, Check.eps(dt));
            // a non-contiguous destination
            Tensor dstT = randn(dt, 13, 7, 4, 3);
            Tensor ddstT = be.fromHost(dstT);
            ref.indexAdd(dstT.transposeView(0, 1), 1, idx, src);
            be.indexAdd(ddstT.transposeView(0, 1), 1, idx, be.fromHost(src));
            Check.close("indexAdd into a transposed view " + dt, dstT, be.toHost(ddstT), 0, Check.eps(dt));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void noiseAddSharedAndPerSample(String device) {
        CudaBackend be = Devices.get(device);
        Tensor x = randn(DType.F32, 14, 2, 3, 5, 7);
        for (int nb : new int[]{1, 2}) {
            Tensor noise = randn(DType.F32, 15 + nb, nb, 1, 5, 7);
            Tensor expected = ref.binary(BinaryOp.ADD, x, ref.affine(noise, 0.37, 0));
            Check.close("noiseAdd, noise batch " + nb, expected, be.toHost(be.noiseAdd(be.fromHost(x), be.fromHost(noise), 0.37)), 1e-7, 1e-6);
        }
    }
}
