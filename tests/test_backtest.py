"""Tests for sktemporal.market.backtest."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import sktemporal
from sktemporal.market.backtest import BacktestResult, backtest

# Five closes: the four periods return +10%, -10%, 0% and +10%.
CLOSE = [100.0, 110.0, 99.0, 99.0, 108.9]
DATES = pd.bdate_range("2024-01-01", periods=5)


def test_hand_computed_example():
    # Positions decided at each close; the last one (0) has no next period and is dropped.
    # Held over the four periods: long, short, flat, long.
    result = backtest([1, -1, 0, 1, 0], CLOSE, periods_per_year=4)
    assert isinstance(result, BacktestResult)
    # Period returns: +1 * 10%, -1 * -10%, 0 * 0%, +1 * 10%.
    assert_allclose(result.returns, [0.1, 0.1, 0.0, 0.1])
    assert_allclose(result.equity, [1.0, 1.1, 1.21, 1.21, 1.331])
    assert_array_equal(result.positions, [1, -1, 0, 1])

    m = result.metrics
    assert m["total_return"] == pytest.approx(0.331)
    # Four periods at four periods a year is one year: CAGR equals the total return.
    assert m["cagr"] == pytest.approx(0.331)
    # mean 0.075; deviations 0.025, 0.025, -0.075, 0.025 -> sample variance 0.0075 / 3,
    # std 0.05; annualised with sqrt(4) = 2.
    assert m["annual_volatility"] == pytest.approx(0.1)
    assert m["sharpe"] == pytest.approx(0.075 / 0.05 * 2)
    assert np.isnan(m["sortino"])  # no losing period: downside deviation is zero
    assert m["max_drawdown"] == 0.0
    assert m["hit_rate"] == 1.0  # three periods in the market, all positive
    assert m["turnover"] == pytest.approx((1 + 2 + 1 + 1) / 4)
    assert m["exposure"] == pytest.approx(3 / 4)


def test_hand_computed_buy_and_hold():
    result = backtest([0, 0, 0, 0, 0], CLOSE, periods_per_year=4)
    assert_allclose(result.benchmark_returns, [0.1, -0.1, 0.0, 0.1])
    assert_allclose(result.benchmark_equity, [1.0, 1.1, 0.99, 0.99, 1.089])
    m = result.benchmark_metrics
    assert m["total_return"] == pytest.approx(0.089)
    assert m["cagr"] == pytest.approx(0.089)
    # mean 0.025; squared deviations 0.075², 0.125², 0.025², 0.075² sum to 0.0275.
    std = np.sqrt(0.0275 / 3)
    assert m["annual_volatility"] == pytest.approx(std * 2)
    assert m["sharpe"] == pytest.approx(0.025 / std * 2)
    # Downside deviation sqrt((0 + 0.01 + 0 + 0) / 4) = 0.05.
    assert m["sortino"] == pytest.approx(0.025 / 0.05 * 2)
    assert m["max_drawdown"] == pytest.approx(0.99 / 1.1 - 1)  # -10% from the 1.1 peak
    assert m["hit_rate"] == 0.5
    assert m["turnover"] == 0.25  # the entry only
    assert m["exposure"] == 1.0


def test_costs_charged_on_every_position_change_including_entry():
    result = backtest([1, -1, 0, 1, 0], CLOSE, cost_bps=10, periods_per_year=4)
    # Changes 1 (entry), 2 (long to short), 1, 1, at 10 bps = 0.001 per unit.
    assert_allclose(result.returns, [0.1 - 0.001, 0.1 - 0.002, 0.0 - 0.001, 0.1 - 0.001])
    assert_allclose(result.equity.iloc[-1], 1.099 * 1.098 * 0.999 * 1.099)
    # Buy-and-hold pays its entry once.
    assert_allclose(result.benchmark_returns, [0.1 - 0.001, -0.1, 0.0, 0.1])


def test_costs_lower_every_return_by_the_traded_amount():
    rng = np.random.default_rng(1)
    close = 100 * np.cumprod(1 + rng.normal(0, 0.01, 50))
    positions = rng.choice([-1, 0, 1], 50)
    free = backtest(positions, close)
    costly = backtest(positions, close, cost_bps=25)
    changes = np.abs(np.diff(positions[:-1], prepend=0))
    assert_allclose(free.returns - costly.returns, changes * 25e-4)
    assert costly.metrics["total_return"] < free.metrics["total_return"]


def test_position_decided_at_a_close_earns_the_next_period_only():
    # Perfect foresight of the next period's direction earns every up and down move ...
    close = np.array([100.0, 101.0, 99.0, 102.0, 100.0, 103.0])
    next_direction = np.sign(np.diff(close, append=close[-1]))
    foresight = backtest(next_direction, close)
    assert (foresight.returns > 0).all()
    # ... and the same signal one day late (known only at the close after the move) loses
    # on every period where the direction flips.
    late = backtest(np.concatenate([[0], next_direction[:-1]]), close)
    assert late.metrics["total_return"] < 0 < foresight.metrics["total_return"]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from([-1, 0, 1]), min_size=4, max_size=30),
    st.data(),
)
def test_no_look_ahead(positions, data):
    n = len(positions)
    rng = np.random.default_rng(n)
    close = 100 * np.cumprod(1 + rng.normal(0, 0.02, n))
    t = data.draw(st.integers(0, n - 2), label="t")
    base = backtest(positions, close, cost_bps=5)

    # Changing prices after close t + 1 or positions from close t + 1 on leaves the equity up
    # to close t + 1 unchanged.
    future_close = close.copy()
    future_close[t + 2 :] *= 1.5
    future_positions = list(positions)
    future_positions[t + 1 :] = [-p for p in future_positions[t + 1 :]]
    for other in (
        backtest(positions, future_close, cost_bps=5),
        backtest(future_positions, close, cost_bps=5),
    ):
        assert_allclose(other.equity.iloc[: t + 2], base.equity.iloc[: t + 2])


def test_position_at_a_close_does_not_move_equity_at_that_close():
    positions = np.array([1, 1, 1, 1, 1])
    flipped = positions.copy()
    flipped[1] = -1  # decided at close 1, held over the -10% period to close 2
    base, other = backtest(positions, CLOSE), backtest(flipped, CLOSE)
    assert_allclose(other.equity.iloc[:2], base.equity.iloc[:2])
    assert other.equity.iloc[2] == pytest.approx(1.1 * 1.1)
    assert base.equity.iloc[2] == pytest.approx(1.1 * 0.9)


def test_long_only_maps_short_to_flat():
    result = backtest([1, -1, 0, 1, -1], CLOSE, long_only=True, periods_per_year=4)
    assert_array_equal(result.positions, [1, 0, 0, 1])
    assert_allclose(result.returns, [0.1, 0.0, 0.0, 0.1])
    assert result.metrics["total_return"] == pytest.approx(0.21)
    assert result.metrics["exposure"] == 0.5


def test_series_keep_their_index():
    close = pd.Series(CLOSE, index=DATES)
    positions = pd.Series([1, 1, 0, 0, 1], index=DATES)
    result = backtest(positions, close)
    pd.testing.assert_index_equal(result.equity.index, DATES)
    pd.testing.assert_index_equal(result.benchmark_equity.index, DATES)
    pd.testing.assert_index_equal(result.returns.index, DATES[1:])
    pd.testing.assert_index_equal(result.positions.index, DATES[1:])
    assert_allclose(result.equity.pct_change().iloc[1:], result.returns)

    # A Series with an array takes the Series' index, whichever argument it is.
    pd.testing.assert_index_equal(backtest(positions.to_numpy(), close).equity.index, DATES)
    pd.testing.assert_index_equal(backtest(positions, CLOSE).equity.index, DATES)


def test_summary_and_to_frame():
    result = backtest(pd.Series([1, 0, -1, 1, 0], index=DATES), pd.Series(CLOSE, index=DATES))
    summary = result.summary()
    assert list(summary.columns) == ["strategy", "buy_and_hold"]
    assert list(summary.index) == list(result.metrics)
    assert summary.loc["total_return", "strategy"] == result.metrics["total_return"]
    assert summary.loc["exposure", "buy_and_hold"] == 1.0

    frame = result.to_frame()
    assert list(frame.columns) == [
        "equity",
        "benchmark_equity",
        "returns",
        "benchmark_returns",
        "positions",
    ]
    pd.testing.assert_index_equal(frame.index, DATES)
    assert frame.iloc[0][["returns", "benchmark_returns", "positions"]].isna().all()
    assert_allclose(result.drawdown, result.equity / result.equity.cummax() - 1)


def test_undefined_metrics_are_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = backtest([0, 0, 0], [100.0, 101.0, 102.0]).metrics
        single = backtest([1, 1], [100.0, 101.0]).metrics
    assert np.isnan(flat["sharpe"]) and np.isnan(flat["sortino"]) and np.isnan(flat["hit_rate"])
    assert flat["total_return"] == 0.0 and flat["exposure"] == 0.0 and flat["turnover"] == 0.0
    assert np.isnan(single["annual_volatility"]) and np.isnan(single["sharpe"])
    assert single["total_return"] == pytest.approx(0.01)


def test_cagr_when_a_short_loses_everything():
    result = backtest([-1, -1, 0], [100.0, 250.0, 250.0])
    assert result.metrics["total_return"] == pytest.approx(-1.5)
    assert result.metrics["cagr"] == -1.0


@pytest.mark.parametrize(
    "positions, close, message",
    [
        (
            [1, 0, 1],
            [100.0, np.nan, 101.0],
            r"close has 1 missing or infinite price\(s\), the first at 1",
        ),
        ([1, 0, 1], [100.0, np.inf, 101.0], "missing or infinite"),
        ([1, 0, 1], [100.0, 0.0, 101.0], "close must hold positive prices; got 0.0 at 1"),
        (
            [1, 2, 1],
            [100.0, 101.0, 102.0],
            r"only -1 \(short\), 0 \(flat\) or 1 \(long\); got \[2.0\]",
        ),
        ([1, 0.5, 1], [100.0, 101.0, 102.0], r"got \[0.5\] \(first at 1\)"),
        ([1, np.nan, 1], [100.0, 101.0, 102.0], r"got \[nan\]"),
        (
            [1, 0],
            [100.0, 101.0, 102.0],
            "same length, one position per close; got 2 positions and 3",
        ),
        ([1], [100.0], "at least 2 closes"),
        (["long", "flat"], [100.0, 101.0], "positions must be numeric"),
        ([[1, 0], [0, 1]], [100.0, 101.0], r"positions must be one-dimensional .* shape \(2, 2\)"),
    ],
)
def test_bad_inputs_raise_naming_the_problem(positions, close, message):
    with pytest.raises(ValueError, match=message):
        backtest(positions, close)


def test_mismatched_series_indexes_raise():
    close = pd.Series(CLOSE, index=DATES)
    shifted = pd.Series([1, 0, 1, 0, 1], index=DATES + pd.Timedelta(days=1))
    with pytest.raises(ValueError, match="same index.*first differ at row 0"):
        backtest(shifted, close)
    with pytest.raises(ValueError, match="positions has 4 rows and close 5"):
        backtest(shifted.iloc[:4].set_axis(DATES[:4]), close)


def test_unsorted_datetime_index_raises():
    close = pd.Series(CLOSE, index=DATES[::-1])
    with pytest.raises(ValueError, match="not sorted"):
        backtest([1, 0, 1, 0, 1], close)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cost_bps": -1}, r"'cost_bps' parameter of backtest .* range \[0.0, inf\)"),
        ({"cost_bps": np.inf}, r"'cost_bps' parameter .* Got inf"),
        ({"periods_per_year": 0}, r"'periods_per_year' parameter .* range \(0.0, inf\)"),
        ({"periods_per_year": "daily"}, r"'periods_per_year' parameter .* Got 'daily'"),
        ({"periods_per_year": np.inf}, r"'periods_per_year' parameter .* Got inf"),
    ],
)
def test_bad_parameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        backtest([1, 0, 1], [100.0, 101.0, 102.0], **kwargs)


def test_imports_without_keras_or_matplotlib():
    # A None entry in sys.modules makes any import of that name fail.
    code = (
        "import sys\n"
        "for name in ('keras', 'tensorflow', 'matplotlib'):\n"
        "    sys.modules[name] = None\n"
        "import sktemporal.market.backtest\n"
    )
    root = str(Path(sktemporal.__file__).resolve().parents[1])
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
