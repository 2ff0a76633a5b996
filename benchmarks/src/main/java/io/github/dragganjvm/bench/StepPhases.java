package io.github.dragganjvm.bench;

import io.github.dragganjvm.autograd.Adam;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ShapeOps;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.FeatureMap;
import io.github.dragganjvm.drag.MotionSupervision;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.drag.PointTracker;
import io.github.dragganjvm.drag.StepWindow;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.stylegan.image.Images;
import io.github.dragganjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where one DragGAN step and its image go, phase by phase: the pieces of {@code DragSession.step} on the default
 * path (forward to the feature block on the tape, tracking, loss, backward, Adam), then the step's image as the editor
 * makes it ({@link Generator#imageFrom}: the blocks above the feature block and every ToRGB) and its 8-bit
 * conversion. One drag of a quarter of the image on the built-in random model of the given size, CONST noise;
 * median and minimum milliseconds over the steps after two warm-up steps. Not JMH: a table for finding the big
 * pieces, with the noise of one machine. With {@code window}, the steps compute only the rectangle of the feature
 * block around the handle ({@link StepWindow}, as {@code DragSession} does once its references are captured) and
 * make no image (the image needs whole maps).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar io.github.dragganjvm.bench.StepPhases [RES=256] [STEPS=10] [window]</pre>
 */
public final class StepPhases {
    private StepPhases() {}

    private static final Map<String, List<Double>> TIMES = new LinkedHashMap<>();
    private static long last;

    private static void lap(String phase) {
        long now = System.nanoTime();
        TIMES.computeIfAbsent(phase, k -> new ArrayList<>()).add((now - last) / 1e6);
        last = now;
    }

    public static void main(String[] args) {
        int res = args.length > 0 ? Integer.parseInt(args[0]) : 256, steps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        boolean windowed = args.length > 2 && args[2].equals("window");
        Generator g = RandomModels.create(res, RandomModels.defaultChannelBase(res), 0);
        DragConfig c = DragConfig.reference().fittedTo(res);
        int fb = c.featureBlockRes(), rows = c.optimizedRows();
        Tensor w0 = g.mapping(g.z(0), 0.7, -1);
        Var wOpt = Var.param(w0.sliceView(1, 0, rows).copy());
        Adam adam = new Adam(List.of(wOpt), c.lr());
        List<Point> handles = new ArrayList<>(List.of(new Point(res / 2, res / 2))), targets = List.of(new Point(res / 2 + res / 4, res / 2));
        Tensor f0 = null;
        java.util.Set<String> windowSizes = new java.util.TreeSet<>();
        for (int i = 0; i < steps + 2; i++) {
            if (i == 2) TIMES.clear();
            last = System.nanoTime();
            Var ws = ShapeOps.cat(1, wOpt, Var.constant(w0.sliceView(1, rows, g.numWs())));
            Generator.Request req = new Generator.Request(NoiseMode.CONST, 0, fb, Generator.ImageMode.NONE, fb);
            List<Generator.Window> windows = windowed ? StepWindow.around(handles, res, fb, c.r1(res), c.r2(res)) : null;
            Generator.Output out = g.synthesis(ws, req.withWindows(windows));
            List<Generator.Part> got = out.parts(g.blockIndex(fb));
            if (windows != null) windowSizes.add(got.stream().map(p -> p.window().height() + "x" + p.window().width()).toList().toString());
            lap("step: forward b4..b" + fb + " on the tape" + (windows == null ? "" : ", windowed"));
            FeatureMap f = windows == null ? new FeatureMap(out.feature(g, fb), res, c.directSampling()) : FeatureMap.windowed(got, fb, res);
            if (f0 == null) f0 = PointTracker.featureAt(f, handles.get(0));
            handles.set(0, PointTracker.track(f, f0, handles.get(0), c.r2(res)).point());
            lap("step: point tracking");
            Var loss = MotionSupervision.loss(f, handles, targets, c, null, handles);
            lap("step: motion supervision loss");
            loss.backward();
            lap("step: backward to w+");
            adam.step();
            adam.zeroGrad();
            lap("step: Adam");
            if (windowed) continue;
            Generator.Output kept = new Generator.Output(out.features().stream().map(Var::detach).toList(), null);
            Tensor img = g.imageFrom(kept, ws.value(), req);
            lap("image: blocks above b" + fb + " and ToRGB (imageFrom)");
            Images.toImage(img);
            lap("image: to 8-bit RGB");
        }
        System.out.printf(Locale.ROOT, "random:%d, %d steps after 2 warm-up steps; ms per step%n%-48s %8s %8s%n", res, steps, "phase", "median", "min");
        if (windowed) System.out.println("rectangles of b" + fb + " computed: " + windowSizes);
        for (var e : TIMES.entrySet()) {
            List<Double> v = new ArrayList<>(e.getValue());
            Collections.sort(v);
            System.out.printf(Locale.ROOT, "%-48s %8.1f %8.1f%n", e.getKey(), v.get(v.size() / 2), v.get(0));
        }
    }
}
