package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Owns the device memory allocated on this thread while it is open; closing it frees everything not
 * {@link #keep kept}. Scopes nest (a kept tensor moves to the enclosing scope, or becomes unscoped at the outermost)
 * and must close in reverse order on the thread that opened them — use try-with-resources:
 * <pre>{@code
 * for (int step = 0; step < steps; step++) {
 *     try (CudaScope scope = CudaScope.open()) {
 *         Tensor loss = ...;                 // every intermediate of the step lives in the scope
 *         w = scope.keep(newW);              // the result survives; the rest is freed here
 *     }
 * }
 * }</pre>
 * Temporaries a kernel launch needs internally are freed by the backend itself and never reach a scope.
 */
public final class CudaScope implements AutoCloseable {
    private static final ThreadLocal<CudaScope> CURRENT = new ThreadLocal<>();

    private final CudaScope parent;
    private final Thread thread = Thread.currentThread();
    private final Set<CudaStorage> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    private CudaScope(CudaScope parent) { this.parent = parent; }

    /** Opens a scope nested in the current one (if any) and makes it current on this thread. */
    public static CudaScope open() {
        CudaScope s = new CudaScope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static CudaScope current() { return CURRENT.get(); }

    static void adopt(CudaStorage s) {
        CudaScope c = CURRENT.get();
        if (c != null) {
            c.owned.add(s);
            s.owner = c;
        }
    }

    void forget(CudaStorage s) { owned.remove(s); }

    /** Moves t's device storage out of this scope (to the enclosing scope, or unscoped); returns t. */
    public Tensor keep(Tensor t) {
        if (t != null && t.storage() instanceof CudaStorage cs && cs.owner == this) {
            owned.remove(cs);
            cs.owner = null;
            if (parent != null) {
                parent.owned.add(cs);
                cs.owner = parent;
            }
        }
        return t;
    }

    /** Number of device buffers this scope will free. */
    public int ownedBuffers() { return owned.size(); }

    /** Bytes of device memory this scope will free. */
    public long ownedBytes() {
        long b = 0;
        for (CudaStorage s : owned) b += s.bytes();
        return b;
    }

    /** Frees everything still owned and makes the enclosing scope current. */
    @Override public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread || CURRENT.get() != this) {
            throw new IllegalStateException("CudaScope must be closed by the thread that opened it, innermost first"
                    + " (use try-with-resources)");
        }
        closed = true;
        for (CudaStorage s : new ArrayList<>(owned)) {
            s.owner = null;
            s.close();
        }
        owned.clear();
        CURRENT.set(parent);
    }
}
