package draggan.app;

import java.nio.file.Files;
import java.nio.file.Path;

/** Shared validation of command-line values. */
final class Cli {
    private Cli() {}

    /** An output PNG path whose folder exists. */
    static Path outputPng(String value, String option) { return outputFile(value, option, ".png"); }

    /** An output file with the given extension whose folder exists. */
    static Path outputFile(String value, String option, String ext) {
        if (!value.toLowerCase().endsWith(ext)) throw new UsageException("--" + option + " must name a " + ext + " file but is '" + value + "'");
        Path p = Path.of(value).toAbsolutePath();
        Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new UsageException("--" + option + ": folder " + dir + " does not exist");
        if (Files.isDirectory(p)) throw new UsageException("--" + option + ": " + p + " is a folder");
        return p;
    }

    /** An output folder: created if missing; must not be a file. */
    static Path outputDir(String value, String option) {
        Path p = Path.of(value).toAbsolutePath();
        if (Files.exists(p) && !Files.isDirectory(p)) throw new UsageException("--" + option + ": " + p + " exists and is not a folder");
        Path parent = p.getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new UsageException("--" + option + ": folder " + parent + " does not exist");
        return p;
    }
}
