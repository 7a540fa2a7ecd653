"""Tests for the market-direction labels."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from sktemporal.market.labels import DirectionLabeler, forward_returns, make_direction_labels

# 100 -> 102: +2.0 %, 102 -> 101.4: -0.59 %, 101.4 -> 101.5: +0.10 %, 101.5 -> 99: -2.5 %
CLOSE = [100.0, 102.0, 101.4, 101.5, 99.0]


def test_labels_match_hand_computation():
    labels = make_direction_labels(CLOSE, horizon=1, threshold=0.005)

    np.testing.assert_array_equal(labels, [1, -1, 0, -1])
    assert labels.dtype == np.int64


def test_labels_with_longer_horizon_match_hand_computation():
    # 100 -> 101.4: +1.4 %, 102 -> 101.5: -0.49 %, 101.4 -> 99: -2.4 %
    labels = make_direction_labels(CLOSE, horizon=2, threshold=0.005)

    np.testing.assert_array_equal(labels, [1, 0, -1])


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(0.5, [0, 0, 0]), (0.25, [1, -1, 0]), (0.0, [1, -1, 0])],
)
def test_return_equal_to_threshold_is_flat(threshold, expected):
    # Exact binary fractions: the returns are exactly +0.5, -0.5 and 0.
    labels = make_direction_labels([1.0, 1.5, 0.75, 0.75], horizon=1, threshold=threshold)

    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("horizon", [1, 2, 3])
def test_last_horizon_rows_are_dropped_not_filled(horizon):
    index = pd.date_range("2024-01-01", periods=len(CLOSE), name="date")
    close = pd.Series(CLOSE, index=index, name="close")

    labels = make_direction_labels(close, horizon=horizon)

    assert len(labels) == len(CLOSE) - horizon
    pd.testing.assert_index_equal(labels.index, index[:-horizon])
    assert labels.name == "direction"
    assert labels.dtype == np.int64
    assert labels.notna().all()


def test_forward_returns_are_aligned_to_the_start_row():
    close = pd.Series([100.0, 110.0, 99.0], index=[10, 11, 12])

    returns = forward_returns(close, horizon=1)

    pd.testing.assert_series_equal(
        returns, pd.Series([0.1, -0.1], index=[10, 11], name="forward_return")
    )


def test_labels_are_forward_returns_cut_by_threshold():
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, size=200)))

    returns = forward_returns(close, horizon=3)
    labels = make_direction_labels(close, horizon=3, threshold=0.01)

    np.testing.assert_array_equal(labels == 1, returns > 0.01)
    np.testing.assert_array_equal(labels == -1, returns < -0.01)


@pytest.mark.parametrize(
    ("close", "message"),
    [
        ([100.0, np.nan, 101.0], "close has a NaN value at position 1"),
        ([100.0, np.inf, 101.0], "close has an infinite value at position 1"),
        ([100.0, 0.0, 101.0], r"close must be positive, got 0.0 at position 1"),
        ([100.0, 101.0, -1.0], r"close must be positive, got -1.0 at position 2"),
        ([[100.0, 101.0], [102.0, 103.0]], r"close must be 1-D, got an array of shape \(2, 2\)"),
        (["a", "b", "c"], "close must hold numbers"),
        ([100.0], r"horizon=1 needs at least 2 prices, got 1"),
    ],
)
def test_bad_close_raises_naming_the_problem(close, message):
    with pytest.raises(ValueError, match=message):
        make_direction_labels(close)


def test_nan_in_series_names_its_index_label():
    close = pd.Series([100.0, np.nan], index=pd.to_datetime(["2024-01-01", "2024-01-02"]))
    with pytest.raises(ValueError, match=r"position 1 \(2024-01-02"):
        make_direction_labels(close)


def test_too_few_rows_for_horizon():
    with pytest.raises(ValueError, match=r"horizon=5 needs at least 6 prices, got 5"):
        make_direction_labels(CLOSE, horizon=5)


def test_dataframe_given_to_the_function_points_to_the_labeler():
    with pytest.raises(ValueError, match=r"pass prices\['close'\].*DirectionLabeler"):
        make_direction_labels(pd.DataFrame({"close": CLOSE}))


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": -2}, "horizon"),
        ({"horizon": 1.5}, "horizon"),
        ({"threshold": -0.01}, "threshold"),
        ({"threshold": np.nan}, "threshold"),
    ],
)
def test_invalid_parameters_raise(params, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of make_direction_labels"):
        make_direction_labels(CLOSE, **params)
    with pytest.raises(ValueError, match=f"'{name}' parameter of DirectionLabeler"):
        DirectionLabeler(**params).fit(CLOSE)


@pytest.mark.parametrize(
    "make_input",
    [
        pytest.param(lambda close: close, id="series"),
        pytest.param(lambda close: close.to_frame(), id="dataframe"),
        pytest.param(lambda close: close.rename("Close").to_frame(), id="dataframe-upper"),
        pytest.param(
            lambda close: close.to_frame().assign(volume=1.0), id="dataframe-extra-columns"
        ),
    ],
)
def test_labeler_matches_the_function(make_input):
    index = pd.date_range("2024-01-01", periods=len(CLOSE), name="date")
    close = pd.Series(CLOSE, index=index, name="close")

    labels = DirectionLabeler(horizon=2, threshold=0.005).fit_transform(make_input(close))

    pd.testing.assert_series_equal(labels, make_direction_labels(close, horizon=2))


def test_labeler_returns_an_array_for_array_input():
    labels = DirectionLabeler().fit(np.asarray(CLOSE)).transform(np.asarray(CLOSE))

    assert isinstance(labels, np.ndarray)
    np.testing.assert_array_equal(labels, [1, -1, 0, -1])


def test_labeler_needs_one_close_column():
    with pytest.raises(ValueError, match="exactly one 'close' column, found no"):
        DirectionLabeler().fit(pd.DataFrame({"open": CLOSE}))
    with pytest.raises(ValueError, match="exactly one 'close' column, found several"):
        DirectionLabeler().fit(pd.DataFrame({"close": CLOSE, "Close": CLOSE}))


def test_labeler_is_stateless_and_clonable():
    labeler = DirectionLabeler(horizon=3, threshold=0.0)
    copy = clone(labeler)

    assert copy.get_params() == {"horizon": 3, "threshold": 0.0}
    assert copy.__sklearn_tags__().requires_fit is False
    # Nothing is learned, so an unfitted copy labels like the fitted original.
    np.testing.assert_array_equal(copy.transform(CLOSE), labeler.fit(CLOSE).transform(CLOSE))


@st.composite
def perturbed_prices(draw):
    """Positive prices, a horizon, a set of rows to change and their new values."""
    horizon = draw(st.integers(1, 5))
    n_rows = draw(st.integers(horizon + 2, 40))
    positive = st.floats(1e-3, 1e6, allow_nan=False, allow_infinity=False)
    close = np.array(draw(st.lists(positive, min_size=n_rows, max_size=n_rows)))
    start = draw(st.integers(0, n_rows - 1))
    kind = draw(st.sampled_from(["random", "constant", "extreme"]))
    if kind == "random":
        new = draw(st.lists(positive, min_size=n_rows, max_size=n_rows))
    elif kind == "constant":
        new = [draw(positive)] * n_rows
    else:
        new = draw(st.lists(st.sampled_from([1e-12, 1e12]), min_size=n_rows, max_size=n_rows))
    # Either the rows from ``start`` on (the future) or the rows before it (the past).
    changed = np.arange(n_rows) >= start
    if draw(st.booleans()):
        changed = ~changed
    perturbed = np.where(changed, np.asarray(new), close)
    return horizon, close, perturbed, changed


@settings(max_examples=20, deadline=None)
@given(perturbed_prices())
def test_label_at_row_s_depends_only_on_rows_s_to_s_plus_horizon(case):
    horizon, close, perturbed, changed = case

    before = make_direction_labels(close, horizon=horizon)
    after = make_direction_labels(perturbed, horizon=horizon)

    windows = np.lib.stride_tricks.sliding_window_view(changed, horizon + 1)
    untouched = ~windows.any(axis=1)
    np.testing.assert_array_equal(after[untouched], before[untouched])


@pytest.mark.parametrize(
    "dates, message",
    [
        (["2020-01-03", "2020-01-01", "2020-01-02"], "not sorted"),
        (["2020-01-01", "2020-01-01", "2020-01-02"], "more than once"),
        (["2020-01-01", None, "2020-01-02"], "NaT"),
    ],
    ids=["unsorted", "duplicated", "missing"],
)
def test_a_time_index_out_of_order_is_refused(dates, message):
    close = pd.Series([1.0, 2.0, 3.0], index=pd.DatetimeIndex(dates))
    with pytest.raises(ValueError, match=message):
        make_direction_labels(close)
    with pytest.raises(ValueError, match=message):
        forward_returns(close)
    with pytest.raises(ValueError, match=message):
        DirectionLabeler().fit_transform(close.to_frame("Close"))
