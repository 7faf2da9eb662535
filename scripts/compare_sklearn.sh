#!/usr/bin/env bash
# Consort against scikit-learn on the same digits split (stratified 75/25, seed 0), measured
# in one run on this machine: fit time of the random forest and histogram gradient boosting,
# predict time of 5-nearest-neighbours (scikit-learn's brute force) on the 451 test rows.
# Needs python3 with scikit-learn (pip install scikit-learn). Prints both and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONSORT_BACKEND=flex BURN_DEVICE=flex
filter='small_model_digits/((random_forest_100|hist_gradient_boosting_100)_fit|knn_k5_predict)$'
cargo bench -p consort-tune --bench training -- "$filter" >/dev/null
median_ms() {
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['median']['point_estimate']/1e6)" \
    "${CARGO_TARGET_DIR:-target}/criterion/small_model_digits/$1/new/estimates.json"
}
forest=$(median_ms random_forest_100_fit)
boost=$(median_ms hist_gradient_boosting_100_fit)
knn=$(median_ms knn_k5_predict)
python3 - "$forest" "$boost" "$knn" <<'PY'
import sys, time, numpy as np, sklearn
from sklearn.ensemble import RandomForestClassifier, HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
data = np.loadtxt("crates/consort-data/data/digits.csv", delimiter=",", skiprows=1)
x, y = data[:, :-1], data[:, -1].astype(int)
xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
def fit_ms(make, repeats=5):
    times = []
    for _ in range(repeats):
        model = make()
        t = time.perf_counter(); model.fit(xtr, ytr); times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times)), model.score(xte, yte)
rf_ms, rf_acc = fit_ms(lambda: RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=0))
hgb_ms, hgb_acc = fit_ms(lambda: HistGradientBoostingClassifier(early_stopping=False, random_state=0))
from sklearn.neighbors import KNeighborsClassifier
knn = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(xtr, ytr)
times = []
for _ in range(20):
    t = time.perf_counter(); knn.predict_proba(xte); times.append(time.perf_counter() - t)
knn_ms = 1e3 * float(np.median(times))
ours_rf, ours_hgb, ours_knn = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"scikit-learn {sklearn.__version__}, digits train split ({len(ytr)} rows), median fit time")
print(f"random forest (100 trees):  consort {ours_rf:8.1f} ms   scikit-learn {rf_ms:8.1f} ms (acc {rf_acc:.4f})   ratio {ours_rf / rf_ms:.2f}")
print(f"hist gradient boosting:     consort {ours_hgb:8.1f} ms   scikit-learn {hgb_ms:8.1f} ms (acc {hgb_acc:.4f})   ratio {ours_hgb / hgb_ms:.2f}")
print(f"knn (k=5) predict, 451 rows: consort {ours_knn:8.2f} ms   scikit-learn {knn_ms:8.2f} ms (brute)            ratio {ours_knn / knn_ms:.2f}")
PY
