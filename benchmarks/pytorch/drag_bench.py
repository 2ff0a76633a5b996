#!/usr/bin/env python3
"""Times the DragGAN loop in plain PyTorch on the CPU, the way the reference renderer runs it
(XingangPan/DragGAN viz/renderer.py, _render_drag_impl), for comparison with the Java implementation.

One timed step = what the renderer does per iteration:
  full generator forward (image + every block's x, with autograd) -> F = bilinear resize of the
  b128 features to image size (align_corners False) -> nearest-neighbour L2 point tracking under
  no_grad -> stop test -> motion supervision (+ mask term) -> backward -> Adam step on w
  -> image to uint8 HWC.
"generate" = z -> mapping (psi 0.7) -> synthesis -> uint8 image, under torch.no_grad.

Points on the command line are x,y with x = column and y = row (pixel centres at integers);
internally they are kept [row, col] as the reference does.

  python3 drag_bench.py --res 256 --cbase 16384 --steps 20 --threads 2
  python3 drag_bench.py --res 512 --cbase 32768 --generate-only
  python3 drag_bench.py --check            # replay the golden drag cases of tiny-random-256
"""
import argparse
import csv
import ctypes
import json
import os
import re
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from stylegan2_ref import Generator, z_from_seed

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared', 'golden',
                      'tiny-random-256')


def to_uint8(img):
    """The renderer's last lines: [1, 3, H, W] in ~[-1, 1] -> [H, W, 3] uint8."""
    return (img[0] * 127.5 + 128).clamp(0, 255).to(torch.uint8).permute(1, 2, 0)


class DragSession:
    """The renderer's drag state: w (all num_ws rows a parameter, only the first 6 used), w0,
    Adam, the reference features F0 and f0_i, and the handle points as [row, col]."""

    def __init__(self, G, seed, points, targets, lr=1e-3, psi=0.7, mask=None, lambda_mask=20.0,
                 feature_idx=5, r1=3, r2=12):
        self.G, self.h = G, G.res
        with torch.no_grad():
            self.w0 = G.mapping(z_from_seed(seed), psi)                       # [1, num_ws, 512]
        self.w = self.w0.clone().requires_grad_(True)
        self.optim = torch.optim.Adam([self.w], lr=lr)
        self.points = [list(p) for p in points]                               # [row, col]
        self.targets = [list(t) for t in targets]
        self.mask, self.lambda_mask = mask, lambda_mask                       # mask [h, w], 1 = fixed
        self.feature_idx = feature_idx
        self.r1 = round(r1 / 512 * self.h)        # Python round: banker's (1.5 -> 2 at 256 px)
        self.r2 = round(r2 / 512 * self.h)
        self.feat0 = None
        h = self.h
        self.device = self.w0.device
        lin = torch.linspace(0, h, h, device=self.device)   # as the reference: 0 .. h in h steps, not 0 .. h-1
        self.xx, self.yy = torch.meshgrid(lin, lin, indexing='ij')

    def step(self):
        """One iteration. Returns dict(points [row, col] after tracking, loss, stop, grad, image)."""
        h = self.h
        ws = torch.cat([self.w[:, :6], self.w0[:, 6:]], dim=1)
        img, feats = self.G.synthesis(ws)
        feat = F.interpolate(feats[self.feature_idx], size=(h, h), mode='bilinear', align_corners=False)
        if self.feat0 is None:                                                # first iteration of the drag
            self.feat0 = feat.detach()
            self.f0 = [self.feat0[:, :, round(p[0]), round(p[1])] for p in self.points]

        # Point tracking: argmin of the L2 distance to f0_i in the (2*r2+1)^2 window (first in row-major order).
        with torch.no_grad():
            for j, (py, px) in enumerate(self.points):
                top, bottom = max(py - self.r2, 0), min(py + self.r2 + 1, h)
                left, right = max(px - self.r2, 0), min(px + self.r2 + 1, h)
                patch = feat[:, :, top:bottom, left:right]
                dist = torch.linalg.norm(patch - self.f0[j].reshape(1, -1, 1, 1), dim=1)
                idx = int(torch.argmin(dist.reshape(-1)))
                self.points[j] = [idx // (right - left) + top, idx % (right - left) + left]

        # Motion supervision: F sampled at q + d (grid_sample, align_corners True, with gradient) is pulled
        # towards the detached F(q), q over the disc |q - p| < r1. As the reference, the disc is measured
        # on a linspace(0, h, h) grid (coordinates i*h/(h-1), not i), which shifts it by up to half a pixel.
        loss, stop = 0.0, True
        for (py, px), (ty, tx) in zip(self.points, self.targets):
            d = torch.tensor([tx - px, ty - py], dtype=torch.float32, device=self.device)   # (dx, dy)
            n = torch.linalg.norm(d)
            if n > max(2 / 512 * h, 2):
                stop = False
            if n > 1:
                rows, cols = torch.where(((self.xx - py) ** 2 + (self.yy - px) ** 2) ** 0.5 < self.r1)
                d = d / (n + 1e-7)
                grid = torch.stack([(cols + d[0]) / (h - 1) * 2 - 1,
                                    (rows + d[1]) / (h - 1) * 2 - 1], dim=-1)[None, None]  # [1, 1, P, 2] (x, y)
                shifted = F.grid_sample(feat, grid, align_corners=True).squeeze(2)        # [1, C, P]
                loss = loss + F.l1_loss(feat[:, :, rows, cols].detach(), shifted)
        if self.mask is not None and self.mask.min() == 0 and self.mask.max() == 1:
            m = self.mask[None, None]
            loss = loss + self.lambda_mask * F.l1_loss(feat * m, self.feat0 * m)

        grad = None
        if not stop:
            self.optim.zero_grad()
            loss.backward()
            grad = self.w.grad[:, :6].clone()
            self.optim.step()
        return dict(points=[list(p) for p in self.points], loss=float(loss.detach() if torch.is_tensor(loss) else loss), stop=stop, grad=grad,
                    image=to_uint8(img.detach()).cpu())        # the renderer hands the host a numpy image


# ----------------------------------------------------------------------------------------- bench

def parse_points(text):
    """'x,y->x,y;x,y->x,y' (x = column, y = row) -> handles and targets as [row, col]."""
    handles, targets = [], []
    for pair in text.split(';'):
        m = re.fullmatch(r'\s*(-?\d+)\s*,\s*(-?\d+)\s*->\s*(-?\d+)\s*,\s*(-?\d+)\s*', pair)
        if not m:
            sys.exit(f'--points: expected "x,y->x,y;..." but got {pair!r}')
        x0, y0, x1, y1 = map(int, m.groups())
        handles.append([y0, x0])
        targets.append([y1, x1])
    return handles, targets


def xy(points):
    return ';'.join(f'{c},{r}' for r, c in points)


def set_threads(n):
    """torch's intra-op (OpenMP) threads, and OpenBLAS's own pool where OpenBLAS is the BLAS
    (Debian's torch calls it through libblas.so.3, so torch.set_num_threads does not reach it)."""
    torch.set_num_threads(n)
    try:
        ctypes.CDLL('libopenblas.so.0').openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass


def blas_in_use():
    """Which BLAS shared object the process actually mapped (torch's config only says 'generic')."""
    try:
        libs = {line.split()[-1] for line in open('/proc/self/maps') if 'blas' in line.lower()}
        libs = ', '.join(sorted(os.path.basename(os.path.realpath(l)) for l in libs)) or 'none mapped'
        ob = ctypes.CDLL('libopenblas.so.0')
        ob.openblas_get_config.restype = ctypes.c_char_p
        return f'{libs} [{ob.openblas_get_config().decode()}, {ob.openblas_get_num_threads()} threads]'
    except (OSError, AttributeError):
        return libs


def time_generate(G, seed, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        with torch.no_grad():
            img, _ = G.synthesis(G.mapping(z_from_seed(seed), 0.7))
            to_uint8(img).cpu()
        times.append((time.perf_counter() - t) * 1e3)
    return times


def bench(args):
    set_threads(args.threads)
    G = Generator.from_rosinality(args.pt) if args.pt else Generator.random(args.res, args.cbase, seed=args.seed)
    G.fused_modconv = not args.unfused
    G.p = {k: v.to(args.device) for k, v in G.p.items()}
    h = G.res
    print(f'torch {torch.__version__}, threads {torch.get_num_threads()}, mkldnn {torch.backends.mkldnn.is_available()}, '
          f'BLAS {blas_in_use()}' + (f', device {torch.cuda.get_device_name()}' if args.device == 'cuda' else ''))
    print(f'generator: {args.pt or "random weights"}, {h} px, channels '
          f'{[G.p[f"synthesis.b{r}.conv1.weight"].shape[0] for r in G.resolutions]}, '
          f'{sum(v.numel() for v in G.p.values()) / 1e6:.1f} M parameters, '
          f'{"UNFUSED modconv (not the reference)" if args.unfused else "fused modconv (as the reference)"}')

    gen = time_generate(G, args.seed, 1 + args.generate_reps)     # first call is warm-up
    gen_ms = statistics.median(gen[1:])
    print(f'generate: {" ".join(f"{t:.0f}" for t in gen)} ms  (median after warm-up {gen_ms:.0f} ms)')
    if args.generate_only:
        print(f'SUMMARY res {h} generate_ms {gen_ms:.1f} (best {min(gen[1:]):.1f}) threads {args.threads}')
        return

    handles, targets = parse_points(args.points or f'{h // 2},{h // 2}->{h // 2 + h // 4},{h // 2}')
    s = DragSession(G, args.seed, handles, targets, lr=args.lr)
    rows = []
    for n in range(args.steps):
        t = time.perf_counter()
        r = s.step()
        ms = (time.perf_counter() - t) * 1e3
        rows.append((n, xy(r['points']), r['loss'], ms))
        print(f'step {n:3d}  points {xy(r["points"]):>20s}  loss {r["loss"]:.6f}  {ms:8.1f} ms'
              + ('  STOP (all handles within reach)' if r['stop'] else ''), flush=True)
        if r['stop']:
            break
    if args.final_png:                              # as ./draggan drag's final.png: w after the last step, no markers
        from PIL import Image
        with torch.no_grad():
            img, _ = G.synthesis(torch.cat([s.w[:, :6], s.w0[:, 6:]], dim=1))
        Image.fromarray(to_uint8(img).numpy()).save(args.final_png)
    if args.csv:
        with open(args.csv, 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(['step', 'points', 'loss', 'ms'])
            w.writerows([(n, p, f'{l:.8g}', f'{ms:.3f}') for n, p, l, ms in rows])
    timed = [ms for _, _, _, ms in rows[1:]] or [rows[0][3]]
    print(f'SUMMARY res {h} median_ms_per_step {statistics.median(timed):.1f} (best {min(timed):.1f}, '
          f'{len(timed)} steps after warm-up) generate_ms {gen_ms:.1f} threads {args.threads}')


# ----------------------------------------------------------------------------------------- check

def check(golden_dir, fused=True):
    """Replays the manifest's drag cases on model-rosinality.pt and prints the differences."""
    man = json.load(open(os.path.join(golden_dir, 'manifest.json')))
    G = Generator.from_rosinality(os.path.join(golden_dir, 'model-rosinality.pt'))
    G.fused_modconv = fused
    gold = lambda name: torch.from_numpy(np.load(os.path.join(golden_dir, name + '.npy')))
    ok = True
    for k, drag in enumerate(man['drags']):
        c = drag['case']
        mask = None
        if 'mask' in c:                                   # [row0, row1, col0, col1] = flexible region
            r0, r1, c0, c1 = c['mask']
            mask = torch.ones(G.res, G.res)
            mask[r0:r1, c0:c1] = 0
        s = DragSession(G, c['seed'], c['points'], c['targets'], lr=c.get('lr', 1e-3), mask=mask,
                        lambda_mask=c.get('lambda_mask', 20))
        for ref in drag['steps']:
            r = s.step()
            dg = (r['grad'] - gold(f'drag{k}_step{ref["step"]}_grad')).abs().max().item()
            same = r['points'] == ref['points_after_tracking'] and r['stop'] == ref['stop']
            ok &= same and abs(r['loss'] - ref['loss']) <= 1e-5 * max(1, abs(ref['loss'])) and dg <= 1e-3
            print(f'drag{k} step {ref["step"]}: points {r["points"]} (golden {ref["points_after_tracking"]}) '
                  f'loss {r["loss"]:.8f} (golden {ref["loss"]:.8f})  max|grad diff| {dg:.2e}')
        with torch.no_grad():
            ws = torch.cat([s.w[:, :6], s.w0[:, 6:]], dim=1)
            img, _ = G.synthesis(ws)
        dws = (ws - gold(f'drag{k}_final_ws')).abs().max().item()
        dimg = (img - gold(f'drag{k}_final_img')).abs().max().item()
        ok &= dws <= 1e-4 and dimg <= 1e-3
        print(f'drag{k} final: max|ws diff| {dws:.2e}, max|img diff| {dimg:.2e}')
    print('PASS' if ok else 'FAIL')
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--res', type=int, default=256, help='image size of the random generator (256, 512, ...)')
    ap.add_argument('--cbase', type=int, default=16384, help='channel base (16384 paper256, 32768 config-f)')
    ap.add_argument('--pt', help='load a rosinality .pt instead of random weights')
    ap.add_argument('--steps', type=int, default=10, help='drag iterations (the first is warm-up)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu', choices=['cpu', 'cuda'],
                    help='where the generator runs (cuda: each timed step ends with the loss and image on the host)')
    ap.add_argument('--points', help='"x,y->x,y;..." handles -> targets, x = column; default centre -> +h/4 in x')
    ap.add_argument('--seed', type=int, default=0, help='latent seed (and weight seed of the random generator)')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--unfused', action='store_true',
                    help='modconv as NVlabs fused_modconv=False (same math; the reference uses fused)')
    ap.add_argument('--generate-only', action='store_true', help='time image generation only')
    ap.add_argument('--generate-reps', type=int, default=5, help='timed generations after one warm-up')
    ap.add_argument('--csv', help='write step,points,loss,ms')
    ap.add_argument('--final-png', help="write the image of the final w+ (as the drag program's final.png)")
    ap.add_argument('--check', nargs='?', const=GOLDEN, metavar='GOLDEN_DIR',
                    help='replay the golden drag cases (default ../../../shared/golden/tiny-random-256)')
    args = ap.parse_args()
    if args.check:
        set_threads(args.threads)
        sys.exit(0 if check(args.check, fused=not args.unfused) else 1)
    bench(args)


if __name__ == '__main__':
    main()
