package io.github.dragganjvm.cuda.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.*;

/**
 * A {@link CudaDriver} that runs the project's CUDA C kernels on the CPU: the same .cu sources compiled with g++
 * against src/test/emu (fibers for threads, real barriers and warp exchanges, see cuda_emu.h), called through FFM
 * with exactly the argument array cuLaunchKernel gets. "Device" memory is host memory fenced by guard pages.
 * It checks kernel logic, launch geometry and the Java launch code without a GPU; not timing.
 */
final class EmulatedDevice implements CudaDriver {
    private final MethodHandle launch, lastError, alloc, free, has;
    private final Map<Long, Long> sizes = new HashMap<>();

    EmulatedDevice(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        launch = linker.downcallHandle(lib.find("emu_launch").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        lastError = linker.downcallHandle(lib.find("emu_last_error").orElseThrow(), FunctionDescriptor.of(ADDRESS));
        alloc = linker.downcallHandle(lib.find("emu_alloc").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_LONG));
        free = linker.downcallHandle(lib.find("emu_free").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG));
        has = linker.downcallHandle(lib.find("emu_has_kernel").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** Whether the emulator library registered a kernel of this name (EMU_REGISTER). */
    boolean hasKernel(String name) {
        try (Arena a = Arena.ofConfined()) {
            return (int) has.invokeExact(a.allocateFrom(name)) != 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MemorySegment seg(long address, long bytes) { return MemorySegment.ofAddress(address).reinterpret(bytes); }

    @Override public String description() { return "CUDA emulator on the CPU (g++ build of src/main/cuda)"; }
    @Override public int computeCapability() { return 80; }
    @Override public int multiprocessors() { return 4; }

    @Override public synchronized long malloc(long bytes) {
        try {
            MemorySegment p = (MemorySegment) alloc.invokeExact(bytes);
            if (p.address() == 0) throw new CudaOutOfMemoryException("emulator: mmap of " + bytes + " bytes failed");
            sizes.put(p.address(), bytes);
            return p.address();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override public synchronized void free(long address) {
        Long bytes = sizes.remove(address);
        if (bytes == null) throw new IllegalStateException("emulator: free of unknown address " + Long.toHexString(address));
        try {
            free.invokeExact(MemorySegment.ofAddress(address), (long) bytes);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override public void upload(long dst, float[] src, int from, int count) { MemorySegment.copy(src, from, seg(dst, 4L * count), JAVA_FLOAT, 0, count); }
    @Override public void upload(long dst, double[] src, int from, int count) { MemorySegment.copy(src, from, seg(dst, 8L * count), JAVA_DOUBLE, 0, count); }
    @Override public void upload(long dst, int[] src, int from, int count) { MemorySegment.copy(src, from, seg(dst, 4L * count), JAVA_INT, 0, count); }
    @Override public void download(long src, float[] dst, int from, int count) { MemorySegment.copy(seg(src, 4L * count), JAVA_FLOAT, 0, dst, from, count); }
    @Override public void download(long src, double[] dst, int from, int count) { MemorySegment.copy(seg(src, 8L * count), JAVA_DOUBLE, 0, dst, from, count); }
    @Override public void download(long src, int[] dst, int from, int count) { MemorySegment.copy(seg(src, 4L * count), JAVA_INT, 0, dst, from, count); }
    @Override public void copy(long dst, long src, long bytes) { MemorySegment.copy(seg(src, bytes), 0, seg(dst, bytes), 0, bytes); }
    @Override public void zero(long dst, long bytes) { seg(dst, bytes).fill((byte) 0); }

    @Override public synchronized void launch(Kernel k, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, KernelArgs args) {
        try (Arena arena = Arena.ofConfined()) {
            int n = args.size();
            MemorySegment params = arena.allocate(ADDRESS, Math.max(n, 1));
            for (int i = 0; i < n; i++) {
                MemorySegment slot;
                switch (args.kind(i)) {
                    case PTR, F64 -> { slot = arena.allocate(8, 8); slot.set(JAVA_LONG, 0, args.bits(i)); }
                    case I32, F32 -> { slot = arena.allocate(4, 4); slot.set(JAVA_INT, 0, (int) args.bits(i)); }
                    case INTS -> {
                        int[] s = args.struct(i);
                        slot = arena.allocate(4L * s.length, 4);
                        MemorySegment.copy(s, 0, slot, JAVA_INT, 0, s.length);
                    }
                    default -> throw new IllegalStateException();
                }
                params.setAtIndex(ADDRESS, i, slot);
            }
            int r = (int) launch.invokeExact(arena.allocateFrom(k.name()), gridX, gridY, gridZ, blockX, blockY, blockZ, 0, params);
            if (r != 0) {
                String msg = ((MemorySegment) lastError.invokeExact()).reinterpret(4096).getString(0);
                throw new IllegalStateException("emulated launch of " + k + " failed: " + msg);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override public void synchronize() {}
    @Override public void close() {}
}
