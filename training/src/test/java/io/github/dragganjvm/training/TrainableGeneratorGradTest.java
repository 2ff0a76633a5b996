package io.github.dragganjvm.training;

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradients with respect to the raw parameters against float64 random-direction finite differences
 * ({@link GradCheck}), through mapping and synthesis, on a tiny random generator (16 px, 8 channels, w_dim 8) whose
 * zero-initialised parameters (biases, noise strengths) are made non-zero so that every one matters.
 */
class TrainableGeneratorGradTest {
    /** 16 px: blocks b4 (8 ch), b8 (8 ch), b16 (4 ch); 2 mapping layers with NVlabs' lr multiplier 0.01. */
    static final GeneratorConfig TINY = new GeneratorConfig(8, 8, 0, 16, 3, 2, 0.01, 64, 8, null, 0, "skip");
    private static final double H = 1e-6, TOL = 1e-7;

    /** NVlabs init, then every all-zero parameter (biases, noise strengths) and the affine biases randomised. */
    static TrainableGenerator tiny(GeneratorConfig cfg, DType dtype) {
        Map<String, Tensor> t = GeneratorInit.nvlabs(cfg, 41, dtype);
        long s = 100;
        for (Map.Entry<String, Tensor> e : t.entrySet()) {
            String n = e.getKey();
            if (n.endsWith(".affine.bias")) e.setValue(Ops.addScalar(Ops.scale(Tensor.randn(dtype, s++, e.getValue().shape()), 0.3), 1));
            else if (n.endsWith(".bias") || n.endsWith(".noise_strength") || n.equals("mapping.w_avg")) {
                e.setValue(Ops.scale(Tensor.randn(dtype, s++, e.getValue().shape()), 0.3));
            }
        }
        return new TrainableGenerator(cfg, t);
    }

    private static final TrainableGenerator G = tiny(TINY, DType.F64);
    private static final Tensor Z = Tensor.randn(DType.F64, 9, 2, TINY.zDim());

    /** The image from z as a function of the named parameters (the rest fixed), finite-difference step h. */
    private static GradCheck.Result check(List<String> names, NoiseMode noise, long seed) { return check(names, noise, seed, H); }

    private static GradCheck.Result check(List<String> names, NoiseMode noise, long seed, double h) {
        Tensor[] inputs = new Tensor[names.size()];
        for (int i = 0; i < inputs.length; i++) inputs[i] = G.parameter(names.get(i)).value();
        return GradCheck.check(v -> {
            Map<String, Var> sub = new LinkedHashMap<>();
            for (int i = 0; i < v.length; i++) sub.put(names.get(i), v[i]);
            TrainableGenerator g = G.withParameters(sub);
            return g.synthesis(g.mapping(Var.constant(Z), 1, -1), noise, 5);
        }, inputs, seed, h);
    }

    @Test
    void eachKindOfParameter() {
        String[] names = {
                "mapping.fc0.weight", "mapping.fc0.bias", "mapping.fc1.weight", "mapping.fc1.bias",
                "synthesis.b4.const",
                "synthesis.b4.conv1.weight", "synthesis.b4.conv1.bias", "synthesis.b4.conv1.noise_strength",
                "synthesis.b4.conv1.affine.weight", "synthesis.b4.conv1.affine.bias",
                "synthesis.b8.conv0.weight", "synthesis.b8.conv0.noise_strength", "synthesis.b8.conv0.affine.bias",   // up-sampling conv
                "synthesis.b16.conv1.weight", "synthesis.b16.conv1.bias",
                "synthesis.b4.torgb.weight", "synthesis.b8.torgb.bias", "synthesis.b16.torgb.affine.weight", "synthesis.b16.torgb.affine.bias"};
        List<String> bad = new ArrayList<>();
        long seed = 1;
        for (String n : names) {
            // the mapping's raw parameters act through lr_multiplier (0.01): a step of H / lr moves the function as
            // much as H moves the others (with H itself, float64 rounding of the tiny difference dominates: 2e-7)
            double h = n.startsWith("mapping.") ? H / TINY.mappingLrMultiplier() : H;
            GradCheck.Result r = check(List.of(n), NoiseMode.CONST, seed++, h);
            System.out.println("d(image)/d(" + n + "): " + r);
            if (!(r.relError() < TOL)) bad.add(n + ": " + r);
        }
        assertTrue(bad.isEmpty(), "gradient checks failed: " + bad);
    }

    @Test
    void allParametersAtOnce() {
        GradCheck.Result r = check(List.copyOf(G.parameters().keySet()), NoiseMode.CONST, 77);
        System.out.println("d(image)/d(all " + G.parameters().size() + " parameters): " + r);
        assertTrue(r.relError() < TOL, r.toString());
    }

    @Test
    void randomNoiseStrengths() {
        GradCheck.Result r = check(List.of("synthesis.b4.conv1.noise_strength", "synthesis.b8.conv0.noise_strength", "synthesis.b16.conv1.noise_strength",
                "synthesis.b16.conv0.weight"), NoiseMode.RANDOM, 78);
        System.out.println("d(image)/d(noise strengths, random noise): " + r);
        assertTrue(r.relError() < TOL, r.toString());
    }

    @Test
    void truncatedMappingToZAndWeights() {
        // z itself as an input too: the mapping is differentiable in both; psi 0.7 with a cutoff
        Tensor[] inputs = {Z, G.parameter("mapping.fc1.weight").value()};
        GradCheck.Result r = GradCheck.check(v -> G.withParameters(Map.of("mapping.fc1.weight", v[1])).mapping(v[0], 0.7, 3), inputs, 79, H);
        System.out.println("d(ws psi 0.7 cutoff 3)/d(z, fc1.weight): " + r);
        assertTrue(r.relError() < TOL, r.toString());
    }
}
