package io.github.dragganjvm.cuda.internal;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds (once, when a source changed) and loads the CPU emulation of our kernels: g++ compiles every
 * src/main/cuda/*.cu with src/test/emu into target/emu/libdraggan_cuda_emu.so. Unavailable (tests skip) when g++
 * is missing.
 */
final class Emulator {
    private Emulator() {}

    private static CudaBackend backend;
    private static String unavailable;
    private static boolean tried;

    static synchronized CudaBackend backend() {
        init();
        if (backend == null) throw new IllegalStateException(unavailable);
        return backend;
    }

    static synchronized String unavailableReason() {
        init();
        return unavailable;
    }

    private static void init() {
        if (tried) return;
        tried = true;
        try {
            Path lib = build();
            SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
            backend = new CudaBackend(new EmulatedDevice(lookup));
        } catch (Exception e) {
            unavailable = "CUDA emulator unavailable: " + CudaRuntime.firstLine(e.getMessage());
        }
    }

    static Path build() throws IOException, InterruptedException {
        Path module = ModuleDir.get();
        Path emu = module.resolve("src/test/emu");
        Path out = module.resolve("target/emu/libdraggan_cuda_emu.so");
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> s = Files.list(ModuleDir.cudaSources())) {
            s.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh")).sorted().forEach(sources::add);
        }
        try (Stream<Path> s = Files.list(emu)) {
            s.sorted().forEach(sources::add);
        }
        FileTime newest = FileTime.fromMillis(0);
        for (Path p : sources) if (Files.getLastModifiedTime(p).compareTo(newest) > 0) newest = Files.getLastModifiedTime(p);
        if (Files.exists(out) && Files.getLastModifiedTime(out).compareTo(newest) >= 0) return out;
        Files.createDirectories(out.getParent());
        Path tmp = out.resolveSibling("libdraggan_cuda_emu.so.tmp");
        List<String> cmd = new ArrayList<>(List.of("g++", "-std=c++17", "-O1", "-g", "-fPIC", "-shared", "-DDRAGGAN_EMU",
                "-Wno-unknown-pragmas", "-include", emu.resolve("cuda_emu.h").toString(), "-I", emu.toString(), "-x", "c++"));
        for (Path p : sources) if (p.toString().endsWith(".cu")) cmd.add(p.toString());
        cmd.add(emu.resolve("emu_runtime.cpp").toString());
        cmd.addAll(List.of("-o", tmp.toString()));
        Process proc;
        try {
            proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("g++ not found (" + e.getMessage() + ")");
        }
        String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (proc.waitFor() != 0) throw new IOException("g++ failed to build the emulator:\n" + log);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return out;
    }
}
