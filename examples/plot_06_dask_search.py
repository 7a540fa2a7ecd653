"""
===========================================
A hyper-parameter search on a Dask cluster
===========================================

A search over window length, units and learning rate is many independent fits. With
``joblib.parallel_backend("dask")`` scikit-learn sends each candidate x fold to a worker of a
`Dask <https://distributed.dask.org>`_ cluster; the search code itself does not change. Here
the cluster is a :class:`~distributed.LocalCluster` of two worker processes on this machine; on
a real cluster, pass its scheduler address to :class:`~distributed.Client` instead (see
:ref:`scaling`).

Needs ``pip install "sktemporal[scale]"``.
"""

# %%
# Data and search
# ---------------
# The labels look ``HORIZON`` rows ahead, so the folds leave a gap of ``HORIZON`` rows. The
# networks are tiny (one convolution block of 8 filters in the stem instead of the default
# 128-256-128) and train for two epochs so that the example runs in a minute; a real search
# uses more of both.
import time

import joblib
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster
from sklearn.model_selection import RandomizedSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from sktemporal.market.datasets import load_sp500
from sktemporal.market.preparation import prepare_dataset
from sktemporal.scaling import thread_limit_env

HORIZON = 1
X, y = prepare_dataset(load_sp500(), horizon=HORIZON, threshold=0.005)
X, y = X.iloc[-1200:], y.iloc[-1200:]

pipeline = Pipeline([
    ("scale", StandardScaler()),
    ("window", SlidingWindowTransformer()),
    ("clf", AttentionLSTMClassifier(
        attention_units=4, dense_units=4, epochs=2, batch_size=64, random_state=0,
        stem_filters=(8,), stem_kernel_sizes=(3,),
    )),
])
grid = {
    "window__sequence_length": [10, 20],
    "clf__lstm_units": [4, 8],
    "clf__learning_rate": [1e-3, 1e-2],
}


def make_search(n_jobs):
    return RandomizedSearchCV(
        pipeline, grid, n_iter=4, cv=TimeSeriesSplit(n_splits=2, gap=HORIZON),
        scoring="neg_log_loss", n_jobs=n_jobs, refit=False, random_state=0,
    )


# %%
# On the cluster
# --------------
# One thread per worker, and TensorFlow, OpenMP and BLAS capped at one thread in each worker
# process (:func:`~sktemporal.scaling.thread_limit_env`): otherwise every worker sizes its
# thread pools to the whole machine and the workers fight over the cores.
#
# The worker processes start by importing this script, as Python's ``multiprocessing`` does:
# the ``__main__`` guard keeps them from starting clusters of their own.
if __name__ == "__main__":
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, env=thread_limit_env(1),
        dashboard_address=":0",
    ) as cluster, Client(cluster):
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            on_dask = make_search(n_jobs=-1).fit(X, y)
        dask_seconds = time.perf_counter() - start

# %%
# The same search, serially
# -------------------------
# Every fit is seeded (``random_state=0``), so the cluster must give the serial run's scores:
# the estimators travel pickled, and a seeded fit does not depend on the process or the
# threads around it. Equal to float32 precision, not to the last bit: the convolutional stem
# and its batch normalisation sum in float32 in an order that depends on how many threads
# the backend uses (one in each worker, both cores here), which moves a score in its 7th digit.
if __name__ == "__main__":
    start = time.perf_counter()
    serial = make_search(n_jobs=1).fit(X, y)
    serial_seconds = time.perf_counter() - start

    np.testing.assert_allclose(on_dask.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"], rtol=1e-5)
    np.testing.assert_array_equal(on_dask.cv_results_["rank_test_score"],
                                  serial.cv_results_["rank_test_score"])
    columns = ["param_window__sequence_length", "param_clf__lstm_units",
               "param_clf__learning_rate", "mean_test_score", "rank_test_score"]
    print(pd.DataFrame(on_dask.cv_results_)[columns].to_string(index=False))
    print(f"\nserial: {serial_seconds:.1f} s, 2 Dask workers: {dask_seconds:.1f} s "
          f"({serial_seconds / dask_seconds:.2f}x); the same scores and ranks")

# %%
# The speed-up depends on free cores: the documentation builds on two cores, and each fit
# here is short enough that the cluster's overhead shows. ``benchmarks/bench_dask_search.py``
# measures 2 workers against 1 on the same search; see :ref:`scaling` for its results.
