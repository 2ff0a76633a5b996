// adam.cu — one torch.optim.Adam step in place (Backend.adamStep; Java reference RefBasics.adamStep):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g g;  p -= stepSize * m / (sqrt(v) / sqrt(bc2) + eps)
// with stepSize = lr / (1 - b1^t) and bc2 = 1 - b2^t computed on the host in double. Arithmetic is in double with
// explicitly rounded operations (no fused multiply-add), storing m and v before they are reused, exactly as the
// reference: for float tensors the result is bit-identical to the Java reference.
#include "common.cuh"

#ifdef __CUDA_ARCH__
#define DMUL(a, b) __dmul_rn(a, b)
#define DADD(a, b) __dadd_rn(a, b)
#define DSUB(a, b) __dsub_rn(a, b)
#define DDIV(a, b) __ddiv_rn(a, b)
#else
#define DMUL(a, b) ((a) * (b))
#define DADD(a, b) ((a) + (b))
#define DSUB(a, b) ((a) - (b))
#define DDIV(a, b) ((a) / (b))
#endif

// p, m, v contiguous; g any view of the same shape.
#define ADAM(sfx, T)                                                                                         \
    extern "C" __global__ void __launch_bounds__(256) adam_##sfx(                                            \
        T* p, View gv, const T* g, T* m, T* v, int n, double stepSize, double b1, double b2, double bc2Sqrt, \
        double eps) {                                                                                        \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {            \
            double gi = (double)g[view_index(gv, i)];                                                        \
            m[i] = (T)DADD(DMUL((double)m[i], b1), DMUL(DSUB(1.0, b1), gi));                                 \
            v[i] = (T)DADD(DMUL((double)v[i], b2), DMUL(DMUL(DSUB(1.0, b2), gi), gi));                       \
            double denom = DADD(DDIV(sqrt((double)v[i]), bc2Sqrt), eps);                                     \
            p[i] = (T)DSUB((double)p[i], DMUL(stepSize, DDIV((double)m[i], denom)));                         \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(adam_##sfx)
FOR_DTYPES(ADAM)
