#!/usr/bin/env bash
# Runs the course's chapter programs against the built jar (built first when missing or stale, as ./draggan does).
#   docs/course/run.sh N [FIGURE_DIR]   chapter N (1..5); figures go to FIGURE_DIR (default: a new temp dir)
#   docs/course/run.sh all              every chapter, then checks each printed every PASS line listed in expected.txt
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
"$ROOT/draggan" --help > /dev/null                       # builds app/target/draggan.jar when sources changed
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
[ -x "$JAVA" ] || JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
FLAGS=(--source 25 --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Ddraggan.quiet=true -cp "$ROOT/app/target/draggan.jar")
chapter() { "$JAVA" "${FLAGS[@]}" "$HERE/Chapter$1.java" "${@:2}" 2> >(grep -v '^WARNING' >&2); }

case "${1:-}" in
  [1-5]) chapter "$@" ;;
  all)
    figs="$(mktemp -d)"; bad=0
    for n in 1 2 3 4 5; do
      out="$(chapter "$n" "$figs")" || { echo "chapter $n: exit status $?"; bad=1; }
      echo "$out"
      while IFS= read -r label; do
        grep -qF "PASS $label" <<< "$out" || { echo "chapter $n: missing PASS line: $label"; bad=1; }
      done < <(sed -n "s/^$n | //p" "$HERE/expected.txt")
    done
    [ "$bad" = 0 ] && echo "course: every chapter passed (figures in $figs)"
    exit "$bad" ;;
  *) echo "usage: docs/course/run.sh 1..5 [FIGURE_DIR] | all" >&2; exit 2 ;;
esac
