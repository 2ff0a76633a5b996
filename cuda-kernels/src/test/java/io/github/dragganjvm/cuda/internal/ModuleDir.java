package io.github.dragganjvm.cuda.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The cuda-kernels module folder (Maven runs tests there; an IDE may run them from the repository root). */
final class ModuleDir {
    private ModuleDir() {}

    static Path get() {
        Path cwd = Paths.get("").toAbsolutePath();
        if (Files.isDirectory(cwd.resolve("src/main/cuda"))) return cwd;
        Path sub = cwd.resolve("cuda-kernels");
        if (Files.isDirectory(sub.resolve("src/main/cuda"))) return sub;
        throw new IllegalStateException("cannot find cuda-kernels/src/main/cuda from " + cwd);
    }

    static Path cudaSources() { return get().resolve("src/main/cuda"); }

    static Path ptx(String arch) { return get().resolve("src/main/resources/io/github/dragganjvm/cuda/ptx").resolve(arch); }
}
