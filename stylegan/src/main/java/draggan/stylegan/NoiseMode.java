package draggan.stylegan;

/** Per-layer noise of the synthesis network, as the reference's noise_mode. */
public enum NoiseMode {
    /** The generator's stored noise buffers (noise_const) times noise_strength: deterministic. */
    CONST,
    /** Fresh standard-normal noise per layer from a seeded generator, times noise_strength. */
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
