package io.github.dragganjvm.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dragganjvm.stylegan.io.CheckpointException;
import io.github.dragganjvm.stylegan.io.DiscriminatorConfig;

import java.nio.file.Path;
import java.util.List;

/** A {@link DiscriminatorConfig} as a JSON object (NVlabs' init-kwarg names), for training snapshots. */
final class DiscriminatorConfigJson {
    private DiscriminatorConfigJson() {}

    private static final List<String> FIELDS = List.of("c_dim", "img_resolution", "img_channels", "architecture", "channel_base", "channel_max",
            "mbstd_group_size", "mbstd_num_channels", "conv_clamp", "num_fp16_res");

    static ObjectNode toJson(ObjectMapper json, DiscriminatorConfig c) {
        ObjectNode n = json.createObjectNode();
        n.put("c_dim", c.cDim());
        n.put("img_resolution", c.imgResolution());
        n.put("img_channels", c.imgChannels());
        n.put("architecture", c.architecture());
        n.put("channel_base", c.channelBase());
        n.put("channel_max", c.channelMax());
        if (c.mbstdGroupSize() == null) n.putNull("mbstd_group_size");
        else n.put("mbstd_group_size", c.mbstdGroupSize());
        n.put("mbstd_num_channels", c.mbstdNumChannels());
        if (c.convClamp() == null) n.putNull("conv_clamp");
        else n.put("conv_clamp", c.convClamp());
        n.put("num_fp16_res", c.numFp16Res());
        return n;
    }

    static DiscriminatorConfig fromJson(JsonNode n, Path file) throws CheckpointException {
        String where = file + ": training state D_config";
        if (n == null || !n.isObject()) throw new CheckpointException(where + " is missing or not an object");
        for (var it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!FIELDS.contains(k)) throw new CheckpointException(where + " has the unknown field '" + k + "' (expected " + FIELDS + ")");
        }
        for (String k : FIELDS) if (!n.has(k)) throw new CheckpointException(where + " has no field '" + k + "'");
        try {
            return new DiscriminatorConfig(integer(n, "c_dim", where), integer(n, "img_resolution", where), integer(n, "img_channels", where),
                    n.get("architecture").asText(), integer(n, "channel_base", where), integer(n, "channel_max", where),
                    n.get("mbstd_group_size").isNull() ? null : integer(n, "mbstd_group_size", where), integer(n, "mbstd_num_channels", where),
                    n.get("conv_clamp").isNull() ? null : n.get("conv_clamp").asDouble(), integer(n, "num_fp16_res", where));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": " + e.getMessage(), e);
        }
    }

    private static int integer(JsonNode n, String k, String where) throws CheckpointException {
        JsonNode v = n.get(k);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) throw new CheckpointException(where + ": " + k + " is " + v + ", expected an integer >= 0");
        return v.asInt();
    }
}
