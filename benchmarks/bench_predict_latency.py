"""Prediction latency of AttentionLSTMClassifier.predict_proba against Keras' own calls.

The seed-sized network (BiLSTM(128) → BiLSTM(64) → attention → Dense(64) → softmax) is
fitted for one epoch on random windows of 30×31 (the weights do not change the timings), then:

1. One window, ``--calls`` (300) calls of each, interleaved call by call: ``predict_proba``
   on a float32 window and on one row of ``SlidingWindowTransformer``'s float64 view, against
   ``model.predict`` and ``model.predict_on_batch`` on the float32 window. Every call gets one
   untimed warm-up first, which traces its function. Target: ours ≤ 5 ms median.
2. ``--batch`` (5000) windows, ``--repeats`` (5) rounds, order rotated: ``predict_proba`` on
   the float32 array and on the view, against ``model.predict`` (its default batch of 32) on the
   float32 array. Target: ours no slower than ``model.predict``.

Run: ``python benchmarks/bench_predict_latency.py`` (about 2 minutes on 2 cores).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL before Keras is imported)
import numpy as np  # noqa: E402


def fitted_classifier(view, y):
    from sktemporal import AttentionLSTMClassifier

    clf = AttentionLSTMClassifier(epochs=1, validation_fraction=0, patience=None, random_state=0)
    return clf.fit(view[:256], y[:256])


def timed(function, calls, rounds):
    """Call each function of ``calls`` ``rounds`` times, interleaved; seconds per call."""
    times = {name: [] for name in calls}
    for round_ in range(rounds):
        for name in _common.rotated(list(calls), round_):
            start = time.perf_counter()
            function(calls[name])
            times[name].append(time.perf_counter() - start)
    return times


def percentile(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="single-window calls each (300)")
    parser.add_argument("--batch", type=int, default=5000, help="windows in the batch test")
    parser.add_argument("--repeats", type=int, default=5, help="batch rounds (5)")
    args = parser.parse_args(argv)

    from sktemporal import SlidingWindowTransformer

    _common.print_header("predict latency: predict_proba vs model.predict / predict_on_batch")
    rng = np.random.default_rng(0)
    table = rng.normal(size=(args.batch, 31))
    view = SlidingWindowTransformer(sequence_length=30).fit_transform(table)
    dense = np.ascontiguousarray(view, dtype=np.float32)
    y = rng.integers(0, 3, size=args.batch)
    clf = fitted_classifier(view, y)
    model = clf.model_

    one32, one_view = dense[-1:], view[-1:]
    single = {
        "ours_f32": lambda: clf.predict_proba(one32),
        "ours_view": lambda: clf.predict_proba(one_view),
        "model.predict": lambda: model.predict(one32, verbose=0),
        "predict_on_batch": lambda: model.predict_on_batch(one32),
    }
    first = {}
    for name, call in single.items():  # warm up: each call traces once
        start = time.perf_counter()
        call()
        first[name] = time.perf_counter() - start
    assert np.allclose(clf.predict_proba(one32), model.predict_on_batch(one32), atol=1e-6)

    times = timed(lambda call: call(), single, args.calls)
    print(f"\n1. one window of 30x31, {args.calls} interleaved calls each")
    print(
        f"{'call':18s} {'median':>9s} {'p10':>9s} {'p90':>9s} {'vs ours':>8s} {'first call':>11s}"
    )
    ours = _common.median(times["ours_f32"])
    for name in single:
        m = _common.median(times[name])
        print(
            f"{name:18s} {_common.seconds(m):>9s} "
            f"{_common.seconds(percentile(times[name], 10)):>9s} "
            f"{_common.seconds(percentile(times[name], 90)):>9s} {m / ours:7.2f}x "
            f"{_common.seconds(first[name]):>11s}"
        )
    worst = max(_common.median(times["ours_f32"]), _common.median(times["ours_view"]))
    print(
        f"target ours <= 5 ms median: {'met' if worst <= 5e-3 else 'NOT met'} "
        f"({_common.seconds(worst)}); predict_proba costs "
        f"{_common.seconds(ours - _common.median(times['predict_on_batch']))} over "
        "predict_on_batch (validation, cast, float64 output)"
    )

    batch = {
        "ours_f32": lambda: clf.predict_proba(dense),
        "ours_view": lambda: clf.predict_proba(view),
        "model.predict": lambda: model.predict(dense, verbose=0),
    }
    for call in batch.values():  # warm up
        call()
    times = timed(lambda call: call(), batch, args.repeats)
    print(f"\n2. {args.batch} windows, {args.repeats} rounds, order rotated")
    base = _common.median(times["model.predict"])
    print(f"{'call':18s} {'median':>9s} {'min':>9s} {'vs model.predict':>17s}")
    for name in batch:
        m = _common.median(times[name])
        print(
            f"{name:18s} {_common.seconds(m):>9s} {_common.seconds(min(times[name])):>9s} "
            f"{m / base:16.3f}x"
        )
    worst = max(_common.median(times["ours_f32"]), _common.median(times["ours_view"])) / base
    print(
        f"target ours no slower than model.predict: {'met' if worst <= 1.0 else 'NOT met'} "
        f"(worst ratio {worst:.3f})"
    )


if __name__ == "__main__":
    main()
