package io.github.dragganjvm.training.keypoints;

import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.data.toy.Keypoint;
import io.github.dragganjvm.data.toy.ToyFaces;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The training loop on a tiny 16 px detector: seeds, learning-rate steps, determinism, batches, jitter. */
class KeypointTrainerTest {
    static KeypointTrainer.Options tiny(int steps, long seed) {
        return new KeypointTrainer.Options(new DetectorArchitecture(16, new int[]{2, 3, 3, 4}, 4), steps, 2, 1e-2, seed, ImageJitter.DEFAULT, 0);
    }

    @Test
    void sameOptionsGiveTheSameWeightsAndAnotherSeedOthers() {
        KeypointTrainer a = new KeypointTrainer(tiny(3, 5)), b = new KeypointTrainer(tiny(3, 5)), c = new KeypointTrainer(tiny(3, 6));
        for (int i = 0; i < 3; i++) {
            double la = a.step(), lb = b.step();
            c.step();
            // bit-equal: the vector exp/log (VMath) give the same bits whether or not the JIT has compiled them yet
            assertEquals(la, lb, "loss of step " + i);
            assertTrue(Double.isFinite(la) && la > 0, "loss " + la);
        }
        boolean differs = false;
        for (Map.Entry<String, Var> e : a.detector().parameters().entrySet()) {
            assertArrayEquals(e.getValue().value().toFloatArray(), b.detector().parameters().get(e.getKey()).value().toFloatArray(), e.getKey());
            if (!java.util.Arrays.equals(e.getValue().value().toFloatArray(), c.detector().parameters().get(e.getKey()).value().toFloatArray())) differs = true;
        }
        assertTrue(differs, "another run seed should give other weights");
        assertThrows(IllegalStateException.class, a::step);
    }

    @Test
    void trainingSeedsStayAwayFromTheEvaluationSeedsAndTheRateStepsDown() {
        KeypointTrainer t = new KeypointTrainer(tiny(100, 1));
        assertArrayEquals(new long[]{KeypointTrainer.TRAIN_SEED_BASE + 20, KeypointTrainer.TRAIN_SEED_BASE + 21}, t.seeds(10));
        assertTrue(KeypointTrainer.TRAIN_SEED_BASE > KeypointTrainer.EVAL_SEED_BASE + 1_000_000);
        assertEquals(1e-2, t.learningRate(59));
        assertEquals(2e-3, t.learningRate(60), 1e-15);
        assertEquals(2e-3, t.learningRate(84), 1e-15);
        assertEquals(4e-4, t.learningRate(85), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new KeypointTrainer.Options(DetectorArchitecture.toyFaces64(), 100_000_000, 16, 1e-3, 1, ImageJitter.NONE, 0));
    }

    @Test
    void batchHoldsTheToyWorldsImagesAndKeypoints() {
        ToyKeypointBatch b = ToyKeypointBatch.of(32, new long[]{3, 4}, ImageJitter.NONE, new SplittableRandom(0));
        ToyFaces faces = new ToyFaces(32);
        assertArrayEquals(faces.batch(new long[]{3, 4}).toFloatArray(), b.images().toFloatArray());
        float[] xy = b.targets().toFloatArray();
        int k = KeypointDetector.KEYPOINTS;
        for (Keypoint p : Keypoint.values()) {
            assertEquals(faces.keypoints(4).x(p), xy[(k + p.ordinal()) * 2], 1e-5, p + " x");
            assertEquals(faces.keypoints(4).y(p), xy[(k + p.ordinal()) * 2 + 1], 1e-5, p + " y");
        }
    }

    @Test
    void jitterBlurKeepsAConstantImageAndTheCentroidOfADot() {
        assertEquals(1.0, sum(ImageJitter.gaussianTaps(0.7)), 1e-6);
        int res = 16;
        float[] img = new float[3 * res * res];
        java.util.Arrays.fill(img, 0.25f);
        new ImageJitter(1.0, 0, 0, 0).apply(img, 0, 3, res, new SplittableRandom(1));
        for (float v : img) assertEquals(0.25f, v, 1e-6f);
        // a bright dot at (x 6, y 9): the blur spreads it but its centroid stays (symmetric taps, far from the edges)
        float[] dot = new float[3 * res * res];
        dot[9 * res + 6] = 1;
        new ImageJitter(1.0, 0, 0, 0).apply(dot, 0, 3, res, new SplittableRandom(2));
        double m = 0, cx = 0, cy = 0;
        for (int y = 0; y < res; y++) for (int x = 0; x < res; x++) {
            m += dot[y * res + x];
            cx += x * dot[y * res + x];
            cy += y * dot[y * res + x];
        }
        assertTrue(dot[9 * res + 6] < 1, "the dot was not blurred: " + dot[9 * res + 6]);
        assertEquals(1, m, 1e-5);
        assertEquals(6, cx / m, 1e-5);
        assertEquals(9, cy / m, 1e-5);
        float[] clean = new float[3 * res * res];
        ImageJitter.NONE.apply(clean, 0, 3, res, new SplittableRandom(3));
        for (float v : clean) assertEquals(0f, v);
    }

    private static double sum(float[] v) {
        double s = 0;
        for (float x : v) s += x;
        return s;
    }
}
