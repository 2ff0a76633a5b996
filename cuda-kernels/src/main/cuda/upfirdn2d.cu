// upfirdn2d.cu — NVlabs upfirdn2d (Backend.upfirdn2d; Java reference RefResample.upfirdn2d): insert up-1 zeros
// between input samples, pad by (padX0, padX1, padY0, padY1) (negative crops), correlate with the filter flipped
// (a true convolution) unless flipFilter, multiply by gain, keep every down-th sample:
//   out[p, oy, ox] = gain * sum_{fy, fx} F[fy, fx] * X(oy*downY + fy - padY0, ox*downX + fx - padX0)
//   X(u, v) = x[p, u / upY, v / upX] when u, v >= 0 are multiples of up and inside, else 0;
//   F[fy, fx] = flipFilter ? f[fy, fx] : f[fh-1-fy, fw-1-fx].
// Its gradient is itself with up and down swapped, the filter flip toggled and the padding adjusted
// (the autograd rule composes it; see UpFirDn2dBackward in the tests). x contiguous [planes, H, W], f [fh, fw].
// One thread per output element; taps that land on inserted zeros are skipped.
#include "common.cuh"

struct UpFirDnGeom {
    int planes, H, W, outH, outW, fh, fw, upX, upY, downX, downY, padX0, padY0, flip;
};

#define UPFIRDN2D(sfx, T)                                                                                     \
    extern "C" __global__ void __launch_bounds__(256) upfirdn2d_##sfx(                                        \
        UpFirDnGeom g, const T* x, const T* f, T* out, T gain) {                                              \
        int n = g.planes * g.outH * g.outW;                                                                   \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {             \
            int ox = i % g.outW, oy = (i / g.outW) % g.outH, p = i / (g.outW * g.outH);                        \
            const T* plane = x + (long long)p * g.H * g.W;                                                    \
            T s = T(0);                                                                                       \
            for (int fy = 0; fy < g.fh; fy++) {                                                               \
                int u = oy * g.downY + fy - g.padY0;                                                          \
                if (u < 0 || u % g.upY != 0) continue;                                                        \
                int iy = u / g.upY;                                                                           \
                if (iy >= g.H) break;                                                                         \
                int fr = g.flip ? fy : g.fh - 1 - fy;                                                         \
                for (int fx = 0; fx < g.fw; fx++) {                                                           \
                    int v = ox * g.downX + fx - g.padX0;                                                      \
                    if (v < 0 || v % g.upX != 0) continue;                                                    \
                    int ix = v / g.upX;                                                                       \
                    if (ix >= g.W) break;                                                                     \
                    int fc = g.flip ? fx : g.fw - 1 - fx;                                                     \
                    s += plane[iy * g.W + ix] * f[fr * g.fw + fc];                                            \
                }                                                                                             \
            }                                                                                                 \
            out[i] = s * gain;                                                                                \
        }                                                                                                     \
    }                                                                                                         \
    EMU_REGISTER(upfirdn2d_##sfx)
FOR_DTYPES(UPFIRDN2D)
