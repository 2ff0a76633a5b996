// gemm.cu — matrix products for Backend.matmul (Java reference RefBasics.matmul):
// C[b] = A[b] [M, K] x B[b] [K, N], A and B with any strides (a transposed view costs nothing but coalescing),
// C contiguous [batch, M, N]. Grid: x = ceil(N / 64), y = ceil(M / 64), z = batch. Tile engine: tile_gemm.cuh.
#include "tile_gemm.cuh"

template <typename T>
struct MatmulOp {
    const T* A; const T* B; T* C;
    int M, N, K;
    int sam, sak, sbk, sbn;
    __device__ T a(int m, int k) const { return A[(long long)m * sam + (long long)k * sak]; }
    __device__ T b(int k, int n) const { return B[(long long)k * sbk + (long long)n * sbn]; }
    __device__ void store(int m, int n, T v) const { C[(long long)m * N + n] = v; }
};

template <typename T, bool TF32>
__device__ void matmul_body(const T* A, const T* B, T* C, int M, int N, int K, int sab, int sam, int sak, int sbb,
                            int sbk, int sbn) {
    long long z = blockIdx.z;
    MatmulOp<T> op{A + z * sab, B + z * sbb, C + z * M * N, M, N, K, sam, sak, sbk, sbn};
    int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
    if constexpr (TF32) gemm_tile_tf32(op, m0, n0, 0, K);
    else gemm_tile_simt<T>(op, m0, n0, 0, K);
}

#define MATMUL(sfx, T, TF32)                                                                                   \
    extern "C" __global__ void __launch_bounds__(TILE_THREADS) matmul_##sfx(                                   \
        const T* A, const T* B, T* C, int M, int N, int K, int sab, int sam, int sak, int sbb, int sbk, int sbn) { \
        matmul_body<T, TF32>(A, B, C, M, N, K, sab, sam, sak, sbb, sbk, sbn);                                  \
    }                                                                                                          \
    EMU_REGISTER(matmul_##sfx)
MATMUL(f32, float, false)
MATMUL(f64, double, false)
MATMUL(tf32, float, true)
