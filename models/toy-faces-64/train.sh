#!/usr/bin/env bash
# The training run of the toy-world model (64 px cartoon faces, preset tiny: channel base 1024 / max 128), resumable:
# the first call starts it in RUN_DIR, every later call continues from its last snapshot (written every 2 kimg).
# It runs from a copy of the jar, so rebuilding the project while it trains does not disturb it.
#   models/toy-faces-64/train.sh [RUN_DIR=runs/toy64] [KIMG=1000]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="${1:-$ROOT/runs/toy64}" KIMG="${2:-1000}"
"$ROOT/draggan" --help > /dev/null                    # builds the programs when needed
mkdir -p "$RUN"
cp "$ROOT/app/target/draggan.jar" "$RUN/draggan-train.jar"
J="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
ARGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx3g -jar "$RUN/draggan-train.jar" train)
if [ -f "$RUN/snapshot.safetensors" ]; then
  exec nice -n 5 "$J" "${ARGS[@]}" --resume "$RUN" --kimg "$KIMG" --snap-kimg 2 --tick-kimg 0.5
else
  exec nice -n 5 "$J" "${ARGS[@]}" --data toy:faces --res 64 --config tiny --kimg "$KIMG" --batch 16 --snap-kimg 2 --tick-kimg 0.5 --out "$RUN"
fi
