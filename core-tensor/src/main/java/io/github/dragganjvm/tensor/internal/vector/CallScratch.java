package io.github.dragganjvm.tensor.internal.vector;

import java.lang.ref.SoftReference;

/**
 * Per-thread float arrays that live for one call only and are reused by the next, one per slot, held softly (the
 * collector may take them back under memory pressure). Fresh arrays cost their zeroing and page faults: ~3 ms for the
 * 4.7 MB of a 512x256 3x3 weight, a tenth of the transposed conv that packs it. Contents are undefined: a caller
 * writes every float it reads. Two uses on one thread at once need two slots.
 */
final class CallScratch {
    private CallScratch() {}

    /** The channels-last copy of a transposed conv's weight ({@link VConv}). */
    static final int W_LAST = 0;
    /** conv2d's packed weight ({@link VConv}). */
    static final int CONV_A = 1;
    /** A transposed conv's packed phase weights, {@value #PHASE_SLOTS} slots from here ({@link VConv}). */
    static final int PHASE_A = 2, PHASE_SLOTS = 4;
    /** {@link IndexedConv}'s packed right operand. */
    static final int INDEXED_B = 6;
    /** The right operand {@link Sgemm#rowsOverSharedB} packs once for all threads. */
    static final int SHARED_B = 7;
    /**
     * The dense outputs of a transposed conv's phases before they are copied out ({@link VConv}): two slots for the
     * column phases of one row parity, four for {@link VConv#convTranspose2dFir}'s phases.
     */
    static final int PHASE_OUT = 8;
    /** A transposed conv's zero-bordered copy of its input ({@link WideIm2col}, {@link VConv}). */
    static final int BORDERED_X = 12;
    /** A transposed conv's per-tap products, and its image packed as their right operand ({@link TapConvTranspose}). */
    static final int TAPS = 13, TAP_IMAGE = 14;
    /** The 16 transform points' sums of a Winograd weight gradient ({@link Winograd#conv2dWeightGrad}). */
    static final int WINOGRAD_DW = 15;
    /** A Winograd weight transformed for one call ({@link Winograd}). */
    static final int WINOGRAD_U = 16;
    private static final int SLOTS = 17;

    @SuppressWarnings("unchecked")
    private static final ThreadLocal<SoftReference<float[]>[]> ARRAYS = ThreadLocal.withInitial(() -> new SoftReference[SLOTS]);

    /** This thread's array of the slot with at least n floats (contents undefined). */
    static float[] get(int slot, int n) {
        SoftReference<float[]>[] slots = ARRAYS.get();
        float[] b = slots[slot] == null ? null : slots[slot].get();
        if (b == null || b.length < n) {
            b = new float[n];
            slots[slot] = new SoftReference<>(b);
        }
        return b;
    }
}
