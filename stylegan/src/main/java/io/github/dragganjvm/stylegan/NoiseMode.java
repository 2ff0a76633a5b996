package io.github.dragganjvm.stylegan;

/** Per-layer noise of the synthesis network, as the reference's noise_mode. */
public enum NoiseMode {
    /** The generator's stored noise buffers (noise_const) times noise_strength: deterministic. */
    CONST,
    /**
     * Standard-normal noise per layer drawn from {@code Request.noiseSeed} (one draw per seed and layer), times
     * noise_strength. Callers that want the reference's new noise on every forward pass a new seed each time
     * (DragSession: one per forward from its noise seed).
     */
    RANDOM,
    /** No noise. */
    NONE;

    /** Parses "const", "random" or "none". */
    public static NoiseMode parse(String s) {
        return switch (s.trim().toLowerCase()) {
            case "const" -> CONST;
            case "random" -> RANDOM;
            case "none" -> NONE;
            default -> throw new IllegalArgumentException("noise mode must be const, random or none but is '" + s + "'");
        };
    }
}
