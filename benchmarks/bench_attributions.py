"""Is attention an explanation? Attributions against known ground truth, and their faithfulness.

Two measurements, after Ismail et al., "Benchmarking deep learning interpretability in time
series predictions" (NeurIPS 2020) and Turbé et al., "Evaluation of post-hoc interpretability
methods in time-series classification" (Nature Machine Intelligence, 2023, InterpretTime):

1. **Ground truth.** Synthetic windows (50 steps x 5 features, N(0, 1) noise) in which the cells
   that decide the class are known:

   - ``box``: a box of 10 steps x 2 features at a random place in time, shifted by +1 (class 1)
     or -1 (class 0); Ismail et al.'s "moving middle".
   - ``shape``: in feature 2 only, at a random place, a 15-step shape that depends on the
     class (a bump, or one period of a sine), amplitude 2; the other features are noise.
   - ``spread``: feature 0 shifted by +0.4 or -0.4 over all 50 steps: no step decides alone.

   Both classifiers are trained with their defaults (``random_state=0``). For each method
   (attention, occlusion, integrated gradients, random) the cells of each test window are
   ranked by the absolute attribution and compared with the informative cells:
   ``P@k`` is the precision of the top k cells, k the number of informative cells of the
   window (so it is also the recall); ``AUP`` and ``AUR`` are the mean precision and recall of
   the top k cells over k = 1 ... all cells (the areas under the precision and recall curves
   of Ismail et al., taken over ranks rather than over thresholds of normalised saliency);
   ``steps P@k`` ranks time steps (the sum over features) against the steps that hold an
   informative cell. Attention is one weight per time step
   (``get_attention_weights``), broadcast over the features, ties broken at random: on cells
   it cannot tell features apart, which the steps column does not ask of it.
2. **Faithfulness on real data.** On JapaneseVowels (UEA, 12 channels, the equal-length
   version, 25 steps), each test window's top-ranked 10 %, 20 % and 30 % of time steps are
   replaced by the training mean, and the drop of the predicted class's probability is
   compared with that of removing as many random steps (InterpretTime's idea). Occlusion
   with one-step patches measures this very perturbation, so it is favoured here.

The data set is read from the ``.ts`` files that the aeon package ships (``pip install
aeon``), parsed here so that aeon's own dependencies (numba) are not needed.

Run (slow on a few CPU cores: each default fit is at least 1000 gradient steps)::

    nice python benchmarks/bench_attributions.py --quick   # 300 windows, 50 attributed
    nice python benchmarks/bench_attributions.py           # 600 windows, 100 attributed
    python benchmarks/bench_attributions.py --sets box --classifiers lstm --no-real
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from _common import load_average, print_header  # noqa: E402

N_TIMESTEPS, N_FEATURES = 50, 5
SETS = ("box", "shape", "spread")
METHODS = ("attention", "occlusion", "integrated_gradients", "random")
REMOVED_SHARES = (0.1, 0.2, 0.3)


def uptime():
    """The ``uptime`` line (load averages), or the load from os.getloadavg."""
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"load average: {load_average()}"


# ---------------------------------------------------------------------- synthetic sets


def make_set(kind, n_samples, seed):
    """Windows, labels and a boolean mask of the informative cells, all of ``n_samples``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, N_TIMESTEPS, N_FEATURES))
    y = rng.integers(0, 2, n_samples)
    truth = np.zeros(X.shape, dtype=bool)
    sign = np.where(y == 1, 1.0, -1.0)
    if kind == "box":
        length, features = 10, [1, 3]
        starts = rng.integers(0, N_TIMESTEPS - length + 1, n_samples)
        for i, start in enumerate(starts):
            X[i, start : start + length, features] += sign[i]
            truth[i, start : start + length, features] = True
    elif kind == "shape":
        length, feature = 15, 2
        phase = np.linspace(0, 1, length)
        shapes = {0: np.sin(2 * np.pi * phase), 1: np.sin(np.pi * phase)}
        starts = rng.integers(0, N_TIMESTEPS - length + 1, n_samples)
        for i, start in enumerate(starts):
            X[i, start : start + length, feature] += 2.0 * shapes[y[i]]
            truth[i, start : start + length, feature] = True
    elif kind == "spread":
        X[:, :, 0] += 0.4 * sign[:, None]
        truth[:, :, 0] = True
    else:
        raise ValueError(f"Unknown set {kind!r}; choose from {SETS}.")
    return X.astype(np.float32), y, truth


# ---------------------------------------------------------------------- attributions


def attribution_maps(clf, X, n_steps, rng):
    """Each method's map of shape (n, timesteps, n_features), and the seconds it took."""
    from sktemporal.inspection import attributions

    maps, times = {}, {}
    for method in METHODS:
        start = time.perf_counter()
        if method == "attention":
            weights = clf.get_attention_weights(X)  # per time step: broadcast over features
            maps[method] = np.repeat(weights[:, :, None], X.shape[2], axis=2)
        elif method == "random":
            maps[method] = rng.random(X.shape)
        else:
            maps[method] = attributions(clf, X, method=method, n_steps=n_steps)
        times[method] = time.perf_counter() - start
    return maps, times


def ranking_scores(importance, truth, rng):
    """P@k, AUP and AUR of cells ranked by ``|importance|``, averaged over windows.

    Ties (attention's features of one step) are broken at random.
    """
    n = len(importance)
    flat = np.abs(importance.reshape(n, -1))
    jitter = rng.random(flat.shape) * 1e-12 * (flat.max(axis=1, keepdims=True) + 1e-30)
    order = np.argsort(-(flat + jitter), axis=1, kind="stable")
    hits = np.take_along_axis(truth.reshape(n, -1), order, axis=1)
    found = np.cumsum(hits, axis=1)
    n_true = hits.sum(axis=1)
    ranks = np.arange(1, flat.shape[1] + 1)
    precision, recall = found / ranks, found / n_true[:, None]
    at_k = found[np.arange(n), n_true - 1] / n_true
    return at_k.mean(), precision.mean(), recall.mean()


def step_precision(importance, truth, rng):
    """P@k of time steps ranked by the sum of |importance| over features.

    NaN when every step holds an informative cell: any ranking scores 1 then.
    """
    if truth.any(axis=2).all():
        return float("nan")
    steps = np.abs(importance).sum(axis=2)
    return ranking_scores(steps[:, :, None], truth.any(axis=2)[:, :, None], rng)[0]


# ---------------------------------------------------------------------- faithfulness


def read_ts(path):
    """Windows (n, timesteps, channels) and labels of an equal-length ``.ts`` file."""
    rows, labels, in_data = [], [], False
    with open(path, encoding="utf-8") as file:
        for line in file:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if in_data:
                *channels, label = line.split(":")
                rows.append(
                    [[float(v.replace("?", "nan")) for v in c.split(",")] for c in channels]
                )
                labels.append(label)
            elif line.lower().startswith("@data"):
                in_data = True
    return np.asarray(rows, dtype=np.float32).transpose(0, 2, 1), np.asarray(labels)


def load_real(name="JapaneseVowels"):
    spec = importlib.util.find_spec("aeon")
    if spec is None:
        return None
    folder = os.path.join(os.path.dirname(spec.origin), "datasets", "data", name)
    suffix = "_eq" if name == "JapaneseVowels" else ""
    train = read_ts(os.path.join(folder, f"{name}{suffix}_TRAIN.ts"))
    test = read_ts(os.path.join(folder, f"{name}{suffix}_TEST.ts"))
    return (*train, *test)


def removal_drops(clf, X, maps, mean, rng):
    """Mean drop of the predicted class's probability when the top steps are set to ``mean``."""
    probabilities = clf.predict_proba(X)
    predicted = probabilities.argmax(axis=1)
    rows = np.arange(len(X))
    before = probabilities[rows, predicted]
    drops = {}
    for method, importance in maps.items():
        steps = np.abs(importance).sum(axis=2)
        steps = steps + rng.random(steps.shape) * 1e-12 * (steps.max() + 1e-30)
        order = np.argsort(-steps, axis=1)
        for share in REMOVED_SHARES:
            m = max(1, round(share * X.shape[1]))
            removed = X.copy()
            for i in rows:
                removed[i, order[i, :m]] = mean
            after = clf.predict_proba(removed)[rows, predicted]
            drops[method, share] = float(np.mean(before - after))
    return drops


# ---------------------------------------------------------------------- run


def make_classifier(name):
    from sktemporal import AttentionLSTMClassifier, TransformerClassifier

    cls = {"lstm": AttentionLSTMClassifier, "transformer": TransformerClassifier}[name]
    return cls(random_state=0)  # every other parameter at its default


def fit_timed(name, X, y):
    start = time.perf_counter()
    clf = make_classifier(name).fit(X, y)
    return clf, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 windows, 50 attributed")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--classifiers", nargs="+", default=["lstm", "transformer"])
    parser.add_argument("--no-real", action="store_true", help="skip the JapaneseVowels test")
    parser.add_argument("--ig-steps", type=int, default=None)
    args = parser.parse_args(argv)
    n_train, n_eval = (300, 50) if args.quick else (600, 100)
    n_steps = args.ig_steps or (20 if args.quick else 50)

    print_header("Attributions against known ground truth, and their faithfulness")
    print(
        f"   {n_train} training windows of {N_TIMESTEPS} x {N_FEATURES}, {n_eval} attributed; "
        f"integrated gradients with {n_steps} Gauss-Legendre points; baseline: training mean"
    )
    print(f"   {uptime()}", flush=True)
    rng = np.random.default_rng(0)
    rows = []
    for kind in args.sets:
        X, y, _ = make_set(kind, n_train, seed=1)
        X_test, y_test, truth = make_set(kind, n_eval, seed=2)
        for name in args.classifiers:
            clf, fit_seconds = fit_timed(name, X, y)
            accuracy = float((clf.predict(X_test) == y_test).mean())
            maps, times = attribution_maps(clf, X_test, n_steps, rng)
            for method in METHODS:
                at_k, aup, aur = ranking_scores(maps[method], truth, rng)
                steps = step_precision(maps[method], truth, rng)
                rows.append((kind, name, accuracy, method, at_k, aup, aur, steps, times[method]))
                print(
                    f"   {kind:7s} {name:11s} acc {accuracy:.3f} {method:21s} P@k {at_k:.3f} "
                    f"AUP {aup:.3f} AUR {aur:.3f} steps P@k {steps:.3f} "
                    f"({times[method]:.1f} s; fit {fit_seconds:.0f} s)",
                    flush=True,
                )
        print(f"   {uptime()}", flush=True)

    print("\n| set | classifier | test acc. | method | P@k | AUP | AUR | steps P@k | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, name, accuracy, method, at_k, aup, aur, steps, seconds in rows:
        print(
            f"| {kind} | {name} | {accuracy:.3f} | {method} | {at_k:.3f} | {aup:.3f} | "
            f"{aur:.3f} | {steps:.3f} | {seconds:.1f} |"
        )
    print(f"\n{uptime()}", flush=True)

    if args.no_real:
        return
    real = load_real()
    if real is None:
        print("\nJapaneseVowels: aeon is not installed (pip install aeon); faithfulness skipped.")
        return
    X, y, X_test, y_test = real
    # The test file is sorted by class: draw a random subset.
    chosen = np.sort(rng.choice(len(X_test), size=min(2 * n_eval, len(X_test)), replace=False))
    X_test, y_test = X_test[chosen], y_test[chosen]
    print(
        f"\nFaithfulness, JapaneseVowels: {len(X)} training windows of {X.shape[1]} x "
        f"{X.shape[2]}, {len(X_test)} test windows; top steps replaced by the training mean"
    )
    print("\n| classifier | test acc. | method | drop 10 % | drop 20 % | drop 30 % |")
    print("|---|---|---|---|---|---|")
    for name in args.classifiers:
        clf, fit_seconds = fit_timed(name, X, y)
        accuracy = float((clf.predict(X_test) == y_test).mean())
        maps, _ = attribution_maps(clf, X_test, n_steps, rng)
        drops = removal_drops(clf, X_test, maps, X.mean(axis=(0, 1)), rng)
        for method in METHODS:
            cells = " | ".join(f"{drops[method, share]:.3f}" for share in REMOVED_SHARES)
            print(f"| {name} | {accuracy:.3f} | {method} | {cells} |", flush=True)
    print(f"\n{uptime()}", flush=True)


if __name__ == "__main__":
    main()
