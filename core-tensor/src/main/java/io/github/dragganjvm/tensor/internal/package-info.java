/**
 * Internal: the CPU backends behind the {@link io.github.dragganjvm.tensor.Backend} seam. Not API; public only so
 * the library's modules reach each other, and it may change in any release. Choose a backend with
 * {@link io.github.dragganjvm.tensor.Backends#use(String)} and call ops through {@link io.github.dragganjvm.tensor.Ops}.
 * <ul>
 *   <li>{@link io.github.dragganjvm.tensor.internal.ReferenceBackend}: plain loops over any strides, F32 and F64 (the
 *       specification every other backend is tested against), its kernels in {@code .reference};</li>
 *   <li>{@link io.github.dragganjvm.tensor.internal.VectorBackend}: the Java Vector API kernels in {@code .vector}
 *       (packed SGEMM, implicit-im2col and Winograd convolutions, upfirdn2d, filtered leaky ReLU, ...).</li>
 * </ul>
 */
package io.github.dragganjvm.tensor.internal;
