package io.github.dragganjvm.cuda.internal.tools;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static java.lang.foreign.ValueLayout.*;

/**
 * The vendor baseline for benchmarks only: cuBLAS SGEMM called through FFM downcalls into libcublas.so.13 (CUDA
 * 13; JCublas 12.6 would need libcublas.so.12). Never a dependency of the backend. Found through
 * {@code -Ddraggan.cublas=/path/libcublas.so.13}, else the loader's search path. It shares the device's primary
 * context and the legacy default stream with our kernels, so device pointers from our allocator work as they are.
 */
public final class Cublas implements AutoCloseable {
    private static final int CUBLAS_OP_N = 0, CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3;

    private final Arena arena = Arena.ofShared();
    private final MethodHandle sgemm, setMathMode, destroy;
    private final MemorySegment handle, alpha, beta;

    private Cublas(SymbolLookup lib) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle create = linker.downcallHandle(lib.find("cublasCreate_v2").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setMathMode = linker.downcallHandle(lib.find("cublasSetMathMode").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        destroy = linker.downcallHandle(lib.find("cublasDestroy_v2").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        sgemm = linker.downcallHandle(lib.find("cublasSgemm_v2").orElseThrow(), FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS,
                JAVA_LONG, JAVA_INT));
        MemorySegment h = arena.allocate(ADDRESS);
        int r = (int) create.invokeExact(h);
        if (r != 0) throw new IllegalStateException("cublasCreate failed with status " + r);
        handle = h.get(ADDRESS, 0);
        alpha = arena.allocateFrom(JAVA_FLOAT, 1f);
        beta = arena.allocateFrom(JAVA_FLOAT, 0f);
    }

    /** cuBLAS, or null with the reason printed, when libcublas.so.13 cannot be loaded. */
    public static Cublas tryOpen() {
        String path = System.getProperty("draggan.cublas", "libcublas.so.13");
        try {
            Path p = Paths.get(path);
            SymbolLookup lib = Files.exists(p) ? SymbolLookup.libraryLookup(p, Arena.global()) : SymbolLookup.libraryLookup(path, Arena.global());
            return new Cublas(lib);
        } catch (Throwable t) {
            System.out.println("cuBLAS baseline unavailable (" + path + "): " + t.getMessage());
            return null;
        }
    }

    /** Row-major C[M, N] = A[M, K] B[K, N] (device addresses), as column-major C^T = B^T A^T. */
    public void sgemm(long a, long b, long c, int m, int n, int k, boolean tf32) {
        try {
            int r = (int) setMathMode.invokeExact(handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
            if (r != 0) throw new IllegalStateException("cublasSetMathMode: status " + r);
            r = (int) sgemm.invokeExact(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, alpha, b, n, a, k, beta, c, n);
            if (r != 0) throw new IllegalStateException("cublasSgemm: status " + r);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override public void close() {
        try {
            int ignored = (int) destroy.invokeExact(handle);
        } catch (Throwable ignored) {
        }
        arena.close();
    }
}
