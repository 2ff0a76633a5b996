package io.github.dragganjvm.app.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dragganjvm.drag.SessionFile;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.RandomModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The editor under hostile or slow clients (issue 12): many concurrent oversized uploads are refused from their
 * Content-Length without being read, large bodies are received two at a time (the rest 503), bodies and refusals
 * have a time limit (a client that stalls or trickles is disconnected), and through all of it the editor keeps
 * answering normal requests. The limits are shrunk (0.6 s I/O limit, 0.3 s wait for a turn) so this runs in seconds.
 */
class EditorServerLimitsTest {
    static final Duration IO_TIMEOUT = Duration.ofMillis(600), TURN_WAIT = Duration.ofMillis(300);
    static final long CLOSE_SLACK_MS = 4000;      // a closed connection is noticed within the limit plus this (a loaded CI machine)
    static Generator gen;
    static EditorServer server;
    static String id;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws Exception {
        gen = RandomModels.create(64, 256, 0);        // channel base 256: a step takes a few milliseconds
        server = EditorServer.start(new Editor(gen, () -> new SessionFile.ModelRef("random:64:256", null, 64), "tiny test model", Editor.Options.defaults()),
                HttpLimits.defaults().withLargeBodies(2, TURN_WAIT).withIoTimeout(IO_TIMEOUT), "127.0.0.1", 0);
        id = json(send("POST", "/api/sessions", "{\"seed\": 1}"), 201).get("id").asText();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.url().resolve(path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    static JsonNode json(RawHttp.Response r, int status) throws IOException {
        assertNotNull(r, "an answer (the server closed the connection without one)");
        assertEquals(status, r.status(), r.head() + r.body());
        JsonNode n = Json.MAPPER.readTree(r.body());
        assertTrue(n.hasNonNull("error") && !n.get("error").asText().isBlank(), "a JSON error in words: " + r.body());
        return n;
    }

    /** A normal request answers, and how long it took. */
    static long infoAnswersMillis() throws Exception {
        long t0 = System.nanoTime();
        JsonNode info = json(send("GET", "/api/info", null), 200);
        assertEquals(64, info.get("resolution").asInt());
        JsonNode st = json(send("PUT", "/api/sessions/" + id + "/points", "{\"pairs\": [{\"handle\": [10, 10], \"target\": [20, 12]}]}"), 200);
        assertEquals(1, st.get("pairs").size());
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static String loadHead(long contentLength) {
        return "Content-Length: " + contentLength;
    }

    @Test
    void sixtyFourConcurrentOversizeSessionLoadsAreRefusedUnreadAndTheEditorStaysResponsive() throws Exception {
        int clients = 64;
        long declared = 32L << 20;                              // a 32 MiB "session file" each
        byte[] firstPart = new byte[64 << 10];                   // what a client manages to send before it reads the answer
        java.util.Arrays.fill(firstPart, (byte) ' ');
        List<Future<RawHttp.Response>> answers = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients; i++) {
                answers.add(pool.submit(() -> {
                    try (RawHttp c = new RawHttp(server.port())) {
                        c.head("POST", "/api/sessions/" + id + "/load", "Content-Type: application/json", loadHead(declared));
                        c.write(firstPart);
                        return c.response();
                    }
                }));
            }
            for (Future<RawHttp.Response> f : answers) {
                JsonNode e = json(f.get(), 413);
                assertTrue(e.get("error").asText().contains("1 MiB"), "the limit in the message: " + e);
            }
        }
        long allMs = (System.nanoTime() - t0) / 1_000_000;
        long infoMs = infoAnswersMillis();
        System.out.printf("%d concurrent 32 MiB session loads: all refused with 413 in %d ms; then info + points answered in %d ms%n", clients, allMs, infoMs);
        assertEquals("idle", busy(), "nothing was loaded");
        JsonNode limits = json(send("GET", "/api/info", null), 200).get("limits");
        assertEquals(1 << 20, limits.get("maxSessionBytes").asInt());
        assertEquals(HttpLimits.maxMaskBody(64), limits.get("maxMaskBytes").asInt());
    }

    static String busy() throws Exception {
        JsonNode s = json(send("GET", "/api/sessions/" + id, null), 200);
        return s.get("busy").isNull() ? "idle" : s.get("busy").asText();
    }

    @Test
    void aChunkedSessionLoadOverTheLimitIs413AfterTheLimitNotAfterItsEnd() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            c.head("POST", "/api/sessions/" + id + "/load", "Content-Type: application/json", "Transfer-Encoding: chunked");
            byte[] part = new byte[256 << 10];
            java.util.Arrays.fill(part, (byte) ' ');
            for (int i = 0; i < 4; i++) assertTrue(c.chunk(part), "the server reads up to the limit");
            c.chunk(new byte[1000]);                             // 1 MiB + 1000 bytes: over by a little
            c.chunk(new byte[0]);
            JsonNode e = json(c.response(), 413);
            assertTrue(e.get("error").asText().contains("more than 1048576 bytes"), e.toString());
        }
        assertEquals("idle", busy());
    }

    @Test
    void largeBodiesAreReceivedTwoAtATimeTheRestGet503AndStalledOnesAreCutOff() throws Exception {
        long declared = 500_000;                                 // within the 1 MiB session limit, above the 64 KiB small limit
        List<RawHttp> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {                        // two uploads that take their turn and then stall
                RawHttp c = new RawHttp(server.port());
                c.head("POST", "/api/sessions/" + id + "/load", "Content-Type: application/json", loadHead(declared));
                c.write("{\"format\": ".getBytes());
                stalled.add(c);
            }
            Thread.sleep(100);                                   // both are being read now
            RawHttp.Response third;
            try (RawHttp c = new RawHttp(server.port())) {
                c.head("POST", "/api/sessions/" + id + "/load", "Content-Type: application/json", loadHead(declared));
                third = c.response();                            // refused before its body is sent
            }
            JsonNode e = json(third, 503);
            assertTrue(third.head().toLowerCase(java.util.Locale.ROOT).contains("retry-after: 1"), third.head());
            assertTrue(e.get("error").asText().contains("busy"), e.toString());
            long infoMs = infoAnswersMillis();                   // small requests are not held up by the large ones
            long[] closedMs = new long[stalled.size()];
            for (int i = 0; i < stalled.size(); i++) closedMs[i] = stalled.get(i).millisUntilClosed();
            System.out.printf("two stalled 500 kB uploads hold the large-body turns: a third got 503; info + points answered in %d ms;"
                    + " the stalled connections were closed after %d and %d ms more (limit %d ms)%n", infoMs, closedMs[0], closedMs[1], IO_TIMEOUT.toMillis());
            for (long ms : closedMs) assertTrue(ms < IO_TIMEOUT.toMillis() + CLOSE_SLACK_MS, "a stalled body is cut off near the I/O limit: " + ms + " ms");
        } finally {
            for (RawHttp c : stalled) c.close();
        }
        // the turns are free again: a large body is read (and refused for what it is, not for being busy)
        String notASession = "{\"pad\": \"" + "x".repeat(100_000) + "\"}";
        HttpResponse<String> r = send("POST", "/api/sessions/" + id + "/load", notASession);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("idle", busy());
    }

    @Test
    void aBodyTrickledByteByByteIsCutOffAtTheLimitWhateverItsPace() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            c.head("PUT", "/api/sessions/" + id + "/points", "Content-Type: application/json", "Content-Length: 1000");
            long t0 = System.nanoTime();
            int sent = 0;
            while (sent < 1000 && c.write(new byte[]{' '})) {     // a byte every 50 ms: 50 s for the whole body
                sent++;
                Thread.sleep(50);
                if ((System.nanoTime() - t0) / 1_000_000 > IO_TIMEOUT.toMillis() + CLOSE_SLACK_MS) break;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000 + c.millisUntilClosed();
            System.out.printf("a body trickled at 20 bytes/s: connection closed after %d ms (%d bytes sent; limit %d ms)%n", ms, sent, IO_TIMEOUT.toMillis());
            assertTrue(ms < IO_TIMEOUT.toMillis() + CLOSE_SLACK_MS, ms + " ms");
            assertTrue(sent < 1000, "the server did not wait for the whole body");
        }
        infoAnswersMillis();
    }

    @Test
    void aRefusedBodyThatNeverComesDoesNotHoldTheConnection() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            c.head("POST", "/api/sessions/" + id + "/load", "Content-Type: application/json", loadHead(32L << 20));
            JsonNode e = json(c.response(), 413);                 // answered from the header alone
            assertFalse(e.get("error").asText().isBlank());
            long ms = c.millisUntilClosed();                      // the server's read of the rest gives up at the I/O limit
            System.out.printf("a 413 whose body never comes: connection closed %d ms after the answer (limit %d ms)%n", ms, IO_TIMEOUT.toMillis());
            assertTrue(ms < IO_TIMEOUT.toMillis() + CLOSE_SLACK_MS, ms + " ms");
        }
    }

    @Test
    void closeEndsARunningDragAndStalledUploadsWithinSeconds() throws Exception {
        EditorServer s = EditorServer.start(new Editor(gen, () -> new SessionFile.ModelRef("random:64:256", null, 64), "tiny test model", Editor.Options.defaults()),
                HttpLimits.defaults(), "127.0.0.1", 0);                // the real 20 s I/O limit: close must not wait for it
        RawHttp stalled = null;
        try {
            URI base = s.url();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/sessions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            String sid = json(r, 201).get("id").asText();
            http.send(HttpRequest.newBuilder(base.resolve("/api/sessions/" + sid + "/points")).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"pairs\": [{\"handle\": [10, 10], \"target\": [50, 50]}]}")).build(), HttpResponse.BodyHandlers.ofString());
            r = http.send(HttpRequest.newBuilder(base.resolve("/api/sessions/" + sid + "/start")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"maxSteps\": 10000}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, r.statusCode(), r.body());
            stalled = new RawHttp(s.port());
            stalled.head("POST", "/api/sessions/" + sid + "/load", "Content-Type: application/json", loadHead(500_000));
            Thread.sleep(300);
            long t0 = System.nanoTime();
            boolean dragStopped = s.stop();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("stop() with a drag running and an upload stalled: %d ms, drag stopped: %b%n", ms, dragStopped);
            assertTrue(dragStopped, "the running drag ended");
            assertTrue(ms < 8000, "stop() returned after " + ms + " ms");
            assertTrue(stalled.millisUntilClosed() < CLOSE_SLACK_MS, "the stalled upload's connection is closed");
        } finally {
            s.close();
            if (stalled != null) stalled.close();
        }
    }
}
