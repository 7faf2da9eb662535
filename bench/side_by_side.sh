#!/usr/bin/env bash
# Consort next to PyTorch and scikit-learn on the same work, in one run on this machine.
#
#   bash bench/side_by_side.sh
#
# Runs Consort's criterion benches (`side_by_side`: network epochs, prediction, the batch-512
# MLP and the matrix-product peak; `training`: the logistic-regression and tree fits), then
# bench/side_by_side.py, which repeats the work in torch 2.15 and scikit-learn 1.9.1 with the
# same thread count (2, like CI; CONSORT_BENCH_THREADS overrides), prints each pair with its
# ratio and writes target/side_by_side.json. Install the reference side with
#   pip install torch==2.15.* scikit-learn==1.9.1
# Without it, Consort's figures are printed alone. Run it on an idle machine: a build or a
# test run alongside skews both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONSORT_BACKEND=flex BURN_DEVICE=flex
threads=${CONSORT_BENCH_THREADS:-2}
export RAYON_NUM_THREADS=$threads
log=target/side_by_side.log
mkdir -p target
echo "Consort's benches (criterion's output: $log)..."
cargo bench -p consort-tune --bench side_by_side >"$log" 2>&1
cargo bench -p consort-tune --bench training -- \
  'small_model_digits/(logistic_regression|decision_tree_depth10)_fit$' >>"$log" 2>&1
echo "the same work in PyTorch and scikit-learn..."
python3 bench/side_by_side.py
