package io.github.dragganjvm.app;

import io.github.dragganjvm.app.web.EditorServer;
import io.github.dragganjvm.app.web.WarmUp;
import io.github.dragganjvm.stylegan.DragGenerator;

import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/** {@code ./draggan edit}: the interactive editor, a local web page served by this JVM. */
final class EditCommand implements Main.Command {
    /** The longest the shutdown hook waits for the server to stop (it normally takes about a second). */
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(6);

    @Override public String summary() { return "the interactive editor: a local web page to click points, paint the mask and drag live"; }

    static Args args() {
        return new Args("edit", """
                Starts the interactive DragGAN editor as a local web application and prints its address. Open it in a
                browser: click the image for a handle, click again for its target, paint the region that may move, press
                Start and watch the drag. Serves only this computer (127.0.0.1) unless --host says otherwise.
                Ctrl-C (or SIGTERM) stops the server within a few seconds, ending a running drag.""")
                .option("model", Models.METAVAR, Models.HELP, null)
                .option(Models.TRANSFORM_OPTION, Models.TRANSFORM_METAVAR, Models.TRANSFORM_HELP, null)
                .option("port", "N", "TCP port (0: any free port)", "7860")
                .option("host", "ADDRESS", "address to listen on; anything but a loopback address exposes the editor to the network", "127.0.0.1")
                .option("max-sessions", "N", "browser tabs served at once (the least recently used idle one makes room)", "8")
                .option("idle-minutes", "N", "close a tab's session after this many minutes without use", "30")
                .option("warm-up", "N", "steps of a throwaway drag before serving, so that the first drag runs at full speed (0: none)",
                        Integer.toString(WarmUp.DEFAULT_STEPS))
                .flag("open", "open the page in the default browser");
    }

    @Override public int run(String[] argv, Console io) throws Exception {
        Args a = args().parse(argv);
        if (a.helpRequested()) {
            io.out().print(a.help());
            return 0;
        }
        io = io.with(a);
        int port = a.intIn("port", 0, 65535);
        String host = a.get("host");
        int maxSessions = a.intIn("max-sessions", 1, 1000);
        int idleMinutes = a.intIn("idle-minutes", 1, 7 * 24 * 60);
        int warmUp = a.intIn("warm-up", 0, 100);
        PrintStream log = io.info();
        InetAddress addr;
        try {
            addr = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new UsageException("--host: unknown address '" + host + "'");
        }
        if (!addr.isLoopbackAddress()) {
            io.warn().println("draggan edit: WARNING: --host " + host + " makes the editor reachable from other computers; it has no"
                    + " authentication, so anyone who can reach this port can use it and its model");
        }

        long t0 = System.nanoTime();
        Models.Loaded m = Models.load(a.get("model"), log, a.get(Models.TRANSFORM_OPTION));
        DragGenerator g = m.generator();
        log.printf(Locale.ROOT, "loaded %s (%dx%d) in %.2f s%n", m.description(), g.resolution(), g.resolution(), (System.nanoTime() - t0) / 1e9);
        if (warmUp > 0) {
            log.printf(Locale.ROOT, "warming up: a throwaway drag of %d steps, so that the first drag runs at full speed (--warm-up 0 skips it)...%n", warmUp);
            log.printf(Locale.ROOT, "warmed up in %.2f s%n", WarmUp.run(g, warmUp));
        }

        EditorServer.configureJdkServer();
        EditorServer server;
        try {
            server = EditorServer.start(g, m::ref, m.description(), host, port, maxSessions, Duration.ofMinutes(idleMinutes), m.dragLr());
        } catch (BindException e) {
            throw new UsageException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + "); is another editor running? try --port 0");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.println("draggan edit: stopping...");
            // the JVM exits when this hook returns: give the server a few seconds to end the drags, never more
            Thread closer = Thread.ofPlatform().daemon().name("draggan-edit-close").start(() -> {
                boolean clean = server.stop();
                log.println(clean ? "draggan edit: stopped" : "draggan edit: stopped (a drag was still finishing its step)");
            });
            try {
                closer.join(SHUTDOWN_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopped.countDown();
        }, "draggan-edit-shutdown"));
        io.out().println("draggan edit: serving on " + server.url() + "  (Ctrl-C stops)");     // the result: the address
        io.out().flush();
        if (a.has("open")) open(server.url(), io.warn());
        stopped.await();
        return 0;
    }

    private static void open(URI url, PrintStream log) {
        try {
            if (java.awt.Desktop.isDesktopSupported() && java.awt.Desktop.getDesktop().isSupported(java.awt.Desktop.Action.BROWSE)) {
                java.awt.Desktop.getDesktop().browse(url);
                return;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // fall through to the platform's opener
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String[] cmd = os.contains("mac") ? new String[]{"open", url.toString()}
                : os.contains("win") ? new String[]{"rundll32", "url.dll,FileProtocolHandler", url.toString()}
                : new String[]{"xdg-open", url.toString()};
        try {
            new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            log.println("draggan edit: could not open a browser (" + e.getMessage() + "); open " + url + " yourself");
        }
    }
}
