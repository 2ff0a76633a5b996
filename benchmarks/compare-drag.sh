#!/usr/bin/env bash
# Side-by-side timing of one DragGAN iteration and of image generation: this project (./draggan) against the
# reference loop in plain PyTorch (benchmarks/pytorch/drag_bench.py), same size, same number of steps, same threads,
# run one after the other on the same machine. Needs Debian's python3-torch and libopenblas0-pthread for the PyTorch
# half (see benchmarks/pytorch/README.md).
#   benchmarks/compare-drag.sh [RES=256] [STEPS=11]
set -euo pipefail
cd "$(dirname "$0")/.."
RES=${1:-256}
STEPS=${2:-11}
CBASE=$([ "$RES" -le 256 ] && echo 16384 || echo 32768)
OUT=$(mktemp -d)
PTS="$((RES / 2)),$((RES / 2))->$((RES / 2 + RES / 4)),$((RES / 2))"

median() { # csv file: median of the ms column over steps 2.. (the first step is warm-up)
  awk -F, 'NR > 2 { print $NF }' "$1" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); model random:$RES (channel base $CBASE); $STEPS steps; points $PTS"
./draggan drag --model "random:$RES" --seed 0 --points "$PTS" --steps "$STEPS" --frame-every 1000000 --out "$OUT/java" > "$OUT/java.log" 2>&1
DRAGGAN_JVM_OPTS="-Ddraggan.drag.window=false" ./draggan drag --model "random:$RES" --seed 0 --points "$PTS" --steps "$STEPS" --frame-every 1000000 --out "$OUT/java-whole" > "$OUT/java-whole.log" 2>&1
./draggan drag --model "random:$RES" --seed 0 --points "$PTS" --steps "$STEPS" --frame-every 1000000 --straightforward --out "$OUT/java-plain" > "$OUT/java-plain.log" 2>&1
# generate: 12 images, the median of the last 8 (the first ones are JIT warm-up, as PyTorch's first call is)
./draggan generate --model "random:$RES" --seeds 0-11 --grid 6x2 --out "$OUT/gen.png" > "$OUT/gen.log" 2>&1
JAVA_GEN=$(grep -o 'generated in [0-9.]*' "$OUT/gen.log" | awk '{ print $3 * 1000 }' | tail -n +5 | sort -g | awk '{ a[NR] = $1 } END { print (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
(cd benchmarks/pytorch && /usr/bin/python3 drag_bench.py --res "$RES" --cbase "$CBASE" --steps "$STEPS" --threads 2 --points "$PTS" --csv "$OUT/torch.csv" > "$OUT/torch.log" 2>&1)
TORCH_GEN=$(grep -o 'generate_ms [0-9.]*' "$OUT/torch.log" | awk '{ print $2 }' | tail -1)

J=$(median "$OUT/java/trace.csv"); JW=$(median "$OUT/java-whole/trace.csv"); JP=$(median "$OUT/java-plain/trace.csv"); T=$(median "$OUT/torch.csv")
printf '| %s | ms per drag iteration (median of steps 2-%s) | ms per generate |\n' "what" "$STEPS"
printf '|---|---|---|\n'
printf '| PyTorch 1.13 reference loop (OpenBLAS, oneDNN, 2 threads) | %s | %s |\n' "$T" "${TORCH_GEN:-?}"
printf '| draggan, straightforward path (--straightforward) | %s | |\n' "$JP"
printf '| draggan, cheaper path over whole maps (-Ddraggan.drag.window=false) | %s | |\n' "$JW"
printf '| draggan, cheaper path (default: steps compute the feature block around the handles) | %s | %s |\n' "$J" "${JAVA_GEN:-?}"
awk -v j="$J" -v t="$T" 'BEGIN { printf "draggan / PyTorch per iteration: %.2f\n", j / t }'
echo "logs and traces: $OUT"
