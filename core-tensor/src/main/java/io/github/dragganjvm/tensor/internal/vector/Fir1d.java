package io.github.dragganjvm.tensor.internal.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * A 1-D FIR up/down-sampling plan: {@code out[k] = sum_j w[j] * s[k*down + j - pad0]} for k in [0, outLen), where
 * s is the input of length inLen with up-1 zeros inserted after each sample ({@code s[l] = in[l / up]} when up
 * divides l and l / up lies in the input, else 0) and w are the taps in correlation order. The weights are given
 * per call, so one plan serves every row of a 2-D filter.
 *
 * <p>Two ways to use it: along a row ({@link #bufferRow}, {@link #accumulateRows}, polyphase: with g = gcd(up, down) the outputs fall
 * into P = up/g phases, output k = P*m + r reading through tap j, when (r*down + j - pad0) % up == 0, input
 * m*S + off(r, j) with S = down/g; the input row is copied into a buffer split into S interleaved phases with zeros
 * outside the row, so every inner loop is a contiguous vector load) and across rows ({@link #rowTaps},
 * {@link #rowInputs}: which taps and input rows make output row k, for axpy passes over whole rows).
 *
 * <p>The adjoint of a plan ({@link #adjoint}) is the plan with up and down swapped, pad0' = taps - 1 - pad0 and
 * the lengths swapped, used with the taps reversed: input i receives w[j] * out[k] exactly where
 * k*down + j - pad0 = i*up.
 */
final class Fir1d {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    final int up, down, pad0, taps, inLen, outLen;
    private final int phases, step, lo, span, phaseLen;
    private final int[] count;
    private final int[][] tapJ, tapAt;
    private final int[][] rowJ, rowIdx;

    Fir1d(int up, int down, int pad0, int taps, int inLen, int outLen) {
        this.up = up;
        this.down = down;
        this.pad0 = pad0;
        this.taps = taps;
        this.inLen = inLen;
        this.outLen = outLen;
        int g = gcd(up, down);
        phases = up / g;
        step = down / g;
        count = new int[phases];
        tapJ = new int[phases][];
        int[][] tapOff = new int[phases][];
        int min = Integer.MAX_VALUE, max = Integer.MIN_VALUE;
        for (int r = 0; r < phases; r++) {
            count[r] = r < outLen ? (outLen - r + phases - 1) / phases : 0;
            int[] js = new int[taps], offs = new int[taps];
            int nt = 0;
            for (int j = 0; j < taps; j++) {
                int l = r * down + j - pad0;
                if (Math.floorMod(l, up) != 0) continue;
                js[nt] = j;
                offs[nt++] = Math.floorDiv(l, up);
            }
            tapJ[r] = Arrays.copyOf(js, nt);
            tapOff[r] = Arrays.copyOf(offs, nt);
            if (count[r] == 0) continue;
            for (int t = 0; t < nt; t++) {
                min = Math.min(min, offs[t]);
                max = Math.max(max, (count[r] - 1) * step + offs[t]);
            }
        }
        lo = min > max ? 0 : min;
        span = min > max ? 0 : max - min + 1;
        phaseLen = (span + step - 1) / step;
        tapAt = new int[phases][];
        for (int r = 0; r < phases; r++) {
            tapAt[r] = new int[tapOff[r].length];
            for (int t = 0; t < tapAt[r].length; t++) {
                int k = tapOff[r][t] - lo;
                tapAt[r][t] = (k % step) * phaseLen + k / step;
            }
        }
        rowJ = new int[outLen][];
        rowIdx = new int[outLen][];
        for (int k = 0; k < outLen; k++) {
            int[] js = new int[taps], idx = new int[taps];
            int nt = 0;
            for (int j = 0; j < taps; j++) {
                int l = k * down + j - pad0;
                if (Math.floorMod(l, up) != 0 || l < 0 || l / up >= inLen) continue;
                js[nt] = j;
                idx[nt++] = l / up;
            }
            rowJ[k] = Arrays.copyOf(js, nt);
            rowIdx[k] = Arrays.copyOf(idx, nt);
        }
    }

    /** The adjoint plan (use it with the taps reversed). */
    Fir1d adjoint() { return new Fir1d(down, up, taps - 1 - pad0, taps, outLen, inLen); }

    /** Length of one row buffered by {@link #bufferRow}. */
    int bufLen() { return step * phaseLen; }

    /** Length of the per-phase scratch row {@link #accumulateRows} needs. */
    int tmpLen() { return phases == 1 ? 0 : count[0]; }

    /** Taps j that reach output row k (for passes across rows). */
    int[] rowTaps(int k) { return rowJ[k]; }

    /** The input row each of {@link #rowTaps}(k) reads. */
    int[] rowInputs(int k) { return rowIdx[k]; }

    /**
     * Copies the input row src[srcOff .. srcOff + inLen) into buf[at .. at + bufLen()) in the layout the passes
     * read: the columns this plan touches, split into its S interleaved phases, zero outside the row.
     */
    void bufferRow(float[] src, int srcOff, float[] buf, int at) {
        if (span == 0) return;
        if (step == 1) {
            int a = Math.max(0, -lo), b = Math.min(span, inLen - lo);
            if (b > a) {
                Arrays.fill(buf, at, at + a, 0f);
                System.arraycopy(src, srcOff + lo + a, buf, at + a, b - a);
                Arrays.fill(buf, at + b, at + span, 0f);
            } else {
                Arrays.fill(buf, at, at + span, 0f);
            }
        } else {
            for (int q = 0; q < step; q++) {
                int d = at + q * phaseLen;
                for (int t = 0, ix = lo + q; t < phaseLen; t++, ix += step) buf[d + t] = ix >= 0 && ix < inLen ? src[srcOff + ix] : 0f;
            }
        }
    }

    /**
     * dst[dstOff + k] += sum_a sum_j w[a][j] * s_a[k*down + j - pad0]: several buffered input rows (row a at
     * buf[rowAt[a]], laid out by {@link #bufferRow}), each with its own taps, in one pass per output phase (so a
     * 2-D filter's rows cost one pass, not one each). tmp: at least {@link #tmpLen()} floats.
     */
    void accumulateRows(float[] buf, int[] rowAt, float[][] w, int nRows, float[] dst, int dstOff, float[] tmp) {
        if (span == 0 || nRows == 0) return;
        int[] kAt = new int[nRows * taps];
        float[] kW = new float[nRows * taps];
        for (int r = 0; r < phases; r++) {
            int m1 = count[r], nt = tapJ[r].length;
            if (m1 == 0 || nt == 0) continue;
            int nk = 0;
            for (int a = 0; a < nRows; a++)
                for (int t = 0; t < nt; t++) {
                    kAt[nk] = rowAt[a] + tapAt[r][t];
                    kW[nk++] = w[a][tapJ[r][t]];
                }
            boolean direct = phases == 1;
            float[] target = direct ? dst : tmp;
            int tOff = direct ? dstOff : 0;
            int m = 0;
            for (; m <= m1 - 2 * L; m += 2 * L) {          // two vectors per pass: each weight feeds two FMAs
                FloatVector acc0 = direct ? FloatVector.fromArray(S, dst, tOff + m) : FloatVector.zero(S);
                FloatVector acc1 = direct ? FloatVector.fromArray(S, dst, tOff + m + L) : FloatVector.zero(S);
                for (int k = 0; k < nk; k++) {
                    FloatVector wk = FloatVector.broadcast(S, kW[k]);
                    acc0 = FloatVector.fromArray(S, buf, kAt[k] + m).fma(wk, acc0);
                    acc1 = FloatVector.fromArray(S, buf, kAt[k] + m + L).fma(wk, acc1);
                }
                acc0.intoArray(target, tOff + m);
                acc1.intoArray(target, tOff + m + L);
            }
            for (; m <= m1 - L; m += L) {
                FloatVector acc = direct ? FloatVector.fromArray(S, dst, tOff + m) : FloatVector.zero(S);
                for (int k = 0; k < nk; k++) acc = FloatVector.fromArray(S, buf, kAt[k] + m).fma(FloatVector.broadcast(S, kW[k]), acc);
                acc.intoArray(target, tOff + m);
            }
            for (; m < m1; m++) {
                float s = direct ? dst[tOff + m] : 0f;
                for (int k = 0; k < nk; k++) s += kW[k] * buf[kAt[k] + m];
                target[tOff + m] = s;
            }
            if (!direct) for (int k = 0; k < m1; k++) dst[dstOff + k * phases + r] += tmp[k];
        }
    }

    /** dst[dstOff + i] += a * src[srcOff + i] for i in [0, n). */
    static void axpy(float a, float[] src, int srcOff, float[] dst, int dstOff, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, src, srcOff + i).fma(av, FloatVector.fromArray(S, dst, dstOff + i)).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] += a * src[srcOff + i];
    }

    /** w reversed (the taps of the adjoint). */
    static float[] reversed(float[] w) {
        float[] r = new float[w.length];
        for (int j = 0; j < w.length; j++) r[j] = w[w.length - 1 - j];
        return r;
    }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
