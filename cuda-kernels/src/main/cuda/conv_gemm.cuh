// conv_gemm.cuh — convolutions as implicit GEMMs on the tile engine (tile_gemm.cuh), NCHW, PyTorch semantics
// (cross-correlation, zero padding). Three operand maps cover forward, transposed and weight-gradient convs:
//
//   Conv2dOp         out[n, o, p]        = sum_{c, i, j} w[o, c, i, j] * x[n, c, y*sh + i - ph, x*sw + j - pw]
//                    GEMM per (sample, group): M = O/groups, N = Ho*Wo, K = C/groups * kh * kw
//   ConvTransposeOp  out[n, o, Y, X]     = sum over (c, y, x, i, j) with Y = y*sh + i - ph, X = x*sw + j - pw
//                    of x[n, c, y, x] * w[c, o, i, j]. Output pixels are split by phase (Y + ph) mod sh, (X + pw)
//                    mod sw: within a phase only the taps i = phase + sh*ii reach it, so each phase is a dense conv
//                    with a sub-sampled kernel and no multiply is spent on inserted zeros.
//                    GEMM per (sample, group, phase): M = O/groups, N = pixels of the phase, K = C/groups * taps
//   WeightGradOp     dw[o, c, i, j]      = sum_{n, y, x} g[n, o, y, x] * x[n, c, y*sh + i - ph, x*sw + j - pw]
//                    GEMM per group: M = O/groups, N = C/groups * kh * kw, K = N * Ho * Wo (split along K)
//
// Optional per-(sample, channel) scales turn these into StyleGAN2's modulated convolution without materialising
// per-sample weights (modconv.cu): xScale multiplies the input channel c of sample n (the styles), outScale the
// output channel o (the demodulation coefficients). A null pointer means 1.
// Every tensor is contiguous; weights are addressed through two channel strides so a [O, C, kh, kw] weight can be
// read as the [C, O, kh, kw] weight of the transposed conv without a copy (taps are always contiguous).
#pragma once
#include "tile_gemm.cuh"

// Geometry of one convolution, passed by value (the Java class ConvGeometry builds it in this order).
struct ConvGeom {
    int N, C, H, W;                  // input [N, C, H, W]
    int O, Ho, Wo;                   // output [N, O, Ho, Wo]
    int kh, kw, sh, sw, ph, pw, groups;
    int wso, wsc;                    // weight strides of the output- and input-channel index (taps contiguous)
};

// The implicit im2col element shared by the forward conv and the weight gradient: input channel cg of sample n
// under tap r = i*kw + j of output pixel p = y*Wo + xo, i.e. x[n, cg, y*sh + i - ph, xo*sw + j - pw] (0 outside
// the image), times xScale[n, cg] when given.
template <typename T>
__device__ __forceinline__ T im2col(const ConvGeom& g, const T* x, const T* xScale, int n, int cg, int r, int p) {
    int i = r / g.kw, j = r - i * g.kw;
    int y = p / g.Wo, xo = p - y * g.Wo;
    int iy = y * g.sh - g.ph + i, ix = xo * g.sw - g.pw + j;
    if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) return T(0);
    T v = x[((long long)(n * g.C + cg) * g.H + iy) * g.W + ix];
    return xScale ? v * xScale[n * g.C + cg] : v;
}

template <typename T>
struct Conv2dOp {
    ConvGeom g;
    const T* x; const T* w; T* out; const T* xScale; const T* outScale;
    int n, grp, Cg, Og, kk;
    int M, N, K;
    __device__ Conv2dOp(const ConvGeom& geom, const T* x_, const T* w_, T* out_, const T* xs, const T* os, int z)
        : g(geom), x(x_), w(w_), out(out_), xScale(xs), outScale(os) {
        n = z / g.groups; grp = z % g.groups;
        Cg = g.C / g.groups; Og = g.O / g.groups; kk = g.kh * g.kw;
        M = Og; N = g.Ho * g.Wo; K = Cg * kk;
    }
    __device__ T a(int m, int k) const {
        int c = k / kk, r = k - c * kk;
        return w[(long long)(grp * Og + m) * g.wso + (long long)c * g.wsc + r];
    }
    __device__ T b(int k, int p) const {
        int c = k / kk, r = k - c * kk;
        return im2col(g, x, xScale, n, grp * Cg + c, r, p);
    }
    __device__ void store(int m, int p, T v) const {
        int o = grp * Og + m;
        if (outScale) v *= outScale[n * g.O + o];
        out[(long long)(n * g.O + o) * N + p] = v;
    }
};

template <typename T>
struct ConvTransposeOp {
    ConvGeom g;
    const T* x; const T* w; T* out; const T* xScale; const T* outScale;
    int n, grp, Cg, Og;
    int Y0, X0, qy, qx, ry, rx, nI, nJ, nU;   // the phase: first output row/col, input offsets, taps
    int M, N, K;
    __device__ ConvTransposeOp(const ConvGeom& geom, const T* x_, const T* w_, T* out_, const T* xs, const T* os, int z)
        : g(geom), x(x_), w(w_), out(out_), xScale(xs), outScale(os) {
        int phases = g.sh * g.sw;
        int phase = z % phases;
        z /= phases;
        n = z / g.groups; grp = z % g.groups;
        Cg = g.C / g.groups; Og = g.O / g.groups;
        ry = phase / g.sw; rx = phase % g.sw;
        Y0 = floor_mod(ry - g.ph, g.sh); X0 = floor_mod(rx - g.pw, g.sw);
        qy = -floor_div(ry - g.ph, g.sh); qx = -floor_div(rx - g.pw, g.sw);
        nI = ry < g.kh ? ceil_div(g.kh - ry, g.sh) : 0;
        nJ = rx < g.kw ? ceil_div(g.kw - rx, g.sw) : 0;
        int nT = Y0 < g.Ho ? ceil_div(g.Ho - Y0, g.sh) : 0;
        nU = X0 < g.Wo ? ceil_div(g.Wo - X0, g.sw) : 0;
        M = Og; N = nT * nU; K = Cg * nI * nJ;
    }
    __device__ T a(int m, int k) const {
        int taps = nI * nJ;
        int c = k / taps, r = k - c * taps;
        int ii = r / nJ, jj = r - ii * nJ;
        int tap = (ry + g.sh * ii) * g.kw + (rx + g.sw * jj);
        return w[(long long)(grp * Cg + c) * g.wsc + (long long)m * g.wso + tap];
    }
    __device__ T b(int k, int p) const {
        int taps = nI * nJ;
        int c = k / taps, r = k - c * taps;
        int ii = r / nJ, jj = r - ii * nJ;
        int t = p / nU, u = p - t * nU;
        int y = qy + t - ii, xx = qx + u - jj;
        if (y < 0 || y >= g.H || xx < 0 || xx >= g.W) return T(0);
        int cg = grp * Cg + c;
        T v = x[((long long)(n * g.C + cg) * g.H + y) * g.W + xx];
        return xScale ? v * xScale[n * g.C + cg] : v;
    }
    __device__ void store(int m, int p, T v) const {
        int t = p / nU, u = p - t * nU;
        int Y = Y0 + g.sh * t, X = X0 + g.sw * u;
        int o = grp * Og + m;
        if (outScale) v *= outScale[n * g.O + o];
        out[((long long)(n * g.O + o) * g.Ho + Y) * g.Wo + X] = v;
    }
};

template <typename T>
struct WeightGradOp {
    ConvGeom g;
    const T* x; const T* gout; T* out; const T* xScale; const T* gScale;
    int grp, Cg, Og, kk, hw;
    int dso, dsc;          // output strides of the (gout-channel, x-channel) index; taps contiguous
    int M, N, K;
    __device__ WeightGradOp(const ConvGeom& geom, const T* x_, const T* g_, T* out_, const T* xs, const T* gs,
                            int dso_, int dsc_, int grp_)
        : g(geom), x(x_), gout(g_), out(out_), xScale(xs), gScale(gs), grp(grp_), dso(dso_), dsc(dsc_) {
        Cg = g.C / g.groups; Og = g.O / g.groups; kk = g.kh * g.kw; hw = g.Ho * g.Wo;
        M = Og; N = Cg * kk; K = g.N * hw;
    }
    __device__ T a(int m, int k) const {
        int n = k / hw, p = k - n * hw;
        int o = grp * Og + m;
        T v = gout[(long long)(n * g.O + o) * hw + p];
        return gScale ? v * gScale[n * g.O + o] : v;
    }
    __device__ T b(int k, int col) const {
        int n = k / hw, p = k - n * hw;
        int c = col / kk, r = col - c * kk;
        return im2col(g, x, xScale, n, grp * Cg + c, r, p);
    }
    __device__ void store(int m, int col, T v) const {
        int c = col / kk, r = col - c * kk;
        out[(long long)(grp * Og + m) * dso + (long long)c * dsc + r] = v;
    }
};

// Kernel bodies. Grid: x = N tiles, y = M tiles, z = as named. TF32 selects the tensor-core engine (float only).
template <typename T, bool TF32, class Op>
__device__ __forceinline__ void gemm_tile(const Op& op, int kBegin, int kEnd) {
    int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
    if (m0 >= op.M || n0 >= op.N) return;   // block-uniform: tiles past this phase's extent
    if constexpr (TF32) gemm_tile_tf32(op, m0, n0, kBegin, kEnd);
    else gemm_tile_simt<T>(op, m0, n0, kBegin, kEnd);
}

// grid z = N * groups
template <typename T, bool TF32>
__device__ void conv2d_body(const ConvGeom& g, const T* x, const T* w, T* out, const T* xScale, const T* outScale) {
    Conv2dOp<T> op(g, x, w, out, xScale, outScale, blockIdx.z);
    gemm_tile<T, TF32>(op, 0, op.K);
}

// grid z = N * groups * sh * sw (phases)
template <typename T, bool TF32>
__device__ void conv_transpose2d_body(const ConvGeom& g, const T* x, const T* w, T* out, const T* xScale,
                                      const T* outScale) {
    ConvTransposeOp<T> op(g, x, w, out, xScale, outScale, blockIdx.z);
    gemm_tile<T, TF32>(op, 0, op.K);
}

// grid z = groups * splits; split s writes its partial sums to out + s * splitStride (reduced by splitk_reduce).
template <typename T, bool TF32>
__device__ void conv2d_wgrad_body(const ConvGeom& g, const T* x, const T* gout, T* out, const T* xScale,
                                  const T* gScale, int dso, int dsc, int splits, int splitStride) {
    int grp = blockIdx.z / splits, s = blockIdx.z % splits;
    WeightGradOp<T> op(g, x, gout, out + (long long)s * splitStride, xScale, gScale, dso, dsc, grp);
    int kBegin, kEnd;
    split_range(op.K, splits, s, kBegin, kEnd);
    gemm_tile<T, TF32>(op, kBegin, kEnd);
}

// out[i] = sum over s in order of ws[s * n + i]: deterministic split-K reduction.
template <typename T>
__device__ void splitk_reduce_body(const T* ws, T* out, int splits, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
        T s = T(0);
        for (int k = 0; k < splits; k++) s += ws[(long long)k * n + i];
        out[i] = s;
    }
}
