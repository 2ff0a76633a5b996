package io.github.dragganjvm.app;

import io.github.dragganjvm.app.web.WarmUp;
import io.github.dragganjvm.stylegan.DragGenerator;
import io.github.dragganjvm.stylegan.NoiseMode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The edit subcommand's arguments and the random:RES:CBASE model spec (the server itself: EditorServerTest). */
class EditCommandTest {
    static CliTest.Result main(String... argv) { return CliTest.run(argv); }

    @Test
    void isListedAndRefusesBadArgumentsInOneLine() {
        assertTrue(main("--help").out().contains("edit "), "the help lists edit");
        CliTest.Result r = main("edit", "--port", "70000");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--port must be in [0, 65535]"), r.err());
        r = main("edit", "--max-sessions", "0");
        assertEquals(2, r.code());
        r = main("edit", "--warm-up", "-1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--warm-up must be in [0, 100]"), r.err());
        r = main("edit", "--model", "/no/such/model.pkl", "--port", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not found"), r.err());
        r = main("edit", "--host", "no-such-host.invalid", "--port", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown address"), r.err());
    }

    @Test
    void warmUpRunsADragAndLeavesNothingBehind() throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        DragGenerator g = Models.load("random:64:1024", quiet).generator();
        float[] before = g.generate(3, 0.7, NoiseMode.CONST).toFloatArray();
        assertTrue(WarmUp.run(g, 2) > 0, "two steps take time");
        assertEquals(0.0, WarmUp.run(g, 0));
        assertThrows(IllegalArgumentException.class, () -> WarmUp.run(g, -1));
        assertArrayEquals(before, g.generate(3, 0.7, NoiseMode.CONST).toFloatArray(), "the model makes the same image after a warm-up");
    }

    @Test
    void randomModelSpecTakesAnOptionalChannelBase() throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Models.Loaded m = Models.load("random:64:1024", quiet);
        assertEquals(64, m.generator().resolution());
        assertEquals(1024, m.stylegan2("test").config().channelBase());
        assertEquals("random:64:1024", m.ref().source());
        assertThrows(UsageException.class, () -> Models.load("random:64:1000", quiet));
        assertThrows(UsageException.class, () -> Models.load("random:64:32", quiet));
        assertThrows(UsageException.class, () -> Models.load("random:64:1024:1", quiet));
        assertThrows(UsageException.class, () -> Models.load("random:63", quiet));
    }
}
