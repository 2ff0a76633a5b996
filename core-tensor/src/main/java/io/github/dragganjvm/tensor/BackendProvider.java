package io.github.dragganjvm.tensor;

/**
 * Service interface through which optional backends (the CUDA module) plug in, found with
 * {@link java.util.ServiceLoader}. {@link #create()} throws with a one-line reason when the backend cannot run here
 * (no driver, no device), and that reason is logged once.
 */
public interface BackendProvider {
    /** The name users pass to {@code -Ddraggan.backend=}. */
    String name();

    /** Creates the backend or throws an exception whose message says why it is unavailable. */
    Backend create() throws Exception;
}
