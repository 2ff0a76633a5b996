package io.github.dragganjvm.drag;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Tensor;

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
 *  "steps": 37, "end": "CONVERGED", "config": {...}, "start": "fresh"}], "pairs": [...], "mask": null, "steps": 37}
 * </pre>
 * The top-level config is the one for the drags to come; each drag keeps the config it ran with (files without a
 * per-drag config used the top-level one throughout). A drag's "start" says which optimisation state it began from
 * ({@link DragSession.Start}: "fresh", "new-features", "continued"; files without it: every drag fresh). The model's
 * sha256 is that of the checkpoint file, or of the spec of a built-in model (the app's choice; null in older files).
 */
public final class SessionFile {
    private SessionFile() {}

    public static final String FORMAT = "draggan-session/1";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /**
     * Which model a session was made with. sha256 may be null for built-in models (the source names them);
     * inputTransform is a StyleGAN3 model's {@code identity} or {@code stored} (null for other architectures): the
     * same weights draw another image under the other transform, so a replay must use the recorded one.
     */
    public record ModelRef(String source, String sha256, int resolution, String inputTransform) {
        public ModelRef {
            if (inputTransform != null && !inputTransform.equals("identity") && !inputTransform.equals("stored")) {
                throw new IllegalArgumentException("session file: 'inputTransform' must be identity or stored but is '" + inputTransform + "'");
            }
        }

        /** A model without an input transform (every architecture but StyleGAN3). */
        public ModelRef(String source, String sha256, int resolution) { this(source, sha256, resolution, null); }
    }

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
        if (model.inputTransform() != null) m.put("inputTransform", model.inputTransform());
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
            d.put("start", startName(r.start()));
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

    /** The largest session file {@link #parse} reads (real ones are tens of KB; a 1024 px brush mask a few MB). */
    public static final int MAX_BYTES = 64 << 20;
    /** Bounds of what a session file may describe. */
    static final int MAX_RESOLUTION = 4096, MAX_DRAGS = 100_000, MAX_PAIRS = 10_000, MAX_STEPS = 1_000_000, MAX_SOURCE_CHARS = 4096;

    /**
     * Parses and validates a session file strictly; every problem is an IllegalArgumentException naming the field
     * (and, for JSON syntax, the line and column), never quoting the file's text. Refused: duplicate keys, unknown
     * keys, a value of the wrong JSON type (a string where a number belongs, a fraction where an integer belongs),
     * non-finite or out-of-range numbers, more than {@link #MAX_BYTES} characters.
     */
    public static State parse(String json) {
        if (json.length() > MAX_BYTES) throw new IllegalArgumentException("session file: larger than " + (MAX_BYTES >> 20) + " MiB");
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            boolean dup = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field");
            throw new IllegalArgumentException("session file: " + (dup ? "a key appears twice in one object" : "not valid JSON")
                    + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("session file must hold a JSON object");
        allowOnly(root, "the file", "format", "model", "seed", "psi", "noise", "noiseSeed", "ws0", "wsShape", "config", "drags", "pairs", "mask", "steps");
        if (!FORMAT.equals(text(root, "format", 64))) throw new IllegalArgumentException("session file: 'format' is not '" + FORMAT + "'");
        JsonNode m = object(root, "model");
        allowOnly(m, "model", "source", "sha256", "resolution", "inputTransform");
        String source = text(m, "source", MAX_SOURCE_CHARS);
        for (int i = 0; i < source.length(); i++) {
            if (Character.isISOControl(source.charAt(i))) throw new IllegalArgumentException("session file: 'source' holds a control character");
        }
        String sha = m.hasNonNull("sha256") ? text(m, "sha256", 64) : null;
        if (sha != null && !sha.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("session file: 'sha256' must be 64 lowercase hex digits");
        int res = intField(m, "resolution", 4, MAX_RESOLUTION);
        if (Integer.bitCount(res) != 1) throw new IllegalArgumentException("session file: 'resolution' must be a power of two");
        ModelRef model = new ModelRef(source, sha, res, m.has("inputTransform") ? text(m, "inputTransform", 16) : null);
        Long seed = root.hasNonNull("seed") ? longField(root, "seed", 0, 0xFFFFFFFFL) : null;
        Double psi = root.hasNonNull("psi") ? num(root, "psi", -100, 100) : null;
        NoiseMode noise = switch (text(root, "noise", 16)) {
            case "const" -> NoiseMode.CONST;
            case "random" -> NoiseMode.RANDOM;
            case "none" -> NoiseMode.NONE;
            default -> throw new IllegalArgumentException("session file: 'noise' must be const, random or none");
        };
        long noiseSeed = longField(root, "noiseSeed", Long.MIN_VALUE, Long.MAX_VALUE);
        JsonNode shapeNode = field(root, "wsShape");
        if (!shapeNode.isArray() || shapeNode.size() != 3) throw new IllegalArgumentException("session file: 'wsShape' must be [1, num_ws, w_dim]");
        int[] shape = new int[3];
        for (int i = 0; i < 3; i++) shape[i] = intValue(shapeNode.get(i), "wsShape", 1, 1 << 16);
        float[] ws = base64ToFloats(text(root, "ws0", MAX_BYTES));
        if (shape[0] != 1 || (long) shape[1] * shape[2] != ws.length) {
            throw new IllegalArgumentException("session file: ws0 holds " + ws.length + " floats but wsShape is " + java.util.Arrays.toString(shape));
        }
        for (float v : ws) if (!Float.isFinite(v)) throw new IllegalArgumentException("session file: ws0 holds a non-finite value");
        DragConfig cfg = parseConfig(object(root, "config"));
        List<DragSession.DragRecord> drags = new ArrayList<>();
        JsonNode dragArray = array(root, "drags");
        if (dragArray.size() > MAX_DRAGS) throw new IllegalArgumentException("session file: more than " + MAX_DRAGS + " drags");
        for (JsonNode d : dragArray) {
            String what = "drag " + (drags.size() + 1);
            if (!d.isObject()) throw new IllegalArgumentException("session file: " + what + " must be an object");
            allowOnly(d, what, "pairs", "mask", "steps", "end", "config", "start");
            List<Point>[] pr = parsePairs(field(d, "pairs"));
            if (pr[0].isEmpty()) throw new IllegalArgumentException("session file: a drag must have at least one pair");
            DragConfig dc = d.hasNonNull("config") ? parseConfig(object(d, "config")) : cfg;   // files without it used one config throughout
            DragSession.Start start = d.has("start") ? startOf(text(d, "start", 32)) : DragSession.Start.FRESH;  // older files: every drag started fresh
            if (drags.isEmpty() && start != DragSession.Start.FRESH) throw new IllegalArgumentException("session file: the first drag must start fresh");
            drags.add(new DragSession.DragRecord(pr[0], pr[1], parseMask(d.get("mask"), res), intField(d, "steps", 0, MAX_STEPS),
                    endReason(text(d, "end", 32)), dc, start));
        }
        List<Point>[] cur = parsePairs(field(root, "pairs"));
        List<DragSession.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < cur[0].size(); i++) pairs.add(new DragSession.Pair(cur[0].get(i), cur[1].get(i)));
        return new State(model, seed, psi, noise, noiseSeed, Tensor.of(ws, shape), cfg, drags, pairs,
                parseMask(root.get("mask"), res), intField(root, "steps", 0, Integer.MAX_VALUE));
    }

    /**
     * Rebuilds a session on generator g: starts from ws0 and re-runs every recorded drag for its recorded number of
     * iterations, from the optimisation state it recorded ({@link DragSession.Start}), then sets the pending pairs
     * and mask. The listener (may be null) sees every replayed step.
     */
    public static DragSession replay(State st, DragGenerator g, DragSession.StepListener listener) {
        if (g.resolution() != st.model().resolution()) {
            throw new IllegalArgumentException("session was made on a " + st.model().resolution() + " px model but this model is " + g.resolution() + " px");
        }
        String recorded = st.model().inputTransform(), mine = inputTransformOf(g);
        if (!java.util.Objects.equals(recorded, mine)) {
            throw new IllegalArgumentException("session was made with input transform " + (recorded == null ? "none (not a StyleGAN3 model)" : recorded)
                    + " but this model has " + (mine == null ? "none (not a StyleGAN3 model)" : mine));
        }
        DragSession s = DragSession.fromWs(g, st.ws0(), st.noise(), st.noiseSeed(), st.config());
        int n = 0;
        for (DragSession.DragRecord r : st.drags()) {
            n++;
            s.clearPairs();
            for (int i = 0; i < r.handles().size(); i++) s.addPair(r.handles().get(i), r.targets().get(i));
            s.setMask(r.mask());
            s.setConfig(r.config());
            s.startAs(r.start(), "session file: drag " + n);
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
        for (DragSession.EndReason r : DragSession.EndReason.values()) if (r.name().equals(s)) return r;
        throw new IllegalArgumentException("session file: 'end' must be one of " + java.util.Arrays.toString(DragSession.EndReason.values()));
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
        if (!n.isObject()) throw new IllegalArgumentException("session file: 'config' must be an object");
        allowOnly(n, "config", "featureBlockRes", "optimizedRows", "lr", "lambdaMask", "r1At512", "r2At512", "stopMin", "stopAt512",
                "superviseAbove", "tracker", "directSampling", "templateWeight", "moveMargin", "supervision");
        int block = intField(n, "featureBlockRes", 4, MAX_RESOLUTION);
        if (Integer.bitCount(block) != 1) throw new IllegalArgumentException("session file: 'featureBlockRes' must be a power of two");
        DragConfig.Tracker tracker = switch (text(n, "tracker", 16)) {
            case "reference" -> DragConfig.Tracker.REFERENCE;
            case "template" -> DragConfig.Tracker.TEMPLATE;
            default -> throw new IllegalArgumentException("session file: 'tracker' must be reference or template");
        };
        DragConfig.Supervision sup = !n.has("supervision") ? DragConfig.Supervision.REFERENCE    // absent in files before it existed
                : switch (text(n, "supervision", 16)) {
            case "reference" -> DragConfig.Supervision.REFERENCE;
            case "original" -> DragConfig.Supervision.ORIGINAL;
            default -> throw new IllegalArgumentException("session file: 'supervision' must be reference or original");
        };
        JsonNode direct = field(n, "directSampling");
        if (!direct.isBoolean()) throw new IllegalArgumentException("session file: 'directSampling' must be true or false");
        double lr = num(n, "lr", 0, 10);
        if (!(lr > 0)) throw new IllegalArgumentException("session file: 'lr' must be > 0");
        double r1 = num(n, "r1At512", 0, 512), r2 = num(n, "r2At512", 0, 512);
        if (!(r1 > 0) || !(r2 > 0)) throw new IllegalArgumentException("session file: 'r1At512' and 'r2At512' must be > 0");
        double margin = num(n, "moveMargin", 0, 1);
        if (margin >= 1) throw new IllegalArgumentException("session file: 'moveMargin' must be below 1");
        return new DragConfig(block, intField(n, "optimizedRows", 1, 64), lr, num(n, "lambdaMask", 0, 1e6), r1, r2,
                num(n, "stopMin", 0, MAX_RESOLUTION), num(n, "stopAt512", 0, MAX_RESOLUTION), num(n, "superviseAbove", 0, MAX_RESOLUTION),
                tracker, direct.asBoolean(), num(n, "templateWeight", 0, 1), margin, sup);
    }

    private static DragSession.Start startOf(String s) {
        return switch (s) {
            case "fresh" -> DragSession.Start.FRESH;
            case "new-features" -> DragSession.Start.NEW_FEATURES;
            case "continued" -> DragSession.Start.CONTINUED;
            default -> throw new IllegalArgumentException("session file: 'start' must be fresh, new-features or continued");
        };
    }

    static String startName(DragSession.Start s) {
        return switch (s) {
            case FRESH -> "fresh";
            case NEW_FEATURES -> "new-features";
            case CONTINUED -> "continued";
        };
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
        if (a.size() > MAX_PAIRS) throw new IllegalArgumentException("session file: more than " + MAX_PAIRS + " pairs");
        List<Point> hs = new ArrayList<>(), ts = new ArrayList<>();
        for (JsonNode p : a) {
            if (!p.isObject()) throw new IllegalArgumentException("session file: a pair must be {handle: [x, y], target: [x, y]}");
            allowOnly(p, "pair", "handle", "target");
            hs.add(point(field(p, "handle")));
            ts.add(point(field(p, "target")));
        }
        return new List[]{hs, ts};
    }

    private static Point point(JsonNode n) {
        if (!n.isArray() || n.size() != 2 || !n.get(0).isNumber() || !n.get(1).isNumber()) throw new IllegalArgumentException("session file: a point must be [x, y]");
        double x = n.get(0).asDouble(), y = n.get(1).asDouble();
        if (!(Math.abs(x) <= MAX_RESOLUTION) || !(Math.abs(y) <= MAX_RESOLUTION)) throw new IllegalArgumentException("session file: a point's coordinates must be finite and within the image");
        return new Point(x, y);
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
        if (!n.isObject()) throw new IllegalArgumentException("session file: a mask must be null or {size, flexibleRuns}");
        allowOnly(n, "mask", "size", "flexibleRuns");
        int size = intField(n, "size", 1, MAX_RESOLUTION);
        if (size != res) throw new IllegalArgumentException("session file: mask size " + size + " differs from the model resolution " + res);
        JsonNode runs = field(n, "flexibleRuns");
        if (!runs.isArray()) throw new IllegalArgumentException("session file: flexibleRuns must be an array");
        if (runs.size() > (long) size * size + 1) throw new IllegalArgumentException("session file: flexibleRuns has more runs than a " + size + "x" + size + " mask can have");
        int[] r = new int[runs.size()];
        for (int i = 0; i < r.length; i++) r[i] = intValue(runs.get(i), "flexibleRuns", 0, size * size);
        return Mask.fromRunLengths(size, r);
    }

    /** Refuses any key of object n outside the allowed ones (what names the object in the message). */
    private static void allowOnly(JsonNode n, String what, String... allowed) {
        java.util.Set<String> ok = java.util.Set.of(allowed);
        for (var it = n.fieldNames(); it.hasNext(); ) {
            if (!ok.contains(it.next())) throw new IllegalArgumentException("session file: " + what + " holds a key that is not one of " + java.util.Arrays.toString(allowed));
        }
    }

    private static JsonNode field(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null) throw new IllegalArgumentException("session file: missing field '" + name + "'");
        return v;
    }

    private static JsonNode object(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (!v.isObject()) throw new IllegalArgumentException("session file: '" + name + "' must be an object");
        return v;
    }

    private static JsonNode array(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (!v.isArray()) throw new IllegalArgumentException("session file: '" + name + "' must be an array");
        return v;
    }

    /** A StyleGAN3 generator's input transform as a session file writes it ("identity" / "stored"); null for others. */
    public static String inputTransformOf(DragGenerator g) {
        return g instanceof io.github.dragganjvm.stylegan.sg3.StyleGan3Generator s3 ? s3.inputTransform().name().toLowerCase(java.util.Locale.ROOT) : null;
    }

    private static String text(JsonNode n, String name, int maxChars) {
        JsonNode v = field(n, name);
        if (!v.isTextual()) throw new IllegalArgumentException("session file: '" + name + "' must be a string");
        if (v.asText().length() > maxChars) throw new IllegalArgumentException("session file: '" + name + "' is longer than " + maxChars + " characters");
        return v.asText();
    }

    /** A JSON number (not a string) in [min, max]; NaN and infinities (e.g. 1e400) are refused. */
    private static double num(JsonNode n, String name, double min, double max) {
        JsonNode v = field(n, name);
        if (!v.isNumber()) throw new IllegalArgumentException("session file: '" + name + "' must be a number");
        double d = v.asDouble();
        if (!Double.isFinite(d) || d < min || d > max) throw new IllegalArgumentException("session file: '" + name + "' must be a finite number in [" + min + ", " + max + "]");
        return d;
    }

    private static int intField(JsonNode n, String name, int min, int max) {
        return intValue(field(n, name), name, min, max);
    }

    private static int intValue(JsonNode v, String name, int min, int max) {
        return (int) longValue(v, name, min, max);
    }

    private static long longField(JsonNode n, String name, long min, long max) {
        return longValue(field(n, name), name, min, max);
    }

    /** A JSON integer (no fraction, exponent or quotes) in [min, max]. */
    private static long longValue(JsonNode v, String name, long min, long max) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new IllegalArgumentException("session file: '" + name + "' must be an integer in [" + min + ", " + max + "]");
        }
        return v.asLong();
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
