/** Internal: the Java Vector API kernels of {@link io.github.dragganjvm.tensor.internal.VectorBackend}. Not API. */
package io.github.dragganjvm.tensor.internal.vector;
