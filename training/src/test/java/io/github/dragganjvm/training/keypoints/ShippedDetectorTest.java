package io.github.dragganjvm.training.keypoints;

import io.github.dragganjvm.data.toy.FaceParams;
import io.github.dragganjvm.data.toy.Keypoint;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The committed detector for 64 px toy faces, read from the classpath: accuracy on held-out faces, translation. */
class ShippedDetectorTest {
    static KeypointDetector detector;

    @BeforeAll
    static void load() { detector = KeypointDetector.toyFaces64(); }

    @Test
    void isTheDocumentedArchitecture() {
        assertEquals(DetectorArchitecture.toyFaces64(), detector.architecture());
        assertEquals(64, detector.resolution());
    }

    @Test
    void meanErrorOnHundredHeldOutFacesIsBelowOnePixel() {
        KeypointEvaluation e = KeypointEvaluation.run(detector, KeypointTrainer.EVAL_SEED_BASE, 100, ImageJitter.NONE, 0);
        System.out.println("shipped detector, held-out seeds " + KeypointTrainer.EVAL_SEED_BASE + "..+99, clean renders:\n" + e.table());
        assertTrue(e.overallMean() < 1.0, String.format(Locale.ROOT, "mean error %.3f px >= 1 px; worst keypoint %s (mean %.3f px)",
                e.overallMean(), e.worst(), e.mean(e.worst())));
    }

    @Test
    void predictionsFollowTheHeadWhenItMovesThreePixelsRight() {
        // the same face with its head (and everything on it) 3 px to the right over the same background
        int res = 64, n = 8;
        double shift = 3.0;
        FaceParams[] faces = new FaceParams[2 * n];
        for (int i = 0; i < n; i++) {
            FaceParams p = FaceParams.sample(KeypointTrainer.EVAL_SEED_BASE + 500 + i);
            FaceParams.Head h = p.head();
            faces[2 * i] = p;
            faces[2 * i + 1] = p.withHead(new FaceParams.Head(h.x() + shift / res, h.y(), h.halfWidth(), h.halfHeight(), h.tilt(), h.hairline(),
                    h.hairVolume(), h.earY(), h.earSize()));
        }
        ToyKeypointBatch b = ToyKeypointBatch.of(res, faces, ImageJitter.NONE, new SplittableRandom(0));
        float[][][] pred = detector.predict(b.images());
        float[] truth = b.targets().toFloatArray();
        int k = KeypointDetector.KEYPOINTS;
        double sumDx = 0, sumDy = 0, worst = 0;
        String at = "";
        for (int i = 0; i < n; i++) {
            for (Keypoint p : Keypoint.values()) {
                int o = p.ordinal();
                // the truth moves by exactly (3, 0)
                assertEquals(shift, truth[((2 * i + 1) * k + o) * 2] - truth[(2 * i * k + o) * 2], 1e-4, "true x shift of " + p);
                assertEquals(0, truth[((2 * i + 1) * k + o) * 2 + 1] - truth[(2 * i * k + o) * 2 + 1], 1e-4, "true y shift of " + p);
                double dx = pred[2 * i + 1][o][0] - pred[2 * i][o][0], dy = pred[2 * i + 1][o][1] - pred[2 * i][o][1];
                sumDx += dx;
                sumDy += dy;
                double err = Math.hypot(dx - shift, dy);
                if (err > worst) {
                    worst = err;
                    at = String.format(Locale.ROOT, "face %d %s: predicted shift (%.3f, %.3f)", i, p, dx, dy);
                }
            }
        }
        double meanDx = sumDx / (n * k), meanDy = sumDy / (n * k);
        System.out.printf(Locale.ROOT, "head +3 px: mean predicted shift (%.3f, %.3f) px; worst |shift - (3, 0)| %.3f px at %s%n", meanDx, meanDy, worst, at);
        assertEquals(shift, meanDx, 0.15, "mean predicted x shift");
        assertEquals(0, meanDy, 0.15, "mean predicted y shift");
        assertTrue(worst < 1.5, "a keypoint's predicted shift is " + worst + " px from (3, 0): " + at);
    }

    @Test
    void predictionsOfABatchEqualThoseOfSingleImages() {
        ToyKeypointBatch b = ToyKeypointBatch.of(64, new long[]{7, 8, 9}, ImageJitter.NONE, new SplittableRandom(0));
        float[][][] all = detector.predict(b.images());
        for (int i = 0; i < 3; i++) {
            Tensor one = b.images().sliceView(0, i, i + 1).copy();
            float[][][] single = detector.predict(one);
            for (int k = 0; k < KeypointDetector.KEYPOINTS; k++) assertArrayEquals(all[i][k], single[0][k], 1e-4f, "image " + i + " keypoint " + k);
        }
    }

    @Test
    void readGivesPredictsKeypointsAndIsSureOfRealFacesButNotOfAFlatImage() {
        ToyKeypointBatch b = ToyKeypointBatch.of(64, new long[]{KeypointTrainer.EVAL_SEED_BASE + 900, KeypointTrainer.EVAL_SEED_BASE + 901},
                ImageJitter.NONE, new SplittableRandom(0));
        KeypointDetector.Readout r = detector.read(b.images());
        float[][][] pred = detector.predict(b.images());
        for (int i = 0; i < 2; i++) {
            for (int q = 0; q < KeypointDetector.KEYPOINTS; q++) {
                assertEquals(pred[i][q][0], r.keypoints()[i][q][0], 1e-5);
                assertEquals(pred[i][q][1], r.keypoints()[i][q][1], 1e-5);
                assertTrue(r.peakMass()[i][q] > 0.5 && r.peakMass()[i][q] <= 1.0001, "peak mass of keypoint " + q + " on a real face: " + r.peakMass()[i][q]);
            }
            assertEquals(64, r.features()[i].length);
        }
        KeypointDetector.Readout flat = detector.read(Tensor.zeros(io.github.dragganjvm.tensor.DType.F32, 1, 3, 64, 64));
        double mean = 0;
        for (float v : flat.peakMass()[0]) mean += v / KeypointDetector.KEYPOINTS;
        assertTrue(mean < 0.5, "a flat grey image has no face, yet the mean peak mass is " + mean);
    }
}
