/** Internal: the scalar reference kernels of {@link io.github.dragganjvm.tensor.internal.ReferenceBackend}. Not API. */
package io.github.dragganjvm.tensor.internal.reference;
