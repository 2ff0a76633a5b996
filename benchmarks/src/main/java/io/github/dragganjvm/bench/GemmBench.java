package io.github.dragganjvm.bench;

import io.github.dragganjvm.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Single-precision matrix product C[M, N] = A[M, K] x B[K, N], sizes "MxNxK"; 2*M*N*K flops.
 * 512x1024x4608 is the GEMM inside a 3x3 conv 512->512 at 32x32; 64x65536x1152 the one of 128->64 at 256x256.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Bench.ADD_MODULES, Bench.VECTOR_MODULE, Bench.QUIET})
public class GemmBench {

    /** Operands for one size. */
    static final class Data {
        final int m, n, k;
        final double gflop;
        final Tensor a, b;
        INDArray na, nb, nc;

        Data(String size) {
            int[] d = Bench.dims(size);
            m = d[0]; n = d[1]; k = d[2];
            gflop = 2.0 * m * n * k * 1e-9;
            a = Bench.randn(1, m, k);
            b = Bench.randn(2, k, n);
        }

        Data withNd4j() {
            na = Nd4jOps.of(a);
            nb = Nd4jOps.of(b);
            nc = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, m, n);
            return this;
        }
    }

    @State(Scope.Benchmark)
    public static class Fast {
        @Param({"1024x1024x1024", "512x1024x4608", "64x65536x1152"})
        public String size;
        Data d;

        @Setup public void setup() { d = new Data(size); }
    }

    @State(Scope.Benchmark)
    public static class Nd4jSizes {
        @Param({"1024x1024x1024", "512x1024x4608", "64x65536x1152"})
        public String size;
        Data d;

        @Setup public void setup() { d = new Data(size).withNd4j(); }
    }

    @State(Scope.Benchmark)
    public static class Small {
        @Param({"128x128x128"})
        public String size;
        Data d;

        @Setup public void setup() { d = new Data(size); }
    }

    @Benchmark public Tensor vector(Fast s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.VECTOR.matmul(s.d.a, s.d.b);
    }

    @Benchmark public INDArray nd4j(Nd4jSizes s, Flops f) {
        f.gflop += s.d.gflop;
        return Nd4jOps.gemm(s.d.na, s.d.nb, s.d.nc);
    }

    @Benchmark public Tensor reference(Small s, Flops f) {
        f.gflop += s.d.gflop;
        return Bench.REFERENCE.matmul(s.d.a, s.d.b);
    }
}
