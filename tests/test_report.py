"""Tests for sktemporal.market.report: gated positions, out-of-sample backtest, HTML page."""

import base64
import contextlib
import io
import re
import shutil
import struct
import subprocess

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin

from sktemporal.market.datasets import load_sp500
from sktemporal.market.out_of_sample import (
    backtest_predictions,
    gated_positions,
    read_oos_predictions,
)
from sktemporal.market.report import build_report
from sktemporal.market.saved_run import backtest_model, load_evaluation
from sktemporal.meta import ConfidenceThresholdClassifier

N_ROWS = 300
TRAIN = [
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
N_IMAGES, N_TABLES = 6, 4
IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def synthetic_predictions(proba, start="2020-01-01", y_true=None):
    """Out-of-sample predictions on business days from ``start``, classes -1, 0, 1."""
    proba = np.asarray(proba, dtype=float)
    dates = pd.bdate_range(start, periods=len(proba), name="date")
    classes = np.array([-1, 0, 1])
    frame = pd.DataFrame(proba, index=dates, columns=["proba_-1", "proba_0", "proba_1"])
    frame.insert(0, "predicted_class", classes[proba.argmax(axis=1)])
    frame.insert(0, "y_true", classes[proba.argmax(axis=1)] if y_true is None else y_true)
    frame.insert(0, "fold", 1)
    return frame


class FixedProbabilities(ClassifierMixin, BaseEstimator):
    """Returns row ``X[i, 0]`` of ``proba``: lets ConfidenceThresholdClassifier gate them."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.asarray(self.proba)[np.asarray(X, dtype=int)[:, 0]]


# ---------------------------------------------------------------------------- positions


def test_gated_positions_follow_the_confidence_threshold_classifier():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1.0, 1.0, 1.0], size=200)
    proba[:3] = [[0.65, 0.2, 0.15], [0.2, 0.15, 0.65], [0.1, 0.65, 0.25]]  # ties at 0.65
    predictions = synthetic_predictions(proba)
    rows = np.arange(len(proba)).reshape(-1, 1)
    for threshold in (0.0, 0.4, 0.5, 0.65, 0.9, 1.0):
        gate = ConfidenceThresholdClassifier(
            FixedProbabilities(proba), threshold=threshold, abstain_label=0
        ).fit(rows, np.tile([-1, 0, 1], len(proba) // 3 + 1)[: len(proba)])

        positions = gated_positions(predictions, threshold)

        assert_array_equal(positions.to_numpy(), gate.predict(rows))
        assert positions.index.equals(predictions.index)
    assert gated_positions(predictions, 0.65).iloc[:3].tolist() == [-1, 1, 0]


def test_gated_positions_reject_a_threshold_outside_zero_one():
    with pytest.raises(ValueError, match=r"threshold must be a probability in \[0, 1\]"):
        gated_positions(synthetic_predictions([[0.2, 0.3, 0.5]]), 1.5)


# ---------------------------------------------------------------------------- backtest


def test_the_position_decided_at_a_close_earns_the_next_return():
    # Long, short, flat (not confident), long: decided at closes 0..3, held to closes 1..4.
    proba = [[0.1, 0.1, 0.8], [0.8, 0.1, 0.1], [0.4, 0.3, 0.3], [0.0, 0.3, 0.7]]
    y_true = [1, 0, 1, 1]
    predictions = synthetic_predictions(proba, y_true=y_true)
    closes = [100.0, 110.0, 99.0, 99.0, 108.9, 50.0]  # the last one is after the period
    dates = pd.bdate_range("2019-12-31", periods=len(closes) + 1)
    close = pd.Series([80.0, *closes], index=dates)  # one close before the period

    result = backtest_predictions(predictions, close, threshold=0.65)

    assert result.positions.tolist() == [1, -1, 0, 1]
    assert_allclose(result.result.equity.to_numpy(), [1.0, 1.1, 1.21, 1.21, 1.331])
    assert_allclose(result.result.benchmark_equity.to_numpy(), [1.0, 1.1, 0.99, 0.99, 1.089])
    assert result.result.equity.index[0] == predictions.index[0]
    assert result.result.equity.index[-1] == dates[-2]  # the close after the last prediction
    assert (result.n_days, result.n_acted) == (4, 3)
    assert result.coverage == pytest.approx(0.75)
    assert result.accuracy == pytest.approx(2 / 3)  # the short call on a flat day was wrong

    shorted = backtest_predictions(predictions, close, threshold=0.65, long_only=True)
    assert_allclose(shorted.result.equity.to_numpy(), [1.0, 1.1, 1.1, 1.1, 1.21])
    costly = backtest_predictions(predictions, close, threshold=0.65, cost_bps=100)
    assert costly.result.metrics["total_return"] < result.result.metrics["total_return"]


def test_nothing_confident_means_flat_and_no_accuracy():
    predictions = synthetic_predictions([[0.3, 0.3, 0.4]] * 5)
    close = pd.Series(np.linspace(100, 110, 6), index=pd.bdate_range("2020-01-01", periods=6))

    result = backtest_predictions(predictions, close, threshold=0.65)

    assert (result.n_acted, result.coverage) == (0, 0.0)
    assert np.isnan(result.accuracy)
    assert result.result.metrics["total_return"] == 0.0
    assert "coverage 0.0000, accuracy on them n/a" in result.format_table()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda close: close.drop(close.index[3]), "the prices lack 1 of the 5"),
        (lambda close: close.iloc[:5], "the backtest needs the next close"),
        (
            lambda close: pd.concat(
                [close, pd.Series([1.0], index=[close.index[2] + pd.Timedelta(hours=12)])]
            ).sort_index(),
            "1 dates between the first and last out-of-sample date without a prediction",
        ),
    ],
)
def test_prices_that_do_not_fit_the_predictions_are_named(edit, message):
    predictions = synthetic_predictions([[0.1, 0.1, 0.8]] * 5)
    close = pd.Series(np.linspace(100, 110, 6), index=pd.bdate_range("2020-01-01", periods=6))

    with pytest.raises(ValueError, match=message):
        backtest_predictions(predictions, edit(close))


# ---------------------------------------------------------------------------- reading files


def test_read_oos_predictions_names_what_is_wrong(tmp_path):
    path = tmp_path / "oos.csv"
    good = synthetic_predictions([[0.1, 0.1, 0.8], [0.5, 0.2, 0.3]])
    good.to_csv(path)
    pd.testing.assert_frame_equal(read_oos_predictions(path), good, check_freq=False)

    good.drop(columns="y_true").to_csv(path)
    with pytest.raises(ValueError, match="needs the columns date, fold, y_true"):
        read_oos_predictions(path)
    good.iloc[[0, 0]].to_csv(path)
    with pytest.raises(ValueError, match="unique and in increasing order"):
        read_oos_predictions(path)
    good.assign(proba_0=[0.1, np.nan]).to_csv(path)
    with pytest.raises(ValueError, match=r"must all lie in \[0, 1\]"):
        read_oos_predictions(path)
    with pytest.raises(FileNotFoundError, match="no out-of-sample predictions file"):
        read_oos_predictions(tmp_path / "missing.csv")


# ---------------------------------------------------------------------------- saved model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny model trained by ``sktemporal train``: (model path, prices, threshold)."""
    from sktemporal.cli import main

    folder = tmp_path_factory.mktemp("saved")
    prices = load_sp500().iloc[:N_ROWS]
    prices.to_csv(folder / "prices.csv")
    model = folder / "m.keras"
    argv = ["train", "--data-path", str(folder / "prices.csv"), "--model-path", str(model)]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main([*argv, *TRAIN]) == 0
    # The tiny model is rarely confident, and mostly of "flat": a threshold that acts on about
    # half of the days it calls up or down, so that the backtest trades.
    oos = pd.read_csv(f"{model}.oos.csv")
    proba = oos.filter(like="proba_")
    directional = proba.idxmax(axis=1) != "proba_0"
    assert directional.any(), "the tiny model called every day flat: nothing to backtest"
    threshold = float(np.median(proba.max(axis=1)[directional]))
    return model, prices, threshold


@pytest.fixture(scope="module")
def page(saved, tmp_path_factory):
    model, prices, threshold = saved
    output = tmp_path_factory.mktemp("page") / "report"
    path = build_report(model, output, data=prices, threshold=threshold, n_windows=20)
    return path, path.read_text(encoding="utf-8")


def test_load_evaluation_checks_the_prices(saved):
    model, prices, _ = saved

    evaluation = load_evaluation(model, prices)
    assert evaluation.pipeline["trained_on"]["data_source"].endswith("prices.csv")
    with pytest.raises(ValueError, match="not the bundled S&P 500"):
        load_evaluation(model)
    shifted = prices.copy()
    shifted.iloc[150:, :4] *= 1.02 ** np.arange(N_ROWS - 150)[:, None]
    with pytest.raises(ValueError, match="other labels than the model was evaluated on"):
        load_evaluation(model, shifted)


def test_backtest_model_uses_the_saved_out_of_sample_predictions(saved):
    model, prices, threshold = saved
    predictions = read_oos_predictions(f"{model}.oos.csv")

    result = backtest_model(model, prices, threshold=threshold)
    expected = backtest_predictions(predictions, prices["close"], threshold=threshold)

    pd.testing.assert_frame_equal(result.summary(), expected.summary())
    assert result.positions.index.equals(predictions.index)
    assert 0 < result.n_acted < result.n_days


def png_size(data):
    """(width, height) from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_report_is_one_self_contained_page(page):
    path, text = page

    assert path.name == "index.html"
    assert [p.name for p in path.parent.iterdir()] == ["index.html"]
    assert text.startswith("<!DOCTYPE html>")
    images = IMAGE.findall(text)
    assert len(images) == N_IMAGES == text.count("<img ")
    for data in images:
        width, height = png_size(base64.b64decode(data))
        assert width > 200 and height > 150
    assert text.count("<table>") == N_TABLES
    for external in ("http://", "https://", "<script", "<link", "url(", 'src="file'):
        assert external not in text
    for title in (
        "Walk-forward scores",
        "Training history",
        "Attention over the time steps",
        "Attention of each recent window",
        "Confusion matrix",
        "Out-of-sample equity and drawdown",
        "Coverage and accuracy",
    ):
        assert title in text


def test_report_tables_hold_the_backtest_and_the_walk_forward_scores(saved, page):
    import json

    model, prices, threshold = saved
    text = page[1]
    result = backtest_model(model, prices, threshold=threshold)
    summary = result.summary()
    for metric in ("total_return", "sharpe", "max_drawdown"):
        cells = f'<td class="num">{summary.loc[metric, "strategy"]:.4f}</td>'
        assert f"<td>{metric}</td>{cells}" in text
    assert f"Acted on {result.n_acted} of {result.n_days} days" in text
    report = json.loads(open(f"{model}.report.json", encoding="utf-8").read())
    accuracy = report["model_metrics"]["accuracy"]
    assert f"{accuracy:.4f} ± {report['model_metrics']['std']['accuracy']:.4f}" in text
    for name in ("majority", "persistence", "logistic_regression"):
        assert f"<td>{name}</td>" in text


def test_report_replaces_index_html_and_leaves_other_files(saved, tmp_path):
    model, prices, threshold = saved
    output = tmp_path / "existing"
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    (output / "index.html").write_text("old")

    build_report(model, output, data=prices, threshold=threshold, n_windows=5)

    assert sorted(p.name for p in output.iterdir()) == ["index.html", "notes.txt"]
    assert (output / "index.html").read_text().count("<img ") == N_IMAGES


def test_a_failed_report_writes_nothing(saved, tmp_path, monkeypatch):
    import sktemporal.market.report

    model, prices, _ = saved

    def fail(*args, **kwargs):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(sktemporal.market.report, "_equity_figure", fail)
    with pytest.raises(RuntimeError, match="plotting failed"):
        build_report(model, tmp_path / "report", data=prices)
    assert list(tmp_path.iterdir()) == []

    with pytest.raises(FileNotFoundError, match="no training report"):
        build_report(model, tmp_path / "report", data=prices, train_report=tmp_path / "no.json")
    assert list(tmp_path.iterdir()) == []


def chromium(*arguments, profile):
    return subprocess.run(
        [
            shutil.which("chromium"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


_COUNT_DECODED_IMAGES = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const decoded = images.filter((image) => image.complete && image.naturalWidth > 0);
  document.body.setAttribute("data-decoded", decoded.length + "/" + images.length);
});
</script>
"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_a_headless_browser(page, tmp_path):
    import matplotlib.image

    path, text = page
    shot = tmp_path / "shot.png"
    chromium(
        f"--screenshot={shot}",
        "--window-size=1200,3000",
        path.resolve().as_uri(),
        profile=tmp_path / "profile",
    )
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (3000, 1200)
    not_white = (pixels[..., :3] < 0.9).any(axis=-1).mean()
    assert not_white > 0.05, f"the page looks blank ({not_white:.1%} of pixels drawn)"

    # Every embedded image decodes: the page, plus a script that counts them once loaded.
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", _COUNT_DECODED_IMAGES + "</body>"))
    dom = chromium("--dump-dom", probe.as_uri(), profile=tmp_path / "profile").stdout.decode()
    assert f'data-decoded="{N_IMAGES}/{N_IMAGES}"' in dom
