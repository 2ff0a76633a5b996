package example.consumer;

import io.github.dragganjvm.autograd.Adam;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.autograd.ops.ElementwiseOps;
import io.github.dragganjvm.autograd.ops.LinalgOps;
import io.github.dragganjvm.autograd.ops.ReduceOps;
import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import io.github.dragganjvm.stylegan.image.Images;
import io.github.dragganjvm.stylegan.io.BuiltinModels;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.tensor.Backends;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a user of the library does, through its public API only: trains a tiny MLP with the autodiff, loads a
 * checkpoint, generates an image and drags a point on it. Run with {@code --add-modules jdk.incubator.vector}.
 */
public final class ConsumerDemo {
    private ConsumerDemo() {}

    /** What a run measured. */
    public record Result(String backend, double mlpFirstLoss, double mlpLastLoss, int imageWidth, int imageHeight,
                         Point handleStart, Point handleEnd, Point target, int dragSteps, boolean imageChanged) {}

    /**
     * Fits y = x0 * x1 on 64 random points in [-1, 1]^2 with a 2-32-1 leaky-ReLU MLP and Adam.
     *
     * @param steps Adam steps
     * @return {first loss, last loss} (mean squared error)
     */
    public static double[] trainMlp(int steps) {
        int n = 64, hidden = 32;
        Tensor x = Tensor.randn(DType.F32, 1, n, 2);
        float[] xs = x.toFloatArray(), ys = new float[n];
        for (int i = 0; i < n; i++) {
            xs[2 * i] = (float) Math.tanh(xs[2 * i]);
            xs[2 * i + 1] = (float) Math.tanh(xs[2 * i + 1]);
            ys[i] = xs[2 * i] * xs[2 * i + 1];
        }
        Var in = Var.constant(Tensor.of(xs, n, 2));
        Var want = Var.constant(Tensor.of(ys, n, 1));
        Var w1 = Var.param(Tensor.randn(DType.F32, 2, hidden, 2)), b1 = Var.param(Tensor.zeros(hidden));
        Var w2 = Var.param(Tensor.randn(DType.F32, 3, 1, hidden)), b2 = Var.param(Tensor.zeros(1));
        Adam adam = new Adam(List.of(w1, b1, w2, b2), 1e-2);
        double first = Double.NaN, last = Double.NaN;
        for (int s = 0; s < steps; s++) {
            Var h = ElementwiseOps.leakyRelu(LinalgOps.linear(in, w1, b1, 1 / Math.sqrt(2), 1), 0.2, 1);  // [n, hidden]
            Var y = LinalgOps.linear(h, w2, b2, 1 / Math.sqrt(hidden), 1);                                 // [n, 1]
            Var loss = ReduceOps.mseLoss(y, want);
            adam.zeroGrad();
            loss.backward();
            adam.step();
            last = loss.value().item();
            if (s == 0) first = last;
        }
        return new double[]{first, last};
    }

    /**
     * The built-in toy-faces model (64 px, trained by the project, shipped in the stylegan jar), or an untrained
     * random one of the same size.
     */
    public static Generator model(boolean random) throws IOException {
        if (random) return RandomModels.create(64, 1024, 0);
        Checkpoint c = BuiltinModels.load(BuiltinModels.TOY_FACES_64);
        return new Generator(c.config(), c.params());
    }

    /**
     * The whole tour; writes start.png, final.png and drag.gif to out.
     *
     * @param out    an existing folder
     * @param random use an untrained random model instead of the built-in one
     * @param steps  drag steps at most
     */
    public static Result run(Path out, boolean random, int steps) throws IOException {
        String backend = Backends.use("auto").name();                  // or -Ddraggan.backend=...; Backends.current() asks

        double[] mlp = trainMlp(300);

        Generator g = model(random);
        Images.writePng(Images.toImage(g.generate(42, 0.7, NoiseMode.CONST)), out.resolve("generated.png"));

        DragConfig cfg = DragConfig.reference().fittedTo(g.resolution())
                .withLr(random ? 2e-3 : BuiltinModels.dragLr(BuiltinModels.TOY_FACES_64));
        DragSession session = DragSession.fromSeed(g, 42, 0.7, NoiseMode.CONST, cfg);
        Point handle = new Point(30, 34), target = new Point(38, 34);
        session.addPair(handle, target);
        Tensor before = session.image();
        Images.writePng(Images.toImage(before), out.resolve("start.png"));
        List<BufferedImage> frames = new ArrayList<>();
        DragSession.RunResult r = session.run(steps, new DragSession.StepListener() {
            @Override public void onStep(DragSession.StepResult step) {
                if (step.image() != null) frames.add(Images.toImage(step.image()));
            }

            @Override public boolean wantImage(int nextStep) { return true; }      // a GIF frame per step
        });
        Tensor after = session.image();
        Images.writePng(Images.toImage(after), out.resolve("final.png"));
        if (!frames.isEmpty()) Images.writeGif(frames, 100, out.resolve("drag.gif"));

        float[] a = before.toFloatArray(), b = after.toFloatArray();
        boolean changed = false;
        for (int i = 0; i < a.length && !changed; i++) changed = a[i] != b[i];
        Tensor img = g.generate(42, 0.7, NoiseMode.CONST);
        return new Result(backend, mlp[0], mlp[1], img.size(3), img.size(2), handle, r.pairs().get(0).handle(), target, r.steps(), changed);
    }

    /** {@code java --add-modules jdk.incubator.vector -cp ... example.consumer.ConsumerDemo OUT_DIR [random]}. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "consumer-out");
        Files.createDirectories(out);
        System.out.println(run(out, args.length > 1 && args[1].equals("random"), 30));
    }
}
