package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Seeded mutations of the golden .pkl and .pt and of a safetensors checkpoint: every case must end in a loaded checkpoint or in our own
 * CheckpointException with a message naming the file, never in another exception, an error (OOM, stack
 * overflow) or a hang (each case has a time limit). Mutations favour the structural parts of the files (the
 * pickle opcodes at the start of the .pkl, the zip headers and data.pkl of the .pt, the JSON header of the safetensors),
 * where they are interesting.
 */
class CheckpointFuzzTest {
    static final int PKL_CASES = 200, PT_CASES = 100, ST_CASES = 400, TF_CASES = 150;

    @TempDir Path dir;

    @Test
    void mutatedGoldenPickle() throws Exception {
        byte[] b = Files.readAllBytes(GoldenCheckpointTest.pkl("tiny-random-256"));
        byte[] orig = b.clone();
        // structural regions: G's module tree after its first stored module source (41.6 KB of text), the start
        // of G_ema (its storages follow its own module tree), and the tail (training_set_kwargs, augment_pipe)
        int gEma = indexOf(b, "G_ema".getBytes(), 17_000_000);
        int[][] regions = {{41_640, 120_000}, {gEma, gEma + 60_000}, {b.length - 3_000, b.length}, {0, b.length}};
        double[] weights = {0.4, 0.3, 0.1, 0.2};
        SplittableRandom rnd = new SplittableRandom(20240611);
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int k = 0; k < PKL_CASES; k++) {
            int kind = rnd.nextInt(10);
            int n = 1 + rnd.nextInt(kind < 5 ? 2 : 8);
            int[] pos = new int[n];
            for (int i = 0; i < n; i++) {
                double u = rnd.nextDouble();
                int r = 0;
                while (r < regions.length - 1 && (u -= weights[r]) > 0) r++;
                pos[i] = regions[r][0] + rnd.nextInt(regions[r][1] - regions[r][0]);
            }
            String how;
            long size = b.length;
            if (kind == 9) {
                size = pos[0];
                how = "truncate at " + size;
            } else {
                for (int p : pos) b[p] = kind < 7 ? (byte) (b[p] ^ (1 << rnd.nextInt(8))) : (byte) 0xff;
                how = (kind < 7 ? "flip " : "0xff at ") + Arrays.toString(pos);
            }
            Path name = dir.resolve("fuzz" + k + ".pkl");
            ByteSource src = ByteSource.of(name.toString(), b).window(name.toString(), 0, size);
            String outcome = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> run(() -> Checkpoints.read(name, src), name, how), "case " + k + " (" + how + ")");
            outcomes.merge(outcome, 1, Integer::sum);
            for (int p : pos) b[p] = orig[p];
        }
        System.out.println("pkl fuzz outcomes: " + outcomes);
        assertArrayEquals(orig, b, "restored");
    }

    /**
     * The golden TensorFlow pickle (compact-128/model-tf.pkl), mutated near the opcodes around Gs's variables (the
     * names, tuples and numpy headers next to each variable name), anywhere, or truncated.
     */
    @Test
    void mutatedGoldenTensorFlowPickle() throws Exception {
        byte[] b = Files.readAllBytes(Golden.dir("compact-128").resolve("model-tf.pkl"));
        byte[] orig = b.clone();
        int gs = indexOf(b, "Gs".getBytes(), 0);
        java.util.List<Integer> names = new java.util.ArrayList<>();
        for (int i = gs; i + 6 <= b.length; i++) if (b[i] == 'w' && b[i + 1] == 'e' && b[i + 2] == 'i' && b[i + 3] == 'g' && b[i + 4] == 'h' && b[i + 5] == 't') names.add(i);
        names.add(gs);
        SplittableRandom rnd = new SplittableRandom(1313);
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int k = 0; k < TF_CASES; k++) {
            int kind = rnd.nextInt(10);
            int n = 1 + rnd.nextInt(kind < 5 ? 2 : 6);
            int[] pos = new int[n];
            for (int i = 0; i < n; i++) {
                pos[i] = rnd.nextInt(5) == 0 ? rnd.nextInt(b.length)
                        : Math.clamp(names.get(rnd.nextInt(names.size())) - 40 + rnd.nextInt(120), 0, b.length - 1);
            }
            String how;
            long size = b.length;
            if (kind == 9) {
                size = pos[0];
                how = "truncate at " + size;
            } else {
                for (int p : pos) b[p] = kind < 7 ? (byte) (b[p] ^ (1 << rnd.nextInt(8))) : (byte) 0xff;
                how = (kind < 7 ? "flip " : "0xff at ") + Arrays.toString(pos);
            }
            Path name = dir.resolve("fuzz-tf" + k + ".pkl");
            ByteSource src = ByteSource.of(name.toString(), b).window(name.toString(), 0, size);
            String outcome = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> run(() -> Checkpoints.read(name, src), name, how), "case " + k + " (" + how + ")");
            outcomes.merge(outcome, 1, Integer::sum);
            for (int p : pos) b[p] = orig[p];
        }
        System.out.println("tf pkl fuzz outcomes: " + outcomes);
        assertArrayEquals(orig, b, "restored");
    }

    private static int indexOf(byte[] b, byte[] what, int from) {
        outer:
        for (int i = from; i + what.length <= b.length; i++) {
            for (int j = 0; j < what.length; j++) if (b[i + j] != what[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void mutatedGoldenTorchZip() throws Exception {
        Path golden = GoldenCheckpointTest.rosinality();
        byte[] orig = Files.readAllBytes(golden);
        Path f = dir.resolve("fuzz.pt");
        Files.write(f, orig);
        // structural regions: the first entry (data.pkl, ~30 KB) and the central directory at the end
        int pklEnd = 64 + 29_454 + 128;
        int cdStart = orig.length - 40_000;
        SplittableRandom rnd = new SplittableRandom(77);
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int k = 0; k < PT_CASES; k++) {
            int kind = rnd.nextInt(10);
            String how;
            long[] positions;
            if (kind < 8) {
                int n = 1 + rnd.nextInt(4);
                positions = new long[n];
                for (int i = 0; i < n; i++) {
                    int region = rnd.nextInt(3);
                    positions[i] = region == 0 ? rnd.nextInt(pklEnd) : region == 1 ? cdStart + rnd.nextInt(orig.length - cdStart) : rnd.nextInt(orig.length);
                }
                how = "flip " + Arrays.toString(positions);
                patch(f, positions, rnd);
            } else {
                long cut = kind == 8 ? rnd.nextInt(pklEnd) : cdStart + rnd.nextInt(orig.length - cdStart);
                how = "truncate at " + cut;
                positions = null;
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.truncate(cut);
                }
            }
            Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000L * (k + 1)));
            String outcome = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> run(() -> Checkpoints.loadUncached(f), f, how), "case " + k + " (" + how + ")");
            outcomes.merge(outcome, 1, Integer::sum);
            // restore the original bytes
            if (positions != null) {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    for (long p : positions) ch.write(ByteBuffer.wrap(orig, (int) p, 1), p);
                }
            } else {
                Files.write(f, orig);
            }
        }
        System.out.println("pt fuzz outcomes: " + outcomes);
        assertArrayEquals(orig, Files.readAllBytes(f), "restored");
    }

    @Test
    void mutatedSafetensors() throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Path good = dir.resolve("good.safetensors");
        Checkpoints.saveSafetensors(good, c, MiniCheckpoints.randomParams(c, 3),
                Map.of("D.b4.fc.weight", io.github.dragganjvm.tensor.Tensor.zeros(4, 4)), Map.of("kimg", "1"));
        byte[] b = Files.readAllBytes(good);
        byte[] orig = b.clone();
        int dataStart = (int) SafeTensors.readHeader(good).dataStart();
        byte[] json = "{}[]\":,0123456789-.eE ".getBytes();
        SplittableRandom rnd = new SplittableRandom(4242);
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int k = 0; k < ST_CASES; k++) {
            int kind = rnd.nextInt(10);
            int n = 1 + rnd.nextInt(3);
            int[] pos = new int[n];
            // the header (and its length field) is where the structure is: 90 % of the mutations go there
            for (int i = 0; i < n; i++) pos[i] = rnd.nextInt(10) < 9 ? rnd.nextInt(dataStart) : rnd.nextInt(b.length);
            String how;
            long size = b.length;
            if (kind == 9) {
                size = pos[0];
                how = "truncate at " + size;
            } else {
                for (int p : pos) b[p] = kind < 5 ? (byte) (b[p] ^ (1 << rnd.nextInt(8))) : json[rnd.nextInt(json.length)];
                how = (kind < 5 ? "flip " : "JSON character at ") + Arrays.toString(pos);
            }
            Path name = dir.resolve("fuzz" + k + ".safetensors");
            ByteSource src = ByteSource.of(name.toString(), b).window(name.toString(), 0, size);
            String outcome = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> run(() -> Checkpoints.read(name, src), name, how), "case " + k + " (" + how + ")");
            outcomes.merge(outcome, 1, Integer::sum);
            for (int p : pos) b[p] = orig[p];
        }
        System.out.println("safetensors fuzz outcomes: " + outcomes);
        assertArrayEquals(orig, b, "restored");
    }

    interface Load {
        Checkpoint load() throws IOException;
    }

    /** Runs one case: "loaded" or "rejected: <first words of the message>"; anything else fails the test. */
    private static String run(Load load, Path name, String how) {
        try {
            Checkpoint c = load.load();
            assertNotNull(c.config());
            return "loaded";
        } catch (CheckpointException e) {
            String m = e.getMessage();
            assertTrue(m != null && m.startsWith(name.toString()), how + ": message must name the file: " + m);
            assertFalse(m.contains("internal error"), how + ": an unexpected exception escaped the parser: " + m);
            String gist = m.substring(name.toString().length()).replaceAll("[0-9]+", "N").replaceAll("'[^']*'", "'X'");
            return "rejected:" + gist.substring(0, Math.min(50, gist.length()));
        } catch (Throwable t) {
            throw new AssertionError(how + ": " + t, t);
        }
    }

    private static void patch(Path f, long[] positions, SplittableRandom rnd) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (long p : positions) {
                ByteBuffer one = ByteBuffer.allocate(1);
                ch.read(one, p);
                one.put(0, (byte) (one.get(0) ^ (1 << rnd.nextInt(8))));
                one.rewind();
                ch.write(one, p);
            }
        }
    }
}
