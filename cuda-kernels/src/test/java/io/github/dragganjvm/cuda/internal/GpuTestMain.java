package io.github.dragganjvm.cuda.internal;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;

/**
 * Runs tests without Maven (the GPU machine has only a Java runtime): every test of package io.github.dragganjvm.cuda.internal, or the
 * classes named as arguments (simple names are in io.github.dragganjvm.cuda.internal), or {@code package:NAME} for another module's tests. Prints each test's outcome and the comparisons the tests print;
 * exits 1 if any test failed. Used by gpu-run.sh.
 */
public final class GpuTestMain {
    public static void main(String[] args) {
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request();
        if (args.length == 0) b.selectors(DiscoverySelectors.selectPackage("io.github.dragganjvm.cuda.internal"));
        for (String a : args) {
            if (a.startsWith("package:")) b.selectors(DiscoverySelectors.selectPackage(a.substring(8)));
            else b.selectors(DiscoverySelectors.selectClass(a.contains(".") ? a : "io.github.dragganjvm.cuda.internal." + a));
        }
        LauncherDiscoveryRequest request = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener printer = new TestExecutionListener() {
            @Override public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) System.out.println("[SKIPPED] " + id.getLegacyReportingName() + ": " + reason);
            }

            @Override public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                if (!id.isTest()) return;
                String uid = id.getUniqueId();
                String cls = uid.replaceAll(".*class:([\\w.]+)\\].*", "$1").replaceAll(".*\\.", "");
                String method = uid.replaceAll(".*(method|test-template):(\\w+)\\(.*", "$2");
                String what = cls + "." + method + (id.getDisplayName().startsWith(method) ? "" : " [" + id.getDisplayName() + "]");
                System.out.println("[" + r.getStatus() + "] " + what
                        + r.getThrowable().map(t -> ": " + CudaRuntime.firstLine(t.getMessage())).orElse(""));
            }
        };
        launcher.execute(request, summary, printer);
        TestExecutionSummary s = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printTo(out);
        s.printFailuresTo(out, 30);
        if (s.getTestsFoundCount() == 0) {
            System.out.println("no tests found: is the test jar on the class path (and jdk.zipfs in the runtime)?");
            System.exit(2);
        }
        System.exit(s.getTotalFailureCount() > 0 ? 1 : 0);
    }
}
