package io.github.dragganjvm.stylegan.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The generators shipped inside the library's jar, trained by this project with {@code ./draggan train} (their
 * provenance, command, training log and quality report are in the repository's {@code models/NAME/} folder).
 *
 * <p>{@value #TOY_FACES_64}: a 64 px StyleGAN2 (channel base 1024, max 128, 2 mapping layers, w_dim 512) trained on
 * the procedural cartoon faces of {@code io.github.dragganjvm.data.toy.ToyFaces}; the model the programs use when no
 * {@code --model} is given. Each is one safetensors file of the {@link GeneratorSafetensors} convention, read from
 * the class path with the same checks as a file.
 */
public final class BuiltinModels {
    private BuiltinModels() {}

    /** The toy-faces model's name. */
    public static final String TOY_FACES_64 = "toy-faces-64";

    /** Every built-in model's name. */
    public static final List<String> NAMES = List.of(TOY_FACES_64);

    /**
     * The toy model's DragGAN learning rate, measured on it: with the reference tool's 0.001 a handle moves about 1 px
     * in 60 steps (seed 0, mouth corner 38,44 -> 42,38); with 0.01 it arrives in 42 steps.
     */
    public static final double TOY_FACES_64_DRAG_LR = 0.01;

    /** The Adam learning rate DragGAN should start with on a built-in model. */
    public static double dragLr(String name) {
        requireName(name);
        return TOY_FACES_64_DRAG_LR;
    }

    private static final String RESOURCE_DIR = "/io/github/dragganjvm/stylegan/models/";

    /** The class-path resource holding a built-in model. */
    public static String resource(String name) { return RESOURCE_DIR + name + ".safetensors"; }

    /**
     * The bytes of a built-in model's safetensors file.
     *
     * @throws IllegalArgumentException when name is not one of {@link #NAMES}
     * @throws IllegalStateException when the resource is missing from the class path (a broken build)
     */
    public static byte[] bytes(String name) {
        requireName(name);
        try (InputStream in = BuiltinModels.class.getResourceAsStream(resource(name))) {
            if (in == null) throw new IllegalStateException("BuiltinModels: resource " + resource(name) + " is not on the class path");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("BuiltinModels: cannot read " + resource(name) + ": " + e.getMessage(), e);
        }
    }

    /** Loads a built-in model (see {@link Checkpoints#loadSafetensors}); its {@link Checkpoint#source()} is null. */
    public static Checkpoint load(String name) throws IOException {
        return Checkpoints.loadSafetensors(resource(name), bytes(name));
    }

    private static void requireName(String name) {
        if (!NAMES.contains(name)) throw new IllegalArgumentException("BuiltinModels: no built-in model '" + name + "' (have " + String.join(", ", NAMES) + ")");
    }
}
