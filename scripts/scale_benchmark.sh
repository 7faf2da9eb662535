#!/usr/bin/env bash
# Scale of the main job on plain tabular data: generates 20,000- and 200,000-row CSVs (5
# numeric features, 4 classes; seeded, with awk) and times `consort run --folds 3` on each
# (every member, out-of-fold pass, combiners, selection, reports). Prints wall time, time per
# row, and the 200k / 20k ratio of time per row (1.0 = linear).
# Usage: scripts/scale_benchmark.sh [ROWS...]   (default: 20000 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CONSORT_BACKEND=flex BURN_DEVICE=flex
cargo build --release -q -p consort-cli
bin="${CARGO_TARGET_DIR:-target}/release/consort"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=("${@:-20000 200000}")
read -r -a sizes <<<"${sizes[*]}"
first_per_row=""
for n in "${sizes[@]}"; do
  csv="$work/scale_$n.csv"
  awk -v n="$n" 'BEGIN {
    srand(42); print "f1,f2,f3,f4,f5,label";
    for (i = 0; i < n; i++) {
      a = rand() * 4 - 2; b = rand() * 4 - 2; c = rand() * 4 - 2; d = rand() * 4 - 2; e = rand();
      s = a + b + 0.8 * (rand() - 0.5); t = c - d + 0.8 * (rand() - 0.5);
      label = (s > 0 ? 1 : 0) + (t > 0 ? 2 : 0);
      printf "%.5f,%.5f,%.5f,%.5f,%.5f,c%d\n", a, b, c, d, e, label;
    }
  }' >"$csv"
  start=$(date +%s.%N)
  "$bin" run --data "$csv" --folds 3 --out "$work/runs" -q >"$work/table_$n.txt"
  end=$(date +%s.%N)
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  per_row=$(awk -v s="$secs" -v n="$n" 'BEGIN { printf "%.1f", s / n * 1e6 }')
  echo "rows $n: ${secs} s wall, ${per_row} us per row"
  grep -E "^\| (mlp|logistic|knn|weighted|stacking|cascade)" "$work/table_$n.txt" | cut -d'|' -f2,4,8,9 || true
  if [ -z "$first_per_row" ]; then first_per_row=$per_row; first_n=$n; fi
done
if [ "${#sizes[@]}" -gt 1 ]; then
  awk -v a="$first_per_row" -v b="$per_row" -v n0="$first_n" -v n1="$n" \
    'BEGIN { printf "time per row at %d rows / at %d rows: %.2f (1.0 = linear)\n", n1, n0, b / a }'
fi
