// bias_act.cu — NVlabs bias_act, fused: y = clamp(act(x + b) * gain, -clamp, clamp) and its gradient.
// Java reference: RefBasics.biasAct / biasActBackward (Backend javadoc has the math). act: 0 = LINEAR,
// 1 = LRELU (slope alpha where !(v > 0)); clamp < 0 disables clamping. Both kernels read any view and write a
// contiguous result. The bias gradient is the sum of biasActBackward over all dims but `dim` (reduce.cu).
#include "common.cuh"

// x any view of logical shape [..., dimSize, inner...]; b [dimSize] with stride bStride (b may be null).
#define BIAS_ACT(sfx, T)                                                                                     \
    extern "C" __global__ void __launch_bounds__(256) bias_act_##sfx(                                        \
        View xv, const T* x, const T* b, int bStride, T* out, int n, int dimSize, int inner, int act,        \
        T alpha, T gain, T clamp) {                                                                          \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {            \
            T v = x[view_index(xv, i)];                                                                      \
            if (b) v += b[((i / inner) % dimSize) * bStride];                                                \
            if (act == 1 && !(v > T(0))) v *= alpha;                                                         \
            v *= gain;                                                                                       \
            if (clamp >= T(0)) v = clamp_to<T>(v, -clamp, clamp);                                            \
            out[i] = v;                                                                                      \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(bias_act_##sfx)
FOR_DTYPES(BIAS_ACT)

// dx = gout * act'(x + b) * gain where |y| < clamp (or no clamp), else 0; the sign of y decides the slope.
#define BIAS_ACT_BACKWARD(sfx, T)                                                                            \
    extern "C" __global__ void __launch_bounds__(256) bias_act_backward_##sfx(                               \
        View gv, const T* gout, View yv, const T* y, T* out, int n, int act, T alpha, T gain, T clamp) {     \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {            \
            T g = gout[view_index(gv, i)], yy = y[view_index(yv, i)];                                        \
            if (clamp >= T(0) && !(m_abs(yy) < clamp)) g = T(0);                                             \
            else {                                                                                           \
                if (act == 1 && !(yy > T(0))) g *= alpha;                                                    \
                g *= gain;                                                                                   \
            }                                                                                                \
            out[i] = g;                                                                                      \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(bias_act_backward_##sfx)
FOR_DTYPES(BIAS_ACT_BACKWARD)
