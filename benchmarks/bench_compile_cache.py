"""A cross-validation with and without JAX's compilation cache shared by its fits.

Each variant runs ``cross_val_score`` of the default ``AttentionLSTMClassifier`` (``epochs=2``)
over ``--windows`` random windows of 30 x 31 with ``TimeSeriesSplit(5)``, inside a fresh
interpreter on JAX (``--repeats`` times, 2 by default, the variants in turn, their order
rotated every repeat):

- ``no cache``: JAX's default, every fit compiles its own training step, evaluation step and
  inference calls (the baseline of the ratio);
- ``shared cache``: ``JAX_COMPILATION_CACHE_DIR`` pointing at a new empty folder, as the
  ``sktemporal`` commands do for their own runs: the fits whose programs are the same (same
  architecture, window shape and batch size) read them from the cache.

Each child reports its wall time, CPU time, the programs it read from the cache, and its fold
scores, which must be equal in both variants: the cache changes what is compiled, not what
is computed.

Run: ``python benchmarks/bench_compile_cache.py`` (about 4 minutes on 2 cores).
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import child_result, load_average, median, ratio, rotated, seconds  # noqa: E402

CHILD = """
import json, logging, time
start_wall, start_cpu = time.perf_counter(), time.process_time()
hits = []

class Record(logging.Handler):
    def emit(self, record):
        if "Persistent compilation cache hit for" in record.getMessage():
            hits.append(record.getMessage().split("'")[1])

logger = logging.getLogger("jax._src.compiler")
logger.addHandler(Record())
logger.setLevel(logging.DEBUG)
logger.propagate = False

import numpy as np
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sktemporal import AttentionLSTMClassifier

rng = np.random.default_rng(0)
X = rng.normal(size=({windows}, 30, 31)).astype("float32")
y = (X[:, -5:, 0].mean(axis=1) > 0).astype(int) + (X[:, -5:, 1].mean(axis=1) > 0.5)
scores = cross_val_score(
    AttentionLSTMClassifier(epochs=2, random_state=0), X, y, cv=TimeSeriesSplit(5)
)
print("RESULT " + json.dumps({{
    "wall": time.perf_counter() - start_wall,
    "cpu": time.process_time() - start_cpu,
    "hits": hits,
    "scores": scores.tolist(),
}}))
"""

VARIANTS = ("no cache", "shared cache")


def run_child(variant, windows):
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0.1",
    }
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    with tempfile.TemporaryDirectory(prefix="bench-xla-") as folder:
        if variant == "shared cache":
            env["JAX_COMPILATION_CACHE_DIR"] = folder
        return child_result(CHILD.format(windows=windows), env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    results = {variant: [] for variant in VARIANTS}
    for repeat in range(args.repeats):
        for variant in rotated(VARIANTS, repeat):
            result = run_child(variant, args.windows)
            results[variant].append(result)
            print(
                f"  round {repeat + 1} {variant:>12}: {seconds(result['wall'])} wall, "
                f"{seconds(result['cpu'])} CPU, {len(result['hits'])} programs from the cache, "
                f"load {load_average()}"
            )
    print(f"\ncross_val_score, default AttentionLSTMClassifier, epochs=2, {args.windows} windows")
    reference = median([r["wall"] for r in results["no cache"]])
    for variant in VARIANTS:
        wall = median([r["wall"] for r in results[variant]])
        cpu = median([r["cpu"] for r in results[variant]])
        print(
            f"  {variant:>12}: median {seconds(wall)} wall, {seconds(cpu)} CPU, "
            f"ratio {ratio(wall, reference):.2f}"
        )
    scores = {tuple(r["scores"]) for rs in results.values() for r in rs}
    print(f"  fold scores equal in every run: {len(scores) == 1} ({sorted(scores)[0]})")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
