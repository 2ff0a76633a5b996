package io.github.dragganjvm.stylegan.io;

import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.UnpickleStack;
import net.razorvine.pickle.Unpickler;

import java.io.EOFException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pyrolite's pickle machine with every door to object construction closed, and every length checked.
 *
 * <p><b>A pickle is a program.</b> Its GLOBAL/STACK_GLOBAL/INST opcodes name any Python callable and REDUCE, NEWOBJ,
 * OBJ and BUILD call it. Here those opcodes are handled by this class, never by Pyrolite: a global is resolved only
 * through the allow-list given to the constructor (a map from "module.name" to our own {@link Py.Global}), and is
 * refused, naming the global and the file, the moment the opcode is read, before anything is called. Pyrolite's
 * own constructor registry (datetime, decimal, array, copy_reg, operator.attrgetter, its class-dict fallback) is
 * never consulted: {@link Unpickler#dispatch} is overridden for every opcode that would reach it. Persistent ids
 * go to the given loader or are refused; extension codes and out-of-band buffers are refused.
 *
 * <p><b>Memory and time are bounded.</b> Every length a file claims (bytes, strings, longs) is checked against the
 * bytes that remain before anything is allocated; byte strings of 64 KiB or more are not read at all but kept as
 * {@link Py.ByteSlice}s of the source; text lines are capped; the number of opcodes, the stack and the memo are
 * capped; dict keys and set items must be plain scalars (so no hash of a deep or cyclic structure can recurse).
 * The opcode cap does not bound work (one REDUCE or BUILD can copy a whole memoized container, one
 * {@code _codecs.encode} a whole memoized string), so every element copied by a builder (DICT, LIST, TUPLE, SETITEM(S),
 * APPEND(S), ADDITEMS, FROZENSET, BUILD's state, the arguments of an allowed call) and every character encoded is
 * charged to a {@link WorkBudget} proportional to the file's size. Nothing here recurses over the data. Every failure, including Pyrolite's own exceptions, leaves as a
 * {@link CheckpointException} naming the file, the byte offset and the opcode.
 */
final class SafeUnpickler extends Unpickler {
    static final long MAX_OPCODES = 5_000_000;
    static final int MAX_STACK = 1_000_000;
    static final int MAX_MEMO = 1_000_000;
    static final int LARGE_BYTES = 1 << 16;
    private static final int MAX_NAME = 256, MAX_NUMBER = 4096, MAX_TEXT = 1 << 20;

    /** Turns a persistent id (BINPERSID/PERSID) into an object: torch's storages. */
    @FunctionalInterface
    interface PersistentLoader {
        Object load(Object pid) throws IOException;
    }

    private final String what;
    private final Map<String, Py.Global> allowed;
    private final PersistentLoader persistent;
    private WorkBudget budget;
    private BoundedInput in;
    private long opcodes, opcodeAt;
    private int opcode;

    /**
     * @param what       the file (and part) being read, for messages
     * @param allowed    the globals this pickle may use ("module.name" to our constructor)
     * @param persistent handler of persistent ids, or null to refuse them
     */
    SafeUnpickler(String what, Map<String, Py.Global> allowed, PersistentLoader persistent) {
        this(what, allowed, persistent, null);
    }

    /**
     * @param budget the work budget to charge (shared by a whole load), or null for a new one sized by the bytes from
     *               the stream's position to the end of its source
     */
    SafeUnpickler(String what, Map<String, Py.Global> allowed, PersistentLoader persistent, WorkBudget budget) {
        this.what = what;
        this.allowed = allowed;
        this.persistent = persistent;
        this.budget = budget;
    }

    /** The budget this unpickler charged (after {@link #loadFrom}: for sharing with later parts of the same file). */
    WorkBudget budget() { return budget; }

    /** Not used: {@link #loadFrom} is the entry point (it sets up the bounded stream the opcodes rely on). */
    @Override
    public Object load(java.io.InputStream stream) {
        throw new UnsupportedOperationException("SafeUnpickler reads through loadFrom(BoundedInput)");
    }

    /** Runs one pickle from the stream's position to its STOP and returns its value. */
    Object loadFrom(BoundedInput input) throws CheckpointException {
        in = input;
        this.input = input;
        if (budget == null) budget = WorkBudget.forBytes(what, input.remaining());
        stack = new UnpickleStack();
        memo = new HashMap<>();
        try {
            while (true) {
                opcodeAt = in.position();
                opcode = -1;
                opcode = in.read();
                if (++opcodes > MAX_OPCODES) throw fail("more than " + MAX_OPCODES + " opcodes; refusing (this is no checkpoint pickle)");
                Object value = dispatch((short) opcode);
                if (value != NO_RETURN_VALUE) return value;
                if (stack.size() > MAX_STACK) throw fail("stack deeper than " + MAX_STACK + " entries; refusing");
                if (memo.size() > MAX_MEMO) throw fail("memo larger than " + MAX_MEMO + " entries; refusing");
            }
        } catch (CheckpointException e) {
            throw e;
        } catch (EOFException e) {
            throw new CheckpointException(what + ": truncated: the data ends " + (opcode < 0 ? "before the pickle's STOP opcode" : "inside opcode "
                    + opName(opcode) + " that starts at byte " + opcodeAt) + " (" + in.source().size() + " bytes in all)", e);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(what + ": malformed pickle at byte " + opcodeAt + " (opcode " + opName(opcode) + "): " + explain(e), e);
        } finally {
            stack = null;
            memo = null;
        }
    }

    private CheckpointException fail(String message) {
        return new CheckpointException(what + ": " + message + " (byte " + opcodeAt + ", opcode " + opName(opcode) + ")");
    }

    private static String explain(Exception e) {
        if (e instanceof IndexOutOfBoundsException) return "stack underflow or missing MARK (an opcode needs more values than the stack holds)";
        if (e instanceof ClassCastException) return "an opcode found a value of the wrong type on the stack (" + e.getMessage() + ")";
        if (e instanceof NumberFormatException) return "bad number in a text opcode (" + e.getMessage() + ")";
        if (e instanceof PickleException) return e.getMessage();
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    // ------------------------------------------------------------------ the opcodes we handle ourselves

    @Override
    protected Object dispatch(short key) throws IOException {
        switch (key) {
            case Opcodes.GLOBAL -> {
                String module = readLine(MAX_NAME, "GLOBAL module");
                String name = readLine(MAX_NAME, "GLOBAL name");
                stack.add(resolve(module, name));
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop(), module = stack.pop();
                if (!(module instanceof String m) || !(name instanceof String n)) {
                    throw fail("STACK_GLOBAL needs two strings, got " + Py.typeName(module) + " and " + Py.typeName(name));
                }
                stack.add(resolve(m, n));
            }
            case Opcodes.INST -> {
                String module = readLine(MAX_NAME, "INST module");
                String name = readLine(MAX_NAME, "INST name");
                Py.Global g = resolve(module, name);
                List<Object> args = stack.pop_all_since_marker();
                stack.add(call(g, args.toArray(), true));
            }
            case Opcodes.OBJ -> {
                List<Object> items = stack.pop_all_since_marker();
                if (items.isEmpty()) throw fail("OBJ without a class");
                stack.add(call(items.get(0), items.subList(1, items.size()).toArray(), true));
            }
            case Opcodes.REDUCE -> {
                Object args = stack.pop(), callable = stack.pop();
                stack.add(call(callable, args, false));
            }
            case Opcodes.NEWOBJ -> {
                Object args = stack.pop(), cls = stack.pop();
                stack.add(call(cls, args, true));
            }
            case Opcodes.NEWOBJ_EX -> {
                Object kwargs = stack.pop(), args = stack.pop(), cls = stack.pop();
                if (!(kwargs instanceof Map<?, ?> kw) || !kw.isEmpty()) throw fail("NEWOBJ_EX with keyword arguments is not supported");
                stack.add(call(cls, args, true));
            }
            case Opcodes.BUILD -> {
                Object state = stack.pop();
                build(stack.peek(), state);
            }
            case Opcodes.PERSID -> stack.add(loadPersistent(readLine(MAX_NAME, "PERSID id")));
            case Opcodes.BINPERSID -> stack.add(loadPersistent(stack.pop()));
            case Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 -> throw fail("extension-registry opcodes (copyreg.add_extension) are refused: they name globals by number");
            case Opcodes.NEXT_BUFFER, Opcodes.READONLY_BUFFER -> throw fail("out-of-band buffers (pickle protocol 5) are not supported");

            case Opcodes.BINBYTES -> stack.add(bytes(readUnsigned(4), "BINBYTES"));
            case Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> stack.add(bytes(readUnsigned(8), "BINBYTES8"));
            case Opcodes.BINUNICODE -> stack.add(new String(in.readExact(readUnsigned(4), "BINUNICODE string"), StandardCharsets.UTF_8));
            case Opcodes.BINUNICODE8 -> stack.add(new String(in.readExact(readUnsigned(8), "BINUNICODE8 string"), StandardCharsets.UTF_8));
            case Opcodes.BINSTRING -> stack.add(PickleUtils.rawStringFromBytes(in.readExact(readSigned4(), "BINSTRING")));
            case Opcodes.LONG4 -> stack.add(PickleUtils.decode_long(in.readExact(readSigned4(), "LONG4 integer")));
            case Opcodes.STRING -> stack.add(textString(readLine(MAX_TEXT, "STRING")));
            case Opcodes.UNICODE -> stack.add(PickleUtils.decode_unicode_escaped(readLine(MAX_TEXT, "UNICODE")));
            case Opcodes.INT -> stack.add(textInt(readLine(MAX_NUMBER, "INT")));
            case Opcodes.LONG -> {
                String s = readLine(MAX_NUMBER, "LONG");
                if (s.endsWith("L")) s = s.substring(0, s.length() - 1);
                stack.add(PickleUtils.optimizeBigint(new BigInteger(s)));
            }
            case Opcodes.FLOAT -> stack.add(Double.parseDouble(readLine(MAX_NUMBER, "FLOAT")));
            case Opcodes.GET -> {
                int i = Integer.parseInt(readLine(MAX_NUMBER, "GET"));
                if (!memo.containsKey(i)) throw fail("GET of memo entry " + i + " that was never stored");
                stack.add(memo.get(i));
            }
            case Opcodes.PUT -> memo.put(Integer.parseInt(readLine(MAX_NUMBER, "PUT")), stack.peek());

            case Opcodes.EMPTY_DICT -> stack.add(new Py.Dict("dict"));
            case Opcodes.DICT -> {
                List<Object> items = stack.pop_all_since_marker();
                charge(items.size(), "DICT of " + items.size() + " items");
                Py.Dict d = new Py.Dict("dict");
                putItems(d, items);
                stack.add(d);
            }
            case Opcodes.SETITEM -> {
                Object value = stack.pop(), k = stack.pop();
                Map<Object, Object> d = dictTarget();
                charge(1, "SETITEM");
                d.put(key(k), value);
            }
            case Opcodes.SETITEMS -> {
                List<Object> items = stack.pop_all_since_marker();
                Map<Object, Object> d = dictTarget();
                charge(items.size(), "SETITEMS of " + items.size() + " items");
                putItems(d, items);
            }
            case Opcodes.APPEND -> {
                Object value = stack.pop();
                List<Object> l = listTarget();
                charge(1, "APPEND");
                l.add(value);
            }
            case Opcodes.APPENDS -> {
                List<Object> items = stack.pop_all_since_marker();
                List<Object> l = listTarget();
                charge(items.size(), "APPENDS of " + items.size() + " items");
                l.addAll(items);
            }
            case Opcodes.EMPTY_SET -> stack.add(new HashSet<>());
            case Opcodes.ADDITEMS -> {
                List<Object> items = stack.pop_all_since_marker();
                if (!(stack.peek() instanceof Set<?>)) throw fail("ADDITEMS on a " + Py.typeName(stack.peek()) + ", not a set");
                @SuppressWarnings("unchecked") Set<Object> set = (Set<Object>) stack.peek();
                charge(items.size(), "ADDITEMS of " + items.size() + " items");
                for (Object o : items) set.add(key(o));
            }
            case Opcodes.FROZENSET -> {
                Set<Object> set = new HashSet<>();
                List<Object> items = stack.pop_all_since_marker();
                charge(items.size(), "FROZENSET of " + items.size() + " items");
                for (Object o : items) set.add(key(o));
                stack.add(set);
            }
            case Opcodes.TUPLE -> {
                List<Object> items = stack.pop_all_since_marker();
                charge(items.size(), "TUPLE of " + items.size() + " items");
                stack.add(items.toArray());
            }
            case Opcodes.LIST -> {
                List<Object> items = stack.pop_all_since_marker();
                charge(items.size(), "LIST of " + items.size() + " items");
                stack.add(new ArrayList<>(items));
            }
            default -> {
                // Fixed-size opcodes (MARK, tuples, ints, floats, short strings, memo, PROTO, FRAME, STOP, ...)
                // allocate nothing a file can inflate; Pyrolite runs them.
                return super.dispatch(key);
            }
        }
        return NO_RETURN_VALUE;
    }

    @Override
    protected Object persistentLoad(Object pid) {
        throw new IllegalStateException("persistent ids are handled in dispatch");
    }

    private Object loadPersistent(Object pid) throws IOException {
        if (persistent == null) throw fail("persistent id (" + Py.typeName(pid) + ") where none is expected; refusing");
        return persistent.load(pid);
    }

    // ------------------------------------------------------------------ globals and calls

    private Py.Global resolve(String module, String name) throws CheckpointException {
        Py.Global g = allowed.get(module + "." + name);
        if (g == null) {
            throw new CheckpointException(what + ": refusing pickle global '" + printable(module) + "." + printable(name) + "' at byte " + opcodeAt
                    + ": it is not on this loader's allow-list (a pickle can run code when loaded; only the classes and functions a"
                    + " StyleGAN2 checkpoint needs are accepted, and none of them runs code)");
        }
        return g;
    }

    private Object call(Object callable, Object args, boolean asClass) throws CheckpointException {
        if (!(callable instanceof Py.Global g)) throw fail("call of a " + Py.typeName(callable) + ", which is not callable");
        if (g.kind() == Py.Kind.MARKER || asClass && g.kind() != Py.Kind.CLASS) {
            throw fail("'" + g.qualifiedName() + "' may not be " + (asClass ? "instantiated with this opcode" : "called"));
        }
        if (!(args instanceof Object[] a)) throw fail("arguments of '" + g.qualifiedName() + "' must be a tuple, got " + Py.typeName(args));
        long work = a.length;
        for (Object o : a) work += shallowSize(o);
        charge(work, "a call of " + g.qualifiedName() + " with arguments of " + work + " elements");
        Object made = g.constructor().construct(a, what);
        if (made instanceof LegacyTorchFormat.EmbeddedStorage e) e.shareBudget(budget);
        return made;
    }

    /**
     * What an allowed constructor may copy from one argument: the elements of a container, the characters of a
     * string (encoded by {@code _codecs.encode}). Byte strings are not copied by any constructor (storages keep
     * windows of them), so they cost nothing here; parsing an embedded storage is charged when it happens.
     */
    private static long shallowSize(Object o) {
        if (o instanceof java.util.Collection<?> c) return c.size();
        if (o instanceof Map<?, ?> m) return m.size();
        if (o instanceof Object[] t) return t.length;
        if (o instanceof String s) return s.length();
        return 0;
    }

    private void build(Object target, Object state) throws CheckpointException {
        switch (target) {
            case Py.Dict d -> d.attributes.putAll(chargedState(target, state));
            case Py.Instance i -> i.attributes.putAll(chargedState(target, state));
            case Py.NumpyDtype dt -> {
                if (!(state instanceof Object[] s) || s.length < 2 || !(s[1] instanceof String order)) {
                    throw fail("numpy.dtype state must be a tuple (version, byte order, ...), got " + Py.typeName(state));
                }
                dt.byteOrder = order;
            }
            case Py.NumpyArray a -> {
                if (!(state instanceof Object[] s) || s.length < 4) throw fail("numpy.ndarray state must be a tuple (version, shape, dtype, fortran, data)");
                int o = s.length == 5 ? 1 : 0;
                a.shape = s[o];
                a.dtype = s[o + 1];
                a.fortranOrder = Boolean.TRUE.equals(s[o + 2]);
                a.data = s[o + 3];
            }
            default -> throw fail("BUILD (__setstate__) on a " + Py.typeName(target) + " is not allowed");
        }
    }

    private Map<?, ?> chargedState(Object target, Object state) throws CheckpointException {
        Map<?, ?> m = stateDict(target, state);
        charge(m.size(), "BUILD with a state of " + m.size() + " items");
        return m;
    }

    private Map<?, ?> stateDict(Object target, Object state) throws CheckpointException {
        if (state == null) return Map.of();
        if (state instanceof Map<?, ?> m) return m;
        if (state instanceof Object[] t && t.length == 2 && (t[0] == null || t[0] instanceof Map) && t[1] == null) {
            return t[0] == null ? Map.of() : (Map<?, ?>) t[0];
        }
        throw fail("BUILD state of a " + Py.typeName(target) + " must be a dict, got " + Py.typeName(state));
    }

    // ------------------------------------------------------------------ containers

    private Map<Object, Object> dictTarget() throws CheckpointException {
        Object t = stack.peek();
        if (!(t instanceof Py.Dict d)) throw fail("SETITEM(S) on a " + Py.typeName(t) + ", not a dict");
        return d;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listTarget() throws CheckpointException {
        Object t = stack.peek();
        if (!(t instanceof ArrayList<?>)) throw fail("APPEND(S) on a " + Py.typeName(t) + ", not a list");
        return (List<Object>) t;
    }

    private void putItems(Map<Object, Object> d, List<Object> items) throws CheckpointException {
        if (items.size() % 2 != 0) throw fail("odd number of items (" + items.size() + ") for a dict");
        for (int i = 0; i < items.size(); i += 2) d.put(key(items.get(i)), items.get(i + 1));
    }

    private Object key(Object k) throws CheckpointException {
        if (!Py.isSimpleKey(k)) throw fail("dict key or set item of type " + Py.typeName(k) + " is not supported (only str, int, float, bool, None)");
        // hashing and comparing a long key costs its length (String caches its hash, BigInteger does not)
        if (k instanceof String s && s.length() > 64) charge(s.length(), "a key of " + s.length() + " characters");
        else if (k instanceof BigInteger b && b.bitLength() > 512) charge(b.bitLength() / 8, "a key of " + b.bitLength() + " bits");
        return k;
    }

    private void charge(long units, String step) throws CheckpointException {
        if (!budget.tryCharge(units)) throw fail(budget.exceeded(step));
    }

    // ------------------------------------------------------------------ reading

    private Object bytes(long n, String what) throws IOException {
        in.requireRemaining(n, what);
        if (n < LARGE_BYTES) return in.readExact(n, what);
        Py.ByteSlice s = new Py.ByteSlice(in.source(), in.position(), (int) n);
        in.skipExact(n, what);
        return s;
    }

    private long readUnsigned(int n) throws IOException {
        byte[] b = in.readExact(n, "length");
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | (b[i] & 0xff);
        if (v < 0) throw fail("length field claims more than 2^63 bytes");
        return v;
    }

    private int readSigned4() throws IOException {
        int v = PickleUtils.bytes_to_integer(in.readExact(4, "length"));
        if (v < 0) throw fail("negative length " + v);
        return v;
    }

    private String readLine(int max, String what) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c == '\n') return sb.toString();
            if (sb.length() >= max) throw fail(what + " line longer than " + max + " characters");
            sb.append((char) c);
        }
    }

    private Object textString(String rep) throws CheckpointException {
        if (rep.length() >= 2 && (rep.startsWith("'") && rep.endsWith("'") || rep.startsWith("\"") && rep.endsWith("\""))) {
            return PickleUtils.decode_escaped(rep.substring(1, rep.length() - 1));
        }
        throw fail("STRING argument is not quoted");
    }

    private static Object textInt(String s) {
        if (s.equals("00")) return false;
        if (s.equals("01")) return true;
        return PickleUtils.optimizeBigint(new BigInteger(s));
    }

    /** Printable form of a name from the file (control characters escaped, capped). */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 120; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) sb.append(c);
            else sb.append(String.format("\\x%02x", (int) c & 0xff));
        }
        if (s.length() > 120) sb.append("...");
        return sb.toString();
    }

    static String opName(int op) {
        if (op < 0) return "(none)";
        String n = switch (op) {
            case '(' -> "MARK"; case '.' -> "STOP"; case '0' -> "POP"; case '1' -> "POP_MARK"; case '2' -> "DUP";
            case 'F' -> "FLOAT"; case 'I' -> "INT"; case 'J' -> "BININT"; case 'K' -> "BININT1"; case 'L' -> "LONG";
            case 'M' -> "BININT2"; case 'N' -> "NONE"; case 'P' -> "PERSID"; case 'Q' -> "BINPERSID"; case 'R' -> "REDUCE";
            case 'S' -> "STRING"; case 'T' -> "BINSTRING"; case 'U' -> "SHORT_BINSTRING"; case 'V' -> "UNICODE";
            case 'X' -> "BINUNICODE"; case 'a' -> "APPEND"; case 'b' -> "BUILD"; case 'c' -> "GLOBAL"; case 'd' -> "DICT";
            case '}' -> "EMPTY_DICT"; case 'e' -> "APPENDS"; case 'g' -> "GET"; case 'h' -> "BINGET"; case 'i' -> "INST";
            case 'j' -> "LONG_BINGET"; case 'l' -> "LIST"; case ']' -> "EMPTY_LIST"; case 'o' -> "OBJ"; case 'p' -> "PUT";
            case 'q' -> "BINPUT"; case 'r' -> "LONG_BINPUT"; case 's' -> "SETITEM"; case 't' -> "TUPLE"; case ')' -> "EMPTY_TUPLE";
            case 'u' -> "SETITEMS"; case 'G' -> "BINFLOAT"; case 'B' -> "BINBYTES"; case 'C' -> "SHORT_BINBYTES";
            case 0x80 -> "PROTO"; case 0x81 -> "NEWOBJ"; case 0x82 -> "EXT1"; case 0x83 -> "EXT2"; case 0x84 -> "EXT4";
            case 0x85 -> "TUPLE1"; case 0x86 -> "TUPLE2"; case 0x87 -> "TUPLE3"; case 0x88 -> "NEWTRUE"; case 0x89 -> "NEWFALSE";
            case 0x8a -> "LONG1"; case 0x8b -> "LONG4"; case 0x8c -> "SHORT_BINUNICODE"; case 0x8d -> "BINUNICODE8";
            case 0x8e -> "BINBYTES8"; case 0x8f -> "EMPTY_SET"; case 0x90 -> "ADDITEMS"; case 0x91 -> "FROZENSET";
            case 0x92 -> "NEWOBJ_EX"; case 0x93 -> "STACK_GLOBAL"; case 0x94 -> "MEMOIZE"; case 0x95 -> "FRAME";
            case 0x96 -> "BYTEARRAY8"; case 0x97 -> "NEXT_BUFFER"; case 0x98 -> "READONLY_BUFFER";
            default -> "invalid";
        };
        return n + String.format(" 0x%02x", op);
    }
}
