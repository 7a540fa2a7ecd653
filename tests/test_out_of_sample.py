"""Tests for sktemporal.market.out_of_sample: reading, gating and backtesting the predictions."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin

from sktemporal.market.out_of_sample import (
    backtest_predictions,
    count_trades,
    gated_positions,
    read_oos_predictions,
    split_paths,
)
from sktemporal.meta import ConfidenceThresholdClassifier


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
    with pytest.raises(ValueError, match=r"'threshold' parameter .* \[0.0, 1.0\]"):
        gated_positions(synthetic_predictions([[0.2, 0.3, 0.5]]), 1.5)


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
    assert result.n_trades == 0
    assert "0 trades: no prediction reached confidence 0.65" in result.format_table()


def test_a_gate_that_only_lets_flat_through_says_so():
    # Confident days exist, but every one of them is a confident "flat".
    predictions = synthetic_predictions([[0.1, 0.8, 0.1], [0.3, 0.4, 0.3]] * 3)
    close = pd.Series(np.linspace(100, 110, 7), index=pd.bdate_range("2020-01-01", periods=7))

    result = backtest_predictions(predictions, close, threshold=0.65)

    assert (result.n_acted, result.n_trades) == (3, 0)
    assert result.no_trade_reason() == (
        "0 trades: every prediction at confidence >= 0.65 (3 days) was flat; the strategy "
        "held cash throughout."
    )
    assert result.no_trade_reason() in result.format_table()
    assert result.to_dict()["n_trades"] == 0


def test_trades_are_the_positions_opened():
    assert count_trades([0, 1, 1, 0, -1, 1, 1, 0]) == 3  # long, short, long
    assert count_trades([1, 1, 1]) == 1  # the day before the first is flat
    assert count_trades([0, 0]) == 0


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


def test_cpcv_predictions_are_read_and_split_into_paths(tmp_path):
    rng = np.random.default_rng(0)
    paths = [synthetic_predictions(rng.dirichlet([1.0] * 3, size=20)) for _ in range(3)]
    saved = pd.concat({n: path for n, path in enumerate(paths, start=1)}, names=["path"])
    saved = saved.reset_index(level="path")
    saved.to_csv(tmp_path / "m.keras.oos.csv", index_label="date")

    read = read_oos_predictions(tmp_path / "m.keras.oos.csv")

    assert read["path"].tolist() == [1] * 20 + [2] * 20 + [3] * 20
    for original, split in zip(paths, split_paths(read), strict=True):
        pd.testing.assert_frame_equal(split, original, check_freq=False, check_index_type=False)
    assert split_paths(paths[0]) == [paths[0]]
    other_dates = saved.copy()
    other_dates.index = other_dates.index.where(
        other_dates["path"] != 3, other_dates.index + pd.Timedelta(days=1)
    )
    other_dates.to_csv(tmp_path / "bad.oos.csv", index_label="date")
    with pytest.raises(ValueError, match="every path must predict the same dates"):
        read_oos_predictions(tmp_path / "bad.oos.csv")
