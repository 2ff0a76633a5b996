package io.github.dragganjvm.tensor.internal.vector;

import io.github.dragganjvm.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Packed single-precision matrix multiply, C[M, N] (+)= A[M, K] x B[K, N], in the GotoBLAS/BLIS structure.
 *
 * <h2>Blocking scheme</h2>
 * <pre>
 *   for jc in N step NC                      columns of C this thread owns, NC at a time
 *     for pc in K step KC                    one rank-KC update
 *       packB  B[pc:pc+KC, jc:jc+NC]  -> NR-column panels   (KC x NC floats, lives in L2)
 *       for ic in M step MC
 *         packA A[ic:ic+MC, pc:pc+KC] -> MR-row panels      (MC x KC floats, lives in L2)
 *         for jr in NC step NR               one B micro-panel (KC x NR, stays in L1 across ir)
 *           for ir in MC step MR
 *             micro-kernel: C[ir:ir+MR, jr:jr+NR] (+)= Apanel^T Bpanel     (MR x NR tile in registers)
 * </pre>
 * <h2>Register tile</h2>
 * MR rows by NR = 2 vectors. With AVX-512 (32 zmm registers) MR = 8, NR = 32: 16 accumulators, two B vectors
 * and a broadcast A value per step k (2 loads + 8 broadcasts + 16 FMAs). With AVX2 (16 ymm registers) MR = 4,
 * NR = 16: 8 accumulators (2 loads + 4 broadcasts + 8 FMAs per step), measured at ~95% of the FMA peak of a core.
 * <h2>Packing</h2>
 * See {@link Operand}: panels are stored k-major so the kernel reads both operands with unit stride, and they are
 * zero-padded to whole MR / NR panels so edges need no special kernel (edge tiles are computed in full into a
 * small per-thread tile and only their valid part is written to C). Packing reads the source through its
 * strides, so transposed operands cost nothing extra, and an operand may be computed while packing
 * ({@link Im2col}).
 * <h2>Threads</h2>
 * C is cut into chunks of MC rows x NC columns (narrower when there would be fewer than two per thread), which
 * the threads of {@link Parallel} take from a shared counter: dynamic, so one core slowed by other work does not
 * hold up the product. Each thread packs into its own reusable buffers, so nothing is allocated per call beyond
 * the task objects, and nothing at all in the loops.
 * <h2>Tuning</h2>
 * KC = 256, MC = 256 and NC = 32 panels (512 columns with AVX2) were the best of a small sweep on a 2-core
 * AVX2 EPYC (the A block then fits the 512 KB L2, a B micro-panel the 32 KB L1). For experiments they can be set
 * with {@code -Ddraggan.gemm.kc}, {@code -Ddraggan.gemm.mcPanels}, {@code -Ddraggan.gemm.ncPanels} and
 * {@code -Ddraggan.gemm.packedChunks}.
 */
public final class Sgemm {
    private Sgemm() {}

    /** 512-bit vectors when the CPU has them, else the preferred width. */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    public static final int VL = S.length();
    /**
     * Rows of the register tile: 8 with 32 vector registers (AVX-512), 4 with 16 (AVX2). With 16 registers an
     * 8 x 2 (or 6 x 2) tile does not fit beside the B vectors and broadcasts, and C2 spills an accumulator to the
     * stack every step, halving the speed; 4 x 2 keeps 8 accumulators, enough to hide the FMA latency.
     */
    public static final int MR = S.length() >= 16 ? 8 : 4;
    /** Columns of the register tile: two vectors. */
    public static final int NR = 2 * VL;
    /** Depth of one rank-k update (the packed panels' length). */
    static final int KC = Integer.getInteger("draggan.gemm.kc", 256);
    /** Rows of A packed at once (a multiple of MR). */
    static final int MC = MR * Integer.getInteger("draggan.gemm.mcPanels", 64 / MR * 4);
    /** Columns of B packed at once (a multiple of NR). */
    static final int NC = NR * Integer.getInteger("draggan.gemm.ncPanels", 32);
    /** Chunks per thread a product with a pre-packed A is cut into at least (see gemm). */
    static final int PACKED_CHUNKS = Integer.getInteger("draggan.gemm.packedChunks", 4);
    /** Below this many flops a product runs on the calling thread. */
    private static final long PARALLEL_MIN_FLOPS = 1L << 21;

    /** Per-thread packing buffers and edge tile, allocated once per thread. */
    private static final class Buffers {
        final float[] a = new float[MC * KC], b = new float[KC * NC], tile = new float[MR * NR];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * C[M, N] = A[M, K] x B[K, N] (or += when accumulate), C stored at {@code c[cOff + i*cRs + j*cCs]}.
     * Runs on the {@link Parallel} pool unless the product is small or the caller already is a pool worker.
     */
    public static void gemm(int m, int n, int k, Operand a, Operand b, float[] c, int cOff, int cRs, int cCs, boolean accumulate) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[cOff + i * cRs + j * cCs] = 0f;
            return;
        }
        long flops = 2L * m * n * k;
        int threads = Parallel.threads();
        if (threads == 1 || flops < PARALLEL_MIN_FLOPS) {
            block(0, m, 0, n, k, a, b, c, cOff, cRs, cCs, accumulate);
            return;
        }
        if (sharesB(m, n, k, a, b, threads)) {
            rowsOverSharedB(m, n, k, (Packed) a, b, c, cOff, cRs, cCs, accumulate, threads);
            return;
        }
        // C in chunks of MC rows x NC columns (the blocks block() packs anyway, so chunking adds no packing),
        // narrowed until there are at least two per thread; threads take chunks from a shared counter, so a
        // core slowed by other work just takes fewer of them.
        // A pre-packed A costs nothing per chunk, so then aim for four chunks per thread: dynamic scheduling
        // balances them better. Measured (ConvTransposeBench.vectorConstant, 3 paired runs): the 512->512 @ 16x16
        // transposed conv, whose phase GEMMs had 2-3 chunks, 67-84 -> 91-108 GFLOP/s; larger shapes within the
        // noise. A plain A would be packed again for every narrower chunk (measured -10% on plain sgemm).
        int rowChunk = MC, colChunk = NC, minChunks = (a instanceof Packed ? PACKED_CHUNKS : 2) * threads;
        while (chunks(m, rowChunk) * chunks(n, colChunk) < minChunks && colChunk > NR) colChunk = Math.max(NR, (colChunk / 2 + NR - 1) / NR * NR);
        while (chunks(m, rowChunk) * chunks(n, colChunk) < 2 * threads && rowChunk > MR) rowChunk = Math.max(MR, (rowChunk / 2 + MR - 1) / MR * MR);
        int rc = rowChunk, cc = colChunk, colChunks = chunks(n, cc), total = chunks(m, rc) * colChunks;
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(threads, flops / threads, (from, to) -> {
            for (int t; (t = next.getAndIncrement()) < total; ) {
                int i0 = t / colChunks * rc, j0 = t % colChunks * cc;
                block(i0, Math.min(m, i0 + rc), j0, Math.min(n, j0 + cc), k, a, b, c, cOff, cRs, cCs, accumulate);
            }
        });
    }

    private static int chunks(int size, int chunk) { return (size + chunk - 1) / chunk; }

    /** Widest B that {@link #rowsOverSharedB} packs once for all threads (a KC-deep block of it, KC x N, then stays in L2). */
    static final int SHARED_B_MAX_COLUMNS = 512;
    /** Largest packed B (floats, K x N rounded up to whole panels) that {@link #rowsOverSharedB} takes. */
    static final int SHARED_B_MAX_FLOATS = 1 << 20;

    /**
     * Whether a product goes to {@link #rowsOverSharedB}: A pre-packed (a weight), B packed on the fly (an im2col
     * image) and narrow ({@value #SHARED_B_MAX_COLUMNS} columns or fewer, at most {@value #SHARED_B_MAX_FLOATS}
     * floats packed), and at least two MR-row panels per thread.
     */
    static boolean sharesB(int m, int n, int k, Operand a, Operand b, int threads) {
        return a instanceof Packed && !(b instanceof Packed) && n <= Math.min(SHARED_B_MAX_COLUMNS, NC)
                && (long) chunks(n, NR) * NR * k <= SHARED_B_MAX_FLOATS && m >= 2 * threads * MR;
    }

    /**
     * The product of a pre-packed A with a narrow B (a small image's im2col: the generator's 4x4 to 16x16 layers,
     * 16 to 289 output pixels against 512 channels and a K of 2,048-4,608), split by rows only. Cut into MC x NC
     * chunks as in {@link #gemm}, such a product had its B packed once per row chunk (an im2col gather each time,
     * a fifth of a 512-channel 16x16 transposed conv) and narrowed its column chunks to two panels, so that every
     * chunk streamed its rows of the weight again from memory for two micro-panels' work. Here B is packed once,
     * its KC-deep blocks in parallel, into a {@code CallScratch} array of the calling thread; then the threads take row
     * chunks of all columns from a shared counter (about {@link #PACKED_CHUNKS} per thread), so the weight is read
     * once in all and each B block stays in L2 for a chunk's rows. Same blocks, same kernel, same summation order
     * as {@link #block}: results are bit-identical to the chunked path.
     */
    static void rowsOverSharedB(int m, int n, int k, Packed a, Operand b, float[] c, int cOff, int cRs, int cCs,
                                        boolean accumulate, int threads) {
        int padded = chunks(n, NR) * NR, depthBlocks = chunks(k, KC);
        float[] data = CallScratch.get(CallScratch.SHARED_B, padded * k);
        Parallel.forRange(depthBlocks, 2L * KC * padded, (from, to) -> {
            float[] tmp = BUFFERS.get().b;                 // KC x NC floats: one depth block of at most NC columns
            for (int blk = from; blk < to; blk++) {
                int k0 = blk * KC, kc = Math.min(KC, k - k0);
                b.packB(k0, kc, 0, n, tmp);
                System.arraycopy(tmp, 0, data, padded * k0, padded * kc);
            }
        });
        Packed pb = new Packed(data, 0, n, NR, k);
        int rc = Math.max(MR, chunks(chunks(m, PACKED_CHUNKS * threads), MR) * MR), total = chunks(m, rc);
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(threads, 2L * m * n * k / threads, (from, to) -> {
            for (int t; (t = next.getAndIncrement()) < total; ) {
                int i0 = t * rc;
                block(i0, Math.min(m, i0 + rc), 0, n, k, a, pb, c, cOff, cRs, cCs, accumulate);
            }
        });
    }

    /** Single-threaded product of rows [m0, m1) and columns [n0, n1) of C: the blocking loops of the class comment. */
    static void block(int m0, int m1, int n0, int n1, int k, Operand a, Operand b,
                      float[] c, int cOff, int cRs, int cCs, boolean accumulate) {
        Buffers buf = BUFFERS.get();
        Packed pa = a instanceof Packed p ? p : null, pb = b instanceof Packed p ? p : null;
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean add = accumulate || pc > 0;
                float[] bp = pb != null ? pb.data : buf.b;
                int bBase = pb != null ? pb.offset(pc, jc, NR) : 0;
                if (pb == null) b.packB(pc, kc, jc, nc, bp);
                for (int ic = m0; ic < m1; ic += MC) {
                    int mc = Math.min(MC, m1 - ic);
                    float[] ap = pa != null ? pa.data : buf.a;
                    int aBase = pa != null ? pa.offset(pc, ic, MR) : 0;
                    if (pa == null) a.packA(ic, mc, pc, kc, ap);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int cols = Math.min(NR, nc - jr), bo = bBase + jr * kc;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int rows = Math.min(MR, mc - ir), ao = aBase + ir * kc;
                            int co = cOff + (ic + ir) * cRs + (jc + jr) * cCs;
                            if (rows == MR && cols == NR && cCs == 1 && !add) {
                                kernel(kc, ap, ao, bp, bo, c, co, cRs);
                            } else if (rows == MR && cols == NR && cCs == 1) {
                                kernel(kc, ap, ao, bp, bo, buf.tile, 0, NR);
                                addTile(buf.tile, c, co, cRs);
                            } else {
                                kernel(kc, ap, ao, bp, bo, buf.tile, 0, NR);
                                writeTile(buf.tile, rows, cols, c, co, cRs, cCs, add);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * An operand packed once in full, in exactly the layout {@link #block} packs a block into, so products read it
     * in place and never pack it again: worth it for a constant operand used many times (a convolution's weight).
     * Layout: for each depth block [k0, k0 + kc) (k0 a multiple of KC), all the panels of the whole matrix, so the
     * block of rows (or columns) starting at a panel boundary i begins at {@code kBase[k0 / KC] + i * kc}.
     * The packed values are the same floats {@link #block} would have packed: results are bit-identical.
     */
    public static final class Packed implements Operand {
        final float[] data;
        private final int base;               // where the layout starts in data
        private final int padded, depth;      // rows (A) or columns (B) rounded up to whole panels; K
        private final int size, panel;        // rows (A) or columns (B); MR (A) or NR (B)

        private Packed(float[] data, int base, int size, int panel, int depth) {
            this.data = data;
            this.base = base;
            this.size = size;
            this.panel = panel;
            this.padded = (size + panel - 1) / panel * panel;
            this.depth = depth;
        }

        /**
         * A [m, k] whose values already are in the left operand's packed layout at {@code data[base, base +
         * leftSize(m, k))} ({@link #leftIndex}): read in place, never copied. For an operand made in that layout
         * directly (Winograd's transformed weights), so that even a one-call weight costs no packing.
         */
        public static Packed leftInPlace(float[] data, int base, int m, int k) {
            if (base < 0 || (long) base + leftSize(m, k) > data.length) {
                throw new IllegalArgumentException("Sgemm.Packed.leftInPlace: [" + m + ", " + k + "] needs " + leftSize(m, k)
                        + " floats from " + base + ", the array has " + data.length);
            }
            return new Packed(data, base, m, MR, k);
        }

        /**
         * Where A[i, kk] of a left operand [m, k] sits in the packed layout, from its start: depth block
         * {@code k0 = kk - kk % KC} (all rows' panels of it together), then panel {@code i / MR} of that block
         * ({@code kc = min(KC, k - k0)} steps of MR floats), step {@code kk - k0}, row {@code i % MR}.
         */
        public static int leftIndex(int m, int k, int i, int kk) {
            int k0 = kk - kk % KC;
            return Math.ceilDiv(m, MR) * MR * k0 + (i - i % MR) * Math.min(KC, k - k0) + (kk - k0) * MR + i % MR;
        }

        /** Rows [i0, i0 + mc) x depth [k0, k0 + kc) as packA's panels, read from the packed layout (zeros past the rows). */
        @Override public void packA(int i0, int mc, int k0, int kc, float[] dst) {
            if (panel != MR) throw new UnsupportedOperationException("Sgemm.Packed: packed as the right operand, read as the left");
            int panels = Math.ceilDiv(mc, MR);
            for (int p = 0; p < panels; p++) {
                for (int kk = 0; kk < kc; kk++) {
                    for (int r = 0; r < MR; r++) {
                        int i = i0 + p * MR + r;
                        dst[(p * kc + kk) * MR + r] = p * MR + r < mc && i < size ? data[base + leftIndex(size, depth, i, k0 + kk)] : 0f;
                    }
                }
            }
        }

        /** A [m, k] packed as the left operand. */
        public static Packed left(Operand a, int m, int k) { return pack(a, true, m, k, null); }

        /**
         * A [m, k] packed as the left operand into {@code reuse} when it holds {@link #leftSize}(m, k) floats (else
         * into a new array): for an operand packed on every call, whose packed copy dies with the call.
         */
        public static Packed left(Operand a, int m, int k, float[] reuse) { return pack(a, true, m, k, reuse); }

        /** Floats of A [m, k] packed as the left operand. */
        public static int leftSize(int m, int k) { return Math.ceilDiv(m, MR) * MR * k; }

        /** B [k, n] packed as the right operand. */
        public static Packed right(Operand b, int k, int n) { return pack(b, false, n, k, null); }

        /** B [k, n] packed as the right operand into {@code reuse} when it holds {@link #rightSize}(k, n) floats (as {@link #left(Operand, int, int, float[])}). */
        public static Packed right(Operand b, int k, int n, float[] reuse) { return pack(b, false, n, k, reuse); }

        /** Floats of B [k, n] packed as the right operand. */
        public static int rightSize(int k, int n) { return Math.ceilDiv(n, NR) * NR * k; }

        /**
         * Packs in units of one depth block by one block of MC rows (A) or NC columns (B), the blocks {@link #block}
         * packs, on all threads: each unit goes through its thread's block buffer, idle while packing, to its place
         * (rows i0.. of depth block k0 start at {@code padded * k0 + i0 * kc}). A per-call weight of a small image's
         * conv is millions of floats against a short product (512x512 3x3: 2.4 M floats for 75 MFLOP at 4x4), so
         * packing it on one thread took most of the call. Copies only: the same floats for any thread count.
         */
        private static Packed pack(Operand x, boolean left, int size, int k, float[] reuse) {
            int panel = left ? MR : NR, padded = (size + panel - 1) / panel * panel, chunk = left ? MC : NC;
            float[] data = reuse != null && reuse.length >= padded * k ? reuse : new float[padded * k];
            int sizeChunks = chunks(size, chunk), units = chunks(k, KC) * sizeChunks;
            Parallel.forRange(units, (long) chunk * KC, (from, to) -> {
                Buffers buf = BUFFERS.get();
                float[] tmp = left ? buf.a : buf.b;                    // MC x KC or KC x NC floats
                for (int u = from; u < to; u++) {
                    int k0 = u / sizeChunks * KC, kc = Math.min(KC, k - k0), i0 = u % sizeChunks * chunk, n = Math.min(chunk, size - i0);
                    if (left) x.packA(i0, n, k0, kc, tmp);
                    else x.packB(k0, kc, i0, n, tmp);
                    System.arraycopy(tmp, 0, data, padded * k0 + i0 * kc, chunks(n, panel) * panel * kc);
                }
            });
            return new Packed(data, 0, size, panel, k);
        }

        /** Start of the block at depth k0 (a multiple of KC) and panel-aligned row (A) or column (B) i. */
        int offset(int k0, int i, int panel) {
            if (i % panel != 0 || k0 % KC != 0) throw new IllegalStateException("packed operand read at " + i + ", depth " + k0 + ": not a block boundary");
            return base + padded * k0 + i * Math.min(KC, depth - k0);
        }
    }

    /** Writes (or adds) the valid rows x cols corner of a computed tile into C of any strides. */
    private static void writeTile(float[] tile, int rows, int cols, float[] c, int co, int rs, int cs, boolean add) {
        for (int r = 0; r < rows; r++) {
            int d = co + r * rs;
            for (int j = 0; j < cols; j++, d += cs) c[d] = add ? c[d] + tile[r * NR + j] : tile[r * NR + j];
        }
    }

    /**
     * c[co + r*rs .. + NR) += tile[r*NR .. + NR) for the MR rows of a full tile. Accumulating tiles go through this
     * small method instead of an "add" flag in the micro-kernel: with the flag, C2 (JDK 25, AVX-512) ran out of its
     * inlining node budget in the kernel, left some row stores as calls, boxed their vectors, and the whole GEMM ran
     * ~10x slower (measured: 256x1024x1024 sgemm 9 GFLOP/s on one core, 94 with K = 256 = one block).
     */
    static void addTile(float[] tile, float[] c, int co, int rs) {
        for (int r = 0; r < MR; r++, co += rs) {
            FloatVector.fromArray(S, c, co).add(FloatVector.fromArray(S, tile, r * NR)).intoArray(c, co);
            FloatVector.fromArray(S, c, co + VL).add(FloatVector.fromArray(S, tile, r * NR + VL)).intoArray(c, co + VL);
        }
    }

    /** The micro-kernel for this CPU's tile (MR is a constant, so the JIT keeps only one branch). */
    static void kernel(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int rs) {
        if (MR == 8) kernel8(kc, a, ao, b, bo, c, co, rs);
        else kernel4(kc, a, ao, b, bo, c, co, rs);
    }

    /**
     * The 8 x NR register tile: C[8, NR] (+)= Apanel[kc, 8]^T Bpanel[kc, NR], 16 accumulators of VL lanes.
     * Per k: two B vector loads, 8 A broadcasts, 16 FMAs. Writes rows of unit column stride at c[co + r*rs].
     */
    static void kernel8(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int rs) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int k = 0; k < kc; k++, ao += 8, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + VL);
            FloatVector av;
            av = FloatVector.broadcast(S, a[ao]); c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ao + 1]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ao + 2]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ao + 3]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ao + 4]); c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ao + 5]); c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, a[ao + 6]); c60 = av.fma(b0, c60); c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, a[ao + 7]); c70 = av.fma(b0, c70); c71 = av.fma(b1, c71);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + VL);
        c10.intoArray(c, co + rs);
        c11.intoArray(c, co + rs + VL);
        c20.intoArray(c, co + 2 * rs);
        c21.intoArray(c, co + 2 * rs + VL);
        c30.intoArray(c, co + 3 * rs);
        c31.intoArray(c, co + 3 * rs + VL);
        c40.intoArray(c, co + 4 * rs);
        c41.intoArray(c, co + 4 * rs + VL);
        c50.intoArray(c, co + 5 * rs);
        c51.intoArray(c, co + 5 * rs + VL);
        c60.intoArray(c, co + 6 * rs);
        c61.intoArray(c, co + 6 * rs + VL);
        c70.intoArray(c, co + 7 * rs);
        c71.intoArray(c, co + 7 * rs + VL);
    }


    /**
     * The 4 x NR register tile: C[4, NR] (+)= Apanel[kc, 4]^T Bpanel[kc, NR], 8 accumulators of VL lanes.
     * Per k: two B vector loads, 4 A broadcasts, 8 FMAs. Writes rows of unit column stride at c[co + r*rs].
     */
    static void kernel4(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int rs) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int k = 0; k < kc; k++, ao += 4, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + VL);
            FloatVector av;
            av = FloatVector.broadcast(S, a[ao]); c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ao + 1]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ao + 2]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ao + 3]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + VL);
        c10.intoArray(c, co + rs);
        c11.intoArray(c, co + rs + VL);
        c20.intoArray(c, co + 2 * rs);
        c21.intoArray(c, co + 2 * rs + VL);
        c30.intoArray(c, co + 3 * rs);
        c31.intoArray(c, co + 3 * rs + VL);
    }

}
