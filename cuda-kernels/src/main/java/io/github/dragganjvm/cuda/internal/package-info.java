/**
 * Internal: the CUDA backend (hand-written kernels compiled to PTX, loaded through the driver API with JCuda). Not
 * API; public only for the ServiceLoader ({@code META-INF/services/io.github.dragganjvm.tensor.BackendProvider}) and
 * the benchmark tools, and it may change in any release. Choose it with
 * {@link io.github.dragganjvm.tensor.Backends#use(String) Backends.use("cuda")}.
 */
package io.github.dragganjvm.cuda.internal;
