"""A grid search on a Dask cluster gives the serial search's results; workers cap their threads."""

import os
import random
import threading

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import RandomizedSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import SlidingWindowTransformer
from sktemporal.scaling import limit_backend_threads, thread_limit_env
from tests.conftest import TINY_STEM


def _table():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 3)).cumsum(axis=0)
    y = (np.diff(X[:, 0], append=X[-1, 0]) > 0).astype(int)
    return X, y


def _search():
    from sktemporal import AttentionLSTMClassifier

    pipeline = Pipeline([
        ("scale", StandardScaler()),
        ("window", SlidingWindowTransformer()),
        ("clf", AttentionLSTMClassifier(
            attention_units=2, bidirectional=False, dense_units=2, epochs=1, batch_size=16,
            validation_fraction=0, random_state=0, **TINY_STEM,
        )),
    ])
    # Window length, units and learning rate. Two of the eight candidates keep the test short;
    # random_state=7 draws two that differ in all three.
    grid = {
        "window__sequence_length": [3, 5],
        "clf__lstm_units": [2, 3],
        "clf__learning_rate": [0.01, 0.03],
    }
    # Log-loss, not accuracy: a continuous score shows any difference in the fitted networks.
    return RandomizedSearchCV(pipeline, grid, n_iter=2, random_state=7,
                              cv=TimeSeriesSplit(n_splits=2, gap=1), scoring="neg_log_loss",
                              n_jobs=-1, refit=False)


def test_grid_search_on_dask_equals_serial_search():
    distributed = pytest.importorskip("distributed")
    joblib = pytest.importorskip("joblib")
    X, y = _table()
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, env=thread_limit_env(1),
        dashboard_address=":0",
    )
    with cluster, distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            on_dask = _search().fit(X, y)
        worker_threads = client.run(lambda: os.environ["TF_NUM_INTRAOP_THREADS"])

    serial = _search().set_params(n_jobs=1).fit(X, y)

    assert list(worker_threads.values()) == ["1", "1"]
    first, second = serial.cv_results_["params"]
    assert all(first[name] != second[name] for name in first)
    # Equal to float32 precision: the stem's convolutions and batch normalisation sum in an
    # order that depends on TensorFlow's thread count (1 in each worker, 2 here); seen 4e-7.
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_allclose(on_dask.cv_results_[key], serial.cv_results_[key],
                                   rtol=1e-5, err_msg=key)
    np.testing.assert_array_equal(on_dask.cv_results_["rank_test_score"],
                                  serial.cv_results_["rank_test_score"])
    assert on_dask.best_params_ == serial.best_params_


def test_seeded_fit_ignores_other_threads_drawing_random_numbers(windows):
    # Dask workers run their own threads, which draw from the global `random` during a fit.
    from sktemporal import AttentionLSTMClassifier

    X, y = windows
    params = dict(lstm_units=2, attention_units=2, dense_units=2, epochs=1, batch_size=16,
                  random_state=0, **TINY_STEM)
    quiet = AttentionLSTMClassifier(**params).fit(X, y).predict_proba(X)

    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()
            stop.wait(0.0002)

    thread = threading.Thread(target=draw, daemon=True)
    thread.start()
    try:
        busy = clone(AttentionLSTMClassifier(**params)).fit(X, y).predict_proba(X)
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(busy, quiet)


def test_thread_limit_env():
    env = thread_limit_env(3)
    assert env["TF_NUM_INTRAOP_THREADS"] == env["TF_NUM_INTEROP_THREADS"] == "3"
    assert env["OMP_NUM_THREADS"] == "3"
    with pytest.raises(ValueError, match=r"'n_threads' parameter of .* Got 0"):
        thread_limit_env(0)


def test_limit_backend_threads_refuses_a_started_tensorflow_with_other_threads(monkeypatch):
    from sktemporal import AttentionLSTMClassifier  # noqa: F401 - starts Keras' backend

    tf = pytest.importorskip("tensorflow")
    tf.constant(1.0) + 1  # make sure the runtime has started
    threading_ = tf.config.threading
    current = threading_.get_intra_op_parallelism_threads()
    for name in thread_limit_env(1):
        monkeypatch.setenv(name, "0")  # restored after the test
    with pytest.raises(RuntimeError, match="has already started .*thread_limit_env"):
        limit_backend_threads(current + 7)
