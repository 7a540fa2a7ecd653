"""Accuracy of the classifiers with their default settings, against baselines run alongside.

For each public UCR/UEA set that aeon ships (read offline by
``aeon.datasets.load_classification``; ``pip install ".[bench]"``) and each classifier, one
default-configured fit (``random_state=0``) on the archive's own train split, scored on its
test split. In the same run: 1-nearest-neighbour Euclidean distance, the majority class and a
logistic regression on the flattened series. Beside them, the published accuracy of deep
networks on the same split, with its source. Then the S&P 500 walk-forward of the main job
(``sktemporal train``'s settings) with its baselines.

Run::

    python benchmarks/bench_accuracy.py                      # every set, both classifiers
    python benchmarks/bench_accuracy.py --sets OSULeaf --classifiers lstm
    python benchmarks/bench_accuracy.py --no-market
    python benchmarks/bench_accuracy.py --augmentation       # and each fit with augmentation=True

Each fit prints a line as it ends; the table comes last.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import print_header  # noqa: E402

# Published test accuracies on the archive's default split. FCN and ResNet: Ismail Fawaz et
# al., "Deep learning for time series classification: a review", DMKD 2019, the mean of
# their repeated runs (dl-4-tsc, results/results-ucr-128.csv and results-uea); InceptionTime:
# Ismail Fawaz et al., DMKD 2020 (results-InceptionTime-128.csv); LITETime: Ismail-Fawaz et
# al., DSAA 2023 (results.csv of the LITE repository); ConvTran: Foumani et al., DMKD 2024
# ("Paper Results" of the ConvTran repository); TST: Zerveas et al., KDD 2021, as ConvTran
# reports it. Other bundled sets (e.g. GunPoint, ArrowHead) can be run with --sets; their
# published figures are not listed here.
PUBLISHED = {
    "OSULeaf": "FCN 0.979, ResNet 0.980, InceptionTime 0.942, LITETime 0.955",
    "ACSF1": "FCN 0.898, ResNet 0.916, InceptionTime 0.92",
    "JapaneseVowels": "ResNet 0.992, ConvTran 0.989, TST 0.984",
}
DEFAULT_SETS = ("OSULeaf", "ACSF1", "JapaneseVowels")
# Sets whose bundled release has unequal lengths: the archive's equal-length ("_eq") version.
EQUAL_LENGTH = {"JapaneseVowels"}


def load_set(name):
    """Train and test windows ``(n, timesteps, channels)`` and labels of a bundled set."""
    import numpy as np
    from aeon.datasets import load_classification

    kwargs = {"load_equal_length": True} if name in EQUAL_LENGTH else {}
    X_train, y_train = load_classification(name, split="train", **kwargs)
    X_test, y_test = load_classification(name, split="test", **kwargs)
    # aeon stores (n, channels, timesteps); sktemporal reads (n, timesteps, channels).
    X_train = np.asarray(X_train, dtype=np.float32).transpose(0, 2, 1)
    X_test = np.asarray(X_test, dtype=np.float32).transpose(0, 2, 1)
    return X_train, y_train, X_test, y_test


def baselines(X_train, y_train, X_test, y_test):
    """1-NN Euclidean, majority class and logistic regression on the flattened series."""
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    flat_train = X_train.reshape(len(X_train), -1)
    flat_test = X_test.reshape(len(X_test), -1)
    models = {
        "1-NN Euclidean": KNeighborsClassifier(n_neighbors=1),
        "majority": DummyClassifier(strategy="most_frequent"),
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    }
    return {
        name: float(model.fit(flat_train, y_train).score(flat_test, y_test))
        for name, model in models.items()
    }


def make_classifier(kind, **params):
    from sktemporal import AttentionLSTMClassifier, TransformerClassifier

    return (AttentionLSTMClassifier if kind == "lstm" else TransformerClassifier)(
        random_state=0, **params
    )


def fit_and_score(kind, params, X_train, y_train, X_test, y_test):
    """Accuracy, fit seconds and epochs of one fit."""
    clf = make_classifier(kind, **params)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    return type(clf).__name__, float(clf.score(X_test, y_test)), fit_seconds, clf.n_iter_


def run_set(name, kinds, params, augmentation=False):
    X_train, y_train, X_test, y_test = load_set(name)
    rows = []
    base = baselines(X_train, y_train, X_test, y_test)
    shape = (
        f"{len(X_train)} train / {len(X_test)} test, {X_train.shape[1]} steps x "
        f"{X_train.shape[2]} channels, {len(set(y_train))} classes"
    )
    print(f"-- {name}: {shape}; baselines {json.dumps({k: round(v, 3) for k, v in base.items()})}")
    for kind in kinds:
        classifier, accuracy, fit_seconds, epochs = fit_and_score(
            kind, params, X_train, y_train, X_test, y_test
        )
        row = {
            "set": name,
            "classifier": classifier,
            "accuracy": accuracy,
            **base,
            "published": PUBLISHED.get(name, "—"),
            "fit_seconds": fit_seconds,
            "epochs": epochs,
            "load": os.getloadavg()[0],
        }
        print(
            f"   {classifier}: accuracy {accuracy:.3f} (1-NN {base['1-NN Euclidean']:.3f})"
            f", fit {fit_seconds:.0f} s, {epochs} epochs, load {row['load']:.1f}",
            flush=True,
        )
        if augmentation:
            _, accuracy, fit_seconds, epochs = fit_and_score(
                kind, {**params, "augmentation": True}, X_train, y_train, X_test, y_test
            )
            row.update(augmented_accuracy=accuracy, augmented_fit_seconds=fit_seconds)
            print(
                f"   {classifier}, augmentation=True: accuracy {accuracy:.3f}, fit "
                f"{fit_seconds:.0f} s, {epochs} epochs, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        rows.append(row)
    return rows


def run_market(kinds, augmentation=False):
    """The main job's walk-forward (``sktemporal train``'s defaults) with its baselines."""
    from sktemporal.cli import DEFAULT_ENSEMBLE_HEADS, DEFAULT_EPOCHS, DEFAULT_PATIENCE
    from sktemporal.market.datasets import load_sp500
    from sktemporal.market.walk_forward import walk_forward_evaluate

    rows = []
    settings = [(kind, False) for kind in kinds]
    if augmentation:
        settings += [(kind, True) for kind in kinds]
    for kind, augmented in settings:
        clf = make_classifier(
            kind,
            epochs=DEFAULT_EPOCHS,
            patience=DEFAULT_PATIENCE,
            ensemble_heads=DEFAULT_ENSEMBLE_HEADS,
            augmentation=augmented,
        )
        start = time.perf_counter()
        result = walk_forward_evaluate(load_sp500(), clf, refit=False)
        seconds = time.perf_counter() - start
        summary = result.summary()
        name = type(clf).__name__ + (", augmentation=True" if augmented else "")
        row = {"classifier": name, "seconds": seconds}
        for method in result.names:
            for metric in ("accuracy", "balanced_accuracy", "log_loss"):
                row[f"{method} {metric}"] = (
                    float(summary.loc[method, (metric, "mean")]),
                    float(summary.loc[method, (metric, "std")]),
                )
        row["epochs"] = [fold.n_iter for fold in result.folds]
        print(f"-- S&P 500 walk-forward, {row['classifier']}: {seconds:.0f} s", flush=True)
        rows.append(row)
    return rows


def print_tables(rows, market_rows):
    augmented = any("augmented_accuracy" in r for r in rows)
    if rows:
        print(
            "\n| set | classifier | accuracy | "
            + ("with augmentation=True (fit) | " if augmented else "")
            + "1-NN Euclidean | majority | logistic regression "
            "| published deep learning | fit | epochs |"
        )
        print("|---|---|---|" + ("---|" if augmented else "") + "---|---|---|---|---|---|")
        for r in rows:
            extra = (
                f"{r['augmented_accuracy']:.3f} ({r['augmented_fit_seconds']:.0f} s) | "
                if augmented
                else ""
            )
            print(
                f"| {r['set']} | {r['classifier']} | **{r['accuracy']:.3f}** | {extra}"
                f"{r['1-NN Euclidean']:.3f} | {r['majority']:.3f} | "
                f"{r['logistic regression']:.3f} | {r['published']} | {r['fit_seconds']:.0f} s "
                f"(load {r['load']:.1f}) | {r['epochs']} |"
            )
    for r in market_rows:
        print(
            f"\nS&P 500 walk-forward, {r['classifier']} ({r['seconds']:.0f} s; epochs per fold "
            f"{r['epochs']}), mean ± std over 5 folds:"
        )
        print("| method | accuracy | balanced accuracy | log loss |")
        print("|---|---|---|---|")
        for method in ("model", "majority", "persistence", "logistic_regression"):
            cells = [r[f"{method} {m}"] for m in ("accuracy", "balanced_accuracy", "log_loss")]
            print(f"| {method} | " + " | ".join(f"{m:.3f} ± {s:.3f}" for m, s in cells) + " |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=list(DEFAULT_SETS))
    parser.add_argument(
        "--classifiers",
        nargs="*",
        default=["lstm", "transformer"],
        choices=["lstm", "transformer"],
    )
    parser.add_argument("--no-market", action="store_true", help="skip the S&P 500 walk-forward")
    parser.add_argument(
        "--params", default="{}", help="JSON of classifier parameters to override (default: none)"
    )
    parser.add_argument(
        "--augmentation",
        action="store_true",
        help="fit every classifier a second time with augmentation=True, in the same run",
    )
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    print_header("Accuracy with default settings (random_state=0), baselines in the same run")
    params = json.loads(args.params)
    if params:
        print(f"   overriding defaults: {params}")
    rows = [
        row
        for name in args.sets
        for row in run_set(name, args.classifiers, params, args.augmentation)
    ]
    market_rows = [] if args.no_market else run_market(args.classifiers, args.augmentation)
    print_tables(rows, market_rows)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"sets": rows, "market": market_rows}, file, indent=1)


if __name__ == "__main__":
    main()
