package draggan.tensor.reference;

import draggan.tensor.Tensor;

/** Reference resampling kernels (plain loops, any strides, both dtypes). TODO: filled in by the resampling work. */
public final class RefResample {
    private RefResample() {}

    public static Tensor upfirdn2d(Tensor x, Tensor f, int upX, int upY, int downX, int downY,
                                   int padX0, int padX1, int padY0, int padY1, double gain, boolean flipFilter) {
        throw new UnsupportedOperationException("upfirdn2d: reference kernel not written yet");
    }

    public static Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
        throw new UnsupportedOperationException("resizeBilinear: reference kernel not written yet");
    }

    public static Tensor resizeBilinearBackward(Tensor gout, int inH, int inW, boolean alignCorners) {
        throw new UnsupportedOperationException("resizeBilinearBackward: reference kernel not written yet");
    }

    public static Tensor gridSample(Tensor x, Tensor grid, boolean alignCorners) {
        throw new UnsupportedOperationException("gridSample: reference kernel not written yet");
    }

    public static Tensor[] gridSampleBackward(Tensor gout, Tensor x, Tensor grid, boolean alignCorners, boolean needX, boolean needGrid) {
        throw new UnsupportedOperationException("gridSampleBackward: reference kernel not written yet");
    }
}
