#!/usr/bin/env python3
"""Times StyleGAN2 training in plain PyTorch on the CPU, the way the reference trainer runs it
(NVlabs stylegan2-ada-pytorch: training/networks.py Generator + resnet Discriminator,
training/loss.py StyleGAN2Loss, the inner loop of training/training_loop.py), for comparison
with the Java trainer (./draggan train --bench).

Written from the reference's semantics, with its CPU code paths and no custom ops:
  - parameters are nn.Parameters under the NVlabs module paths (mapping.fc0.weight,
    synthesis.b8.conv0.affine.bias, b64.skip.weight, b4.fc.weight, ...), stored as NVlabs stores
    them; the equalised-learning-rate gains (1/sqrt(fan_in), lr multiplier 0.01 of the mapping)
    are applied at run time; NVlabs initialisation, in NVlabs' construction order;
  - G in training mode: w_avg tracked (beta 0.995) on every mapping call, fused_modconv = not
    training = False (activations scaled by the styles, one conv with the shared weight, output
    scaled by the demodulation coefficients + noise as one addcmul = fma), random noise;
  - conv2d_resample with the reference's fast paths: up 2 = transposed conv stride 2 + [1,3,3,1]
    FIR (gain 4), down 2 = FIR then strided conv (3x3) or FIR with down-sampling then conv (1x1);
    upfirdn2d as zero insertion + pad + depthwise conv2d (NVlabs' _upfirdn2d_ref, what it runs on
    a CPU); bias_act = add, leaky ReLU 0.2, gain, clamp;
  - D: resnet blocks (fromrgb at the top, skip 1x1 down 2 with gain sqrt(.5), conv0, conv1 down 2
    with gain sqrt(.5)), epilogue with minibatch std (group min(4, N), 1 channel), conv, fc, out;
  - NVlabs train.py's fixed choices: conv_clamp 256 (--conv-clamp), R1 gamma 0.0002 res^2/batch,
    lr 0.0025, Adam betas (0, 0.99) eps 1e-8 with the lazy-regularisation adjustment
    (lr * k/(k+1), betas ** (k/(k+1)); G k = 4, D k = 16), G_ema half-life batch*10/32 kimg with
    ramp-up 0.05, mbstd group 4. Everything float32 (the reference's fp16 blocks need a GPU).

One step = the reference's inner loop at batch index i: fresh reals in [-1, 1) and 4 x batch latents
drawn; then each phase due at i (Gmain every step, Greg every 4th, Dmain every step, Dreg every 16th)
runs zero_grad, requires_grad_(True) on its network only, the loss's accumulate_gradients with
gain = the phase's interval, requires_grad_(False), nan_to_num of the gradients and Adam; then the
G_ema update. Greg is a phase with nothing to do when --pl-weight is 0 (as in the reference).

  python3 train_bench.py --res 64 --cbase 1024 --cmax 128 --batch 16 --steps 32 --warmup 4 --threads 2
  python3 train_bench.py --res 64 --cbase 4096 --cmax 256 --steps 32 --profile   # + where the time goes
  python3 train_bench.py --check [GOLDEN_DIR]   # G and D of compact-128/model.pkl against golden/train-128

OMP_WAIT_POLICY defaults to PASSIVE here (set it in the environment to override); see the comment at the imports.

The timing line:
  pytorch train: res 64 cbase 1024 cmax 128 batch 16: X.XX img/s (Y ms/step median, R1 steps included)
Y is the median over the timed 16-step windows (each holds one R1 step and four Greg steps) of the
window's time / 16, so it includes R1's share; X = batch / Y.
"""
import argparse
import copy
import io
import json
import math
import os
import pickle
import statistics
import sys
import time
from contextlib import contextmanager

# libgomp reads this when torch loads it. Its default (spin, then sleep) makes 2-thread PyTorch many times slower
# on a machine shared with other work (measured here: 1.1 instead of 10.7 img/s at 64 px); OMP_WAIT_POLICY=ACTIVE
# in the environment restores the default.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from drag_bench import blas_in_use, set_threads
from stylegan2_ref import FIR, upfirdn2d

SQRT2 = math.sqrt(2.0)
SQRT_HALF = math.sqrt(0.5)
FIR_TAPS = 4                                     # the [1, 3, 3, 1] filter's width and height
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, '..', '..', '..', 'shared')   # the repository's ../shared


# ----------------------------------------------------------------------------------------- ops

def bias_act(x, b=None, act='linear', gain=None, clamp=None):
    """NVlabs bias_act (reference path): x + b (broadcast over dim 1), act = 'lrelu' (slope 0.2)
    or 'linear', times gain (default: sqrt(2) for lrelu, 1 for linear), clamp to +-clamp.
    x: [N, C, ...], b: [C]"""
    if b is not None:
        x = x + b.reshape([1, -1] + [1] * (x.ndim - 2))
    if act == 'lrelu':
        x = F.leaky_relu(x, 0.2)
    elif act != 'linear':
        raise ValueError(f'bias_act: act must be lrelu or linear but is {act!r}')
    if gain is None:
        gain = SQRT2 if act == 'lrelu' else 1.0
    if gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


def _conv(x, w, stride=1, padding=0, groups=1, transpose=False, flip_weight=True):
    """NVlabs _conv2d_wrapper: flip_weight=False means true convolution (kernel flipped)."""
    if not flip_weight and (w.shape[2] > 1 or w.shape[3] > 1):
        w = w.flip([2, 3])
    op = F.conv_transpose2d if transpose else F.conv2d
    return op(x, w, stride=stride, padding=padding, groups=groups)


def conv2d_resample(x, w, up=1, down=1, padding=0, groups=1, flip_weight=True):
    """NVlabs conv2d_resample with the [1,3,3,1] filter, choosing the same path the reference does.
    x: [N, groups*I, H, W], w: [groups*O, I, kh, kw] -> [N, groups*O, H*up/down, W*up/down]
    ('same' padding = k // 2 with respect to the up-sampled image)."""
    O, I, kh, kw = w.shape
    p0 = p1 = padding                                        # x and y paddings are equal here
    if up > 1:
        p0 += (FIR_TAPS + up - 1) // 2
        p1 += (FIR_TAPS - up) // 2
    if down > 1:
        p0 += (FIR_TAPS - down + 1) // 2
        p1 += (FIR_TAPS - down) // 2
    if kh == 1 and kw == 1 and down > 1 and up == 1:         # 1x1 down: filter + down-sample, then conv
        x = upfirdn2d(x, FIR, down=down, pad=(p0, p1, p0, p1))
        return _conv(x, w, groups=groups, flip_weight=flip_weight)
    if kh == 1 and kw == 1 and up > 1 and down == 1:         # 1x1 up: conv, then up-sample
        x = _conv(x, w, groups=groups, flip_weight=flip_weight)
        return upfirdn2d(x, FIR, up=up, pad=(p0, p1, p0, p1), gain=up ** 2)
    if down > 1 and up == 1:                                 # down: filter, then strided conv
        x = upfirdn2d(x, FIR, pad=(p0, p1, p0, p1))
        return _conv(x, w, stride=down, groups=groups, flip_weight=flip_weight)
    if up > 1 and down == 1:                                 # up: transposed strided conv, then filter
        if groups == 1:
            w = w.transpose(0, 1)
        else:
            w = w.reshape(groups, O // groups, I, kh, kw).transpose(1, 2).reshape(groups * I, O // groups, kh, kw)
        p0 -= kw - 1
        p1 -= kw - up
        pt = max(min(-p0, -p1), 0)
        x = _conv(x, w, stride=up, padding=pt, groups=groups, transpose=True, flip_weight=not flip_weight)
        return upfirdn2d(x, FIR, pad=(p0 + pt, p1 + pt, p0 + pt, p1 + pt), gain=up ** 2)
    if up == 1 and down == 1 and p0 == p1 and p0 >= 0:
        return _conv(x, w, padding=p0, groups=groups, flip_weight=flip_weight)
    raise ValueError(f'conv2d_resample: up {up} down {down} padding {padding} is not a path this benchmark needs')


def modulated_conv2d(x, weight, styles, noise=None, up=1, padding=0, demodulate=True, flip_weight=True,
                     fused_modconv=True):
    """NVlabs modulated_conv2d.   x: [N, I, H, W], weight: [O, I, k, k], styles: [N, I],
    noise: broadcastable to the output [N, O, H*up, W*up] or None.
    fused: per-sample weights w * s (* d) as one grouped conv (eval mode);
    not fused (training): conv(x * s, w) * d + noise, d = rsqrt(sum_Ikk (w * s)^2 + 1e-8)."""
    N = x.shape[0]
    O, I, kh, kw = weight.shape
    w = dcoefs = None
    if demodulate or fused_modconv:
        w = weight.unsqueeze(0) * styles.reshape(N, 1, -1, 1, 1)              # [N, O, I, k, k]
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()              # [N, O]
    if demodulate and fused_modconv:
        w = w * dcoefs.reshape(N, -1, 1, 1, 1)
    if not fused_modconv:
        x = x * styles.reshape(N, -1, 1, 1)
        x = conv2d_resample(x, weight, up=up, padding=padding, flip_weight=flip_weight)
        if demodulate and noise is not None:
            return torch.addcmul(noise, x, dcoefs.reshape(N, -1, 1, 1))        # fma(x, d, noise)
        if demodulate:
            return x * dcoefs.reshape(N, -1, 1, 1)
        if noise is not None:
            return x.add_(noise)
        return x
    x = x.reshape(1, -1, *x.shape[2:])
    x = conv2d_resample(x, w.reshape(-1, I, kh, kw), up=up, padding=padding, groups=N, flip_weight=flip_weight)
    x = x.reshape(N, -1, *x.shape[2:])
    return x.add_(noise) if noise is not None else x


def normalize_2nd_moment(x, eps=1e-8):
    """x / sqrt(mean(x^2 over dim 1) + eps).   x: [N, C]"""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


# ------------------------------------------------------------------------------------- layers

class FullyConnectedLayer(nn.Module):
    """y = act(x W^T * lr_mul/sqrt(in) + b * lr_mul).   x: [N, in] -> [N, out]; weight: [out, in]"""

    def __init__(self, in_features, out_features, bias=True, activation='linear', lr_multiplier=1.0, bias_init=0.0):
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn([out_features, in_features]) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x):
        w = self.weight * self.weight_gain
        b = self.bias
        if b is not None and self.bias_gain != 1:
            b = b * self.bias_gain
        if self.activation == 'linear' and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)


class Conv2dLayer(nn.Module):
    """D's conv: y = bias_act(conv2d_resample(x, W / sqrt(I k k)), b, act, gain = act gain * gain,
    clamp = conv_clamp * gain).   x: [N, I, H, W] -> [N, O, H/down, W/down]"""

    def __init__(self, in_channels, out_channels, kernel_size, bias=True, activation='linear', down=1, conv_clamp=None):
        super().__init__()
        self.activation, self.down, self.conv_clamp = activation, down, conv_clamp
        self.padding = kernel_size // 2
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.act_gain = SQRT2 if activation == 'lrelu' else 1.0
        self.weight = nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.bias = nn.Parameter(torch.zeros([out_channels])) if bias else None

    def forward(self, x, gain=1):
        x = conv2d_resample(x, self.weight * self.weight_gain, down=self.down, padding=self.padding, flip_weight=True)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act=self.activation, gain=self.act_gain * gain, clamp=clamp)


class MappingNetwork(nn.Module):
    """z: [N, z_dim] -> ws: [N, num_ws, w_dim]; normalize_2nd_moment, num_layers lrelu FCs with lr
    multiplier 0.01; in training mode w_avg <- lerp(mean_N(w), w_avg, 0.995) on every call."""

    def __init__(self, z_dim, w_dim, num_ws, num_layers, lr_multiplier=0.01, w_avg_beta=0.995):
        super().__init__()
        self.num_ws, self.num_layers, self.w_avg_beta = num_ws, num_layers, w_avg_beta
        features = [z_dim] + [w_dim] * num_layers
        for i in range(num_layers):
            setattr(self, f'fc{i}', FullyConnectedLayer(features[i], features[i + 1], activation='lrelu',
                                                        lr_multiplier=lr_multiplier))
        self.register_buffer('w_avg', torch.zeros([w_dim]))

    def forward(self, z, skip_w_avg_update=False):
        x = normalize_2nd_moment(z)
        for i in range(self.num_layers):
            x = getattr(self, f'fc{i}')(x)
        if self.training and not skip_w_avg_update:
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        return x.unsqueeze(1).repeat([1, self.num_ws, 1])


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv (+ up 2), noise (random: [N, 1, r, r] per call; const: noise_const) times
    noise_strength, bias, lrelu * sqrt 2 * gain, clamp.   x: [N, I, r/up, r/up], w: [N, w_dim] -> [N, O, r, r]"""

    def __init__(self, in_channels, out_channels, w_dim, resolution, up=1, conv_clamp=None, kernel_size=3):
        super().__init__()
        self.resolution, self.up, self.conv_clamp = resolution, up, conv_clamp
        self.padding = kernel_size // 2
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.register_buffer('noise_const', torch.randn([resolution, resolution]))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))

    def forward(self, x, w, noise_mode='random', fused_modconv=True, gain=1):
        styles = self.affine(w)
        if noise_mode == 'random':
            noise = torch.randn([x.shape[0], 1, self.resolution, self.resolution]) * self.noise_strength
        elif noise_mode == 'const':
            noise = self.noise_const * self.noise_strength
        else:
            noise = None
        x = modulated_conv2d(x, self.weight, styles, noise=noise, up=self.up, padding=self.padding,
                             flip_weight=(self.up == 1), fused_modconv=fused_modconv)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act='lrelu', gain=SQRT2 * gain, clamp=clamp)


class ToRGBLayer(nn.Module):
    """1x1 modulated conv without demodulation, styles / sqrt(I); + bias, clamp. -> [N, 3, r, r]"""

    def __init__(self, in_channels, out_channels, w_dim, conv_clamp=None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn([out_channels, in_channels, 1, 1]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x, w, fused_modconv=True):
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, fused_modconv=fused_modconv)
        return bias_act(x, self.bias, clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
    """Skip-architecture block b{r}: (const | conv0 up 2), conv1, torgb; img = upsample2d(img) + torgb(x)."""

    def __init__(self, in_channels, out_channels, w_dim, resolution, conv_clamp=None):
        super().__init__()
        self.in_channels = in_channels
        self.num_conv = 1 if in_channels == 0 else 2
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn([out_channels, resolution, resolution]))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2, conv_clamp=conv_clamp)
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution, conv_clamp=conv_clamp)
        self.torgb = ToRGBLayer(out_channels, 3, w_dim, conv_clamp=conv_clamp)

    def forward(self, x, img, ws, noise_mode, fused_modconv):
        w_iter = iter(ws.unbind(dim=1))
        if self.in_channels == 0:
            x = self.const.unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
            x = self.conv1(x, next(w_iter), noise_mode, fused_modconv)
        else:
            x = self.conv0(x, next(w_iter), noise_mode, fused_modconv)
            x = self.conv1(x, next(w_iter), noise_mode, fused_modconv)
        if img is not None:
            img = upfirdn2d(img, FIR, up=2, pad=(2, 1, 2, 1), gain=4)        # NVlabs upsample2d
        y = self.torgb(x, next(w_iter), fused_modconv)
        img = img.add_(y) if img is not None else y
        return x, img


class SynthesisNetwork(nn.Module):
    def __init__(self, w_dim, res, cbase, cmax, conv_clamp=None):
        super().__init__()
        self.block_resolutions = [2 ** i for i in range(2, int(math.log2(res)) + 1)]
        ch = {r: min(cbase // r, cmax) for r in self.block_resolutions}
        self.num_ws = 0
        for r in self.block_resolutions:
            block = SynthesisBlock(ch[r // 2] if r > 4 else 0, ch[r], w_dim, r, conv_clamp=conv_clamp)
            self.num_ws += block.num_conv
            setattr(self, f'b{r}', block)
        self.num_ws += 1                                                    # the last block's torgb
        self.fused_modconv = None       # None: as the reference, fused = not training (force for checks)

    def forward(self, ws, noise_mode='random'):
        """ws: [N, num_ws, w_dim] -> img [N, 3, res, res]; b{r} reads ws[:, i .. i + num_conv], i += num_conv."""
        fused = (not self.training) if self.fused_modconv is None else self.fused_modconv
        x = img = None
        i = 0
        for r in self.block_resolutions:
            block = getattr(self, f'b{r}')
            x, img = block(x, img, ws.narrow(1, i, block.num_conv + 1), noise_mode, fused)
            i += block.num_conv
        return img


class Generator(nn.Module):
    """NVlabs Generator (c_dim 0, skip architecture): synthesis is built before mapping, as in NVlabs."""

    def __init__(self, z_dim=512, w_dim=512, res=64, cbase=32768, cmax=512, map_layers=8, conv_clamp=None):
        super().__init__()
        self.z_dim, self.w_dim, self.res = z_dim, w_dim, res
        self.synthesis = SynthesisNetwork(w_dim, res, cbase, cmax, conv_clamp=conv_clamp)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, w_dim, self.num_ws, map_layers)


class DiscriminatorBlock(nn.Module):
    """Resnet block b{r}: (fromrgb 1x1 lrelu at the top), skip = 1x1 down 2 no bias (gain sqrt .5),
    conv0 3x3, conv1 3x3 down 2 (gain sqrt .5); x = skip + conv1.   [N, tmp, r, r] -> [N, out, r/2, r/2]"""

    def __init__(self, in_channels, tmp_channels, out_channels, conv_clamp=None):
        super().__init__()
        self.in_channels = in_channels
        if in_channels == 0:
            self.fromrgb = Conv2dLayer(3, tmp_channels, 1, activation='lrelu', conv_clamp=conv_clamp)
        self.conv0 = Conv2dLayer(tmp_channels, tmp_channels, 3, activation='lrelu', conv_clamp=conv_clamp)
        self.conv1 = Conv2dLayer(tmp_channels, out_channels, 3, activation='lrelu', down=2, conv_clamp=conv_clamp)
        self.skip = Conv2dLayer(tmp_channels, out_channels, 1, bias=False, down=2)

    def forward(self, x, img):
        if self.in_channels == 0:
            y = self.fromrgb(img)
            x = x + y if x is not None else y
        y = self.skip(x, gain=SQRT_HALF)
        x = self.conv0(x)
        x = self.conv1(x, gain=SQRT_HALF)
        return y.add_(x)


class MinibatchStdLayer(nn.Module):
    def __init__(self, group_size, num_channels=1):
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x):
        """x: [N, C, H, W] -> [N, C + 1, H, W]: the stddev over groups of min(group, N) samples,
        averaged over channels and pixels, as an extra channel."""
        N, C, H, W = x.shape
        G = min(self.group_size, N) if self.group_size is not None else N
        Fc = self.num_channels
        y = x.reshape(G, -1, Fc, C // Fc, H, W)
        y = y - y.mean(dim=0)
        y = y.square().mean(dim=0)
        y = (y + 1e-8).sqrt()
        y = y.mean(dim=[2, 3, 4])
        y = y.reshape(-1, Fc, 1, 1).repeat(G, 1, H, W)
        return torch.cat([x, y], dim=1)


class DiscriminatorEpilogue(nn.Module):
    def __init__(self, in_channels, mbstd_group_size=4, conv_clamp=None):
        super().__init__()
        self.mbstd = MinibatchStdLayer(mbstd_group_size, 1)
        self.conv = Conv2dLayer(in_channels + 1, in_channels, 3, activation='lrelu', conv_clamp=conv_clamp)
        self.fc = FullyConnectedLayer(in_channels * 16, in_channels, activation='lrelu')
        self.out = FullyConnectedLayer(in_channels, 1)

    def forward(self, x):
        x = self.conv(self.mbstd(x))
        return self.out(self.fc(x.flatten(1)))


class Discriminator(nn.Module):
    """NVlabs resnet Discriminator, c_dim 0.   img: [N, 3, res, res] -> logits [N, 1]"""

    def __init__(self, res=64, cbase=32768, cmax=512, mbstd_group_size=4, conv_clamp=None):
        super().__init__()
        self.block_resolutions = [2 ** i for i in range(int(math.log2(res)), 2, -1)]
        ch = {r: min(cbase // r, cmax) for r in self.block_resolutions + [4]}
        for r in self.block_resolutions:
            setattr(self, f'b{r}', DiscriminatorBlock(ch[r] if r < res else 0, ch[r], ch[r // 2], conv_clamp=conv_clamp))
        self.b4 = DiscriminatorEpilogue(ch[4], mbstd_group_size, conv_clamp=conv_clamp)

    def forward(self, img):
        x = None
        for r in self.block_resolutions:
            x = getattr(self, f'b{r}')(x, img)
        return self.b4(x)


# --------------------------------------------------------------------------------------- loss

class Timer:
    """Wall-clock sections, summed per name (CPU ops are synchronous, so this is where time goes)."""

    def __init__(self):
        self.ms = {}

    @contextmanager
    def __call__(self, name):
        t = time.perf_counter()
        yield
        self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - t) * 1e3


class StyleGAN2Loss:
    """NVlabs training/loss.py StyleGAN2Loss without augmentation and labels."""

    def __init__(self, G, D, r1_gamma, style_mixing_prob=0.0, pl_weight=0.0, pl_batch_shrink=2, pl_decay=0.01,
                 noise_mode='random', timer=None):
        self.G, self.D = G, D
        self.r1_gamma, self.style_mixing_prob = r1_gamma, style_mixing_prob
        self.pl_weight, self.pl_batch_shrink, self.pl_decay = pl_weight, pl_batch_shrink, pl_decay
        self.pl_mean = torch.zeros([])
        self.noise_mode = noise_mode
        self.t = timer or Timer()

    def run_G(self, z):
        ws = self.G.mapping(z)
        if self.style_mixing_prob > 0:
            cutoff = torch.empty([], dtype=torch.int64).random_(1, ws.shape[1])
            cutoff = torch.where(torch.rand([]) < self.style_mixing_prob, cutoff, torch.full_like(cutoff, ws.shape[1]))
            ws[:, cutoff:] = self.G.mapping(torch.randn_like(z), skip_w_avg_update=True)[:, cutoff:]
        return self.G.synthesis(ws, noise_mode=self.noise_mode), ws

    def accumulate_gradients(self, phase, real_img, gen_z, gain):
        """Adds gain * d(phase loss)/d(parameters) to .grad of the parameters that require grad.
        real_img: [N, 3, res, res], gen_z: [N, z_dim]. Returns the phase's intermediates (for --check)."""
        t, out = self.t, {}
        if phase == 'Gmain':
            with t('Gmain: G forward'):
                gen_img, gen_ws = self.run_G(gen_z)
            with t('Gmain: D forward'):
                gen_logits = self.D(gen_img)
                loss = F.softplus(-gen_logits)
            with t('Gmain: backward (D input grads, G)'):
                loss.mean().mul(gain).backward()
            out.update(ws=gen_ws, img=gen_img, logits=gen_logits, loss=loss.mean())
        if phase == 'Greg' and self.pl_weight != 0:
            with t('Greg: G forward'):
                n = gen_z.shape[0] // self.pl_batch_shrink
                gen_img, gen_ws = self.run_G(gen_z[:n])
                pl_noise = torch.randn_like(gen_img) / math.sqrt(gen_img.shape[2] * gen_img.shape[3])
            with t('Greg: path-length grads (create_graph)'):
                pl_grads = torch.autograd.grad(outputs=[(gen_img * pl_noise).sum()], inputs=[gen_ws],
                                               create_graph=True, only_inputs=True)[0]
                pl_lengths = pl_grads.square().sum(2).mean(1).sqrt()
                pl_mean = self.pl_mean.lerp(pl_lengths.mean(), self.pl_decay)
                self.pl_mean.copy_(pl_mean.detach())
                loss_pl = (pl_lengths - pl_mean).square() * self.pl_weight
            with t('Greg: backward'):
                (gen_img[:, 0, 0, 0] * 0 + loss_pl).mean().mul(gain).backward()
        loss_Dgen = 0
        if phase == 'Dmain':
            with t('Dmain: G forward (no graph)'):
                gen_img, _ = self.run_G(gen_z)
            with t('Dmain: D forward fake'):
                gen_logits = self.D(gen_img)
                loss_Dgen = F.softplus(gen_logits)
            with t('Dmain: D backward fake'):
                loss_Dgen.mean().mul(gain).backward()
            out.update(fake_logits=gen_logits)
        if phase in ('Dmain', 'Dreg'):
            do_r1 = phase == 'Dreg' and self.r1_gamma != 0
            name = 'Dmain: D ' if phase == 'Dmain' else 'Dreg: D '
            with t(name + 'forward real'):
                real_tmp = real_img.detach().requires_grad_(do_r1)
                real_logits = self.D(real_tmp)
                loss_Dreal = F.softplus(-real_logits) if phase == 'Dmain' else 0
            loss_r1 = 0
            if do_r1:
                with t('Dreg: R1 input grads (create_graph)'):
                    r1_grads = torch.autograd.grad(outputs=[real_logits.sum()], inputs=[real_tmp],
                                                   create_graph=True, only_inputs=True)[0]
                    r1_penalty = r1_grads.square().sum([1, 2, 3])
                    loss_r1 = r1_penalty * (self.r1_gamma / 2)
                out.update(real_grad=r1_grads, r1=r1_penalty, reg_loss=loss_r1.mean())
            with t(name + ('backward real' if phase == 'Dmain' else 'backward (double backward)')):
                (real_logits * 0 + loss_Dreal + loss_r1).mean().mul(gain).backward()
            out.update(real_logits=real_logits)
            if phase == 'Dmain':
                out.update(loss=loss_Dgen.mean() + loss_Dreal.mean())
        return out


# ------------------------------------------------------------------------------------ trainer

class Phase:
    def __init__(self, name, module, opt, interval):
        self.name, self.module, self.opt, self.interval = name, module, opt, interval


class Trainer:
    """The inner loop of NVlabs training_loop.py for one process, batch_gpu = batch."""

    def __init__(self, G, D, batch, lr=0.0025, G_reg_interval=4, D_reg_interval=16, ema_kimg=None, ema_rampup=0.05,
                 timer=None, **loss_kwargs):
        self.G, self.D, self.batch = G, D, batch
        self.t = timer or Timer()
        self.G_ema = copy.deepcopy(G).eval()
        for m in (G, D, self.G_ema):
            m.requires_grad_(False)
        self.loss = StyleGAN2Loss(G, D, timer=self.t, **loss_kwargs)
        self.phases = []
        for name, module, k in (('G', G, G_reg_interval), ('D', D, D_reg_interval)):
            mb_ratio = k / (k + 1)                                              # lazy regularisation
            opt = torch.optim.Adam(module.parameters(), lr=lr * mb_ratio,
                                   betas=[b ** mb_ratio for b in (0.0, 0.99)], eps=1e-8)
            self.phases += [Phase(name + 'main', module, opt, 1), Phase(name + 'reg', module, opt, k)]
        self.ema_kimg = batch * 10 / 32 if ema_kimg is None else ema_kimg
        self.ema_rampup = ema_rampup
        self.cur_nimg = 0
        self.batch_idx = 0

    def step(self, real_img):
        """One batch index: the phases due now, then G_ema. real_img: [batch, 3, res, res] in [-1, 1]."""
        with self.t('data (latents)'):
            all_gen_z = torch.randn([len(self.phases) * self.batch, self.G.z_dim]).split(self.batch)
        for phase, gen_z in zip(self.phases, all_gen_z):
            if self.batch_idx % phase.interval != 0:
                continue
            phase.opt.zero_grad(set_to_none=True)
            phase.module.requires_grad_(True)
            self.loss.accumulate_gradients(phase.name, real_img, gen_z, gain=phase.interval)
            phase.module.requires_grad_(False)
            with self.t(f'{phase.name[0]} Adam (nan_to_num + step)'):
                for p in phase.module.parameters():
                    if p.grad is not None:
                        torch.nan_to_num(p.grad, nan=0, posinf=1e5, neginf=-1e5, out=p.grad)
                phase.opt.step()
        with self.t('G_ema update'):
            ema_nimg = self.ema_kimg * 1000
            if self.ema_rampup is not None:
                ema_nimg = min(ema_nimg, self.cur_nimg * self.ema_rampup)
            ema_beta = 0.5 ** (self.batch / max(ema_nimg, 1e-8))
            for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
                p_ema.copy_(p.lerp(p_ema, ema_beta))
            for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
                b_ema.copy_(b)
        self.cur_nimg += self.batch
        self.batch_idx += 1


# -------------------------------------------------------------------------------------- bench

def count(m):
    return sum(p.numel() for p in m.parameters())


def bench(args):
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    clamp = None if args.conv_clamp < 0 else args.conv_clamp
    G = Generator(512, 512, args.res, args.cbase, args.cmax, args.map, conv_clamp=clamp).train()
    D = Discriminator(args.res, args.cbase, args.cmax, mbstd_group_size=4, conv_clamp=clamp).train()
    gamma = 0.0002 * args.res ** 2 / args.batch if args.gamma is None else args.gamma
    timer = Timer()
    tr = Trainer(G, D, args.batch, timer=timer, r1_gamma=gamma, style_mixing_prob=args.mixing, pl_weight=args.pl_weight)
    print(f'torch {torch.__version__}, threads {torch.get_num_threads()}, mkldnn {torch.backends.mkldnn.is_available()}, '
          f'BLAS {blas_in_use()}, OMP_WAIT_POLICY {os.environ["OMP_WAIT_POLICY"]}; '
          f'load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores')
    print(f'config: res {args.res}, channels G {[getattr(G.synthesis, f"b{r}").conv1.weight.shape[0] for r in G.synthesis.block_resolutions]}, '
          f'{args.map} mapping layers, G {count(G) / 1e6:.2f} M / D {count(D) / 1e6:.2f} M parameters, batch {args.batch}, '
          f'conv_clamp {clamp}, R1 gamma {gamma:g} every 16, pl weight {args.pl_weight:g} (every 4), '
          f'style mixing {args.mixing:g}, float32, fused_modconv False (training mode), random noise')
    gen = torch.Generator().manual_seed(args.seed + 1)
    times = []
    total = args.warmup + args.steps
    for i in range(total):
        if i == args.warmup:
            timer.ms.clear()
        t0 = time.perf_counter()
        real = torch.rand([args.batch, 3, args.res, args.res], generator=gen) * 2 - 1
        tr.step(real)
        ms = (time.perf_counter() - t0) * 1e3
        if i >= args.warmup:
            times.append(ms)
        if args.verbose:
            due = [p.name for p in tr.phases if (tr.batch_idx - 1) % p.interval == 0]
            print(f'step {i:3d} {"(warm-up) " if i < args.warmup else ""}{"+".join(due):24s} {ms:9.1f} ms', flush=True)
    period = 16
    windows = [sum(times[k:k + period]) / period for k in range(0, len(times) - period + 1, period)]
    if not windows:
        sys.exit(f'--steps must be at least {period} (one R1 period) but is {args.steps}')
    ms_step = statistics.median(windows)
    r1_ms = [ms for k, ms in enumerate(times) if (args.warmup + k) % period == 0]
    plain = [ms for k, ms in enumerate(times) if (args.warmup + k) % 4 != 0]
    print(f'timed {len(times)} steps ({len(windows)} windows of {period}): window means {" ".join(f"{w:.1f}" for w in windows)} ms/step; '
          f'R1 steps {" ".join(f"{m:.0f}" for m in r1_ms)} ms; steps with neither reg phase: median {statistics.median(plain):.1f} ms')
    if args.profile:
        tot = sum(timer.ms.values())
        print(f'where the time goes (ms per step, averaged over the {len(times)} timed steps):')
        for name, v in sorted(timer.ms.items(), key=lambda kv: -kv[1]):
            print(f'  {name:44s} {v / len(times):9.1f}  {100 * v / tot:5.1f} %')
        print(f'  {"(sum of sections)":44s} {tot / len(times):9.1f}; wall {sum(times) / len(times):.1f}')
    print(f'pytorch train: res {args.res} cbase {args.cbase} cmax {args.cmax} batch {args.batch}: '
          f'{args.batch / ms_step * 1e3:.2f} img/s ({ms_step:.1f} ms/step median, R1 steps included)', flush=True)


# -------------------------------------------------------------------------------------- check

class _PersistentStub:
    """Stands in for torch_utils.persistence._reconstruct_persistent_obj: keeps the pickled meta
    (class_name, module_src, state) without running the NVlabs source it carries."""

    def __init__(self, meta):
        if not isinstance(meta, dict) or 'state' not in meta:
            raise pickle.UnpicklingError('persistent object without a state dict')
        self.class_name, self.state = meta.get('class_name'), meta['state']


class _NetworkUnpickler(pickle.Unpickler):
    """Reads an NVlabs network pickle with an allow-list: tensors, OrderedDict, numpy scalars, and
    the persistence hook mapped to _PersistentStub. Anything else is refused."""
    ALLOWED = {('collections', 'OrderedDict'), ('torch._utils', '_rebuild_parameter'),
               ('torch._utils', '_rebuild_tensor_v2'), ('numpy.core.multiarray', 'scalar'), ('numpy', 'dtype')}

    def find_class(self, module, name):
        if (module, name) == ('torch_utils.persistence', '_reconstruct_persistent_obj'):
            return _PersistentStub
        if (module, name) == ('torch.storage', '_load_from_bytes'):
            return lambda b: torch.load(io.BytesIO(b), weights_only=True)
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f'refusing {module}.{name}')


def _tensors(obj, prefix=''):
    """name -> tensor for every parameter and buffer below a stub, with NVlabs module paths."""
    out = {}
    for key in ('_parameters', '_buffers'):
        for k, v in obj.state.get(key, {}).items():
            if v is not None:
                out[prefix + k] = v.detach().float()
    for k, m in obj.state.get('_modules', {}).items():
        if m is not None:
            out.update(_tensors(m, prefix + k + '.'))
    return out


def _attr(obj, path, name):
    for k in path.split('.') if path else []:
        obj = obj.state['_modules'][k]
    return obj.state.get(name)


def _load(module, tensors, what):
    """Copies the pickle's tensors into module (every parameter and buffer must be present;
    the pickle's resample_filter buffers are checked against [1,3,3,1] and then dropped)."""
    for k in [k for k in tensors if k.endswith('resample_filter')]:
        if not torch.allclose(tensors.pop(k), FIR):
            raise ValueError(f'{what}.{k}: not the [1,3,3,1] filter')
    mine = module.state_dict()
    missing, extra = sorted(set(mine) - set(tensors)), sorted(set(tensors) - set(mine))
    if missing or extra:
        raise ValueError(f'{what}: names differ; missing {missing[:5]}, extra {extra[:5]}')
    for k, v in mine.items():
        if v.shape != tensors[k].shape:
            raise ValueError(f'{what}.{k}: shape {tuple(tensors[k].shape)}, expected {tuple(v.shape)}')
    module.load_state_dict(tensors)


def load_pickle(path):
    """G and D of an NVlabs network pickle (c_dim 0, skip G, resnet D) as this file's modules."""
    with open(path, 'rb') as f:
        data = _NetworkUnpickler(f).load()
    g, d = data['G'], data['D']
    gk, dk = g.state['_init_kwargs'], d.state['_init_kwargs']
    if gk.get('c_dim', 0) or dk.get('c_dim', 0):
        raise ValueError(f'{path}: conditional networks are not supported')
    res = gk['img_resolution']
    sk = {**gk.get('synthesis_kwargs', {}), **{k: gk[k] for k in ('channel_base', 'channel_max', 'conv_clamp') if k in gk}}
    mk = gk.get('mapping_kwargs', {})
    G = Generator(gk['z_dim'], gk['w_dim'], res, sk.get('channel_base', 32768), sk.get('channel_max', 512),
                  mk.get('num_layers', 8), conv_clamp=sk.get('conv_clamp'))
    _load(G, _tensors(g), 'G')
    D = Discriminator(dk['img_resolution'], dk.get('channel_base', 32768), dk.get('channel_max', 512),
                      mbstd_group_size=_attr(d, 'b4.mbstd', 'group_size'), conv_clamp=_attr(d, 'b4.conv', 'conv_clamp'))
    if _attr(d, f'b{res}', 'architecture') != 'resnet':
        raise ValueError(f'{path}: D is not a resnet discriminator')
    _load(D, _tensors(d), 'D')
    return G, D


def check(golden, tol, dtype=torch.float32):
    """Runs Gmain, Dmain, Dreg on golden/train-128's inputs with compact-128/model.pkl's G and D,
    both through the fused (eval, what the golden data used) and the unfused (training, what the
    benchmark times) modulated conv, and compares every output and gradient. dtype float64 evaluates
    the same formulas in double precision (to see how much of a difference is the golden's float32 rounding)."""
    train_dir, model = os.path.join(golden, 'train-128'), os.path.join(golden, 'compact-128', 'model.pkl')
    gold = lambda n: torch.from_numpy(np.load(os.path.join(train_dir, n + '.npy'))).to(dtype)
    man = json.load(open(os.path.join(train_dir, 'manifest.json')))
    z, real = gold('z'), gold('real')
    worst_all = 0.0
    for fused in (True, False):
        G, D = load_pickle(model)
        G, D = G.to(dtype), D.to(dtype)
        G.train(not fused)
        G.synthesis.fused_modconv = fused
        D.train()
        for m in (G, D):
            m.requires_grad_(False)
        loss = StyleGAN2Loss(G, D, r1_gamma=man['r1_gamma'], noise_mode=man.get('noise_mode', 'const'))
        print(f'--- {dtype}, {"fused modconv (eval mode, as the golden data)" if fused else "unfused modconv (training mode, as timed)"}')
        worst = 0.0

        def cmp(name, mine, ref):
            nonlocal worst
            mine = mine.detach().reshape(ref.shape)
            scale = max(ref.abs().max().item(), 1e-30)
            d = (mine - ref).abs().max().item()
            rel = d / scale if ref.abs().max().item() > 0 else d
            worst = max(worst, rel)
            flag = '' if rel <= tol else '   <-- over tolerance'
            if flag or args_verbose:
                print(f'  {name:50s} max|diff| {d:.2e}  max|golden| {scale:.2e}  rel {rel:.2e}{flag}')
            return rel

        for phase, net, prefix in (('Gmain', G, 'gmain'), ('Dmain', D, 'dmain'), ('Dreg', D, 'dreg')):
            for p in list(G.parameters()) + list(D.parameters()):
                p.grad = None
            net.requires_grad_(True)
            out = loss.accumulate_gradients(phase, real, z, gain=1)
            net.requires_grad_(False)
            rels = []
            if phase == 'Gmain':
                for k in ('ws', 'img', 'logits', 'loss'):
                    rels.append(cmp(f'{prefix}_{k}', out[k], gold(f'{prefix}_{k}')))
            elif phase == 'Dmain':
                for k, mk in (('fake_logits', 'fake_logits'), ('real_logits', 'real_logits'), ('loss', 'loss')):
                    rels.append(cmp(f'{prefix}_{k}', out[mk], gold(f'{prefix}_{k}')))
            else:
                for k, mk in (('real_grad', 'real_grad'), ('r1', 'r1'), ('loss', 'reg_loss')):
                    rels.append(cmp(f'{prefix}_{k}', out[mk], gold(f'{prefix}_{k}')))
            # the three output-side biases of Dreg have zero gradient: compare those against the phase's largest gradient
            grads = {n: p.grad for n, p in net.named_parameters()}
            tag = 'G' if net is G else 'D'
            big = max(gold(f'{prefix}_grad_{tag}.{n}').abs().max().item() for n in grads)
            n_grad = 0
            for n, g in grads.items():
                ref = gold(f'{prefix}_grad_{tag}.{n}')
                if g is None:
                    g = torch.zeros_like(ref)
                if ref.abs().max().item() == 0:
                    d = g.abs().max().item() / big
                    worst = max(worst, d)
                    rels.append(d)
                    if d > tol or args_verbose:
                        print(f'  {prefix}_grad_{tag}.{n:40s} golden all 0; max|mine| / largest golden grad {d:.2e}')
                else:
                    rels.append(cmp(f'{prefix}_grad_{tag}.{n}', g, ref))
                n_grad += 1
            missing = [k for k in man['files'] if k.startswith(f'{prefix}_grad_{tag}.') and k[len(f'{prefix}_grad_{tag}.'):] not in grads]
            if missing:
                print(f'  golden gradients with no parameter here: {missing}')
                worst = float('inf')
            print(f'  {phase}: {len(rels) - n_grad} outputs + {n_grad} parameter gradients, worst relative diff {max(rels):.2e}')
        print(f'  worst {worst:.2e}')
        worst_all = max(worst_all, worst)
    ok = worst_all <= tol
    print(f'worst relative max|diff| (max|diff| / max|golden| per tensor) = {worst_all:.2e} -> {"PASS" if ok else "FAIL"} '
          f'(tolerance {tol:g})')
    return ok


args_verbose = False


def main():
    global args_verbose
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--res', type=int, default=64, help='image size (a power of two >= 8)')
    ap.add_argument('--cbase', type=int, default=1024, help='channel base: channels min(cbase / r, cmax)')
    ap.add_argument('--cmax', type=int, default=128, help='channel max')
    ap.add_argument('--map', type=int, default=2, help='mapping layers (NVlabs auto config: 2)')
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--steps', type=int, default=32, help='timed steps; a multiple of 16 (one R1 step per 16)')
    ap.add_argument('--warmup', type=int, default=4, help='untimed steps first (batch index 0, an R1 step, is one)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0, help='seeds the weights, latents, noise and data')
    ap.add_argument('--pl-weight', type=float, default=0.0, help='path-length weight (reference default 2; 0 here)')
    ap.add_argument('--mixing', type=float, default=0.0, help='style-mixing probability (reference 0.9; 0 here)')
    ap.add_argument('--gamma', type=float, help='R1 gamma (default 0.0002 res^2 / batch, NVlabs auto)')
    ap.add_argument('--conv-clamp', type=float, default=256, help='conv_clamp of G and D (NVlabs train.py 256; <0: none)')
    ap.add_argument('--profile', action='store_true', help='print where the time goes, per phase section')
    ap.add_argument('--verbose', action='store_true', help='one line per step (and every compared tensor in --check)')
    ap.add_argument('--check', nargs='?', const=os.path.join(SHARED, 'golden'), metavar='GOLDEN_DIR',
                    help='compare with GOLDEN_DIR/train-128 using GOLDEN_DIR/compact-128/model.pkl '
                         '(default ../../../shared/golden)')
    ap.add_argument('--tol', type=float, default=2e-3, help='--check: max |diff| / max |golden| per tensor')
    ap.add_argument('--float64', action='store_true', help='--check in double precision')
    args = ap.parse_args()
    args_verbose = args.verbose
    if args.check:
        set_threads(args.threads)
        sys.exit(0 if check(args.check, args.tol, torch.float64 if args.float64 else torch.float32) else 1)
    if args.steps % 16:
        sys.exit(f'--steps must be a multiple of 16 (one R1 step per 16) but is {args.steps}')
    bench(args)


if __name__ == '__main__':
    main()
