"""Tests for sktemporal.market.sweep: the threshold sweep, its overfitting odds, CPCV paths."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from sktemporal.market.out_of_sample import backtest_predictions
from sktemporal.market.overfitting import backtest_overfitting
from sktemporal.market.sweep import (
    default_thresholds,
    path_backtest_report,
    path_backtests,
    threshold_sweep,
)
from tests.test_out_of_sample import synthetic_predictions


def _predictions_and_close(seed=0, n=120):
    rng = np.random.default_rng(seed)
    predictions = synthetic_predictions(
        rng.dirichlet([1.0, 1.0, 1.0], size=n), y_true=rng.integers(-1, 2, size=n)
    )
    close = pd.Series(
        100 * np.cumprod(1 + rng.normal(0, 0.01, size=n + 1)),
        index=pd.bdate_range("2020-01-01", periods=n + 1),
    )
    return predictions, close


def test_the_threshold_sweep_is_one_backtest_per_threshold():
    predictions, close = _predictions_and_close()

    sweep = threshold_sweep(predictions, close, thresholds=[0.4, 0.6, 0.8], cost_bps=5)

    assert sweep.table.index.tolist() == [0.4, 0.6, 0.8]
    for threshold, row in sweep.table.iterrows():
        single = backtest_predictions(predictions, close, threshold=threshold, cost_bps=5)
        assert row["coverage"] == single.coverage
        assert row["n_trades"] == single.n_trades
        for name in ("exposure", "hit_rate", "total_return", "sharpe", "max_drawdown"):
            assert row[name] == pytest.approx(single.result.metrics[name], nan_ok=True)
    assert sweep.buy_and_hold["total_return"] == pytest.approx(
        single.result.benchmark_metrics["total_return"]
    )
    # A higher bar acts on fewer days.
    assert sweep.table["coverage"].is_monotonic_decreasing
    text = sweep.format_table()
    assert text.splitlines()[-1].lstrip().startswith("buy & hold") and "0.8" in text
    assert sweep.to_dict()["thresholds"][0]["confidence"] == 0.4
    assert_allclose(default_thresholds(3), np.arange(0.35, 0.951, 0.05))
    assert default_thresholds(2)[0] == 0.55  # above chance: 0.5 is always reached
    with pytest.raises(ValueError, match="thresholds must be probabilities"):
        threshold_sweep(predictions, close, thresholds=[0.5, 1.5])


def test_the_sweeps_overfitting_odds_are_those_of_its_daily_returns():
    predictions, close = _predictions_and_close(n=400)
    sweep = threshold_sweep(predictions, close, thresholds=[0.0, 0.4, 0.5, 0.6])

    for threshold in sweep.returns.columns:
        single = backtest_predictions(predictions, close, threshold=threshold)
        assert_allclose(sweep.returns[threshold].to_numpy(), single.result.returns.to_numpy())
    odds = sweep.overfitting(n_blocks=8)
    direct = backtest_overfitting(sweep.returns, n_blocks=8)
    assert odds == direct
    assert odds.n_trials == 4 and odds.n_combinations == 70
    assert odds.selected == sweep.table["sharpe"].idxmax()
    assert odds.selected_sharpe == pytest.approx(sweep.table["sharpe"].max())
    text = odds.format_text("confidence threshold")
    assert "probability of backtest overfitting" in text and "deflated Sharpe ratio" in text
    assert odds.to_dict()["selected"] == odds.selected


def test_every_cpcv_path_is_backtested_on_its_own_predictions():
    paths = [_predictions_and_close(seed)[0] for seed in range(3)]
    _, close = _predictions_and_close()

    table = path_backtests(paths, close, thresholds=[0.0, 0.5])
    report = path_backtest_report(paths, close, thresholds=[0.0, 0.5])

    assert table.index.names == ["path", "confidence"] and len(table) == 6
    sharpes = []
    for number, predictions in enumerate(paths, start=1):
        single = backtest_predictions(predictions, close, threshold=0.5)
        assert table.loc[(number, 0.5), "sharpe"] == pytest.approx(single.result.metrics["sharpe"])
        sharpes.append(single.result.metrics["sharpe"])
    spread = report["sharpe_over_paths"]["0.5"]
    assert spread["mean"] == pytest.approx(np.mean(sharpes))
    assert spread["std"] == pytest.approx(np.std(sharpes, ddof=1))
    assert spread["worst"] == pytest.approx(min(sharpes))
    assert report["buy_and_hold_sharpe"] == pytest.approx(
        single.result.benchmark_metrics["sharpe"]
    )
    assert len(report["paths"]) == 6
