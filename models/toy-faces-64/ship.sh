#!/usr/bin/env bash
# Ships the current state of a toy-faces training run as the built-in model and regenerates its report:
#   models/toy-faces-64/ship.sh RUN_DIR
# copies RUN_DIR/model.safetensors (G_ema) into the library's resources (the default model of every program), the run's
# metrics.csv, loss.png, samples.png and command.txt here, then measures the model: quality.md (./draggan quality),
# truth.md (./draggan drag-eval --truth) and the README's drag (drag/ : start, final, annotated, GIF).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUN="${1:?usage: ship.sh RUN_DIR}"
CASES="${CASES:-20}" STEPS="${STEPS:-80}"
[ -f "$RUN/model.safetensors" ] || { echo "ship.sh: $RUN has no model.safetensors" >&2; exit 2; }
cp "$RUN/model.safetensors" "$ROOT/stylegan/src/main/resources/io/github/dragganjvm/stylegan/models/toy-faces-64.safetensors"
for f in metrics.csv loss.png samples.png command.txt; do cp "$RUN/$f" "$HERE/$f"; done
cd "$ROOT"
./draggan --help > /dev/null                                      # rebuild the jar with the new resource
./draggan quality --count 1000 --quiet > "$HERE/quality.md"
./draggan drag-eval --truth --cases "$CASES" --seed0 0 --steps "$STEPS" --methods reference,reference+original,template,template+original \
  --quiet > "$HERE/truth.md"
rm -rf "$HERE/drag"
./draggan drag --seed 0 --points "${POINTS:-35,54->35,60}" --steps 80 --quiet --out "$HERE/drag"
echo "shipped $RUN/model.safetensors; report in $HERE"
