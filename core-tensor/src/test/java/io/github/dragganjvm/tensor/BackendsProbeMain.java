package io.github.dragganjvm.tensor;

/** Run in a child JVM by BackendsTest (its JVM flags are the point): chooses backends and prints what happens. */
public final class BackendsProbeMain {
    private BackendsProbeMain() {}

    public static void main(String[] args) {
        System.out.println("vectorApiPresent=" + Backends.vectorApiPresent());
        System.out.println("current=" + Backends.current().name());
        System.out.println("use(auto)=" + Backends.use("auto").name());
        System.out.println("use(reference)=" + Backends.use("reference").name());
        try {
            System.out.println("use(vector)=" + Backends.use("vector").name());
        } catch (IllegalStateException e) {
            System.out.println("use(vector) failed: " + e.getMessage());
        }
        System.out.println("current after=" + Backends.current().name());
    }
}
