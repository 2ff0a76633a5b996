package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Generator#imageFrom}: continuing a synthesis that stopped at a block gives exactly the image of a whole
 * no-gradient synthesis of the same ws (bit-equal), for every stopping block, taped or not, every noise mode, N = 2,
 * on a random 32 px model with noise strength 0.5 (so the noise draws show in the image).
 */
class ImageFromTest {
    private static final Generator G = noisyModel(GeneratorConfig.Aspect.SQUARE);
    /** StyleGAN-Human's shape: block outputs half as wide as tall, features and image padded to the square. */
    private static final Generator HALF = noisyModel(GeneratorConfig.Aspect.HALF_WIDTH);

    /** A 32 px random model whose noise strengths are not 0 (the built-in ones' are, as NVlabs' initialisation). */
    private static Generator noisyModel(GeneratorConfig.Aspect aspect) {
        return RandomModels.gaussian(RandomModels.config(32, 512).withAspect(aspect), 100, 0.5);
    }

    private static Tensor ws2() { return ws2(G); }

    private static Tensor ws2(Generator g) {
        Tensor a = g.mapping(g.z(1), 0.7, -1), b = g.mapping(g.z(2), 0.5, -1);
        return Ops.cat(0, a, b);                                              // [2, num_ws, w_dim]
    }

    private static Tensor whole(Tensor ws, NoiseMode noise, long seed) { return whole(G, ws, noise, seed); }

    private static Tensor whole(Generator g, Tensor ws, NoiseMode noise, long seed) {
        try (var ng = GradMode.noGrad()) {
            return g.synthesis(Var.constant(ws), new Generator.Request(noise, seed, Integer.MAX_VALUE, Generator.ImageMode.NO_GRAD, 0)).image().value();
        }
    }

    @Test void continuingFromAnyBlockEqualsTheWholeSynthesis() { continuesExactly(G); }

    /** The padded features of a half-width model are cut back to the block's own columns before the blocks above run. */
    @Test void aHalfWidthModelContinuesFromItsPaddedFeatures() { continuesExactly(HALF); }

    private static void continuesExactly(Generator g) {
        Tensor ws = ws2(g);
        for (NoiseMode noise : NoiseMode.values()) {
            long seed = 77;
            Tensor expected = whole(g, ws, noise, seed);
            for (int last : g.blockResolutions()) {
                for (boolean taped : new boolean[]{false, true}) {
                    Var w = taped ? Var.param(ws.copy()) : Var.constant(ws);
                    Generator.Request req = new Generator.Request(noise, seed, last, Generator.ImageMode.NONE, taped ? last : 0);
                    Generator.Output partial = g.synthesis(w, req);
                    assertEquals(g.blockIndex(last) + 1, partial.features().size());
                    Tensor img = g.imageFrom(partial, ws, req);
                    Golden.assertBitEqual(g.config().aspect() + ", " + noise + ", stopped at b" + last + (taped ? ", taped" : ""), expected, img);
                }
            }
        }
    }

    @Test void anotherNoiseSeedGivesAnotherImage() {
        Tensor ws = ws2();
        Generator.Request req = new Generator.Request(NoiseMode.RANDOM, 5, 8, Generator.ImageMode.NONE, 0);
        Tensor img = G.imageFrom(G.synthesis(Var.constant(ws), req), ws, req.withNoiseSeed(6));
        Golden.Diff d = Golden.diff(whole(ws, NoiseMode.RANDOM, 5), img);
        assertTrue(d.maxAbs() > 1e-3, "the blocks above b8 draw seed 6's noise, so the image must differ from seed 5's: " + d);
    }

    @Test void mismatchedInputsAreRefused() {
        Tensor ws = ws2();
        Generator.Request req = new Generator.Request(NoiseMode.CONST, 0, 16, Generator.ImageMode.NONE, 0);
        Generator.Output partial = G.synthesis(Var.constant(ws), req);
        var e = assertThrows(IllegalArgumentException.class, () -> G.imageFrom(partial, ws.sliceView(1, 0, 3), req));
        assertTrue(e.getMessage().startsWith("imageFrom: ws must be"), e.getMessage());
        var n = assertThrows(IllegalArgumentException.class, () -> G.imageFrom(partial, ws.sliceView(0, 0, 1), req));
        assertTrue(n.getMessage().contains("block output 0"), n.getMessage());
    }
}
