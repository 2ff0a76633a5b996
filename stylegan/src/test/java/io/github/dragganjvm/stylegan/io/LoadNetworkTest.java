package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.testing.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Checkpoints#loadNetwork}: any generator of an NVlabs pickle by key, with clear errors otherwise. */
class LoadNetworkTest {
    private static final Path PKL = Golden.dir("compact-128").resolve("model.pkl");

    @Test
    void readsGAndGEmaByKey() throws Exception {
        Checkpoint ema = Checkpoints.loadUncached(PKL), emaByKey = Checkpoints.loadNetwork(PKL, "G_ema"), g = Checkpoints.loadNetwork(PKL, "G");
        assertTrue(ema.sameWeights(emaByKey), "G_ema by key equals load()");
        assertEquals(ema.config(), g.config());
        assertEquals(Checkpoint.Format.NVLABS_PICKLE, g.format());
        int differ = 0;
        for (Map.Entry<String, io.github.dragganjvm.tensor.Tensor> e : g.params().entrySet()) {
            if (!Arrays.equals(e.getValue().toFloatArray(), ema.param(e.getKey()).toFloatArray())) differ++;
        }
        System.out.println(differ + " of " + g.params().size() + " tensors differ between G and G_ema");
        assertTrue(differ > g.params().size() / 2, "G is not G_ema");
    }

    @Test
    void namesWhatIsWrong() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadNetwork(PKL, "G_missing"));
        assertTrue(e.getMessage().contains("no 'G_missing'") && e.getMessage().contains("model.pkl"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> Checkpoints.loadNetwork(PKL, "D"));
        assertTrue(e.getMessage().contains("not a Generator"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> Checkpoints.loadNetwork(Golden.dir("compact-128").resolve("model-rosinality.pt"), "G"));
        assertTrue(e.getMessage().contains("not a pickle"), e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Checkpoints.loadNetwork(PKL.resolveSibling("absent.pkl"), "G"));
    }
}
