// emu_runtime.cpp — the fiber scheduler behind cuda_emu.h, and the C entry points the Java test driver calls
// through FFM: emu_launch (mirrors cuLaunchKernel's arguments), emu_last_error, emu_has_kernel.
#include "cuda_emu.h"
#include <ucontext.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace emu {
Idx block_idx, block_dim, grid_dim;

namespace {
enum State { RUNNABLE, WAIT_BLOCK, WAIT_WARP, DONE };
struct Fiber {
    ucontext_t ctx;
    char* stack = nullptr;
    Idx tid;
    int linear = 0;
    State state = DONE;
};
constexpr size_t STACK_BYTES = 256 * 1024;
struct Kernel { void (*invoke)(void*, void**); void* fn; };

std::map<std::string, Kernel>& kernels() { static std::map<std::string, Kernel> k; return k; }
std::vector<Fiber> fibers;
ucontext_t scheduler;
Fiber* current = nullptr;
Kernel running;
void** running_params = nullptr;
std::vector<uint64_t> exchange;          // [warps * 32] shuffle slots
std::vector<uint32_t> mma_a, mma_b;      // [warps * 32 * 4], [warps * 32 * 2]
std::string last_error;

void park(State s) {
    current->state = s;
    swapcontext(&current->ctx, &scheduler);
}

void fiber_main() {
    running.invoke(running.fn, running_params);
    current->state = DONE;
}   // returns to uc_link = scheduler

// Runs one block to completion; false on a barrier deadlock (a kernel bug: divergent __syncthreads or shuffle).
bool run_block(int nthreads) {
    for (int t = 0; t < nthreads; t++) {
        Fiber& f = fibers[t];
        if (!f.stack) f.stack = static_cast<char*>(std::malloc(STACK_BYTES));
        f.linear = t;
        f.tid = Idx{(unsigned)(t % block_dim.x), (unsigned)((t / block_dim.x) % block_dim.y),
                    (unsigned)(t / (block_dim.x * block_dim.y))};
        f.state = RUNNABLE;
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack;
        f.ctx.uc_stack.ss_size = STACK_BYTES;
        f.ctx.uc_link = &scheduler;
        makecontext(&f.ctx, fiber_main, 0);
    }
    int warps = (nthreads + 31) / 32;
    for (;;) {
        for (int t = 0; t < nthreads; t++) {
            if (fibers[t].state != RUNNABLE) continue;
            current = &fibers[t];
            swapcontext(&scheduler, &current->ctx);
        }
        bool all_done = true, any_block_wait = false, block_ready = true, released = false;
        for (int t = 0; t < nthreads; t++) {
            State s = fibers[t].state;
            if (s != DONE) all_done = false;
            if (s == WAIT_BLOCK) any_block_wait = true;
            if (s == WAIT_WARP) block_ready = false;
        }
        if (all_done) return true;
        for (int w = 0; w < warps; w++) {
            bool any = false, ready = true;
            for (int t = w * 32; t < nthreads && t < w * 32 + 32; t++) {
                if (fibers[t].state == WAIT_WARP) any = true;
                else if (fibers[t].state != DONE) ready = false;
            }
            if (any && ready) {
                for (int t = w * 32; t < nthreads && t < w * 32 + 32; t++)
                    if (fibers[t].state == WAIT_WARP) fibers[t].state = RUNNABLE;
                released = true;
            }
        }
        if (!released && any_block_wait && block_ready) {
            for (int t = 0; t < nthreads; t++)
                if (fibers[t].state == WAIT_BLOCK) fibers[t].state = RUNNABLE;
            released = true;
        }
        if (!released) return false;
    }
}
}  // namespace

const Idx& thread_idx() { return current->tid; }
int lane_id() { return current->linear & 31; }
void syncthreads() { park(WAIT_BLOCK); }
void syncwarp() { park(WAIT_WARP); }

uint64_t shfl(uint64_t bits, int src_lane) {
    int w = current->linear / 32;
    exchange[w * 32 + (current->linear & 31)] = bits;
    park(WAIT_WARP);
    uint64_t r = exchange[w * 32 + (src_lane & 31)];
    park(WAIT_WARP);
    return r;
}

// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 with the PTX ISA fragment layout:
// g = lane / 4, t = lane % 4; A (16x8): a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4);
// B (8x8): b0 (t, g), b1 (t+4, g); C/D (16x8): d[q] at row g + 8*(q/2), column 2t + q%2.
void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    int w = current->linear / 32, lane = current->linear & 31;
    for (int i = 0; i < 4; i++) mma_a[(w * 32 + lane) * 4 + i] = a[i];
    for (int i = 0; i < 2; i++) mma_b[(w * 32 + lane) * 2 + i] = b[i];
    park(WAIT_WARP);
    float A[16][8], B[8][8];
    for (int l = 0; l < 32; l++) {
        int g = l >> 2, t = l & 3;
        const uint32_t* al = &mma_a[(w * 32 + l) * 4];
        const uint32_t* bl = &mma_b[(w * 32 + l) * 2];
        A[g][t] = __uint_as_float(al[0]);
        A[g + 8][t] = __uint_as_float(al[1]);
        A[g][t + 4] = __uint_as_float(al[2]);
        A[g + 8][t + 4] = __uint_as_float(al[3]);
        B[t][g] = __uint_as_float(bl[0]);
        B[t + 4][g] = __uint_as_float(bl[1]);
    }
    int g = lane >> 2, t = lane & 3;
    for (int q = 0; q < 4; q++) {
        int row = g + 8 * (q >> 1), col = 2 * t + (q & 1);
        float s = d[q];
        for (int k = 0; k < 8; k++) s += A[row][k] * B[k][col];
        d[q] = s;
    }
    park(WAIT_WARP);
}

void register_kernel(const char* name, void (*invoke)(void*, void**), void* fn) { kernels()[name] = Kernel{invoke, fn}; }
}  // namespace emu

extern "C" {
// "Device" memory for the emulator: the buffer ends exactly where a PROT_NONE page begins (and one guards the start),
// so a kernel that reads or writes past either end faults at once instead of corrupting the Java heap.
void* emu_alloc(long bytes) {
    long page = sysconf(_SC_PAGESIZE);
    long body = (bytes + page - 1) / page * page;
    char* base = static_cast<char*>(mmap(nullptr, body + 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base == MAP_FAILED) return nullptr;
    mprotect(base, page, PROT_NONE);
    mprotect(base + page + body, page, PROT_NONE);
    return base + page + (body - bytes);
}

void emu_free(void* p, long bytes) {
    long page = sysconf(_SC_PAGESIZE);
    long body = (bytes + page - 1) / page * page;
    char* start = static_cast<char*>(p) - (body - bytes) - page;
    munmap(start, body + 2 * page);
}

int emu_has_kernel(const char* name) { return emu::kernels().count(name) ? 1 : 0; }

const char* emu_last_error() { return emu::last_error.c_str(); }

// Same arguments as cuLaunchKernel. Returns 0, or -1 with emu_last_error() set.
int emu_launch(const char* name, int gx, int gy, int gz, int bx, int by, int bz, int shared_bytes, void** params) {
    using namespace emu;
    (void)shared_bytes;
    auto it = kernels().find(name);
    if (it == kernels().end()) { last_error = std::string("no kernel named ") + name; return -1; }
    int nthreads = bx * by * bz;
    if (nthreads < 1 || nthreads > 1024 || gx < 1 || gy < 1 || gz < 1) {
        last_error = std::string(name) + ": invalid launch configuration";
        return -1;
    }
    if ((int)fibers.size() < nthreads) fibers.resize(1024);
    int warps = (nthreads + 31) / 32;
    exchange.assign(warps * 32, 0);
    mma_a.assign(warps * 32 * 4, 0);
    mma_b.assign(warps * 32 * 2, 0);
    running = it->second;
    running_params = params;
    grid_dim = Idx{(unsigned)gx, (unsigned)gy, (unsigned)gz};
    block_dim = Idx{(unsigned)bx, (unsigned)by, (unsigned)bz};
    for (int z = 0; z < gz; z++)
        for (int y = 0; y < gy; y++)
            for (int x = 0; x < gx; x++) {
                block_idx = Idx{(unsigned)x, (unsigned)y, (unsigned)z};
                if (!run_block(nthreads)) {
                    last_error = std::string(name) + ": barrier deadlock in block (" + std::to_string(x) + ", "
                            + std::to_string(y) + ", " + std::to_string(z) + "): threads wait at different barriers";
                    return -1;
                }
            }
    return 0;
}
}
