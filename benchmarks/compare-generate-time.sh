#!/usr/bin/env bash
# How long does ./draggan generate take beside the PyTorch reference, on the built-in random model of RES px?
# Alternates the two programs ROUNDS times (default 2): draggan generates 40 seeds at 256 px or less (20 above) and
# reports the median of the last 30 (14); PyTorch (benchmarks/pytorch/drag_bench.py --generate-only) times 15
# generations after a warm-up. Each line also prints the VM's steal ticks (/proc/stat) during either half: on a shared
# VM a round with many steal ticks measured the neighbours, not the programs.
#   benchmarks/compare-generate-time.sh RES [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]] || { [ $# -ge 2 ] && ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; }; then
  echo "usage: benchmarks/compare-generate-time.sh RES [ROUNDS]   (RES 64..1024, a power of two)" >&2
  exit 2
fi
RES=$1; ROUNDS=${2:-2}
CBASE=$([ "$RES" -le 256 ] && echo 16384 || echo 32768)
if [ "$RES" -le 256 ]; then SEEDS=39; KEEP=30; GRID=8x5; else SEEDS=19; KEEP=14; GRID=4x5; fi
steal() { awk '/^cpu /{ print $9 }' /proc/stat 2>/dev/null || echo 0; }
OUT=$(mktemp -d)
for r in $(seq "$ROUNDS"); do
  s0=$(steal)
  ./draggan generate --model "random:$RES" --seeds "0-$SEEDS" --grid "$GRID" --out "$OUT/grid.png" > "$OUT/java.log" 2>&1 \
    || { cat "$OUT/java.log" >&2; exit 1; }
  J=$(grep -o 'generated in [0-9.]*' "$OUT/java.log" | awk '{ print $3 * 1000 }' | tail -n "$KEEP" | sort -g \
      | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }')
  s1=$(steal)
  (cd benchmarks/pytorch && /usr/bin/python3 drag_bench.py --res "$RES" --cbase "$CBASE" --generate-only --generate-reps 15 --threads 2) \
    > "$OUT/torch.log" 2>&1 || { cat "$OUT/torch.log" >&2; exit 1; }
  T=$(grep -o 'generate_ms [0-9.]*' "$OUT/torch.log" | awk '{ print $2 }' | tail -1)
  s2=$(steal)
  awk -v r="$r" -v res="$RES" -v j="$J" -v t="$T" -v a=$((s1 - s0)) -v b=$((s2 - s1)) \
    'BEGIN { printf "round %s, %s px: draggan %s ms, PyTorch %s ms, draggan / PyTorch %.2f (steal ticks %s / %s)\n", r, res, j, t, j / t, a, b }'
done
rm -rf "$OUT"
