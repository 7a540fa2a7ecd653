"""Tests for the TA-Lib technical indicator transformer."""

import warnings

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from sktemporal.market.datasets import load_sp500
from sktemporal.market.features import TechnicalIndicators

N_FEATURES = 34


@pytest.fixture(scope="module")
def sp500():
    return load_sp500()


@pytest.fixture(scope="module")
def sp500_features(sp500):
    indicators = TechnicalIndicators().set_output(transform="pandas")
    return indicators.fit_transform(sp500)


def random_walk_prices(n_rows, seed):
    """Plausible OHLCV rows with a business-day index."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n_rows)))
    open_ = close * np.exp(rng.normal(0, 0.003, n_rows))
    spread = np.abs(rng.normal(0, 0.005, n_rows))
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + spread),
            "low": np.minimum(open_, close) * (1 - spread),
            "close": close,
            "volume": rng.integers(1_000, 100_000, n_rows).astype(float),
        },
        index=pd.bdate_range("2020-01-01", periods=n_rows, name="date"),
    )


def test_output_shape_dtype_and_names(sp500):
    indicators = TechnicalIndicators()

    Xt = indicators.fit_transform(sp500)
    names = indicators.get_feature_names_out()

    assert isinstance(Xt, np.ndarray)
    assert Xt.shape == (len(sp500), N_FEATURES)
    assert Xt.dtype == np.float64
    assert len(names) == N_FEATURES
    assert len(set(names)) == N_FEATURES


def test_fit_records_input_columns(sp500):
    indicators = TechnicalIndicators().fit(sp500)

    assert indicators.n_features_in_ == 6
    np.testing.assert_array_equal(indicators.feature_names_in_, sp500.columns)


def test_warmup_rows_hold_nan_and_later_rows_are_finite(sp500_features):
    warmup = TechnicalIndicators.warmup_rows
    values = sp500_features.to_numpy()

    assert np.isnan(values[:warmup]).any(axis=1).all()
    assert np.isfinite(values[warmup:]).all()


def test_pandas_output_keeps_the_index_and_names(sp500, sp500_features):
    pd.testing.assert_index_equal(sp500_features.index, sp500.index)
    assert sp500_features.columns.tolist() == list(
        TechnicalIndicators().fit(sp500).get_feature_names_out()
    )


def test_named_columns_match_independent_computations(sp500, sp500_features):
    close, volume = sp500["close"], sp500["volume"]
    features = sp500_features
    rtol = 1e-9

    np.testing.assert_allclose(features["return_1"], close / close.shift(1) - 1, rtol=rtol)
    np.testing.assert_allclose(features["return_20"], close / close.shift(20) - 1, rtol=rtol)
    np.testing.assert_allclose(features["log_return_1"], np.log(close / close.shift(1)), rtol=rtol)
    np.testing.assert_allclose(
        features["close_to_sma_50"], close / close.rolling(50).mean() - 1, rtol=1e-6
    )
    np.testing.assert_allclose(
        features["rsi_14"], talib.RSI(close.to_numpy(), timeperiod=14), rtol=rtol
    )
    np.testing.assert_allclose(
        features["range_to_close"], (sp500["high"] - sp500["low"]) / close, rtol=rtol
    )
    np.testing.assert_allclose(
        features["overnight_gap"], sp500["open"] / close.shift(1) - 1, rtol=rtol
    )
    returns = close / close.shift(1) - 1
    np.testing.assert_allclose(
        features["volatility_20"], returns.rolling(20).std(ddof=0), rtol=1e-6
    )
    np.testing.assert_allclose(
        features["volume_to_sma_20"], volume / volume.rolling(20).mean() - 1, rtol=1e-6
    )
    # Net volume of up days minus down days over the last 20 rows; the first row has no
    # previous close, so the first full window ends at row 20.
    signed_volume = np.sign(close.diff()) * volume
    np.testing.assert_allclose(
        features["obv_flow_20"][20:],
        (signed_volume.rolling(20).sum() / volume.rolling(20).sum())[20:],
        rtol=1e-6,
        atol=1e-12,
    )
    assert features["obv_flow_20"][:20].isna().all()


def test_features_do_not_depend_on_price_level():
    prices = random_walk_prices(120, seed=1)
    scaled = prices.assign(**{c: prices[c] * 1000 for c in ["open", "high", "low", "close"]})

    np.testing.assert_allclose(
        TechnicalIndicators().fit_transform(scaled),
        TechnicalIndicators().fit_transform(prices),
        rtol=1e-6,
        atol=1e-9,
    )


def test_short_input_keeps_every_row():
    prices = random_walk_prices(10, seed=2)

    Xt = TechnicalIndicators().fit_transform(prices)

    assert Xt.shape == (10, N_FEATURES)
    assert np.isnan(Xt).any(axis=1).all()


def test_column_names_are_matched_in_any_case_and_extra_columns_ignored():
    prices = random_walk_prices(80, seed=3)
    renamed = prices.rename(columns=str.upper).assign(TICKER="XYZ")

    np.testing.assert_array_equal(
        TechnicalIndicators().fit_transform(renamed), TechnicalIndicators().fit_transform(prices)
    )


def test_flat_prices_and_zero_volume_give_nan_not_warnings():
    prices = random_walk_prices(80, seed=4)
    prices[["open", "high", "low", "close"]] = 50.0
    prices["volume"] = 0.0

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Xt = TechnicalIndicators().fit_transform(prices)

    names = list(TechnicalIndicators().fit(prices).get_feature_names_out())
    assert np.isnan(Xt[:, names.index("volume_to_sma_20")]).all()
    np.testing.assert_array_equal(Xt[1:, names.index("return_1")], 0.0)


def test_transform_before_fit_raises():
    with pytest.raises(NotFittedError):
        TechnicalIndicators().transform(random_walk_prices(60, seed=5))


def test_transform_checks_columns_against_fit():
    prices = random_walk_prices(60, seed=6)
    indicators = TechnicalIndicators().fit(prices.assign(adj_close=prices["close"]))

    with pytest.raises(ValueError, match="feature names should match"):
        indicators.transform(prices)


def with_value(prices, column, row, value):
    changed = prices.copy()
    changed.iloc[row, changed.columns.get_loc(column)] = value
    return changed


@pytest.mark.parametrize(
    ("make_input", "error", "message"),
    [
        pytest.param(
            lambda prices: prices.to_numpy(),
            TypeError,
            "needs a pandas DataFrame .* got ndarray",
            id="array",
        ),
        pytest.param(
            lambda prices: prices.drop(columns=["high", "volume"]),
            ValueError,
            r"missing column\(s\) 'high', 'volume'",
            id="missing-columns",
        ),
        pytest.param(
            lambda prices: prices.assign(Close=prices["close"]),
            ValueError,
            "columns 'close' and 'Close' both read as 'close'",
            id="same-column-twice",
        ),
        pytest.param(
            lambda prices: with_value(prices, "close", 3, np.nan),
            ValueError,
            "column 'close' has a NaN value, first at row 2020-01-06",
            id="nan",
        ),
        pytest.param(
            lambda prices: with_value(prices, "volume", 4, np.inf),
            ValueError,
            "column 'volume' has an infinite value, first at row 2020-01-07",
            id="infinite",
        ),
        pytest.param(
            lambda prices: prices.assign(open=prices["open"].astype(str)),
            ValueError,
            "column 'open' must be numeric",
            id="non-numeric",
        ),
        pytest.param(
            lambda prices: with_value(prices, "low", 2, 0.0),
            ValueError,
            r"column 'low' has 0.0 at row 2020-01-03.*prices must be > 0",
            id="zero-price",
        ),
        pytest.param(
            lambda prices: with_value(prices, "volume", 2, -5.0),
            ValueError,
            r"column 'volume' has -5.0 at row 2020-01-03.*volumes must be >= 0",
            id="negative-volume",
        ),
        pytest.param(
            lambda prices: prices.iloc[[0, 2, 1, 3]],
            ValueError,
            r"DatetimeIndex is not sorted: 2020-01-02 .* comes after 2020-01-03.*sort_index",
            id="unsorted",
        ),
        pytest.param(
            lambda prices: prices.iloc[[0, 1, 1, 2]],
            ValueError,
            "DatetimeIndex repeats 2020-01-02",
            id="duplicated-dates",
        ),
        pytest.param(
            lambda prices: prices.iloc[:0],
            ValueError,
            "the prices have no rows",
            id="empty",
        ),
    ],
)
def test_bad_input_raises_naming_the_problem(make_input, error, message):
    prices = random_walk_prices(10, seed=7)

    with pytest.raises(error, match=message):
        TechnicalIndicators().fit(make_input(prices))
    fitted = TechnicalIndicators().fit(prices)
    with pytest.raises(error, match=message):
        fitted.transform(make_input(prices))


N_ROWS = 120


@st.composite
def future_perturbations(draw):
    """Prices, a row ``t`` and the same prices with every row from ``t`` on replaced."""
    prices = random_walk_prices(N_ROWS, seed=draw(st.integers(0, 2**16)))
    t = draw(st.integers(1, N_ROWS - 1))
    n_new = N_ROWS - t
    kind = draw(st.sampled_from(["random", "constant", "extreme"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if kind == "random":
        new_prices = rng.uniform(1e-3, 1e4, size=(n_new, 4))
        new_volume = rng.uniform(0, 1e9, size=n_new)
    elif kind == "constant":
        new_prices = np.full((n_new, 4), draw(st.floats(1e-3, 1e4)))
        new_volume = np.full(n_new, draw(st.sampled_from([0.0, 1.0, 1e9])))
    else:
        new_prices = rng.choice([1e-9, 1e12], size=(n_new, 4))
        new_volume = rng.choice([0.0, 1e15], size=n_new)
    perturbed = prices.copy()
    perturbed.iloc[t:, :4] = new_prices
    perturbed.iloc[t:, 4] = new_volume
    return prices, perturbed, t


@settings(max_examples=20, deadline=None)
@given(future_perturbations())
def test_changing_rows_from_t_on_never_changes_features_before_t(case):
    prices, perturbed, t = case

    before = TechnicalIndicators().fit_transform(prices)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        after = TechnicalIndicators().fit_transform(perturbed)

    np.testing.assert_array_equal(after[:t], before[:t])


@pytest.mark.parametrize("n_rows", [1, 4, 5, 6, 9, 11, 19, 20])
def test_short_tables_give_nan_lags_instead_of_failing(n_rows):
    prices = pd.DataFrame(
        {
            "open": np.linspace(1.0, 2.0, n_rows),
            "high": np.linspace(1.2, 2.2, n_rows),
            "low": np.linspace(0.9, 1.9, n_rows),
            "close": np.linspace(1.1, 2.1, n_rows),
            "volume": np.full(n_rows, 10.0),
        }
    )
    indicators = TechnicalIndicators()
    features = indicators.fit_transform(prices)
    assert features.shape == (n_rows, 34)
    names = list(indicators.get_feature_names_out())
    for periods in (5, 10, 20):
        column = features[:, names.index(f"return_{periods}")]
        assert np.isnan(column[: min(periods, n_rows)]).all()


def test_a_missing_timestamp_is_reported_as_nat():
    index = pd.DatetimeIndex(["2020-01-01", pd.NaT, "2020-01-03"])
    prices = pd.DataFrame(
        {"open": 1.0, "high": 1.2, "low": 0.9, "close": 1.1, "volume": 10.0}, index=index
    )
    with pytest.raises(ValueError, match=r"missing timestamp \(NaT\) at row 1"):
        TechnicalIndicators().fit_transform(prices)


def test_close_only_feature_set_is_the_close_columns_of_the_full_set(sp500):
    from sktemporal.market.features import FEATURE_SETS

    full = TechnicalIndicators().fit(sp500)
    close = TechnicalIndicators(feature_set="close").fit(sp500[["close"]])
    names = list(close.get_feature_names_out())

    assert len(names) == 18 and set(names) < set(full.get_feature_names_out())
    assert names == list(FEATURE_SETS["close"][1])
    columns = [list(full.get_feature_names_out()).index(name) for name in names]
    np.testing.assert_array_equal(
        close.transform(sp500[["close"]]), full.transform(sp500)[:, columns]
    )


def test_close_only_features_are_defined_over_stale_closes():
    # 25 equal closes: Bollinger bands of zero width, %B is the middle band's 0.5.
    close = np.r_[np.linspace(10, 12, 60), np.full(25, 12.0), np.linspace(12, 13, 20)]
    prices = pd.DataFrame({"close": close})

    features = TechnicalIndicators(feature_set="close").fit_transform(prices)

    assert np.isfinite(features[TechnicalIndicators.warmup_rows :]).all()


def test_full_set_on_closes_alone_points_at_the_close_only_set():
    with pytest.raises(ValueError, match="feature_set='close'"):
        TechnicalIndicators().fit(pd.DataFrame({"close": [1.0, 2.0]}))
