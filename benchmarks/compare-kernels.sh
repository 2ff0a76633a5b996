#!/usr/bin/env bash
# The kernel table of `./draggan bench` beside PyTorch's numbers for the same ops and shapes
# (benchmarks/pytorch/kernel_bench.py: OpenBLAS sgemm, oneDNN convolutions), one after the other on the same
# machine and threads, joined into one table: op | size | ours (vector) | ND4J | PyTorch | ours / PyTorch.
# Needs Debian's python3-torch for the PyTorch half (see benchmarks/pytorch/README.md). Compare on a quiet machine.
#   benchmarks/compare-kernels.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${1:-}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
./draggan bench $QUICK > "$OUT/ours.txt"
/usr/bin/python3 benchmarks/pytorch/kernel_bench.py --threads 2 $QUICK > "$OUT/torch.txt"
head -1 "$OUT/torch.txt"
awk -F' *[|] *' '
  FNR == NR { if ($0 !~ /^#/) torch[$1 "|" $2] = $4; next }   # the PyTorch rows: op | size | pytorch | GFLOP/s
  FNR <= 2 { next }                                            # our header and rule
  { key = $1 "|" $2; if (!(key in order)) { order[key] = ++n; keys[n] = key }
    if ($3 == "vector") ours[key] = $4; else if ($3 == "nd4j") nd4j[key] = $4 }
  END {
    print "| op | size | ours (vector) | ND4J | PyTorch | ours / PyTorch |"
    print "|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++) {
      k = keys[i]; split(k, p, "|")
      if (!(k in ours)) continue
      ratio = (k in torch && torch[k] > 0) ? sprintf("%.2fx", ours[k] / torch[k]) : ""
      printf "| %s | %s | %s | %s | %s | %s |\n", p[1], p[2], ours[k], nd4j[k], torch[k], ratio
    }
  }' "$OUT/torch.txt" "$OUT/ours.txt"
