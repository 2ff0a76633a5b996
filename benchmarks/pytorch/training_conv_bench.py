#!/usr/bin/env python3
"""PyTorch (CPU, oneDNN) GFLOP/s for the shapes of ../src/main/java/io/github/dragganjvm/bench/TrainingConvBench.java.

A measuring tool, run by hand (Debian's python3-torch, see README.md); not part of the build or the tests.
The same ops, shapes and flop counts as the JMH class, so the two tables compare line by line:

  forward / inputGrad / weightGrad   3x3 conv, stride 1, padding 1: x [N, C, R, R], w [O, C, 3, 3]
  up / upInputGrad / upWeightGrad    conv_transpose2d x [N, C, R, R], w [C, O, 3, 3], stride 2, padding 0
  down / downWeightGrad              conv2d x [N, C, 2R+1, 2R+1], w [O, C, 3, 3], stride 2, padding 0
  matmulLinear / InputGrad / WeightGrad, affineTransposed   the mapping network's FC layer, M x N x K

Input and weight gradients are timed as PyTorch's autograd computes them, through
aten::convolution_backward with one output mask set (oneDNN / im2col kernels), and also, for the input
gradient, as the plain conv_transpose2d our backend runs ("inputGradAsTransposedConv").
Flops: 2 * N * O * C * 9 * (output pixels of the stride-1 conv / input pixels of the transposed conv).

Usage: python3 training_conv_bench.py [--threads 2] [--batch 16] [--secs 1.0]
Prints one line per op and size: best and median ms, GFLOP/s of the best.
"""
import argparse
import os
import statistics
import time

# as train_bench.py: on a machine shared with other work, libgomp's default spinning makes 2-thread PyTorch
# many times slower; set before torch loads
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def timed(fn, secs):
    for _ in range(3):
        fn()
    times = []
    end = time.perf_counter() + secs
    while time.perf_counter() < end or len(times) < 5:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def conv_backward(grad_out, inp, weight, stride, padding, transposed, mask):
    """aten::convolution_backward (what autograd calls), returning the gradient selected by mask."""
    res = torch.ops.aten.convolution_backward(grad_out, inp, weight, None, [stride, stride], [padding, padding],
                                              [1, 1], transposed, [0, 0], 1, mask)
    return res[0] if mask[0] else res[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--secs", type=float, default=1.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    n = a.batch
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}, batch {n}")
    rows = []

    def run(op, size, gflop, fn):
        best, med = timed(fn, a.secs)
        rows.append((op, size, best, med, gflop / best))
        print(f"{op:28s} {size:12s} best {best * 1e3:8.3f} ms  median {med * 1e3:8.3f} ms  {gflop / best:7.1f} GFLOP/s", flush=True)

    with torch.no_grad():
        for size in ["16x16@64", "32x32@32", "64x64@16", "128x128@8", "128x128@4"]:
            c, o, r = [int(v) for v in size.replace("@", "x").split("x")]
            gf = 2.0 * n * o * c * 9 * r * r * 1e-9
            x, w, g = torch.randn(n, c, r, r), torch.randn(o, c, 3, 3), torch.randn(n, o, r, r)
            run("forward", size, gf, lambda: F.conv2d(x, w, stride=1, padding=1))
            run("inputGrad", size, gf, lambda: conv_backward(g, x, w, 1, 1, False, [True, False, False]))
            run("inputGradAsTransposedConv", size, gf, lambda: F.conv_transpose2d(g, w, stride=1, padding=1))
            run("weightGrad", size, gf, lambda: conv_backward(g, x, w, 1, 1, False, [False, True, False]))
        for size in ["128x128@4", "128x64@8", "128x128@8", "64x32@16", "32x16@32"]:
            c, o, r = [int(v) for v in size.replace("@", "x").split("x")]
            gf = 2.0 * n * o * c * 9 * r * r * 1e-9
            x, w, g = torch.randn(n, c, r, r), torch.randn(c, o, 3, 3), torch.randn(n, o, 2 * r + 1, 2 * r + 1)
            run("up", size, gf, lambda: F.conv_transpose2d(x, w, stride=2, padding=0))
            run("upInputGrad", size, gf, lambda: conv_backward(g, x, w, 2, 0, True, [True, False, False]))
            run("upWeightGrad", size, gf, lambda: conv_backward(g, x, w, 2, 0, True, [False, True, False]))
        for size in ["16x32@32", "32x64@16", "64x128@8", "128x128@8", "128x128@4"]:
            c, o, r = [int(v) for v in size.replace("@", "x").split("x")]
            gf = 2.0 * n * o * c * 9 * r * r * 1e-9
            x, w, g = torch.randn(n, c, 2 * r + 1, 2 * r + 1), torch.randn(o, c, 3, 3), torch.randn(n, o, r, r)
            run("down", size, gf, lambda: F.conv2d(x, w, stride=2, padding=0))
            run("downWeightGrad", size, gf, lambda: conv_backward(g, x, w, 2, 0, False, [False, True, False]))
        m, nn_, k = 16, 512, 512
        gf = 2.0 * m * nn_ * k * 1e-9
        x, w, g = torch.randn(m, k), torch.randn(nn_, k), torch.randn(m, nn_)
        run("matmulLinear", "16x512x512", gf, lambda: x @ w.t())
        run("matmulInputGrad", "16x512x512", gf, lambda: g @ w)
        run("matmulWeightGrad", "16x512x512", gf, lambda: g.t() @ x)
        run("affineTransposed", "16x512x512", 2.0 * nn_ * k * 1e-9, lambda: w.t() * 0.5)


if __name__ == "__main__":
    main()
