package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.Backend;
import io.github.dragganjvm.tensor.BackendProvider;

/** Registers the CUDA backend with {@code io.github.dragganjvm.tensor.Backends} through {@link java.util.ServiceLoader}. */
public final class CudaBackendProvider implements BackendProvider {
    @Override public String name() { return "cuda"; }

    /** The shared {@link CudaBackend}; throws with a one-line reason (no driver, no device, PTX failed to load). */
    @Override public Backend create() { return CudaRuntime.backend(); }
}
