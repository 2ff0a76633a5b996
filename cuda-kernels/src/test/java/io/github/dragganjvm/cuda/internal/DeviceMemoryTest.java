package io.github.dragganjvm.cuda.internal;

import io.github.dragganjvm.tensor.Activation;
import io.github.dragganjvm.tensor.BinaryOp;
import io.github.dragganjvm.tensor.DType;
import io.github.dragganjvm.tensor.Tensor;
import io.github.dragganjvm.tensor.UnaryOp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Device memory is owned by scopes: what a scope allocated is freed when it closes, kept tensors move out, freed
 * tensors fail loudly, unreachable unscoped buffers return to the pool, and a loop of drag-like steps (modulated
 * conv, bias_act, upfirdn2d, resize, grid_sample, their gradients, Adam, tracking) keeps device memory flat and,
 * after the first step, never asks the driver for more.
 */
class DeviceMemoryTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void scopesFreeWhatTheyOwnAndKeepMovesOut(String device) {
        CudaBackend be = Devices.fresh(device);
        CudaMemory mem = be.memory();
        long before = mem.liveBytes();
        Tensor kept;
        try (CudaScope outer = CudaScope.open()) {
            Tensor a = be.zeros(DType.F32, 1000);
            try (CudaScope inner = CudaScope.open()) {
                Tensor b = be.affine(a, 2, 1);
                kept = inner.keep(be.affine(b, 1, 1));   // survives inner, owned by outer
                assertEquals(1, inner.ownedBuffers(), "b; the kept result moved to outer");
                assertEquals(2, outer.ownedBuffers());
                assertTrue(mem.liveBytes() > before);
            }
            assertTrue(((CudaStorage) a.storage()).address() != 0);
            assertEquals(2.0, be.toHost(kept).get(0));
            outer.keep(kept);                             // unscoped from here on
        }
        assertEquals(before + CudaMemory.sizeClass(4000), mem.liveBytes(), "only the kept buffer is still live");
        IllegalStateException freed;
        Tensor dead;
        try (CudaScope s = CudaScope.open()) {
            dead = be.zeros(DType.F32, 10);
        }
        freed = assertThrows(IllegalStateException.class, () -> be.toHost(dead));
        assertTrue(freed.getMessage().contains("already freed"), freed.getMessage());
        ((CudaStorage) kept.storage()).close();
        ((CudaStorage) kept.storage()).close();           // idempotent
        assertEquals(before, mem.liveBytes());
        assertThrows(IllegalStateException.class, () -> {
            CudaScope a = CudaScope.open();
            CudaScope b = CudaScope.open();
            try {
                a.close();                                 // out of order
            } finally {
                b.close();
                a.close();
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void unreachableUnscopedBuffersReturnToThePool(String device) throws InterruptedException {
        CudaBackend be = Devices.fresh(device);
        long before = be.memory().liveBytes();
        for (int i = 0; i < 20; i++) be.zeros(DType.F32, 4096);   // no scope: only the GC can free these
        assertTrue(be.memory().liveBytes() >= before + 20 * 16384);
        for (int i = 0; i < 100 && be.memory().liveBytes() > before; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(before, be.memory().liveBytes(), "the Cleaner returned every unreachable buffer");
    }

    /**
     * Unscoped storages dropped without close (as a drag loop drops its intermediates): a miss that would hold more
     * than the reclaim budget beyond the live memory asks for a collection and reuses what the Cleaner returns, so the
     * memory held stays near the budget instead of growing with every allocation (200 here without the budget).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void droppedUnscopedBuffersAreReclaimedOnceTheBudgetIsSpent(String device) {
        CudaMemory mem = new CudaMemory(Devices.get(device).driver(), 1 << 20);
        int n = 200, elems = 16384;                                    // 64 KiB each, 12.5 MiB in all
        for (int i = 0; i < n; i++) new CudaStorage(mem, DType.F32, elems, false);
        long held = mem.liveBytes() + mem.pooledBytes();
        System.out.printf("%s: %d allocations of 64 KiB dropped: %d driver allocations, %d collections, %.2f MiB held%n",
                device, n, mem.driverAllocations(), mem.collections(), held / 1048576.0);
        assertTrue(mem.collections() >= 1, "a collection was asked for");
        assertTrue(mem.driverAllocations() <= n / 5, "most blocks came back from the pool: " + mem.driverAllocations() + " driver allocations");
        assertTrue(held <= 2L << 20, "held " + held + " bytes, about the 1 MiB budget, not the 12.5 MiB allocated");
        System.gc();
        mem.trim();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {Devices.GPU, Devices.EMULATOR})
    void manyDragLikeStepsKeepDeviceMemoryFlat(String device) {
        CudaBackend be = Devices.fresh(device);
        int steps = device.equals(Devices.GPU) ? 1000 : 150;
        DType dt = DType.F32;
        // unscoped state that lives across steps: parameters, Adam moments, constants
        Tensor w = be.fromHost(Tensor.randn(dt, 1, 2, 8));          // "w+ rows": 2 styles vectors of 8
        Tensor m = be.zeros(dt, 2, 8), v = be.zeros(dt, 2, 8);
        Tensor x = be.fromHost(Tensor.randn(dt, 2, 1, 8, 8, 8));
        Tensor weight = be.fromHost(Tensor.randn(dt, 3, 8, 8, 3, 3));
        Tensor bias = be.fromHost(Tensor.randn(dt, 4, 8));
        Tensor f = be.fromHost(Tensor.of(new float[]{1, 3, 3, 1, 3, 9, 9, 3, 3, 9, 9, 3, 1, 3, 3, 1}, 4, 4));
        Tensor fn = be.affine(f, 1 / 64.0, 0);
        Tensor grid = be.fromHost(Tensor.uniform(dt, 5, -0.5, 0.5, 1, 3, 3, 2));
        Tensor f0 = be.fromHost(Tensor.randn(dt, 6, 8));
        long live0 = be.memory().liveBytes(), alloc1 = -1;
        for (int step = 1; step <= steps; step++) {
            try (CudaScope scope = CudaScope.open()) {
                Tensor styles = be.affine(w.sliceView(0, 0, 1), 1, 1);                         // [1, 8]
                Tensor[] conv = be.modulatedConv2d(x, weight, styles, true, 1);            // [1, 8, 8, 8]
                Tensor y = be.biasAct(conv[0], bias, 1, Activation.LRELU, 0.2, Math.sqrt(2), 256);
                Tensor up = be.upfirdn2d(y, fn, 2, 2, 1, 1, 2, 1, 2, 1, 4, false);           // [1, 8, 16, 16]
                Tensor feat = be.resizeBilinear(up, 12, 12, false);
                Tensor s = be.gridSample(feat, grid, true);                                // [1, 8, 3, 3]
                Tensor target = be.affine(s, 1, 0.1);
                Tensor diff = be.binary(BinaryOp.SUB, s, target);
                Tensor loss = be.sum(be.unary(UnaryOp.ABS, diff), new int[]{0, 1, 2, 3}, false);
                assertTrue(Double.isFinite(be.toHost(loss).item()));
                Tensor gs = be.unary(UnaryOp.SIGN, diff);
                Tensor gfeat = be.gridSampleBackward(gs, feat, grid, true, true, false)[0];
                Tensor gup = be.resizeBilinearBackward(gfeat, 16, 16, false);
                Tensor gy = ModulatedConvKernelsTest.upfirdn2dBackward(be, gup, fn, 8, 8, 2, 1, new int[]{2, 1, 2, 1}, 4, false);
                Tensor gconv = be.biasActBackward(gy, conv[0], bias, 1, Activation.LRELU, 0.2, Math.sqrt(2), 256);
                Tensor[] g = be.modulatedConvBackward(gconv, conv[0], x, weight, styles, conv[1], false, 1, true, true, true);
                Tensor gw = be.zeros(dt, 2, 8);
                be.copyInto(g[2], gw.sliceView(0, 0, 1));
                be.adamStep(w, gw, m, v, step, 1e-3, 0.9, 0.999, 1e-8);
                Tensor dist = be.windowDistances(feat.selectView(0, 0), f0, 2, 7, 3, 9);
                be.argmin(dist);
                assertTrue(scope.ownedBuffers() > 20, "the step's tensors belong to the scope");
            }
            assertEquals(live0, be.memory().liveBytes(), "live device memory after step " + step);
            if (step == 1) alloc1 = be.memory().driverAllocations();
        }
        System.out.printf("%s: %d steps, live %d bytes throughout, pool %d bytes, %d driver allocations (all in step 1), peak %d bytes%n",
                device, steps, live0, be.memory().pooledBytes(), be.memory().driverAllocations(), be.memory().peakBytes());
        assertEquals(alloc1, be.memory().driverAllocations(), "after the first step every buffer came from the pool");
    }
}
