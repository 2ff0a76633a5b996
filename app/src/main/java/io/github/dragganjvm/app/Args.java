package io.github.dragganjvm.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small command-line parser: declared options only ({@code --name value}, {@code --name=value}, flags),
 * repeatable options, typed getters with range checks. Every problem is a {@link UsageException} naming the option
 * and what it accepts.
 */
public final class Args {
    /** One declared option. */
    public record Option(String name, String metavar, String help, String defaultValue, boolean flag, boolean repeatable) {}

    private final String command;
    private final String summary;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private String[] raw = new String[0];

    public Args(String command, String summary) {
        this.command = command;
        this.summary = summary;
        flag("help", "show this help and exit");
        flag("quiet", "no informational lines or progress on stderr (errors and warnings are still printed)");
    }

    /** Declares --json: the result as one JSON object on stdout (the human-readable result goes to stderr). */
    public Args jsonFlag() {
        return flag("json", "print the result as one JSON object on stdout (the lines a person reads go to stderr)");
    }

    /** Declares an option taking a value. defaultValue null means "none". */
    public Args option(String name, String metavar, String help, String defaultValue) {
        options.put(name, new Option(name, metavar, help, defaultValue, false, false));
        return this;
    }

    /** Declares an option that may be given several times. */
    public Args repeatable(String name, String metavar, String help) {
        options.put(name, new Option(name, metavar, help, null, false, true));
        return this;
    }

    /** Declares a flag (no value). */
    public Args flag(String name, String help) {
        options.put(name, new Option(name, null, help, null, true, false));
        return this;
    }

    /** Parses argv; fails on unknown options, missing values or repeated single options. */
    public Args parse(String[] argv) {
        this.raw = argv.clone();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) throw new UsageException("unexpected argument '" + a + "' (options start with --; see " + command + " --help)");
            String name = a.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Option o = options.get(name);
            if (o == null) throw new UsageException("unknown option --" + name + " (see " + command + " --help)");
            if (o.flag) {
                if (value != null) throw new UsageException("--" + name + " takes no value");
                value = "true";
            } else if (value == null) {
                if (i + 1 >= argv.length) throw new UsageException("--" + name + " needs a value: " + o.metavar);
                value = argv[++i];
            }
            List<String> vs = values.computeIfAbsent(name, k -> new ArrayList<>());
            if (!o.repeatable && !vs.isEmpty()) throw new UsageException("--" + name + " given more than once");
            vs.add(value);
        }
        return this;
    }

    /** The arguments as given to {@link #parse} (for logs that record the exact command). */
    public String[] raw() { return raw.clone(); }

    public boolean helpRequested() { return has("help"); }

    public boolean has(String name) { return values.containsKey(name); }

    /** The value, or the declared default (may be null). */
    public String get(String name) {
        Option o = declared(name);
        List<String> vs = values.get(name);
        return vs == null ? o.defaultValue : vs.get(0);
    }

    public List<String> all(String name) {
        declared(name);
        return values.getOrDefault(name, List.of());
    }

    /** A required value. */
    public String require(String name) {
        String v = get(name);
        if (v == null) throw new UsageException("missing --" + name + " " + declared(name).metavar + " (" + declared(name).help + ")");
        return v;
    }

    /** An integer in [min, max]. */
    public int intIn(String name, int min, int max) { return (int) longIn(name, min, max); }

    /** A long in [min, max]. */
    public long longIn(String name, long min, long max) {
        String v = require(name);
        long x;
        try {
            x = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer in [" + min + ", " + max + "] but is '" + v + "'");
        }
        if (x < min || x > max) throw new UsageException("--" + name + " must be in [" + min + ", " + max + "] but is " + x);
        return x;
    }

    /** A finite number in [min, max] (NaN and infinities refused). */
    public double doubleIn(String name, double min, double max) {
        String v = require(name);
        double x;
        try {
            x = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number in [" + min + ", " + max + "] but is '" + v + "'");
        }
        if (!Double.isFinite(x) || x < min || x > max) throw new UsageException("--" + name + " must be a finite number in [" + min + ", " + max + "] but is " + v);
        return x;
    }

    /** One of the listed words. */
    public String choice(String name, String... allowed) {
        String v = require(name);
        for (String a : allowed) if (a.equals(v)) return v;
        throw new UsageException("--" + name + " must be one of " + String.join(", ", allowed) + " but is '" + v + "'");
    }

    private Option declared(String name) {
        Option o = options.get(name);
        if (o == null) throw new IllegalStateException("option --" + name + " not declared");
        return o;
    }

    /** The help text: usage line, summary, options with defaults. */
    public String help() {
        StringBuilder sb = new StringBuilder("usage: ./draggan ").append(command).append(" [options]\n\n").append(summary).append("\n\noptions:\n");
        for (Option o : options.values()) {
            String left = "  --" + o.name + (o.flag ? "" : " " + o.metavar);
            sb.append(left);
            sb.append(" ".repeat(Math.max(2, 30 - left.length())));
            sb.append(o.help);
            if (o.defaultValue != null) sb.append(" (default ").append(o.defaultValue).append(')');
            if (o.repeatable) sb.append(" (repeatable)");
            sb.append('\n');
        }
        return sb.toString();
    }
}
