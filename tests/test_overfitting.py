"""Tests for sktemporal.market.overfitting: PBO and the deflated Sharpe ratio of a selection."""

import numpy as np
import pandas as pd
import pytest

from sktemporal.market.overfitting import backtest_overfitting


def test_selecting_among_settings_without_skill_is_overfit():
    odds = [
        backtest_overfitting(
            pd.DataFrame(np.random.default_rng(seed).normal(0, 0.01, size=(1000, 20))),
            n_blocks=8,
        )
        for seed in range(10)
    ]

    # The best in-sample of 20 coin flips lands below the out-of-sample median about half
    # the time. Taken alone, its Sharpe ratio looks real (PSR near 1); deflated by the 20
    # tries, it is what luck gives, and never significant.
    assert 0.35 < np.mean([o.pbo for o in odds]) < 0.75
    assert np.mean([o.probabilistic_sharpe_ratio for o in odds]) > 0.9
    assert np.mean([o.deflated_sharpe_ratio for o in odds]) < 0.7
    assert max(o.deflated_sharpe_ratio for o in odds) < 0.95
    assert all(o.n_trials == o.n_active == 20 and o.n_combinations == 70 for o in odds)


def test_a_setting_with_skill_is_selected_and_not_overfit():
    rng = np.random.default_rng(1)
    returns = pd.DataFrame(
        rng.normal(0, 0.01, size=(1000, 10)), columns=[f"s{i}" for i in range(10)]
    )
    returns["skilled"] = rng.normal(0.002, 0.01, size=1000)  # a Sharpe ratio of 3 a year

    odds = backtest_overfitting(returns, n_blocks=10)

    assert odds.selected == "skilled"
    assert odds.pbo < 0.1
    assert odds.deflated_sharpe_ratio > 0.95
    assert odds.selected_sharpe == pytest.approx(
        returns["skilled"].mean() / returns["skilled"].std() * np.sqrt(252)
    )


def test_settings_that_never_trade_count_as_trials_with_no_returns():
    rng = np.random.default_rng(2)
    returns = pd.DataFrame({0.4: rng.normal(0, 0.01, 300), 0.8: np.zeros(300), 0.9: np.zeros(300)})

    odds = backtest_overfitting(returns, n_blocks=6)

    assert odds.n_trials == 3 and odds.n_active == 1
    assert "1 of which ever held a position" in odds.format_text()

    idle = backtest_overfitting(returns[[0.8, 0.9]], n_blocks=6)
    assert idle.selected is None and np.isnan(idle.pbo) and np.isnan(idle.deflated_sharpe_ratio)
    assert "no selection to judge" in idle.format_text()
    assert idle.to_dict()["pbo"] is None


@pytest.mark.parametrize(
    "returns, n_blocks, message",
    [
        (pd.DataFrame({"a": np.zeros(50)}), 4, "2 or more settings"),
        (pd.DataFrame(np.zeros((50, 2))), 5, "n_blocks must be even"),
        (pd.DataFrame(np.zeros((3, 2))), 4, "fewer than n_blocks=4"),
        (pd.DataFrame([[0.0, np.nan]] * 10), 4, "must all be finite"),
    ],
)
def test_bad_returns_are_named(returns, n_blocks, message):
    with pytest.raises(ValueError, match=message):
        backtest_overfitting(returns, n_blocks=n_blocks)
