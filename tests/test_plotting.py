"""Tests for sktemporal.plotting: rendered headless (Agg), checked on content, not pixels."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sktemporal
from sktemporal.market.backtest import backtest
from sktemporal.meta import CoverageAccuracyCurve
from sktemporal.plotting import (
    plot_attention,
    plot_attention_heatmap,
    plot_attributions,
    plot_confusion_matrix,
    plot_coverage_accuracy,
    plot_equity,
    plot_history,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


WEIGHTS = np.array(
    [
        [0.0, 0.1, 0.2, 0.7],
        [0.1, 0.1, 0.3, 0.5],
        [0.1, 0.2, 0.2, 0.5],
        [0.2, 0.2, 0.2, 0.4],
    ]
)


def _band_limits(ax):
    """Lower and upper y limits of the single filled band of ``ax``."""
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    vertices = band.get_paths()[0].vertices
    return vertices[:, 1].min(), vertices[:, 1].max()


def test_plot_attention_mean_and_interquartile_band():
    ax = plot_attention(WEIGHTS)
    assert isinstance(ax, Axes)
    (line,) = ax.lines
    assert_array_equal(line.get_xdata(), [-3, -2, -1, 0])
    assert_allclose(line.get_ydata(), WEIGHTS.mean(axis=0))
    # The band spans the 25th-75th percentiles of each time step.
    low, high = np.percentile(WEIGHTS, [25, 75], axis=0)
    assert _band_limits(ax) == pytest.approx((low.min(), high.max()))
    assert "lag" in ax.get_xlabel() and "0 = most recent" in ax.get_xlabel()
    assert ax.get_ylabel() == "attention weight"
    assert "4 samples" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "25th-75th percentile",
        "mean",
    ]


def test_plot_attention_one_dimensional_mean_has_no_band():
    ax = plot_attention([0.2, 0.3, 0.5])
    assert_array_equal(ax.lines[0].get_xdata(), [-2, -1, 0])
    assert_allclose(ax.lines[0].get_ydata(), [0.2, 0.3, 0.5])
    assert not ax.collections
    assert ax.get_legend() is None


def test_plot_attention_draws_on_given_axes():
    _, ax = plt.subplots()
    assert plot_attention(WEIGHTS, ax=ax) is ax
    assert len(plt.get_fignums()) == 1


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.zeros((2, 3, 4)), r"shape \(timesteps,\) or \(n_samples, timesteps\);.*average"),
        (np.float64(0.5), r"got shape \(\)"),
        (np.zeros((0, 4)), "empty"),
        ([0.5, np.nan], "NaN or infinite"),
        (["a", "b"], "must be numeric"),
    ],
)
def test_plot_attention_rejects_bad_weights(weights, message):
    with pytest.raises(ValueError, match=message):
        plot_attention(weights)


def test_plot_attention_heatmap_shows_every_sample_with_a_colorbar():
    ax = plot_attention_heatmap(WEIGHTS)
    assert isinstance(ax, Axes)
    (image,) = ax.images
    assert_allclose(image.get_array(), WEIGHTS)
    # Columns are centred on lags -3 ... 0, rows on samples 0 ... 3 from the top.
    assert image.get_extent() == [-3.5, 0.5, 3.5, -0.5]
    assert len(ax.figure.axes) == 2, "the colorbar has an Axes of its own"
    assert ax.figure.axes[1].get_ylabel() == "attention weight"
    assert ax.get_ylabel() == "sample"


def test_plot_attention_heatmap_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"shape \(n_samples, timesteps\); got shape \(4,\)"):
        plot_attention_heatmap(WEIGHTS[0])


HISTORY = {
    "loss": [0.9, 0.7, 0.6],
    "val_loss": [1.0, 0.8, 0.75],
    "accuracy": [0.5, 0.6, 0.65],
    "val_accuracy": [0.45, 0.55, 0.6],
}


def test_plot_attributions_heatmap_is_features_by_lags_centred_on_zero():
    values = np.zeros((3, 4, 2))
    values[:, -1, 1] = [0.3, 0.6, 0.9]
    values[0, 0, 0] = -1.2
    ax = plot_attributions(values, feature_names=["close", "volume"])
    image = ax.images[0]
    # Mean over the windows, transposed: features down the rows, time across.
    assert_allclose(image.get_array(), values.mean(axis=0).T)
    assert image.get_clim() == (-0.6, 0.6)
    assert image.get_extent() == [-3.5, 0.5, 1.5, -0.5]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["close", "volume"]
    assert "mean of 3 windows" in ax.get_title()
    assert len(ax.figure.axes) == 2  # the heatmap and its colorbar


def test_plot_attributions_one_window_or_a_map_on_given_axes():
    values = np.arange(24, dtype=float).reshape(2, 4, 3) - 12
    _, ax = plt.subplots()
    assert plot_attributions(values, ax=ax, sample=-1) is ax
    assert_allclose(ax.images[0].get_array(), values[-1].T)
    assert ax.get_yticklabels()[2].get_text() == "feature 2"
    ax = plot_attributions(values[0])
    assert_allclose(ax.images[0].get_array(), values[0].T)
    assert ax.get_title() == "Attributions"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attributions": np.zeros(4)}, r"\(timesteps, n_features\); got shape \(4,\)"),
        ({"attributions": np.zeros((0, 4, 2))}, "empty"),
        ({"attributions": np.full((4, 2), np.nan)}, "NaN or infinite"),
        ({"attributions": [["a", "b"]]}, "numeric"),
        ({"attributions": np.zeros((3, 4, 2)), "sample": 3}, "sample 3 is out of range for 3"),
        ({"attributions": np.zeros((4, 2)), "sample": 0}, "attributions are 2-D"),
        ({"attributions": np.zeros((4, 2)), "feature_names": ["a"]}, "1 names for 2 features"),
    ],
)
def test_plot_attributions_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_attributions(**kwargs)


def test_plot_history_loss_and_accuracy_panels():
    figure = plot_history(HISTORY)
    assert isinstance(figure, Figure)
    loss_ax, accuracy_ax = figure.axes
    assert loss_ax.get_title() == "Loss" and accuracy_ax.get_title() == "Accuracy"
    for ax, metric in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
        training, validation = ax.lines
        assert (training.get_label(), validation.get_label()) == ("training", "validation")
        assert_array_equal(training.get_xdata(), [1, 2, 3])
        assert_allclose(training.get_ydata(), HISTORY[metric])
        assert_allclose(validation.get_ydata(), HISTORY[f"val_{metric}"])
        assert ax.get_xlabel() == "epoch"


def test_plot_history_without_accuracy_or_validation_has_one_panel():
    figure = plot_history({"loss": [0.5, 0.4]})
    (ax,) = figure.axes
    (line,) = ax.lines
    assert_allclose(line.get_ydata(), [0.5, 0.4])


def test_plot_history_reads_a_keras_like_history_object():
    class History:
        history = HISTORY

    figure = plot_history(History())
    assert len(figure.axes) == 2


def test_plot_history_draws_on_given_axes():
    figure, axes = plt.subplots(1, 2)
    assert plot_history(HISTORY, axes=axes) is figure
    assert all(len(ax.lines) == 2 for ax in axes)
    with pytest.raises(ValueError, match=r"draws 2 panel\(s\) and needs as many Axes; got 1"):
        plot_history(HISTORY, axes=[axes[0]])


@pytest.mark.parametrize(
    "history, error, message",
    [
        ({"val_loss": [0.5]}, ValueError, r"no 'loss' entry .* keys are \['val_loss'\]"),
        ({"loss": []}, ValueError, r"history\['loss'\] is empty"),
        ([0.5, 0.4], TypeError, "got list"),
    ],
)
def test_plot_history_rejects_bad_history(history, error, message):
    with pytest.raises(error, match=message):
        plot_history(history)


def test_plot_confusion_matrix_counts_and_abstentions():
    y_true = [-1, -1, 1, 1, 1]
    y_pred = [-1, 0, 1, 1, -1]  # 0 is an abstention, not a true label
    ax = plot_confusion_matrix(y_true, y_pred)
    assert isinstance(ax, Axes)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-1", "0", "1"]
    assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 0, 0], [1, 0, 2]])
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    assert ax.get_title() == "Confusion matrix"


def test_plot_confusion_matrix_labels_and_normalize():
    ax = plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], labels=[1, 0], normalize="true")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "0"]
    assert_allclose(ax.images[0].get_array(), [[1.0, 0.0], [0.5, 0.5]])


def test_plot_confusion_matrix_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        plot_confusion_matrix([0, 1, 1], [0, 1])


@pytest.fixture
def result():
    dates = pd.bdate_range("2024-01-01", periods=5, name="date")
    return backtest(
        pd.Series([1, -1, 0, 1, 0], index=dates),
        pd.Series([100.0, 110.0, 99.0, 99.0, 108.9], index=dates),
    )


def test_plot_equity_equity_and_drawdown_panels(result):
    figure = plot_equity(result)
    assert isinstance(figure, Figure)
    top, bottom = figure.axes
    strategy, benchmark = top.lines
    assert (strategy.get_label(), benchmark.get_label()) == ("strategy", "buy and hold")
    assert_allclose(strategy.get_ydata(), [1.0, 1.1, 1.21, 1.21, 1.331])
    assert_allclose(benchmark.get_ydata(), [1.0, 1.1, 0.99, 0.99, 1.089])
    assert len(strategy.get_xdata()) == 5
    assert [line.get_label() for line in bottom.lines] == ["strategy", "buy and hold"]
    assert_allclose(bottom.lines[0].get_ydata(), [0, 0, 0, 0, 0])
    assert_allclose(bottom.lines[1].get_ydata(), [0, 0, -0.1, -0.1, -0.01], atol=1e-12)
    assert len(bottom.collections) == 1, "the strategy's drawdown is filled"
    assert bottom.get_ylabel() == "drawdown" and bottom.get_xlabel() == "date"


def test_plot_equity_checks_its_inputs(result):
    with pytest.raises(TypeError, match="result must be a BacktestResult"):
        plot_equity({"equity": result.equity})
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="needs as many Axes; got 1"):
        plot_equity(result, axes=[ax])


def test_plot_coverage_accuracy_sorts_thresholds():
    curve = CoverageAccuracyCurve(
        thresholds=np.array([0.9, 0.5, 0.7]),
        coverage=np.array([0.2, 1.0, 0.6]),
        accuracy=np.array([np.nan, 0.6, 0.7]),
        n_acted=np.array([0, 10, 6]),
    )
    ax = plot_coverage_accuracy(curve)
    assert isinstance(ax, Axes)
    coverage, accuracy = ax.lines
    assert (coverage.get_label(), accuracy.get_label()) == ("coverage", "accuracy")
    assert_allclose(coverage.get_xdata(), [0.5, 0.7, 0.9])
    assert_allclose(coverage.get_ydata(), [1.0, 0.6, 0.2])
    assert_allclose(accuracy.get_ydata(), [0.6, 0.7, np.nan])
    assert "threshold" in ax.get_xlabel()


def test_plot_coverage_accuracy_checks_its_input():
    with pytest.raises(TypeError, match=r"without \['thresholds', 'coverage', 'accuracy'\]"):
        plot_coverage_accuracy(pd.DataFrame({"threshold": [0.5]}))
    bad = CoverageAccuracyCurve(
        thresholds=np.array([0.5, 0.6]),
        coverage=np.array([1.0]),
        accuracy=np.array([0.5, 0.6]),
        n_acted=np.array([2, 1]),
    )
    with pytest.raises(ValueError, match=r"of one length; got shapes \(2,\), \(1,\)"):
        plot_coverage_accuracy(bad)


def test_module_imports_without_matplotlib():
    # A None entry in sys.modules makes any import of that name fail. The module must import;
    # each function must then fail with installation advice.
    code = """
import sys
sys.modules["matplotlib"] = sys.modules["keras"] = None
import numpy as np
import sktemporal.plotting as p
from sktemporal.market.backtest import backtest
from sktemporal.meta import CoverageAccuracyCurve

one = np.ones(1)
calls = {
    "import_pyplot": p.import_pyplot,
    "plot_attention": lambda: p.plot_attention([0.5, 0.5]),
    "plot_attention_heatmap": lambda: p.plot_attention_heatmap([[0.5, 0.5]]),
    "plot_attributions": lambda: p.plot_attributions([[0.5, 0.5]]),
    "plot_history": lambda: p.plot_history({"loss": [0.5]}),
    "plot_confusion_matrix": lambda: p.plot_confusion_matrix([0, 1], [0, 1]),
    "plot_equity": lambda: p.plot_equity(backtest([1, 1], [1.0, 2.0])),
    "plot_coverage_accuracy": lambda: p.plot_coverage_accuracy(
        CoverageAccuracyCurve(one, one, one, one)
    ),
}
assert sorted(calls) == sorted(p.__all__)
for name, call in calls.items():
    try:
        call()
    except ImportError as error:
        assert "pip install" in str(error), (name, error)
    else:
        raise AssertionError(f"{name} raised no ImportError without matplotlib")
"""
    root = str(Path(sktemporal.__file__).resolve().parents[1])
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
