package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The converted-weights cache: hits, invalidation when the source changes, and corrupt entries ignored and rebuilt. */
class WeightCacheTest {
    @TempDir Path dir;

    private Path mini(String name, long seed) throws Exception {
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Path f = dir.resolve(name);
        Files.write(f, MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, seed), new MiniCheckpoints.Nv()));
        return f;
    }

    @Test
    void secondLoadComesFromTheCacheWithTheSameWeights() throws Exception {
        Path src = mini("a.pkl", 1);
        WeightCache cache = WeightCache.at(dir.resolve("cache"));
        Checkpoint first = Checkpoints.load(src, cache);
        assertFalse(first.fromCache());
        Path entry = cache.entryFor(src.toAbsolutePath().normalize().toString());
        assertTrue(Files.isRegularFile(entry), "entry written: " + entry);
        Checkpoint second = Checkpoints.load(src, cache);
        assertTrue(second.fromCache());
        assertTrue(first.sameWeights(second));
        assertEquals(first.format(), second.format());
        assertEquals(first.notes(), second.notes());
        assertEquals(src.toAbsolutePath().normalize(), second.source());
        // and for a rosinality file whose w_avg had to be estimated (notes survive the cache)
        Path pt = dir.resolve("b.pt");
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        MiniCheckpoints.rosinalityZip(pt, c, MiniCheckpoints.randomParams(c, 2), false);
        Checkpoint r1 = Checkpoints.load(pt, cache), r2 = Checkpoints.load(pt, cache);
        assertTrue(r2.fromCache());
        assertTrue(r1.sameWeights(r2));
        assertEquals(1, r2.notes().size());
        assertEquals(Checkpoint.Format.ROSINALITY_TORCH_ZIP, r2.format());
    }

    @Test
    void goldenModelThroughTheCache() throws Exception {
        WeightCache cache = WeightCache.at(dir.resolve("cache"));
        Checkpoint a = Checkpoints.load(GoldenCheckpointTest.pkl("variant-128"), cache);
        Checkpoint b = Checkpoints.load(GoldenCheckpointTest.pkl("variant-128"), cache);
        assertFalse(a.fromCache());
        assertTrue(b.fromCache());
        assertTrue(a.sameWeights(b));
        assertEquals(256.0, b.config().convClamp());
    }

    @Test
    void changedSourceIsReconverted() throws Exception {
        Path src = mini("a.pkl", 1);
        WeightCache cache = WeightCache.at(dir.resolve("cache"));
        Checkpoint first = Checkpoints.load(src, cache);
        // same size and mtime, different content: caught by the content hash
        FileTime mtime = Files.getLastModifiedTime(src);
        byte[] other = Files.readAllBytes(mini("b.pkl", 2));
        assertEquals(other.length, Files.size(src));
        Files.write(src, other);
        Files.setLastModifiedTime(src, mtime);
        Checkpoint second = Checkpoints.load(src, cache);
        assertFalse(second.fromCache());
        assertFalse(first.sameWeights(second));
        Checkpoint fresh = Checkpoints.loadUncached(src);
        assertTrue(fresh.sameWeights(second));
        // only the mtime changes: the content is the same, so is the key (the entry is used)
        Files.setLastModifiedTime(src, FileTime.fromMillis(mtime.toMillis() + 5000));
        Checkpoint third = Checkpoints.load(src, cache);
        assertTrue(third.fromCache());
        assertTrue(third.sameWeights(fresh));
    }

    @Test
    void corruptEntriesAreIgnoredAndRebuilt() throws Exception {
        Path src = mini("a.pkl", 3);
        WeightCache cache = WeightCache.at(dir.resolve("cache"));
        Checkpoint truth = Checkpoints.load(src, cache);
        Path entry = cache.entryFor(src.toAbsolutePath().normalize().toString());
        byte[] good = Files.readAllBytes(entry);
        // a flipped bit in the weights, a truncation, garbage, an empty file: each is ignored, then rewritten
        byte[][] bad = {flip(good, good.length / 2), java.util.Arrays.copyOf(good, good.length - 100), "garbage".getBytes(), new byte[0],
                flip(good, 20)};
        for (byte[] b : bad) {
            Files.write(entry, b);
            Checkpoint c = Checkpoints.load(src, cache);
            assertFalse(c.fromCache(), "a corrupt entry must not be used");
            assertTrue(truth.sameWeights(c));
            assertArrayEquals(good, Files.readAllBytes(entry), "entry rebuilt");
            assertTrue(Checkpoints.load(src, cache).fromCache());
        }
    }

    @Test
    void unwritableCacheDoesNotStopLoading() throws Exception {
        Path src = mini("a.pkl", 4);
        Path notADir = dir.resolve("file");
        Files.writeString(notADir, "x");
        WeightCache cache = WeightCache.at(notADir);
        Checkpoint a = Checkpoints.load(src, cache);
        Checkpoint b = Checkpoints.load(src, cache);
        assertFalse(b.fromCache());
        assertTrue(a.sameWeights(b));
    }

    @Test
    void systemPropertySelectsTheFolderOrTurnsTheCacheOff() {
        String old = System.getProperty("draggan.cache");
        try {
            System.setProperty("draggan.cache", dir.resolve("c").toString());
            assertEquals(dir.resolve("c").toAbsolutePath(), WeightCache.fromSystemProperties().dir());
            System.setProperty("draggan.cache", "off");
            assertNull(WeightCache.fromSystemProperties());
        } finally {
            if (old == null) System.clearProperty("draggan.cache");
            else System.setProperty("draggan.cache", old);
        }
    }

    @Test
    void entryTensorsAreIndependentCopies() throws Exception {
        Path src = mini("a.pkl", 5);
        WeightCache cache = WeightCache.at(dir.resolve("cache"));
        Checkpoints.load(src, cache);
        Checkpoint c = Checkpoints.load(src, cache);
        for (Map.Entry<String, Tensor> e : c.params().entrySet()) {
            assertTrue(e.getValue().isContiguous(), e.getKey());
            assertEquals(0, e.getValue().offset(), e.getKey());
        }
        assertThrows(UnsupportedOperationException.class, () -> c.params().put("x", Tensor.zeros(1)));
    }

    private static byte[] flip(byte[] b, int at) {
        byte[] c = b.clone();
        c[at] ^= 0x10;
        return c;
    }
}
