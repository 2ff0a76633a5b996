package io.github.dragganjvm.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.drag.Point;

import java.io.PrintStream;
import java.util.List;

/**
 * The machine-readable result of {@code --json}: one JSON object on one line of stdout, {@code "command"} first.
 * Numbers that are not finite (a loss never computed) are written as null, so every standard parser reads it.
 */
final class JsonResult {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonResult() {}

    /** A new result object {"command": command}. */
    static ObjectNode of(String command) {
        return MAPPER.createObjectNode().put("command", command);
    }

    /** Puts x, or null when x is NaN or infinite. */
    static ObjectNode number(ObjectNode n, String field, double x) {
        return Double.isFinite(x) ? n.put(field, x) : n.putNull(field);
    }

    /** A point as [x, y] (x = column, y = row). */
    static ArrayNode point(Point p) {
        return MAPPER.createArrayNode().add(p.x()).add(p.y());
    }

    /** Points as [[x, y], ...]. */
    static ArrayNode points(List<Point> ps) {
        ArrayNode a = MAPPER.createArrayNode();
        for (Point p : ps) a.add(point(p));
        return a;
    }

    /** Prints n as one line. */
    static void print(ObjectNode n, PrintStream out) {
        try {
            out.println(MAPPER.writeValueAsString(n));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JSON result: " + e.getOriginalMessage(), e);
        }
        out.flush();
    }
}
