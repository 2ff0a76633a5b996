// reduce.cu — sums over any set of dimensions (Backend.sum; Java reference RefBasics.sum).
// The Java side permutes x so the kept dimensions come first and the reduced ones last, and passes the two halves
// as views: element (o, j) of the reduction lives at view_index(kept, o) + view_index(red, j) (red.offset = 0).
// Deterministic: a fixed tree per block, partial sums combined in order.
#include "common.cuh"

// out[o * chunks + ch] = sum of the ch-th of `chunks` equal pieces of row o. One block per (o, ch).
// With chunks = 1 this is the whole sum; with chunks > 1 the Java side runs it again over the partials.
#define SUM_ROWS(sfx, T)                                                                                     \
    extern "C" __global__ void __launch_bounds__(256) sum_rows_##sfx(                                        \
        View kept, View red, const T* x, T* out, int nRed, int chunks) {                                     \
        int o = blockIdx.x / chunks, ch = blockIdx.x % chunks;                                               \
        int per = ceil_div(nRed, chunks);                                                                    \
        int j0 = ch * per, j1 = imin(nRed, j0 + per);                                                        \
        int base = view_index(kept, o);                                                                      \
        T s = T(0);                                                                                          \
        for (int j = j0 + threadIdx.x; j < j1; j += blockDim.x) s += x[base + view_index(red, j)];           \
        s = block_sum(s);                                                                                    \
        if (threadIdx.x == 0) out[blockIdx.x] = s;                                                           \
    }                                                                                                        \
    EMU_REGISTER(sum_rows_##sfx)
FOR_DTYPES(SUM_ROWS)

// Short rows, many outputs: one thread per output, summing its row in order.
#define SUM_SMALL(sfx, T)                                                                                    \
    extern "C" __global__ void __launch_bounds__(256) sum_small_##sfx(                                       \
        View kept, View red, const T* x, T* out, int nOut, int nRed) {                                       \
        for (int o = blockIdx.x * blockDim.x + threadIdx.x; o < nOut; o += blockDim.x * gridDim.x) {         \
            int base = view_index(kept, o);                                                                  \
            T s = T(0);                                                                                      \
            for (int j = 0; j < nRed; j++) s += x[base + view_index(red, j)];                                \
            out[o] = s;                                                                                      \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(sum_small_##sfx)
FOR_DTYPES(SUM_SMALL)
