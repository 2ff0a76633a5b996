package io.github.dragganjvm.cuda.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The committed PTX (no GPU, no CUDA toolkit needed): present for every .cu and both architectures, loadable by
 * the JCuda device (same resource path), containing every kernel the Java side launches and nothing it does not,
 * and generated from the sources as they are now (their SHA-256 recorded by build-ptx.sh). The regeneration and
 * ptxas checks that need nvcc are in {@link PtxBuildCheckTest}.
 */
class PtxResourcesTest {
    static final List<String> ARCHS = List.of("80", "90");
    private static final Pattern ENTRY = Pattern.compile("^\\.visible \\.entry (\\w+)\\(", Pattern.MULTILINE);

    static Set<String> entries(String arch, String module) {
        String text = new String(JCudaDevice.readPtx(arch, module), StandardCharsets.US_ASCII);
        Set<String> names = new TreeSet<>();
        Matcher m = ENTRY.matcher(text);
        while (m.find()) names.add(m.group(1));
        return names;
    }

    private static List<String> cuModules() throws IOException {
        try (Stream<Path> s = Files.list(ModuleDir.cudaSources())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu")).map(n -> n.substring(0, n.length() - 3)).sorted()
                    .collect(Collectors.toList());
        }
    }

    @Test void everyCuFileHasCommittedPtxForBothArchitectures() throws IOException {
        List<String> modules = cuModules();
        assertEquals(new TreeSet<>(modules), new TreeSet<>(Kernels.MODULES), "Kernels.MODULES must list exactly the .cu files");
        for (String arch : ARCHS) {
            for (String m : modules) {
                String text = new String(JCudaDevice.readPtx(arch, m), StandardCharsets.US_ASCII);
                assertTrue(text.contains(".target sm_" + arch), m + ".ptx for " + arch + " targets the wrong architecture");
                assertTrue(text.contains(".version 9.0"), m + ".ptx: expected PTX ISA 9.0 (CUDA 13)");
                assertEquals(0, text.charAt(text.length() - 1), "readPtx must NUL-terminate for cuModuleLoadData");
            }
        }
    }

    @Test void everyLaunchedKernelIsInThePtxAndEveryPtxEntryIsLaunched() {
        Map<String, Set<String>> byModule = new HashMap<>();
        for (Kernel k : Kernels.all()) byModule.computeIfAbsent(k.module(), x -> new TreeSet<>()).add(k.name());
        int total = 0;
        for (String arch : ARCHS) {
            for (String m : Kernels.MODULES) {
                Set<String> inPtx = entries(arch, m), launched = byModule.getOrDefault(m, Set.of());
                Set<String> missing = new TreeSet<>(launched);
                missing.removeAll(inPtx);
                assertTrue(missing.isEmpty(), "kernels launched from Java but absent from ptx/" + arch + "/" + m + ".ptx: " + missing);
                Set<String> unused = new TreeSet<>(inPtx);
                unused.removeAll(launched);
                assertTrue(unused.isEmpty(), "PTX entries of " + m + ".cu that Kernels does not list: " + unused);
                total += inPtx.size();
            }
        }
        System.out.println(Kernels.all().size() + " kernels, each present in the PTX of both architectures (" + total + " entries)");
        assertEquals(2 * Kernels.all().size(), total);
    }

    @Test void ptxWasGeneratedFromTheCurrentSources() throws IOException, NoSuchAlgorithmException {
        Path manifest = ModuleDir.ptx("80").getParent().resolve("sources.sha256");
        Map<String, String> recorded = new HashMap<>();
        for (String line : Files.readAllLines(manifest)) {
            if (line.isBlank()) continue;
            String[] parts = line.split("\\s+", 2);
            recorded.put(parts[1].trim(), parts[0]);
        }
        List<String> stale = new ArrayList<>();
        Set<String> current = new TreeSet<>();
        try (Stream<Path> s = Files.list(ModuleDir.cudaSources())) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                current.add(name);
                String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
                if (!hash.equals(recorded.get(name))) stale.add(name);
            }
        }
        assertTrue(stale.isEmpty(), "these CUDA sources changed after the committed PTX was generated: " + stale
                + "; run cuda-kernels/build-ptx.sh and commit the PTX");
        assertEquals(current, new TreeSet<>(recorded.keySet()), "sources.sha256 lists other files than src/main/cuda holds");
    }

    @Test void theEmulatorHasEveryKernel() {
        Assumptions.assumeFalse(Boolean.getBoolean("draggan.cuda.noEmulator"), "emulator disabled");
        String why = Emulator.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
        EmulatedDevice dev = (EmulatedDevice) Emulator.backend().driver();
        List<String> missing = Kernels.all().stream().map(Kernel::name).filter(n -> !dev.hasKernel(n)).toList();
        assertTrue(missing.isEmpty(), "kernels without EMU_REGISTER: " + missing);
    }
}
