// cuda_emu.h — lets the project's CUDA C kernels compile as plain C++ and run on the CPU, for tests on machines
// without a GPU. Force-included (g++ -include cuda_emu.h -DDRAGGAN_EMU) before every .cu file; never used by nvcc.
//
// The execution model is emulated faithfully enough to check index math, tiling and synchronisation:
//  - a launch runs its blocks one after another; the threads of a block are fibers (ucontext) on one OS thread;
//  - __syncthreads() parks a fiber until every live thread of the block arrived; warp shuffles and the tensor-core
//    mma park until every live lane of the warp arrived, then exchange values exactly as the PTX ISA describes;
//  - __shared__ variables become function statics: one block runs at a time, so that is one copy per block;
//  - atomicAdd is a plain add (fibers switch only at barriers, so nothing interleaves).
// What it cannot show: timing, races that only a real GPU's scheduling exposes, and hardware rounding of the
// tensor cores (the emulated mma multiplies the TF32-rounded inputs exactly and accumulates in float).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __shared__ static
#define __launch_bounds__(...)

using std::signbit;

namespace emu {
struct Idx { unsigned x, y, z; };
const Idx& thread_idx();
extern Idx block_idx, block_dim, grid_dim;
void syncthreads();
void syncwarp();
uint64_t shfl(uint64_t bits, int src_lane);   // every live lane of the warp must call it
int lane_id();
void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
void register_kernel(const char* name, void (*invoke)(void* fn, void** params), void* fn);

template <typename... A, std::size_t... I>
void call_with(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(p[I])...);
}
template <typename... A>
void invoke_as(void* fn, void** p) { call_with(reinterpret_cast<void (*)(A...)>(fn), p, std::index_sequence_for<A...>{}); }
template <typename... A>
bool reg(const char* name, void (*f)(A...)) { register_kernel(name, &invoke_as<A...>, reinterpret_cast<void*>(f)); return true; }
}  // namespace emu

#define threadIdx (emu::thread_idx())
#define blockIdx (emu::block_idx)
#define blockDim (emu::block_dim)
#define gridDim (emu::grid_dim)
#define __syncthreads() emu::syncthreads()
#define __syncwarp(...) emu::syncwarp()
#define EMU_REGISTER(k) static bool emu_registered_##k = emu::reg(#k, &k);

template <typename T> inline uint64_t emu_bits(T v) { uint64_t b = 0; std::memcpy(&b, &v, sizeof(T)); return b; }
template <typename T> inline T emu_from_bits(uint64_t b) { T v; std::memcpy(&v, &b, sizeof(T)); return v; }
template <typename T> inline T __shfl_sync(unsigned, T v, int src, int width = 32) {
    int l = emu::lane_id();
    return emu_from_bits<T>(emu::shfl(emu_bits(v), (l & ~(width - 1)) + (src & (width - 1))));
}
template <typename T> inline T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
    int l = emu::lane_id(), seg = l & (width - 1);
    return emu_from_bits<T>(emu::shfl(emu_bits(v), seg + (int)delta < width ? l + (int)delta : l));
}
template <typename T> inline T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
    int l = emu::lane_id();
    return emu_from_bits<T>(emu::shfl(emu_bits(v), l ^ mask));
}
inline float atomicAdd(float* p, float v) { float o = *p; *p = o + v; return o; }
inline double atomicAdd(double* p, double v) { double o = *p; *p = o + v; return o; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
