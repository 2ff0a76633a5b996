package draggan.stylegan.io;

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

    private final String what;
    private final long size, limit;
    private long used;

    private WorkBudget(String what, long size) {
        this.what = what;
        this.size = Math.max(0, size);
        this.limit = FLOOR + PER_BYTE * this.size;
    }

    /** The budget for a file (or pickle) of the given size; what names it in messages. */
    static WorkBudget forBytes(String what, long size) {
        return new WorkBudget(what, size);
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
                + (used == Long.MAX_VALUE ? "more than 2^63" : String.valueOf(used)) + " units; limit " + limit + " = " + FLOOR + " + " + PER_BYTE
                + " per byte of " + size + " bytes): values copied again and again from memoized ones; refusing (no checkpoint does this)";
    }
}
