package io.github.dragganjvm.app.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.SessionFile;
import io.github.dragganjvm.stylegan.DragGenerator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The HTTP side of the editor on the JDK's built-in server: the page (static files from
 * {@code /io/github/dragganjvm/web/} on the class path) and the JSON API below. Requests are handled on virtual threads that
 * only validate and hand work to the {@link Editor}'s pools; every failure is a JSON {@code {"error": "..."}} with
 * a 4xx status (5xx only for the server's own faults), never a stack trace.
 *
 * <pre>
 * GET    /api/info                         model, resolution, defaults, limits
 * POST   /api/sessions                     {seed?, psi?, noise?} -> state (a new tab's session)
 * GET    /api/sessions/ID                  state
 * DELETE /api/sessions/ID                  frees the session
 * GET    /api/sessions/ID/events           server-sent events: state, step, frame, end, closed
 * GET    /api/sessions/ID/image.png        the current image (?download=1: as an attachment)
 * POST   /api/sessions/ID/image            {seed, psi, noise}: a new image
 * PUT    /api/sessions/ID/points           {pairs: [{handle: [x, y], target: [x, y]}]}
 * PUT    /api/sessions/ID/mask             {mask: null | {size, flexibleRuns} | {width, height, flexibleRuns}}
 * POST   /api/sessions/ID/start            {maxSteps, lr, lambda, tracker, supervision}
 * POST   /api/sessions/ID/stop | reset | undo
 * GET    /api/sessions/ID/session.json     the replayable session file
 * POST   /api/sessions/ID/load             a session file as the body
 * GET    /api/sessions/ID/animation.gif    the last drag's frames
 * </pre>
 * Images, points and masks are in the model's own frame ({@code width} x {@code height} in info and state: a
 * StyleGAN-Human model's 128x256 picture); the session works in the padded square ({@link io.github.dragganjvm.drag.Frame}), and
 * its session.json keeps the square's coordinates.
 * State-changing requests must send {@code Content-Type: application/json} and, when the browser sends an Origin,
 * come from the page's own origin; on a loopback address the Host header must name it too (no DNS rebinding).
 * <p>
 * Bounded against many or slow clients ({@link HttpLimits}): every body has a limit checked before it is read
 * (64 KiB; masks 4 bytes per pixel of the image; session files 1 MiB), large bodies are received a few at a time
 * (the others 503), a body must arrive and a response be taken within a time limit or the connection is closed, and
 * {@link #close()} ends everything within a few seconds (the shutdown hook of {@code ./draggan edit}).
 */
public final class EditorServer implements AutoCloseable {
    /** The body limit of every request but masks and session files. */
    static final int MAX_SMALL_BODY = 64 << 10;
    /** JDK server settings made by {@link #configureJdkServer()}: open connections at most, seconds to send a request's head and body. */
    public static final int MAX_CONNECTIONS = 256, MAX_REQUEST_SECONDS = 60;
    /** How long {@link #close()} waits for a running drag to stop. */
    private static final Duration DRAG_STOP_WAIT = Duration.ofSeconds(3);

    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
    private static final Map<String, String[]> STATIC = Map.of(
            "/", new String[]{"index.html", "text/html; charset=utf-8"},
            "/index.html", new String[]{"index.html", "text/html; charset=utf-8"},
            "/editor.js", new String[]{"editor.js", "text/javascript; charset=utf-8"},
            "/editor.css", new String[]{"editor.css", "text/css; charset=utf-8"});
    private static final String CSP = "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'";

    private final Editor editor;
    private final HttpLimits limits;
    private final HttpServer server;
    private final ExecutorService requestThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService janitor;     // also the timer of the I/O deadlines
    private final IoDeadline deadline;
    private final BodyReader bodies;
    private final Map<String, byte[]> files = new HashMap<>();
    private final boolean loopback;
    private final Set<String> allowedHosts;
    private final String origin;
    private final URI url;

    private EditorServer(Editor editor, HttpLimits limits, String host, int port) throws IOException {
        this.editor = editor;
        this.limits = limits;
        this.janitor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "draggan-edit-janitor");
            t.setDaemon(true);
            return t;
        });
        this.deadline = new IoDeadline(janitor);
        this.bodies = new BodyReader(limits, deadline);
        try {
            for (String[] f : STATIC.values()) files.put(f[0], resource(f[0]));
            InetAddress addr = InetAddress.getByName(host);
            this.loopback = addr.isLoopbackAddress();
            this.server = HttpServer.create(new InetSocketAddress(addr, port), 64);
            server.createContext("/", this::handle);
            server.setExecutor(requestThreads);
            server.start();
            int p = server.getAddress().getPort();
            String h = addr.getHostAddress().contains(":") ? "[" + addr.getHostAddress() + "]" : addr.getHostAddress();
            this.url = URI.create("http://" + h + ":" + p + "/");
            this.origin = "http://" + h + ":" + p;
            this.allowedHosts = new HashSet<>(List.of(h + ":" + p, "localhost:" + p, "127.0.0.1:" + p, "[::1]:" + p));
        } catch (IOException | RuntimeException e) {
            janitor.shutdownNow();
            throw e;
        }
        long every = Math.max(1000, Math.min(30_000, editor.options.idleTimeout().toMillis() / 4));
        janitor.scheduleWithFixedDelay(editor::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the editor on host:port (port 0: any free port) for one model.
     *
     * @param modelRef     the model's identity for session files (may hash a file on first use)
     * @param maxSessions  open sessions at most (the least recently used idle one is closed for a new one)
     * @param idleTimeout  sessions without requests or an open page for this long are closed
     * @param dragLr       the Adam learning rate the page offers first (the model's recommended one)
     */
    public static EditorServer start(DragGenerator generator, Supplier<SessionFile.ModelRef> modelRef, String modelDescription,
                                     String host, int port, int maxSessions, Duration idleTimeout, double dragLr) throws IOException {
        return start(new Editor(generator, modelRef, modelDescription,
                Editor.Options.defaults().withMaxSessions(maxSessions).withIdleTimeout(idleTimeout).withDragLr(dragLr)), HttpLimits.defaults(), host, port);
    }

    static EditorServer start(Editor editor, String host, int port) throws IOException {
        return start(editor, HttpLimits.defaults(), host, port);
    }

    static EditorServer start(Editor editor, HttpLimits limits, String host, int port) throws IOException {
        try {
            return new EditorServer(editor, limits, host, port);
        } catch (IOException | RuntimeException e) {
            editor.close();
            throw e;
        }
    }

    /**
     * Bounds what the JDK's HTTP server does before a handler runs, which this class cannot reach: at most
     * {@value #MAX_CONNECTIONS} open connections, and {@value #MAX_REQUEST_SECONDS} s for a request's head and body
     * to arrive (a client that trickles its headers is disconnected). These are JVM-wide settings read once, so they
     * take effect only when called before the first server of this JVM starts; a value the user set with -D wins.
     */
    public static void configureJdkServer() {
        if (System.getProperty("jdk.httpserver.maxConnections") == null) System.setProperty("jdk.httpserver.maxConnections", "" + MAX_CONNECTIONS);
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) System.setProperty("sun.net.httpserver.maxReqTime", "" + MAX_REQUEST_SECONDS);
    }

    /** The page's address, e.g. http://127.0.0.1:7860/. */
    public URI url() { return url; }

    public int port() { return server.getAddress().getPort(); }

    Editor editor() { return editor; }

    /**
     * Stops accepting requests, ends every session and the pools, and waits up to 3 s for a running drag to stop;
     * returns within about 5 s whatever the clients do (a request still sending its body is cut off).
     *
     * @return whether every drag stopped in time
     */
    public boolean stop() {
        editor.close();                 // asks drags to stop; closes the event streams, so their handlers return
        server.stop(1);                 // at most ~1 s for the handlers still running, then every connection closes
        requestThreads.shutdownNow();   // interrupts what is left (e.g. a body still trickling in)
        janitor.shutdownNow();
        return editor.awaitStopped(DRAG_STOP_WAIT);
    }

    /** As {@link #stop()}. */
    @Override public void close() { stop(); }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = EditorServer.class.getResourceAsStream("/io/github/dragganjvm/web/" + name)) {
            if (in == null) throw new IOException("the editor page's file " + name + " is missing from the class path");
            return in.readAllBytes();
        }
    }

    // ------------------------------------------------------------------ dispatch

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                route(ex);
            } catch (ClientGone | IoDeadline.TimedOut e) {
                throw e;        // the client left or was cut off: nothing to answer; the server drops the connection
            } catch (HttpError e) {
                sendError(ex, e);
            } catch (IllegalArgumentException e) {      // a check of the drag library that the request's own checks missed
                sendError(ex, new HttpError(400, e.getMessage()));
            } catch (IllegalStateException e) {
                sendError(ex, new HttpError(409, e.getMessage()));
            } catch (Throwable t) {
                if (t instanceof UncheckedIOException u && u.getCause() instanceof ClientGone g) throw g;   // the page left mid-request
                System.err.println("draggan edit: internal error in " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + ": " + t);
                if ("1".equals(System.getenv("DRAGGAN_DEBUG"))) t.printStackTrace();
                sendError(ex, new HttpError(500, "internal error: " + (t instanceof OutOfMemoryError ? "out of memory" : t.getClass().getSimpleName()) + " (see the server's console)"));
            }
        }
    }

    /** The client closed the connection; nothing to answer. */
    private static final class ClientGone extends IOException {
        ClientGone(IOException cause) { super(cause); }
    }

    private void route(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        String path = ex.getRequestURI().getPath();
        checkHost(ex);
        String[] f = STATIC.get(path);
        if (f != null) {
            requireMethod(method, "GET", "HEAD");
            Headers h = ex.getResponseHeaders();
            h.set("Content-Security-Policy", CSP);
            sendBytes(ex, 200, f[1], files.get(f[0]), method.equals("HEAD"));
            return;
        }
        if (path.equals("/favicon.ico")) {
            ex.sendResponseHeaders(204, -1);
            return;
        }
        if (!path.startsWith("/api/")) throw HttpError.notFound("no page at " + path);
        if (!method.equals("GET") && !method.equals("HEAD")) checkWriteRequest(ex);
        String[] parts = path.substring(1).split("/", -1);   // api, sessions, ID, action
        if (parts.length == 2 && parts[1].equals("info")) {
            requireMethod(method, "GET");
            sendJson(ex, 200, info());
            return;
        }
        if (parts.length < 2 || !parts[1].equals("sessions")) throw HttpError.notFound("no API endpoint at " + path);
        if (parts.length == 2) {
            requireMethod(method, "POST");
            EditorSession s = EditorSession.create(editor, Json.object(body(ex), true));
            sendJson(ex, 201, s.state());
            return;
        }
        String id = parts[2];
        if (!ID.matcher(id).matches()) throw HttpError.notFound("unknown session '" + id + "' (a session id is 32 hex digits)");
        if (parts.length == 3) {
            requireMethod(method, "GET", "DELETE");
            if (method.equals("DELETE")) {
                if (!editor.remove(id, "closed by the page")) throw HttpError.notFound("unknown session '" + id + "'");
                sendJson(ex, 200, Json.MAPPER.createObjectNode().put("closed", id));
            } else {
                sendJson(ex, 200, editor.get(id).state());
            }
            return;
        }
        if (parts.length != 4) throw HttpError.notFound("no API endpoint at " + path);
        EditorSession s = editor.get(id);
        String action = parts[3];
        switch (action) {
            case "events" -> { requireMethod(method, "GET"); events(ex, s); }
            case "image.png" -> {
                requireMethod(method, "GET");
                String q = ex.getRequestURI().getRawQuery();
                if (q != null && q.contains("download=1")) ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"draggan.png\"");
                sendBytes(ex, 200, "image/png", s.imagePng(), false);
            }
            case "image" -> { requireMethod(method, "POST"); sendJson(ex, 200, s.newImage(Json.object(body(ex), false))); }
            case "points" -> { requireMethod(method, "PUT"); sendJson(ex, 200, s.setPoints(Json.object(body(ex), false))); }
            case "mask" -> { requireMethod(method, "PUT"); sendJson(ex, 200, s.setMask(Json.object(body(ex, HttpLimits.maxMaskBody(editor.resolution), "a mask", ""), false))); }
            case "start" -> { requireMethod(method, "POST"); sendJson(ex, 202, s.start(Json.object(body(ex), true))); }
            case "stop" -> { requireMethod(method, "POST"); emptyBody(ex); sendJson(ex, 200, s.stop()); }
            case "reset" -> { requireMethod(method, "POST"); emptyBody(ex); sendJson(ex, 200, s.reset()); }
            case "undo" -> { requireMethod(method, "POST"); emptyBody(ex); sendJson(ex, 200, s.undo()); }
            case "session.json" -> {
                requireMethod(method, "GET");
                ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"draggan-session.json\"");
                sendBytes(ex, 200, "application/json; charset=utf-8", s.sessionJson().getBytes(StandardCharsets.UTF_8), false);
            }
            case "load" -> { requireMethod(method, "POST"); sendJson(ex, 202, s.load(new String(body(ex, limits.maxSessionBody(), "a session file",
                    " (saved sessions have tens of KB; ./draggan drag --replay FILE replays any size)"), StandardCharsets.UTF_8))); }
            case "animation.gif" -> {
                requireMethod(method, "GET");
                ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"draggan-drag.gif\"");
                sendBytes(ex, 200, "image/gif", s.animationGif(), false);
            }
            default -> throw HttpError.notFound("no API endpoint at " + path);
        }
    }

    private ObjectNode info() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("model", editor.modelDescription);
        n.put("resolution", editor.resolution);
        n.put("width", editor.frame.width()).put("height", editor.frame.height());   // the image the page shows
        DragConfig c = editor.baseConfig();
        ObjectNode d = n.putObject("defaults");
        d.put("seed", 0).put("psi", 0.7).put("noise", "const").put("lr", c.lr()).put("lambda", c.lambdaMask())
                .put("maxSteps", 200).put("tracker", c.tracker().name().toLowerCase(Locale.ROOT))
                .put("supervision", c.supervision().name().toLowerCase(Locale.ROOT));
        ObjectNode l = n.putObject("limits");
        l.put("maxSteps", editor.options.maxSteps()).put("maxPairs", editor.options.maxPairs()).put("maxSessions", editor.options.maxSessions())
                .put("idleMinutes", editor.options.idleTimeout().toMinutes())
                .put("maxBodyBytes", Math.max(limits.maxSessionBody(), HttpLimits.maxMaskBody(editor.resolution)))
                .put("maxSessionBytes", limits.maxSessionBody()).put("maxMaskBytes", HttpLimits.maxMaskBody(editor.resolution));
        return n;
    }

    // ------------------------------------------------------------------ checks

    private static void requireMethod(String method, String... allowed) {
        for (String a : allowed) if (a.equals(method)) return;
        throw HttpError.methodNotAllowed(method, allowed);
    }

    private void checkHost(HttpExchange ex) {
        if (!loopback) return;                 // --host: the user chose to be reachable under other names
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host == null || !allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
            throw new HttpError(403, "this editor answers only to " + url.getAuthority() + " (the request named host '" + host + "')");
        }
    }

    private void checkWriteRequest(HttpExchange ex) {
        String o = ex.getRequestHeaders().getFirst("Origin");
        if (o != null && !o.equalsIgnoreCase(origin) && !(loopback && allowedHosts.contains(o.replaceFirst("^http://", "").toLowerCase(Locale.ROOT)))) {
            throw new HttpError(403, "requests from other web sites (" + o + ") are refused");
        }
        if (ex.getRequestMethod().equalsIgnoreCase("DELETE")) return;
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        if (ct == null || !ct.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new HttpError(415, "send the request body as JSON with Content-Type: application/json (got " + (ct == null ? "none" : ct) + ")");
        }
    }

    /** A small body ({@value #MAX_SMALL_BODY} bytes at most). */
    private byte[] body(HttpExchange ex) throws IOException { return body(ex, MAX_SMALL_BODY, "the request body", ""); }

    /** The body within limit bytes (see {@link BodyReader#read}); a client that left is {@link ClientGone}. */
    private byte[] body(HttpExchange ex, int limit, String what, String hint) throws IOException {
        try {
            return bodies.read(ex, limit, what, hint);
        } catch (IoDeadline.TimedOut | HttpError e) {
            throw e;
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }

    private void emptyBody(HttpExchange ex) throws IOException {
        byte[] b = body(ex);
        String s = new String(b, StandardCharsets.UTF_8).strip();
        if (!s.isEmpty() && !s.equals("{}")) throw HttpError.badRequest("this request takes no body (or {}) but got " + (s.length() > 40 ? s.substring(0, 40) + "..." : s));
    }

    // ------------------------------------------------------------------ responses

    private void sendJson(HttpExchange ex, int status, ObjectNode n) throws IOException {
        sendBytes(ex, status, "application/json; charset=utf-8", Json.bytes(n), false);
    }

    /** Answers a refusal; a client that left or was cut off while it is sent is thrown (ClientGone, TimedOut). */
    private void sendError(HttpExchange ex, HttpError e) throws IOException {
        int status = e.status;
        try {
            if (e.allow != null) ex.getResponseHeaders().set("Allow", e.allow);
            if (e.retryAfterSeconds > 0) ex.getResponseHeaders().set("Retry-After", "" + e.retryAfterSeconds);
            // A refused request's body may be unread (a 413 stops before reading it). The server then closes the
            // connection after answering; say so, or the client pools the connection and its next request (a POST,
            // which it does not retry) fails with no answer at all.
            Headers rq = ex.getRequestHeaders();
            String cl = rq.getFirst("Content-Length");
            if (rq.containsKey("Transfer-Encoding") || (cl != null && !cl.strip().equals("0"))) {
                ex.getResponseHeaders().set("Connection", "close");
                if (status == 413) drainSmallRefusedBody(ex, cl);      // a 503's body waits for a turn: never read it
            }
            sendBytes(ex, status, "application/json; charset=utf-8",
                    Json.bytes(Json.MAPPER.createObjectNode().put("error", e.getMessage()).put("status", status)), false);
        } catch (RuntimeException ignored) {
            // nothing more to say
        }
    }

    /** Refused bodies up to this size are read and discarded before the answer (within the I/O time limit). */
    static final long DRAIN_REFUSED_BODY_MAX = 1 << 20;

    /**
     * Reads and discards what is left of a refused request's body when its Content-Length is at most
     * {@link #DRAIN_REFUSED_BODY_MAX}: closing a socket with unread input makes TCP reset it, and the reset can destroy
     * the answer before the client reads it ("no bytes"). Larger bodies are not read (the connection closes).
     */
    private void drainSmallRefusedBody(HttpExchange ex, String contentLength) throws IOException {
        long n;
        try {
            n = contentLength == null ? -1 : Long.parseLong(contentLength.strip());
        } catch (NumberFormatException e) {
            return;
        }
        if (n <= 0 || n > DRAIN_REFUSED_BODY_MAX) return;
        deadline.run("reading a refused body", limits.ioTimeout(), () -> {
            try (InputStream in = ex.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return null;
        });
    }

    /**
     * Sends a whole response within the I/O time limit. Closing the response also reads what is left of an unread
     * request body (the JDK's drain, up to 64 KiB), which a client that never sends it could otherwise stall forever.
     */
    private void sendBytes(HttpExchange ex, int status, String type, byte[] body, boolean headOnly) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        try {
            deadline.run("sending the response", limits.ioTimeout(), () -> {
                ex.sendResponseHeaders(status, headOnly ? -1 : body.length == 0 ? -1 : body.length);
                if (!headOnly && body.length > 0) {
                    try (OutputStream os = ex.getResponseBody()) {
                        os.write(body);
                    }
                }
                return null;
            });
        } catch (IoDeadline.TimedOut e) {
            throw e;
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }

    /** Server-sent events until the page leaves, the session closes or the server stops. */
    private static void events(HttpExchange ex, EditorSession s) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", "text/event-stream; charset=utf-8");
        h.set("Cache-Control", "no-store");
        h.set("X-Accel-Buffering", "no");
        EventStream stream = s.subscribe();
        try {
            ex.sendResponseHeaders(200, 0);
            OutputStream os = ex.getResponseBody();
            os.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            os.flush();
            while (true) {
                EventStream.Event e = stream.next(15_000);
                if (e == null) {
                    if (stream.isClosed()) break;
                    os.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    s.touch();
                } else {
                    os.write(("event: " + e.name() + "\ndata: " + e.data() + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
                os.flush();
                if (e != null && e.name().equals("closed")) break;
            }
        } catch (IOException e) {
            // the page went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            s.unsubscribe(stream);
        }
    }
}
