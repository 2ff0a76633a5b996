// modconv.cu — StyleGAN2's modulated convolution, forward and backward, without per-sample weights.
//
// Forward (NVlabs modulated_conv2d, fused or not, both compute this):
//   s [N, C] styles, weight [O, C, kh, kw], d[n, o] = rsqrt(sum_{c,i,j} (weight[o,c,i,j] s[n,c])^2 + eps) if
//   demodulating, else 1;   out[n, o] = d[n, o] * conv(x[n] * s[n, :], weight)[o]
// so the modulation is a per-(sample, input channel) scale of the input and the demodulation a per-(sample, output
// channel) scale of the output: both fold into the implicit GEMM's operand loads and epilogue (conv_gemm.cuh).
//   up = 1: conv2d stride 1 (padding p);  up = 2: conv_transpose2d stride 2, padding 0 (StyleGAN2's conv0; the
//   FIR upfirdn2d(pad 1, gain 4) that follows is a separate op).
//
// Backward, with G = dL/dout and G' = G * d (scaled per (n, o)):
//   dconv = convT(G', weight) (up 1)  or  conv2d(G', weight^T, stride 2) (up 2)   [modconv_convt / modconv_conv]
//   dx = dconv * s;  ds[n, c] = sum_p dconv x  - s[n, c] sum_o coef[n, o] wsq[o, c]
//   dweight = sum_n wgrad(x * s, G')  - weight[o, c] sum_n coef[n, o] s[n, c]^2          [modconv_wgrad]
//   with wsq[o, c] = sum_{i,j} weight^2 and coef[n, o] = d^3 sum_p G raw = d^2 sum_p G out (demodulation terms).
// Java: io.github.dragganjvm.cuda.internal.ModulatedConv (forward, backward, the launch table) and its reference in the tests.
#include "conv_gemm.cuh"

// Scaled implicit-GEMM convolutions: the forward and input-gradient passes of both variants.
#define MODCONV_GEMMS(sfx, T, TF32)                                                                            \
    extern "C" __global__ void __launch_bounds__(TILE_THREADS) modconv_conv_##sfx(                             \
        ConvGeom g, const T* x, const T* w, T* out, const T* xScale, const T* outScale) {                      \
        conv2d_body<T, TF32>(g, x, w, out, xScale, outScale);                                                  \
    }                                                                                                          \
    EMU_REGISTER(modconv_conv_##sfx)                                                                           \
    extern "C" __global__ void __launch_bounds__(TILE_THREADS) modconv_convt_##sfx(                            \
        ConvGeom g, const T* x, const T* w, T* out, const T* xScale, const T* outScale) {                      \
        conv_transpose2d_body<T, TF32>(g, x, w, out, xScale, outScale);                                        \
    }                                                                                                          \
    EMU_REGISTER(modconv_convt_##sfx)                                                                          \
    extern "C" __global__ void __launch_bounds__(TILE_THREADS) modconv_wgrad_##sfx(                            \
        ConvGeom g, const T* x, const T* gout, T* out, const T* xScale, const T* gScale, int dso, int dsc,     \
        int splits, int splitStride) {                                                                         \
        conv2d_wgrad_body<T, TF32>(g, x, gout, out, xScale, gScale, dso, dsc, splits, splitStride);            \
    }                                                                                                          \
    EMU_REGISTER(modconv_wgrad_##sfx)
MODCONV_GEMMS(f32, float, false)
MODCONV_GEMMS(f64, double, false)
MODCONV_GEMMS(tf32, float, true)

// wsq[o, c] = sum_t weight[o, c, t]^2, weight [O, C, kk]. One thread per (o, c).
#define MODCONV_WSQ(sfx, T)                                                                                    \
    extern "C" __global__ void __launch_bounds__(256) modconv_wsq_##sfx(const T* weight, T* wsq, int oc, int kk) { \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < oc; i += blockDim.x * gridDim.x) {              \
            T s = T(0);                                                                                        \
            for (int t = 0; t < kk; t++) { T v = weight[(long long)i * kk + t]; s += v * v; }                  \
            wsq[i] = s;                                                                                        \
        }                                                                                                      \
    }                                                                                                          \
    EMU_REGISTER(modconv_wsq_##sfx)
FOR_DTYPES(MODCONV_WSQ)

// d[n, o] = rsqrt(sum_c wsq[o, c] s[n, c]^2 + eps). One warp per (n, o), 8 per block.
#define MODCONV_DEMOD(sfx, T)                                                                                  \
    extern "C" __global__ void __launch_bounds__(256) modconv_demod_##sfx(                                     \
        const T* wsq, const T* styles, T* d, int N, int O, int C, T eps) {                                     \
        int item = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x % 32;                                 \
        bool live = item < N * O;                                                                              \
        int n = live ? item / O : 0, o = live ? item % O : 0;                                                  \
        T s = T(0);                                                                                            \
        if (live)                                                                                              \
            for (int c = lane; c < C; c += 32) { T st = styles[n * C + c]; s += wsq[(long long)o * C + c] * st * st; } \
        s = warp_sum(s);                                                                                       \
        if (live && lane == 0) d[item] = T(1) / m_sqrt(s + eps);                                               \
    }                                                                                                          \
    EMU_REGISTER(modconv_demod_##sfx)
FOR_DTYPES(MODCONV_DEMOD)

// coef[n, o] = d[n, o]^2 sum_p gout[n, o, p] out[n, o, p]. One block per (n, o).
#define MODCONV_COEF(sfx, T)                                                                                   \
    extern "C" __global__ void __launch_bounds__(256) modconv_coef_##sfx(                                      \
        const T* gout, const T* out, const T* d, T* coef, int hw) {                                            \
        long long base = (long long)blockIdx.x * hw;                                                           \
        T s = T(0);                                                                                            \
        for (int p = threadIdx.x; p < hw; p += blockDim.x) s += gout[base + p] * out[base + p];                \
        s = block_sum(s);                                                                                      \
        if (threadIdx.x == 0) { T dv = d[blockIdx.x]; coef[blockIdx.x] = s * dv * dv; }                        \
    }                                                                                                          \
    EMU_REGISTER(modconv_coef_##sfx)
FOR_DTYPES(MODCONV_COEF)

// From dconv [N, C, H, W]: dx = dconv * s[n, c] (dx may be null) and ds[n, c] = sum_p dconv x (ds may be null).
// One block per (n, c).
#define MODCONV_DX_FINISH(sfx, T)                                                                              \
    extern "C" __global__ void __launch_bounds__(256) modconv_dx_finish_##sfx(                                 \
        const T* dconv, const T* x, const T* styles, T* dx, T* ds, int hw) {                                   \
        long long base = (long long)blockIdx.x * hw;                                                           \
        T st = styles[blockIdx.x], s = T(0);                                                                   \
        for (int p = threadIdx.x; p < hw; p += blockDim.x) {                                                   \
            T v = dconv[base + p];                                                                             \
            if (dx) dx[base + p] = v * st;                                                                     \
            s += v * x[base + p];                                                                              \
        }                                                                                                      \
        if (ds) {                                                                                              \
            s = block_sum(s);                                                                                  \
            if (threadIdx.x == 0) ds[blockIdx.x] = s;                                                          \
        }                                                                                                      \
    }                                                                                                          \
    EMU_REGISTER(modconv_dx_finish_##sfx)
FOR_DTYPES(MODCONV_DX_FINISH)

// ds[n, c] -= s[n, c] sum_o coef[n, o] wsq[o, c]. One thread per (n, c).
#define MODCONV_DS_DEMOD(sfx, T)                                                                               \
    extern "C" __global__ void __launch_bounds__(256) modconv_ds_demod_##sfx(                                  \
        T* ds, const T* styles, const T* coef, const T* wsq, int N, int O, int C) {                            \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < N * C; i += blockDim.x * gridDim.x) {          \
            int n = i / C, c = i % C;                                                                          \
            T s = T(0);                                                                                        \
            for (int o = 0; o < O; o++) s += coef[n * O + o] * wsq[(long long)o * C + c];                      \
            ds[i] -= styles[i] * s;                                                                            \
        }                                                                                                      \
    }                                                                                                          \
    EMU_REGISTER(modconv_ds_demod_##sfx)
FOR_DTYPES(MODCONV_DS_DEMOD)

// dweight[o, c, t] -= weight[o, c, t] sum_n coef[n, o] s[n, c]^2. One thread per (o, c).
#define MODCONV_DW_DEMOD(sfx, T)                                                                               \
    extern "C" __global__ void __launch_bounds__(256) modconv_dw_demod_##sfx(                                  \
        T* dw, const T* weight, const T* styles, const T* coef, int N, int O, int C, int kk) {                 \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < O * C; i += blockDim.x * gridDim.x) {          \
            int o = i / C, c = i % C;                                                                          \
            T e = T(0);                                                                                        \
            for (int n = 0; n < N; n++) { T st = styles[n * C + c]; e += coef[n * O + o] * st * st; }          \
            for (int t = 0; t < kk; t++) dw[(long long)i * kk + t] -= weight[(long long)i * kk + t] * e;       \
        }                                                                                                      \
    }                                                                                                          \
    EMU_REGISTER(modconv_dw_demod_##sfx)
FOR_DTYPES(MODCONV_DW_DEMOD)
