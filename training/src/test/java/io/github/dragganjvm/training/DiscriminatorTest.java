package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.stylegan.io.DiscriminatorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The discriminator on small configs: float64 gradient checks, minibatch std against loops, init, saving, errors. */
class DiscriminatorTest {
    /** 16x16, channels b16 2, b8 4, b4 8; mbstd groups of 2 with 2 features (so F > 1 and several groups). */
    static DiscriminatorConfig tiny(Double clamp) {
        return new DiscriminatorConfig(0, 16, 3, "resnet", 32, 8, 2, 2, clamp, 0);
    }

    /** Random weights and non-zero biases (so every bias matters), float64. */
    static Map<String, Tensor> randomParams(DiscriminatorConfig c, long seed) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        long s = seed;
        for (Map.Entry<String, int[]> e : c.requiredShapes().entrySet()) {
            Tensor t = Tensor.randn(DType.F64, s++, e.getValue());
            p.put(e.getKey(), e.getKey().endsWith(".bias") ? io.github.dragganjvm.tensor.Ops.scale(t, 0.3) : t);
        }
        return p;
    }

    private static GradCheck.Result check(DiscriminatorConfig c, int n, long seed) {
        Discriminator d = new Discriminator(c, randomParams(c, seed));
        List<String> names = new ArrayList<>(d.parameters().keySet());
        Tensor[] inputs = new Tensor[names.size() + 1];
        inputs[0] = Tensor.randn(DType.F64, seed + 100, n, 3, 16, 16);
        for (int i = 0; i < names.size(); i++) inputs[i + 1] = d.parameters().get(names.get(i)).value().copy();
        return GradCheck.check(vs -> {
            Map<String, Var> p = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) p.put(names.get(i), vs[i + 1]);
            return d.forwardWith(p, vs[0]);
        }, inputs, seed + 7, 1e-6);
    }

    @Test
    void gradientsOfImageAndEveryParameterMatchFiniteDifferences() {
        GradCheck.Result r = check(tiny(null), 4, 11);
        System.out.println("D grad check (no clamp, N 4, mbstd 2x2): " + r);
        assertTrue(r.relError() < 1e-7, r.toString());
        GradCheck.Result r6 = check(tiny(null).withMbstd(null, 1), 3, 12);
        System.out.println("D grad check (no clamp, N 3, mbstd whole batch): " + r6);
        assertTrue(r6.relError() < 1e-7, r6.toString());
    }

    @Test
    void r1PenaltyGradientsMatchFiniteDifferences() {
        // second order: the R1 penalty sum |d sum D(x) / dx|^2 per sample, differentiated by x and every parameter
        DiscriminatorConfig c = tiny(null);
        Discriminator d = new Discriminator(c, randomParams(c, 17));
        List<String> names = new ArrayList<>(d.parameters().keySet());
        Tensor[] inputs = new Tensor[names.size() + 1];
        inputs[0] = Tensor.uniform(DType.F64, 18, -1, 1, 4, 3, 16, 16);
        for (int i = 0; i < names.size(); i++) inputs[i + 1] = d.parameters().get(names.get(i)).value().copy();
        GradCheck.Result r = GradCheck.check(vs -> {
            Map<String, Var> p = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) p.put(names.get(i), vs[i + 1]);
            Var logits = d.forwardWith(p, vs[0]);
            Var g = Var.grad(ReduceOps.sum(logits, false), (Tensor) null, new Var[] {vs[0]}, true)[0];
            return ReduceOps.sum(ElementwiseOps.square(g), false, 1, 2, 3);
        }, inputs, 19, 1e-6);
        System.out.println("D R1 second-order grad check: " + r);
        assertTrue(r.relError() < 1e-6, r.toString());
    }

    @Test
    void clampIsAppliedAndDifferentiated() {
        // a clamp low enough that some activations saturate changes the logits, and the gradients still check
        DiscriminatorConfig c = tiny(0.5);
        Tensor img = Tensor.randn(DType.F64, 3, 4, 3, 16, 16);
        Tensor clamped = new Discriminator(c, randomParams(c, 13)).forward(Var.constant(img)).value();
        Tensor free = new Discriminator(tiny(null), randomParams(c, 13)).forward(Var.constant(img)).value();
        double diff = Golden.diff(free, clamped).maxAbs();
        System.out.println("clamp 0.5 changes the logits by up to " + diff);
        assertTrue(diff > 1e-3, "the clamp must bite: " + diff);
        GradCheck.Result r = check(c, 4, 13);
        System.out.println("D grad check (clamp 0.5): " + r);
        assertTrue(r.relError() < 1e-7, r.toString());
    }

    @Test
    void minibatchStdMatchesLoops() {
        int n = 6, ch = 4, h = 2, w = 3, g = 3, f = 2;
        Tensor x = Tensor.randn(DType.F64, 21, n, ch, h, w);
        Tensor y = Discriminator.minibatchStd(Var.constant(x), g, f).value();
        assertArrayEquals(new int[] {n, ch + f, h, w}, y.shape());
        int groups = n / g, cf = ch / f;
        for (int i = 0; i < n; i++) {
            int j = i % groups;                             // sample i = a * groups + j is in group j
            for (int k = 0; k < f; k++) {
                double acc = 0;
                for (int cc = 0; cc < cf; cc++) {
                    for (int yy = 0; yy < h; yy++) {
                        for (int xx = 0; xx < w; xx++) {
                            double mean = 0, var = 0;
                            for (int a = 0; a < g; a++) mean += x.get(a * groups + j, k * cf + cc, yy, xx);
                            mean /= g;
                            for (int a = 0; a < g; a++) var += Math.pow(x.get(a * groups + j, k * cf + cc, yy, xx) - mean, 2);
                            acc += Math.sqrt(var / g + 1e-8);
                        }
                    }
                }
                double want = acc / (cf * h * w);
                for (int yy = 0; yy < h; yy++) {
                    for (int xx = 0; xx < w; xx++) assertEquals(want, y.get(i, ch + k, yy, xx), 1e-12, "sample " + i + " feature " + k);
                }
            }
            for (int cc = 0; cc < ch; cc++) assertEquals(x.get(i, cc, 1, 2), y.get(i, cc, 1, 2), 0.0, "input channels pass through");
        }
    }

    @Test
    void randomInitIsNvlabsAndSeeded() {
        DiscriminatorConfig c = DiscriminatorConfig.of(32, 3, 512, 64);
        Discriminator a = Discriminator.random(c, 1), b = Discriminator.random(c, 1), other = Discriminator.random(c, 2);
        assertEquals(new ArrayList<>(c.requiredShapes().keySet()), new ArrayList<>(a.parameters().keySet()));
        double sum = 0, sq = 0;
        long count = 0;
        for (Map.Entry<String, Var> e : a.parameters().entrySet()) {
            Tensor t = e.getValue().value();
            assertEquals(DType.F32, t.dtype());
            assertTrue(e.getValue().isLeaf() && e.getValue().requiresGrad(), e.getKey());
            Golden.assertBitEqual(e.getKey(), t, b.parameters().get(e.getKey()).value());
            if (e.getKey().endsWith(".bias")) {
                assertEquals(0.0, Golden.diff(Tensor.zeros(t.shape()), t).maxAbs(), e.getKey() + " starts at 0");
                continue;
            }
            assertTrue(Golden.diff(t, other.parameters().get(e.getKey()).value()).maxAbs() > 0, "another seed differs: " + e.getKey());
            for (double v : t.toDoubleArray()) { sum += v; sq += v * v; count++; }
        }
        double mean = sum / count, std = Math.sqrt(sq / count - mean * mean);
        System.out.printf("random D: %d weights, mean %.4f std %.4f%n", count, mean, std);
        assertEquals(0, mean, 0.02);
        assertEquals(1, std, 0.02);
    }

    @Test
    void saveTensorsIsTheNvlabsStateDict() {
        DiscriminatorConfig c = tiny(null);
        Discriminator d = new Discriminator(c, randomParams(c, 31));
        Map<String, Tensor> saved = d.saveTensors();
        // NVlabs D.state_dict() order: a block's own buffer, then each layer's parameters and buffer
        List<String> want = List.of(
                "b16.resample_filter",
                "b16.fromrgb.weight", "b16.fromrgb.bias", "b16.fromrgb.resample_filter",
                "b16.conv0.weight", "b16.conv0.bias", "b16.conv0.resample_filter",
                "b16.conv1.weight", "b16.conv1.bias", "b16.conv1.resample_filter",
                "b16.skip.weight", "b16.skip.resample_filter",
                "b8.resample_filter",
                "b8.conv0.weight", "b8.conv0.bias", "b8.conv0.resample_filter",
                "b8.conv1.weight", "b8.conv1.bias", "b8.conv1.resample_filter",
                "b8.skip.weight", "b8.skip.resample_filter",
                "b4.conv.weight", "b4.conv.bias", "b4.conv.resample_filter",
                "b4.fc.weight", "b4.fc.bias", "b4.out.weight", "b4.out.bias");
        assertEquals(want, new ArrayList<>(saved.keySet()));
        float[] fir = new float[16];
        float[] k = {1, 3, 3, 1};
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) fir[4 * i + j] = k[i] * k[j] / 64f;
        for (Map.Entry<String, Tensor> e : saved.entrySet()) {
            assertEquals(DType.F32, e.getValue().dtype(), e.getKey());
            if (e.getKey().endsWith("resample_filter")) Golden.assertBitEqual(e.getKey(), Tensor.of(fir, 4, 4), e.getValue());
            else Golden.assertBitEqual(e.getKey(), d.parameters().get(e.getKey()).value().copyAs(DType.F32), e.getValue());
        }
        // copies: changing one leaves the discriminator alone
        saved.get("b4.out.bias").set(123, 0);
        assertNotEquals(123.0, d.parameters().get("b4.out.bias").value().get(0));
        // parameterTensors rebuilds the same discriminator
        Tensor img = Tensor.randn(DType.F64, 4, 2, 3, 16, 16);
        Golden.assertBitEqual("rebuilt", d.forward(Var.constant(img)).value(),
                new Discriminator(c, d.parameterTensors()).forward(Var.constant(img)).value());
    }

    @Test
    void refusesBadInputs() {
        DiscriminatorConfig c = tiny(null);
        Discriminator d = Discriminator.random(c, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.forward(Var.constant(Tensor.zeros(2, 3, 8, 8))));
        assertTrue(e.getMessage().contains("[N, 3, 16, 16]") && e.getMessage().contains("[2, 3, 8, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> d.forward(Var.constant(Tensor.zeros(3, 3, 16, 16))));
        assertTrue(e.getMessage().contains("batch size 3") && e.getMessage().contains("group size 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> d.forward(Var.constant(Tensor.zeros(DType.F64, 2, 3, 16, 16))));
        assertTrue(e.getMessage().contains("F64") && e.getMessage().contains("F32"), e.getMessage());
        Map<String, Tensor> p = new LinkedHashMap<>(d.parameterTensors());
        p.put("b8.skip.weight", Tensor.zeros(8, 8, 1, 1));
        e = assertThrows(IllegalArgumentException.class, () -> new Discriminator(c, p));
        assertTrue(e.getMessage().contains("b8.skip.weight has shape [8, 8, 1, 1], expected [8, 4, 1, 1]"), e.getMessage());
        p.remove("b8.skip.weight");
        e = assertThrows(IllegalArgumentException.class, () -> new Discriminator(c, p));
        assertTrue(e.getMessage().contains("b8.skip.weight is missing"), e.getMessage());
    }
}
