#!/usr/bin/env bash
# Run every benchmark, one after the other, under one Xvfb display; their JSON lines go to
# stdout (and to the file given as $1), what else they print to stderr. Compare the
# figures with the README's table. Run on a quiet machine: the figures are wall-clock.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-/dev/null}"
: > "$out"
failed=0
for script in benchmarks/*.py; do
  name="$(basename "$script" .py)"
  [ "$name" = display_candidates ] && continue  # a module camera.py --compare imports
  echo "== $name" >&2
  if ! xvfb-run -a .venv/bin/python "$script" | tee -a "$out"; then
    echo "benchmark $name failed" >&2
    failed=1
  fi
done
exit "$failed"
