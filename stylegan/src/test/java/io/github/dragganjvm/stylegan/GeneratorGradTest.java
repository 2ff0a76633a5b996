package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.autograd.GradCheck;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Autograd through the whole generator on the CPU path: d(features)/d(ws) and d(image)/d(ws) against float64
 * random-direction finite differences, on a small random model (16 px, channel base 128) converted to F64.
 */
class GeneratorGradTest {
    private static final Generator G = RandomModels.create(16, 128, 3).withDType(DType.F64);

    private static Tensor ws() {
        return G.mapping(G.z(5), 0.7, -1).copyAs(DType.F64);
    }

    @Test void featureGradientMatchesFiniteDifferences() {
        for (int res : new int[]{4, 8, 16}) {
            GradCheck.Result r = GradCheck.check(v -> G.synthesis(v[0], new Generator.Request(NoiseMode.CONST, 0, res, Generator.ImageMode.NONE, Integer.MAX_VALUE))
                    .feature(G, res), new Tensor[]{ws()}, 11 + res, 1e-6);
            System.out.println("d(feature b" + res + ")/d(ws): " + r);
            assertTrue(r.relError() < 1e-7, "feature b" + res + ": " + r);
        }
    }

    @Test void imageGradientMatchesFiniteDifferences() {
        GradCheck.Result r = GradCheck.check(v -> G.synthesis(v[0], Generator.Request.full(NoiseMode.CONST)).image(), new Tensor[]{ws()}, 17, 1e-6);
        System.out.println("d(image)/d(ws): " + r);
        assertTrue(r.relError() < 1e-7, "image: " + r);
    }

    @Test void blocksAboveTheGradLimitRecordNothing() {
        Var w = Var.param(ws());
        Generator.Output out = G.synthesis(w, new Generator.Request(NoiseMode.CONST, 0, 16, Generator.ImageMode.NO_GRAD, 8));
        assertTrue(out.feature(G, 8).requiresGrad(), "b8 is taped");
        assertTrue(!out.feature(G, 16).requiresGrad(), "b16 is above the grad limit");
        assertTrue(!out.image().requiresGrad(), "NO_GRAD image");
    }
}
