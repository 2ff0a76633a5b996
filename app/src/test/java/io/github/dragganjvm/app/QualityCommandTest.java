package io.github.dragganjvm.app;

import org.junit.jupiter.api.Test;

import static io.github.dragganjvm.app.CliTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code ./draggan quality}: the table of the built-in model against real faces; one-line errors. */
class QualityCommandTest {
    @Test void theBuiltInModelIsJudgedAgainstRealFacesWithFloorAndCeiling() {
        CliTest.Result r = run("quality", "--count", "24", "--quiet");
        assertEquals(0, r.code(), r.err());
        String[] rows = r.out().lines().filter(l -> l.startsWith("| ") && !l.startsWith("| images") && !l.startsWith("| keypoint")).toArray(String[]::new);
        assertEquals(3 + 17, rows.length, "3 image sets and 17 keypoints:\n" + r.out());
        double floorFkd = fkd(rows[0]), modelFkd = fkd(rows[1]), randomFkd = fkd(rows[2]);
        assertTrue(floorFkd < modelFkd && modelFkd < randomFkd, "floor < model < random weights in keypoint Frechet distance:\n" + r.out());
        assertTrue(r.out().contains("| chin |"), r.out());
    }

    @Test void aModelOfAnotherSizeOrABadCountIsOneLine() {
        CliTest.Result r = run("quality", "--model", "random:128:256", "--count", "4", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("64 px") && r.err().strip().lines().count() == 1, r.err());
        r = run("quality", "--count", "1", "--quiet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--count"), r.err());
    }

    /** The FKD column (the 5th value) of a table row. */
    private static double fkd(String row) {
        String[] cells = row.split("\\|");
        return Double.parseDouble(cells[5].trim());
    }
}
