package io.github.dragganjvm.app;

import io.github.dragganjvm.data.toy.Keypoint;
import io.github.dragganjvm.data.toy.Keypoints;
import io.github.dragganjvm.data.toy.ToyFaces;
import io.github.dragganjvm.drag.TruthEval;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/** {@code drag-eval --truth}: refusals, a tiny end-to-end run, and the toy-face locator behind it. */
class DragEvalTruthTest {
    private static final ToyFaceLocator LOC = ToyFaceLocator.toyFaces64();

    /** Runs the command: {exit status, stdout (the table), stderr (progress and errors)}. */
    private static String[] runCaptured(String... argv) {
        CliTest.Result r = CliTest.run(argv);
        return new String[]{"" + r.code(), r.out(), r.err()};
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "drag-eval --truth --model random:128:1024 --cases 1|--truth needs the 64 px toy-world model; this model is 128 px",
            "drag-eval --truth --model random:64:1024 --cases 1 --reconstruction 1|--reconstruction does not apply with --truth",
            "drag-eval --truth --model random:64:1024 --cases 1 --methods reference,sideways|--methods: tracker must be reference or template but is 'sideways'",
            "drag-eval --truth --model random:64:1024 --cases 1 --methods reference+up|--methods: supervision must be reference or original but is 'up'",
            "drag-eval --model random:64:1024 --methods reference --trackers template|--methods replaces --trackers and --supervisions",
    })
    void refusalsAreOneLine(String spec) {
        String[] parts = spec.split("\\|");
        String[] r = runCaptured(parts[0].split(" "));
        assertEquals("2", r[0], parts[0] + " -> " + r[2]);
        String err = r[2].strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.contains(parts[1]), "expected '" + parts[1] + "' in: " + err);
        assertFalse(r[1].contains("| method"), "no table before the refusal");
        System.out.println(parts[0] + "  ->  " + err);
    }

    /** 1 case, 3 steps, two methods on a 64 px random model: a line and a table row per method, a CSV row each. */
    @Test void truthRunReportsEveryMethod(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("truth.csv");
        String[] r = runCaptured("drag-eval", "--truth", "--model", "random:64:1024", "--cases", "1", "--seed0", "5", "--steps", "3",
                "--methods", "reference,template+original", "--out", csv.toString());
        assertEquals("0", r[0], r[2]);
        String out = r[1], progress = r[2];
        System.out.print(progress + out);
        String description = TruthEval.task(0, 5, 64, LOC, ToyFaceLocator.draggableIndices()).description();
        for (String m : List.of("reference", "template+original")) {
            assertTrue(progress.contains("\"" + description + "\" " + m), "case line of " + m + ":\n" + progress);
            assertTrue(out.contains("| " + m + " | 1 |"), "table row of " + m + ":\n" + out);
        }
        assertFalse(out.contains("| reference+original |"), "only the methods asked for");
        assertTrue(out.contains("detector left-right disagreement on this model's 1 start images"), out);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("case,seed,task,method,"), lines.get(0));
        assertTrue(lines.get(1).startsWith("0,5," + description + ",reference,"), lines.get(1));
        assertTrue(lines.get(2).startsWith("0,5," + description + ",template+original,"), lines.get(2));
    }

    /** The locator's names are distinct, the draggable list is the brief's, and on procedural faces it reads the truth. */
    @Test void locatorReadsProceduralFacesAndIsMirrorConsistent() {
        var names = new HashSet<String>();
        for (int k = 0; k < LOC.count(); k++) assertTrue(names.add(LOC.name(k)), "name of " + k + " is unique: " + LOC.name(k));
        assertEquals("left mouth corner", LOC.name(Keypoint.MOUTH_LEFT.ordinal()));
        assertEquals(10, ToyFaceLocator.DRAGGABLE.size());
        ToyFaces world = new ToyFaces(64);
        for (long seed : new long[]{0, 1, 2}) {
            Tensor img = world.batch(new long[]{seed});
            float[][] p = LOC.locate(img);
            Keypoints truth = world.keypoints(seed);
            double err = 0;
            for (Keypoint k : Keypoint.values()) err += Math.hypot(p[k.ordinal()][0] - truth.x(k), p[k.ordinal()][1] - truth.y(k));
            err /= Keypoint.values().length;
            double mirror = LOC.mirrorDisagreement(img);
            System.out.printf(Locale.ROOT, "face %d: mean error %.3f px, left-right disagreement %.3f px%n", seed, err, mirror);
            assertTrue(err < 0.5, "mean error " + err);
            // a disagreement of a few tenths: left and right points mixed up would give several px
            assertTrue(mirror < 1.0, "left-right disagreement " + mirror);
        }
    }
}
