package io.github.dragganjvm.training.quality;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.stylegan.io.BuiltinModels;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.training.keypoints.KeypointDetector;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The shipped toy-faces model draws faces: the keypoint detector (trained on rendered faces only) finds their parts
 * about as surely as on real faces, and their geometry is much nearer the real faces' than random weights' is.
 */
class BuiltinModelQualityTest {
    private static final int N = 64;

    @Test void theShippedModelDrawsFacesTheDetectorReads() throws Exception {
        Checkpoint c = BuiltinModels.load(BuiltinModels.TOY_FACES_64);
        assertEquals(64, c.config().imgResolution());
        Generator g = new Generator(c.config(), c.params());
        KeypointDetector det = KeypointDetector.toyFaces64();
        KeypointDetector.Readout real = GeneratorQuality.real(det, GeneratorQuality.REAL_REFERENCE_SEED, N);
        GeneratorQuality.Row model = GeneratorQuality.row("model", GeneratorQuality.generated(det, g, N, 1), real);
        GeneratorQuality.Row random = GeneratorQuality.row("random", GeneratorQuality.generated(det, RandomModels.create(64, c.config().channelBase(), 0), N, 1), real);
        GeneratorQuality.Row floor = GeneratorQuality.row("real", GeneratorQuality.real(det, GeneratorQuality.REAL_SECOND_SEED, N), real);
        System.out.print(GeneratorQuality.table(List.of(floor, model, random)));
        assertTrue(model.found() >= 0.95, "keypoints found on the model's faces: " + model.found());
        assertTrue(model.peakMass() > random.peakMass() + 0.1, "peak mass: model " + model.peakMass() + ", random weights " + random.peakMass());
        assertTrue(model.fkd() < 0.2 * random.fkd(), "keypoint Frechet distance: model " + model.fkd() + ", random weights " + random.fkd());
    }
}
