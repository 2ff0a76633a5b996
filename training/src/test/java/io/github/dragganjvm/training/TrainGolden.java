package io.github.dragganjvm.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dragganjvm.autograd.Var;
import io.github.dragganjvm.stylegan.io.Checkpoint;
import io.github.dragganjvm.stylegan.io.Checkpoints;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.testing.Golden;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The golden training step ({@code ../shared/golden/train-128}): its inputs, the generator it ran (G of
 * {@code compact-128/model.pkl}) and a comparison of parameter gradients against its {@code <prefix><name>.npy} files.
 */
final class TrainGolden {
    private TrainGolden() {}

    static final String FOLDER = "train-128";
    /** Prefix of the golden files holding dLoss_Gmain / dParam of G, followed by the NVlabs parameter name. */
    static final String GMAIN_GRAD_G = "gmain_grad_G.";

    /** G (not G_ema) of the model the golden step trained. */
    static Checkpoint generatorG() {
        try {
            return Checkpoints.loadNetwork(Golden.dir("compact-128").resolve("model.pkl"), "G");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest's file keys starting with prefix, without it, in the manifest's order. */
    static List<String> manifestNames(String prefix) {
        try {
            JsonNode files = new ObjectMapper().readTree(Golden.dir(FOLDER).resolve("manifest.json").toFile()).get("files");
            List<String> out = new ArrayList<>();
            for (Iterator<String> it = files.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (k.startsWith(prefix)) out.add(k.substring(prefix.length()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Asserts that every parameter's accumulated gradient matches the golden {@code prefix + name} file within a
     * max-norm relative tolerance (max |golden - ours| <= rtol * max |golden|, per tensor), printing the worst element of
     * each and the worst over all. Every golden file with the prefix must name a parameter, and every parameter must
     * have a golden file and a gradient. Use after one backward of the golden loss, e.g. for Gmain:
     * {@code assertGradients(GMAIN_GRAD_G, g.parameters(), 1e-4)}.
     */
    static void assertGradients(String prefix, Map<String, Var> params, double rtol) { assertGradients(prefix, params, rtol, null); }

    /**
     * As {@link #assertGradients(String, Map, double)}, with float64 gradients of the same step as the arbiter for
     * a tensor beyond rtol: it passes when ours is within rtol / 10 of the float64 value and the golden file is within
     * 2 rtol of it, i.e. the golden file's own float32 rounding is what differs (scalar gradients such as
     * noise_strength are sums over a whole feature map that cancel to a small value). Printed either way.
     */
    static void assertGradients(String prefix, Map<String, Var> params, double rtol, Map<String, Tensor> float64) {
        List<String> names = manifestNames(prefix);
        if (!new java.util.HashSet<>(names).equals(params.keySet())) {
            fail("golden " + prefix + "* names " + names + " differ from the parameters " + params.keySet());
        }
        double worst = 0;
        String worstName = null;
        List<String> failures = new ArrayList<>();
        for (String name : names) {
            Tensor want = Golden.npy(FOLDER, prefix + name);
            Tensor got = params.get(name).grad();
            assertNotNull(got, name + " has no gradient");
            assertArrayEquals(want.shape(), got.shape(), name + " shape");
            Golden.Diff d = Golden.diff(want, got);
            System.out.printf("%s%s: relative %.3e; %s%n", prefix, name, d.relToMax(), d);
            if (d.relToMax() > worst) { worst = d.relToMax(); worstName = name; }
            if (!(d.relToMax() <= rtol)) {
                if (float64 != null) {
                    Golden.Diff ours = Golden.diff(float64.get(name), got), theirs = Golden.diff(float64.get(name), want);
                    System.out.printf("  %s beyond %.0e: ours vs float64 %.3e, golden vs float64 %.3e%n", name, rtol, ours.relToMax(), theirs.relToMax());
                    if (ours.relToMax() <= rtol / 10 && theirs.relToMax() <= 2 * rtol) continue;
                }
                failures.add(name + " (" + d.relToMax() + ")");
            }
        }
        System.out.printf("worst relative gradient error %.3e at %s%n", worst, worstName);
        if (!failures.isEmpty()) fail(failures.size() + " gradients exceed relative " + rtol + ": " + failures);
    }
}
