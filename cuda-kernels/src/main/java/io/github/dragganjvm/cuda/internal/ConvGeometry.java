package io.github.dragganjvm.cuda.internal;

/**
 * The {@code ConvGeom} struct of conv_gemm.cuh: input [n, c, h, w], output [n, o, ho, wo], kernel kh x kw, strides,
 * paddings, groups, and the weight's strides for the output- and input-channel index (taps are contiguous).
 */
record ConvGeometry(int n, int c, int h, int w, int o, int ho, int wo, int kh, int kw, int sh, int sw, int ph, int pw,
                    int groups, int wso, int wsc) {
    int[] struct() { return new int[]{n, c, h, w, o, ho, wo, kh, kw, sh, sw, ph, pw, groups, wso, wsc}; }
}
