package io.github.dragganjvm.data.toy;

import io.github.dragganjvm.data.ImageSource;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

class ToyFacesTest {

    @Test void splitMix64MatchesThePublishedSequence() {
        SplitMix64 r = new SplitMix64(0);
        assertEquals(0xE220A8397B1DCDAFL, r.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, r.nextLong());
        assertEquals(0x06C45D188009454FL, r.nextLong());
        SplitMix64 s = new SplitMix64(1234567);   // reference: an independent Python implementation
        assertEquals(0x599ED017FB08FC85L, s.nextLong());
        assertEquals(0x2C73F08458540FA5L, s.nextLong());
    }

    /**
     * The pictures of seeds 0..3 at 64 px are pinned by CRC-32: a change to the sampler or the renderer must be
     * deliberate (bump {@link FaceParams#WORLD_VERSION} and these values together).
     */
    @Test void seedsGiveTheSamePicturesAsWhenTheWorldWasPinned() {
        assertEquals(1, FaceParams.WORLD_VERSION);
        ToyFaces w = new ToyFaces(64);
        long[] got = new long[4];
        for (int s = 0; s < 4; s++) {
            CRC32 crc = new CRC32();
            crc.update(w.rgb8(s));
            got[s] = crc.getValue();
        }
        System.out.println("CRC-32 of seeds 0..3 at 64 px: " + Arrays.toString(Arrays.stream(got).mapToObj(Long::toHexString).toArray()));
        assertArrayEquals(PINNED_CRC, got, "world version 1 changed: " + Arrays.toString(got));
    }
    private static final long[] PINNED_CRC = {4112221518L, 3959501493L, 3381047665L, 1364146462L};

    @Test void sameSeedSameFloatsDifferentSeedsDiffer() {
        ToyFaces a = new ToyFaces(64), b = new ToyFaces(64);
        for (long seed : new long[]{0, 1, 42, -7, Long.MAX_VALUE}) {
            assertArrayEquals(a.image(seed).toFloatArray(), b.image(seed).toFloatArray(), "seed " + seed);
            assertEquals(a.params(seed), b.params(seed));
            assertEquals(a.keypoints(seed), b.keypoints(seed));
        }
        float[] first = a.image(0).toFloatArray();
        for (long seed = 1; seed < 20; seed++) {
            float[] other = a.image(seed).toFloatArray();
            int differing = 0;
            for (int i = 0; i < first.length; i++) if (first[i] != other[i]) differing++;
            assertTrue(differing > first.length / 4, "seed " + seed + " differs from seed 0 in only " + differing + " samples");
            assertNotEquals(a.params(0), a.params(seed));
        }
    }

    @Test void valuesAreBytesOver127point5MinusOneAndShapesAreRight() {
        ToyFaces w = new ToyFaces(32);
        assertEquals(-1, w.size());
        assertEquals(3, w.channels());
        assertEquals(32, w.resolution());
        Tensor img = w.image(3);
        assertArrayEquals(new int[]{3, 32, 32}, img.shape());
        float[] v = img.toFloatArray();
        byte[] raw = w.rgb8(3);
        float lo = 1, hi = -1;
        for (int i = 0; i < v.length; i++) {
            assertTrue(v[i] >= -1 && v[i] <= 1, "value " + v[i] + " at " + i);
            assertEquals((raw[i] & 0xFF) / 127.5 - 1, v[i], 6e-8, "at " + i);
            lo = Math.min(lo, v[i]);
            hi = Math.max(hi, v[i]);
        }
        assertTrue(hi - lo > 1, "a face has contrast: range " + lo + ".." + hi);
        ToySample s = w.sample(3);
        assertArrayEquals(v, s.image().toFloatArray());
        assertEquals(w.keypoints(3), s.keypoints());
        assertEquals(3, s.seed());
    }

    @Test void batchEqualsStackedImagesAndTheDefaultBatch() {
        ToyFaces w = new ToyFaces(16);
        long[] seeds = {5, 2, 5, -1};
        Tensor b = w.batch(seeds);
        assertArrayEquals(new int[]{4, 3, 16, 16}, b.shape());
        ImageSource plain = new ImageSource() {   // only image(): exercises the interface's default batch
            @Override public int resolution() { return 16; }
            @Override public int channels() { return 3; }
            @Override public long size() { return -1; }
            @Override public Tensor image(long index) { return w.image(index); }
        };
        assertArrayEquals(plain.batch(seeds).toFloatArray(), b.toFloatArray());
        float[] all = b.toFloatArray();
        int per = 3 * 16 * 16;
        for (int n = 0; n < seeds.length; n++) {
            assertArrayEquals(w.image(seeds[n]).toFloatArray(), Arrays.copyOfRange(all, n * per, (n + 1) * per), "n=" + n);
        }
    }

    @Test void concurrentReadsGiveTheSameImages() throws Exception {
        ToyFaces w = new ToyFaces(32);
        ExecutorService ex = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> fs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                long seed = i % 4;
                fs.add(ex.submit(() -> w.image(seed).toFloatArray()));
            }
            for (int i = 0; i < 16; i++) assertArrayEquals(w.image(i % 4).toFloatArray(), fs.get(i).get(), "task " + i);
        } finally {
            ex.shutdownNow();
        }
    }

    @Test void edgesAreAntiAliased() {
        FaceParams p = FaceParams.sample(11);
        int res = 64;
        byte[] aa = ToyFaceRenderer.render(p, res), point = ToyFaceRenderer.render(p, res, 1);
        // with one sample per pixel every pixel is a part's colour (or the background of its row); with 4 x 4 many are mixes
        int mixedAa = 0, mixedPoint = 0;
        for (int y = 0; y < res; y++) {
            for (int x = 0; x < res; x++) {
                if (!isPureColour(p, aa, res, x, y)) mixedAa++;
                if (!isPureColour(p, point, res, x, y)) mixedPoint++;
            }
        }
        System.out.println("pixels that are no part's colour: " + mixedAa + " of " + res * res + " with 4x4 samples, " + mixedPoint + " with 1");
        assertEquals(0, mixedPoint);
        assertTrue(mixedAa > 150, "only " + mixedAa + " anti-aliased pixels");

        // along the column through the chin the value steps from skin to background through intermediate values
        Keypoints kp = p.keypoints(res);
        int cx = (int) Math.round(kp.x(Keypoint.CHIN)), cy = (int) Math.round(kp.y(Keypoint.CHIN));
        int[] skin = p.palette().skin().toBytes();
        int ch = 0;
        int[] bg = p.palette().background((cy + 0.5) / res).toBytes();
        for (int c = 1; c < 3; c++) if (Math.abs(skin[c] - bg[c]) > Math.abs(skin[ch] - bg[ch])) ch = c;
        int intermediate = 0;
        for (int y = cy - 1; y <= cy + 1; y++) {
            int v = aa[ch * res * res + y * res + cx] & 0xFF;
            int b = p.palette().background((y + 0.5) / res).toBytes()[ch];
            if (v > Math.min(skin[ch], b) + 2 && v < Math.max(skin[ch], b) - 2) intermediate++;
        }
        assertTrue(intermediate >= 1, "no intermediate value across the chin at column " + cx);
    }

    private static boolean isPureColour(FaceParams p, byte[] img, int res, int x, int y) {
        int plane = res * res, i = y * res + x;
        int[] px = {img[i] & 0xFF, img[plane + i] & 0xFF, img[2 * plane + i] & 0xFF};
        for (int label = 0; label <= ToyFaceRenderer.MOUTH_INSIDE; label++) {
            int[] c = ToyFaceRenderer.colourOf(p, label, (y + 0.5) / res).toBytes();
            if (Math.abs(c[0] - px[0]) <= 1 && Math.abs(c[1] - px[1]) <= 1 && Math.abs(c[2] - px[2]) <= 1) return true;
        }
        return false;
    }

    @Test void resolutionsAgree() {
        FaceParams p = FaceParams.sample(5);
        Keypoints k64 = p.keypoints(64), k128 = p.keypoints(128);
        double[] a = k64.atResolution(128).toArray(), b = k128.toArray();
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-9, "coordinate " + i);
        // the 128 px picture averaged over 2 x 2 blocks is the 64 px picture up to the sampling of edges
        byte[] i64 = ToyFaceRenderer.render(p, 64), i128 = ToyFaceRenderer.render(p, 128);
        double sum = 0;
        int worst = 0, worstAt = -1;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    double m = 0;
                    for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) m += i128[c * 128 * 128 + (2 * y + dy) * 128 + 2 * x + dx] & 0xFF;
                    int d = (int) Math.round(Math.abs(m / 4 - (i64[c * 4096 + y * 64 + x] & 0xFF)));
                    sum += d;
                    if (d > worst) { worst = d; worstAt = c * 4096 + y * 64 + x; }
                }
            }
        }
        double mean = sum / (3 * 4096);
        System.out.printf("64 px vs 128 px pooled: mean |diff| %.3f, worst %d levels at flat index %d%n", mean, worst, worstAt);
        assertTrue(mean < 0.5, "mean " + mean);
        assertTrue(worst <= 24, "worst " + worst + " at " + worstAt);
    }

    @Test void mirroredParametersGiveTheMirroredPictureAndKeypoints() {
        FaceParams p = FaceParams.sample(8);
        FaceParams.Head h = p.head();
        FaceParams.Eyes e = p.eyes();
        FaceParams m = p.withHead(new FaceParams.Head(1 - h.x(), h.y(), h.halfWidth(), h.halfHeight(), -h.tilt(), h.hairline(),
                        h.hairVolume(), h.earY(), h.earSize()))
                .withEyes(new FaceParams.Eyes(e.y(), e.spacing(), e.size(), e.openness(), e.pupilSize(), -e.gazeX(), e.gazeY(),
                        e.browRaise(), e.browTilt()));
        int res = 64;
        double[] want = p.keypoints(res).mirrored().toArray(), got = m.keypoints(res).toArray();
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-9, Keypoint.values()[i / 2] + (i % 2 == 0 ? ".x" : ".y"));
        byte[] a = ToyFaceRenderer.render(p, res), b = ToyFaceRenderer.render(m, res);
        int differ = 0, worst = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < res; y++) {
                for (int x = 0; x < res; x++) {
                    int d = Math.abs((a[c * res * res + y * res + x] & 0xFF) - (b[c * res * res + y * res + (res - 1 - x)] & 0xFF));
                    if (d > 0) differ++;
                    worst = Math.max(worst, d);
                }
            }
        }
        System.out.println("mirror: " + differ + " samples differ (rounding of boundary samples), worst " + worst);
        assertTrue(differ < 30 && worst <= 16, differ + " samples differ, worst " + worst);
    }

    @Test void badArgumentsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ToyFaces(4));
        assertTrue(e.getMessage().contains("resolution"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ToyFaceRenderer.render(FaceParams.sample(0), 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new Rgb(1.5, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new FaceParams.Nose(0.1, -0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> new FaceParams.Mouth(0.5, 0.3, 0, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Keypoints(64, new double[3]));
    }
}
