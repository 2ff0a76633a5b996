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

// dx from the op's inputs (PyTorch autograd of NVlabs' _bias_act_ref: bias, act, gain, clamp): with v = x + b,
// dx = gout * gain * (v > 0 ? 1 : alpha) (the last factor for LRELU only) where there is no clamp or
// -clamp <= act(v) * gain <= clamp (inclusive, torch.clamp's gradient), else 0. The output y would not do: with a
// negative gain or alpha its sign is not v's, and on the bound it cannot tell a value that reached it from a clamped
// one. Rounded step by step in T as RefBasics/PyTorch (no FMA can form: no product feeds an add).
#define BIAS_ACT_BACKWARD(sfx, T)                                                                            \
    extern "C" __global__ void __launch_bounds__(256) bias_act_backward_##sfx(                               \
        View gv, const T* gout, View xv, const T* x, const T* b, int bStride, T* out, int n, int dimSize,     \
        int inner, int act, T alpha, T gain, T clamp) {                                                      \
        for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {            \
            T v = x[view_index(xv, i)];                                                                      \
            if (b) v += b[((i / inner) % dimSize) * bStride];                                                \
            bool slope = act == 1 && !(v > T(0));                                                            \
            T d = gout[view_index(gv, i)] * gain;                                                            \
            if (slope) d *= alpha;                                                                           \
            if (clamp >= T(0)) {                                                                             \
                T t = (slope ? v * alpha : v) * gain;                                                        \
                if (!(t >= -clamp && t <= clamp)) d = T(0);                                                  \
            }                                                                                                \
            out[i] = d;                                                                                      \
        }                                                                                                    \
    }                                                                                                        \
    EMU_REGISTER(bias_act_backward_##sfx)
FOR_DTYPES(BIAS_ACT_BACKWARD)
