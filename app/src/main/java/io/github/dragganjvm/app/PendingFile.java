package io.github.dragganjvm.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A file written in pieces into a hidden temporary sibling ({@code .NAME.*.tmp}) and moved over its name by
 * {@link #commit()} (atomic rename); {@link #close()} without a commit deletes the temporary, so a failed or killed
 * program never leaves a half-written file under the real name.
 */
final class PendingFile implements AutoCloseable {
    private final Path file, temp;
    private boolean committed;

    PendingFile(Path file) throws IOException {
        this.file = file;
        this.temp = OutputFolder.newTempSibling(file);
    }

    /** Where the bytes go until the commit. */
    Path temp() { return temp; }

    /** Moves the temporary over the file (replacing it). */
    void commit() throws IOException {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        committed = true;
    }

    @Override public void close() throws IOException {
        if (!committed) Files.deleteIfExists(temp);
    }
}
