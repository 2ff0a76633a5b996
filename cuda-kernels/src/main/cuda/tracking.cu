// tracking.cu — DragGAN point tracking (Backend.windowDistances; Java reference RefBasics.windowDistances and
// Ops.argmin): squared L2 distances over channels between every pixel of a window of feat [C, H, W] and the query
// f0 [C], and the index of the smallest (first in row-major order on ties), so the tracker can read back one int
// instead of the whole window.
#include "common.cuh"

// out [wh, ww]: out[wy, wx] = sum_c (feat[c, y0 + wy, x0 + wx] - f0[c])^2; feat, f0 contiguous.
#define WINDOW_DIST(sfx, T)                                                                                  \
    extern "C" __global__ void __launch_bounds__(256) window_dist_##sfx(                                     \
        const T* feat, const T* f0, T* out, int C, int H, int W, int y0, int x0, int wh, int ww) {           \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < wh * ww; i += blockDim.x * gridDim.x) {      \
            int y = y0 + i / ww, x = x0 + i % ww;                                                            \
            T s = T(0);                                                                                      \
            for (int c = 0; c < C; c++) {                                                                    \
                T d = feat[((long long)c * H + y) * W + x] - f0[c];                                          \
                s += d * d;                                                                                  \
            }                                                                                                \
            out[i] = s;                                                                                      \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(window_dist_##sfx)
FOR_DTYPES(WINDOW_DIST)

// index[0] = the first i with v[i] minimal (strict < keeps the earlier index, as Ops.argmin). One block.
#define ARGMIN(sfx, T)                                                                                       \
    extern "C" __global__ void __launch_bounds__(256) argmin_##sfx(const T* v, int n, int* index) {          \
        __shared__ T bestV[256];                                                                             \
        __shared__ int bestI[256];                                                                           \
        int t = threadIdx.x, bi = -1;                                                                        \
        T bv = T(0);                                                                                         \
        for (int i = t; i < n; i += blockDim.x)                                                              \
            if (bi < 0 || v[i] < bv) { bv = v[i]; bi = i; }                                                  \
        bestV[t] = bv;                                                                                       \
        bestI[t] = bi;                                                                                       \
        __syncthreads();                                                                                     \
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {                                                       \
            if (t < s) {                                                                                     \
                int oi = bestI[t + s];                                                                       \
                T ov = bestV[t + s];                                                                         \
                if (oi >= 0 && (bestI[t] < 0 || ov < bestV[t] || (ov == bestV[t] && oi < bestI[t]))) {      \
                    bestV[t] = ov;                                                                           \
                    bestI[t] = oi;                                                                           \
                }                                                                                            \
            }                                                                                                \
            __syncthreads();                                                                                 \
        }                                                                                                    \
        if (t == 0) index[0] = bestI[0];                                                                     \
    }                                                                                                        \
    EMU_REGISTER(argmin_##sfx)
FOR_DTYPES(ARGMIN)
