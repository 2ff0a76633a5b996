#!/usr/bin/env bash
# Builds the consumer project (examples/consumer) against this repository's artifacts by their Maven coordinates, as a
# user's project would, and runs its test. The library is installed into a private local repository
# (examples/consumer/target/m2) that reads ~/.m2 as a read-only tail, so the user's ~/.m2 is left as it was.
#   examples/consumer/run.sh                         the built-in toy-faces model when the stylegan jar ships it, else random
#   CONSUMER_MODEL=builtin examples/consumer/run.sh  the built-in model, failing when it is missing
#   CONSUMER_MODEL=random examples/consumer/run.sh   an untrained random 64 px model
# Extra arguments go to both Maven runs (e.g. -o for offline).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
REPO="$HERE/target/m2"
TAIL="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
MVN=("$ROOT/mvnw" -B -q "-Dmaven.repo.local=$REPO" "-Dmaven.repo.local.tail=$TAIL")
echo "consumer: installing the library modules into $REPO" >&2
(cd "$ROOT" && "${MVN[@]}" install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -pl dragcore,bom -am "$@")
echo "consumer: building and testing examples/consumer against them" >&2
(cd "$HERE" && "$ROOT/mvnw" -B "-Dmaven.repo.local=$REPO" "-Dmaven.repo.local.tail=$TAIL" -f pom.xml verify "-DconsumerModel=${CONSUMER_MODEL:-auto}" "$@")
echo "consumer: passed (images in $HERE/target/consumer-out)" >&2
