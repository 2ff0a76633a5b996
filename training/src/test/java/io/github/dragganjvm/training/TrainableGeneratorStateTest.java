package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.Adam;
import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The generator's state: w_avg tracking, the G_ema update, copies, snapshots, and the constructor's checks. */
class TrainableGeneratorStateTest {
    private static final GeneratorConfig TINY = TrainableGeneratorGradTest.TINY;

    private static TrainableGenerator tiny(long seed) {
        Map<String, Tensor> t = GeneratorInit.nvlabs(TINY, seed, DType.F64);
        t.put("mapping.w_avg", Tensor.randn(DType.F64, seed + 1, TINY.wDim()));
        return new TrainableGenerator(TINY, t);
    }

    @Test
    void updateWAvgIsTorchLerpOfTheBatchMean() {
        for (double beta : new double[] {TrainableGenerator.W_AVG_BETA, 0.3}) {
            TrainableGenerator g = tiny(1);
            double[] avg = g.wAvg().toDoubleArray();
            Tensor w = Tensor.randn(DType.F64, 5, 6, TINY.wDim());
            g.updateWAvg(w, beta);
            double[] got = g.wAvg().toDoubleArray();
            for (int j = 0; j < avg.length; j++) {
                double mean = 0;
                for (int i = 0; i < 6; i++) mean += w.get(i, j);
                mean /= 6;
                double want = mean + beta * (avg[j] - mean);                  // lerp(mean, w_avg, beta)
                assertEquals(want, got[j], 1e-14, "beta " + beta + " w_avg[" + j + "]");
            }
        }
        TrainableGenerator g = tiny(1);
        double[] before = g.wAvg().toDoubleArray();
        g.mapping(Var.constant(Tensor.randn(DType.F64, 2, 3, TINY.zDim())), 1, -1);
        assertArrayEquals(before, g.wAvg().toDoubleArray(), "the forward changes no state");
        assertThrows(IllegalArgumentException.class, () -> g.updateWAvg(Tensor.zeros(DType.F64, 3, TINY.wDim() + 1), 0.9));
    }

    @Test
    void lerpFromIsTheNvlabsEmaUpdate() {
        TrainableGenerator g = tiny(1), ema = tiny(2);
        Map<String, double[]> before = new LinkedHashMap<>();
        ema.parameters().forEach((n, v) -> before.put(n, v.value().toDoubleArray()));
        double beta = 0.9;
        ema.lerpFrom(g, beta);
        for (String n : g.parameters().keySet()) {
            double[] p = g.parameter(n).value().toDoubleArray(), e0 = before.get(n), e1 = ema.parameter(n).value().toDoubleArray();
            for (int i = 0; i < p.length; i++) {
                double want = p[i] + beta * (e0[i] - p[i]);
                assertEquals(want, e1[i], 1e-14 * Math.max(1, Math.abs(want)), n + "[" + i + "]");
            }
        }
        for (String n : g.buffers().keySet()) assertArrayEquals(g.buffers().get(n).toDoubleArray(), ema.buffers().get(n).toDoubleArray(), n + " copied");
        // beta 1 keeps the EMA exactly, beta 0 takes G exactly
        TrainableGenerator keep = tiny(3);
        double[] k0 = keep.parameter("synthesis.b8.conv0.weight").value().toDoubleArray();
        keep.lerpFrom(g, 1);
        assertArrayEquals(k0, keep.parameter("synthesis.b8.conv0.weight").value().toDoubleArray());
        keep.lerpFrom(g, 0);
        assertArrayEquals(g.parameter("synthesis.b8.conv0.weight").value().toDoubleArray(), keep.parameter("synthesis.b8.conv0.weight").value().toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> keep.lerpFrom(g, 1.5));
    }

    @Test
    void copiesAreDeepAndSnapshotsStayPut() {
        TrainableGenerator g = tiny(1);
        TrainableGenerator c = g.copy();
        Generator snap = g.toInference();
        Tensor z = Tensor.randn(DType.F64, 4, 1, TINY.zDim());
        Tensor img0;
        try (var ng = GradMode.noGrad()) {
            img0 = g.synthesis(g.mapping(Var.constant(z), 1, -1), NoiseMode.CONST, 0).value();
        }
        String w = "synthesis.b16.conv1.weight";
        assertNotSame(g.parameter(w), c.parameter(w));
        assertFalse(g.parameter(w).value().isConstant(), "making an inference snapshot leaves the parameters mutable");
        Ops.fill(g.parameter(w).value(), 0.5);
        Ops.fill(g.wAvg(), 2);
        assertFalse(c.parameter(w).value().toDoubleArray()[0] == 0.5, "copy is independent");
        assertFalse(c.wAvg().toDoubleArray()[0] == 2, "copied buffer is independent");
        try (var ng = GradMode.noGrad()) {
            Tensor fromSnap = snap.synthesis(Var.constant(snap.mapping(z, 1, -1)), Generator.Request.full(NoiseMode.CONST)).image().value();
            Golden.assertCloseRel("snapshot after the parameters changed", img0, fromSnap, 1e-12);
            Tensor fromCopy = c.synthesis(c.mapping(Var.constant(z), 1, -1), NoiseMode.CONST, 0).value();
            Golden.assertBitEqual("copy", img0, fromCopy);
        }
        c.copyValuesFrom(g);
        assertArrayEquals(g.parameter(w).value().toDoubleArray(), c.parameter(w).value().toDoubleArray());
        assertArrayEquals(g.wAvg().toDoubleArray(), c.wAvg().toDoubleArray());
    }

    @Test
    void adamUpdatesTheParametersInPlace() {
        TrainableGenerator g = tiny(1);
        Adam opt = new Adam(g.parameterList(), 0.01);
        Var img = g.synthesis(g.mapping(Var.constant(Tensor.randn(DType.F64, 4, 2, TINY.zDim())), 1, -1), NoiseMode.RANDOM, 3);
        img.backward(Tensor.randn(DType.F64, 5, img.shape()));
        double before = g.parameter("synthesis.b4.const").value().get(0, 0, 0);
        opt.step();
        assertEquals(before - 0.01 * Math.signum(g.parameter("synthesis.b4.const").grad().get(0, 0, 0)),
                g.parameter("synthesis.b4.const").value().get(0, 0, 0), 1e-6, "Adam's first step moves by lr");
    }

    @Test
    void convClampIsApplied() {
        // a clamp of 0.3 cuts many activations of this model; the result equals the inference Generator's with it
        GeneratorConfig clamped = new GeneratorConfig(8, 8, 0, 16, 3, 2, 0.01, 64, 8, 0.3, 0, "skip");
        Map<String, Tensor> t = GeneratorInit.nvlabs(clamped, 5, DType.F32);
        TrainableGenerator g = new TrainableGenerator(clamped, t), free = new TrainableGenerator(TINY, t);
        Tensor ws = g.toInference().mapping(Tensor.randn(DType.F32, 6, 2, 8), 1, -1);
        try (var ng = GradMode.noGrad()) {
            Tensor want = g.toInference().synthesis(Var.constant(ws), Generator.Request.full(NoiseMode.CONST)).image().value();
            Tensor got = g.synthesis(Var.constant(ws), NoiseMode.CONST, 0).value();
            Golden.assertCloseRel("clamped image vs Generator", want, got, 2e-6);
            assertTrue(Golden.diff(got, free.synthesis(Var.constant(ws), NoiseMode.CONST, 0).value()).maxAbs() > 1e-2, "the clamp changes the image");
        }
    }

    @Test
    void styleMixTakesRowsFromEach() {
        Var a = Var.param(Tensor.randn(DType.F64, 1, 2, 6, 8)), b = Var.param(Tensor.randn(DType.F64, 2, 2, 6, 8));
        Var m = TrainableGenerator.styleMix(a, b, 4);
        for (int n = 0; n < 2; n++) for (int r = 0; r < 6; r++) for (int c = 0; c < 8; c++) {
            assertEquals((r < 4 ? a : b).value().get(n, r, c), m.value().get(n, r, c), "[" + n + ", " + r + ", " + c + "]");
        }
        m.backward(Tensor.full(DType.F64, 1, 2, 6, 8));
        assertEquals(2 * 4 * 8, Ops.sumAll(a.grad()).item(), "rows 0..3 of ws get the gradient");
        assertEquals(2 * 2 * 8, Ops.sumAll(b.grad()).item(), "rows 4..5 of the other");
        assertSame(a, TrainableGenerator.styleMix(a, b, 6));
        assertThrows(IllegalArgumentException.class, () -> TrainableGenerator.styleMix(a, b, 7));
    }

    @Test
    void constructorNamesWhatDoesNotFit() {
        Map<String, Tensor> t = GeneratorInit.nvlabs(TINY, 1, DType.F32);
        Map<String, Tensor> missing = new LinkedHashMap<>(t);
        missing.remove("synthesis.b8.conv0.noise_strength");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainableGenerator(TINY, missing));
        assertTrue(e.getMessage().contains("synthesis.b8.conv0.noise_strength"), e.getMessage());
        Map<String, Tensor> shape = new LinkedHashMap<>(t);
        shape.put("synthesis.b4.const", Tensor.zeros(DType.F32, 8, 4, 5));
        e = assertThrows(IllegalArgumentException.class, () -> new TrainableGenerator(TINY, shape));
        assertTrue(e.getMessage().contains("synthesis.b4.const") && e.getMessage().contains("[8, 4, 5]"), e.getMessage());
        Map<String, Tensor> mixed = new LinkedHashMap<>(t);
        mixed.put("mapping.fc0.bias", Tensor.zeros(DType.F64, 8));
        e = assertThrows(IllegalArgumentException.class, () -> new TrainableGenerator(TINY, mixed));
        assertTrue(e.getMessage().contains("mapping.fc0.bias") && e.getMessage().contains("F64"), e.getMessage());
        TrainableGenerator g = new TrainableGenerator(TINY, t);
        e = assertThrows(IllegalArgumentException.class, () -> g.synthesis(Var.constant(Tensor.zeros(DType.F32, 1, 5, 8)), NoiseMode.CONST, 0));
        assertTrue(e.getMessage().contains("[N, 6, 8]"), e.getMessage());
    }
}
