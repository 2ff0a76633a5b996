package io.github.dragganjvm.training.keypoints;

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.io.SafeTensors;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The detector network on tiny architectures: float64 gradient checks, soft-argmax against loops, saving, errors. */
class KeypointDetectorTest {
    /** 16 px, widths 2, 3, 3, 4; heatmap side 8 (all three decoder levels) or 4. */
    static DetectorArchitecture tiny(int heatmap) { return new DetectorArchitecture(16, new int[]{2, 3, 3, 4}, heatmap); }

    /** Random weights and non-zero biases (so every bias matters), float64. */
    static Map<String, Tensor> randomParams(DetectorArchitecture a, long seed) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        long s = seed;
        for (Map.Entry<String, int[]> e : a.parameterShapes(KeypointDetector.KEYPOINTS).entrySet()) {
            Tensor t = Tensor.randn(DType.F64, s++, e.getValue());
            p.put(e.getKey(), Ops.scale(t, e.getKey().endsWith(".bias") ? 0.3 : 0.5));
        }
        return p;
    }

    private static GradCheck.Result check(DetectorArchitecture a, int n, long seed) {
        KeypointDetector d = new KeypointDetector(a, randomParams(a, seed));
        List<String> names = new ArrayList<>(d.parameters().keySet());
        Tensor[] inputs = new Tensor[names.size() + 1];
        inputs[0] = Tensor.uniform(DType.F64, seed + 100, -1, 1, n, 3, a.resolution(), a.resolution());
        for (int i = 0; i < names.size(); i++) inputs[i + 1] = d.parameters().get(names.get(i)).value().copy();
        return GradCheck.check(vs -> {
            Map<String, Var> p = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) p.put(names.get(i), vs[i + 1]);
            return d.forwardWith(p, vs[0]);
        }, inputs, seed + 7, 1e-6);
    }

    @Test
    void gradientsOfImageAndEveryParameterMatchFiniteDifferences() {
        GradCheck.Result r8 = check(tiny(8), 2, 11);
        System.out.println("detector grad check (16 px, heatmap 8): " + r8);
        assertTrue(r8.relError() < 1e-7, r8.toString());
        GradCheck.Result r4 = check(tiny(4), 3, 12);
        System.out.println("detector grad check (16 px, heatmap 4): " + r4);
        assertTrue(r4.relError() < 1e-7, r4.toString());
    }

    @Test
    void softArgmaxIsTheSoftmaxWeightedMeanOfTheCellCentres() {
        DetectorArchitecture a = tiny(4);                         // cells of 4 x 4 pixels, centres 1.5, 5.5, 9.5, 13.5
        KeypointDetector d = new KeypointDetector(a, randomParams(a, 3));
        int n = 2, k = KeypointDetector.KEYPOINTS, s = 4;
        Tensor h = Ops.scale(Tensor.randn(DType.F64, 5, n, k, s, s), 30);   // large logits: the max shift matters
        double[] hv = h.toDoubleArray();
        double[] got = d.softArgmax(Var.constant(h)).value().toDoubleArray();
        double worst = 0;
        String at = "";
        for (int i = 0; i < n * k; i++) {
            double max = Double.NEGATIVE_INFINITY, z = 0, x = 0, y = 0;
            for (int c = 0; c < s * s; c++) max = Math.max(max, hv[i * s * s + c]);
            for (int r = 0; r < s; r++) {
                for (int c = 0; c < s; c++) {
                    double w = Math.exp(hv[i * s * s + r * s + c] - max);
                    z += w;
                    x += w * ((c + 0.5) * 4 - 0.5);
                    y += w * ((r + 0.5) * 4 - 0.5);
                }
            }
            double ex = Math.abs(got[2 * i] - x / z), ey = Math.abs(got[2 * i + 1] - y / z);
            if (Math.max(ex, ey) > worst) {
                worst = Math.max(ex, ey);
                at = "row " + i + ": got (" + got[2 * i] + ", " + got[2 * i + 1] + "), loops (" + x / z + ", " + y / z + ")";
            }
        }
        assertTrue(worst < 1e-12, "soft-argmax differs from loops by " + worst + " at " + at);
        // uniform heatmaps give the image centre
        double[] c = d.softArgmax(Var.constant(Tensor.zeros(DType.F64, 1, k, s, s))).value().toDoubleArray();
        for (double v : c) assertEquals(7.5, v, 1e-12);
    }

    @Test
    void saveLoadRoundTripKeepsParametersAndPredictions(@TempDir Path dir) throws IOException {
        DetectorArchitecture a = tiny(8);
        KeypointDetector d = KeypointDetector.random(a, 42, DType.F32);
        Path f = dir.resolve("d.safetensors");
        d.save(f, Map.of("training", "test"));
        KeypointDetector back = KeypointDetector.load(f);
        assertEquals(a, back.architecture());
        assertEquals(DType.F32, back.dtype());
        for (Map.Entry<String, Var> e : d.parameters().entrySet()) {
            assertArrayEquals(e.getValue().value().toFloatArray(), back.parameters().get(e.getKey()).value().toFloatArray(), e.getKey());
        }
        Tensor img = Tensor.uniform(DType.F32, 9, -1, 1, 3, 3, 16, 16);
        float[][][] p0 = d.predict(img), p1 = back.predict(img);
        for (int i = 0; i < 3; i++) for (int k = 0; k < KeypointDetector.KEYPOINTS; k++) assertArrayEquals(p0[i][k], p1[i][k]);
        Map<String, String> meta = SafeTensors.readHeader(f).metadata();
        assertEquals(a.describe(), meta.get(KeypointDetector.META_ARCHITECTURE));
        assertEquals("16", meta.get(KeypointDetector.META_RESOLUTION));
        assertEquals("test", meta.get("training"));
        assertThrows(IllegalArgumentException.class, () -> d.save(f, Map.of(KeypointDetector.META_RESOLUTION, "64")));
    }

    @Test
    void loadRefusesOtherFilesNamingTheProblem(@TempDir Path dir) throws IOException {
        DetectorArchitecture a = tiny(8);
        KeypointDetector d = KeypointDetector.random(a, 1, DType.F32);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : d.parameters().entrySet()) t.put(e.getKey(), e.getValue().value());
        Map<String, String> good = new LinkedHashMap<>();
        good.put(KeypointDetector.META_FORMAT, KeypointDetector.FORMAT);
        good.put(KeypointDetector.META_ARCHITECTURE, a.describe());
        good.put(KeypointDetector.META_RESOLUTION, "16");
        good.put(KeypointDetector.META_KEYPOINTS, KeypointDetector.keypointNames());

        Map<String, String> noFormat = new LinkedHashMap<>(good);
        noFormat.remove(KeypointDetector.META_FORMAT);
        assertMessage(dir, noFormat, t, "metadata 'format' is missing");

        Map<String, String> wrongRes = new LinkedHashMap<>(good);
        wrongRes.put(KeypointDetector.META_RESOLUTION, "64");
        assertMessage(dir, wrongRes, t, "architecture is for 16 px");

        Map<String, String> otherArch = new LinkedHashMap<>(good);
        otherArch.put(KeypointDetector.META_ARCHITECTURE, "resnet18");
        assertMessage(dir, otherArch, t, "unknown architecture 'resnet18'");

        Map<String, String> otherKeypoints = new LinkedHashMap<>(good);
        otherKeypoints.put(KeypointDetector.META_KEYPOINTS, "HEAD_CENTER,CHIN");
        assertMessage(dir, otherKeypoints, t, "metadata 'keypoints'");

        Map<String, String> widerArch = new LinkedHashMap<>(good);
        widerArch.put(KeypointDetector.META_ARCHITECTURE, new DetectorArchitecture(16, new int[]{2, 3, 3, 5}, 8).describe());
        assertMessage(dir, widerArch, t, "enc3.down.weight has shape [4, 3, 3, 3], expected [5, 3, 3, 3]");

        Map<String, Tensor> missing = new LinkedHashMap<>(t);
        missing.remove("head.bias");
        missing.put("extra", Tensor.zeros(2));
        assertMessage(dir, good, missing, "head.bias is missing; extra is not a parameter");
    }

    private static void assertMessage(Path dir, Map<String, String> meta, Map<String, Tensor> t, String expected) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        SafeTensors.write(f, meta, t);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeypointDetector.load(f));
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
        assertTrue(e.getMessage().contains("bad.safetensors"), e.getMessage());
    }

    @Test
    void predictRefusesImagesOfAnotherSize() {
        KeypointDetector d = KeypointDetector.random(tiny(8), 1, DType.F32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.predict(Tensor.zeros(1, 3, 32, 32)));
        assertTrue(e.getMessage().contains("[N >= 1, 3, 16, 16]") && e.getMessage().contains("[1, 3, 32, 32]"), e.getMessage());
    }

    @Test
    void architectureLineRoundTripsAndRefusesOthers() {
        DetectorArchitecture a = DetectorArchitecture.toyFaces64();
        assertEquals("unet4-softargmax-v1 resolution=64 widths=16,32,48,64 heatmap=32", a.describe());
        assertEquals(a, DetectorArchitecture.parse(a.describe()));
        assertEquals(0, a.heatmapLevel());
        assertThrows(IllegalArgumentException.class, () -> DetectorArchitecture.parse(a.describe() + " "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DetectorArchitecture(64, new int[]{8, 8, 8, 8}, 64));
        assertTrue(e.getMessage().contains("heatmap side"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DetectorArchitecture(40, new int[]{8, 8, 8, 8}, 10));
    }
}
