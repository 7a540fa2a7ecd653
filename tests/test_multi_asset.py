"""Tests of the market job on many assets: per-asset features, one model, walk-forward by date."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from sktemporal.market.datasets import load_sp500, load_sp500_stocks
from sktemporal.market.features import TechnicalIndicators
from sktemporal.market.panel import panel_walk_forward_evaluate, prepare_panel
from sktemporal.market.panel_model import fit_panel_model
from sktemporal.market.panel_run import backtest_panel
from sktemporal.market.preparation import prepare_dataset
from sktemporal.panel_windows import PanelWindows

SEQUENCE_LENGTH = 5


def tiny():
    return AttentionLSTMClassifier(
        lstm_units=2, attention_units=2, dense_units=2, stem_filters=(2,),
        stem_kernel_sizes=(3,), epochs=1, random_state=0,
    )  # fmt: skip


def ohlcv_panel():
    """Three assets on unequal calendars: AAA, BBB listed 40 days later, CCC missing days."""
    prices = load_sp500().iloc[:260]
    rng = np.random.default_rng(0)
    other = prices * np.exp(np.cumsum(rng.normal(0, 0.01, len(prices))))[:, None]
    other["volume"] = prices["volume"]
    third = prices.drop(prices.index[100:103])  # closed on three days the others traded
    return pd.concat(
        {"AAA": prices, "BBB": other.iloc[40:], "CCC": third}, names=["symbol", "date"]
    )[["open", "high", "low", "close", "volume"]]


@pytest.fixture(scope="module")
def evaluated():
    prices = ohlcv_panel()
    result = panel_walk_forward_evaluate(
        prices, tiny(), sequence_length=SEQUENCE_LENGTH, n_splits=3, per_asset_models=True
    )
    return prices, result


def test_features_and_labels_are_each_assets_own():
    prices = ohlcv_panel()

    data = prepare_panel(prices, sequence_length=SEQUENCE_LENGTH)

    assert data.feature_set == "ohlcv"
    for symbol in ("AAA", "BBB", "CCC"):
        X, y = prepare_dataset(prices.loc[symbol])
        pd.testing.assert_frame_equal(data.X.loc[symbol], X)
        pd.testing.assert_series_equal(data.y.loc[symbol], y, check_names=False)
    # The samples are the rows with SEQUENCE_LENGTH - 1 rows of their own asset before them.
    first = data.sample_index.to_frame(index=False).groupby("symbol", sort=False)["date"].min()
    for symbol, date in first.items():
        assert data.X.loc[symbol].index.get_loc(date) == SEQUENCE_LENGTH - 1


def test_one_assets_prices_never_move_anothers_features():
    prices = ohlcv_panel()
    changed = prices.copy()
    changed.loc["BBB", "close"] = changed.loc["BBB", "close"].to_numpy() * 1.5 + 1

    before = prepare_panel(prices, sequence_length=SEQUENCE_LENGTH)
    after = prepare_panel(changed, sequence_length=SEQUENCE_LENGTH)

    for symbol in ("AAA", "CCC"):
        pd.testing.assert_frame_equal(before.X.loc[symbol], after.X.loc[symbol])
    assert not before.X.loc["BBB"].equals(after.X.loc["BBB"])


def test_short_assets_are_left_out_by_name():
    prices = pd.concat(
        [ohlcv_panel(), pd.concat({"TINY": load_sp500().iloc[:30]}, names=["symbol", "date"])]
    )[["open", "high", "low", "close", "volume"]]

    with pytest.warns(UserWarning, match=r"TINY \(30 rows\)"):
        data = prepare_panel(prices, sequence_length=SEQUENCE_LENGTH)

    assert data.symbols == ["AAA", "BBB", "CCC"]
    assert data.dropped == {"TINY": 30}


def test_the_samples_windows_are_their_scaled_rows_read_from_the_table():
    data = prepare_panel(ohlcv_panel(), sequence_length=SEQUENCE_LENGTH)
    scaler = StandardScaler().fit(data.X.to_numpy()[:300])

    windows = data.windows(SEQUENCE_LENGTH, scaler=scaler)

    assert isinstance(windows, PanelWindows) and windows.dtype == np.float32
    assert windows.shape == (len(data.samples), SEQUENCE_LENGTH, data.X.shape[1])
    assert windows.held_nbytes < windows.nbytes / 3  # the table, not the windows
    # Bit for bit what the job computed before: the transformer's windows of the float32
    # table at the samples, scaled in float32.
    transformed = SlidingWindowTransformer(SEQUENCE_LENGTH).fit_transform(
        data.X.astype(np.float32)
    )
    copied = np.asarray(transformed)[data.samples]
    expected = (copied - scaler.mean_.astype(np.float32)) / scaler.scale_.astype(np.float32)
    np.testing.assert_array_equal(np.asarray(windows), expected)
    np.testing.assert_array_equal(np.asarray(data.windows(SEQUENCE_LENGTH)), copied)
    # One row longer would reach into the asset before (or before the table).
    with pytest.raises(ValueError, match="reaches past the rows of an asset"):
        data.windows(SEQUENCE_LENGTH + 1)


def test_the_job_gathers_its_windows_a_batch_at_a_time(panel_windows_gathered):
    prices = ohlcv_panel()
    result = panel_walk_forward_evaluate(
        prices, tiny(), sequence_length=SEQUENCE_LENGTH, n_splits=2, per_asset_models=True
    )
    model = fit_panel_model(prices, tiny(), sequence_length=SEQUENCE_LENGTH)
    predictions = model.predict_proba_frame(prices)  # the prediction path selects lazily too

    assert "model_per_asset" in result.folds[0].scores and model.classifier.n_iter_ == 1
    assert len(predictions) > 32
    # Batches of 32, prediction chunks of 32: never a fold's hundreds of windows at once.
    assert 0 < panel_windows_gathered[0] <= 32 < result.data["n_samples"] // 3


def test_every_test_date_follows_every_training_date_plus_the_gap(evaluated):
    prices, result = evaluated
    calendar = prices.index.get_level_values(1).unique().sort_values()
    for fold in result.folds:
        # The gap of one row: each asset's last training label ends before the test block.
        assert fold.train_dates[1] < fold.test_dates[0]
        for symbol in result.symbols:
            own = prices.loc[symbol].index
            after_last_train = own[own > fold.train_dates[1]]
            if len(after_last_train):
                assert after_last_train[0] <= fold.test_dates[0] or (
                    calendar.get_loc(fold.test_dates[0]) > calendar.get_loc(fold.train_dates[1])
                )
    predictions = result.predictions
    for fold in result.folds:
        dates = predictions[predictions["fold"] == fold.fold].index.get_level_values(1)
        assert dates.min() == fold.test_dates[0] and dates.max() == fold.test_dates[1]


def test_scores_per_asset_and_pooled_for_every_method(evaluated):
    _, result = evaluated
    methods = (
        "model", "model_per_asset", "majority", "persistence", "logistic_regression",
        "logistic_regression_per_asset",
    )  # fmt: skip

    assert result.names == methods
    assert result.summary().index.tolist() == list(methods)
    assert set(result.asset_summary().index.get_level_values(0)) == {"AAA", "BBB", "CCC"}
    report = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert report["panel"] is True
    assert set(report["baseline_metrics"]) == set(methods) - {"model"}
    for symbol in ("AAA", "BBB", "CCC"):
        for name in methods:
            entry = report["asset_metrics"][symbol][name]
            assert 0 <= entry["balanced_accuracy"] <= 1
    assert report["baseline_metrics"]["persistence"]["log_loss"] is None
    text = result.format_table()
    assert "pooled over the assets" in text and "per asset" in text and "BBB" in text


def test_the_predictions_are_each_assets_test_days_in_order(evaluated):
    prices, result = evaluated
    predictions = result.predictions

    assert list(pd.unique(predictions.index.get_level_values(0))) == ["AAA", "BBB", "CCC"]
    for symbol, rows in predictions.groupby(level=0):
        dates = rows.index.get_level_values(1)
        own = prices.loc[symbol].index
        assert dates.is_monotonic_increasing
        # Contiguous in the asset's own calendar: a backtest holds each day to the next.
        assert own.get_loc(dates[-1]) - own.get_loc(dates[0]) == len(dates) - 1
    np.testing.assert_allclose(predictions.filter(like="proba_").sum(axis=1), 1.0, atol=1e-6)


def test_portfolio_is_the_mean_of_the_assets_returns(evaluated):
    prices, result = evaluated
    threshold = float(result.predictions.filter(like="proba_").max(axis=1).median())

    backtested = backtest_panel(result.predictions, prices, threshold=threshold)

    returns = pd.DataFrame({s: r.result.returns for s, r in backtested.assets.items()})
    pd.testing.assert_series_equal(
        backtested.portfolio.returns, returns.mean(axis=1), check_names=False
    )
    equity = backtested.portfolio.equity
    assert equity.iloc[-1] == pytest.approx(np.prod(1 + returns.mean(axis=1)))
    frame = backtested.to_frame()
    assert frame.index.tolist() == ["AAA", "BBB", "CCC", "equal-weight portfolio"]
    assert frame.loc["equal-weight portfolio", "trades"] == frame["trades"].iloc[:3].sum()
    json.dumps(backtested.to_dict(), allow_nan=False)


def test_close_only_panel_uses_the_close_only_indicators():
    prices = load_sp500_stocks(["KO", "PEP"], start="2022-01-01")

    data = prepare_panel(prices, sequence_length=SEQUENCE_LENGTH)

    assert data.feature_set == "close"
    assert list(data.X.columns) == list(
        TechnicalIndicators(feature_set="close").fit(prices.loc["KO"]).get_feature_names_out()
    )


@pytest.mark.parametrize(
    "prices, message",
    [
        (load_sp500().iloc[:300], "indexed by \\(symbol, date\\)"),
        (
            pd.concat({"A": load_sp500().iloc[:300].iloc[::-1]}, names=["symbol", "date"]),
            "'A' are not strictly increasing",
        ),
    ],
    ids=["one series", "unsorted"],
)
def test_bad_panels_are_refused_by_name(prices, message):
    with pytest.raises(ValueError, match=message):
        panel_walk_forward_evaluate(prices, tiny(), sequence_length=SEQUENCE_LENGTH, n_splits=2)


def test_too_few_dates_for_the_folds_is_refused_before_training():
    prices = ohlcv_panel().groupby(level=0).head(60)
    with pytest.raises(ValueError, match="needs at least"):
        panel_walk_forward_evaluate(prices, tiny(), sequence_length=SEQUENCE_LENGTH, n_splits=5)
