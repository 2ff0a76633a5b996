package io.github.dragganjvm.drag;

import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

/** The same drag twice gives bit-identical results (replay depends on it). */
class DeterminismTest {
    @Test void sameDragTwiceIsBitIdentical() {
        Generator g = RandomModels.create(32, 512, 1);
        DragConfig cfg = DragConfig.reference().withFeatureBlock(16).withLr(2e-3).withRadiiAt512(48, 96);
        DragSession[] s = new DragSession[2];
        for (int i = 0; i < 2; i++) {
            s[i] = DragSession.fromSeed(g, 3, 0.7, NoiseMode.CONST, cfg);
            s[i].addPair(new Point(10, 12), new Point(20, 14));
            s[i].setMask(Mask.allFixed(32).withFlexibleBox(4, 4, 28, 24));
            s[i].run(4, null);
        }
        Golden.assertBitEqual("w+ of two identical drags", s[0].ws(), s[1].ws());
    }
}
