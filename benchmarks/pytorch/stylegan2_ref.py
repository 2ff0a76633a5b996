#!/usr/bin/env python3
"""A minimal StyleGAN2 generator in plain PyTorch, for timing and cross-checks only.

Written from the math in shared/notes/draggan-algorithm.md with the semantics of NVlabs
stylegan2-ada-pytorch on a CPU (reference upfirdn2d, fused modulated conv as in eval mode,
no custom ops). Parameters are held under NVlabs names in one flat dict:
  mapping.fc{i}.{weight,bias}, mapping.w_avg, synthesis.b4.const,
  synthesis.b{r}.{conv0,conv1}.{weight,bias,affine.weight,affine.bias,noise_strength,noise_const},
  synthesis.b{r}.torgb.{weight,bias,affine.weight,affine.bias}
Layout comments: [N, C, H, W]; N is the batch (1 in DragGAN).

Check mode:  python3 stylegan2_ref.py --check [GOLDEN_DIR]
  loads GOLDEN_DIR/model-rosinality.pt and prints the max abs difference against the golden
  w, ws, features and images of seeds 0 and 1 (tolerance 1e-3).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

SQRT2 = math.sqrt(2.0)
# The [1, 3, 3, 1] binomial filter, outer product, normalised to sum 1.   [4, 4]
FIR = torch.outer(torch.tensor([1., 3., 3., 1.]), torch.tensor([1., 3., 3., 1.])) / 64.0


# ----------------------------------------------------------------------------------------- ops

def upfirdn2d(x, f, up=1, pad=(0, 0, 0, 0), gain=1.0, down=1):
    """NVlabs upfirdn2d reference: zero-insert by `up`, pad [x0, x1, y0, y1], convolve with the
    flipped 2-D filter times gain (gain ** (ndim/2) = gain for a 2-D filter), keep every `down`-th
    row and column starting at 0. No negative padding (neither generator nor discriminator needs
    it).   x: [N, C, H, W] -> [N, C, H', W']"""
    N, C, H, W = x.shape
    if up > 1:
        x = x.reshape(N, C, H, 1, W, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])                  # zeros after each sample
        x = x.reshape(N, C, H * up, W * up)
    x = F.pad(x, list(pad))                                          # [x0, x1, y0, y1]
    f = (f * gain).flip([0, 1]).to(device=x.device, dtype=x.dtype)
    x = F.conv2d(x, f[None, None].repeat(C, 1, 1, 1), groups=C)     # depthwise
    return x[:, :, ::down, ::down] if down > 1 else x


def modulated_conv2d(x, weight, styles, demodulate=True, up=False, fused=True):
    """NVlabs modulated_conv2d.   x: [N, I, H, W], weight: [O, I, k, k], styles: [N, I] -> [N, O, H', W']
    fused=True (what eval mode, hence DragGAN, uses): modulate and demodulate the weight per sample
    and run one grouped conv, one group per sample. fused=False (NVlabs' training path): scale the
    activations by the styles, convolve with the shared weight, scale the output by the demodulation
    coefficients; the same function, but autograd then needs no gradient of a conv weight.
    up=True is conv2d_resample(up=2, padding=1): transposed conv stride 2 (weights not flipped),
    then the FIR with padding [1, 1, 1, 1] and gain 4."""
    N, I, H, W = x.shape
    O, _, kh, kw = weight.shape
    w = weight[None] * styles[:, None, :, None, None]                # [N, O, I, k, k]
    dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt() if demodulate else None   # [N, O]
    if not fused:
        x = conv2d_up(x * styles[:, :, None, None], weight, up, groups=1)
        return x * dcoefs[:, :, None, None] if demodulate else x
    if demodulate:
        w = w * dcoefs[:, :, None, None, None]
    x = conv2d_up(x.reshape(1, N * I, H, W), w.reshape(N * O, I, kh, kw), up, groups=N)  # samples -> groups
    return x.reshape(N, O, x.shape[2], x.shape[3])


def conv2d_up(x, w, up, groups):
    """3x3 (or 1x1) 'same' conv, or with up=True transposed conv stride 2 + FIR (NVlabs conv2d_resample).
    x: [1, groups*I, H, W], w: [groups*O, I, k, k]"""
    if not up:
        return F.conv2d(x, w, padding=w.shape[2] // 2, groups=groups)
    GO, I, kh, kw = w.shape
    w = w.reshape(groups, GO // groups, I, kh, kw).transpose(1, 2).reshape(groups * I, GO // groups, kh, kw)
    x = F.conv_transpose2d(x, w, stride=2, groups=groups)            # [.., 2H+1, 2W+1]
    return upfirdn2d(x, FIR, pad=(1, 1, 1, 1), gain=4)               # [.., 2H, 2W]


def bias_act(x, b, lrelu=True, clamp=None):
    """x + b, then leaky ReLU 0.2 times sqrt(2) (lrelu) or identity, then clamp to +-clamp."""
    x = x + b.reshape(1, -1, *([1] * (x.ndim - 2)))
    if lrelu:
        x = F.leaky_relu(x, 0.2) * SQRT2
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x


# ----------------------------------------------------------------------------------- generator

class Generator:
    """StyleGAN2 generator (config-f / paper256 skip architecture), inference-time semantics.

    params: flat dict of NVlabs-named tensors (see the module docstring), in NVlabs storage
    conventions (mapping weights stored divided by the lr multiplier; runtime gains applied here).
    """

    def __init__(self, params, res, lr_mul=0.01, conv_clamp=None, fused_modconv=True):
        self.p = params
        self.fused_modconv = fused_modconv
        self.res = res
        self.lr_mul = lr_mul
        self.conv_clamp = conv_clamp
        self.resolutions = [2 ** i for i in range(2, int(math.log2(res)) + 1)]   # 4, 8, ..., res
        self.num_ws = 2 * int(math.log2(res)) - 2
        self.n_mapping = sum(1 for k in params if k.startswith('mapping.fc') and k.endswith('.weight'))
        self.w_dim = params['mapping.w_avg'].shape[0]

    # ---- constructors

    @staticmethod
    def random(res=256, cbase=16384, cmax=512, n_mapping=8, w_dim=512, seed=0, conv_clamp=None):
        """Seeded random weights with the shapes of a real model (NVlabs init; biases, noise
        strengths and w_avg made non-zero so that every parameter costs what it does in a trained one)."""
        g = torch.Generator().manual_seed(seed)
        rnd = lambda *s: torch.randn(*s, generator=g)
        ch = lambda r: min(cbase // r, cmax)
        p = {}
        for i in range(n_mapping):
            p[f'mapping.fc{i}.weight'] = rnd(w_dim, w_dim) / 0.01
            p[f'mapping.fc{i}.bias'] = 0.1 * rnd(w_dim)
        p['mapping.w_avg'] = 0.1 * rnd(w_dim)
        p['synthesis.b4.const'] = rnd(ch(4), 4, 4)

        def layer(name, cin, cout, k, r=None):
            p[f'{name}.weight'] = rnd(cout, cin, k, k)
            p[f'{name}.bias'] = 0.1 * rnd(cout)
            p[f'{name}.affine.weight'] = rnd(cin, w_dim)
            p[f'{name}.affine.bias'] = 1.0 + 0.1 * rnd(cin)
            if r is not None:
                p[f'{name}.noise_strength'] = 0.1 * rnd(())
                p[f'{name}.noise_const'] = rnd(r, r)

        for r in [2 ** i for i in range(2, int(math.log2(res)) + 1)]:
            b = f'synthesis.b{r}'
            if r > 4:
                layer(f'{b}.conv0', ch(r // 2), ch(r), 3, r)
            layer(f'{b}.conv1', ch(r), ch(r), 3, r)
            layer(f'{b}.torgb', ch(r), 3, 1)
        return Generator(p, res, conv_clamp=conv_clamp)

    @staticmethod
    def from_rosinality(path, key='g_ema'):
        """A rosinality stylegan2-pytorch checkpoint (torch.save of {'g_ema': state_dict,
        'latent_avg': [512], ...}). Resolution, mapping depth and channels come from the names
        and shapes. Scale conventions (the stored tensors are the same numbers as NVlabs'):
          - EqualLinear stores weight/lr_mul and bias as NVlabs does (runtime *lr_mul/sqrt(in), *lr_mul);
          - ModulatedConv2d multiplies the weight by 1/sqrt(in*k*k) at run time: before demodulation
            this cancels (up to the 1e-8), and for ToRGB (no demodulation, k = 1) it is NVlabs'
            styles * 1/sqrt(C) moved onto the weight, so the stored weights map over unchanged;
          - the blur/upsample kernels (already times 4) are rebuilt here; rosinality has no clamp."""
        ck = torch.load(path, map_location='cpu')
        sd = {k: v.float() for k, v in ck[key].items()}
        p = {}
        n_mapping = sum(1 for k in sd if k.startswith('style.') and k.endswith('.weight'))
        for i in range(n_mapping):
            p[f'mapping.fc{i}.weight'] = sd[f'style.{i + 1}.weight']
            p[f'mapping.fc{i}.bias'] = sd[f'style.{i + 1}.bias']
        p['mapping.w_avg'] = ck['latent_avg'].float().reshape(-1)
        p['synthesis.b4.const'] = sd['input.input'][0]
        n_convs = sum(1 for k in sd if k.startswith('convs.') and k.endswith('.conv.weight'))
        res = 4 * 2 ** (n_convs // 2)

        def styled(dst, src, noise_index):
            p[f'{dst}.weight'] = sd[f'{src}.conv.weight'][0]
            p[f'{dst}.affine.weight'] = sd[f'{src}.conv.modulation.weight']
            p[f'{dst}.affine.bias'] = sd[f'{src}.conv.modulation.bias']
            p[f'{dst}.bias'] = sd[f'{src}.activate.bias']
            p[f'{dst}.noise_strength'] = sd[f'{src}.noise.weight'].reshape(())
            p[f'{dst}.noise_const'] = sd[f'noises.noise_{noise_index}'][0, 0]

        def torgb(dst, src):
            p[f'{dst}.weight'] = sd[f'{src}.conv.weight'][0]
            p[f'{dst}.affine.weight'] = sd[f'{src}.conv.modulation.weight']
            p[f'{dst}.affine.bias'] = sd[f'{src}.conv.modulation.bias']
            p[f'{dst}.bias'] = sd[f'{src}.bias'].reshape(-1)

        styled('synthesis.b4.conv1', 'conv1', 0)
        torgb('synthesis.b4.torgb', 'to_rgb1')
        for k in range(n_convs // 2):
            b = f'synthesis.b{8 * 2 ** k}'
            styled(f'{b}.conv0', f'convs.{2 * k}', 2 * k + 1)
            styled(f'{b}.conv1', f'convs.{2 * k + 1}', 2 * k + 2)
            torgb(f'{b}.torgb', f'to_rgbs.{k}')
        return Generator(p, res, conv_clamp=None)

    # ---- forward

    def mapping(self, z, psi=1.0):
        """z: [N, z_dim] -> ws: [N, num_ws, w_dim], truncated towards w_avg on every row."""
        z = z.to(self.p['mapping.w_avg'].device)                          # the generator's device
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()   # normalize_2nd_moment
        for i in range(self.n_mapping):
            W = self.p[f'mapping.fc{i}.weight']
            gain = self.lr_mul / math.sqrt(W.shape[1])
            x = bias_act(F.linear(x, W * gain), self.p[f'mapping.fc{i}.bias'] * self.lr_mul)
        w_avg = self.p['mapping.w_avg']
        w = w_avg + psi * (x - w_avg)
        return w[:, None, :].repeat(1, self.num_ws, 1)

    def _styles(self, name, w):
        A = self.p[f'{name}.affine.weight']                               # gain 1/sqrt(w_dim)
        return F.linear(w, A / math.sqrt(A.shape[1]), self.p[f'{name}.affine.bias'])

    def _layer(self, name, x, w, up=False):
        p = self.p
        x = modulated_conv2d(x, p[f'{name}.weight'], self._styles(name, w), up=up, fused=self.fused_modconv)
        x = x + p[f'{name}.noise_const'] * p[f'{name}.noise_strength']     # noise mode "const"
        return bias_act(x, p[f'{name}.bias'], clamp=self.conv_clamp)      # act gain sqrt(2)

    def _torgb(self, name, x, w):
        styles = self._styles(name, w) / math.sqrt(x.shape[1])           # weight gain 1/sqrt(C)
        y = modulated_conv2d(x, self.p[f'{name}.weight'], styles, demodulate=False, fused=self.fused_modconv)
        return bias_act(y, self.p[f'{name}.bias'], lrelu=False, clamp=self.conv_clamp)

    def synthesis(self, ws, last_block=None):
        """ws: [N, num_ws, w_dim] -> (img [N, 3, res, res] or None, [x of every block]).
        Block b{r} reads ws[:, i], ws[:, i+1] (convs) and ws[:, i+2] (torgb); i advances by 2
        (b4: conv1 = ws[:, 0], torgb = ws[:, 1]). last_block=r stops after block b{r} (no image)."""
        feats, img, i = [], None, 0
        x = self.p['synthesis.b4.const'][None].repeat(ws.shape[0], 1, 1, 1)
        for r in self.resolutions:
            b = f'synthesis.b{r}'
            if r > 4:
                x = self._layer(f'{b}.conv0', x, ws[:, i], up=True)
                i += 1
            x = self._layer(f'{b}.conv1', x, ws[:, i])
            feats.append(x)
            if last_block == r:
                return None, feats
            y = self._torgb(f'{b}.torgb', x, ws[:, i + 1])
            img = y if img is None else upfirdn2d(img, FIR, up=2, pad=(2, 1, 2, 1), gain=4) + y
            i += 1
        return img, feats


def z_from_seed(seed, z_dim=512):
    """As the DragGAN renderer: NumPy RandomState(seed).randn(1, z_dim), as float32."""
    return torch.from_numpy(np.random.RandomState(seed).randn(1, z_dim)).float()


# --------------------------------------------------------------------------------------- check

def check(golden_dir, tol=1e-3, fused=True):
    G = Generator.from_rosinality(os.path.join(golden_dir, 'model-rosinality.pt'))
    G.fused_modconv = fused
    print(f'loaded rosinality .pt ({"fused" if fused else "unfused"} modconv): res {G.res}, {G.n_mapping} mapping layers, num_ws {G.num_ws}, '
          f'channels {[G.p[f"synthesis.b{r}.conv1.weight"].shape[0] for r in G.resolutions]}')
    worst = 0.0
    for seed in (0, 1):
        gold = lambda name: torch.from_numpy(np.load(os.path.join(golden_dir, f'seed{seed}_{name}.npy')))
        with torch.no_grad():
            z = z_from_seed(seed)
            w1 = G.mapping(z, psi=1.0)[:, 0]
            ws = G.mapping(z, psi=0.7)
            img, feats = G.synthesis(ws)
        pairs = [('z', z), ('w_psi1', w1), ('ws', ws)] + \
                [(f'feat{i}', f) for i, f in enumerate(feats)] + [('img', img)]
        for name, mine in pairs:
            ref = gold(name)
            assert ref.shape == mine.shape, f'seed{seed}_{name}: shape {tuple(mine.shape)} vs golden {tuple(ref.shape)}'
            d = (mine - ref).abs().max().item()
            worst = max(worst, d)
            print(f'seed{seed}_{name:7s} {str(tuple(ref.shape)):20s} max|diff| = {d:.3e}'
                  f'  (max|golden| = {ref.abs().max().item():.3g})')
    ok = worst <= tol
    print(f'worst max|diff| = {worst:.3e}  ->  {"PASS" if ok else "FAIL"} (tolerance {tol:g})')
    return ok


if __name__ == '__main__':
    if len(sys.argv) >= 2 and sys.argv[1] == '--check':
        here = os.path.dirname(os.path.abspath(__file__))
        default = os.path.join(here, '..', '..', '..', 'shared', 'golden', 'tiny-random-256')
        golden = sys.argv[2] if len(sys.argv) > 2 else default
        sys.exit(0 if check(golden) and check(golden, fused=False) else 1)
    print(__doc__)
