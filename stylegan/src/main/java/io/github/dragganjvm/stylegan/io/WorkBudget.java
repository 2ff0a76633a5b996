package io.github.dragganjvm.stylegan.io;

/**
 * A bound on the work a file may make this loader do, proportional to the file's size.
 *
 * <p>A pickle is a program, and its opcode count does not bound its work: one REDUCE of {@code OrderedDict} on a
 * memoized list copies the whole list, one BUILD copies a memoized state dict, one {@code _codecs.encode} of a
 * memoized string makes a new byte string as long as it, and each can be repeated for a few bytes of file. So every
 * such step is charged here before it is done: one unit per element copied into a dict, list, set or tuple (plus the
 * length of long string and big-integer keys, which are hashed and compared), one unit per character turned into
 * bytes, and, for each storage embedded in a network pickle, the bytes of its pickles (parsed once per storage object
 * the file makes). The limit is {@link #FLOOR} + {@link #PER_BYTE} * size. One budget is shared by a whole load (the
 * main pickle and the storages embedded in it), so the work of a load is linear in the file. Honest checkpoints need
 * a small fraction of it (the golden NVlabs pickles, 4.5 and 33 MB: about 44,000 units, mostly below the floor).
 *
 * <p>Memory follows: a charged step allocates at most a few dozen bytes per unit (a LinkedHashMap entry), so a file
 * of S bytes can make the parser hold at most about 50 * (FLOOR + S) bytes beyond what its opcodes push one by one
 * (which the opcode, stack and memo caps bound).
 */
final class WorkBudget {
    /** Units every file may use whatever its size (small pickles: headers, tiny test files). */
    static final long FLOOR = 1L << 20;
    /** Units per byte of the file. */
    static final long PER_BYTE = 1;
    /** Bytes of a torch zip's entries that may be read (decompressed) per byte of the file. */
    static final long ZIP_DATA_PER_BYTE = 2;

    private final String what, basis;
    private final long limit;
    private long used;

    private WorkBudget(String what, long limit, String basis) {
        this.what = what;
        this.limit = limit;
        this.basis = basis;
    }

    /** The budget for a pickle in a file (or zip entry) of the given size; what names it in messages. */
    static WorkBudget forBytes(String what, long size) {
        long s = Math.max(0, size);
        return new WorkBudget(what, FLOOR + PER_BYTE * s, FLOOR + " + " + PER_BYTE + " per byte of " + s + " bytes");
    }

    /**
     * The budget for reading a torch zip's tensor data: {@link #FLOOR} + {@link #ZIP_DATA_PER_BYTE} bytes per byte of
     * the file, counting every byte a tensor read decompresses or copies. Stored entries (what torch.save writes)
     * never need more than the file; a compressed entry that inflates beyond that (a zip bomb, or entries whose
     * headers point at the same data) is refused.
     */
    static WorkBudget forZipData(String what, long fileSize) {
        long s = Math.max(0, fileSize);
        return new WorkBudget(what, FLOOR + ZIP_DATA_PER_BYTE * s, FLOOR + " + " + ZIP_DATA_PER_BYTE + " per byte of " + s + " bytes");
    }

    long limit() { return limit; }

    long used() { return used; }

    /** Adds units of work; false once the total exceeds the limit (the caller then refuses with {@link #exceeded}). */
    boolean tryCharge(long units) {
        if (units < 0) units = Long.MAX_VALUE;
        used = units > Long.MAX_VALUE - used ? Long.MAX_VALUE : used + units;
        return used <= limit;
    }

    /** Charges units for a step and throws {@link #exceeded} when the limit is passed. */
    void charge(long units, String step) throws CheckpointException {
        if (!tryCharge(units)) throw new CheckpointException(what + ": " + exceeded(step));
    }

    /** The one-line reason for refusing, naming the step that went over the limit. */
    String exceeded(String step) {
        return "the file asks for more work than its size allows (" + step + " brings the total to "
                + (used == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(used)) + " units; limit " + limit + " = " + basis
                + "); refusing (no honest checkpoint needs this)";
    }
}
