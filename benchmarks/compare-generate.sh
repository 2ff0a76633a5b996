#!/usr/bin/env bash
# Does ./draggan generate reproduce the PyTorch reference for seeds nobody gave it? Generates each seed with both
# (psi 0.7, noise const) and prints the largest 8-bit difference per seed (the acceptance bound is 1 level).
# The model must be a rosinality .pt (what benchmarks/pytorch/stylegan2_ref.py loads); ./draggan reads the same file.
#   benchmarks/compare-generate.sh MODEL.pt SEED [SEED...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: benchmarks/compare-generate.sh MODEL.pt SEED [SEED...]" >&2
  exit 2
fi
MODEL=$(realpath "$1"); shift
OUT=$(mktemp -d)
for s in "$@"; do
  ./draggan generate --model "$MODEL" --seed "$s" --psi 0.7 --noise const --out "$OUT/java-$s.png" > "$OUT/java-$s.log" 2>&1 \
    || { cat "$OUT/java-$s.log" >&2; exit 1; }
done
(cd benchmarks/pytorch && /usr/bin/python3 - "$MODEL" "$OUT" "$@" <<'EOF'
import sys
import numpy as np
import torch
from PIL import Image
from stylegan2_ref import Generator, z_from_seed
from drag_bench import to_uint8
model, out, seeds = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
G = Generator.from_rosinality(model)
worst = 0
for s in seeds:
    with torch.no_grad():
        img, _ = G.synthesis(G.mapping(z_from_seed(s), 0.7))
    t = to_uint8(img).numpy().astype(int)
    j = np.asarray(Image.open(f'{out}/java-{s}.png').convert('RGB')).astype(int)
    d = np.abs(j - t)
    worst = max(worst, int(d.max()))
    print(f'seed {s}: max |diff| {d.max()} levels, {(d > 0).mean() * 100:.3f}% of values differ')
print('WITHIN 1 LEVEL' if worst <= 1 else 'DIFFERS BY MORE THAN 1 LEVEL')
EOF
)
echo "images: $OUT"
