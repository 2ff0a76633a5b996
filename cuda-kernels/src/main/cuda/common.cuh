// common.cuh — what every kernel family shares: the strided view argument, the dtype instantiation macro,
// typed math helpers and the TF32 tensor-core primitives.
//
// Conventions (all families):
//  - Every kernel exists for float (suffix _f32) and double (suffix _f64), instantiated from one template with
//    FOR_DTYPES; the Java side picks the name from the tensor's dtype. extern "C" keeps the PTX names readable.
//  - Indices are int: a tensor holds fewer than 2^31 elements (the Java side checks).
//  - Elementwise kernels use a grid-stride loop, so any grid size covers any n.
//  - Outputs are contiguous unless a parameter says otherwise; inputs that may be any view come as a View.
#pragma once

#ifndef DRAGGAN_EMU
#define EMU_REGISTER(k)
#endif

// Instantiates X once per element type: X(suffix, type).
#define FOR_DTYPES(X) X(f32, float) X(f64, double)

// A strided view of up to 8 dimensions, passed by value (18 ints; the Java class CudaView builds it, after
// dropping size-1 dimensions and merging dimensions that are contiguous with each other, so a contiguous
// tensor arrives as rank 1 with stride 1).
#define VIEW_MAX_RANK 8
struct View {
    int rank;
    int offset;                  // in elements
    int shape[VIEW_MAX_RANK];
    int stride[VIEW_MAX_RANK];   // in elements; 0 for broadcast dimensions
};

// Storage index of the element with row-major linear index i of the view.
__device__ __forceinline__ int view_index(const View& v, int i) {
    int p = v.offset;
    for (int d = v.rank - 1; d >= 0; --d) {
        int s = v.shape[d];
        int q = i % s;
        i /= s;
        p += q * v.stride[d];
    }
    return p;
}

__device__ __forceinline__ int imin(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int imax(int a, int b) { return a > b ? a : b; }
__device__ __forceinline__ int ceil_div(int a, int b) { return (a + b - 1) / b; }
__device__ __forceinline__ int floor_div(int a, int b) { int q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }
__device__ __forceinline__ int floor_mod(int a, int b) { return a - floor_div(a, b) * b; }

// Typed math: the float versions call the single-precision functions, the double versions the double ones.
__device__ __forceinline__ float m_exp(float x) { return expf(x); }
__device__ __forceinline__ double m_exp(double x) { return exp(x); }
__device__ __forceinline__ float m_log(float x) { return logf(x); }
__device__ __forceinline__ double m_log(double x) { return log(x); }
__device__ __forceinline__ float m_log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double m_log1p(double x) { return log1p(x); }
__device__ __forceinline__ float m_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double m_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float m_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double m_abs(double x) { return fabs(x); }
__device__ __forceinline__ float m_floor(float x) { return floorf(x); }
__device__ __forceinline__ double m_floor(double x) { return floor(x); }

template <typename T> __device__ __forceinline__ bool is_nan(T x) { return x != x; }

// Java's Math.max / Math.min: NaN if either is NaN, and +0.0 > -0.0.
template <typename T> __device__ __forceinline__ T java_max(T a, T b) {
    if (is_nan(a) || is_nan(b)) return a + b;
    return (a > b || (a == b && !signbit(a))) ? a : b;
}
template <typename T> __device__ __forceinline__ T java_min(T a, T b) {
    if (is_nan(a) || is_nan(b)) return a + b;
    return (a < b || (a == b && signbit(a))) ? a : b;
}
// min(max(v, lo), hi) with Java's Math semantics (a NaN v stays NaN).
template <typename T> __device__ __forceinline__ T clamp_to(T v, T lo, T hi) { return java_min(java_max(v, lo), hi); }

// ---------------------------------------------------------------- TF32 tensor cores (sm_80+)

// Rounds a float to TF32 (10 mantissa bits, round to nearest, ties away from zero), kept in a 32-bit register.
__device__ __forceinline__ unsigned to_tf32(float x) {
#ifdef __CUDA_ARCH__
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
#else
    unsigned u = __float_as_uint(x);
    if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;   // finite: round; inf/NaN: as is
    return u;
#endif
}

// d += A(16x8, row) * B(8x8, col) for one warp; fragments in the PTX ISA layout (see tile_gemm.cuh).
__device__ __forceinline__ void mma_tf32(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
#ifdef __CUDA_ARCH__
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
    emu::mma_m16n8k8_tf32(d, a, b);
#endif
}

// ---------------------------------------------------------------- reductions inside a block

template <typename T> __device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;   // complete in lane 0
}

// Sum of v over the whole block (blockDim.x a multiple of 32, every thread calls it), returned to every thread.
// Fixed order (lanes by shuffle tree, then warps in order): the result does not depend on scheduling.
template <typename T> __device__ T block_sum(T v) {
    __shared__ T part[32];
    v = warp_sum(v);
    if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
    __syncthreads();
    T total = T(0);
    for (int i = 0; i < (int)(blockDim.x >> 5); i++) total += part[i];
    __syncthreads();   // part may be reused by the next call
    return total;
}
