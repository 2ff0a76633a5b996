package io.github.dragganjvm.app;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./draggan edit} in its own JVM ends on SIGTERM within seconds while a drag runs and an upload is stalled
 * mid-body: the shutdown hook stops the server and the drag, and says so on stderr.
 */
class EditSigtermTest {
    @Test void sigtermStopsTheEditorWithARunningDragWithinSeconds(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "edit", "--model", "random:64:256", "--port", "0"));
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            URI url = null;
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            for (String line; url == null && (line = out.readLine()) != null; ) {
                int at = line.indexOf("serving on ");
                if (at >= 0) url = URI.create(line.substring(at + 11).split(" ")[0]);
            }
            assertNotNull(url, "the editor printed its address on stdout; stderr: " + Files.readString(err));
            HttpClient http = HttpClient.newHttpClient();
            String id = send(http, url.resolve("/api/sessions"), "POST", "{}").replaceAll(".*\"id\":\"([0-9a-f]{32})\".*", "$1");
            send(http, url.resolve("/api/sessions/" + id + "/points"), "PUT", "{\"pairs\": [{\"handle\": [10, 10], \"target\": [50, 50]}]}");
            assertTrue(send(http, url.resolve("/api/sessions/" + id + "/start"), "POST", "{\"maxSteps\": 10000}").contains("\"busy\":\"drag\""));
            try (Socket stalled = new Socket(url.getHost(), url.getPort())) {          // an upload that never sends its body
                OutputStream o = stalled.getOutputStream();
                o.write(("POST /api/sessions/" + id + "/load HTTP/1.1\r\nHost: " + url.getAuthority()
                        + "\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                o.flush();
                Thread.sleep(300);
                long t0 = System.nanoTime();
                p.destroy();                                                            // SIGTERM
                boolean ended = p.waitFor(15, TimeUnit.SECONDS);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                String log = Files.readString(err);
                System.out.printf("SIGTERM with a drag running and an upload stalled: exited after %d ms with status %s%n", ms, ended ? p.exitValue() : "-");
                assertTrue(ended, "the editor ended within 15 s of SIGTERM; stderr:\n" + log);
                assertEquals(143, p.exitValue(), "128 + SIGTERM");
                assertTrue(log.contains("draggan edit: stopped"), "the hook stopped the server and said so:\n" + log);
            }
        } finally {
            p.destroyForcibly();
        }
    }

    private static String send(HttpClient http, URI uri, String method, String json) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() < 300, method + " " + uri + ": " + r.statusCode() + " " + r.body());
        return r.body();
    }

}
