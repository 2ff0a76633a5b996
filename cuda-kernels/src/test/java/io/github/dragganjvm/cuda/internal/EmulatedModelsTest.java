package io.github.dragganjvm.cuda.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dragganjvm.autograd.GradMode;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.Mask;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.Ops;
import io.github.dragganjvm.tensor.WindowNearest;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The golden StyleGAN2 generator (compact-128) and one golden drag (its drag 1: two handles, a mask, 4 steps) end to
 * end through the CUDA backend, against the same runs on the CPU backend, within the golden tolerances: ws 1e-5,
 * every block's features and the image 1e-3 (absolute), the tracked points identical at every step, the final w+
 * 1e-5 and the final image 1e-3; and the tracker's window search on the generated features finds the same pixels.
 * Every op of the generator and the drag loop runs on the device (the fused
 * modulated convolution, the tracker's window search, the loss's grid sampling, Adam).
 *
 * <p>On the GPU it always runs. On the CPU emulator it takes 2-3 minutes; the root pom turns it on
 * ({@code draggan.cuda.e2e=true}) so {@code ./draggan test} and CI run it, and {@code -Ddraggan.cuda.e2e=false}
 * skips it. Alone: {@code ./mvnw -pl cuda-kernels -am test -Dtest=EmulatedModelsTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class EmulatedModelsTest {
    private static final String FOLDER = "compact-128";
    private static final int DRAG = 1;

    private static CudaBackend device(String which) {
        if (which.equals(Devices.EMULATOR)) {
            Assumptions.assumeTrue(Boolean.getBoolean("draggan.cuda.e2e"),
                    "draggan.cuda.e2e=false: the end-to-end model runs on the emulator are skipped");
        }
        return Devices.get(which);
    }

    private static Generator load() throws Exception {
        Checkpoint c = Checkpoints.load(Golden.dir(FOLDER).resolve("model.pkl"));
        return new Generator(c.config(), c.params());   // on Backends.current()'s device
    }

    /** {ws, image, feature of every block} for seed 0, psi 0.7, noise const. */
    private static List<Tensor> generate(Generator g) {
        List<Tensor> out = new ArrayList<>();
        Tensor ws = g.mapping(g.z(0), 0.7, -1);
        out.add(ws.toHost());
        try (var ng = GradMode.noGrad()) {
            Generator.Output o = g.synthesis(Var.constant(ws), Generator.Request.full(NoiseMode.CONST));
            out.add(o.image().value().toHost());
            for (Var f : o.features()) out.add(f.value().toHost());
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void generatorMatchesTheCpu(String which) throws Exception {
        CudaBackend be = device(which);
        long t0 = System.nanoTime();
        List<Tensor> cpu = generate(load());
        long t1 = System.nanoTime();
        List<Tensor> dev = new ArrayList<>();
        Devices.asCurrent(be, () -> {
            try {
                dev.addAll(generate(load()));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long t2 = System.nanoTime();
        System.out.printf("%s generator: CPU %.1f s, %s %.1f s%n", FOLDER, (t1 - t0) / 1e9, which, (t2 - t1) / 1e9);
        Check.close(FOLDER + " ws on " + which, cpu.get(0), dev.get(0), 1e-5, 0);
        Check.close(FOLDER + " image on " + which, cpu.get(1), dev.get(1), 1e-3, 0);
        for (int i = 2; i < cpu.size(); i++) Check.close(FOLDER + " feature of block " + (i - 2) + " on " + which, cpu.get(i), dev.get(i), 1e-3, 0);
        // the tracker's search on the last block's features, from handles 6 pixels off their true place: the same
        // pixel found on both (the golden drags' handles never move, so this is where tracking gets exercised)
        Tensor fc = cpu.get(cpu.size() - 1).selectView(0, 0), fd = dev.get(dev.size() - 1).selectView(0, 0);   // [C, H, W]
        int[][] points = {{40, 90}, {90, 40}, {60, 50}, {5, 120}};                                             // {y, x}
        Devices.asCurrent(be, () -> {
            Tensor fdDev = fd.toDevice(be.device());
            for (int[] p : points) {
                Tensor f0 = fc.sliceView(1, p[0], p[0] + 1).sliceView(2, p[1], p[1] + 1).copy().reshapeView(-1);
                int y0 = Math.max(p[0] + 6 - 12, 0), y1 = Math.min(p[0] + 6 + 13, fc.size(1));
                int x0 = Math.max(p[1] - 6 - 12, 0), x1 = Math.min(p[1] - 6 + 13, fc.size(2));
                WindowNearest a = Ops.windowNearest(fc, f0, y0, y1, x0, x1), b = Ops.windowNearest(fdDev, f0.toDevice(be.device()), y0, y1, x0, x1);
                System.out.printf("tracker from (%d, %d): CPU %s, %s %s%n", p[1], p[0], a, which, b);
                assertEquals(a.index(), b.index(), "tracked pixel of handle (x " + p[1] + ", y " + p[0] + ") on " + which);
                assertEquals((p[0] - y0) * (x1 - x0) + p[1] - x0, a.index(), "the handle's own pixel is the nearest");
                assertEquals(a.secondDistance(), b.secondDistance(), 1e-3 * a.secondDistance(), "second distance on " + which);
            }
        });
    }

    /** The drag's record: the handles after every step, then the final w+ and image (host tensors). */
    private record DragRun(List<List<Point>> handles, List<Double> losses, Tensor ws, Tensor image) {}

    private static DragRun drag() throws Exception {
        JsonNode c = new ObjectMapper().readTree(Golden.dir(FOLDER).resolve("manifest.json").toFile()).get("drags").get(DRAG).get("case");
        Generator g = load();
        int seed = c.get("seed").asInt();
        DragConfig cfg = DragConfig.reference().withDirectSampling(true)
                .withLr(c.has("lr") ? c.get("lr").asDouble() : 1e-3)
                .withLambda(c.has("lambda_mask") ? c.get("lambda_mask").asDouble() : 20);
        DragSession s = DragSession.fromWs(g, Golden.npy(FOLDER, "seed" + seed + "_ws").toDevice(Backends.current().device()), NoiseMode.CONST, seed, cfg);
        for (int i = 0; i < c.get("points").size(); i++) {
            JsonNode p = c.get("points").get(i), t = c.get("targets").get(i);   // [row, col]
            s.addPair(new Point(p.get(1).asDouble(), p.get(0).asDouble()), new Point(t.get(1).asDouble(), t.get(0).asDouble()));
        }
        if (c.has("mask")) {
            JsonNode b = c.get("mask");                                           // [row0, row1, col0, col1] flexible
            s.setMask(Mask.allFixed(g.resolution()).withFlexibleBox(b.get(2).asInt(), b.get(0).asInt(), b.get(3).asInt(), b.get(1).asInt()));
        }
        List<List<Point>> handles = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        for (int n = 0; n < c.get("steps").asInt(); n++) {
            DragSession.StepResult r = s.step(false);
            handles.add(r.handles());
            losses.add(r.loss());
        }
        return new DragRun(handles, losses, s.ws().toHost(), s.image().toHost());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void dragMatchesTheCpu(String which) throws Exception {
        CudaBackend be = device(which);
        long t0 = System.nanoTime();
        DragRun cpu = drag();
        long t1 = System.nanoTime();
        DragRun[] dev = new DragRun[1];
        Devices.asCurrent(be, () -> {
            try {
                dev[0] = drag();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long t2 = System.nanoTime();
        System.out.printf("%s drag %d (%d steps): CPU %.1f s, %s %.1f s%n", FOLDER, DRAG, cpu.handles().size(), (t1 - t0) / 1e9, which, (t2 - t1) / 1e9);
        for (int n = 0; n < cpu.handles().size(); n++) {
            System.out.printf("step %d: handles CPU %s %s %s; loss CPU %.9g %s %.9g%n", n, cpu.handles().get(n), which, dev[0].handles().get(n),
                    cpu.losses().get(n), which, dev[0].losses().get(n));
            assertEquals(cpu.handles().get(n), dev[0].handles().get(n), "tracked points after step " + n + " on " + which);
        }
        Check.close(FOLDER + " drag " + DRAG + " final w+ on " + which, cpu.ws(), dev[0].ws(), 1e-5, 0);
        Check.close(FOLDER + " drag " + DRAG + " final image on " + which, cpu.image(), dev[0].image(), 1e-3, 0);
    }
}
