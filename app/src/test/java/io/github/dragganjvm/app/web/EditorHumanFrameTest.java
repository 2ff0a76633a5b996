package io.github.dragganjvm.app.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dragganjvm.drag.SessionFile;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The editor on StyleGAN-Human's rectangular model (golden/human-256x128): info and state give the model's own
 * 128x256 frame, image.png is that frame, points and masks are taken and given back in it while the session (and its
 * session.json) holds them in the padded 256x256 square (x + 64); a point off the frame is refused.
 */
class EditorHumanFrameTest {
    static EditorServer server;

    @BeforeAll
    static void start() throws Exception {
        Checkpoint c = Checkpoints.load(Golden.dir("human-256x128").resolve("stylegan_human_v2_256x128-Gonly.pkl"));
        Generator g = new Generator(c.config(), c.params());
        server = EditorServer.start(new Editor(g, () -> new SessionFile.ModelRef("human", null, 256), "human test model", Editor.Options.defaults()),
                "127.0.0.1", 0);
    }

    @AfterAll
    static void stop() { if (server != null) server.close(); }

    private static EditorServerTest.Res get(String path) { return EditorServerTest.call(server, "GET", path, null, Map.of()); }

    private static EditorServerTest.Res send(String method, String path, String json) {
        return EditorServerTest.call(server, method, path, json, Map.of("Content-Type", "application/json"));
    }

    @Test void everythingIsInTheModelsFrame() throws Exception {
        JsonNode info = EditorServerTest.ok(get("/api/info"));
        assertEquals(256, info.get("resolution").asInt());
        assertEquals(128, info.get("width").asInt());
        assertEquals(256, info.get("height").asInt());
        String id = EditorServerTest.ok(send("POST", "/api/sessions", "{\"seed\": 0}")).get("id").asText();
        String base = "/api/sessions/" + id;

        BufferedImage img = ImageIO.read(new ByteArrayInputStream(get(base + "/image.png").body()));
        assertEquals(128, img.getWidth());
        assertEquals(256, img.getHeight());

        JsonNode st = EditorServerTest.ok(send("PUT", base + "/points", EditorServerTest.pairs(92, 74, 107, 76)));
        assertEquals("[{\"handle\":[92.0,74.0],\"target\":[107.0,76.0]}]", st.get("pairs").toString());
        // a mask on the frame: rows 0-1 fixed, then the first 10 columns of row 2 flexible
        int total = 128 * 256;
        st = EditorServerTest.ok(send("PUT", base + "/mask", "{\"mask\": {\"width\": 128, \"height\": 256, \"flexibleRuns\": [256, 10, " + (total - 266) + "]}}"));
        assertEquals("{\"width\":128,\"height\":256,\"flexibleRuns\":[256,10," + (total - 266) + "]}", st.get("mask").toString());

        JsonNode file = EditorServerTest.ok(get(base + "/session.json"));
        assertEquals("[{\"handle\":[156.0,74.0],\"target\":[171.0,76.0]}]", file.get("pairs").toString(), "the session holds the square's points");
        String mask = file.get("mask").toString();
        assertTrue(mask.contains("[" + (2 * 256 + 64) + ",10,"), "the square's mask: flexible from column 64 of row 2: " + mask);

        String err = EditorServerTest.refused(400, send("PUT", base + "/points", EditorServerTest.pairs(140, 20, 120, 20)));
        assertTrue(err.contains("is off the image: x must be in [0, 127] and y in [0, 255]"), err);
        err = EditorServerTest.refused(400, send("PUT", base + "/mask", "{\"mask\": {\"size\": 256, \"flexibleRuns\": [65536]}}"));
        assertTrue(err.contains("the mask is 256x256 but the image is 128x256 (width x height)"), err);
    }
}
