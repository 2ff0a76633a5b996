package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Storage;
import io.github.dragganjvm.tensor.Tensor;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Layouts derived from tensors marked constant ({@link Tensor#markConstant()}), such as a convolution weight packed
 * for {@link Sgemm}: made on first use and kept as long as the storage lives (weak keys), so a model's weights are
 * packed once instead of on every call. Tensors not marked constant are never cached.
 */
final class ConstantCache {
    private ConstantCache() {}

    private static final Map<Storage, Map<Object, Object>> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * For a constant t, the value derived from it under the given key, made by {@code make} on first use (t's view
     * geometry is part of the key); for any other t, {@code otherwise} (nothing is kept).
     */
    @SuppressWarnings("unchecked")
    static <T> T get(Tensor t, Object key, Supplier<T> make, Supplier<T> otherwise) {
        if (!t.isConstant()) return otherwise.get();
        Map<Object, Object> perStorage = CACHE.computeIfAbsent(t.storage(), s -> new ConcurrentHashMap<>());
        Object full = List.of(t.offset(), Arrays.toString(t.shape()), Arrays.toString(t.strides()), key);
        Object v = perStorage.get(full);
        if (v == null) {
            v = make.get();
            Object prev = perStorage.putIfAbsent(full, v);
            if (prev != null) v = prev;
        }
        return (T) v;
    }
}
