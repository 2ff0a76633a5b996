package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.DType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every kernel the Java side launches, grouped by PTX module (= .cu file). Kernels instantiated for both element
 * types are {@link Typed}: {@code name_f32} and {@code name_f64}; the tensor-core variants are {@code name_tf32}.
 */
public final class Kernels {
    private Kernels() {}

    private static final List<Kernel> ALL = new ArrayList<>();

    /** The module (.cu base name) of every family, in build order. */
    public static final List<String> MODULES = List.of(
            "elementwise", "bias_act", "reduce", "gemm", "conv", "modconv", "upfirdn2d", "resample", "tracking", "adam");

    /** A kernel instantiated for float and double. */
    public record Typed(Kernel f32, Kernel f64) {
        public Kernel of(DType dtype) { return dtype == DType.F32 ? f32 : f64; }
    }

    /** A GEMM-shaped kernel with float, double and TF32 tensor-core instantiations. */
    public record Gemm(Kernel f32, Kernel f64, Kernel tf32) {
        public Kernel of(DType dtype, boolean useTf32) { return dtype == DType.F64 ? f64 : useTf32 ? tf32 : f32; }
    }

    private static Kernel one(String module, String name) {
        Kernel k = new Kernel(module, name);
        ALL.add(k);
        return k;
    }

    private static Typed typed(String module, String base) {
        return new Typed(one(module, base + "_f32"), one(module, base + "_f64"));
    }

    private static Gemm gemm(String module, String base) {
        return new Gemm(one(module, base + "_f32"), one(module, base + "_f64"), one(module, base + "_tf32"));
    }

    // elementwise.cu
    public static final Typed UNARY = typed("elementwise", "unary");
    public static final Typed BINARY = typed("elementwise", "binary");
    public static final Typed AFFINE = typed("elementwise", "affine");
    public static final Typed CLAMP = typed("elementwise", "clamp");
    public static final Typed FILL = typed("elementwise", "fill");
    public static final Typed COPY = typed("elementwise", "copy");
    public static final Kernel CONVERT_F32_F64 = one("elementwise", "convert_f32_f64");
    public static final Kernel CONVERT_F64_F32 = one("elementwise", "convert_f64_f32");
    public static final Typed ADD_INPLACE = typed("elementwise", "add_inplace");
    public static final Typed INDEX_SELECT = typed("elementwise", "index_select");
    public static final Typed INDEX_ADD = typed("elementwise", "index_add");
    public static final Typed NOISE_ADD = typed("elementwise", "noise_add");
    // bias_act.cu
    public static final Typed BIAS_ACT = typed("bias_act", "bias_act");
    public static final Typed BIAS_ACT_BACKWARD = typed("bias_act", "bias_act_backward");
    // reduce.cu
    public static final Typed SUM_ROWS = typed("reduce", "sum_rows");
    public static final Typed SUM_SMALL = typed("reduce", "sum_small");
    // gemm.cu
    public static final Gemm MATMUL = gemm("gemm", "matmul");
    // conv.cu
    public static final Gemm CONV2D = gemm("conv", "conv2d");
    public static final Gemm CONV_TRANSPOSE2D = gemm("conv", "conv_transpose2d");
    public static final Gemm CONV2D_WGRAD = gemm("conv", "conv2d_wgrad");
    public static final Typed SPLITK_REDUCE = typed("conv", "splitk_reduce");
    // modconv.cu
    public static final Gemm MODCONV_CONV = gemm("modconv", "modconv_conv");
    public static final Gemm MODCONV_CONVT = gemm("modconv", "modconv_convt");
    public static final Gemm MODCONV_WGRAD = gemm("modconv", "modconv_wgrad");
    public static final Typed MODCONV_WSQ = typed("modconv", "modconv_wsq");
    public static final Typed MODCONV_DEMOD = typed("modconv", "modconv_demod");
    public static final Typed MODCONV_COEF = typed("modconv", "modconv_coef");
    public static final Typed MODCONV_DX_FINISH = typed("modconv", "modconv_dx_finish");
    public static final Typed MODCONV_DS_DEMOD = typed("modconv", "modconv_ds_demod");
    public static final Typed MODCONV_DW_DEMOD = typed("modconv", "modconv_dw_demod");
    // upfirdn2d.cu
    public static final Typed UPFIRDN2D = typed("upfirdn2d", "upfirdn2d");
    // resample.cu
    public static final Typed RESIZE_BILINEAR = typed("resample", "resize_bilinear");
    public static final Typed RESIZE_BILINEAR_BACKWARD = typed("resample", "resize_bilinear_backward");
    public static final Typed GRID_SAMPLE = typed("resample", "grid_sample");
    public static final Typed GRID_SAMPLE_BACKWARD_X = typed("resample", "grid_sample_backward_x");
    public static final Typed GRID_SAMPLE_BACKWARD_GRID = typed("resample", "grid_sample_backward_grid");
    // tracking.cu
    public static final Typed WINDOW_DIST = typed("tracking", "window_dist");
    public static final Typed ARGMIN = typed("tracking", "argmin");
    public static final Typed WINDOW_NEAREST = typed("tracking", "window_nearest");
    // adam.cu
    public static final Typed ADAM = typed("adam", "adam");

    /** Every kernel above. */
    public static List<Kernel> all() { return Collections.unmodifiableList(ALL); }
}
