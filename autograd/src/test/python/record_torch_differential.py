#!/usr/bin/env python3
"""Records PyTorch forward values and vector-Jacobian products for TorchDifferentialTest (autograd module).

    /usr/bin/python3 autograd/src/test/python/record_torch_differential.py

writes autograd/src/test/resources/differential/<set>.npz, one archive per op set, made with a fixed seed (the same
bytes on every run with the same PyTorch/NumPy). A test-data tool only: nothing in the project imports Python.
Recorded with Debian's python3-torch 1.13 on the CPU.

Each case i (4 digits) of a set stores float64 parameters "iiii/p" (layout per set below; p[0] is the dtype,
0 = float32, 1 = float64) and arrays "iiii/<name>" in that dtype: the inputs, the random cotangent "gy", the output
"y" and the gradients "g<input>" = vjp(gy). The Java test rebuilds each case from p and the inputs.

Sets and their p layouts:
  bias_act          [dtype, dim, hasBias, act (0 linear, 1 lrelu), alpha, gain, clamp (-1: none)]
                    x, b?; y = _bias_act_ref order: x + b, act, * gain, clamp(-clamp, clamp). About half the cases are
                    on a dyadic grid (x, b multiples of 1/4; alpha, gain, clamp powers of two or small multiples of
                    1/4) so that many values land exactly on +-clamp and on v = 0; the others are random with the
                    clamp set to |act(v) * gain| of one element (computed here, in the case's dtype).
  upfirdn2d         [dtype, up, down, padX0, padX1, padY0, padY1, gain, flipFilter]; x, f (the filter is a constant)
                    NVlabs _upfirdn2d_ref (upsample by zero insertion, pad/crop, FIR with flipped f unless flip, every
                    down-th sample), re-implemented here with torch ops.
  conv2d            [dtype, stride, padding, groups]; x [N, C, H, W], w [O, C/groups, kh, kw]
  conv_transpose2d  [dtype, stride, padding, groups]; x [N, C, H, W], w [C, O/groups, kh, kw]
  matmul            [dtype, kind (0 [M,K]x[K,N], 1 batched [B,M,K]x[B,K,N], 2 linear), weightGain, biasGain, hasBias]
                    matmul: a, b; linear (StyleGAN2 FullyConnectedLayer): x [N, in], w [out, in], b [out]?:
                    y = x (w * weightGain)^T + b * biasGain
  elementwise       [dtype, op, q1, q2]; unary ops on x (0 neg, 1 abs, 2 square, 3 sqrt, 4 rsqrt, 5 exp, 6 log,
                    7 softplus, 8 sigmoid, 9 affine(q1, q2), 10 clamp(q1, q2), 11 leaky_relu(q1) * q2), binary ops on
                    a, b with broadcasting over size-1 dims (20 add, 21 sub, 22 mul, 23 div)
  reduce            [dtype, op (0 sum, 1 mean, 2 normalize_2nd_moment eps q, 3 mse_loss, 4 l1_loss), keepdim, q,
                    ndims, dims...]; x (and t for the losses)
"""
import os
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'differential')
SEED = 20261203
DTYPES = [torch.float32, torch.float64]


class Recorder:
    def __init__(self, name):
        self.name, self.arrays, self.n = name, {}, 0

    def case(self, params, inputs, fn, grad_names):
        """inputs: dict name -> tensor (those in grad_names require grad); fn(**inputs) -> output tensor."""
        k = '%04d/' % self.n
        self.n += 1
        ins = {}
        for name, t in inputs.items():
            t = t.detach().clone()
            if name in grad_names:
                t.requires_grad_(True)
            ins[name] = t
        y = fn(**ins)
        gy = torch.randn(y.shape, dtype=y.dtype)
        grads = torch.autograd.grad(y, [ins[g] for g in grad_names], gy, allow_unused=False)
        self.arrays[k + 'p'] = np.asarray(params, dtype=np.float64)
        for name, t in ins.items():
            self.arrays[k + name] = t.detach().numpy()
        self.arrays[k + 'gy'] = gy.numpy()
        self.arrays[k + 'y'] = y.detach().numpy()
        for g, t in zip(grad_names, grads):
            self.arrays[k + 'g' + name_suffix(g)] = t.numpy()

    def save(self):
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, self.name + '.npz')
        np.savez_compressed(path, **self.arrays)
        print('%-18s %4d cases  %8d bytes' % (self.name, self.n, os.path.getsize(path)))


def name_suffix(g):
    return g


def dt_code(dt):
    return 0 if dt == torch.float32 else 1


def rand_shape(rng, rank, lo=1, hi=7):
    return [int(rng.choice([1, rng.randint(lo, hi + 1), rng.randint(lo, hi + 1)])) for _ in range(rank)]


# ---------------------------------------------------------------------------------------------- bias_act

def bias_act_ref(x, b, dim, act, alpha, gain, clamp):
    if b is not None:
        x = x + b.reshape([-1 if i == dim else 1 for i in range(x.ndim)])
    if act == 1:
        x = F.leaky_relu(x, alpha)
    if gain != 1:
        x = x * gain
    if clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


def record_bias_act(rng):
    r = Recorder('bias_act')
    for i in range(240):
        dt = DTYPES[i % 2]
        grid = (i // 2) % 2 == 0
        rank = int(rng.choice([0, 1, 2, 3, 4, 4, 4])) if not grid else int(rng.choice([1, 2, 3, 4]))
        shape = rand_shape(rng, rank)
        dim = int(rng.randint(0, rank)) if rank > 0 else 0
        has_b = rank > 0 and rng.rand() < 0.7
        act = int(rng.rand() < 0.75)
        if grid:
            x = torch.tensor(rng.randint(-12, 13, size=shape) / 4.0, dtype=dt)
            b = torch.tensor(rng.randint(-4, 5, size=[shape[dim]]) / 4.0, dtype=dt) if has_b else None
            alpha = float(rng.choice([0.25, -0.5, 0.0, 2.0, -1.0, 1.0, 0.5]))
            gain = float(rng.choice([1.0, 2.0, -2.0, 0.5, -0.5, -1.0, 4.0]))
            clamp = float(rng.choice([-1, 0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0]))
        else:
            x = torch.tensor(rng.randn(*shape) * 2, dtype=dt)
            b = torch.tensor(rng.randn(shape[dim]), dtype=dt) if has_b else None
            alpha = float(rng.choice([0.2, rng.uniform(-1.5, 1.5), -0.2, 0.0]))
            gain = float(rng.choice([1.0, np.sqrt(2), -np.sqrt(2), rng.uniform(-3, 3)]))
            clamp = -1.0
            if rng.rand() < 0.7:
                t = bias_act_ref(x, b, dim, act, alpha, gain, -1).reshape(-1)
                clamp = float(abs(t[int(rng.randint(0, t.numel()))]))   # one element exactly on the bound
        if act == 0:
            alpha = 0.0
        inputs = {'x': x} if b is None else {'x': x, 'b': b}
        r.case([dt_code(dt), dim, int(b is not None), act, alpha, gain, clamp], inputs,
               lambda x, b=None: bias_act_ref(x, b, dim, act, alpha, gain, clamp), list(inputs))
    r.save()


# ---------------------------------------------------------------------------------------------- upfirdn2d

def upfirdn2d_ref(x, f, up, down, pad, gain, flip):
    px0, px1, py0, py1 = pad
    n, c, h, w = x.shape
    x = x.reshape([n, c, h, 1, w, 1])
    x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
    x = x.reshape([n, c, h * up, w * up])
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0): x.shape[2] - max(-py1, 0), max(-px0, 0): x.shape[3] - max(-px1, 0)]
    f = f * gain
    if not flip:
        f = f.flip([0, 1])
    f = f[None, None].repeat([c, 1, 1, 1])
    x = F.conv2d(x, f, groups=c)
    return x[:, :, ::down, ::down]


def record_upfirdn2d(rng):
    r = Recorder('upfirdn2d')
    i = 0
    while r.n < 120:
        dt = DTYPES[r.n % 2]
        n, c, h, w = int(rng.randint(1, 3)), int(rng.randint(1, 4)), int(rng.randint(1, 10)), int(rng.randint(1, 10))
        fh, fw = int(rng.randint(1, 5)), int(rng.randint(1, 5))
        up, down = int(rng.choice([1, 1, 2, 3])), int(rng.choice([1, 1, 2, 3]))
        pad = [int(v) for v in rng.randint(-2, 4, size=4)]
        ho = (h * up + pad[2] + pad[3] - fh) // down + 1
        wo = (w * up + pad[0] + pad[1] - fw) // down + 1
        if h * up + pad[2] + pad[3] < fh or w * up + pad[0] + pad[1] < fw or ho < 1 or wo < 1:
            continue
        if h * up - max(-pad[2], 0) - max(-pad[3], 0) < 1 or w * up - max(-pad[0], 0) - max(-pad[1], 0) < 1:
            continue
        gain = float(rng.choice([1.0, 4.0, rng.uniform(0.5, 3)]))
        flip = int(rng.rand() < 0.5)
        x = torch.tensor(rng.randn(n, c, h, w), dtype=dt)
        f = torch.tensor(rng.rand(fh, fw) + 0.1, dtype=dt)
        f = f / f.sum()
        r.case([dt_code(dt), up, down] + pad + [gain, flip], {'x': x, 'f': f},
               lambda x, f: upfirdn2d_ref(x, f, up, down, pad, gain, bool(flip)), ['x'])
    r.save()


# ---------------------------------------------------------------------------------------------- convolutions

def record_conv(rng, transpose):
    r = Recorder('conv_transpose2d' if transpose else 'conv2d')
    while r.n < 100:
        dt = DTYPES[r.n % 2]
        g = int(rng.choice([1, 1, 2, 3]))
        c, o = g * int(rng.randint(1, 4)), g * int(rng.randint(1, 4))
        n, h, w = int(rng.randint(1, 3)), int(rng.randint(1, 9)), int(rng.randint(1, 9))
        kh, kw = int(rng.randint(1, 5)), int(rng.randint(1, 5))
        stride, padding = int(rng.choice([1, 1, 2, 3])), int(rng.randint(0, 3))
        x = torch.tensor(rng.randn(n, c, h, w), dtype=dt)
        if transpose:
            if (h - 1) * stride - 2 * padding + kh < 1 or (w - 1) * stride - 2 * padding + kw < 1:
                continue
            wt = torch.tensor(rng.randn(c, o // g, kh, kw) / np.sqrt(c * kh * kw / g), dtype=dt)
            fn = lambda x, w: F.conv_transpose2d(x, w, stride=stride, padding=padding, groups=g)
        else:
            if h + 2 * padding < kh or w + 2 * padding < kw:
                continue
            wt = torch.tensor(rng.randn(o, c // g, kh, kw) / np.sqrt(c * kh * kw / g), dtype=dt)
            fn = lambda x, w: F.conv2d(x, w, stride=stride, padding=padding, groups=g)
        r.case([dt_code(dt), stride, padding, g], {'x': x, 'w': wt}, fn, ['x', 'w'])
    r.save()


# ---------------------------------------------------------------------------------------------- matmul / linear

def record_matmul(rng):
    r = Recorder('matmul')
    for i in range(90):
        dt = DTYPES[i % 2]
        kind = i // 2 % 3
        m, k, n = [int(rng.choice([1, rng.randint(1, 20), rng.randint(1, 40)])) for _ in range(3)]
        if kind == 0:
            r.case([dt_code(dt), 0, 1, 1, 0], {'a': torch.tensor(rng.randn(m, k), dtype=dt), 'b': torch.tensor(rng.randn(k, n), dtype=dt)},
                   lambda a, b: a @ b, ['a', 'b'])
        elif kind == 1:
            bs = int(rng.randint(1, 4))
            r.case([dt_code(dt), 1, 1, 1, 0], {'a': torch.tensor(rng.randn(bs, m, k), dtype=dt), 'b': torch.tensor(rng.randn(bs, k, n), dtype=dt)},
                   lambda a, b: torch.matmul(a, b), ['a', 'b'])
        else:
            wg, bg = float(rng.choice([1.0, 0.01 / np.sqrt(k), rng.uniform(0.1, 2)])), float(rng.choice([1.0, 0.01, 1.7]))
            has_b = rng.rand() < 0.7
            ins = {'x': torch.tensor(rng.randn(m, k), dtype=dt), 'w': torch.tensor(rng.randn(n, k), dtype=dt)}
            if has_b:
                ins['b'] = torch.tensor(rng.randn(n), dtype=dt)
            def lin(x, w, b=None, wg=wg, bg=bg):
                y = x @ (w * wg).t() if wg != 1 else x @ w.t()
                if b is not None:
                    y = y + (b * bg if bg != 1 else b)[None]
                return y
            r.case([dt_code(dt), 2, wg, bg, int(has_b)], ins, lin, list(ins))
    r.save()


# ---------------------------------------------------------------------------------------------- elementwise

UNARY = {
    0: lambda x, q1, q2: -x,
    1: lambda x, q1, q2: x.abs(),
    2: lambda x, q1, q2: x.square(),
    3: lambda x, q1, q2: x.sqrt(),
    4: lambda x, q1, q2: x.rsqrt(),
    5: lambda x, q1, q2: x.exp(),
    6: lambda x, q1, q2: x.log(),
    7: lambda x, q1, q2: F.softplus(x),
    8: lambda x, q1, q2: torch.sigmoid(x),
    9: lambda x, q1, q2: x * q1 + q2,
    10: lambda x, q1, q2: x.clamp(q1, q2),
    11: lambda x, q1, q2: F.leaky_relu(x, q1) * q2,
}
BINARY = {20: torch.add, 21: torch.sub, 22: torch.mul, 23: torch.div}


def record_elementwise(rng):
    r = Recorder('elementwise')
    ops = list(UNARY) + list(BINARY)
    for i in range(2 * 3 * len(ops)):
        dt = DTYPES[i % 2]
        op = ops[i // 2 % len(ops)]
        shape = rand_shape(rng, int(rng.randint(1, 5)))
        q1, q2 = 0.0, 0.0
        if op in UNARY:
            x = rng.randn(*shape) * 3
            if op in (3, 4, 6):
                x = np.abs(x) + 0.05
            if op == 7:
                x = rng.uniform(-30, 30, size=shape)
                x.reshape(-1)[0] = 20.0                      # the threshold itself
            if op == 9:
                q1, q2 = float(rng.uniform(-2, 2)), float(rng.uniform(-1, 1))
            if op == 10:
                x = rng.randint(-8, 9, size=shape) / 4.0     # values on the bounds
                q1, q2 = float(rng.randint(-4, 1)) / 4.0, float(rng.randint(0, 5)) / 4.0
            if op == 11:
                x = rng.randint(-8, 9, size=shape) / 4.0     # includes 0
                q1, q2 = float(rng.choice([0.2, -0.3, 0.0, 1.5])), float(rng.choice([np.sqrt(2), -1.0, 1.0, 0.5]))
            r.case([dt_code(dt), op, q1, q2], {'x': torch.tensor(x, dtype=dt)},
                   lambda x: UNARY[op](x, q1, q2), ['x'])
        else:
            bshape = [s if rng.rand() < 0.6 else 1 for s in shape]
            ashape = [s if rng.rand() < 0.8 else 1 for s in shape]
            a = torch.tensor(rng.randn(*ashape), dtype=dt)
            bv = rng.randn(*bshape)
            if op == 23:
                bv = np.sign(bv) * (np.abs(bv) + 0.3)
            b = torch.tensor(bv, dtype=dt)
            r.case([dt_code(dt), op, q1, q2], {'a': a, 'b': b}, lambda a, b: BINARY[op](a, b), ['a', 'b'])
    r.save()


# ---------------------------------------------------------------------------------------------- reductions

def record_reduce(rng):
    r = Recorder('reduce')
    for i in range(100):
        dt = DTYPES[i % 2]
        op = i // 2 % 5
        rank = int(rng.randint(1, 5)) if op != 2 else int(rng.randint(2, 5))
        shape = rand_shape(rng, rank)
        if op == 2:
            shape[1] = max(shape[1], 2)   # one channel: y = x / sqrt(x^2 + eps) is flat, its gradient rounding noise
        x = torch.tensor(rng.randn(*shape), dtype=dt)
        keep = int(rng.rand() < 0.5)
        q = 0.0
        dims = sorted(set(int(d) for d in rng.randint(0, rank, size=int(rng.randint(1, rank + 1)))))
        if op == 0:
            fn = lambda x: x.sum(dim=dims, keepdim=bool(keep))
            ins = {'x': x}
        elif op == 1:
            fn = lambda x: x.mean(dim=dims, keepdim=bool(keep))
            ins = {'x': x}
        elif op == 2:
            q = float(rng.choice([1e-8, 1e-3]))
            fn = lambda x: x * (x.square().mean(dim=1, keepdim=True) + q).rsqrt()
            ins = {'x': x}
            dims = []
        else:
            t = torch.tensor(rng.randn(*shape), dtype=dt)
            fn = (lambda x, t: F.mse_loss(x, t)) if op == 3 else (lambda x, t: F.l1_loss(x, t))
            ins = {'x': x, 't': t}
            dims = []
        r.case([dt_code(dt), op, keep, q, len(dims)] + dims, ins, fn, list(ins))
    r.save()


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = np.random.RandomState(SEED)
    record_bias_act(rng)
    record_upfirdn2d(rng)
    record_conv(rng, False)
    record_conv(rng, True)
    record_matmul(rng)
    record_elementwise(rng)
    record_reduce(rng)


if __name__ == '__main__':
    main()
