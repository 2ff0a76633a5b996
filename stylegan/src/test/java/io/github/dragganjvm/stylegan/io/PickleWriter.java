package io.github.dragganjvm.stylegan.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Test-only pickle writer: raw opcodes for hand-made (malicious or malformed) pickles, and {@link #value} for
 * writing Java values the way CPython's pickler writes the corresponding Python values.
 */
final class PickleWriter {
    /** A Python global (class or function), written with GLOBAL or, with stack = true, STACK_GLOBAL. */
    record G(String module, String name, boolean stack) {
        G(String module, String name) { this(module, name, false); }
    }

    /** callable(*args) via REDUCE. */
    record Call(Object callable, Object... args) {}

    /** cls.__new__(cls, *args) via NEWOBJ, then BUILD with state when it is not null. */
    record NewObj(G cls, Object state, Object... args) {}

    /** obj, then BUILD with state (__setstate__: a numpy dtype's or array's state). */
    record Built(Object obj, Object state) {}

    /** A persistent id (BINPERSID). */
    record PersId(Object id) {}

    /** An OrderedDict, written as REDUCE(OrderedDict, ()) + SETITEMS, as CPython does. */
    record ODict(Map<?, ?> items) {}

    /** A set, written as EMPTY_SET + ADDITEMS. */
    record PySet(List<?> items) {}

    /** Bytes spliced in as they are (hand-written opcodes). */
    record Raw(byte[] bytes) {}

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleWriter proto(int p) { return op(0x80).u8(p); }
    PickleWriter op(int code) { out.write(code); return this; }
    PickleWriter u8(int v) { out.write(v); return this; }
    PickleWriter raw(byte[] b) { out.writeBytes(b); return this; }
    PickleWriter stop() { return op('.'); }
    PickleWriter mark() { return op('('); }

    PickleWriter le(long v, int n) {
        for (int i = 0; i < n; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    PickleWriter str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length < 256) return op(0x8c).u8(b.length).raw(b);
        return op('X').le(b.length, 4).raw(b);
    }

    PickleWriter global(String module, String name) {
        return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
    }

    PickleWriter stackGlobal(String module, String name) { return str(module).str(name).op(0x93); }

    PickleWriter integer(long v) {
        if (v >= 0 && v < 256) return op('K').u8((int) v);
        if (v >= 0 && v < 65536) return op('M').le(v, 2);
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) return op('J').le(v, 4);
        byte[] b = java.math.BigInteger.valueOf(v).toByteArray();
        op(0x8a).u8(b.length);
        for (int i = b.length - 1; i >= 0; i--) out.write(b[i]);
        return this;
    }

    PickleWriter bytes(byte[] b) {
        if (b.length < 256) return op('C').u8(b.length).raw(b);
        return op('B').le(b.length, 4).raw(b);
    }

    /** Writes a value (see the record types for Python-specific ones). */
    PickleWriter value(Object v) {
        switch (v) {
            case null -> op('N');
            case Boolean b -> op(b ? 0x88 : 0x89);
            case Integer i -> integer(i);
            case Long l -> integer(l);
            case Double d -> op('G').raw(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(d).array());
            case String s -> str(s);
            case byte[] b -> bytes(b);
            case Object[] t -> {
                if (t.length == 0) op(')');
                else {
                    mark();
                    for (Object o : t) value(o);
                    op('t');
                }
            }
            case G g -> {
                if (g.stack()) stackGlobal(g.module(), g.name());
                else global(g.module(), g.name());
            }
            case Call c -> {
                value(c.callable());
                value(c.args());
                op('R');
            }
            case NewObj n -> {
                value(n.cls());
                value(n.args());
                op(0x81);
                if (n.state() != null) {
                    value(n.state());
                    op('b');
                }
            }
            case Built b -> {
                value(b.obj());
                value(b.state());
                op('b');
            }
            case PersId p -> {
                value(p.id());
                op('Q');
            }
            case ODict d -> {
                global("collections", "OrderedDict").op(')').op('R');
                items(d.items());
            }
            case PySet s -> {
                op(0x8f);
                if (!s.items().isEmpty()) {
                    mark();
                    for (Object o : s.items()) value(o);
                    op(0x90);
                }
            }
            case Raw r -> raw(r.bytes());
            case Map<?, ?> m -> {
                op('}');
                items(m);
            }
            case List<?> l -> {
                op(']');
                if (!l.isEmpty()) {
                    mark();
                    for (Object o : l) value(o);
                    op('e');
                }
            }
            default -> throw new IllegalArgumentException("cannot pickle " + v.getClass());
        }
        return this;
    }

    private void items(Map<?, ?> m) {
        if (m.isEmpty()) return;
        mark();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            value(e.getKey());
            value(e.getValue());
        }
        op('u');
    }

    byte[] toBytes() { return out.toByteArray(); }

    /** A whole pickle of one value: PROTO p, value, STOP. */
    static byte[] pickle(int protocol, Object v) { return new PickleWriter().proto(protocol).value(v).stop().toBytes(); }
}
