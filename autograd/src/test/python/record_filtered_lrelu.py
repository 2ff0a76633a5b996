#!/usr/bin/env python3
"""Records PyTorch cases of StyleGAN3's filtered leaky ReLU for TorchDifferentialTest.filteredLrelu (autograd module).

    /usr/bin/python3 autograd/src/test/python/record_filtered_lrelu.py

writes autograd/src/test/resources/differential/filtered_lrelu.npz with a fixed seed, in the format of
record_torch_differential.py (whose Recorder it uses). A test-data tool only: nothing in the project imports Python.
Recorded with Debian's python3-torch 1.13 on the CPU.

The op is NVlabs stylegan3 torch_utils/ops/filtered_lrelu.py `_filtered_lrelu_ref`, re-implemented below from its
semantics with the `_upfirdn2d_ref` and `_bias_act_ref` it calls:
    x = bias_act(x, b)                                              # x + b
    x = upfirdn2d(x, fu, up=up, padding=[px0, px1, py0, py1], gain=up**2, flip_filter=flip)
    x = bias_act(x, act='lrelu', alpha=slope, gain=gain, clamp=clamp)
    x = upfirdn2d(x, fd, down=down, flip_filter=flip)
upfirdn2d: zero insertion, pad/crop, filter times gain ** (f.ndim / 2), flipped unless flip, conv2d (a 1-D filter:
two conv2d passes, along x then y), keep every down-th sample; f None is the 1x1 filter of ones.

Case parameters "iiii/p": [dtype (0 float32, 1 float64), up, down, px0, px1, py0, py1, gain, slope,
clamp (-1: None), flip, fuKind, fdKind] with kind 0 None, 1 separable [taps], 2 two-dimensional [fh, fw];
arrays x, b (absent: no bias), fu, fd (absent: None), gy, y, gx, gb (gb only with a bias).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from record_torch_differential import Recorder, dt_code  # noqa: E402

SEED = 20261204


def upfirdn2d_ref(x, f, up=1, down=1, padding=(0, 0, 0, 0), gain=1.0, flip=False):
    if f is None:
        f = torch.ones([1, 1], dtype=torch.float32)
    px0, px1, py0, py1 = padding
    n, c, h, w = x.shape
    x = x.reshape([n, c, h, 1, w, 1])
    x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
    x = x.reshape([n, c, h * up, w * up])
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0): x.shape[2] - max(-py1, 0), max(-px0, 0): x.shape[3] - max(-px1, 0)]
    f = f * (gain ** (f.ndim / 2))
    f = f.to(x.dtype)
    if not flip:
        f = f.flip(list(range(f.ndim)))
    f = f[None, None].repeat([c, 1] + [1] * f.ndim)
    if f.ndim == 4:
        x = F.conv2d(x, f, groups=c)
    else:
        x = F.conv2d(x, f.unsqueeze(2), groups=c)
        x = F.conv2d(x, f.unsqueeze(3), groups=c)
    return x[:, :, ::down, ::down]


def bias_act_ref(x, b=None, act='linear', alpha=0.2, gain=1.0, clamp=None):
    if b is not None:
        x = x + b.reshape([1, -1, 1, 1])
    if act == 'lrelu':
        x = F.leaky_relu(x, alpha)
    if gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


def filtered_lrelu_ref(x, fu, fd, b, up, down, padding, gain, slope, clamp, flip):
    fu_w, fu_h = (1, 1) if fu is None else (fu.shape[-1], fu.shape[0])
    fd_w, fd_h = (1, 1) if fd is None else (fd.shape[-1], fd.shape[0])
    px0, px1, py0, py1 = padding
    n, c, in_h, in_w = x.shape
    out_w = (in_w * up + (px0 + px1) - (fu_w - 1) - (fd_w - 1) + (down - 1)) // down
    out_h = (in_h * up + (py0 + py1) - (fu_h - 1) - (fd_h - 1) + (down - 1)) // down
    x = bias_act_ref(x, b)
    x = upfirdn2d_ref(x, fu, up=up, padding=padding, gain=up ** 2, flip=flip)
    x = bias_act_ref(x, act='lrelu', alpha=slope, gain=gain, clamp=clamp)
    x = upfirdn2d_ref(x, fd, down=down, flip=flip)
    assert list(x.shape) == [n, c, out_h, out_w], (x.shape, out_h, out_w)
    return x


def lowpass(taps, cutoff):
    """A Kaiser-windowed sinc low-pass (unit DC gain), like StyleGAN3's design_lowpass_filter, in numpy only."""
    t = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff * t) * np.kaiser(taps, 5.0)
    return h / h.sum()


def radial(taps, cutoff):
    """A non-separable radial low-pass (StyleGAN3 config R's down filter has this shape)."""
    t = np.arange(taps) - (taps - 1) / 2
    r = np.hypot(t[None, :], t[:, None])
    h = np.sinc(2 * cutoff * r) * np.outer(np.kaiser(taps, 5.0), np.kaiser(taps, 5.0))
    return h / h.sum()


def make_filter(rng, kind, up_or_down, shape_hint):
    if kind == 0:
        return None
    if kind == 1:
        taps = shape_hint
        return lowpass(taps, 0.5 / up_or_down * rng.uniform(0.6, 1.0)) if rng.rand() < 0.7 else rng.rand(taps) + 0.1
    fh, fw = shape_hint if isinstance(shape_hint, tuple) else (shape_hint, shape_hint)
    if fh == fw and rng.rand() < 0.6:
        return radial(fh, 0.5 / up_or_down * rng.uniform(0.6, 1.0))
    f = rng.rand(fh, fw) + 0.1
    return f / f.sum()


def record(rng):
    r = Recorder('filtered_lrelu')
    sg3 = [  # (up, down, fu kind, fu taps, fd kind, fd taps, padding): StyleGAN3-like layers, shrunk
        (2, 2, 1, 12, 1, 12, [10, 11, 10, 11]),
        (2, 2, 1, 12, 2, 12, [10, 11, 10, 11]),
        (4, 2, 1, 24, 1, 12, [21, 22, 21, 22]),
        (4, 2, 1, 24, 2, 12, [21, 22, 21, 22]),
        (1, 1, 0, 1, 0, 1, [0, 0, 0, 0]),
    ]
    while r.n < 64:
        i = r.n
        dt = torch.float32 if i % 2 == 0 else torch.float64
        if i < 2 * len(sg3):
            up, down, fuk, fut, fdk, fdt, pad = sg3[i // 2]
            fu_hint, fd_hint = fut, fdt
            n, c, h, w = 1, int(rng.randint(1, 3)), int(rng.randint(4, 9)), int(rng.randint(4, 9))
        else:
            up, down = int(rng.choice([1, 2, 2, 4])), int(rng.choice([1, 2, 2]))
            fuk, fdk = int(rng.choice([0, 1, 1, 2])), int(rng.choice([0, 1, 2, 2]))
            fu_hint = int(rng.randint(1, 4) * up) if fuk == 1 else (int(rng.randint(1, 7)), int(rng.randint(1, 7)))
            fd_hint = int(rng.randint(1, 4) * down) if fdk == 1 else (int(rng.randint(1, 7)), int(rng.randint(1, 7)))
            pad = [int(v) for v in rng.randint(-2, 7, size=4)]
            n, c, h, w = int(rng.randint(1, 3)), int(rng.randint(1, 4)), int(rng.randint(1, 8)), int(rng.randint(1, 8))
        fu = make_filter(rng, fuk, up, fu_hint)
        fd = make_filter(rng, fdk, down, fd_hint)
        fu_t = None if fu is None else torch.tensor(fu, dtype=dt)
        fd_t = None if fd is None else torch.tensor(fd, dtype=dt)
        fu_w, fu_h = (1, 1) if fu is None else (fu.shape[-1], fu.shape[0])
        fd_w, fd_h = (1, 1) if fd is None else (fd.shape[-1], fd.shape[0])
        uh, uw = h * up + pad[2] + pad[3] - (fu_h - 1), w * up + pad[0] + pad[1] - (fu_w - 1)
        if uh < 1 or uw < 1 or uh < fd_h or uw < fd_w:
            continue
        # torch's crop must leave a non-empty up-sampled image
        if h * up - max(-pad[2], 0) - max(-pad[3], 0) < 1 or w * up - max(-pad[0], 0) - max(-pad[1], 0) < 1:
            continue
        gain = float(rng.choice([np.sqrt(2), 1.0, rng.uniform(0.5, 2)]))
        slope = float(rng.choice([0.2, 0.2, 0.0, rng.uniform(0, 1)]))
        flip = int(rng.rand() < 0.3)
        x = torch.tensor(rng.randn(n, c, h, w), dtype=dt)
        b = torch.tensor(rng.randn(c) * 0.5, dtype=dt) if rng.rand() < 0.8 else None
        clamp = -1.0
        if rng.rand() < 0.5:
            # between two activation magnitudes (about a third clamped), never exactly on one
            with torch.no_grad():
                a = bias_act_ref(upfirdn2d_ref(bias_act_ref(x, b), fu_t, up=up, padding=pad, gain=up ** 2, flip=bool(flip)),
                                 act='lrelu', alpha=slope, gain=gain).abs().flatten().sort().values.double().numpy()
            k = int(len(a) * 0.7)
            if k + 1 < len(a) and a[k + 1] - a[k] > 1e-4 * max(a[k + 1], 1e-3):
                clamp = float((a[k] + a[k + 1]) / 2)
        inputs = {'x': x}
        if b is not None:
            inputs['b'] = b
        fixed = {}
        if fu_t is not None:
            fixed['fu'] = fu_t
        if fd_t is not None:
            fixed['fd'] = fd_t
        params = [dt_code(dt), up, down] + pad + [gain, slope, clamp, flip, fuk, fdk]

        def fn(x, b=None, fu=None, fd=None, up=up, down=down, pad=pad, gain=gain, slope=slope, clamp=clamp, flip=flip):
            return filtered_lrelu_ref(x, fu, fd, b, up, down, pad, gain, slope, None if clamp < 0 else clamp, bool(flip))

        r.case(params, {**inputs, **fixed}, fn, list(inputs))
    r.save()


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    record(np.random.RandomState(SEED))


if __name__ == '__main__':
    main()
