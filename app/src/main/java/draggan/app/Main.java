package draggan.app;

import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of {@code ./draggan}: dispatches to a subcommand. Bad arguments and bad input end with one clear
 * line and exit status 2; I/O problems with one line and status 1; no stack traces unless DRAGGAN_DEBUG=1.
 */
public final class Main {
    private Main() {}

    /** A subcommand. */
    interface Command {
        String summary();

        /** Runs with the arguments after the subcommand name; returns the exit status. */
        int run(String[] args) throws Exception;
    }

    static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("generate", new GenerateCommand());
        COMMANDS.put("drag", new DragCommand());
        COMMANDS.put("drag-eval", new DragEvalCommand());
        COMMANDS.put("edit", new EditCommand());
        COMMANDS.put("train", new TrainCommand());
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            out.print(help());
            return argv.length == 0 ? 2 : 0;
        }
        Command c = COMMANDS.get(argv[0]);
        if (c == null) {
            err.println("draggan: unknown subcommand '" + argv[0] + "' (try ./draggan --help)");
            return 2;
        }
        String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
        try {
            return c.run(rest);
        } catch (UsageException | IllegalArgumentException e) {
            err.println("draggan " + argv[0] + ": " + e.getMessage());
            debug(e, err);
            return 2;
        } catch (IOException | java.io.UncheckedIOException e) {
            err.println("draggan " + argv[0] + ": " + e.getMessage());
            debug(e, err);
            return 1;
        } catch (Exception | OutOfMemoryError e) {
            err.println("draggan " + argv[0] + ": internal error: " + e + " (set DRAGGAN_DEBUG=1 for the stack trace)");
            debug(e, err);
            return 1;
        } finally {
            OutputFolder.discardUncommitted();      // a command that failed leaves no partial output
        }
    }

    private static void debug(Throwable e, PrintStream err) {
        if ("1".equals(System.getenv("DRAGGAN_DEBUG"))) e.printStackTrace(err);
    }

    static String help() {
        StringBuilder sb = new StringBuilder("""
                usage: ./draggan SUBCOMMAND [options]      (./draggan SUBCOMMAND --help for its options)

                DragGAN on the JVM: StyleGAN2 and DragGAN on a tensor library and autodiff of our own.

                subcommands:
                """);
        for (var e : COMMANDS.entrySet()) sb.append(String.format("  %-12s%s%n", e.getKey(), e.getValue().summary()));
        sb.append(String.format("  %-12s%s%n", "bench", "run a short version of the JMH kernel benchmarks and print a table"));
        sb.append(String.format("  %-12s%s%n", "test", "run the project's test suite (what CI runs)"));
        sb.append("""

                Points are x,y with x = column and y = row, in image pixels. Without --model the programs use a
                built-in StyleGAN2 with seeded random weights, so every command works on a fresh clone.
                """);
        return sb.toString();
    }
}
