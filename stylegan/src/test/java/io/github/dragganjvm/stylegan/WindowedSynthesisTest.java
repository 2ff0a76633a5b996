package io.github.dragganjvm.stylegan;

import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.stylegan.Generator.Window;
import io.github.dragganjvm.stylegan.io.GeneratorConfig;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A synthesis of a window of the last block ({@link Generator.Request#windows()}) equals the same rectangle of the
 * whole synthesis, in every block it computes, for windows anywhere (edges, corners, odd coordinates, one pixel, the
 * whole map), every noise mode, N = 2; and its gradient with respect to ws equals the whole synthesis's for a loss
 * read inside the window. A margin one pixel too small in {@link Window#throughConv} or {@link Window#throughUp} makes
 * the rows next to a window's inner edge differ by about the values themselves, far above the tolerances here.
 */
class WindowedSynthesisTest {
    /** A 64 px model, channels 256 at b4 down to 32 at b64, noise strength 0.5 so the noise shows. */
    private static final Generator G = noisyModel(GeneratorConfig.Aspect.SQUARE);
    /** The same shape as StyleGAN-Human: blocks r x r/2, features padded to the square frame. */
    private static final Generator HALF = noisyModel(GeneratorConfig.Aspect.HALF_WIDTH);

    private static Generator noisyModel(GeneratorConfig.Aspect aspect) {
        return RandomModels.gaussian(RandomModels.config(64, 1024).withAspect(aspect), 300, 0.5);
    }

    private static Tensor ws2(Generator g) {
        return Ops.cat(0, g.mapping(g.z(1), 0.7, -1), g.mapping(g.z(2), 0.5, -1));   // [2, num_ws, w_dim]
    }

    private static Generator.Request request(NoiseMode noise, int last, boolean taped) {
        return new Generator.Request(noise, 42, last, Generator.ImageMode.NONE, taped ? last : 0);
    }

    /** max |a - b| / max |b| over the window of the whole map b that a holds. */
    private static double relDiff(Tensor windowed, Tensor whole, Window w) {
        Tensor ref = whole.sliceView(2, w.y0(), w.y1()).sliceView(3, w.x0(), w.x1()).copy();
        assertArrayEquals(ref.shape(), windowed.shape(), "window " + w);
        float[] a = windowed.toFloatArray(), b = ref.toFloatArray();
        double worst = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return scale == 0 ? worst : worst / scale;                            // a window over padding only holds zeros
    }

    private static List<Window> windows(int r, long seed) {
        Random rnd = new Random(seed);
        List<Window> list = new java.util.ArrayList<>(List.of(Window.whole(r), new Window(0, 1, 0, 1), new Window(r - 1, r, r - 1, r),
                new Window(r / 2 - 1, r / 2, r / 2 + 1, r / 2 + 2), new Window(1, r - 1, 3, 6), new Window(r - 3, r, 0, r / 2 + 1)));
        for (int k = 0; k < 6; k++) {
            int y0 = rnd.nextInt(r), x0 = rnd.nextInt(r);
            list.add(new Window(y0, y0 + 1 + rnd.nextInt(r - y0), x0, x0 + 1 + rnd.nextInt(r - x0)));
        }
        return list;
    }

    @Test void everyBlockOfAWindowedSynthesisEqualsTheWholeOne() { equalsTheWholeOne(G); }

    /** Half-width blocks: windows in the square frame, over the padding, the image's own columns, or both. */
    @Test void aHalfWidthModelsWindowsEqualTheWholeOnesInTheSquareFrame() { equalsTheWholeOne(HALF); }

    private static void equalsTheWholeOne(Generator g) {
        Tensor ws = ws2(g);
        for (NoiseMode noise : NoiseMode.values()) {
            for (int last : new int[]{16, 32, 64}) {
                Generator.Output whole;
                try (var ng = GradMode.noGrad()) { whole = g.synthesis(Var.constant(ws), request(noise, last, false)); }
                for (Window w : windows(last, last * 31L + noise.ordinal())) {
                    Generator.Output part;
                    try (var ng = GradMode.noGrad()) { part = g.synthesis(Var.constant(ws), request(noise, last, false).withWindow(w)); }
                    assertEquals(whole.features().size(), part.features().size());
                    Window got = part.window(part.features().size() - 1);
                    assertTrue(got.y0() <= w.y0() && got.x0() <= w.x0() && got.y1() >= w.y1() && got.x1() >= w.x1(), got + " must cover " + w);
                    for (int i = 0; i < part.features().size(); i++) {
                        double d = relDiff(part.features().get(i).value(), whole.features().get(i).value(), part.window(i));
                        assertTrue(d < 2e-6, g.config().aspect() + ", " + noise + ", last b" + last + ", window " + w + ", block " + i + " (" + part.window(i) + "): relative difference " + d);
                    }
                }
            }
        }
    }

    /**
     * Several rectangles: each block's parts (separate where the rectangles are apart, merged where their receptive
     * fields meet) equal the whole synthesis there, for a square and a half-width model.
     */
    @Test void severalWindowsGiveSeveralPartsEachEqualToTheWholeSynthesis() {
        for (Generator g : new Generator[]{G, HALF}) {
            Tensor ws = ws2(g);
            Generator.Output whole;
            try (var ng = GradMode.noGrad()) { whole = g.synthesis(Var.constant(ws), request(NoiseMode.RANDOM, 64, false)); }
            List<Window> asked = List.of(new Window(2, 7, 3, 9), new Window(50, 61, 44, 52), new Window(5, 9, 8, 12), new Window(30, 33, 60, 64));
            Generator.Output part;
            try (var ng = GradMode.noGrad()) { part = g.synthesis(Var.constant(ws), request(NoiseMode.RANDOM, 64, false).withWindows(asked)); }
            int n = part.features().size();
            List<Generator.Part> top = part.parts(n - 1);
            assertTrue(top.size() >= 2 && top.size() <= 3, "apart rectangles stay apart, overlapping ones merge: " + top.stream().map(Generator.Part::window).toList());
            for (Window a : asked) assertTrue(top.stream().anyMatch(p -> p.window().contains(a)), a + " is covered");
            assertEquals(1, part.parts(0).size(), "b4 is one rectangle");
            for (int i = 0; i < n; i++) {
                for (Generator.Part p : part.parts(i)) {
                    double d = relDiff(p.value().value(), whole.features().get(i).value(), p.window());
                    assertTrue(d < 2e-6, g.config().aspect() + ", block " + i + " part " + p.window() + ": relative difference " + d);
                }
            }
            assertThrows(IllegalStateException.class, () -> part.window(n - 1), "a block of several parts has no single window");
        }
    }

    /** In float64 the windowed and the whole synthesis agree to rounding: the margins are exact, not merely close. */
    @Test void inFloat64TheyAgreeToRounding() {
        Generator g = G.withDType(DType.F64);
        Tensor ws = ws2(g);
        Generator.Output whole;
        try (var ng = GradMode.noGrad()) { whole = g.synthesis(Var.constant(ws), request(NoiseMode.RANDOM, 64, false)); }
        for (Window w : windows(64, 5)) {
            Generator.Output part;
            try (var ng = GradMode.noGrad()) { part = g.synthesis(Var.constant(ws), request(NoiseMode.RANDOM, 64, false).withWindow(w)); }
            for (int i = 0; i < part.features().size(); i++) {
                double d = relDiff(part.features().get(i).value(), whole.features().get(i).value(), part.window(i));
                assertTrue(d < 1e-13, "window " + w + ", block " + i + ": relative difference " + d);
            }
        }
    }

    @Test void theGradientOfALossInsideTheWindowIsTheWholeSynthesissGradient() {
        Tensor ws = ws2(G);
        Window w = new Window(21, 30, 40, 47);
        Tensor probe = Tensor.randn(DType.F32, 9, 2, G.channels(64), w.height(), w.width());
        Var a = Var.param(ws.copy()), b = Var.param(ws.copy());
        Generator.Output part = G.synthesis(a, request(NoiseMode.CONST, 64, true).withWindow(w));
        Window got = part.window(part.features().size() - 1);
        Var fPart = part.features().get(part.features().size() - 1);
        Var lossPart = loss(fPart, got, w, probe);
        lossPart.backward();
        Generator.Output whole = G.synthesis(b, request(NoiseMode.CONST, 64, true));
        Var lossWhole = loss(whole.features().get(whole.features().size() - 1), Window.whole(64), w, probe);
        lossWhole.backward();
        assertEquals(lossWhole.value().item(), lossPart.value().item(), 1e-5 * Math.abs(lossWhole.value().item()));
        float[] ga = a.grad().toFloatArray(), gb = b.grad().toFloatArray();
        double worst = 0, scale = 0;
        for (int i = 0; i < ga.length; i++) {
            worst = Math.max(worst, Math.abs(ga[i] - gb[i]));
            scale = Math.max(scale, Math.abs(gb[i]));
        }
        assertTrue(scale > 0, "the loss must reach ws");
        assertTrue(worst / scale < 1e-4, "gradient relative difference " + worst / scale);
    }

    /** sum(feature over w * probe), the feature map f holding rectangle {@code has}. */
    private static Var loss(Var f, Window has, Window w, Tensor probe) {
        Var crop = has.crop(f, w);
        return ReduceOps.sum(ElementwiseOps.mul(crop, Var.constant(probe)), false, 0, 1, 2, 3);
    }

    @Test void windowsAreRefusedWhereTheyCannotWork() {
        Tensor ws = ws2(G);
        Var x = Var.constant(ws);
        var withImage = new Generator.Request(NoiseMode.CONST, 0, Integer.MAX_VALUE, Generator.ImageMode.NO_GRAD, 0).withWindow(new Window(0, 4, 0, 4));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> G.synthesis(x, withImage)).getMessage().contains("ImageMode.NONE"));
        var outside = request(NoiseMode.CONST, 32, false).withWindow(new Window(30, 40, 0, 4));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> G.synthesis(x, outside)).getMessage().contains("not inside block b32"));
        assertThrows(IllegalArgumentException.class, () -> new Window(3, 3, 0, 1));
    }

    @Test void windowGeometryGrowsByTheReceptiveField() {
        Window w = new Window(9, 12, 20, 21);
        assertEquals(new Window(8, 14, 18, 22), w.throughConv(32));
        // up-sampling: output rows 9..11 read input rows 3..6 (2i in [o-3, o+2]); the window grows to even edges
        Window in = w.throughUp(32);
        assertTrue(in.y0() <= 3 && in.y1() >= 7 && in.x0() <= 9 && in.x1() >= 11, in.toString());
        assertEquals(Window.whole(16), Window.whole(32).throughUp(32));
        assertEquals(new Window(0, 2, 0, 2), new Window(0, 1, 0, 1).aligned(8));
    }
}
