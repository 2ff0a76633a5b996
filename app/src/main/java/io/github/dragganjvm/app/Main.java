package io.github.dragganjvm.app;

import io.github.dragganjvm.tensor.Backends;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Entry point of {@code ./draggan}: dispatches to a subcommand. Results go to stdout, informational lines to stderr
 * ({@link Console}). Exit status {@value #EXIT_OK} on success; {@value #EXIT_USAGE} for a bad command line or bad
 * input (one clear line, nothing written); {@value #EXIT_FAILED} when the run itself fails (I/O, an unreadable
 * checkpoint, an internal error; one line). No stack traces unless DRAGGAN_DEBUG=1.
 */
public final class Main {
    private Main() {}

    /** Exit statuses, documented in {@link #help()}. */
    static final int EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2;

    /** A subcommand. */
    interface Command {
        String summary();

        /**
         * Runs with the arguments after the subcommand name; returns the exit status.
         *
         * @param io where results and informational lines go (the command applies its --quiet with {@link Console#with})
         */
        int run(String[] args, Console io) throws Exception;
    }

    static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("generate", new GenerateCommand());
        COMMANDS.put("drag", new DragCommand());
        COMMANDS.put("drag-eval", new DragEvalCommand());
        COMMANDS.put("edit", new EditCommand());
        COMMANDS.put("train", new TrainCommand());
        COMMANDS.put("quality", new QualityCommand());
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0) {
            err.print(help());
            return EXIT_USAGE;
        }
        if (argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            out.print(help());
            return EXIT_OK;
        }
        if (argv[0].equals("--version") || argv[0].equals("-V")) {
            out.println("draggan " + version() + " (Java " + Runtime.version() + ")");
            return EXIT_OK;
        }
        Command c = COMMANDS.get(argv[0]);
        if (c == null) {
            err.println("draggan: unknown subcommand '" + argv[0] + "' (try ./draggan --help)");
            return EXIT_USAGE;
        }
        String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
        if (!Backends.requested().equals("auto")) {
            // a backend asked for by name that this machine cannot run (no GPU for cuda, no Vector API for vector,
            // a misspelt name) is a bad setting: one line naming it, before any work
            try {
                Backends.current();
            } catch (IllegalStateException | IllegalArgumentException e) {
                err.println("draggan " + argv[0] + ": " + e.getMessage());
                debug(e, err);
                return EXIT_USAGE;
            }
        }
        try {
            return c.run(rest, new Console(out, err, false));
        } catch (UsageException | IllegalArgumentException e) {
            err.println("draggan " + argv[0] + ": " + e.getMessage());
            debug(e, err);
            return EXIT_USAGE;
        } catch (IOException | UncheckedIOException e) {
            err.println("draggan " + argv[0] + ": " + e.getMessage());
            debug(e, err);
            return EXIT_FAILED;
        } catch (Exception | OutOfMemoryError e) {
            err.println("draggan " + argv[0] + ": internal error: " + e + " (set DRAGGAN_DEBUG=1 for the stack trace)");
            debug(e, err);
            return EXIT_FAILED;
        } finally {
            OutputFolder.discardUncommitted();      // a command that failed leaves no partial output
        }
    }

    /** The Maven project version, from io/github/dragganjvm/version.properties (filtered at build time). */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/io/github/dragganjvm/version.properties")) {
            if (in == null) throw new IllegalStateException("io/github/dragganjvm/version.properties is missing from the class path (a broken build)");
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version");
            if (v == null || v.isBlank() || v.startsWith("${")) throw new IllegalStateException("io/github/dragganjvm/version.properties was not filtered by the build: version=" + v);
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void debug(Throwable e, PrintStream err) {
        if ("1".equals(System.getenv("DRAGGAN_DEBUG"))) e.printStackTrace(err);
    }

    static String help() {
        StringBuilder sb = new StringBuilder("""
                usage: ./draggan SUBCOMMAND [options]      (./draggan SUBCOMMAND --help for its options)
                       ./draggan --version | --help

                DragGAN on the JVM: StyleGAN2 and DragGAN on a tensor library and autodiff of our own.

                subcommands:
                """);
        for (var e : COMMANDS.entrySet()) sb.append(String.format("  %-12s%s%n", e.getKey(), e.getValue().summary()));
        sb.append(String.format("  %-12s%s%n", "bench", "run a short version of the JMH kernel benchmarks and print a table"));
        sb.append(String.format("  %-12s%s%n", "test", "run the project's test suite (what CI runs)"));
        sb.append(String.format("""

                options of every subcommand:
                  --help        its options
                  --quiet       no informational lines or progress on stderr (errors and warnings are still printed)
                  --json        generate, drag, drag-eval: print the result as one JSON object on stdout

                Results (a table, the --json object, the editor's address) go to stdout; everything else (the model
                loaded, progress, the compute backend, "wrote ...") to stderr.

                models (--model):
                  FILE.pkl            an NVlabs network pickle (stylegan2-ada-pytorch, stylegan3; read without running code)
                                      or a classic TensorFlow StyleGAN2 pickle (its Gs; code in it is never run)
                                      or a StyleGAN-Human pickle (rectangular, e.g. 512 tall x 256 wide; also {'G_ema'} alone)
                  FILE.pt             a rosinality stylegan2-pytorch checkpoint
                  FILE.safetensors    our own format (./draggan train writes it)
                                      (files are recognised by their content, not their name)
                  builtin:toy-faces-64  the 64 px StyleGAN2 this project trained on cartoon faces (in the jar)
                  random:RES[:CBASE]  a built-in StyleGAN2 with seeded random weights: RES 64, 128, 256, 512 or 1024,
                                      CBASE its channel base, a power of two from RES to 65536 (default 16384, 32768
                                      above 256 px); e.g. random:64:1024 is tiny and fast
                Without --model the programs use %s, so every command works on a fresh clone.
                Points are x,y with x = column and y = row, in image pixels of the model's own image (a StyleGAN-Human
                model's rectangle, not the padded square it is dragged in).

                exit status:
                  %d  success (a drag stopped with Ctrl-C still writes its outputs)
                  %d  the run failed: a checkpoint or data file could not be loaded, an output could not be
                     written, an internal error (one line on stderr; DRAGGAN_DEBUG=1 adds the stack trace)
                  %d  usage error: a bad command line or input (unknown option, value out of range, missing file,
                     malformed points or session file); nothing was written
                """, Models.DEFAULT, EXIT_OK, EXIT_FAILED, EXIT_USAGE));
        return sb.toString();
    }
}
