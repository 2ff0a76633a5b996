package io.github.dragganjvm.tensor;

import io.github.dragganjvm.tensor.internal.VectorBackend;
import io.github.dragganjvm.tensor.internal.ReferenceBackend;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Which backend computes: chosen once per JVM on first use (from the system property), or by the program through
 * {@link #use(String)} / {@link #use(Backend)}; queried with {@link #current()} and {@link #cpu()}.
 *
 * <p>Names ({@code draggan.backend} system property or {@link #use(String)}): {@code auto} (default: CUDA when its
 * driver, a device and the PTX load, else the Vector API backend, else the reference), {@code reference},
 * {@code vector} or {@code cuda}. Asking for a backend that cannot run fails with a message saying why; CUDA is
 * probed at most once per JVM and never retried per call. The choice is logged as one line on stderr (silenced by
 * {@code -Ddraggan.quiet=true}). Property {@code draggan.threads} sets the CPU kernels' thread count (default:
 * available processors); {@code draggan.profile=true} times every op call (CPU and CUDA) and prints a table at exit
 * ({@code draggan.profile.sync=true}: each CUDA op waits for the device first, so its row includes its device time).
 *
 * <p>When the JVM was started without {@code --add-modules jdk.incubator.vector}, the Vector API backend cannot
 * load and every CPU op runs on the plain-loop reference backend, several times slower: a warning says so once per
 * JVM on stderr, even when quiet.
 *
 * <p>Thread safety: every method may be called from any thread. A choice is published atomically (readers see the
 * old backend or the new one, never a mix of the two). Switching while other threads compute is allowed but rarely
 * what you want: an op that already fetched its backend finishes on it. Host tensors are plain memory that every
 * CPU backend reads, so switching between {@code reference} and {@code vector} is always safe; tensors already
 * on the GPU stay there and keep computing on the CUDA backend. Choose once, at startup, before making models.
 */
public final class Backends {
    private Backends() {}

    /** The names {@link #use(String)} and {@code -Ddraggan.backend} accept. */
    private static final String NAMES = "auto, reference, vector or cuda";
    /** How much slower the reference loops are than the Vector API kernels on the generator (issue 14, measured). */
    private static final String REFERENCE_SLOWDOWN = "about 4x";

    /** The backend for host tensors and the default one, published together. */
    private record Choice(Backend cpu, Backend def) {}

    private static volatile Choice choice;
    private static volatile Backend cuda;
    private static volatile String cudaUnavailable;
    private static boolean cudaProbed;
    private static boolean vectorWarned;

    /**
     * The backend that computes on host tensors: vector, or reference when chosen or when the Vector API is absent.
     *
     * @return the CPU backend now in use (chosen from {@code draggan.backend} on first call)
     */
    public static Backend cpu() { return choice().cpu; }

    /**
     * The active backend: where models put their tensors (CUDA when chosen or auto-detected, else {@link #cpu()}).
     *
     * @return the default backend now in use (chosen from {@code draggan.backend} on first call)
     */
    public static Backend current() { return choice().def; }

    /**
     * Chooses the backend by name, now, replacing any earlier choice (including the one made from the system
     * property). Logs the choice as {@code -Ddraggan.backend} does.
     *
     * @param name {@code auto}, {@code reference}, {@code vector} or {@code cuda} (case and surrounding blanks ignored)
     * @return the backend now returned by {@link #current()}
     * @throws IllegalArgumentException if name is none of these
     * @throws IllegalStateException if the named backend cannot run in this JVM (the message says why); the
     *         earlier choice then stays in force
     */
    public static Backend use(String name) {
        if (name == null) throw new IllegalArgumentException("Backends.use: backend name is null; use " + NAMES);
        String want = name.trim().toLowerCase(Locale.ROOT);
        if (!isName(want)) throw new IllegalArgumentException("Backends.use: \"" + name + "\" is not a backend; use " + NAMES);
        synchronized (Backends.class) {
            choice = select(want, "Backends.use(\"" + want + "\")");
            return choice.def;
        }
    }

    /**
     * Makes the given backend the active one, now: a CPU backend becomes both {@link #cpu()} and {@link #current()};
     * a CUDA backend becomes {@link #current()} and the backend of CUDA tensors, while host tensors keep the CPU
     * backend chosen so far. For wrapping a backend (e.g. with timing) or plugging in one of your own.
     *
     * @param backend the backend; not null
     * @return backend
     */
    public static Backend use(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("Backends.use: backend is null");
        synchronized (Backends.class) {
            if (backend.device() == Device.CPU) {
                choice = new Choice(backend, backend);
            } else {
                Backend host = choice().cpu;
                cuda = backend;
                cudaUnavailable = null;
                cudaProbed = true;
                choice = new Choice(host, backend);
            }
            return backend;
        }
    }

    /** The backend for tensors on the given device; fails with the reason when there is none for it. */
    public static Backend forDevice(Device d) {
        Choice c = choice();
        if (d == Device.CPU) return c.cpu;
        Backend g = cuda;
        if (g == null) {
            synchronized (Backends.class) {
                probeCuda();
                g = cuda;
            }
            if (g == null) throw new IllegalStateException("no backend for device " + d + ": " + cudaUnavailable);
        }
        return g;
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

    /** The value of {@code draggan.backend}, lower case, default "auto" (what the first use chooses from). */
    public static String requested() { return System.getProperty("draggan.backend", "auto").trim().toLowerCase(Locale.ROOT); }

    /** Threads used by CPU kernels. */
    public static int threads() { return Parallel.threads(); }

    /**
     * Whether the Java Vector API module is in this JVM (started with {@code --add-modules jdk.incubator.vector}).
     * Without it the {@code vector} backend cannot run and CPU ops use the reference loops.
     */
    public static boolean vectorApiPresent() { return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(); }

    private static boolean isName(String s) {
        return s.equals("auto") || s.equals("reference") || s.equals("vector") || s.equals("cuda");
    }

    private static Choice choice() {
        Choice c = choice;
        if (c == null) {
            synchronized (Backends.class) {
                if (choice == null) {
                    String want = requested();
                    if (!isName(want)) throw new IllegalStateException("-Ddraggan.backend=" + want + " is not a backend; use " + NAMES);
                    choice = select(want, "-Ddraggan.backend=" + want);
                }
                c = choice;
            }
        }
        return c;
    }

    /** Creates the CUDA backend through its provider once per JVM; records why when it cannot. Caller holds the lock. */
    private static void probeCuda() {
        if (cudaProbed) return;
        cudaProbed = true;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (!p.name().equals("cuda")) continue;
            try {
                cuda = p.create();
                if (Boolean.getBoolean("draggan.profile")) cuda = ProfilingBackend.wrap(cuda);
            } catch (Throwable t) {
                cudaUnavailable = String.valueOf(t.getMessage());
            }
        }
        if (cuda == null && cudaUnavailable == null) cudaUnavailable = "the cuda-kernels module is not on the class path";
    }

    /** Builds the choice for want (a valid name); who names the asker in errors. Caller holds the lock. */
    private static Choice select(String want, String who) {
        Backend vec = null;
        String vecWhy = null;
        if (!want.equals("reference")) {
            if (!vectorApiPresent()) {
                vecWhy = "the Vector API module is absent; start the JVM with --add-modules jdk.incubator.vector";
                warnVectorAbsent();
            } else {
                try {
                    vec = (Backend) Class.forName("io.github.dragganjvm.tensor.internal.VectorBackend").getDeclaredConstructor().newInstance();
                } catch (Throwable t) {
                    vecWhy = "Vector API unavailable (" + t + "); start the JVM with --add-modules jdk.incubator.vector";
                }
            }
        }
        if (want.equals("vector") && vec == null) throw new IllegalStateException(who + ": " + vecWhy);
        Backend cpuB = vec != null ? vec : new ReferenceBackend();
        if (Boolean.getBoolean("draggan.profile")) cpuB = ProfilingBackend.wrap(cpuB);
        Backend def = cpuB;
        if (want.equals("auto") || want.equals("cuda")) {
            probeCuda();
            if (cuda != null) def = cuda;
            else if (want.equals("cuda")) throw new IllegalStateException(who + ": CUDA backend unavailable: " + cudaUnavailable);
        }
        StringBuilder msg = new StringBuilder("draggan: backend ").append(def.name());
        if (def != cpuB) msg.append(" (host ops on ").append(cpuB.name()).append(')');
        msg.append(", ").append(Parallel.threads()).append(" CPU threads");
        if (vecWhy != null) msg.append("; ").append(vecWhy);
        if (want.equals("auto") && cuda == null && cudaUnavailable != null) msg.append("; cuda: ").append(cudaUnavailable);
        if (!Boolean.getBoolean("draggan.quiet")) System.err.println(msg);
        return new Choice(cpuB, def);
    }

    /** The loud warning, once per JVM, even when quiet: a several-fold slowdown must not pass unnoticed. */
    private static void warnVectorAbsent() {
        if (vectorWarned) return;
        vectorWarned = true;
        System.err.println("draggan: WARNING: the Java Vector API module (jdk.incubator.vector) is not in this JVM, so every CPU op runs "
                + "on the plain-loop reference backend, " + REFERENCE_SLOWDOWN + " slower. Start java with "
                + "--add-modules jdk.incubator.vector (Maven Surefire: argLine; Gradle: jvmArgs; java -jar: before -jar).");
    }
}
