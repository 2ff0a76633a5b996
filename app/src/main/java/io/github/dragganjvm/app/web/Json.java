package io.github.dragganjvm.app.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.drag.Frame;
import io.github.dragganjvm.drag.Point;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Strict reading of request bodies: one JSON object, no duplicate keys, no trailing data, no NaN or infinities,
 * no unknown fields, every value type- and range-checked. Every problem is a {@link HttpError} 400 naming the
 * field, what it accepts and what came.
 */
final class Json {
    private Json() {}

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** The body as a JSON object; an empty body is an empty object when {@code emptyOk}. */
    static ObjectNode object(byte[] body, boolean emptyOk) {
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            if (emptyOk) return MAPPER.createObjectNode();
            throw HttpError.badRequest("the request body is empty; expected a JSON object");
        }
        JsonNode n;
        try {
            n = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw HttpError.badRequest("malformed JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw HttpError.badRequest("expected a JSON object but got " + (n == null ? "nothing" : n.getNodeType().name().toLowerCase()));
        return (ObjectNode) n;
    }

    /** Fails on fields other than the allowed ones (so a typo never passes silently). */
    static void allowOnly(ObjectNode n, String what, String... allowed) {
        List<String> ok = Arrays.asList(allowed);
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!ok.contains(f)) throw HttpError.badRequest("unknown field '" + f + "' in " + what + " (allowed: " + String.join(", ", allowed) + ")");
        }
    }

    /** A finite number in [min, max], or the default when absent (null default: required). */
    static double number(ObjectNode n, String name, double min, double max, Double dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            if (dflt == null) throw HttpError.badRequest("missing field '" + name + "' (a number in [" + min + ", " + max + "])");
            return dflt;
        }
        if (!v.isNumber()) throw HttpError.badRequest("'" + name + "' must be a number but is " + v);
        double x = v.asDouble();
        if (!Double.isFinite(x) || x < min || x > max) throw HttpError.badRequest("'" + name + "' must be a finite number in [" + min + ", " + max + "] but is " + v);
        return x;
    }

    /** An integer in [min, max], or the default when absent (null default: required). */
    static long integer(ObjectNode n, String name, long min, long max, Long dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            if (dflt == null) throw HttpError.badRequest("missing field '" + name + "' (an integer in [" + min + ", " + max + "])");
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw HttpError.badRequest("'" + name + "' must be an integer in [" + min + ", " + max + "] but is " + v);
        long x = v.asLong();
        if (x < min || x > max) throw HttpError.badRequest("'" + name + "' must be an integer in [" + min + ", " + max + "] but is " + x);
        return x;
    }

    /** One of the allowed words, or the default when absent. */
    static String choice(ObjectNode n, String name, String dflt, String... allowed) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            if (dflt == null) throw HttpError.badRequest("missing field '" + name + "' (one of " + String.join(", ", allowed) + ")");
            return dflt;
        }
        if (v.isTextual()) for (String a : allowed) if (a.equals(v.asText())) return a;
        throw HttpError.badRequest("'" + name + "' must be one of " + String.join(", ", allowed) + " but is " + v);
    }

    /** A point [x, y] on an image of the given resolution (0 <= x, y <= res - 1, finite). */
    static Point point(JsonNode v, String what, int res) {
        if (v == null || !v.isArray() || v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()) {
            throw HttpError.badRequest(what + " must be [x, y] (two numbers) but is " + (v == null ? "missing" : v));
        }
        double x = v.get(0).asDouble(), y = v.get(1).asDouble();
        if (!Double.isFinite(x) || !Double.isFinite(y)) throw HttpError.badRequest(what + " must be finite but is " + v);
        if (x < 0 || y < 0 || x > res - 1 || y > res - 1) {
            throw HttpError.badRequest(what + " " + v + " is off the image: x and y must be in [0, " + (res - 1) + "]");
        }
        return new Point(x, y);
    }

    /** A point of the model's own frame (x in [0, width - 1], y in [0, height - 1]). */
    static Point point(JsonNode v, String what, Frame frame) {
        if (!frame.padded()) return point(v, what, frame.width());
        if (v == null || !v.isArray() || v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()) {
            throw HttpError.badRequest(what + " must be [x, y] (two numbers) but is " + (v == null ? "missing" : v));
        }
        double x = v.get(0).asDouble(), y = v.get(1).asDouble();
        if (!Double.isFinite(x) || !Double.isFinite(y)) throw HttpError.badRequest(what + " must be finite but is " + v);
        if (!frame.inside(new Point(x, y))) {
            throw HttpError.badRequest(what + " " + v + " is off the image: x must be in [0, " + (frame.width() - 1) + "] and y in [0, " + (frame.height() - 1) + "]");
        }
        return new Point(x, y);
    }

    static ArrayNode point(Point p) {
        return MAPPER.createArrayNode().add(p.x()).add(p.y());
    }

    static byte[] bytes(JsonNode n) {
        try {
            return MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String text(JsonNode n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }
}
