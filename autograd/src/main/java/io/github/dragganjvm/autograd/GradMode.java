package io.github.dragganjvm.autograd;

/**
 * Whether ops record a graph. Inside {@code try (var ng = GradMode.noGrad()) { ... }} nothing is recorded and no
 * intermediate tensors are kept, even for inputs that require grad. Per thread.
 */
public final class GradMode {
    private GradMode() {}

    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[]{true});

    /** True when ops on this thread record their backward rules. */
    public static boolean isEnabled() { return ENABLED.get()[0]; }

    /** A scope with recording off; closing it restores the previous state. */
    public static Scope noGrad() { return set(false); }

    /** A scope with recording on (e.g. inside a noGrad scope). */
    public static Scope enableGrad() { return set(true); }

    private static Scope set(boolean on) {
        boolean[] flag = ENABLED.get();
        boolean prev = flag[0];
        flag[0] = on;
        return () -> flag[0] = prev;
    }

    /** A try-with-resources scope that cannot throw on close. */
    public interface Scope extends AutoCloseable {
        @Override void close();
    }
}
