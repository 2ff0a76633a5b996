// elementwise.cu — data movement and elementwise math over strided views.
// Java references: RefBasics.copy / convert / copyInto / fill / indexSelect / indexAdd / unary / binary / affine /
// clamp / addInPlace. Every kernel reads its inputs through a View (any strides, broadcast stride 0) and, unless
// named otherwise, writes a contiguous output in row-major order of the logical shape.
#include "common.cuh"

// Must match the ordinals of io.github.dragganjvm.tensor.UnaryOp and io.github.dragganjvm.tensor.BinaryOp.
enum UnaryCode { U_NEG, U_ABS, U_SIGN, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SQUARE, U_RECIPROCAL, U_SOFTPLUS, U_SIGMOID };
enum BinaryCode { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_GT };

#define GRID_STRIDE(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)

template <typename T> __device__ __forceinline__ T apply_unary(int op, T x) {
    switch (op) {
        case U_NEG: return -x;
        case U_ABS: return m_abs(x);
        case U_SIGN: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : x);   // Math.signum: keeps 0, -0 and NaN
        case U_EXP: return m_exp(x);
        case U_LOG: return m_log(x);
        case U_SQRT: return m_sqrt(x);
        case U_RSQRT: return T(1) / m_sqrt(x);
        case U_SQUARE: return x * x;
        case U_RECIPROCAL: return T(1) / x;
        case U_SOFTPLUS: return x > T(20) ? x : m_log1p(m_exp(x));   // torch softplus, threshold 20
        default: return T(1) / (T(1) + m_exp(-x));                   // U_SIGMOID
    }
}

template <typename T> __device__ __forceinline__ T apply_binary(int op, T a, T b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_MAX: return java_max(a, b);
        case B_MIN: return java_min(a, b);
        default: return a > b ? T(1) : T(0);   // B_GT
    }
}

// out[i] = op(x[i])
#define UNARY(sfx, T)                                                                                          \
    extern "C" __global__ void __launch_bounds__(256) unary_##sfx(View xv, const T* x, T* out, int n, int op) { \
        GRID_STRIDE(i, n) out[i] = apply_unary<T>(op, x[view_index(xv, i)]);                                   \
    }                                                                                                          \
    EMU_REGISTER(unary_##sfx)
FOR_DTYPES(UNARY)

// out[i] = op(a[i], b[i]); a and b arrive already expanded to the output shape (stride 0 where broadcast).
#define BINARY(sfx, T)                                                                                   \
    extern "C" __global__ void __launch_bounds__(256)                                                    \
    binary_##sfx(View av, const T* a, View bv, const T* b, T* out, int n, int op) {                      \
        GRID_STRIDE(i, n) out[i] = apply_binary<T>(op, a[view_index(av, i)], b[view_index(bv, i)]);      \
    }                                                                                                    \
    EMU_REGISTER(binary_##sfx)
FOR_DTYPES(BINARY)

// out[i] = x[i] * scale + shift
#define AFFINE(sfx, T)                                                                                         \
    extern "C" __global__ void __launch_bounds__(256) affine_##sfx(View xv, const T* x, T* out, int n, T scale, \
                                                                   T shift) {                                 \
        GRID_STRIDE(i, n) out[i] = x[view_index(xv, i)] * scale + shift;                                      \
    }                                                                                                          \
    EMU_REGISTER(affine_##sfx)
FOR_DTYPES(AFFINE)

// out[i] = min(max(x[i], lo), hi)
#define CLAMP(sfx, T)                                                                                              \
    extern "C" __global__ void __launch_bounds__(256) clamp_##sfx(View xv, const T* x, T* out, int n, T lo, T hi) { \
        GRID_STRIDE(i, n) out[i] = clamp_to<T>(x[view_index(xv, i)], lo, hi);                                    \
    }                                                                                                              \
    EMU_REGISTER(clamp_##sfx)
FOR_DTYPES(CLAMP)

// d[view i] = v (in place, any view)
#define FILL(sfx, T)                                                                                 \
    extern "C" __global__ void __launch_bounds__(256) fill_##sfx(View dv, T* d, int n, T v) {        \
        GRID_STRIDE(i, n) d[view_index(dv, i)] = v;                                                  \
    }                                                                                                \
    EMU_REGISTER(fill_##sfx)
FOR_DTYPES(FILL)

// d[view i] = s[view i]: the strided copy behind copy (d contiguous), copyInto (both any views) and
// toHost of a non-contiguous view. Source and destination must not overlap (the Java side copies through a
// temporary when they share storage).
#define COPY(sfx, T)                                                                                         \
    extern "C" __global__ void __launch_bounds__(256) copy_##sfx(View sv, const T* s, View dv, T* d, int n) { \
        GRID_STRIDE(i, n) d[view_index(dv, i)] = s[view_index(sv, i)];                                       \
    }                                                                                                        \
    EMU_REGISTER(copy_##sfx)
FOR_DTYPES(COPY)

// Contiguous copy with dtype conversion (round to nearest when narrowing, as Java's (float) cast).
extern "C" __global__ void __launch_bounds__(256) convert_f32_f64(View sv, const float* s, double* d, int n) {
    GRID_STRIDE(i, n) d[i] = (double)s[view_index(sv, i)];
}
EMU_REGISTER(convert_f32_f64)
extern "C" __global__ void __launch_bounds__(256) convert_f64_f32(View sv, const double* s, float* d, int n) {
    GRID_STRIDE(i, n) d[i] = (float)s[view_index(sv, i)];
}
EMU_REGISTER(convert_f64_f32)

// acc[i] += x[i]; acc contiguous.
#define ADD_INPLACE(sfx, T)                                                                                    \
    extern "C" __global__ void __launch_bounds__(256) add_inplace_##sfx(T* acc, View xv, const T* x, int n) {  \
        GRID_STRIDE(i, n) acc[i] += x[view_index(xv, i)];                                                      \
    }                                                                                                          \
    EMU_REGISTER(add_inplace_##sfx)
FOR_DTYPES(ADD_INPLACE)

// x contiguous seen as [outer, dimIn, inner]; out [outer, k, inner]: out[o, j, r] = x[o, idx[j], r].
#define INDEX_SELECT(sfx, T)                                                                                 \
    extern "C" __global__ void __launch_bounds__(256) index_select_##sfx(                                    \
        const T* x, T* out, const int* idx, int outer, int dimIn, int k, int inner) {                        \
        int n = outer * k * inner;                                                                           \
        GRID_STRIDE(i, n) {                                                                                  \
            int r = i % inner, j = (i / inner) % k, o = i / (inner * k);                                     \
            out[i] = x[((long long)o * dimIn + idx[j]) * inner + r];                                         \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(index_select_##sfx)
FOR_DTYPES(INDEX_SELECT)

// dst contiguous [outer, dimDst, inner] += src contiguous [outer, k, inner] at rows idx: deterministic, one
// thread per (o, r) walks j in order, so repeated indices add in the same order as the reference loop.
#define INDEX_ADD(sfx, T)                                                                                    \
    extern "C" __global__ void __launch_bounds__(256) index_add_##sfx(                                       \
        T* dst, const T* src, const int* idx, int outer, int dimDst, int k, int inner) {                     \
        int n = outer * inner;                                                                               \
        GRID_STRIDE(i, n) {                                                                                  \
            int r = i % inner, o = i / inner;                                                                \
            for (int j = 0; j < k; j++)                                                                      \
                dst[((long long)o * dimDst + idx[j]) * inner + r] += src[((long long)o * k + j) * inner + r]; \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(index_add_##sfx)
FOR_DTYPES(INDEX_ADD)

// StyleGAN2's noise injection: x [N, C, H, W] contiguous, noise [N or 1, 1, H, W] contiguous:
// out[n, c, y, x] = x[n, c, y, x] + noise[n or 0, 0, y, x] * strength. noiseBatchStride is H*W, or 0 when one
// noise map is shared by the batch. Reference: binary ADD of x and binary MUL(noise, strength).
#define NOISE_ADD(sfx, T)                                                                                     \
    extern "C" __global__ void __launch_bounds__(256) noise_add_##sfx(                                        \
        const T* x, const T* noise, T* out, int n, int channels, int hw, int noiseBatchStride, T strength) {  \
        GRID_STRIDE(i, n) {                                                                                   \
            int p = i % hw, b = i / (hw * channels);                                                          \
            out[i] = x[i] + noise[b * noiseBatchStride + p] * strength;                                       \
        }                                                                                                     \
    }                                                                                                         \
    EMU_REGISTER(noise_add_##sfx)
FOR_DTYPES(NOISE_ADD)
