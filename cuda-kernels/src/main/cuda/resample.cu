// resample.cu — bilinear feature sampling, PyTorch semantics (Java reference RefResample):
//   resize_bilinear    = F.interpolate(x, size, mode='bilinear', align_corners)            (no antialias)
//   grid_sample        = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners)
// and their gradients. Source coordinates and interpolation weights are computed in double for both element
// types (as the reference does; float coordinates drift by ~1e-6 px at 64 px, which shows in the values), the
// weighted sums in the element type.
// Accumulation is DETERMINISTIC everywhere (no atomics):
//   - resize backward gathers: each input pixel sums, in a fixed order, the outputs whose 2x2 stencil touches it
//     (found by inverting the monotone source-index map, then re-checked with the forward's own index code);
//   - grid_sample's input gradient runs one thread per (n, c) plane over the sample points in row-major order;
//   - grid_sample's grid gradient runs one thread per sample point over the channels in order.
// So repeated runs give bit-identical results (tested). x, grid, gout contiguous; outputs contiguous.
#include "common.cuh"

// Source coordinate of output index o along an axis (PyTorch area_pixel_compute_source_index, linear mode).
__device__ __forceinline__ double resize_src(int o, int in, int out, bool align) {
    if (align) {
        double scale = out > 1 ? double(in - 1) / double(out - 1) : 0.0;
        return scale * double(o);
    }
    double scale = double(in) / double(out);
    double s = scale * (double(o) + 0.5) - 0.5;
    return s < 0.0 ? 0.0 : s;
}

// The 2-tap stencil of output index o: input indices i0 <= i1 and weights l0 + l1 = 1.
template <typename T> __device__ __forceinline__ void resize_taps(int o, int in, int out, bool align, int& i0, int& i1,
                                                                  T& l0, T& l1) {
    double s = resize_src(o, in, out, align);
    i0 = (int)s;
    i1 = i0 + (i0 < in - 1 ? 1 : 0);
    double frac = s - double(i0);
    l1 = T(frac);
    l0 = T(1.0 - frac);
}

// x [planes, H, W] -> out [planes, outH, outW]
#define RESIZE(sfx, T)                                                                                        \
    extern "C" __global__ void __launch_bounds__(256) resize_bilinear_##sfx(                                  \
        const T* x, T* out, int planes, int H, int W, int outH, int outW, int align) {                        \
        int n = planes * outH * outW;                                                                         \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {             \
            int ox = i % outW, oy = (i / outW) % outH, p = i / (outW * outH);                                  \
            int h0, h1, w0, w1;                                                                               \
            T lh0, lh1, lw0, lw1;                                                                             \
            resize_taps<T>(oy, H, outH, align, h0, h1, lh0, lh1);                                             \
            resize_taps<T>(ox, W, outW, align, w0, w1, lw0, lw1);                                             \
            const T* pl = x + (long long)p * H * W;                                                           \
            out[i] = lh0 * (lw0 * pl[h0 * W + w0] + lw1 * pl[h0 * W + w1])                                    \
                   + lh1 * (lw0 * pl[h1 * W + w0] + lw1 * pl[h1 * W + w1]);                                   \
        }                                                                                                     \
    }                                                                                                         \
    EMU_REGISTER(resize_bilinear_##sfx)
FOR_DTYPES(RESIZE)

// Range [lo, hi] of output indices whose stencil may touch input index i (a superset; callers re-check).
__device__ __forceinline__ void resize_touching(int i, int in, int out, bool align, int& lo, int& hi) {
    // the stencil of o touches i iff src(o) lies in [i - 1, i + 1); src is monotone in o
    double scale = align ? (out > 1 ? double(in - 1) / double(out - 1) : 0.0) : double(in) / double(out);
    if (scale <= 0.0) { lo = 0; hi = out - 1; return; }
    double a = align ? double(i - 1) / scale : (double(i - 1) + 0.5) / scale - 0.5;
    double b = align ? double(i + 1) / scale : (double(i + 1) + 0.5) / scale - 0.5;
    lo = imax(0, (int)floor(a) - 1);
    hi = imin(out - 1, (int)floor(b) + 1);
}

// gout [planes, outH, outW] -> dx [planes, H, W] (gather, deterministic)
#define RESIZE_BACKWARD(sfx, T)                                                                               \
    extern "C" __global__ void __launch_bounds__(256) resize_bilinear_backward_##sfx(                         \
        const T* gout, T* dx, int planes, int H, int W, int outH, int outW, int align) {                      \
        int n = planes * H * W;                                                                               \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {             \
            int x = i % W, y = (i / W) % H, p = i / (W * H);                                                   \
            int ylo, yhi, xlo, xhi;                                                                           \
            resize_touching(y, H, outH, align, ylo, yhi);                                                  \
            resize_touching(x, W, outW, align, xlo, xhi);                                                  \
            const T* g = gout + (long long)p * outH * outW;                                                   \
            T s = T(0);                                                                                       \
            for (int oy = ylo; oy <= yhi; oy++) {                                                             \
                int h0, h1;                                                                                   \
                T lh0, lh1;                                                                                   \
                resize_taps<T>(oy, H, outH, align, h0, h1, lh0, lh1);                                         \
                T wy = (h0 == y ? lh0 : T(0)) + (h1 == y ? lh1 : T(0));                                       \
                if (h0 != y && h1 != y) continue;                                                             \
                T row = T(0);                                                                                 \
                for (int ox = xlo; ox <= xhi; ox++) {                                                         \
                    int w0, w1;                                                                               \
                    T lw0, lw1;                                                                               \
                    resize_taps<T>(ox, W, outW, align, w0, w1, lw0, lw1);                                     \
                    if (w0 != x && w1 != x) continue;                                                         \
                    T wx = (w0 == x ? lw0 : T(0)) + (w1 == x ? lw1 : T(0));                                   \
                    row += wx * g[oy * outW + ox];                                                            \
                }                                                                                             \
                s += wy * row;                                                                                \
            }                                                                                                 \
            dx[i] = s;                                                                                        \
        }                                                                                                     \
    }                                                                                                         \
    EMU_REGISTER(resize_bilinear_backward_##sfx)
FOR_DTYPES(RESIZE_BACKWARD)

// The bilinear stencil of one grid point (PyTorch grid_sampler_2d, zeros padding), coordinates in double.
template <typename T> struct GridTap {
    double ix, iy;         // source coordinates in pixels
    int x0, y0;            // north-west corner; the others are +1
    double fx, fy;         // x0, y0 as doubles
    T nw, ne, sw, se;      // weights
    __device__ GridTap(T gx, T gy, int H, int W, bool align) {
        double x = double(gx), y = double(gy);
        ix = align ? (x + 1.0) / 2.0 * double(W - 1) : ((x + 1.0) * double(W) - 1.0) / 2.0;
        iy = align ? (y + 1.0) / 2.0 * double(H - 1) : ((y + 1.0) * double(H) - 1.0) / 2.0;
        fx = floor(ix); fy = floor(iy);
        x0 = (int)fx; y0 = (int)fy;
        nw = T((fx + 1.0 - ix) * (fy + 1.0 - iy));
        ne = T((ix - fx) * (fy + 1.0 - iy));
        sw = T((fx + 1.0 - ix) * (iy - fy));
        se = T((ix - fx) * (iy - fy));
    }
};

__device__ __forceinline__ bool inside(int y, int x, int H, int W) { return y >= 0 && y < H && x >= 0 && x < W; }

// x [N, C, H, W], grid [N, Ho, Wo, 2] (x then y, in [-1, 1]) -> out [N, C, Ho, Wo]. One thread per grid point.
#define GRID_SAMPLE(sfx, T)                                                                                   \
    extern "C" __global__ void __launch_bounds__(256) grid_sample_##sfx(                                      \
        const T* x, const T* grid, T* out, int N, int C, int H, int W, int Ho, int Wo, int align) {           \
        int n = N * Ho * Wo;                                                                                  \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {             \
            int b = i / (Ho * Wo), q = i % (Ho * Wo);                                                          \
            GridTap<T> t(grid[2LL * i], grid[2LL * i + 1], H, W, align);                                      \
            bool inw = inside(t.y0, t.x0, H, W), ine = inside(t.y0, t.x0 + 1, H, W);                          \
            bool isw = inside(t.y0 + 1, t.x0, H, W), ise = inside(t.y0 + 1, t.x0 + 1, H, W);                  \
            for (int c = 0; c < C; c++) {                                                                     \
                const T* pl = x + (long long)(b * C + c) * H * W;                                             \
                T v = T(0);                                                                                   \
                if (inw) v += pl[t.y0 * W + t.x0] * t.nw;                                                     \
                if (ine) v += pl[t.y0 * W + t.x0 + 1] * t.ne;                                                 \
                if (isw) v += pl[(t.y0 + 1) * W + t.x0] * t.sw;                                               \
                if (ise) v += pl[(t.y0 + 1) * W + t.x0 + 1] * t.se;                                           \
                out[(long long)(b * C + c) * Ho * Wo + q] = v;                                                \
            }                                                                                                 \
        }                                                                                                     \
    }                                                                                                         \
    EMU_REGISTER(grid_sample_##sfx)
FOR_DTYPES(GRID_SAMPLE)

// dx [N, C, H, W] (zero-filled by the caller) += scatter of gout through the stencils. One thread per (n, c)
// walks the grid points in row-major order: deterministic, no atomics.
#define GRID_SAMPLE_DX(sfx, T)                                                                                \
    extern "C" __global__ void __launch_bounds__(64) grid_sample_backward_x_##sfx(                            \
        const T* gout, const T* grid, T* dx, int N, int C, int H, int W, int Ho, int Wo, int align) {         \
        for (int pc = blockIdx.x * blockDim.x + threadIdx.x; pc < N * C; pc += blockDim.x * gridDim.x) {      \
            int b = pc / C;                                                                                   \
            T* pl = dx + (long long)pc * H * W;                                                               \
            const T* g = gout + (long long)pc * Ho * Wo;                                                      \
            const T* gr = grid + (long long)b * Ho * Wo * 2;                                                  \
            for (int q = 0; q < Ho * Wo; q++) {                                                               \
                GridTap<T> t(gr[2 * q], gr[2 * q + 1], H, W, align);                                          \
                T go = g[q];                                                                                  \
                if (inside(t.y0, t.x0, H, W)) pl[t.y0 * W + t.x0] += t.nw * go;                               \
                if (inside(t.y0, t.x0 + 1, H, W)) pl[t.y0 * W + t.x0 + 1] += t.ne * go;                       \
                if (inside(t.y0 + 1, t.x0, H, W)) pl[(t.y0 + 1) * W + t.x0] += t.sw * go;                     \
                if (inside(t.y0 + 1, t.x0 + 1, H, W)) pl[(t.y0 + 1) * W + t.x0 + 1] += t.se * go;             \
            }                                                                                                 \
        }                                                                                                     \
    }                                                                                                         \
    EMU_REGISTER(grid_sample_backward_x_##sfx)
FOR_DTYPES(GRID_SAMPLE_DX)

// dgrid [N, Ho, Wo, 2]: one thread per grid point, channels summed in order (PyTorch's formula).
#define GRID_SAMPLE_DGRID(sfx, T)                                                                             \
    extern "C" __global__ void __launch_bounds__(256) grid_sample_backward_grid_##sfx(                        \
        const T* gout, const T* x, const T* grid, T* dgrid, int N, int C, int H, int W, int Ho, int Wo,       \
        int align) {                                                                                          \
        int n = N * Ho * Wo;                                                                                  \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {             \
            int b = i / (Ho * Wo), q = i % (Ho * Wo);                                                          \
            GridTap<T> t(grid[2LL * i], grid[2LL * i + 1], H, W, align);                                      \
            T ay = T(t.fy + 1.0 - t.iy), by = T(t.iy - t.fy), ax = T(t.fx + 1.0 - t.ix), bx = T(t.ix - t.fx); \
            T gix = T(0), giy = T(0);                                                                         \
            for (int c = 0; c < C; c++) {                                                                     \
                const T* pl = x + (long long)(b * C + c) * H * W;                                             \
                T go = gout[(long long)(b * C + c) * Ho * Wo + q];                                            \
                if (inside(t.y0, t.x0, H, W)) {                                                               \
                    T v = pl[t.y0 * W + t.x0];                                                                \
                    gix -= v * ay * go;                                                                       \
                    giy -= v * ax * go;                                                                       \
                }                                                                                             \
                if (inside(t.y0, t.x0 + 1, H, W)) {                                                           \
                    T v = pl[t.y0 * W + t.x0 + 1];                                                            \
                    gix += v * ay * go;                                                                       \
                    giy -= v * bx * go;                                                                       \
                }                                                                                             \
                if (inside(t.y0 + 1, t.x0, H, W)) {                                                           \
                    T v = pl[(t.y0 + 1) * W + t.x0];                                                          \
                    gix -= v * by * go;                                                                       \
                    giy += v * ax * go;                                                                       \
                }                                                                                             \
                if (inside(t.y0 + 1, t.x0 + 1, H, W)) {                                                       \
                    T v = pl[(t.y0 + 1) * W + t.x0 + 1];                                                      \
                    gix += v * by * go;                                                                       \
                    giy += v * bx * go;                                                                       \
                }                                                                                             \
            }                                                                                                 \
            T mx = align ? T(W - 1) / T(2) : T(W) / T(2);                                                     \
            T my = align ? T(H - 1) / T(2) : T(H) / T(2);                                                     \
            dgrid[2LL * i] = gix * mx;                                                                        \
            dgrid[2LL * i + 1] = giy * my;                                                                    \
        }                                                                                                     \
    }                                                                                                         \
    EMU_REGISTER(grid_sample_backward_grid_##sfx)
FOR_DTYPES(GRID_SAMPLE_DGRID)
