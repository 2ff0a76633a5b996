#!/usr/bin/env python3
"""PyTorch (CPU: OpenBLAS sgemm, oneDNN convolutions) GFLOP/s for the rows of QuickBench (`./draggan bench`).

A measuring tool run by hand or by ../compare-kernels.sh (Debian's python3-torch, see README.md); never part of
the build or the tests. Same ops, shapes and flop counts as the JMH classes, so the tables compare line by line:

  sgemm MxNxK                 C[M, N] = A[M, K] @ B[K, N]                                  2*M*N*K
  conv2d 3x3 CxO@R            x [1, C, R, R], w [O, C, 3, 3], stride 1, padding 1          2*O*C*9*R*R
  conv2d 3x3 input-grad       d<g, conv(x, w)>/dx (aten::convolution_backward, input mask) same
  conv2d 3x3 weight-grad      d<g, conv(x, w)>/dw (weight mask)                            same
  convT 3x3 stride 2 CxO@R    conv_transpose2d x [1, C, R, R], w [C, O, 3, 3] -> 2R+1      2*C*O*9*R*R
  convT input-grad            d<g, convT(x, w)>/dx (a stride-2 conv)                       same
  ..., batch 16 / training *  TrainingConvBench's rows at 32x32@32: conv2d, its input and
                              weight gradients, and the stride-2 convT up from 32x32, N = 16  2*N*O*C*9*R*R

Usage: python3 kernel_bench.py [--threads 2] [--secs 1.0] [--quick]
Prints `op | size | backend | GFLOP/s` rows (backend "pytorch"), best of the timed calls.
"""
import argparse
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see training_conv_bench.py: spinning threads on shared cores

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def best_seconds(fn, secs):
    for _ in range(3):
        fn()
    best, n, end = float("inf"), 0, time.perf_counter() + secs
    while time.perf_counter() < end or n < 5:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        n += 1
    return best


def conv_grad(x, w, g, mask, transposed, stride, padding):
    # aten::convolution_backward as autograd calls it, one output mask set
    return torch.ops.aten.convolution_backward(g, x, w, None, [stride, stride], [padding, padding], [1, 1],
                                               transposed, [0, 0], 1, mask)


def rows(quick):
    gen = torch.Generator().manual_seed(0)
    rn = lambda *s: torch.randn(*s, generator=gen)
    for size in ["1024x1024x1024", "512x1024x4608"]:
        m, n, k = map(int, size.split("x"))
        a, b = rn(m, k), rn(k, n)
        yield "sgemm", size, 2.0 * m * n * k, lambda a=a, b=b: a @ b
    for size in ["512x512@32"] + ([] if quick else ["512x256@64", "128x64@256"]):
        c, o, r = parse_conv(size)
        x, w, g = rn(1, c, r, r), rn(o, c, 3, 3), rn(1, o, r, r)
        fl = 2.0 * o * c * 9 * r * r
        yield "conv2d 3x3", size, fl, lambda x=x, w=w: F.conv2d(x, w, padding=1)
        if size == "512x512@32":
            yield "conv2d 3x3 input-grad", size, fl, lambda x=x, w=w, g=g: conv_grad(x, w, g, [True, False, False], False, 1, 1)
            yield "conv2d 3x3 weight-grad", size, fl, lambda x=x, w=w, g=g: conv_grad(x, w, g, [False, True, False], False, 1, 1)
    for size in ["512x256@32"] + ([] if quick else ["256x128@64"]):
        c, o, r = parse_conv(size)
        x, w, g = rn(1, c, r, r), rn(c, o, 3, 3), rn(1, o, 2 * r + 1, 2 * r + 1)
        fl = 2.0 * c * o * 9 * r * r
        yield "convT 3x3 stride 2 (up)", size, fl, lambda x=x, w=w: F.conv_transpose2d(x, w, stride=2)
        yield "convT 3x3 stride 2 (up) input-grad", size, fl, lambda x=x, w=w, g=g: conv_grad(x, w, g, [True, False, False], True, 2, 0)
    if not quick:
        # a training layer (TrainingConvBench, batch 16): 32 -> 32 channels at 32x32, and the stride-2 up conv from 32x32
        n, (c, o, r) = 16, parse_conv("32x32@32")
        fl = 2.0 * n * o * c * 9 * r * r
        x, w, g = rn(n, c, r, r), rn(o, c, 3, 3), rn(n, o, r, r)
        yield "conv2d 3x3, batch 16", "32x32@32", fl, lambda x=x, w=w: F.conv2d(x, w, padding=1)
        yield "training inputGrad, batch 16", "32x32@32", fl, lambda x=x, w=w, g=g: conv_grad(x, w, g, [True, False, False], False, 1, 1)
        yield "training weightGrad, batch 16", "32x32@32", fl, lambda x=x, w=w, g=g: conv_grad(x, w, g, [False, True, False], False, 1, 1)
        xu, wu = rn(n, c, r, r), rn(c, o, 3, 3)
        yield "training up, batch 16", "32x32@32", fl, lambda x=xu, w=wu: F.conv_transpose2d(x, w, stride=2)


def parse_conv(size):
    co, r = size.split("@")
    c, o = map(int, co.split("x"))
    return c, o, int(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--secs", type=float, default=1.0)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}")
    with torch.no_grad():
        for op, size, flops, fn in rows(args.quick):
            t = best_seconds(fn, args.secs)
            print(f"{op} | {size} | pytorch | {flops / t * 1e-9:.1f}", flush=True)


if __name__ == "__main__":
    main()
