package draggan.app.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import draggan.drag.DragConfig;
import draggan.drag.SessionFile;
import draggan.stylegan.Generator;

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
 * {@code /draggan/web/} on the class path) and the JSON API below. Requests are handled on virtual threads that
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
 * PUT    /api/sessions/ID/mask             {mask: null | {size, flexibleRuns}}
 * POST   /api/sessions/ID/start            {maxSteps, lr, lambda, tracker, supervision}
 * POST   /api/sessions/ID/stop | reset | undo
 * GET    /api/sessions/ID/session.json     the replayable session file
 * POST   /api/sessions/ID/load             a session file as the body
 * GET    /api/sessions/ID/animation.gif    the last drag's frames
 * </pre>
 * State-changing requests must send {@code Content-Type: application/json} and, when the browser sends an Origin,
 * come from the page's own origin; on a loopback address the Host header must name it too (no DNS rebinding).
 */
public final class EditorServer implements AutoCloseable {
    /** Body limits: session files and masks may be large, everything else is small. */
    static final int MAX_SMALL_BODY = 64 << 10, MAX_LARGE_BODY = 32 << 20;

    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
    private static final Map<String, String[]> STATIC = Map.of(
            "/", new String[]{"index.html", "text/html; charset=utf-8"},
            "/index.html", new String[]{"index.html", "text/html; charset=utf-8"},
            "/editor.js", new String[]{"editor.js", "text/javascript; charset=utf-8"},
            "/editor.css", new String[]{"editor.css", "text/css; charset=utf-8"});
    private static final String CSP = "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'";

    private final Editor editor;
    private final HttpServer server;
    private final ExecutorService requestThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService janitor;
    private final Map<String, byte[]> files = new HashMap<>();
    private final boolean loopback;
    private final Set<String> allowedHosts;
    private final String origin;
    private final URI url;

    private EditorServer(Editor editor, String host, int port) throws IOException {
        this.editor = editor;
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
        long every = Math.max(1000, Math.min(30_000, editor.options.idleTimeout().toMillis() / 4));
        this.janitor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "draggan-edit-janitor");
            t.setDaemon(true);
            return t;
        });
        janitor.scheduleWithFixedDelay(editor::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the editor on host:port (port 0: any free port) for one model.
     *
     * @param modelRef     the model's identity for session files (may hash a file on first use)
     * @param maxSessions  open sessions at most (the least recently used idle one is closed for a new one)
     * @param idleTimeout  sessions without requests or an open page for this long are closed
     */
    public static EditorServer start(Generator generator, Supplier<SessionFile.ModelRef> modelRef, String modelDescription,
                                     String host, int port, int maxSessions, Duration idleTimeout) throws IOException {
        return start(new Editor(generator, modelRef, modelDescription,
                Editor.Options.defaults().withMaxSessions(maxSessions).withIdleTimeout(idleTimeout)), host, port);
    }

    static EditorServer start(Editor editor, String host, int port) throws IOException {
        try {
            return new EditorServer(editor, host, port);
        } catch (IOException | RuntimeException e) {
            editor.close();
            throw e;
        }
    }

    /** The page's address, e.g. http://127.0.0.1:7860/. */
    public URI url() { return url; }

    public int port() { return server.getAddress().getPort(); }

    Editor editor() { return editor; }

    /** Stops accepting requests, ends every session (their drags stop) and the pools. */
    @Override public void close() {
        janitor.shutdownNow();
        editor.close();                 // closes the event streams, so their handlers return
        server.stop(1);
        requestThreads.shutdownNow();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = EditorServer.class.getResourceAsStream("/draggan/web/" + name)) {
            if (in == null) throw new IOException("the editor page's file " + name + " is missing from the class path");
            return in.readAllBytes();
        }
    }

    // ------------------------------------------------------------------ dispatch

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (HttpError e) {
                sendError(ex, e.status, e.getMessage(), e.allow);
            } catch (IllegalArgumentException e) {      // a check of the drag library that the request's own checks missed
                sendError(ex, 400, e.getMessage(), null);
            } catch (IllegalStateException e) {
                sendError(ex, 409, e.getMessage(), null);
            } catch (Throwable t) {
                if (t instanceof UncheckedIOException u && u.getCause() instanceof ClientGone) return;   // the page left mid-request
                System.err.println("draggan edit: internal error in " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + ": " + t);
                if ("1".equals(System.getenv("DRAGGAN_DEBUG"))) t.printStackTrace();
                sendError(ex, 500, "internal error: " + (t instanceof OutOfMemoryError ? "out of memory" : t.getClass().getSimpleName()) + " (see the server's console)", null);
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
            EditorSession s = EditorSession.create(editor, Json.object(body(ex, MAX_SMALL_BODY), true));
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
            case "image" -> { requireMethod(method, "POST"); sendJson(ex, 200, s.newImage(Json.object(body(ex, MAX_SMALL_BODY), false))); }
            case "points" -> { requireMethod(method, "PUT"); sendJson(ex, 200, s.setPoints(Json.object(body(ex, MAX_SMALL_BODY), false))); }
            case "mask" -> { requireMethod(method, "PUT"); sendJson(ex, 200, s.setMask(Json.object(body(ex, MAX_LARGE_BODY), false))); }
            case "start" -> { requireMethod(method, "POST"); sendJson(ex, 202, s.start(Json.object(body(ex, MAX_SMALL_BODY), true))); }
            case "stop" -> { requireMethod(method, "POST"); emptyBody(ex); sendJson(ex, 200, s.stop()); }
            case "reset" -> { requireMethod(method, "POST"); emptyBody(ex); sendJson(ex, 200, s.reset()); }
            case "undo" -> { requireMethod(method, "POST"); emptyBody(ex); sendJson(ex, 200, s.undo()); }
            case "session.json" -> {
                requireMethod(method, "GET");
                ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"draggan-session.json\"");
                sendBytes(ex, 200, "application/json; charset=utf-8", s.sessionJson().getBytes(StandardCharsets.UTF_8), false);
            }
            case "load" -> { requireMethod(method, "POST"); sendJson(ex, 202, s.load(new String(body(ex, MAX_LARGE_BODY), StandardCharsets.UTF_8))); }
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
        DragConfig c = editor.baseConfig();
        ObjectNode d = n.putObject("defaults");
        d.put("seed", 0).put("psi", 0.7).put("noise", "const").put("lr", c.lr()).put("lambda", c.lambdaMask())
                .put("maxSteps", 200).put("tracker", c.tracker().name().toLowerCase(Locale.ROOT))
                .put("supervision", c.supervision().name().toLowerCase(Locale.ROOT));
        ObjectNode l = n.putObject("limits");
        l.put("maxSteps", editor.options.maxSteps()).put("maxPairs", editor.options.maxPairs()).put("maxSessions", editor.options.maxSessions())
                .put("idleMinutes", editor.options.idleTimeout().toMinutes()).put("maxBodyBytes", MAX_LARGE_BODY);
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

    /** Reads the body, refusing more than limit bytes (413) before reading them all. */
    private static byte[] body(HttpExchange ex, int limit) throws IOException {
        String cl = ex.getRequestHeaders().getFirst("Content-Length");
        if (cl != null) {
            long n;
            try {
                n = Long.parseLong(cl.trim());
            } catch (NumberFormatException e) {
                throw HttpError.badRequest("Content-Length is not a number: " + cl);
            }
            if (n > limit) throw new HttpError(413, "the request body has " + n + " bytes; at most " + limit + " are accepted here");
        }
        InputStream in = ex.getRequestBody();
        byte[] b;
        try {
            b = in.readNBytes(limit + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(new ClientGone(e));
        }
        if (b.length > limit) throw new HttpError(413, "the request body is larger than " + limit + " bytes, the most accepted here");
        return b;
    }

    private static void emptyBody(HttpExchange ex) throws IOException {
        byte[] b = body(ex, MAX_SMALL_BODY);
        String s = new String(b, StandardCharsets.UTF_8).strip();
        if (!s.isEmpty() && !s.equals("{}")) throw HttpError.badRequest("this request takes no body (or {}) but got " + (s.length() > 40 ? s.substring(0, 40) + "..." : s));
    }

    // ------------------------------------------------------------------ responses

    private static void sendJson(HttpExchange ex, int status, ObjectNode n) throws IOException {
        sendBytes(ex, status, "application/json; charset=utf-8", Json.bytes(n), false);
    }

    private static void sendError(HttpExchange ex, int status, String message, String allow) {
        try {
            if (allow != null) ex.getResponseHeaders().set("Allow", allow);
            // A refused request's body may be unread (a 413 stops before reading it). The server then closes the
            // connection after answering; say so, or the client pools the connection and its next request (a POST,
            // which it does not retry) fails with no answer at all.
            Headers rq = ex.getRequestHeaders();
            String cl = rq.getFirst("Content-Length");
            if (rq.containsKey("Transfer-Encoding") || (cl != null && !cl.strip().equals("0"))) ex.getResponseHeaders().set("Connection", "close");
            sendBytes(ex, status, "application/json; charset=utf-8",
                    Json.bytes(Json.MAPPER.createObjectNode().put("error", message).put("status", status)), false);
        } catch (IOException | RuntimeException ignored) {
            // the headers were already sent or the client left: nothing more to say
        }
    }

    private static void sendBytes(HttpExchange ex, int status, String type, byte[] body, boolean headOnly) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        try {
            ex.sendResponseHeaders(status, headOnly ? -1 : body.length == 0 ? -1 : body.length);
            if (!headOnly && body.length > 0) {
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(body);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(new ClientGone(e));
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
