package draggan.drag;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import draggan.stylegan.Generator;
import draggan.stylegan.NoiseMode;
import draggan.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The whole session as JSON, replayable to the same result: the model's identity, the starting w+ (float32,
 * base64, little endian; seed and psi kept for people), the noise mode, the config, every finished drag (its
 * pairs, mask and exact number of iterations) and the pending pairs and mask. Replaying runs each drag for the
 * recorded number of iterations on the same starting w+; the kernels are deterministic for a given backend, so
 * the final w+ and image come out the same.
 *
 * <pre>
 * {"format": "draggan-session/1", "model": {"source": ..., "sha256": ..., "resolution": 256},
 *  "seed": 0, "psi": 0.7, "noise": "const", "noiseSeed": 0, "ws0": "base64...", "wsShape": [1, 14, 512],
 *  "config": {...}, "drags": [{"pairs": [{"handle": [x, y], "target": [x, y]}], "mask": null | {...},
 *  "steps": 37, "end": "CONVERGED", "config": {...}}], "pairs": [...], "mask": null, "steps": 37}
 * </pre>
 * The top-level config is the one for the drags to come; each drag keeps the config it ran with (files without a
 * per-drag config used the top-level one throughout).
 * <pre>
 * </pre>
 */
public final class SessionFile {
    private SessionFile() {}

    public static final String FORMAT = "draggan-session/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Which model a session was made with. sha256 may be null for built-in models (the source names them). */
    public record ModelRef(String source, String sha256, int resolution) {}

    /** A parsed session file. */
    public record State(ModelRef model, Long seed, Double psi, NoiseMode noise, long noiseSeed, Tensor ws0, DragConfig config,
                        List<DragSession.DragRecord> drags, List<DragSession.Pair> pairs, Mask mask, int steps) {}

    /** Serialises a session. seed/psi may be null (a session started from an imported w+). */
    public static String toJson(DragSession s, ModelRef model, Long seed, Double psi) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        ObjectNode m = root.putObject("model");
        m.put("source", model.source());
        if (model.sha256() != null) m.put("sha256", model.sha256()); else m.putNull("sha256");
        m.put("resolution", model.resolution());
        if (seed != null) root.put("seed", seed); else root.putNull("seed");
        if (psi != null) root.put("psi", psi); else root.putNull("psi");
        root.put("noise", s.noise().name().toLowerCase());
        root.put("noiseSeed", s.noiseSeed());
        Tensor w0 = s.w0();
        ArrayNode shape = root.putArray("wsShape");
        for (int d : w0.shape()) shape.add(d);
        root.put("ws0", floatsToBase64(w0.toFloatArray()));
        root.set("config", configJson(s.config()));
        ArrayNode drags = root.putArray("drags");
        for (DragSession.DragRecord r : s.history()) {
            ObjectNode d = drags.addObject();
            d.set("pairs", pairsJson(r.handles(), r.targets()));
            d.set("mask", maskJson(r.mask()));
            d.put("steps", r.steps());
            d.put("end", r.reason().name());
            d.set("config", configJson(r.config()));
        }
        List<Point> hs = new ArrayList<>(), ts = new ArrayList<>();
        for (DragSession.Pair p : s.pairs()) {
            hs.add(p.handle());
            ts.add(p.target());
        }
        root.set("pairs", pairsJson(hs, ts));
        root.set("mask", maskJson(s.mask()));
        root.put("steps", s.totalSteps());
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses and validates a session file; every problem is an IllegalArgumentException naming the field. */
    public static State parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("session file is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("session file must hold a JSON object");
        String fmt = text(root, "format");
        if (!FORMAT.equals(fmt)) throw new IllegalArgumentException("session file format is '" + fmt + "', expected '" + FORMAT + "'");
        JsonNode m = field(root, "model");
        ModelRef model = new ModelRef(text(m, "source"), m.hasNonNull("sha256") ? text(m, "sha256") : null, intField(m, "resolution", 4, 8192));
        Long seed = root.hasNonNull("seed") ? root.get("seed").asLong() : null;
        Double psi = root.hasNonNull("psi") ? root.get("psi").asDouble() : null;
        NoiseMode noise = NoiseMode.parse(text(root, "noise"));
        long noiseSeed = field(root, "noiseSeed").asLong();
        JsonNode shapeNode = field(root, "wsShape");
        if (!shapeNode.isArray() || shapeNode.size() != 3) throw new IllegalArgumentException("session file: wsShape must be [1, num_ws, w_dim]");
        int[] shape = {shapeNode.get(0).asInt(), shapeNode.get(1).asInt(), shapeNode.get(2).asInt()};
        float[] ws = base64ToFloats(text(root, "ws0"));
        if (shape[0] != 1 || shape[1] < 1 || shape[2] < 1 || (long) shape[1] * shape[2] != ws.length) {
            throw new IllegalArgumentException("session file: ws0 holds " + ws.length + " floats but wsShape is " + java.util.Arrays.toString(shape));
        }
        for (float v : ws) if (!Float.isFinite(v)) throw new IllegalArgumentException("session file: ws0 holds a non-finite value");
        DragConfig cfg = parseConfig(field(root, "config"));
        List<DragSession.DragRecord> drags = new ArrayList<>();
        for (JsonNode d : array(root, "drags")) {
            List<Point>[] pr = parsePairs(field(d, "pairs"));
            if (pr[0].isEmpty()) throw new IllegalArgumentException("session file: a drag must have at least one pair");
            DragConfig dc = d.hasNonNull("config") ? parseConfig(d.get("config")) : cfg;   // files without it used one config throughout
            drags.add(new DragSession.DragRecord(pr[0], pr[1], parseMask(d.get("mask"), model.resolution()), intField(d, "steps", 0, 1_000_000),
                    endReason(text(d, "end")), dc));
        }
        List<Point>[] cur = parsePairs(field(root, "pairs"));
        List<DragSession.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < cur[0].size(); i++) pairs.add(new DragSession.Pair(cur[0].get(i), cur[1].get(i)));
        return new State(model, seed, psi, noise, noiseSeed, Tensor.of(ws, shape), cfg, drags, pairs,
                parseMask(root.get("mask"), model.resolution()), intField(root, "steps", 0, Integer.MAX_VALUE));
    }

    /**
     * Rebuilds a session on generator g: starts from ws0 and re-runs every recorded drag for its recorded number of
     * iterations, then sets the pending pairs and mask. The listener (may be null) sees every replayed step.
     */
    public static DragSession replay(State st, Generator g, DragSession.StepListener listener) {
        if (g.resolution() != st.model().resolution()) {
            throw new IllegalArgumentException("session was made on a " + st.model().resolution() + " px model but this model is " + g.resolution() + " px");
        }
        DragSession s = DragSession.fromWs(g, st.ws0(), st.noise(), st.noiseSeed(), st.config());
        for (DragSession.DragRecord r : st.drags()) {
            s.clearPairs();
            for (int i = 0; i < r.handles().size(); i++) s.addPair(r.handles().get(i), r.targets().get(i));
            s.setMask(r.mask());
            s.setConfig(r.config());
            if (r.steps() > 0) s.run(r.steps(), listener);
        }
        s.clearPairs();
        for (DragSession.Pair p : st.pairs()) s.addPair(p.handle(), p.target());
        s.setMask(st.mask());
        s.setConfig(st.config());
        return s;
    }

    // ------------------------------------------------------------------ pieces

    private static DragSession.EndReason endReason(String s) {
        try {
            return DragSession.EndReason.valueOf(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("session file: 'end' must be one of " + java.util.Arrays.toString(DragSession.EndReason.values()) + " but is '" + s + "'");
        }
    }

    static ObjectNode configJson(DragConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("featureBlockRes", c.featureBlockRes());
        n.put("optimizedRows", c.optimizedRows());
        n.put("lr", c.lr());
        n.put("lambdaMask", c.lambdaMask());
        n.put("r1At512", c.r1At512());
        n.put("r2At512", c.r2At512());
        n.put("stopMin", c.stopMin());
        n.put("stopAt512", c.stopAt512());
        n.put("superviseAbove", c.superviseAbove());
        n.put("tracker", c.tracker().name().toLowerCase());
        n.put("directSampling", c.directSampling());
        n.put("templateWeight", c.templateWeight());
        n.put("moveMargin", c.moveMargin());
        n.put("supervision", c.supervision().name().toLowerCase());
        return n;
    }

    static DragConfig parseConfig(JsonNode n) {
        return new DragConfig(intField(n, "featureBlockRes", 4, 8192), intField(n, "optimizedRows", 1, 64), num(n, "lr"), num(n, "lambdaMask"),
                num(n, "r1At512"), num(n, "r2At512"), num(n, "stopMin"), num(n, "stopAt512"), num(n, "superviseAbove"),
                DragConfig.Tracker.parse(text(n, "tracker")), field(n, "directSampling").asBoolean(), num(n, "templateWeight"), num(n, "moveMargin"),
                n.has("supervision") ? DragConfig.Supervision.parse(text(n, "supervision")) : DragConfig.Supervision.REFERENCE);   // absent in files before it existed
    }

    private static ArrayNode pairsJson(List<Point> handles, List<Point> targets) {
        ArrayNode a = JSON.createArrayNode();
        for (int i = 0; i < handles.size(); i++) {
            ObjectNode p = a.addObject();
            p.putArray("handle").add(handles.get(i).x()).add(handles.get(i).y());
            p.putArray("target").add(targets.get(i).x()).add(targets.get(i).y());
        }
        return a;
    }

    @SuppressWarnings("unchecked")
    private static List<Point>[] parsePairs(JsonNode a) {
        if (!a.isArray()) throw new IllegalArgumentException("session file: pairs must be an array");
        List<Point> hs = new ArrayList<>(), ts = new ArrayList<>();
        for (JsonNode p : a) {
            hs.add(point(field(p, "handle")));
            ts.add(point(field(p, "target")));
        }
        return new List[]{hs, ts};
    }

    private static Point point(JsonNode n) {
        if (!n.isArray() || n.size() != 2 || !n.get(0).isNumber() || !n.get(1).isNumber()) throw new IllegalArgumentException("session file: a point must be [x, y]");
        return new Point(n.get(0).asDouble(), n.get(1).asDouble());
    }

    private static JsonNode maskJson(Mask m) {
        if (m == null) return JSON.nullNode();
        ObjectNode n = JSON.createObjectNode();
        n.put("size", m.size());
        ArrayNode runs = n.putArray("flexibleRuns");
        for (int r : m.runLengths()) runs.add(r);
        return n;
    }

    private static Mask parseMask(JsonNode n, int res) {
        if (n == null || n.isNull()) return null;
        int size = intField(n, "size", 1, 8192);
        if (size != res) throw new IllegalArgumentException("session file: mask size " + size + " differs from the model resolution " + res);
        JsonNode runs = field(n, "flexibleRuns");
        if (!runs.isArray()) throw new IllegalArgumentException("session file: flexibleRuns must be an array");
        int[] r = new int[runs.size()];
        for (int i = 0; i < r.length; i++) r[i] = runs.get(i).asInt(-1);
        return Mask.fromRunLengths(size, r);
    }

    private static JsonNode field(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null) throw new IllegalArgumentException("session file: missing field '" + name + "'");
        return v;
    }

    private static Iterable<JsonNode> array(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (!v.isArray()) throw new IllegalArgumentException("session file: '" + name + "' must be an array");
        return v;
    }

    private static String text(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (!v.isTextual()) throw new IllegalArgumentException("session file: '" + name + "' must be a string");
        return v.asText();
    }

    private static double num(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (!v.isNumber()) throw new IllegalArgumentException("session file: '" + name + "' must be a number");
        return v.asDouble();
    }

    private static int intField(JsonNode n, String name, int min, int max) {
        JsonNode v = field(n, name);
        if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) throw new IllegalArgumentException("session file: '" + name + "' must be an integer in [" + min + ", " + max + "]");
        return v.asInt();
    }

    static String floatsToBase64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return Base64.getEncoder().encodeToString(b.array());
    }

    static float[] base64ToFloats(String s) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("session file: ws0 is not valid base64");
        }
        if (bytes.length % 4 != 0) throw new IllegalArgumentException("session file: ws0 length is not a multiple of 4 bytes");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[bytes.length / 4];
        for (int i = 0; i < v.length; i++) v[i] = b.getFloat();
        return v;
    }
}
