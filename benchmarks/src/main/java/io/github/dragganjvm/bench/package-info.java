/**
 * JMH benchmarks of the CPU kernels, runnable as {@code java -jar benchmarks/target/benchmarks.jar [regex] [JMH options]},
 * plus {@link io.github.dragganjvm.bench.QuickBench} (a short programmatic run printing a GFLOP/s table).
 *
 * <h2>Conventions for benchmark classes (add upfirdn2d, grid sampling, modulated conv, ... the same way)</h2>
 * <ul>
 *   <li>One class per op, named {@code <Op>Bench}, annotated like {@link io.github.dragganjvm.bench.GemmBench}: throughput mode,
 *       seconds, one fork whose JVM gets {@link io.github.dragganjvm.bench.Bench#VECTOR_MODULE} (the Vector API module).</li>
 *   <li>One {@code @Benchmark} method per backend, named {@code vector}, {@code reference}, {@code nd4j}
 *       (or {@code vector<Variant>}); each takes a {@code @State} whose {@code @Param} String {@code size} lists the
 *       sizes that backend is run at (the reference is slow: give it small sizes only).</li>
 *   <li>Each method adds the work of one call to {@link io.github.dragganjvm.bench.Flops#gflop}; JMH reports that auxiliary counter
 *       per second, i.e. GFLOP/s, next to ops/s. Convolutions count 2 flops per multiply-add of the dense definition
 *       ({@code 2 * N * O * C/groups * kh * kw * Ho * Wo}), a matrix product {@code 2 * M * N * K}; padding zeros
 *       count as work, as in PyTorch's and cuDNN's reports.</li>
 *   <li>Inputs are random, seeded, created in {@code @Setup}; outputs are returned (JMH consumes them).</li>
 * </ul>
 * ND4J is a comparison point and a test oracle only: it is a dependency of this module, never of the library.
 */
package io.github.dragganjvm.bench;
