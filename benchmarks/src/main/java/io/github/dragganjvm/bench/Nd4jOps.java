package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Tensor;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/** ND4J (native CPU backend) equivalents of our ops, for comparison benchmarks and as a test oracle. */
public final class Nd4jOps {
    private Nd4jOps() {}

    /** An F32 ND4J array with the tensor's values (row-major). */
    public static INDArray of(Tensor t) {
        long[] shape = new long[t.dim()];
        for (int i = 0; i < shape.length; i++) shape[i] = t.size(i);
        return Nd4j.create(t.toFloatArray(), shape, 'c');
    }

    /** Back to a tensor. */
    public static Tensor toTensor(INDArray a) {
        long[] s = a.shape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = (int) s[i];
        return Tensor.of(a.dup('c').castTo(DataType.FLOAT).ravel().toFloatVector(), shape);
    }

    /** c = a x b (c preallocated [M, N]). */
    public static INDArray gemm(INDArray a, INDArray b, INDArray c) {
        return Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
    }

    /** A conv2d config: NCHW input, [O, C, kh, kw] weights, explicit padding. */
    public static Conv2DConfig conv2dConfig(int kh, int kw, int stride, int pad) {
        return Conv2DConfig.builder().kH(kh).kW(kw).sH(stride).sW(stride).pH(pad).pW(pad).dH(1).dW(1)
                .paddingMode(PaddingMode.VALID).dataFormat("NCHW").weightsFormat(WeightsFormat.OIYX).build();
    }

    /** out = conv2d(x, w) into the preallocated out [N, O, Ho, Wo]. */
    public static INDArray conv2d(INDArray x, INDArray w, INDArray out, Conv2DConfig config) {
        Nd4j.exec(new Conv2D(x, w, null, out, config));
        return out;
    }
}
