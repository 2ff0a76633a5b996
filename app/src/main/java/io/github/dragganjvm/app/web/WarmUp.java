package io.github.dragganjvm.app.web;

import io.github.dragganjvm.app.Images;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.tensor.Tensor;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A throwaway drag before the editor serves its first page, run the way the editor runs one: each step's image
 * rendered on another thread while the step back-propagates, then encoded to PNG. The first drag of a fresh JVM is
 * otherwise the slowest the user sees, for three reasons this removes: the JIT compiles the kernels during it; the
 * model's derived constants (packed and Winograd-transformed weights of the forward and of the backward) are made
 * on first use; and the heap grows to its working size, every new page touched for the first time, which the young
 * collections of a growing heap do inside their pauses (on the 2-core VM of benchmarks/README.md, "The editor's
 * first drag": pauses of 200-1100 ms in the first seconds of a drag, 3-13 ms after). One full collection at the end
 * moves the constants to the old generation at once, instead of young collections copying them during the drag.
 * Nothing of it is kept: its session is dropped, and the generator holds no state between forwards.
 */
public final class WarmUp {
    private WarmUp() {}

    /** Steps of the warm-up drag by default: the first steps are the slow ones (compilation, constants, heap). */
    public static final int DEFAULT_STEPS = 4;

    /**
     * Runs {@code steps} steps of a drag on seed 0 (the image centre an eighth of the image to the right), each with
     * its image rendered and encoded as the editor does, then one full collection. Returns the seconds it took.
     */
    public static double run(DragGenerator g, int steps) {
        if (steps < 0) throw new IllegalArgumentException("WarmUp.run: steps must be >= 0, got " + steps);
        long t0 = System.nanoTime();
        if (steps == 0) return 0;
        int res = g.resolution();
        DragSession d = DragSession.fromSeed(g, 0, 0.7, NoiseMode.CONST, DragConfig.reference().fittedTo(res));
        d.addPair(new Point(res / 2.0, res / 2.0), new Point(res / 2.0 + res / 8.0, res / 2.0));
        ExecutorService render = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "draggan-warm-up-render");
            t.setDaemon(true);
            return t;
        });
        try {
            CompletableFuture<?> frame = CompletableFuture.completedFuture(null);
            for (int i = 0; i < steps; i++) {
                DragSession.StepResult r = d.step(true);
                frame.join();
                DragSession.PendingImage img = r.pendingImage();
                frame = CompletableFuture.supplyAsync(img::get, render).thenAcceptAsync(WarmUp::encode, render);
                if (r.done()) break;
            }
            frame.join();
        } finally {
            render.shutdownNow();
        }
        System.gc();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void encode(Tensor image) {
        if (Png.encode(Images.toImage(image)).length == 0) throw new IllegalStateException("WarmUp: empty PNG");
    }
}
