// tracking.cu — DragGAN point tracking (Backend.windowDistances; Java reference RefBasics.windowDistances and
// Ops.argmin): squared L2 distances over channels between every pixel of a window of feat [C, H, W] and the query
// f0 [C], and the index of the smallest (first in row-major order on ties), so the tracker can read back one int
// instead of the whole window; and window_nearest (Backend.windowNearest; Java reference WindowNearest.ofSquared
// over RefBasics.windowDistances), the tracker's whole search in one launch, bit-identical to the reference.
#include "common.cuh"

#ifdef __CUDA_ARCH__
#define TR_DMUL(a, b) __dmul_rn(a, b)
#define TR_DADD(a, b) __dadd_rn(a, b)
#else
#define TR_DMUL(a, b) ((a) * (b))
#define TR_DADD(a, b) ((a) + (b))
#endif

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

// The search state over a set of window pixels: best distance, its index (-1: no pixel yet smaller than +inf) and
// the second smallest distance. The reference (WindowNearest.ofSquared) walks the pixels in row-major order starting
// from pixel 0 as the best; its result is min / second-min with ties to the lower index, NaN never replacing
// anything, except that a NaN at pixel 0 stays the best (then the second is the smallest of the rest).

// The reference's step for pixel i of distance d.
__device__ __forceinline__ void nearest_step(float& best, int& index, float& second, float d, int i) {
    if (d < best) { second = best; best = d; index = i; }
    else if (d < second) second = d;
}

// (best, index, second) becomes the state over the union with the disjoint set (bb, bi, bs).
__device__ __forceinline__ void nearest_merge(float& best, int& index, float& second, float bb, int bi, float bs) {
    if (index == 0 && best != best) {                     // pixel 0 is NaN here: it stays the best
        second = bb < second ? bb : second;
    } else if (bi == 0 && bb != bb) {                     // pixel 0 is NaN there
        second = best < bs ? best : bs;
        best = bb; index = 0;
    } else if (bi >= 0 && (index < 0 || bb < best || (bb == best && bi < index))) {
        second = best < bs ? best : bs;                   // the other's best is now a candidate for second
        best = bb; index = bi;
    } else {
        second = bb < second ? bb : second;
    }
}

// result: ((int*)result)[0] = index (row-major in the window), result[1] = best, result[2] = second best distance,
// where a pixel's distance is sqrtf((float) sum_c (double(feat[c, y, x]) - double(f0[c]))^2), the squared sum in
// double with explicitly rounded operations in channel order (RefBasics.windowDistances' arithmetic, then its
// rounding to float32). feat [C, H, W] and f0 [C] contiguous. ONE block of 256 threads (tracker windows hold a few
// thousand pixels at most); the launch bound says one block per SM, so ptxas may use the registers it needs.
#define WINDOW_NEAREST(sfx, T)                                                                               \
    extern "C" __global__ void __launch_bounds__(256, 1) window_nearest_##sfx(                                  \
        const T* feat, const T* f0, float* result, int C, int H, int W, int y0, int x0, int wh, int ww) {    \
        __shared__ float sBest[256], sSecond[256];                                                           \
        __shared__ int sIndex[256];                                                                          \
        const float inf = __uint_as_float(0x7f800000u);                                                      \
        int t = threadIdx.x, n = wh * ww;                                                                    \
        float best = inf, second = inf;                                                                      \
        int index = -1;                                                                                      \
        for (int i = t; i < n; i += blockDim.x) {                                                            \
            int y = y0 + i / ww, x = x0 + i % ww;                                                            \
            double s = 0.0;                                                                                  \
            for (int c = 0; c < C; c++) {                                                                    \
                double d = (double)feat[((long long)c * H + y) * W + x] - (double)f0[c];                     \
                s = TR_DADD(s, TR_DMUL(d, d));                                                               \
            }                                                                                                \
            float dist = sqrtf((float)s);                                                                    \
            if (i == 0) { best = dist; index = 0; }                                                          \
            else nearest_step(best, index, second, dist, i);                                                 \
        }                                                                                                    \
        sBest[t] = best; sIndex[t] = index; sSecond[t] = second;                                             \
        __syncthreads();                                                                                     \
        for (int k = blockDim.x / 2; k > 0; k >>= 1) {                                                       \
            if (t < k) {                                                                                     \
                float b = sBest[t], s2 = sSecond[t];                                                         \
                int bi = sIndex[t];                                                                          \
                nearest_merge(b, bi, s2, sBest[t + k], sIndex[t + k], sSecond[t + k]);                       \
                sBest[t] = b; sIndex[t] = bi; sSecond[t] = s2;                                               \
            }                                                                                                \
            __syncthreads();                                                                                 \
        }                                                                                                    \
        if (t == 0) {                                                                                        \
            ((int*)result)[0] = sIndex[0];                                                                   \
            result[1] = sBest[0];                                                                            \
            result[2] = sSecond[0];                                                                          \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(window_nearest_##sfx)
FOR_DTYPES(WINDOW_NEAREST)
