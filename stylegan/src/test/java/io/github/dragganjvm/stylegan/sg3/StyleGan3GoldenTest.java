package io.github.dragganjvm.stylegan.sg3;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.stylegan.io.GeneratorCheckpoint;
import io.github.dragganjvm.stylegan.io.StyleGan3Checkpoint;
import io.github.dragganjvm.tensor.Backend;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The StyleGAN3 generators (configs T and R) against the reference on golden/sg3-t-256 and sg3-r-256 (float32, the
 * stored input transform as the goldens use it), on both CPU backends: z bit-equal, w and ws within 1e-5, every
 * recorded layer output (sg3-t feat0..feat6, sg3-r feat0..feat5, margins included) and the image within 1e-3; sg3-t's seed0_img_eye (the
 * identity transform, as DragGAN sets it) within 1e-3. The worst element is printed.
 */
class StyleGan3GoldenTest {
    static StyleGan3Generator load(String folder, StyleGan3Generator.InputTransform t) throws Exception {
        GeneratorCheckpoint c = Checkpoints.loadModel(Golden.dir(folder).resolve("model.pkl"));
        StyleGan3Checkpoint s = assertInstanceOf(StyleGan3Checkpoint.class, c, folder + ": the content must be recognised as StyleGAN3");
        return new StyleGan3Generator(s.config(), s.params(), t);
    }

    @ParameterizedTest(name = "{0} seed {1} {2}")
    @CsvSource({
            "sg3-t-256, 0, vector", "sg3-t-256, 1, vector", "sg3-r-256, 0, vector", "sg3-r-256, 1, vector",
            "sg3-t-256, 0, reference", "sg3-r-256, 1, reference"})
    void matchesReference(String folder, int seed, String backend) throws Exception {
        Backend before = Backends.current();
        Backends.use(backend);
        try {
            StyleGan3Generator g = load(folder, StyleGan3Generator.InputTransform.STORED);
            String pre = "seed" + seed + "_", what = folder + " [" + backend + "] seed " + seed;
            assertEquals(16, g.numWs());
            Tensor z = g.z(seed);
            Golden.assertBitEqual(what + " z", Golden.npy(folder, pre + "z"), z);
            Golden.assertClose(what + " w (psi 1)", Golden.npy(folder, pre + "w_psi1"), g.mappingW(z), 1e-5);
            Golden.assertClose(what + " ws (psi 0.7)", Golden.npy(folder, pre + "ws"), g.mapping(z, 0.7, -1), 1e-5);
            try (var ng = GradMode.noGrad()) {
                Generator.Output out = g.synthesis(Var.constant(Golden.npy(folder, pre + "ws")), Generator.Request.full(NoiseMode.CONST));
                assertEquals(15, out.features().size());
                int compared = 0;
                for (int i = 0; i < out.features().size(); i++) {
                    if (!Files.exists(Golden.dir(folder).resolve(pre + "feat" + i + ".npy"))) continue;
                    compared++;
                    Golden.assertClose(what + " feat " + i + " " + g.layerNames().get(i), Golden.npy(folder, pre + "feat" + i), out.features().get(i).value(), 1e-3);
                }
                assertEquals(folder.equals("sg3-t-256") ? 7 : 6, compared, what + ": feature files found (sg3-t records L0..L6, sg3-r L0..L5)");
                Golden.assertClose(what + " image", Golden.npy(folder, pre + "img"), out.image().value(), 1e-3);
            }
        } finally {
            Backends.use(before);
        }
    }

    /** The transform is host arithmetic, the same on both backends: the vector backend suffices here. */
    @ParameterizedTest(name = "identity transform {0}")
    @CsvSource({"vector"})
    void identityTransformMatchesRenderer(String backend) throws Exception {
        Backend before = Backends.current();
        Backends.use(backend);
        try {
            String folder = "sg3-t-256";
            StyleGan3Generator g = load(folder, StyleGan3Generator.InputTransform.IDENTITY);
            try (var ng = GradMode.noGrad()) {
                Tensor img = g.synthesis(Var.constant(Golden.npy(folder, "seed0_ws")), Generator.Request.full(NoiseMode.CONST)).image().value();
                Golden.assertClose(folder + " [" + backend + "] seed 0 image, identity transform", Golden.npy(folder, "seed0_img_eye"), img, 1e-3);
            }
        } finally {
            Backends.use(before);
        }
    }
}
