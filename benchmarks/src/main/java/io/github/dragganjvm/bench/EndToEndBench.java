package io.github.dragganjvm.bench;

import io.github.dragganjvm.drag.DragConfig;
import io.github.dragganjvm.drag.DragSession;
import io.github.dragganjvm.drag.Point;
import io.github.dragganjvm.stylegan.Generator;
import io.github.dragganjvm.stylegan.NoiseMode;
import io.github.dragganjvm.stylegan.RandomModels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Whole-program costs on the built-in random StyleGAN2 of real size ("256": channel base 16384, "512": 32768):
 * {@code generate} (mapping + synthesis + image), {@code dragStep} (one DragGAN iteration on the cheaper path:
 * forward to b128 on the tape over the rectangles around the handle, tracking, loss, backward, Adam),
 * {@code dragStepWholeMaps} (the same over whole maps, {@code DragSession.useWindows(false)}) and
 * {@code dragStepStraightforward} (the reference's way: the whole generator on the tape, the whole feature map
 * resized). Milliseconds per call, steady state. The drag restarts from the same w+ every iteration, so every
 * measured step is a first step (it also captures f0) and does the same work.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {Bench.ADD_MODULES, Bench.VECTOR_MODULE, Bench.QUIET, "-Xmx8g"})
public class EndToEndBench {

    @State(Scope.Benchmark)
    public static class Model {
        @Param({"256", "512"})
        public int size;
        Generator g;
        DragSession cheap, plain, whole;

        @Setup(Level.Trial) public void setup() {
            g = RandomModels.create(size, RandomModels.defaultChannelBase(size), 0);
            cheap = session(DragConfig.reference());
            plain = session(DragConfig.reference().withDirectSampling(false));
            whole = session(DragConfig.reference());
            whole.useWindows(false);
        }

        DragSession session(DragConfig cfg) {
            DragSession s = DragSession.fromSeed(g, 0, 0.7, NoiseMode.CONST, cfg);
            int c = size / 2;
            s.addPair(new Point(c, c), new Point(c + size / 4, c));
            return s;
        }

        /** Every measured step starts the same drag again (its first step), so each does identical work. */
        @Setup(Level.Invocation) public void rewind() {
            cheap.reset();
            plain.reset();
            whole.reset();
        }
    }

    @Benchmark public Object generate(Model m) { return m.g.generate(1, 0.7, NoiseMode.CONST); }

    @Benchmark public Object dragStep(Model m) { return m.cheap.step(false); }

    @Benchmark public Object dragStepStraightforward(Model m) { return m.plain.step(false); }

    @Benchmark public Object dragStepWholeMaps(Model m) { return m.whole.step(false); }
}
