package io.github.dragganjvm.app.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.SessionFile;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.RandomModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The editor's HTTP API on a real server (free port) over a tiny random model (64 px, channel base 1024, so a drag
 * step takes milliseconds): every endpoint with good input and with each kind of bad input, which must get a 4xx
 * with a JSON error and leave the session exactly as it was; a drag's pushed events; Stop; undo, reset, save, load,
 * export; the session limits.
 */
class EditorServerTest {
    static final int RES = 64;
    static Generator gen;
    static EditorServer server;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws IOException {
        gen = RandomModels.create(RES, 1024, 0);
        server = startServer(Editor.Options.defaults());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static EditorServer startServer(Editor.Options o) throws IOException {
        return EditorServer.start(new Editor(gen, () -> new SessionFile.ModelRef("random:64:1024", null, RES), "tiny test model", o), "127.0.0.1", 0);
    }

    // ------------------------------------------------------------------ HTTP helpers

    record Res(int status, String type, byte[] body) {
        JsonNode json() {
            assertTrue(type.startsWith("application/json"), "expected JSON but got " + type + ": " + text());
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + text(), e);
            }
        }

        String text() { return new String(body, StandardCharsets.UTF_8); }
    }

    static Res call(EditorServer s, String method, String path, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.url().resolve(path)).timeout(Duration.ofSeconds(60));
        if (body == null) b.method(method, HttpRequest.BodyPublishers.noBody());
        else b.method(method, HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Res(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

    static Res get(String path) { return call(server, "GET", path, null, Map.of()); }

    static Res send(String method, String path, String json) {
        return call(server, method, path, json, Map.of("Content-Type", "application/json"));
    }

    /** A 2xx JSON answer. */
    static JsonNode ok(Res r) {
        assertTrue(r.status() >= 200 && r.status() < 300, "expected success but got " + r.status() + ": " + r.text());
        return r.json();
    }

    /** A refusal: the status, a JSON body {"error": words}, no stack trace. */
    static String refused(int status, Res r) {
        assertEquals(status, r.status(), "status of " + r.text());
        JsonNode e = r.json();
        assertTrue(e.hasNonNull("error") && !e.get("error").asText().isBlank(), "an error message in words: " + r.text());
        assertFalse(r.text().contains("\tat ") || r.text().contains("Exception"), "no stack trace or exception class: " + r.text());
        return e.get("error").asText();
    }

    static String newSession() {
        return ok(send("POST", "/api/sessions", "{\"seed\": 1}")).get("id").asText();
    }

    static JsonNode state(String id) { return ok(get("/api/sessions/" + id)); }

    static JsonNode state(EditorServer s, String id) { return ok(call(s, "GET", "/api/sessions/" + id, null, Map.of())); }

    static String pairs(int... xyxy) {
        StringBuilder sb = new StringBuilder("{\"pairs\": [");
        for (int i = 0; i < xyxy.length; i += 4) {
            if (i > 0) sb.append(',');
            sb.append("{\"handle\": [").append(xyxy[i]).append(", ").append(xyxy[i + 1]).append("], \"target\": [")
                    .append(xyxy[i + 2]).append(", ").append(xyxy[i + 3]).append("]}");
        }
        return sb.append("]}").toString();
    }

    /** Sends a bad request and checks the status, the error body and that the session's state did not change. */
    static String refusedUnchanged(int status, String id, String method, String action, String body) {
        JsonNode before = state(id);
        String msg = refused(status, send(method, "/api/sessions/" + id + "/" + action, body));
        assertEquals(before, state(id), "a refused " + action + " changed the state: " + msg);
        return msg;
    }

    /** As {@link #refusedUnchanged} while a drag runs: what the drag itself moves (steps, tracked handles, frames) may differ. */
    static void refusedWhileRunning(String id, String method, String action, String body) {
        JsonNode before = stable(state(id));
        String msg = refused(409, send(method, "/api/sessions/" + id + "/" + action, body));
        assertEquals(before, stable(state(id)), "a refused " + action + " changed the state: " + msg);
    }

    static JsonNode stable(JsonNode state) {
        ObjectNode s = state.deepCopy();
        s.remove(List.of("totalSteps", "frames"));
        for (JsonNode p : s.get("pairs")) ((ObjectNode) p).remove("handle");
        return s;
    }

    // ------------------------------------------------------------------ server-sent events

    record Event(String name, JsonNode data) {}

    /** Reads a session's event stream on a background thread. */
    static final class Events implements AutoCloseable {
        final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
        final java.util.concurrent.CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> response;

        Events(String id) { this(server, id); }

        Events(EditorServer s, String id) {
            HttpRequest req = HttpRequest.newBuilder(s.url().resolve("/api/sessions/" + id + "/events")).GET().build();
            response = http.sendAsync(req, HttpResponse.BodyHandlers.ofLines());
            Thread t = new Thread(() -> {
                try {
                    HttpResponse<java.util.stream.Stream<String>> r = response.get(30, TimeUnit.SECONDS);
                    String[] name = {null};
                    r.body().forEach(line -> {
                        if (line.startsWith("event: ")) name[0] = line.substring(7);
                        else if (line.startsWith("data: ")) {
                            try {
                                queue.add(new Event(name[0], Json.MAPPER.readTree(line.substring(6))));
                            } catch (IOException e) {
                                queue.add(new Event("bad-json", null));
                            }
                        }
                    });
                } catch (Exception ignored) {
                    // closed
                }
            }, "sse-reader");
            t.setDaemon(true);
            t.start();
        }

        /** The first event matching, skipping others (collected into seen when given). */
        Event await(Predicate<Event> p, int seconds, List<Event> seen) throws InterruptedException {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                Event e = queue.poll(200, TimeUnit.MILLISECONDS);
                if (e == null) continue;
                if (seen != null) seen.add(e);
                if (p.test(e)) return e;
            }
            fail("no matching event within " + seconds + " s; seen " + (seen == null ? "?" : seen.stream().map(Event::name).toList()));
            return null;
        }

        @Override public void close() { response.cancel(true); }
    }

    static Predicate<Event> named(String n) { return e -> e.name().equals(n); }

    // ------------------------------------------------------------------ the page and the info

    @Test
    void servesThePageAndItsFilesLocally() {
        Res page = get("/");
        assertEquals(200, page.status());
        assertTrue(page.type().startsWith("text/html"));
        assertTrue(page.text().contains("editor.js") && page.text().contains("<canvas"), page.text());
        assertFalse(page.text().contains("http://") || page.text().contains("https://"), "the page loads nothing from the network");
        Res js = get("/editor.js");
        assertEquals(200, js.status());
        assertTrue(js.type().startsWith("text/javascript"));
        assertFalse(js.text().contains("https://"), "the script loads nothing from the network");
        assertEquals(200, get("/editor.css").status());
        refused(404, get("/nothing-here"));
        refused(404, get("/../etc/passwd"));
        refused(405, send("POST", "/", "{}"));
        refused(404, get("/api/nothing"));
    }

    @Test
    void infoNamesTheModelAndTheDefaults() {
        JsonNode i = ok(get("/api/info"));
        assertEquals(RES, i.get("resolution").asInt());
        assertEquals("tiny test model", i.get("model").asText());
        assertEquals(0.001, i.get("defaults").get("lr").asDouble());
        assertEquals(20, i.get("defaults").get("lambda").asDouble());
        refused(405, send("POST", "/api/info", "{}"));
    }

    // ------------------------------------------------------------------ sessions

    @Test
    void createsSessionsAndRefusesBadSettings() {
        JsonNode s = ok(send("POST", "/api/sessions", "{\"seed\": 5, \"psi\": 0.5, \"noise\": \"none\"}"));
        assertEquals(32, s.get("id").asText().length());
        assertEquals(5, s.get("seed").asLong());
        assertEquals(0.5, s.get("psi").asDouble());
        assertEquals("none", s.get("noise").asText());
        assertEquals(0, s.get("pairs").size());
        assertTrue(s.get("busy").isNull());
        ok(send("POST", "/api/sessions", ""));     // every setting has a default

        refused(400, send("POST", "/api/sessions", "{\"seed\": -1}"));
        refused(400, send("POST", "/api/sessions", "{\"seed\": 4294967296}"));
        refused(400, send("POST", "/api/sessions", "{\"seed\": 1.5}"));
        refused(400, send("POST", "/api/sessions", "{\"psi\": \"high\"}"));
        refused(400, send("POST", "/api/sessions", "{\"psi\": NaN}"));
        refused(400, send("POST", "/api/sessions", "{\"psi\": 1e999}"));
        refused(400, send("POST", "/api/sessions", "{\"noise\": \"loud\"}"));
        assertTrue(refused(400, send("POST", "/api/sessions", "{\"sed\": 1}")).contains("unknown field 'sed'"));
        refused(400, send("POST", "/api/sessions", "{\"seed\": 1"));
        refused(400, send("POST", "/api/sessions", "{\"seed\": 1} {}"));
        refused(400, send("POST", "/api/sessions", "{\"seed\": 1, \"seed\": 2}"));
        refused(400, send("POST", "/api/sessions", "[1, 2]"));
        refused(400, send("POST", "/api/sessions", "\u0000\u0001garbage"));
        refused(415, call(server, "POST", "/api/sessions", "{}", Map.of("Content-Type", "text/plain")));
        refused(403, call(server, "POST", "/api/sessions", "{}", Map.of("Content-Type", "application/json", "Origin", "http://evil.example")));
        refused(405, send("PUT", "/api/sessions", "{}"));
    }

    @Test
    void unknownSessionsAre404() {
        String nobody = "0123456789abcdef0123456789abcdef";
        assertTrue(refused(404, get("/api/sessions/" + nobody)).contains("unknown session"));
        refused(404, send("PUT", "/api/sessions/" + nobody + "/points", pairs(1, 1, 5, 5)));
        refused(404, send("POST", "/api/sessions/" + nobody + "/start", "{}"));
        refused(404, get("/api/sessions/" + nobody + "/events"));
        refused(404, get("/api/sessions/not-an-id/image.png"));
        refused(404, get("/api/sessions/" + newSession() + "/no-such-action"));
    }

    @Test
    void deleteFreesTheSession() {
        String id = newSession();
        ok(call(server, "DELETE", "/api/sessions/" + id, null, Map.of()));
        refused(404, get("/api/sessions/" + id));
        refused(404, call(server, "DELETE", "/api/sessions/" + id, null, Map.of()));
    }

    // ------------------------------------------------------------------ points and mask

    @Test
    void pointsAreReplacedWholeAndValidated() {
        String id = newSession();
        JsonNode s = ok(send("PUT", "/api/sessions/" + id + "/points", pairs(10, 20, 30, 25, 40, 40, 50, 50)));
        assertEquals(2, s.get("pairs").size());
        assertEquals(10, s.get("pairs").get(0).get("handle").get(0).asDouble());
        assertEquals(20, s.get("pairs").get(0).get("handle").get(1).asDouble());
        assertEquals(25, s.get("pairs").get(0).get("target").get(1).asDouble());

        String path = "points";
        assertTrue(refusedUnchanged(400, id, "PUT", path, pairs(10, 20, 64, 20)).contains("off the image"));
        refusedUnchanged(400, id, "PUT", path, pairs(-1, 20, 30, 20));
        refusedUnchanged(400, id, "PUT", path, "{\"pairs\": [{\"handle\": [NaN, 1], \"target\": [3, 3]}]}");
        refusedUnchanged(400, id, "PUT", path, "{\"pairs\": [{\"handle\": [1e999, 1], \"target\": [3, 3]}]}");
        refusedUnchanged(400, id, "PUT", path, "{\"pairs\": [{\"handle\": [\"1\", 1], \"target\": [3, 3]}]}");
        refusedUnchanged(400, id, "PUT", path, "{\"pairs\": [{\"handle\": [1, 1, 1], \"target\": [3, 3]}]}");
        refusedUnchanged(400, id, "PUT", path, "{\"pairs\": [{\"handle\": [1, 1]}]}");
        refusedUnchanged(400, id, "PUT", path, "{\"pairs\": [{\"handle\": [1, 1], \"target\": [3, 3], \"extra\": 1}]}");
        refusedUnchanged(400, id, "PUT", path, "{\"pairs\": [7]}");
        refusedUnchanged(400, id, "PUT", path, "{\"pairs\": {}}");
        refusedUnchanged(400, id, "PUT", path, "{}");
        refusedUnchanged(400, id, "PUT", path, "");
        // the second pair is bad: the first must not be applied either
        assertTrue(refusedUnchanged(400, id, "PUT", path, pairs(1, 1, 5, 5, 7, 7, 7, 7)).contains("target equals its handle"));
        int[] many = new int[4 * 65];
        for (int i = 0; i < 65; i++) many[4 * i + 2] = many[4 * i + 3] = 1;
        refusedUnchanged(400, id, "PUT", path, pairs(many));
        assertEquals(405, send("POST", "/api/sessions/" + id + "/points", pairs(1, 1, 5, 5)).status());

        ok(send("PUT", "/api/sessions/" + id + "/points", "{\"pairs\": []}"));
        assertEquals(0, state(id).get("pairs").size());
    }

    @Test
    void oversizedBodiesAre413() {
        String id = newSession();
        String big = "{\"pairs\": [], \"pad\": \"" + "x".repeat(EditorServer.MAX_SMALL_BODY + 10) + "\"}";
        refusedUnchanged(413, id, "PUT", "points", big);
        refused(413, send("POST", "/api/sessions", big));
    }

    @Test
    void aRefusedUnreadBodyClosesTheConnectionSoTheNextPostStillGetsAnAnswer() throws Exception {
        String id = newSession();
        String big = "{\"pairs\": [], \"pad\": \"" + "x".repeat(4 * EditorServer.MAX_SMALL_BODY) + "\"}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.url().resolve("/api/sessions/" + id + "/points"))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(big)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode(), r.body());
        assertEquals("close", r.headers().firstValue("Connection").orElse("(none)"), "the 413 must announce that the connection closes");
        for (int i = 0; i < 20; i++) {          // the pooled-connection race: each POST right after a refused big body
            refused(413, send("PUT", "/api/sessions/" + id + "/points", big));
            assertFalse(newSession().isBlank());
        }
    }

    @Test
    void maskIsValidatedAgainstTheImageSize() {
        String id = newSession();
        int n = RES * RES;
        JsonNode s = ok(send("PUT", "/api/sessions/" + id + "/mask", "{\"mask\": {\"size\": 64, \"flexibleRuns\": [100, 200, " + (n - 300) + "]}}"));
        assertEquals("[100,200," + (n - 300) + "]", s.get("mask").get("flexibleRuns").toString());

        assertTrue(refusedUnchanged(400, id, "PUT", "mask", "{\"mask\": {\"size\": 32, \"flexibleRuns\": [10, 20, " + (32 * 32 - 30) + "]}}").contains("32x32"));
        refusedUnchanged(400, id, "PUT", "mask", "{\"mask\": {\"size\": 64, \"flexibleRuns\": [10, 20]}}");
        refusedUnchanged(400, id, "PUT", "mask", "{\"mask\": {\"size\": 64, \"flexibleRuns\": [-10, 20, " + (n - 10) + "]}}");
        refusedUnchanged(400, id, "PUT", "mask", "{\"mask\": {\"size\": 64, \"flexibleRuns\": [1.5, " + (n - 1.5) + "]}}");
        refusedUnchanged(400, id, "PUT", "mask", "{\"mask\": {\"size\": 64, \"flexibleRuns\": [" + n + ", 1]}}");
        refusedUnchanged(400, id, "PUT", "mask", "{\"mask\": {\"size\": 64}}");
        refusedUnchanged(400, id, "PUT", "mask", "{\"mask\": [1, 0]}");
        refusedUnchanged(400, id, "PUT", "mask", "{\"mask\": {\"size\": 64, \"flexibleRuns\": [" + n + "], \"bits\": 1}}");
        refusedUnchanged(400, id, "PUT", "mask", "{}");

        s = ok(send("PUT", "/api/sessions/" + id + "/mask", "{\"mask\": null}"));
        assertTrue(s.get("mask").isNull());
    }

    // ------------------------------------------------------------------ images

    static BufferedImage png(byte[] b) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(b));
        assertNotNull(img, "a PNG");
        return img;
    }

    @Test
    void imageIsAPngOfTheModelsSizeAndNewImagesChangeIt() throws IOException {
        String id = newSession();
        Res r = get("/api/sessions/" + id + "/image.png");
        assertEquals(200, r.status());
        assertEquals("image/png", r.type());
        BufferedImage a = png(r.body());
        assertEquals(RES, a.getWidth());
        assertEquals(RES, a.getHeight());
        ok(send("PUT", "/api/sessions/" + id + "/points", pairs(10, 10, 20, 20)));

        JsonNode s = ok(send("POST", "/api/sessions/" + id + "/image", "{\"seed\": 77, \"psi\": 0.7, \"noise\": \"const\"}"));
        assertEquals(77, s.get("seed").asLong());
        assertEquals(1, s.get("imageVersion").asInt());
        assertEquals(1, s.get("pairs").size(), "a new image keeps the points");
        byte[] b = get("/api/sessions/" + id + "/image.png?v=1").body();
        assertFalse(java.util.Arrays.equals(r.body(), b), "another seed gives another image");

        refusedUnchanged(400, id, "POST", "image", "{\"seed\": \"x\"}");
        refusedUnchanged(400, id, "POST", "image", "{\"seed\": 1, \"colour\": 2}");
        refusedUnchanged(400, id, "POST", "image", "");
        assertEquals("attachment; filename=\"draggan.png\"", java.net.http.HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(server.url().resolve("/api/sessions/" + id + "/image.png?download=1")).build(),
                HttpResponse.BodyHandlers.discarding()).join().headers().firstValue("Content-Disposition").orElse(""));
    }

    // ------------------------------------------------------------------ drags

    @Test
    void everyStepOfADragMakesAFrameSentInOrderBeforeTheEnd() throws Exception {
        EditorServer s = startServer(Editor.Options.defaults().withMinFrameIntervalMs(0));
        try {
            String id = ok(call(s, "POST", "/api/sessions", "{\"seed\": 2}", JSON)).get("id").asText();
            ok(call(s, "PUT", "/api/sessions/" + id + "/points", pairs(12, 30, 50, 34), JSON));
            try (Events ev = new Events(s, id)) {
                ev.await(named("state"), 10, null);
                int run = ok(call(s, "POST", "/api/sessions/" + id + "/start", "{\"maxSteps\": 12, \"lr\": 0.002}", JSON)).get("run").asInt();
                List<Event> seen = new ArrayList<>();
                Event end = ev.await(named("end"), 120, seen);
                int steps = end.data().get("steps").asInt();
                List<Integer> stepEvents = new ArrayList<>(), frameEvents = new ArrayList<>();
                for (Event e : seen) {
                    if (e.name().equals("step")) stepEvents.add(e.data().get("step").asInt());
                    if (e.name().equals("frame")) {
                        int k = e.data().get("step").asInt();
                        assertTrue(stepEvents.contains(k), "frame " + k + " came before its step event; events " + seen.stream().map(Event::name).toList());
                        assertEquals(run, e.data().get("run").asInt());
                        assertEquals(RES, png(Base64.getDecoder().decode(e.data().get("png").asText())).getWidth());
                        frameEvents.add(k);
                    }
                }
                List<Integer> all = java.util.stream.IntStream.rangeClosed(1, steps).boxed().toList();
                assertEquals(all, stepEvents, "one step event per step");
                // a frame still queued for a slow reader is replaced by the next (EventStream), so the page may see fewer
                assertEquals(frameEvents.stream().sorted().distinct().toList(), frameEvents, "frames in step order");
                assertTrue(frameEvents.contains(1) && !frameEvents.isEmpty(), "frames " + frameEvents);
                assertEquals(steps + 1, state(s, id).get("frames").asInt(), "the server made a frame for every step (plus the final image)");
            }
        } finally {
            s.close();
        }
    }

    @Test
    void aDragPushesFramesAndStopEndsIt() throws Exception {
        String id = newSession();
        ok(send("PUT", "/api/sessions/" + id + "/points", pairs(20, 32, 44, 32)));
        try (Events ev = new Events(id)) {
            ev.await(named("state"), 10, null);          // the stream opens with the state
            // the smallest learning rate the editor takes: w+ hardly moves, so the handle stays and the drag is still
            // running when the test tries its edits and stops it (a random model's drag can arrive within a second)
            JsonNode s = ok(send("POST", "/api/sessions/" + id + "/start", "{\"maxSteps\": 5000, \"lr\": 1e-6, \"lambda\": 20, \"tracker\": \"reference\"}"));
            assertEquals("drag", s.get("busy").asText());
            int run = s.get("run").asInt();
            List<Event> seen = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Event f = ev.await(named("frame"), 60, seen);
                assertEquals(run, f.data().get("run").asInt());
                BufferedImage img = png(Base64.getDecoder().decode(f.data().get("png").asText()));
                assertEquals(RES, img.getWidth());
                assertEquals(1, f.data().get("handles").size());
                assertEquals(44, f.data().get("targets").get(0).get(0).asDouble());
            }
            assertTrue(seen.stream().filter(named("step")).count() + 3 >= 3);

            // while it runs: edits are refused with 409 and change nothing
            refusedWhileRunning(id, "PUT", "points", pairs(1, 1, 5, 5));
            refusedWhileRunning(id, "PUT", "mask", "{\"mask\": null}");
            refusedWhileRunning(id, "POST", "start", "{}");
            refusedWhileRunning(id, "POST", "undo", "{}");
            refusedWhileRunning(id, "POST", "reset", "{}");
            refusedWhileRunning(id, "POST", "image", "{\"seed\": 3}");
            refused(409, get("/api/sessions/" + id + "/session.json"));
            assertEquals(200, get("/api/sessions/" + id).status(), "reading the state never waits for the drag");

            ok(send("POST", "/api/sessions/" + id + "/stop", ""));
            Event end = ev.await(named("end"), 60, seen);
            assertEquals("STOPPED", end.data().get("reason").asText());
            assertTrue(end.data().get("error").isNull());
            assertTrue(end.data().get("steps").asInt() >= 3);
            png(Base64.getDecoder().decode(end.data().get("png").asText()));
            // steps after the end? none: the end is the last event of the run
            JsonNode after = state(id);
            assertTrue(after.get("busy").isNull());
            assertTrue(after.get("canUndo").asBoolean());
            assertEquals(1, after.get("drags").asInt());
            assertTrue(after.get("frames").asInt() >= 4);
            ok(send("POST", "/api/sessions/" + id + "/stop", "{}"));   // stopping nothing is fine

            // after Stop the user can add points and start again
            JsonNode p = after.get("pairs").get(0);
            ok(send("PUT", "/api/sessions/" + id + "/points", "{\"pairs\": [{\"handle\": " + p.get("handle") + ", \"target\": [44, 32]}, "
                    + "{\"handle\": [10, 10], \"target\": [14, 10]}]}"));
            ok(send("POST", "/api/sessions/" + id + "/start", "{\"maxSteps\": 2, \"lr\": 1e-6}"));
            Event end2 = ev.await(named("end"), 60, null);
            assertEquals("MAX_STEPS", end2.data().get("reason").asText());
            assertEquals(2, end2.data().get("steps").asInt());
            assertEquals(2, state(id).get("drags").asInt());
        }
    }

    @Test
    void startIsValidated() {
        String id = newSession();
        assertTrue(refusedUnchanged(400, id, "POST", "start", "{}").contains("no handle/target pairs"));
        ok(send("PUT", "/api/sessions/" + id + "/points", pairs(20, 32, 44, 32)));
        refusedUnchanged(400, id, "POST", "start", "{\"maxSteps\": 0}");
        refusedUnchanged(400, id, "POST", "start", "{\"maxSteps\": 1000000}");
        refusedUnchanged(400, id, "POST", "start", "{\"lr\": -1}");
        refusedUnchanged(400, id, "POST", "start", "{\"lr\": NaN}");
        refusedUnchanged(400, id, "POST", "start", "{\"lambda\": -1}");
        refusedUnchanged(400, id, "POST", "start", "{\"tracker\": \"best\"}");
        refusedUnchanged(400, id, "POST", "start", "{\"supervision\": \"sideways\"}");
        refusedUnchanged(400, id, "POST", "start", "{\"steps\": 10}");
        refusedUnchanged(400, id, "POST", "stop", "{\"now\": true}");
    }

    @Test
    void aDragMovesTheHandleTowardItsTargetAndUndoResetRestore() throws Exception {
        String id = newSession();
        byte[] original = get("/api/sessions/" + id + "/image.png").body();
        ok(send("PUT", "/api/sessions/" + id + "/points", pairs(24, 32, 40, 32)));
        ok(send("PUT", "/api/sessions/" + id + "/mask", "{\"mask\": {\"size\": 64, \"flexibleRuns\": [" + (16 * 64) + ", " + (32 * 64) + ", " + (16 * 64) + "]}}"));
        refusedUnchanged(409, id, "POST", "undo", "");
        refused(409, get("/api/sessions/" + id + "/animation.gif"));
        try (Events ev = new Events(id)) {
            ev.await(named("state"), 10, null);
            ok(send("POST", "/api/sessions/" + id + "/start", "{\"maxSteps\": 40, \"lr\": 0.003}"));
            Event end = ev.await(named("end"), 120, null);
            assertTrue(end.data().get("error").isNull(), end.data().toString());
            double x = end.data().get("pairs").get(0).get("handle").get(0).asDouble();
            double y = end.data().get("pairs").get(0).get("handle").get(1).asDouble();
            assertTrue(Math.hypot(40 - x, 32 - y) < 16 - 2, "the handle moved toward its target: now at " + x + "," + y);
            assertEquals(0.003, state(id).get("config").get("lr").asDouble());
        }
        byte[] dragged = get("/api/sessions/" + id + "/image.png").body();
        assertFalse(java.util.Arrays.equals(original, dragged), "the drag changed the image");

        Res gif = get("/api/sessions/" + id + "/animation.gif");
        assertEquals(200, gif.status());
        assertEquals("image/gif", gif.type());
        assertEquals("GIF89a", new String(gif.body(), 0, 6, StandardCharsets.US_ASCII));

        JsonNode u = ok(send("POST", "/api/sessions/" + id + "/undo", ""));
        assertFalse(u.get("canUndo").asBoolean());
        assertEquals(24, u.get("pairs").get(0).get("handle").get(0).asDouble(), "undo puts the handle back");
        assertArrayEquals(original, get("/api/sessions/" + id + "/image.png").body(), "undo restores the image");
        assertTrue(refusedUnchanged(409, id, "POST", "undo", "").contains("nothing to undo"));

        JsonNode r = ok(send("POST", "/api/sessions/" + id + "/reset", ""));
        assertEquals(0, r.get("drags").asInt());
        assertArrayEquals(original, get("/api/sessions/" + id + "/image.png").body(), "reset restores the image");
    }

    // ------------------------------------------------------------------ session files

    @Test
    void savedSessionsLoadBackToTheSameImage() throws Exception {
        String id = newSession();
        ok(send("PUT", "/api/sessions/" + id + "/points", pairs(24, 32, 40, 32)));
        String json;
        byte[] image;
        try (Events ev = new Events(id)) {
            ev.await(named("state"), 10, null);
            ok(send("POST", "/api/sessions/" + id + "/start", "{\"maxSteps\": 6, \"lr\": 0.002}"));
            ev.await(named("end"), 120, null);
            ok(send("PUT", "/api/sessions/" + id + "/points", pairs(30, 30, 30, 40)));
            ok(send("POST", "/api/sessions/" + id + "/start", "{\"maxSteps\": 4, \"lr\": 0.004, \"tracker\": \"template\", \"supervision\": \"original\"}"));
            ev.await(named("end"), 120, null);
            Res saved = get("/api/sessions/" + id + "/session.json");
            assertEquals(200, saved.status());
            json = saved.text();
            image = get("/api/sessions/" + id + "/image.png").body();
        }
        SessionFile.State st = SessionFile.parse(json);
        assertEquals(2, st.drags().size());
        assertEquals(0.002, st.drags().get(0).config().lr());
        assertEquals(0.004, st.drags().get(1).config().lr(), "each drag keeps its own config");
        assertEquals(DragConfig.Supervision.REFERENCE, st.drags().get(0).config().supervision());
        assertEquals(DragConfig.Supervision.ORIGINAL, st.drags().get(1).config().supervision());
        assertEquals("random:64:1024", st.model().source());

        String other = newSession();
        ok(send("POST", "/api/sessions/" + other + "/image", "{\"seed\": 9}"));
        try (Events ev = new Events(other)) {
            ev.await(named("state"), 10, null);
            JsonNode s = ok(send("POST", "/api/sessions/" + other + "/load", json));
            assertEquals("load", s.get("busy").asText());
            Event end = ev.await(named("end"), 120, null);
            assertEquals("LOADED", end.data().get("reason").asText(), end.data().toString());
            assertEquals(10, end.data().get("steps").asInt());
        }
        JsonNode s = state(other);
        assertEquals(1, s.get("seed").asLong());
        assertEquals(2, s.get("drags").asInt());
        assertEquals("original", s.get("config").get("supervision").asText(), "the loaded session goes on with its last drag's config");
        assertEquals("[30.0,40.0]", s.get("pairs").get(0).get("target").toString());
        assertArrayEquals(image, get("/api/sessions/" + other + "/image.png").body(), "replaying the file gives the same image");

        // bad files: refused, nothing changes
        refusedUnchanged(400, other, "POST", "load", "{\"format\": \"draggan-session/1\"");
        assertTrue(refusedUnchanged(400, other, "POST", "load", "{\"format\": \"something/2\"}").contains("format"));
        refusedUnchanged(400, other, "POST", "load", json.replace("\"resolution\" : 64", "\"resolution\" : 256"));
        refusedUnchanged(400, other, "POST", "load", json.replace("random:64:1024", "random:64"));
        refusedUnchanged(400, other, "POST", "load", json.replace("[ 30.0, 40.0 ]", "[ 30.0, 400.0 ]"));
        ObjectNode tampered = (ObjectNode) Json.MAPPER.readTree(json);
        tampered.set("wsShape", Json.MAPPER.createArrayNode().add(1).add(5).add(1024));   // as many floats, the wrong shape
        refusedUnchanged(400, other, "POST", "load", Json.text(tampered));
        refusedUnchanged(400, other, "POST", "load", "");
    }

    // ------------------------------------------------------------------ limits

    @Test
    void sessionsAreBoundedInNumberAndIdleTime() throws Exception {
        try (EditorServer small = startServer(Editor.Options.defaults().withMaxSessions(2).withIdleTimeout(Duration.ofMillis(1500)))) {
            Map<String, String> json = Map.of("Content-Type", "application/json");
            String a = ok(call(small, "POST", "/api/sessions", "{}", json)).get("id").asText();
            String b = ok(call(small, "POST", "/api/sessions", "{}", json)).get("id").asText();
            ok(call(small, "GET", "/api/sessions/" + a, null, Map.of()));          // a is now the most recently used
            String c = ok(call(small, "POST", "/api/sessions", "{}", json)).get("id").asText();
            assertEquals(2, small.editor().sessionCount());
            refused(404, call(small, "GET", "/api/sessions/" + b, null, Map.of()));   // the least recently used made room
            ok(call(small, "GET", "/api/sessions/" + a, null, Map.of()));
            assertNotEquals(a, c);

            long end = System.currentTimeMillis() + 10_000;
            while (small.editor().sessionCount() > 0 && System.currentTimeMillis() < end) Thread.sleep(200);
            assertEquals(0, small.editor().sessionCount(), "idle sessions are closed");
            refused(404, call(small, "GET", "/api/sessions/" + a, null, Map.of()));
        }
    }

    @Test
    void refusesOtherHostNamesAgainstDnsRebinding() throws IOException {
        // java.net.http will not send a chosen Host header, so this one request goes over a plain socket
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", server.port())) {
            sock.getOutputStream().write("GET /api/info HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(sock.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
            assertTrue(answer.contains("\"error\""), answer);
        }
        assertEquals(200, get("/api/info").status());
    }
}
