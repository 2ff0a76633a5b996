package io.github.dragganjvm.app;

import java.nio.file.Path;

/** Shared validation of command-line values (outputs: see {@link OutputFolder}). */
final class Cli {
    private Cli() {}

    /** An output PNG path; missing folders above it are created when it is written. */
    static Path outputPng(String value, String option) { return outputFile(value, option, ".png"); }

    /** An output file with the given extension; missing folders above it are created when it is written. */
    static Path outputFile(String value, String option, String ext) { return OutputFolder.checkFile(value, option, ext); }

    /** A folder a command fills over time (a training run): created with its parents if missing; must not be a file. */
    static Path outputDir(String value, String option) { return OutputFolder.checkGrowingFolder(value, option); }
}
