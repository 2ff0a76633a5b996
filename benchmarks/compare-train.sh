#!/usr/bin/env bash
# Side-by-side training throughput: this project's trainer (./draggan train --bench) against the reference trainer
# in plain PyTorch (benchmarks/pytorch/train_bench.py: NVlabs Generator + resnet Discriminator + StyleGAN2Loss with
# lazy R1 every 16 steps, Adam, G_ema), same config, random weights and data, 2 mapping layers, no path-length term,
# no style mixing, 2 threads, one after the other on the same machine. Needs Debian's python3-torch and
# libopenblas0-pthread for the PyTorch half (see benchmarks/pytorch/README.md).
#   benchmarks/compare-train.sh RES CBASE CMAX [BATCH=16] [STEPS=32]
# STEPS must be a multiple of 16 so that each side's timed steps hold whole R1 periods.
# train_bench.py runs with OMP_WAIT_POLICY=PASSIVE unless the environment sets it: on a machine shared with other work,
# libgomp's default spinning makes 2-thread PyTorch many times slower (measured 1.1 instead of 10.7 img/s).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
  echo "usage: benchmarks/compare-train.sh RES CBASE CMAX [BATCH=16] [STEPS=32]" >&2
  exit 2
fi
RES=$1 CBASE=$2 CMAX=$3 BATCH=${4:-16} STEPS=${5:-32}
if [ $((STEPS % 16)) -ne 0 ]; then
  echo "compare-train.sh: STEPS must be a multiple of 16 (one R1 step per 16) but is $STEPS" >&2
  exit 2
fi
OUT=$(mktemp -d)

ips() { # the number before "img/s" on the line starting with $1 in log $2
  grep "^$1" "$2" | tail -1 | grep -o '[0-9.]* img/s' | awk '{ print $1 }'
}

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); res $RES, channel base $CBASE, max $CMAX, batch $BATCH, $STEPS timed steps"
./draggan train --bench --res "$RES" --cbase "$CBASE" --cmax "$CMAX" --map 2 --batch "$BATCH" --bench-steps "$STEPS" \
  --pl-weight 0 --mixing 0 > "$OUT/java.log" 2>&1 || { cat "$OUT/java.log" >&2; exit 1; }
echo "== load before PyTorch: $(cut -d' ' -f1-3 /proc/loadavg)"
(cd benchmarks/pytorch && /usr/bin/python3 train_bench.py --res "$RES" \
  --cbase "$CBASE" --cmax "$CMAX" --map 2 --batch "$BATCH" --steps "$STEPS" --warmup 4 --threads 2 --pl-weight 0 \
  --mixing 0 > "$OUT/torch.log" 2>&1) || { cat "$OUT/torch.log" >&2; exit 1; }

J=$(ips 'java train:' "$OUT/java.log"); T=$(ips 'pytorch train:' "$OUT/torch.log")
grep '^java train:' "$OUT/java.log" | tail -1
grep '^pytorch train:' "$OUT/torch.log" | tail -1
if [ -z "$J" ] || [ -z "$T" ]; then
  echo "compare-train.sh: no 'X img/s' on a 'java train:' or 'pytorch train:' line; logs in $OUT" >&2
  exit 1
fi
awk -v j="$J" -v t="$T" 'BEGIN { printf "time per image, draggan / PyTorch: %.2f (%s vs %s img/s)\n", t / j, j, t }'
echo "logs: $OUT"
