// conv.cu — conv2d, conv_transpose2d and the conv weight gradient (Backend.conv2d / convTranspose2d /
// conv2dWeightGrad; Java reference RefConv), as implicit GEMMs (conv_gemm.cuh). Deterministic: no atomics; the
// weight gradient splits its long k range over blocks into a workspace and sums the splits in order.
// The _tf32 variants use tensor cores (TF32 products, float sums), selected by -Ddraggan.cuda.tf32=true.
#include "conv_gemm.cuh"

#define CONV_KERNELS(sfx, T, TF32)                                                                              \
    extern "C" __global__ void __launch_bounds__(TILE_THREADS)                                                  \
    conv2d_##sfx(ConvGeom g, const T* x, const T* w, T* out) {                                                  \
        conv2d_body<T, TF32>(g, x, w, out, nullptr, nullptr);                                                   \
    }                                                                                                           \
    EMU_REGISTER(conv2d_##sfx)                                                                                  \
    extern "C" __global__ void __launch_bounds__(TILE_THREADS)                                                  \
    conv_transpose2d_##sfx(ConvGeom g, const T* x, const T* w, T* out) {                                        \
        conv_transpose2d_body<T, TF32>(g, x, w, out, nullptr, nullptr);                                         \
    }                                                                                                           \
    EMU_REGISTER(conv_transpose2d_##sfx)                                                                        \
    extern "C" __global__ void __launch_bounds__(TILE_THREADS)                                                  \
    conv2d_wgrad_##sfx(ConvGeom g, const T* x, const T* gout, T* out, int splits, int splitStride) {            \
        int Cg = g.C / g.groups, kk = g.kh * g.kw;                                                              \
        conv2d_wgrad_body<T, TF32>(g, x, gout, out, nullptr, nullptr, Cg * kk, kk, splits, splitStride);        \
    }                                                                                                           \
    EMU_REGISTER(conv2d_wgrad_##sfx)

CONV_KERNELS(f32, float, false)
CONV_KERNELS(f64, double, false)
CONV_KERNELS(tf32, float, true)

#define SPLITK_REDUCE(sfx, T)                                                                                   \
    extern "C" __global__ void __launch_bounds__(256) splitk_reduce_##sfx(const T* ws, T* out, int splits, int n) { \
        splitk_reduce_body<T>(ws, out, splits, n);                                                              \
    }                                                                                                           \
    EMU_REGISTER(splitk_reduce_##sfx)
FOR_DTYPES(SPLITK_REDUCE)
