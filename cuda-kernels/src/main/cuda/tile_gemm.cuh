// tile_gemm.cuh — the block-tile engine behind every GEMM-shaped kernel (matmul, implicit-GEMM convolutions,
// modulated convolutions, weight gradients).
//
// One thread block of 256 threads computes a 64 x 64 tile of C[M, N] = sum_k A[m, k] * B[k, n] over a range of k.
// The operands are never materialised: an Op object supplies them element by element,
//     T a(int m, int k) const      // A[m, k], called with m < M and k < K
//     T b(int k, int n) const      // B[k, n], called with k < K and n < N
//     void store(int m, int n, T v) const   // the epilogue, called once per output with m < M, n < N
// so a convolution's im2col, a transposed view's strides or a style modulation live in the Op and cost one
// multiply per loaded element. Each 16-deep slice of A and B is staged through shared memory; the next slice's
// global loads are issued before the current slice is multiplied, so memory latency overlaps the math.
//
// Two inner engines:
//  - gemm_tile_simt<T>: CUDA cores, float or double; thread (tx, ty) owns the 4 x 4 outputs
//    (ty + 16 r, tx + 16 c), r, c in 0..3, so shared-memory reads are broadcast (A) or consecutive (B).
//  - gemm_tile_tf32: tensor cores (sm_80+), float in, TF32 products, float accumulation. Operands are rounded
//    to TF32 when staged; 8 warps in a 2 x 4 grid each own a 32 x 16 sub-tile = 2 x 2 mma.m16n8k8 tiles.
//    Fragment layout (PTX ISA, g = lane / 4, t = lane % 4): A a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4);
//    B b0 (t, g), b1 (t+4, g); C c[q] at (g + 8 (q / 2), 2 t + q % 2).
// Both accumulate in k order within a thread, so a result does not depend on the launch (deterministic).
#pragma once
#include "common.cuh"

#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define TILE_THREADS 256
#define TILE_PAD 8   // row padding of the shared tiles: conflict-free TF32 fragment loads

// Stages the next slice of A (64 x 16) and B (16 x 64) into registers: 4 elements of each per thread.
// A map: element e = tid + 256 q -> (m = e / 16, k = e % 16), so consecutive threads read consecutive k;
// B map: e -> (k = e / 64, n = e % 64), consecutive threads read consecutive n.
template <typename T, class Op>
__device__ __forceinline__ void tile_load(const Op& op, int m0, int n0, int k0, int kEnd, T (&ra)[4], T (&rb)[4]) {
    const int tid = threadIdx.x;
#pragma unroll
    for (int q = 0; q < 4; q++) {
        int e = tid + TILE_THREADS * q;
        int m = m0 + e / TILE_K, k = k0 + e % TILE_K;
        ra[q] = (m < op.M && k < kEnd) ? op.a(m, k) : T(0);
        int k2 = k0 + e / TILE_N, n = n0 + e % TILE_N;
        rb[q] = (n < op.N && k2 < kEnd) ? op.b(k2, n) : T(0);
    }
}

template <typename T>
__device__ __forceinline__ void tile_stage(T (*As)[TILE_M + TILE_PAD], T (*Bs)[TILE_N + TILE_PAD], const T (&ra)[4],
                                           const T (&rb)[4]) {
    const int tid = threadIdx.x;
#pragma unroll
    for (int q = 0; q < 4; q++) {
        int e = tid + TILE_THREADS * q;
        As[e % TILE_K][e / TILE_K] = ra[q];
        Bs[e / TILE_N][e % TILE_N] = rb[q];
    }
}

// C tile at (m0, n0) over k in [kBegin, kEnd), CUDA cores.
template <typename T, class Op>
__device__ void gemm_tile_simt(const Op& op, int m0, int n0, int kBegin, int kEnd) {
    __shared__ T As[TILE_K][TILE_M + TILE_PAD];
    __shared__ T Bs[TILE_K][TILE_N + TILE_PAD];
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    T acc[4][4];
#pragma unroll
    for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) acc[r][c] = T(0);
    T ra[4], rb[4];
    if (kBegin < kEnd) tile_load<T>(op, m0, n0, kBegin, kEnd, ra, rb);
    for (int k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
        __syncthreads();   // everyone finished reading the previous slice
        tile_stage<T>(As, Bs, ra, rb);
        __syncthreads();
        if (k0 + TILE_K < kEnd) tile_load<T>(op, m0, n0, k0 + TILE_K, kEnd, ra, rb);
#pragma unroll
        for (int kk = 0; kk < TILE_K; kk++) {
            T av[4], bv[4];
#pragma unroll
            for (int r = 0; r < 4; r++) av[r] = As[kk][ty + 16 * r];
#pragma unroll
            for (int c = 0; c < 4; c++) bv[c] = Bs[kk][tx + 16 * c];
#pragma unroll
            for (int r = 0; r < 4; r++)
#pragma unroll
                for (int c = 0; c < 4; c++) acc[r][c] += av[r] * bv[c];
        }
    }
#pragma unroll
    for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) {
            int m = m0 + ty + 16 * r, n = n0 + tx + 16 * c;
            if (m < op.M && n < op.N) op.store(m, n, acc[r][c]);
        }
}

// C tile at (m0, n0) over k in [kBegin, kEnd), tensor cores (float operands rounded to TF32).
template <class Op>
__device__ void gemm_tile_tf32(const Op& op, int m0, int n0, int kBegin, int kEnd) {
    __shared__ float As[TILE_K][TILE_M + TILE_PAD];
    __shared__ float Bs[TILE_K][TILE_N + TILE_PAD];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int g = lane / 4, t = lane % 4;
    const int wm = warp % 2, wn = warp / 2;   // warp sub-tile: rows wm*32 .. +32, columns wn*16 .. +16
    float acc[2][2][4];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++)
#pragma unroll
            for (int q = 0; q < 4; q++) acc[i][j][q] = 0.f;
    float ra[4], rb[4];
    if (kBegin < kEnd) tile_load<float>(op, m0, n0, kBegin, kEnd, ra, rb);
    for (int k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
        __syncthreads();
#pragma unroll
        for (int q = 0; q < 4; q++) {
            ra[q] = __uint_as_float(to_tf32(ra[q]));
            rb[q] = __uint_as_float(to_tf32(rb[q]));
        }
        tile_stage<float>(As, Bs, ra, rb);
        __syncthreads();
        if (k0 + TILE_K < kEnd) tile_load<float>(op, m0, n0, k0 + TILE_K, kEnd, ra, rb);
#pragma unroll
        for (int kk = 0; kk < TILE_K; kk += 8) {
            unsigned af[2][4], bf[2][2];
#pragma unroll
            for (int i = 0; i < 2; i++) {
                int rb0 = wm * 32 + i * 16;
                af[i][0] = __float_as_uint(As[kk + t][rb0 + g]);
                af[i][1] = __float_as_uint(As[kk + t][rb0 + g + 8]);
                af[i][2] = __float_as_uint(As[kk + t + 4][rb0 + g]);
                af[i][3] = __float_as_uint(As[kk + t + 4][rb0 + g + 8]);
            }
#pragma unroll
            for (int j = 0; j < 2; j++) {
                int cb0 = wn * 16 + j * 8;
                bf[j][0] = __float_as_uint(Bs[kk + t][cb0 + g]);
                bf[j][1] = __float_as_uint(Bs[kk + t + 4][cb0 + g]);
            }
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) mma_tf32(acc[i][j], af[i], bf[j]);
        }
    }
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++)
#pragma unroll
            for (int q = 0; q < 4; q++) {
                int m = m0 + wm * 32 + i * 16 + g + 8 * (q / 2);
                int n = n0 + wn * 16 + j * 8 + 2 * t + (q % 2);
                if (m < op.M && n < op.N) op.store(m, n, acc[i][j][q]);
            }
}

// The k range of split s when [0, K) is cut into `splits` pieces that are multiples of TILE_K.
__device__ __forceinline__ void split_range(int K, int splits, int s, int& kBegin, int& kEnd) {
    int tiles = ceil_div(K, TILE_K);
    int per = ceil_div(tiles, splits);
    kBegin = imin(K, s * per * TILE_K);
    kEnd = imin(K, (s + 1) * per * TILE_K);
}
