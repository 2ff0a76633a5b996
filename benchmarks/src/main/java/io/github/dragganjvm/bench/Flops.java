package io.github.dragganjvm.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The floating-point work done, as a JMH auxiliary counter: each benchmark call adds its GFLOP, and JMH reports the
 * counter per unit of time, so with {@code @OutputTimeUnit(SECONDS)} the "gflop" line of the results is GFLOP/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Flops {
    /** GFLOP done so far in this iteration. */
    public double gflop;

    @Setup(Level.Iteration) public void reset() { gflop = 0; }
}
