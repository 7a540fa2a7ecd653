"""Time of the first ``from sktemporal import AttentionLSTMClassifier``, against its dependencies.

Each variant is timed inside a fresh interpreter (``--repeats`` times, 7 by default, the
variants in turn, their order rotated every repeat) under ``KERAS_BACKEND`` (``jax`` unless
set):

- ``numpy + ml_dtypes``: the dtype extension that JAX and Keras import first (release 0.7.0
  took 0.5 s of its own, hence the package's ``ml-dtypes<0.7``);
- ``keras + scikit-learn``: ``import keras`` and ``sklearn.base``, the two libraries every
  classifier stands on; the baseline of the ratio;
- ``sktemporal``: ``from sktemporal import AttentionLSTMClassifier``.

Each child also reports whether TensorFlow was imported: on JAX it must not be (issue 30).
Target: the first classifier import ≤ 2 s on JAX on the 2-core machine.

Run: ``python benchmarks/bench_import.py`` (about a minute).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import child_result, median, ratio, rotated, seconds  # noqa: E402

TARGET_SECONDS = 2.0

VARIANTS = {
    "numpy + ml_dtypes": "import numpy, ml_dtypes",
    "keras + scikit-learn": "import keras, sklearn.base",
    "sktemporal": "from sktemporal import AttentionLSTMClassifier",
}

CHILD = """
import json, sys, time
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
print("RESULT " + json.dumps({{"seconds": elapsed, "tensorflow": "tensorflow" in sys.modules}}))
"""


def run_child(statement, backend):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return child_result(CHILD.format(statement=statement), env)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "jax"))
    args = parser.parse_args(argv)

    from importlib.metadata import version

    names = ("keras", "jax", "ml_dtypes", "numpy", "scikit-learn")
    print(f"== First import on {args.backend}, {os.cpu_count()} cores, load {os.getloadavg()}")
    print("   " + ", ".join(f"{name} {version(name)}" for name in names))
    times = {name: [] for name in VARIANTS}
    tensorflow = {name: False for name in VARIANTS}
    for repeat in range(args.repeats):
        for name in rotated(list(VARIANTS), repeat):
            result = run_child(VARIANTS[name], args.backend)
            times[name].append(result["seconds"])
            tensorflow[name] |= result["tensorflow"]
    baseline = median(times["keras + scikit-learn"])
    print(f"\n{'import':22s} {'median':>9s} {'min':>9s} {'vs keras+sklearn':>17s}  tensorflow")
    for name in VARIANTS:
        print(
            f"{name:22s} {seconds(median(times[name])):>9s} {seconds(min(times[name])):>9s} "
            f"{ratio(median(times[name]), baseline):>16.2f}x  "
            f"{'imported' if tensorflow[name] else 'no'}"
        )
    ours = median(times["sktemporal"])
    met = ours <= TARGET_SECONDS and (args.backend == "tensorflow" or not tensorflow["sktemporal"])
    print(
        f"\ntarget: first classifier import <= {TARGET_SECONDS:.0f} s without TensorFlow: "
        f"{'met' if met else 'NOT met'} ({seconds(ours)}); load after: {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
