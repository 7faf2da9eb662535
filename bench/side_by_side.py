#!/usr/bin/env python3
"""The reference half of the side-by-side harness: the work of Consort's
`side_by_side` and `training` criterion benches, in PyTorch and scikit-learn, on this
machine, in this run. Reads Consort's criterion medians, prints each pair with its ratio
(Consort time / reference time: below 1 is faster) and writes a JSON of the run.

Written for torch 2.15 and scikit-learn 1.9.1 (pip install torch==2.15.* scikit-learn==1.9.1);
run through bench/side_by_side.sh. Both libraries get the same 2 threads as CI's machine
(CONSORT_BENCH_THREADS overrides). Where torch or scikit-learn is missing, its rows show
Consort's figure alone.
"""
import json
import os
import platform
import statistics
import sys
import time

THREADS = int(os.environ.get("CONSORT_BENCH_THREADS", "2"))
# The reference side is measured in several rounds (each row's median per round) and each row
# reports the median of its round medians: PyTorch's epoch times on a shared 2-core machine
# moved by up to 2x between back-to-back runs of one round.
ROUNDS = int(os.environ.get("CONSORT_BENCH_ROUNDS", "3"))
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRITERION = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "criterion")
PINNED = {"torch": "2.15", "sklearn": "1.9.1"}


def consort_ms(bench_id):
    """Criterion's median of a bench, in milliseconds (None when it did not run)."""
    path = os.path.join(CRITERION, *bench_id.split("/"), "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e6


def median_ms(run, repeats, warmup=1):
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def digits_split():
    """The digits set's sizes as Consort splits it: 1,346 training and 451 test rows, standardised."""
    data = np.loadtxt(os.path.join(ROOT, "crates/consort-data/data/digits.csv"), delimiter=",", skiprows=1)
    x, y = data[:, :-1].astype(np.float32), data[:, -1].astype(np.int64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    n_test = 451
    test, train = order[:n_test], order[n_test:]
    mean, std = x[train].mean(0), x[train].std(0)
    std[std == 0] = 1
    x = (x - mean) / std
    return x[train], y[train], x[test], y[test]


def torch_rows(xtr, ytr, xte):
    import torch
    from torch import nn

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    rows = {}

    def mlp(n_in, hidden):
        layers, width = [], n_in
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        return nn.Sequential(*layers, nn.Linear(width, 10))

    def cnn(side):
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * (side // 2) ** 2, 128), nn.ReLU(), nn.Linear(128, 10))

    def epoch(make, x, y, batch):
        """One epoch from fresh weights, as Consort's bench times it: Adam, lr 1e-3, shuffled batches."""
        def run():
            model = make()
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            order = torch.randperm(len(x))
            for i in range(0, len(x), batch):
                idx = order[i:i + batch]
                opt.zero_grad()
                nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
        return run

    x8 = torch.from_numpy(xtr)
    y8 = torch.from_numpy(ytr)
    gen = torch.Generator().manual_seed(1)
    x28 = torch.rand(2048, 1, 28, 28, generator=gen) * 2 - 1
    y28 = torch.randint(0, 10, (2048,), generator=gen)
    wide_x = torch.rand(20_000, 256, generator=gen) * 2 - 1
    wide_y = torch.randint(0, 10, (20_000,), generator=gen)

    rows["mlp_digits_epoch_b64"] = median_ms(epoch(lambda: mlp(64, [256, 256]), x8, y8, 64), 10)
    img8 = x8.reshape(-1, 1, 8, 8)
    rows["cnn_digits_epoch_b64"] = median_ms(epoch(lambda: cnn(8), img8, y8, 64), 10)
    rows["cnn_digits_epoch_b256"] = median_ms(epoch(lambda: cnn(8), img8, y8, 256), 10)
    rows["cnn28_epoch_b64"] = median_ms(epoch(lambda: cnn(28), x28, y28, 64), 5)
    rows["cnn28_epoch_b256"] = median_ms(epoch(lambda: cnn(28), x28, y28, 256), 5)

    test = torch.from_numpy(xte)
    for name, model, inputs in [
        ("mlp_predict_451", mlp(64, [256, 256]), test),
        ("cnn_predict_451", cnn(8), test.reshape(-1, 1, 8, 8)),
    ]:
        model.eval()

        def predict(model=model, inputs=inputs):
            with torch.no_grad():
                model(inputs).softmax(dim=1).numpy()
        rows[name] = median_ms(predict, 50, warmup=5)

    rows["mlp512_epoch_b512"] = median_ms(epoch(lambda: mlp(256, [512, 512]), wide_x, wide_y, 512), 5)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    rows["sgemm_1024"] = median_ms(lambda: a @ b, 20, warmup=3)
    return rows, torch.__version__


def sklearn_rows(xtr, ytr):
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    rows = {
        "logistic_regression_fit": median_ms(lambda: LogisticRegression(max_iter=1000).fit(xtr, ytr), 5),
        "decision_tree_depth10_fit": median_ms(
            lambda: DecisionTreeClassifier(max_depth=10, random_state=0).fit(xtr, ytr), 10),
    }
    return rows, sklearn.__version__


# (label, Consort's criterion id, reference row key, reference library)
PAIRS = [
    ("MLP 64-256-256-10 epoch, batch 64", "side_by_side/mlp_digits_epoch_b64", "mlp_digits_epoch_b64", "torch"),
    ("digits CNN epoch, batch 64", "side_by_side/cnn_digits_epoch_b64", "cnn_digits_epoch_b64", "torch"),
    ("digits CNN epoch, batch 256", "side_by_side/cnn_digits_epoch_b256", "cnn_digits_epoch_b256", "torch"),
    ("28x28 CNN epoch (2,048 images), batch 64", "side_by_side/cnn28_epoch_b64", "cnn28_epoch_b64", "torch"),
    ("28x28 CNN epoch (2,048 images), batch 256", "side_by_side/cnn28_epoch_b256", "cnn28_epoch_b256", "torch"),
    ("MLP predict, 451 rows", "side_by_side/mlp_predict_451", "mlp_predict_451", "torch"),
    ("CNN predict, 451 rows", "side_by_side/cnn_predict_451", "cnn_predict_451", "torch"),
    ("MLP 256-512-512-10 epoch, 20,000 rows, batch 512", "side_by_side/mlp512_epoch_b512", "mlp512_epoch_b512", "torch"),
    ("f32 matrix product 1024x1024x1024", "side_by_side/sgemm_1024", "sgemm_1024", "torch"),
    ("logistic regression fit (digits)", "small_model_digits/logistic_regression_fit", "logistic_regression_fit", "sklearn"),
    ("decision tree fit, depth 10 (digits)", "small_model_digits/decision_tree_depth10_fit", "decision_tree_depth10_fit", "sklearn"),
]


def mlp512_flops_per_epoch():
    """FLOPs of one epoch of the 256-512-512-10 MLP over 20,000 rows: the forward product, the
    weight gradients and the input gradients of every layer but the first (2 per MAC)."""
    macs = [256 * 512, 512 * 512, 512 * 10]
    per_row = 2 * sum(macs) + 2 * sum(macs) + 2 * sum(macs[1:])
    return 20_000 * per_row


def main():
    xtr, ytr, xte, _ = digits_split()
    reference, spread, versions = {}, {}, {}
    for lib, run in [("torch", lambda: torch_rows(xtr, ytr, xte)), ("sklearn", lambda: sklearn_rows(xtr, ytr))]:
        rounds = []
        try:
            for r in range(ROUNDS):
                print(f"{lib}: round {r + 1} of {ROUNDS}", flush=True)
                rows, version = run()
                rounds.append(rows)
        except ImportError as err:
            print(f"{lib} not installed ({err}): pip install {lib if lib == 'torch' else 'scikit-learn'}=={PINNED[lib]}")
            continue
        if not version.startswith(PINNED[lib]):
            print(f"note: {lib} {version} installed; the harness was written for {PINNED[lib]}")
        for key in rounds[0]:
            values = [r[key] for r in rounds]
            reference[(lib, key)] = statistics.median(values)
            spread[(lib, key)] = (min(values), max(values))
        versions[lib] = version

    results = []
    print(f"\n{'work':52} {'Consort':>11} {'reference':>11} {'ratio':>7}  reference (round medians)")
    for label, bench_id, key, lib in PAIRS:
        ours, theirs = consort_ms(bench_id), reference.get((lib, key))
        ratio = ours / theirs if ours is not None and theirs else None
        fmt = lambda v: f"{v:9.3f} ms" if v is not None else f"{'-':>11}"
        name = {"torch": "PyTorch", "sklearn": "scikit-learn"}[lib]
        lo, hi = spread.get((lib, key), (None, None))
        rng = f" ({lo:.3g}-{hi:.3g} ms)" if lo is not None else ""
        print(f"{label:52} {fmt(ours)} {fmt(theirs)} {'-' if ratio is None else f'{ratio:.2f}':>7}  {name}{rng}")
        results.append({"work": label, "consort_ms": ours, "reference_ms": theirs, "ratio": ratio,
                        "reference": name, "reference_round_range_ms": [lo, hi], "bench": bench_id})

    overhead = {}
    for net in ["mlp", "cnn"]:
        full, bare = consort_ms(f"side_by_side/{net}_predict_451"), consort_ms(f"side_by_side/{net}_forward_451")
        if full and bare:
            overhead[net] = {"predict_ms": full, "forward_ms": bare}
            print(f"{net.upper()} predict of 451 rows: {full:.3f} ms through the Classifier API, "
                  f"{bare:.3f} ms for the bare forward pass and softmax ({full / bare:.2f}x)")

    peak = {}
    for who, ms in [("consort", consort_ms("side_by_side/sgemm_1024")), ("torch", reference.get(("torch", "sgemm_1024")))]:
        if ms:
            peak[who] = 2 * 1024 ** 3 / (ms / 1e3) / 1e9
    epoch = consort_ms("side_by_side/mlp512_epoch_b512")
    share = None
    if peak and epoch:
        best = max(peak.values())
        achieved = mlp512_flops_per_epoch() / (epoch / 1e3) / 1e9
        share = achieved / best
        print(f"\nmatrix-product peak (best of {', '.join(f'{k} {v:.0f}' for k, v in peak.items())} GFLOP/s): "
              f"the batch-512 MLP epoch runs at {achieved:.0f} GFLOP/s = {100 * share:.0f}% of it")

    report = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "threads": THREADS},
        "versions": {**versions, "python": platform.python_version()},
        "reference_rounds": ROUNDS,
        "rows": results,
        "prediction_overhead": overhead,
        "matmul_peak_gflops": peak,
        "mlp512_share_of_peak": share,
    }
    out = os.path.join(ROOT, "target", "side_by_side.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(report, f, indent=2)
    print(f"\nwrote {os.path.relpath(out, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
