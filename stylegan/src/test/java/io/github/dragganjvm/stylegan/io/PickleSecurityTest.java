package io.github.dragganjvm.stylegan.io;

import io.github.dragganjvm.stylegan.io.PickleWriter.Call;
import io.github.dragganjvm.stylegan.io.PickleWriter.G;
import io.github.dragganjvm.stylegan.io.PickleWriter.NewObj;
import io.github.dragganjvm.stylegan.io.PickleWriter.PersId;
import io.github.dragganjvm.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hand-made malicious pickles (written as bytes here, no Python): each would run a shell command that creates a
 * marker file if a Python unpickler loaded it. The loader must refuse each, naming the global and the file, and the
 * marker must not exist afterwards.
 */
class PickleSecurityTest {
    @TempDir Path dir;
    Path marker;
    String command;

    @BeforeEach
    void setUp() {
        marker = dir.resolve("pwned");
        command = "touch " + marker;
    }

    private CheckpointException refused(String fileName, byte[] bytes, String expectedGlobal) throws Exception {
        Path f = dir.resolve(fileName);
        Files.write(f, bytes);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f));
        System.out.println(fileName + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains("'" + expectedGlobal + "'"), "message names " + expectedGlobal + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("refusing"), e.getMessage());
        assertFalse(Files.exists(marker), "the command ran: " + marker + " exists");
        return e;
    }

    @Test
    void reduceToOsSystemAtTopLevel() throws Exception {
        byte[] evil = PickleWriter.pickle(2, new Call(new G("os", "system"), command));
        CheckpointException e = refused("evil.pkl", evil, "os.system");
        // refused at the GLOBAL opcode (byte 2, right after PROTO), before the REDUCE that would call it
        assertTrue(e.getMessage().contains("at byte 2:"), e.getMessage());
    }

    @Test
    void posixSystemNestedInADict() throws Exception {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("G", Map.of("cfg", List.of(1, 2, new Call(new G("posix", "system", true), command))));
        top.put("G_ema", "later");
        refused("nested.pkl", PickleWriter.pickle(4, top), "posix.system");
    }

    @Test
    void insideAPersistentClassState() throws Exception {
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        o.extraGEmaState.put("_hook", new Call(new G("os", "system", true), command));
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        refused("state.pkl", MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 1), o), "os.system");
    }

    @Test
    void insideATorchZipDataPkl() throws Exception {
        Map<String, MiniCheckpoints.Named> storages = new LinkedHashMap<>();
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Map<String, Tensor> p = MiniCheckpoints.randomParams(c, 2);
        @SuppressWarnings("unchecked")
        Map<String, Object> top = (Map<String, Object>) MiniCheckpoints.rosinalityTop(MiniCheckpoints.rosinalityStateDict(c, p), p.get("mapping.w_avg"), false, storages);
        top.put("args", new Call(new G("subprocess", "check_output"), List.of("sh", "-c", command)));
        Path f = dir.resolve("evil.pt");
        MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, top), storages, "evil");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().contains("'subprocess.check_output'") && e.getMessage().contains("evil/data.pkl"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    @Test
    void insideAnEmbeddedStorageOfGEma() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(MiniCheckpoints.legacyHeader());
        b.writeBytes(PickleWriter.pickle(2, new Call(new G("os", "system"), command)));
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        o.replaceStorageOf = "synthesis.b8.conv0.weight";
        o.replacementStorage = b.toByteArray();
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        CheckpointException e = refused("blob.pkl", MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 3), o), "os.system");
        assertTrue(e.getMessage().contains("synthesis.b8.conv0.weight"), "names the tensor: " + e.getMessage());
    }

    /** Dangerous globals, and Pyrolite's own built-in constructors, which must be as unreachable as anything else. */
    @ParameterizedTest
    @ValueSource(strings = {"builtins.eval", "builtins.exec", "builtins.getattr", "builtins.__import__", "builtins.open", "builtins.compile",
            "subprocess.Popen", "subprocess.run", "os.popen", "os.execv", "nt.system", "pty.spawn", "runpy._run_code", "pickle.loads",
            "torch.load", "numpy.load", "torch_utils.persistence._src_to_module", "dnnlib.util.construct_class_by_name",
            "torch._utils._rebuild_from_type_v2", "copyreg._reconstructor", "copy_reg._reconstructor", "builtins.bytearray",
            "__builtin__.bytearray", "builtins.complex", "datetime.datetime", "decimal.Decimal", "array.array", "array._array_reconstructor",
            "operator.attrgetter", "builtins.ValueError", "exceptions.Exception", "some_module.SomeClass", "collections.defaultdict",
            "functools.partial", "types.FunctionType", "torch.nn.modules.linear.Linear"})
    void everyOtherGlobalIsRefused(String global) throws Exception {
        int dot = global.lastIndexOf('.');
        G g = new G(global.substring(0, dot), global.substring(dot + 1));
        refused("g.pkl", PickleWriter.pickle(2, new Call(g, command)), global);
        refused("g4.pkl", PickleWriter.pickle(4, Map.of("G_ema", new Call(new G(g.module(), g.name(), true), command))), global);
    }

    @Test
    void instAndObjOpcodes() throws Exception {
        // INST: MARK, args..., 'i' module\n name\n
        byte[] inst = new PickleWriter().proto(2).mark().str(command).op('i').raw("os\nsystem\n".getBytes()).stop().toBytes();
        refused("inst.pkl", inst, "os.system");
        // the same in protocol 0 (no PROTO opcode): not even taken for a checkpoint
        Path p0 = dir.resolve("inst0.pkl");
        Files.write(p0, new PickleWriter().mark().str(command).op('i').raw("os\nsystem\n".getBytes()).stop().toBytes());
        CheckpointException e0 = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(p0));
        assertTrue(e0.getMessage().contains("not a checkpoint"), e0.getMessage());
        assertFalse(Files.exists(marker));
        // OBJ: MARK, class, args..., 'o'
        byte[] obj = new PickleWriter().proto(2).mark().global("posix", "system").str(command).op('o').stop().toBytes();
        refused("obj.pkl", obj, "posix.system");
        // NEWOBJ on a refused class
        byte[] newobj = PickleWriter.pickle(2, new NewObj(new G("subprocess", "Popen"), null, command));
        refused("newobj.pkl", newobj, "subprocess.Popen");
    }

    @Test
    void allowedGlobalsCannotBeMisused() throws Exception {
        String[][] cases = {
                // a function global instantiated with NEWOBJ
                {"newobj-fn.pkl", "may not be instantiated"},
                // a storage type (a marker) called
                {"call-marker.pt", "may not be called"},
                // BUILD on a tensor: Python would call __setstate__
                {"build.pkl", "BUILD (__setstate__) on a list is not allowed"},
                // _codecs.encode with another codec
                {"codec.pkl", "_codecs.encode is accepted only as (str, 'latin1')"},
                // a persistent id in a network pickle
                {"persid.pkl", "persistent id"},
                // the extension registry
                {"ext.pkl", "extension-registry"},
        };
        byte[][] bytes = {
                PickleWriter.pickle(4, new NewObj(new G("torch._utils", "_rebuild_tensor_v2", true), null)),
                null,
                new PickleWriter().proto(4).op(']').value(Map.of("__class__", "x")).op('b').stop().toBytes(),
                PickleWriter.pickle(2, new Call(new G("_codecs", "encode"), "x", "rot13")),
                PickleWriter.pickle(2, new PersId("anything")),
                new PickleWriter().proto(2).op(0x82).u8(1).stop().toBytes(),
        };
        for (int i = 0; i < cases.length; i++) {
            Path f = dir.resolve(cases[i][0]);
            if (bytes[i] == null) {
                Map<String, MiniCheckpoints.Named> none = new LinkedHashMap<>();
                MiniCheckpoints.writeTorchZip(f, PickleWriter.pickle(2, Map.of("g_ema", new Call(new G("torch", "FloatStorage"), 1))), none, "a");
            } else {
                Files.write(f, bytes[i]);
            }
            CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.loadUncached(f), cases[i][0]);
            System.out.println(cases[i][0] + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(cases[i][1]), cases[i][0] + ": " + e.getMessage());
        }
    }

    /** The stored Python source of every persistent class is kept as a string and never run. */
    @Test
    void storedModuleSourceNeverRuns() throws Exception {
        MiniCheckpoints.Nv o = new MiniCheckpoints.Nv();
        o.moduleSource = "import os\nos.system('" + command + "')\n";
        GeneratorConfig c = MiniCheckpoints.tinyConfig();
        Path f = dir.resolve("src.pkl");
        Files.write(f, MiniCheckpoints.nvlabsPkl(c, MiniCheckpoints.randomParams(c, 4), o));
        assertTrue(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1).contains(command));
        Checkpoint ck = Checkpoints.loadUncached(f);
        assertEquals(c, ck.config());
        assertFalse(Files.exists(marker));
    }
}
