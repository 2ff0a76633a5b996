package draggan.tensor;

import java.util.ServiceLoader;

/**
 * Picks the backend once per JVM and logs the choice once (one line on stderr).
 *
 * <p>System property {@code draggan.backend}: {@code auto} (default: CUDA when its driver, a device and the PTX
 * load, else the Vector API backend, else the reference), {@code reference}, {@code vector} or {@code cuda}.
 * Asking for a backend that cannot run fails on first use with a message saying why; it is never retried per call.
 * Property {@code draggan.threads} sets the CPU kernels' thread count (default: available processors);
 * {@code draggan.profile=true} times every op call and prints a table at exit.
 */
public final class Backends {
    private Backends() {}

    private static volatile Backend cpu;
    private static volatile Backend defaultBackend;
    private static volatile Backend cuda;
    private static volatile String cudaUnavailable;

    /** The backend that computes on host tensors (vector, or reference when selected or when the Vector API is absent). */
    public static Backend cpu() {
        Backend b = cpu;
        if (b == null) {
            synchronized (Backends.class) {
                if (cpu == null) select();
                b = cpu;
            }
        }
        return b;
    }

    /** The default backend: where models put their tensors (CUDA when selected or auto-detected, else {@link #cpu()}). */
    public static Backend current() {
        Backend b = defaultBackend;
        if (b == null) {
            synchronized (Backends.class) {
                if (defaultBackend == null) select();
                b = defaultBackend;
            }
        }
        return b;
    }

    /** The backend for tensors on the given device. */
    public static Backend forDevice(Device d) {
        if (d == Device.CPU) return cpu();
        current();
        if (cuda == null) throw new IllegalStateException("no backend for device " + d + ": " + cudaUnavailable);
        return cuda;
    }

    /** The backend of the inputs' device; fails if they are on different devices. */
    static Backend of(String op, Tensor... ts) {
        Device d = null;
        for (Tensor t : ts) {
            if (t == null) continue;
            if (d == null) d = t.device();
            else if (t.device() != d) throw new IllegalArgumentException(op + ": inputs on different devices (" + d + " and " + t.device() + ")");
        }
        return forDevice(d == null ? Device.CPU : d);
    }

    /** The value of {@code draggan.backend}, lower case, default "auto". */
    public static String requested() { return System.getProperty("draggan.backend", "auto").trim().toLowerCase(); }

    /** Threads used by CPU kernels. */
    public static int threads() { return Parallel.threads(); }

    private static void select() {
        String want = requested();
        if (!want.equals("auto") && !want.equals("reference") && !want.equals("vector") && !want.equals("cuda")) {
            throw new IllegalStateException("-Ddraggan.backend=" + want + " is not a backend; use auto, reference, vector or cuda");
        }
        Backend vec = null;
        String vecWhy = null;
        if (!want.equals("reference")) {
            try {
                vec = (Backend) Class.forName("draggan.tensor.VectorBackend").getDeclaredConstructor().newInstance();
            } catch (Throwable t) {
                vecWhy = "Vector API unavailable (" + t + "); start the JVM with --add-modules jdk.incubator.vector";
            }
        }
        if (want.equals("vector") && vec == null) throw new IllegalStateException("-Ddraggan.backend=vector: " + vecWhy);
        Backend cpuB = vec != null ? vec : new ReferenceBackend();
        if (Boolean.getBoolean("draggan.profile")) cpuB = ProfilingBackend.wrap(cpuB);
        Backend def = cpuB;
        if (want.equals("auto") || want.equals("cuda")) {
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
                if (!p.name().equals("cuda")) continue;
                try {
                    cuda = p.create();
                } catch (Throwable t) {
                    cudaUnavailable = String.valueOf(t.getMessage());
                }
            }
            if (cuda == null && cudaUnavailable == null) cudaUnavailable = "the cuda-kernels module is not on the class path";
            if (cuda != null) def = cuda;
            else if (want.equals("cuda")) throw new IllegalStateException("-Ddraggan.backend=cuda: CUDA backend unavailable: " + cudaUnavailable);
        }
        cpu = cpuB;
        defaultBackend = def;
        StringBuilder msg = new StringBuilder("draggan: backend ").append(def.name());
        if (def != cpuB) msg.append(" (host ops on ").append(cpuB.name()).append(')');
        msg.append(", ").append(Parallel.threads()).append(" CPU threads");
        if (vecWhy != null && !want.equals("reference")) msg.append("; ").append(vecWhy);
        if (want.equals("auto") && cuda == null && cudaUnavailable != null) msg.append("; cuda: ").append(cudaUnavailable);
        if (!Boolean.getBoolean("draggan.quiet")) System.err.println(msg);
    }
}
