"""Shared fixtures: tiny, seeded classifiers and small window data, so the suite stays fast."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

# A one-block stem keeps the convolutional front end in every test at a tiny cost.
TINY_STEM = dict(stem_filters=(4,), stem_kernel_sizes=(3,))
TINY_LSTM = dict(
    lstm_units=(4, 3),
    attention_units=3,
    dense_units=4,
    epochs=2,
    batch_size=16,
    random_state=0,
    **TINY_STEM,
)
TINY_TRANSFORMER = dict(
    d_model=4,
    num_heads=2,
    num_layers=1,
    ff_dim=4,
    dense_units=4,
    epochs=2,
    batch_size=16,
    random_state=0,
    **TINY_STEM,
)


def tiny_classifiers():
    """One tiny, seeded instance of each classifier (imported lazily: Keras is slow to import)."""
    from sktemporal import AttentionLSTMClassifier, TransformerClassifier

    return [AttentionLSTMClassifier(**TINY_LSTM), TransformerClassifier(**TINY_TRANSFORMER)]


@pytest.fixture(params=["lstm", "transformer"])
def classifier(request):
    return tiny_classifiers()[["lstm", "transformer"].index(request.param)]


def _windows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6, 2))
    y = np.where(X[:, -1, 0] > 0.5, 1, np.where(X[:, -1, 0] < -0.5, -1, 0))
    return X, y


@pytest.fixture
def windows():
    """60 windows of 6 time steps x 2 features; labels -1/0/1 from the last step."""
    return _windows()


@pytest.fixture(scope="session", params=["lstm", "transformer"])
def fitted_classifier(request):
    """A tiny classifier fitted once on ``windows`` and shared: tests must not modify it."""
    classifier = tiny_classifiers()[["lstm", "transformer"].index(request.param)]
    return classifier.fit(*_windows())


def pytest_collection_modifyitems(config, items):
    """Run ``backend``-marked tests in the JAX suite only.

    They start subprocesses whose backend does not depend on the one this process runs on,
    so the two suites of the README's test command would repeat them unchanged; the JAX
    suite is the shorter one.
    """
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "jax":
        return
    skip = pytest.mark.skip(
        reason="starts its own subprocess per backend; the KERAS_BACKEND=jax suite runs it"
    )
    for item in items:
        if item.get_closest_marker("backend") is not None:
            item.add_marker(skip)


# The options of a tiny ``sktemporal train`` run, shared by the tests of its saved files.
TINY_TRAIN = [
    "--epochs",
    "1",
    "--sequence-length",
    "10",
    "--n-splits",
    "2",
    "--lstm-units",
    "4",
    "--attention-units",
    "2",
    "--dense-units",
    "2",
    "--stem-filters",
    "4",
    "--stem-kernel-sizes",
    "3",
    "--quiet",
]
TINY_TRAIN_ROWS = 300


@pytest.fixture(scope="session")
def saved(tmp_path_factory):
    """A tiny model trained by ``sktemporal train``: (model path, prices, threshold)."""
    import contextlib
    import io

    import pandas as pd

    from sktemporal.cli import main
    from sktemporal.market.datasets import load_sp500

    folder = tmp_path_factory.mktemp("saved")
    prices = load_sp500().iloc[:TINY_TRAIN_ROWS]
    prices.to_csv(folder / "prices.csv")
    model = folder / "m.keras"
    argv = ["train", "--data-path", str(folder / "prices.csv"), "--model-path", str(model)]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main([*argv, *TINY_TRAIN]) == 0
    # The tiny model is rarely confident, and mostly of "flat": a threshold that acts on about
    # half of the days it calls up or down, so that the backtest trades.
    oos = pd.read_csv(f"{model}.oos.csv")
    proba = oos.filter(like="proba_")
    directional = proba.idxmax(axis=1) != "proba_0"
    assert directional.any(), "the tiny model called every day flat: nothing to backtest"
    threshold = float(np.median(proba.max(axis=1)[directional]))
    return model, prices, threshold


@pytest.fixture
def panel_windows_gathered(monkeypatch):
    """The largest number of panel windows gathered at once (a one-item list, updated as the
    test runs); materialising a ``PanelWindows`` whole raises. Batches and prediction chunks
    are 32 windows, so a test can assert that no more than that was ever gathered."""
    import sktemporal.classifiers._inference as inference
    import sktemporal.classifiers._training as training
    from sktemporal.panel_windows import PanelWindows

    largest = [0]
    getitem, astype = PanelWindows.__getitem__, PanelWindows.astype

    def spy_getitem(self, key):
        result = getitem(self, key)
        if type(result) is np.ndarray and result.ndim == 3:
            largest[0] = max(largest[0], len(result))
        return result

    def spy_astype(self, *args, **kwargs):
        largest[0] = max(largest[0], len(self))
        return astype(self, *args, **kwargs)

    def refuse(self, *args, **kwargs):
        raise AssertionError("the windows were materialised whole")

    monkeypatch.setattr(PanelWindows, "__getitem__", spy_getitem)
    monkeypatch.setattr(PanelWindows, "astype", spy_astype)
    monkeypatch.setattr(PanelWindows, "__array__", refuse)
    monkeypatch.setattr(inference, "PREDICTION_CHUNK_ROWS", 32)
    monkeypatch.setattr(training, "PREDICTION_CHUNK_ROWS", 32)
    # The auxiliary head's loss is measured on at most this many windows, gathered at once.
    monkeypatch.setattr(training, "PREDICTION_LOSS_WINDOWS", 32)
    return largest
