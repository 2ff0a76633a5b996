package io.github.dragganjvm.app;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

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
        r = main("edit", "--model", "/no/such/model.pkl", "--port", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not found"), r.err());
        r = main("edit", "--host", "no-such-host.invalid", "--port", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown address"), r.err());
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
