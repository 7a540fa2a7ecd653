"""Speed-up of a grid search on a Dask cluster of 2 workers over 1 worker (and over no Dask).

The search: StandardScaler -> SlidingWindowTransformer -> AttentionLSTMClassifier, a grid over
the window length, the LSTM units and the learning rate, TimeSeriesSplit(gap=1), run with
``joblib.parallel_backend("dask")`` and ``n_jobs=-1``. Each worker has one thread and TensorFlow
capped at one thread (``sktemporal.scaling.thread_limit_env(1)``). Workers import TensorFlow
before the clock starts; the start-up of the cluster is reported apart.

    python benchmarks/bench_dask_search.py                # 1 and 2 workers, and serial
    python benchmarks/bench_dask_search.py --workers 1 2 4 --rows 2000

Speed-ups are only meaningful on a machine whose cores are not busy with other work: the
script prints the load average before and after.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV, ParameterGrid, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def make_table(rows):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 5)).cumsum(axis=0)
    y = (np.diff(X[:, 0], append=X[-1, 0]) > 0).astype(int)
    return X, y


def make_search(n_jobs):
    from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer

    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("window", SlidingWindowTransformer()),
            (
                "clf",
                AttentionLSTMClassifier(
                    attention_units=8,
                    dense_units=8,
                    epochs=2,
                    batch_size=32,
                    validation_fraction=0,
                    random_state=0,
                ),
            ),
        ]
    )
    grid = {
        "window__sequence_length": [10, 20],
        "clf__lstm_units": [8, 16],
        "clf__learning_rate": [1e-3, 1e-2],
    }
    return GridSearchCV(
        pipeline,
        grid,
        cv=TimeSeriesSplit(n_splits=3, gap=1),
        scoring="neg_log_loss",
        n_jobs=n_jobs,
        refit=False,
    )


def _warm_up():
    import sktemporal.classifiers  # noqa: F401 - imports Keras and TensorFlow

    return os.getpid()


def _rss_mb():
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_on_dask(n_workers, X, y):
    from distributed import Client, LocalCluster

    from sktemporal.scaling import thread_limit_env

    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        env=thread_limit_env(1),
        dashboard_address=":0",
    )
    with cluster, Client(cluster) as client:
        client.run(_warm_up)
        started = time.perf_counter() - start
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            search = make_search(n_jobs=-1).fit(X, y)
        elapsed = time.perf_counter() - start
        memory = max(client.run(_rss_mb).values())
    return started, elapsed, memory, search.cv_results_["mean_test_score"]


def run_serial(X, y):
    _warm_up()
    start = time.perf_counter()
    search = make_search(n_jobs=1).fit(X, y)
    return time.perf_counter() - start, search.cv_results_["mean_test_score"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-serial", action="store_true", help="skip the run without Dask")
    args = parser.parse_args()

    X, y = make_table(args.rows)
    search = make_search(1)
    n_fits = len(ParameterGrid(search.param_grid)) * search.cv.get_n_splits()
    print(
        f"{args.rows} rows, {n_fits} fits, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    results = {}
    if not args.no_serial:
        elapsed, scores = run_serial(X, y)
        results["serial"] = scores
        print(f"serial, no Dask (TensorFlow threads unlimited): search {elapsed:6.1f} s")
    times = {}
    for n_workers in args.workers:
        started, times[n_workers], memory, results[n_workers] = run_on_dask(n_workers, X, y)
        speed_up = f"{times[1] / times[n_workers]:4.2f}x" if 1 in times else "n/a"
        print(
            f"Dask, {n_workers} worker(s) x 1 thread: cluster start {started:5.1f} s, "
            f"search {times[n_workers]:6.1f} s, speed-up over 1 worker {speed_up}, "
            f"memory per worker {memory:4.0f} MB"
        )
    reference = next(iter(results.values()))
    same = all(np.array_equal(scores, reference) for scores in results.values())
    print(f"identical cv_results_ mean_test_score across runs: {same}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
