#!/usr/bin/env bash
# Does ./draggan drag reproduce the PyTorch reference loop on a drag nobody gave it? Runs the same drag (model, seed,
# points, steps, lr) with both and compares final.png pixel by pixel: prints the tracked points of both at the end
# and the largest 8-bit difference (the acceptance bound is 2 levels). The model must be a rosinality .pt (what the
# PyTorch script loads), e.g. ../shared/golden/tiny-random-256/model-rosinality.pt.
#   benchmarks/compare-final.sh MODEL.pt SEED "x,y->x,y[;...]" [STEPS=40] [LR=0.001]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
  echo "usage: benchmarks/compare-final.sh MODEL.pt SEED \"x,y->x,y[;...]\" [STEPS=40] [LR=0.001]" >&2
  exit 2
fi
MODEL=$(realpath "$1"); SEED=$2; PTS=$3; STEPS=${4:-40}; LR=${5:-0.001}
OUT=$(mktemp -d)
./draggan drag --model "$MODEL" --seed "$SEED" --points "$PTS" --steps "$STEPS" --lr "$LR" --frame-every 1000000 \
  --out "$OUT/java" > "$OUT/java.log" 2>&1 || { cat "$OUT/java.log" >&2; exit 1; }
(cd benchmarks/pytorch && /usr/bin/python3 drag_bench.py --pt "$MODEL" --seed "$SEED" --points "$PTS" --steps "$STEPS" \
  --lr "$LR" --generate-reps 1 --csv "$OUT/torch.csv" --final-png "$OUT/torch-final.png" > "$OUT/torch.log" 2>&1) \
  || { cat "$OUT/torch.log" >&2; exit 1; }
/usr/bin/python3 - "$OUT" <<'EOF'
import csv, sys
import numpy as np
from PIL import Image
out = sys.argv[1]
j = np.asarray(Image.open(f'{out}/java/final.png').convert('RGB')).astype(int)
t = np.asarray(Image.open(f'{out}/torch-final.png').convert('RGB')).astype(int)
jr = list(csv.DictReader(open(f'{out}/java/trace.csv')))
tr = list(csv.DictReader(open(f'{out}/torch.csv')))
print(f'steps: draggan {len(jr)}, PyTorch {len(tr)}')
print(f'final points: draggan {jr[-1].get("points", "?")}, PyTorch {tr[-1]["points"]}')
d = np.abs(j - t)
i = np.unravel_index(np.argmax(d), d.shape)
print(f'final.png: max |diff| {d.max()} levels at (y {i[0]}, x {i[1]}, channel {i[2]}), '
      f'{(d > 0).mean() * 100:.3f}% of values differ, {(d > 1).mean() * 100:.4f}% by more than 1')
print('WITHIN 2 LEVELS' if d.max() <= 2 else 'DIFFERS BY MORE THAN 2 LEVELS')
EOF
echo "logs: $OUT"
