"""Property-based fuzzing of the public entry points.

Every input is either accepted, giving an output of the documented shape and without NaN where
none is documented, or rejected with a ValueError, TypeError or FileNotFoundError whose message
names the cause. Nothing else may escape (no KeyError, IndexError, AttributeError...), and
classifiers reject bad input before any Keras model is built.

Every bug fuzzing has found so far is fixed, and its reproducer kept as an ordinary test
beside the fuzz test that found it. A new find is fixed the same way: the reproducer becomes
a test, and the strategies keep generating such inputs.

Set ``SKTEMPORAL_FUZZ_SCALE=20`` to run twenty times more examples.
"""

import csv
import io
import json
import os
import string
import warnings
import zipfile
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sktemporal import (
    DirectionLabeler,
    SlidingWindowTransformer,
    TechnicalIndicators,
    make_direction_labels,
)
from sktemporal.lookahead import check_no_lookahead
from sktemporal.market.datasets import load_ohlcv_csv

ALLOWED = (ValueError, TypeError, FileNotFoundError)
_SCALE = int(os.environ.get("SKTEMPORAL_FUZZ_SCALE", "1"))
FUZZ = settings(max_examples=40 * _SCALE, deadline=None)
FEW = settings(max_examples=12 * _SCALE, deadline=None)


def _raises(call, *keywords):
    """Call; it must raise an allowed error whose message holds one of ``keywords``."""
    try:
        call()
    except ALLOWED as error:
        _names_cause(error, keywords)
        return error
    pytest.fail(f"accepted an input that should be rejected for: {keywords}")


def _accepts_or_raises(call, *keywords):
    """Call; return its result, or None after an allowed error that names one of ``keywords``."""
    try:
        return call()
    except ALLOWED as error:
        _names_cause(error, keywords)
        return None


def _names_cause(error, keywords):
    message = str(error).lower()
    assert any(keyword.lower() in message for keyword in keywords), (
        f"{type(error).__name__}: {error!s:.300} -- names none of {keywords}"
    )


# ============================================================================ windows

WINDOW_DTYPES = [np.float32, np.float64, np.int32, np.int64]


@st.composite
def tables(draw, min_rows=1, max_rows=10, dtypes=WINDOW_DTYPES):
    """A finite numeric table, as an array or a DataFrame with a clean time index."""
    n_rows = draw(st.integers(min_rows, max_rows))
    n_columns = draw(st.integers(1, 4))
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    if dtype.kind == "f":
        elements = st.floats(-1e6, 1e6, width=dtype.itemsize * 8, allow_subnormal=False)
    else:
        elements = st.integers(-1000, 1000)
    values = draw(hnp.arrays(dtype, (n_rows, n_columns), elements=elements))
    if draw(st.booleans()):
        values[:, 0] = values[0, 0]  # a constant column
    container = draw(st.sampled_from(["array", "range frame", "dated frame"]))
    if container == "array":
        return values
    index = None
    if container == "dated frame":
        index = pd.date_range("2021-03-01", periods=n_rows, freq="D")
    return pd.DataFrame(values, columns=[f"c{j}" for j in range(n_columns)], index=index)


@FUZZ
@given(
    table=tables(),
    length=st.integers(1, 7),
    padding=st.sampled_from(["edge", "constant"]),
    fill_value=st.floats(-10, 10),
)
def test_windows_of_any_valid_table(table, length, padding, fill_value):
    transformer = SlidingWindowTransformer(length, padding=padding, fill_value=fill_value)
    windows = transformer.fit_transform(table)
    values = np.asarray(table)
    n_rows, n_columns = values.shape
    assert windows.shape == (n_rows, length, n_columns)
    assert windows.dtype == (np.float32 if values.dtype == np.float32 else np.float64)
    assert np.isfinite(windows).all()
    np.testing.assert_array_equal(transformer.transform(table), windows)
    for i in range(n_rows):
        for k in range(length):
            row = i - (length - 1) + k
            if row >= 0:
                expected = values[row]
            else:
                expected = values[0] if padding == "edge" else np.full(n_columns, fill_value)
            np.testing.assert_array_equal(windows[i, k], np.asarray(expected, windows.dtype))


@FUZZ
@given(
    table=tables(dtypes=[np.float32, np.float64]),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
    data=st.data(),
)
def test_windows_reject_non_finite_values(table, bad, data):
    values = np.asarray(table).copy()
    i = data.draw(st.integers(0, values.shape[0] - 1))
    j = data.draw(st.integers(0, values.shape[1] - 1))
    values[i, j] = bad
    table = pd.DataFrame(values, index=table.index) if isinstance(table, pd.DataFrame) else values
    _raises(lambda: SlidingWindowTransformer(3).fit_transform(table), "nan", "infinity")


@st.composite
def broken_time_index(draw, min_rows=2, max_rows=8):
    """A DatetimeIndex with a duplicated, decreasing or missing timestamp, and its keywords."""
    n_rows = draw(st.integers(min_rows, max_rows))
    dates = list(pd.date_range("2022-01-03", periods=n_rows, freq="D"))
    problem = draw(st.sampled_from(["duplicate", "unsorted", "missing"]))
    j = draw(st.integers(1, n_rows - 1))
    if problem == "duplicate":
        dates[j] = dates[j - 1]
    elif problem == "unsorted":
        dates[j], dates[j - 1] = dates[j - 1], dates[j]
    else:
        dates[draw(st.integers(0, n_rows - 1))] = pd.NaT
    if draw(st.booleans()):
        draw(st.randoms()).shuffle(dates)  # possibly several problems at once
    return pd.DatetimeIndex(dates)


@FUZZ
@given(index=broken_time_index(), n_columns=st.integers(1, 3))
def test_windows_reject_a_time_index_out_of_order(index, n_columns):
    assume(not (index.is_monotonic_increasing and index.is_unique and not index.hasnans))
    frame = pd.DataFrame(np.ones((len(index), n_columns)), index=index)
    _raises(
        lambda: SlidingWindowTransformer(2).fit_transform(frame),
        "more than once",
        "not sorted",
        "NaT",
    )


@pytest.mark.parametrize(
    "X, keyword",
    [
        (np.empty((0, 2)), "0 sample"),
        (np.ones(5), "2D array"),
        (np.ones((4, 2, 2)), "dim 3"),
        (np.ones((3, 2)) + 1j, "complex"),
        (pd.DataFrame({"price": [1.0, 2.0], "name": ["a", "b"]}), "not numeric"),
        (pd.DataFrame({"a": pd.array([1, None], dtype="Int64")}), "nan"),
        ([[1.0, 2.0], [3.0]], "inhomogeneous"),
        ("abc", "could not convert"),
    ],
    ids=["no rows", "1-D", "3-D", "complex", "text column", "missing Int64", "ragged", "str"],
)
def test_windows_reject_malformed_tables(X, keyword):
    _raises(lambda: SlidingWindowTransformer(2).fit_transform(X), keyword)


@FUZZ
@given(fit_columns=st.integers(1, 4), transform_columns=st.integers(1, 4))
def test_windows_reject_another_number_of_columns(fit_columns, transform_columns):
    assume(fit_columns != transform_columns)
    transformer = SlidingWindowTransformer(2).fit(np.ones((3, fit_columns)))
    _raises(lambda: transformer.transform(np.ones((3, transform_columns))), "features")


@pytest.mark.parametrize(
    "params, keyword",
    [
        ({"sequence_length": 0}, "sequence_length"),
        ({"sequence_length": 2.5}, "sequence_length"),
        ({"sequence_length": "3"}, "sequence_length"),
        ({"padding": "reflect"}, "padding"),
        ({"fill_value": "zero"}, "fill_value"),
    ],
)
def test_windows_reject_bad_parameters(params, keyword):
    _raises(lambda: SlidingWindowTransformer(**params).fit(np.ones((3, 2))), keyword)


def test_windows_reject_a_boolean_sequence_length():
    _raises(
        lambda: SlidingWindowTransformer(sequence_length=True).fit_transform(np.ones((3, 2))),
        "sequence_length",
    )


# ============================================================================ labels

positive_prices = hnp.arrays(
    np.float64, st.integers(0, 12), elements=st.floats(1e-3, 1e6, allow_subnormal=False)
)


def _expected_labels(close, horizon, threshold):
    returns = close[horizon:] / close[:-horizon] - 1.0
    return np.where(returns > threshold, 1, np.where(returns < -threshold, -1, 0))


@FUZZ
@given(
    close=positive_prices,
    horizon=st.integers(1, 4),
    threshold=st.floats(0, 0.2),
    container=st.sampled_from(["list", "array", "series", "dated series"]),
)
def test_labels_of_positive_prices(close, horizon, threshold, container):
    index = pd.date_range("2020-01-01", periods=len(close), freq="D")
    given_close = {
        "list": close.tolist(),
        "array": close,
        "series": pd.Series(close),
        "dated series": pd.Series(close, index=index),
    }[container]
    if len(close) <= horizon:
        _raises(lambda: make_direction_labels(given_close, horizon, threshold), "needs at least")
        return
    labels = make_direction_labels(given_close, horizon, threshold)
    expected = _expected_labels(close, horizon, threshold)
    np.testing.assert_array_equal(np.asarray(labels), expected)
    assert np.asarray(labels).dtype == np.int64
    if container.endswith("series"):
        assert labels.name == "direction"
        assert labels.index.equals(given_close.index[: len(close) - horizon])
    frame = pd.DataFrame({"Close": close, "volume": 1.0}, index=index)
    by_labeler = DirectionLabeler(horizon=horizon, threshold=threshold).fit_transform(frame)
    np.testing.assert_array_equal(by_labeler.to_numpy(), expected)


@FUZZ
@given(
    close=hnp.arrays(np.float64, st.integers(2, 10), elements=st.floats(1e-3, 1e6)),
    bad=st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0, -1e-9]),
    data=st.data(),
    use_labeler=st.booleans(),
)
def test_labels_reject_missing_infinite_and_non_positive_prices(close, bad, data, use_labeler):
    close = close.copy()
    close[data.draw(st.integers(0, len(close) - 1))] = bad
    if use_labeler:
        call = lambda: DirectionLabeler().fit_transform(pd.DataFrame({"close": close}))  # noqa: E731
    else:
        call = lambda: make_direction_labels(close)  # noqa: E731
    _raises(call, "nan", "infinite", "positive")


@pytest.mark.parametrize(
    "close, keyword",
    [
        (np.ones((3, 2)), "1-D"),
        (pd.DataFrame({"close": [1.0, 2.0]}), "DataFrame"),
        (np.array(["1", "2", "3"]), "numbers"),
        (np.array([True, False, True]), "numbers"),
        (3.0, "array-like"),
        (None, "array-like"),
        ([], "needs at least"),
    ],
)
def test_labels_reject_malformed_prices(close, keyword):
    _raises(lambda: make_direction_labels(close), keyword)


@pytest.mark.parametrize(
    "frame, keyword",
    [
        (pd.DataFrame({"open": [1.0, 2.0]}), "no"),
        (pd.DataFrame({"close": [1.0, 2.0], "CLOSE": [1.0, 2.0]}), "several"),
    ],
)
def test_labeler_needs_exactly_one_close_column(frame, keyword):
    error = _raises(lambda: DirectionLabeler().fit_transform(frame), "close")
    assert f"found {keyword}" in str(error)


@FEW
@given(index=broken_time_index(min_rows=3))
def test_labels_reject_a_time_index_out_of_order(index):
    assume(not (index.is_monotonic_increasing and index.is_unique and not index.hasnans))
    close = pd.Series(np.linspace(1.0, 2.0, len(index)), index=index)
    _raises(lambda: make_direction_labels(close), "more than once", "not sorted", "NaT")


# ============================================================================ indicators


@st.composite
def ohlcv_frames(draw, min_rows=1, max_rows=80):
    """Plausible daily prices: positive, moving every day, high above low, volume > 0."""
    n_rows = draw(st.integers(min_rows, max_rows))
    unit = st.floats(0, 1)
    steps = np.array(draw(st.lists(unit, min_size=n_rows * 4, max_size=n_rows * 4)))
    steps = steps.reshape(n_rows, 4)
    signs = np.where(
        np.array(draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))), 1.0, -1.0
    )
    close = 100 * np.exp(np.cumsum(signs * (1e-4 + 0.03 * steps[:, 0])))
    open_ = close * np.exp(0.02 * (steps[:, 1] - 0.5))
    high = np.maximum(open_, close) * (1 + 1e-4 + 0.02 * steps[:, 2])
    low = np.minimum(open_, close) * (1 - 1e-4 - 0.02 * steps[:, 3])
    volume = np.array(draw(st.lists(st.floats(1, 1e6), min_size=n_rows, max_size=n_rows)))
    names = draw(
        st.sampled_from(
            [
                ("open", "high", "low", "close", "volume"),
                ("Open", "High", "Low", "Close", "Volume"),
            ]
        )
    )
    frame = pd.DataFrame(dict(zip(names, (open_, high, low, close, volume), strict=True)))
    if draw(st.booleans()):
        frame.index = pd.date_range("2019-01-01", periods=n_rows, freq="B")
    if draw(st.booleans()):
        frame["adj close"] = close  # extra columns are ignored
    return frame


@FUZZ
@given(prices=ohlcv_frames())
def test_indicators_of_valid_prices(prices):
    indicators = TechnicalIndicators().fit(prices)
    features = indicators.transform(prices)
    warmup = TechnicalIndicators.warmup_rows
    assert features.shape == (len(prices), 34)
    assert features.dtype == np.float64
    assert np.isnan(features[:warmup]).any(axis=1).all()  # documented warm-up NaN
    assert np.isfinite(features[warmup:]).all()  # and none after it
    assert len(indicators.get_feature_names_out()) == 34


@FEW
@given(prices=ohlcv_frames(min_rows=20, max_rows=70), seed=st.integers(0, 2**16))
def test_indicators_never_read_the_future(prices, seed):
    report = check_no_lookahead(TechnicalIndicators(), prices, n_trials=1, random_state=seed)
    assert not report.leaks, str(report)


@FUZZ
@given(
    prices=ohlcv_frames(max_rows=12),
    defect=st.sampled_from(["nan", "inf", "price", "volume", "missing", "text", "bool", "empty"]),
    data=st.data(),
)
def test_indicators_reject_invalid_prices(prices, defect, data):
    prices = prices.copy()
    row = data.draw(st.integers(0, len(prices) - 1))
    column = data.draw(st.sampled_from(list(prices.columns[:5])))
    keywords = {
        "nan": ["nan"],
        "inf": ["infinite"],
        "price": ["prices must be > 0"],
        "volume": ["volumes must be >= 0"],
        "missing": ["missing column"],
        "text": ["must be numeric"],
        "bool": ["must be numeric"],
        "empty": ["no rows"],
    }[defect]
    if defect in ("nan", "inf"):
        prices.iloc[row, prices.columns.get_loc(column)] = np.nan if defect == "nan" else np.inf
    elif defect == "price":  # open, high, low or close
        position = data.draw(st.integers(0, 3))
        prices.iloc[row, position] = data.draw(st.sampled_from([0.0, -5.0]))
    elif defect == "volume":
        prices.iloc[row, 4] = -1.0
    elif defect == "missing":
        prices = prices.drop(columns=column)
    elif defect == "text":
        prices[column] = prices[column].astype(str)
    elif defect == "bool":
        prices[column] = prices[column] > 0
    else:
        prices = prices.iloc[:0]
    _raises(lambda: TechnicalIndicators().fit_transform(prices), *keywords)


@FUZZ
@given(prices=ohlcv_frames(min_rows=2, max_rows=8), data=st.data())
def test_indicators_reject_a_time_index_out_of_order(prices, data):
    index = data.draw(broken_time_index(min_rows=len(prices), max_rows=len(prices)))
    assume(not (index.is_monotonic_increasing and index.is_unique and not index.hasnans))
    prices = prices.set_axis(index)
    _raises(lambda: TechnicalIndicators().fit_transform(prices), "not sorted", "repeats", "NaT")


@pytest.mark.parametrize(
    "X, error",
    [
        (np.ones((5, 5)), TypeError),
        (pd.Series([1.0, 2.0]), TypeError),
        (pd.DataFrame({"close": [1.0], "Close": [1.0]}), ValueError),
    ],
)
def test_indicators_reject_other_containers(X, error):
    with pytest.raises(error, match="DataFrame|both read as"):
        TechnicalIndicators().fit_transform(X)


@pytest.mark.parametrize("n_rows", [4, 6, 9, 11, 19])
def test_indicators_of_short_tables(n_rows):
    prices = pd.DataFrame(
        {
            "open": [1.0] * n_rows,
            "high": [1.2] * n_rows,
            "low": [0.9] * n_rows,
            "close": [1.1] * n_rows,
            "volume": [10.0] * n_rows,
        }
    )
    features = TechnicalIndicators().fit_transform(prices)
    assert features.shape == (n_rows, 34) and np.isnan(features).any(axis=1).all()


def test_indicators_accept_a_single_row():
    prices = pd.DataFrame(
        {"open": [1.0], "high": [1.2], "low": [0.9], "close": [1.1], "volume": [10.0]}
    )
    features = TechnicalIndicators().fit_transform(prices)
    assert features.shape == (1, 34)


# ============================================================================ classifiers


class _BackendReached(Exception):
    """Raised instead of building a Keras model: validation let the input through."""


def _classifier_classes():
    from sktemporal import AttentionLSTMClassifier, TransformerClassifier

    return {"lstm": AttentionLSTMClassifier, "transformer": TransformerClassifier}


def _tiny(name, **params):
    if name == "lstm":
        base = dict(lstm_units=2, attention_units=2, dense_units=2, epochs=1, random_state=0)
    else:
        base = dict(
            d_model=4, num_heads=1, num_layers=1, ff_dim=2, dense_units=2, epochs=1, random_state=0
        )
    base.update(stem_filters=(2,), stem_kernel_sizes=(3,))
    return _classifier_classes()[name](**{**base, **params})


@contextmanager
def _no_backend():
    """Any attempt to build a Keras model raises _BackendReached."""

    def refuse(self):
        raise _BackendReached(type(self).__name__)

    with pytest.MonkeyPatch.context() as patch:
        for cls in _classifier_classes().values():
            patch.setattr(cls, "_build_keras_model", refuse)
        yield


@st.composite
def window_data(draw, min_samples=2, max_samples=10):
    n_samples = draw(st.integers(min_samples, max_samples))
    n_steps = draw(st.integers(1, 5))
    n_channels = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    elements = (
        st.integers(-100, 100)
        if dtype is np.int64
        else st.floats(-1e3, 1e3, width=32 if dtype is np.float32 else 64)
    )
    X = draw(hnp.arrays(dtype, (n_samples, n_steps, n_channels), elements=elements))
    classes = draw(st.sampled_from([[0, 1], [-1, 0, 1], ["down", "up"], [3, 7, 11]]))
    y = draw(st.lists(st.sampled_from(classes), min_size=n_samples, max_size=n_samples))
    y[:2] = classes[:2]  # at least two classes
    if n_channels == 1 and draw(st.booleans()):
        X = X[:, :, 0]  # 2-D: univariate sequences
    return X, np.asarray(y)


@FUZZ
@given(data=window_data(), name=st.sampled_from(["lstm", "transformer"]))
def test_classifiers_let_valid_windows_through_to_the_backend(data, name):
    X, y = data
    classifier = _tiny(name)
    with _no_backend(), pytest.raises(_BackendReached):
        classifier.fit(X, y)
    assert classifier.n_timesteps_ == X.shape[1]
    assert classifier.n_channels_ == (X.shape[2] if X.ndim == 3 else 1)
    assert list(classifier.classes_) == sorted(set(y.tolist()))


DEFECT_KEYWORDS = {
    "nan": ["nan"],
    "inf": ["infinity"],
    "1-D": ["2d array"],
    "4-D": ["shape"],
    "no samples": ["0 sample"],
    "one class": ["only one class"],
    "y too short": ["inconsistent numbers of samples"],
    "continuous y": ["unknown label type"],
    "y nan": ["nan"],
    "complex": ["complex"],
    "text X": ["could not convert", "string"],
    "y none": ["requires y"],
}


@FUZZ
@given(
    data=window_data(),
    defect=st.sampled_from(sorted(DEFECT_KEYWORDS)),
    name=st.sampled_from(["lstm", "transformer"]),
    where=st.data(),
)
def test_classifiers_reject_invalid_windows_before_building(data, defect, name, where):
    X, y = data
    X = X.astype(np.float64)
    if defect in ("nan", "inf"):
        position = tuple(where.draw(st.integers(0, size - 1)) for size in X.shape)
        X[position] = np.nan if defect == "nan" else np.inf
    elif defect == "1-D":
        X = X.reshape(-1)[: len(y)]
    elif defect == "4-D":
        X = X.reshape(*X.shape[:2], -1, 1)
    elif defect == "no samples":
        X, y = X[:0], y[:0]
    elif defect == "one class":
        y = np.full(len(y), y[0])
    elif defect == "y too short":
        y = y[:-1]
    elif defect == "continuous y":
        y = np.linspace(0.1, 0.9, len(y))
    elif defect == "y nan":
        y = np.where(np.arange(len(y)) == 0, np.nan, np.arange(len(y)) % 2)
    elif defect == "complex":
        X = X + 1j
    elif defect == "text X":
        X = np.full(X.shape, "up")
    else:
        y = None
    with _no_backend():
        _raises(lambda: _tiny(name).fit(X, y), *DEFECT_KEYWORDS[defect])


@pytest.fixture(scope="module")
def fitted_lstm():
    X = np.random.default_rng(0).normal(size=(20, 4, 2))
    return _tiny("lstm").fit(X, np.arange(20) % 2)


@FUZZ
@given(
    n_samples=st.integers(1, 4),
    n_steps=st.integers(1, 6),
    n_channels=st.integers(1, 3),
    bad=st.sampled_from([None, np.nan, np.inf]),
)
def test_prediction_checks_its_windows(fitted_lstm, n_samples, n_steps, n_channels, bad):
    X = np.random.default_rng(n_samples).normal(size=(n_samples, n_steps, n_channels))
    if bad is not None:
        X[-1, -1, -1] = bad
    if (n_steps, n_channels) != (4, 2) or bad is not None:
        _raises(lambda: fitted_lstm.predict_proba(X), "windows of", "nan", "infinity")
        return
    proba = fitted_lstm.predict_proba(X)
    assert proba.shape == (n_samples, 2) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(fitted_lstm.predict(X)) <= {0, 1}


# Windows of one time step make Keras warn that the attention softmax runs over one value.
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1:UserWarning")
@settings(max_examples=2, deadline=None)
@given(
    data=window_data(min_samples=6, max_samples=12), name=st.sampled_from(["lstm", "transformer"])
)
def test_classifiers_train_on_small_valid_inputs(data, name):
    X, y = data
    classifier = _tiny(name).fit(X, y)
    proba = classifier.predict_proba(X)
    assert proba.shape == (len(X), len(classifier.classes_)) and np.isfinite(proba).all()
    assert set(classifier.predict(X).tolist()) <= set(y.tolist())


_INPUTS_REJECTED_BEFORE_BUILDING = {
    # id: (call, keywords the error must hold); each was found by fuzzing to reach the build
    "windows with 0 time steps": (
        lambda name: _tiny(name).fit(np.ones((6, 0, 2)), np.arange(6) % 2),
        ["time step"],
    ),
    "windows with 0 features": (
        lambda name: _tiny(name).fit(np.ones((6, 3, 0)), np.arange(6) % 2),
        ["feature"],
    ),
    "negative sample_weight": (
        lambda name: _tiny(name).fit(
            np.ones((6, 3, 2)), np.arange(6) % 2, sample_weight=-np.ones(6)
        ),
        ["negative"],
    ),
    "sample_weight of the wrong length": (
        lambda name: _tiny(name).fit(
            np.ones((6, 3, 2)), np.arange(6) % 2, sample_weight=np.ones(3)
        ),
        ["sample_weight"],
    ),
    "class_weight for a label that is not a class": (
        lambda name: _tiny(name, class_weight={0: 5.0}).fit(
            np.ones((6, 3, 2)), np.array([-1, 1] * 3)
        ),
        ["class_weight"],
    ),
    "callbacks that are not callbacks": (
        lambda name: _tiny(name, callbacks=[1]).fit(np.ones((6, 3, 2)), np.arange(6) % 2),
        ["callback"],
    ),
    "unknown optimizer name": (
        lambda name: _tiny(name, optimizer="nope").fit(np.ones((6, 3, 2)), np.arange(6) % 2),
        ["optimizer"],
    ),
}


@pytest.mark.parametrize("name", ["lstm", "transformer"])
@pytest.mark.parametrize("bug", sorted(_INPUTS_REJECTED_BEFORE_BUILDING))
def test_classifiers_reject_before_building(bug, name):
    call, keywords = _INPUTS_REJECTED_BEFORE_BUILDING[bug]
    with _no_backend():
        _raises(lambda: call(name), *keywords)


@pytest.mark.parametrize("units", [(), (0,), ("a",)])
def test_lstm_units_items_are_checked(units):
    with _no_backend():
        _raises(
            lambda: _tiny("lstm", lstm_units=units).fit(np.ones((6, 3, 2)), np.arange(6) % 2),
            "lstm_units",
        )


# ============================================================================ CSV prices

_REQUIRED = ["date", "open", "high", "low", "close", "volume"]
_DATES = [f"2020-02-{day:02d}" for day in range(1, 11)]
_GARBAGE = ["", "abc", "nan", "NA", "inf", "-inf", "-1", "0", "1e400", "1,5", "0x1F", " ", "#"]
_GARBAGE += ["True", "False"]


def _spell(name, variant):
    if name == "adj_close":
        return ["adj_close", "Adj Close", "ADJ  CLOSE"][variant]
    return [name, name.title(), name.upper()][variant]


@st.composite
def csv_files(draw):
    """CSV text of a price table with random columns, dates and cells; and what it holds."""
    variant = draw(st.integers(0, 2))
    columns = [name for name in _REQUIRED if draw(st.integers(0, 9))]  # each kept 90 %
    if draw(st.booleans()):
        columns.insert(draw(st.integers(0, len(columns))), "adj_close")
    if draw(st.booleans()):
        columns.append("note")
    draw(st.randoms()).shuffle(columns)
    n_rows = draw(st.integers(0, 6))
    if draw(st.booleans()):
        dates = sorted(
            draw(st.lists(st.sampled_from(_DATES), min_size=n_rows, max_size=n_rows, unique=True))
        )
    else:
        dates = draw(st.lists(st.sampled_from(_DATES + [""]), min_size=n_rows, max_size=n_rows))
    clean = draw(st.booleans())
    rows = []
    for date in dates:
        row = []
        for column in columns:
            if column == "date":
                row.append(date)
            elif column == "note":
                row.append(draw(st.sampled_from(["x", "", "1"])))
            elif clean or draw(st.integers(0, 4)):
                row.append(repr(draw(st.floats(0.01, 1e4))))
            else:
                row.append(draw(st.sampled_from(_GARBAGE)))
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    special = {"date": ["date", "Date", "DATE"][variant], "note": "Note"}
    header = [special.get(c) or _spell(c, variant) for c in columns]
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue(), columns, rows


@pytest.fixture(scope="module")
def csv_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("csv")


@settings(max_examples=80 * _SCALE, deadline=None)
@given(file=csv_files(), min_rows=st.integers(1, 4))
def test_csv_loads_or_names_the_problem(csv_folder, file, min_rows):
    text, columns, rows = file
    path = csv_folder / "prices.csv"
    path.write_text(text)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        prices = _accepts_or_raises(lambda: load_ohlcv_csv(path, min_rows=min_rows), str(path))
    if prices is None:
        return
    expected_columns = [
        c for c in ["open", "high", "low", "close", "adj_close", "volume"] if c in columns
    ]
    assert list(prices.columns) == expected_columns
    assert (prices.dtypes == np.float64).all()
    assert isinstance(prices.index, pd.DatetimeIndex) and prices.index.name == "date"
    assert prices.index.is_monotonic_increasing and prices.index.is_unique
    assert len(prices) == len(rows) >= min_rows
    values = prices.to_numpy()
    assert np.isfinite(values).all()
    assert (prices.drop(columns="volume") > 0).all().all() and (prices["volume"] >= 0).all()
    for row in rows:  # every cell is where its date says
        date = pd.Timestamp(row[columns.index("date")])
        for name in expected_columns:
            # pandas 3's CSV parser (whose float_precision option is deprecated) can land one
            # ulp from float(text): seen 9007.584334547511 for 9007.584334547513.
            assert prices.at[date, name] == pytest.approx(
                float(row[columns.index(name)]), rel=4e-16
            )


@settings(max_examples=60 * _SCALE, deadline=None)
@given(text=st.text(alphabet=string.printable, max_size=200))
def test_csv_of_random_text_names_the_file(csv_folder, text):
    path = csv_folder / "text.csv"
    path.write_text(text)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        _accepts_or_raises(lambda: load_ohlcv_csv(path), str(path))


def test_csv_missing_file_and_bad_path(tmp_path):
    _raises(lambda: load_ohlcv_csv(tmp_path / "nope.csv"), "not found")
    _raises(lambda: load_ohlcv_csv(12), "path")


_CSV_PARSER_ERRORS = {
    "non UTF-8 bytes": b"date,open,high,low,close,volume\n2020-01-01,1,2,0.5,\xff,10\n",
    "unbalanced quote": b'date,open,high,low,close,volume\n"2020-01-01,1,2,0.5,1.5,10\n',
    "ragged row": b"date,open,high,low,close,volume\n2020-01-01,1,2,0.5,1.5,10\n"
    b"2020-01-02,1,2,0.5,1.5,10,7,7\n",
    "mixed time zones": b"date,open,high,low,close,volume\n2020-01-01T00:00+01:00,1,2,0.5,1.5,10\n"
    b"2020-01-02T00:00+02:00,1,2,0.5,1.5,10\n",
}


@pytest.mark.parametrize("bug", sorted(_CSV_PARSER_ERRORS))
def test_csv_parser_errors_name_the_file(tmp_path, bug):
    path = tmp_path / "prices.csv"
    path.write_bytes(_CSV_PARSER_ERRORS[bug])
    _raises(lambda: load_ohlcv_csv(path), str(path))


def test_csv_rejects_boolean_cells(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("date,open,high,low,close,volume\n2020-01-01,True,True,True,True,True\n")
    _raises(lambda: load_ohlcv_csv(path), "non-numeric")


def test_csv_rejects_a_repeated_column(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("date,close,close,open,high,low,volume\n2020-01-01,1,2,1,1,1,1\n")
    _raises(lambda: load_ohlcv_csv(path), "close")


# ============================================================================ model files


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A saved tiny classifier: its bytes, its zip members and its metadata."""
    X = np.random.default_rng(0).normal(size=(12, 4, 2))
    path = tmp_path_factory.mktemp("model") / "model.keras"
    _tiny("lstm").fit(X, np.arange(12) % 2).save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return path.read_bytes(), members, json.loads(members["sktemporal.json"])


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _load_names_the_file(folder, data):
    from sktemporal import load

    path = folder / "fuzzed.keras"
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _accepts_or_raises(lambda: load(path), str(path)), path


@FUZZ
@given(data=st.binary(max_size=300))
def test_load_rejects_random_bytes(model_folder, data):
    loaded, _ = _load_names_the_file(model_folder, data)
    assert loaded is None


@FUZZ
@given(fraction=st.floats(0, 1, exclude_max=True))
def test_load_rejects_truncated_files(model_folder, model_file, fraction):
    raw, _, _ = model_file
    loaded, _ = _load_names_the_file(model_folder, raw[: int(len(raw) * fraction)])
    assert loaded is None


member_names = st.sampled_from(
    ["sktemporal.json", "config.json", "metadata.json", "model.weights.h5", "a/b.txt", "x"]
)


@FEW
@given(
    members=st.dictionaries(member_names, st.binary(max_size=64), max_size=4),
    keep=st.lists(
        st.sampled_from(["sktemporal.json", "config.json", "metadata.json", "model.weights.h5"]),
        unique=True,
    ),
)
def test_load_rejects_zips_with_random_members(model_folder, model_file, members, keep):
    _, real, _ = model_file
    archive = {**{name: real[name] for name in keep}, **members}
    loaded, _ = _load_names_the_file(model_folder, _zip(archive))
    if loaded is not None:  # every member the model needs is intact; extra members are ignored
        assert all(
            archive.get(name) == real[name]
            for name in ("sktemporal.json", "config.json", "model.weights.h5")
        )
        assert loaded.predict_proba(np.zeros((2, 4, 2))).shape == (2, 2)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
_METADATA_KEYS = [
    "format_version",
    "estimator",
    "params",
    "classes",
    "n_features_in",
    "n_timesteps",
    "n_channels",
    "n_iter",
    "history",
    "attention_weights",
    "versions",
    "feature_names_in",
]


@FEW
@given(
    key=st.sampled_from(_METADATA_KEYS),
    value=json_values,
)
def test_load_names_the_file_when_metadata_is_mangled(model_folder, model_file, key, value):
    _, members, metadata = model_file
    mangled = json.dumps({**metadata, key: value}).encode()
    _load_names_the_file(model_folder, _zip({**members, "sktemporal.json": mangled}))


@FEW
@given(data=st.binary(max_size=64))
def test_load_names_the_file_when_metadata_is_not_json(model_folder, model_file, data):
    _, members, _ = model_file
    loaded, _ = _load_names_the_file(model_folder, _zip({**members, "sktemporal.json": data}))
    assert loaded is None


def test_load_missing_file_and_bad_path(tmp_path):
    from sktemporal import load

    _raises(lambda: load(tmp_path / "nope.keras"), "no model file")
    _raises(lambda: load(tmp_path), "no model file")
    _raises(lambda: load(12), "path")


_BAD_METADATA = {
    # TypeError: unhashable type: 'list'
    "estimator is a list": {"estimator": []},
    # AttributeError: 'list' object has no attribute 'items'
    "params is a list": {"params": [1]},
    # TypeError: 'int' object is not iterable (scikeras _initialize_callbacks)
    "callbacks is a number": {"params": {"callbacks": 5}},
    # ValueError: 'x' cannot be used to seed a numpy.random.RandomState instance
    "random_state is text": {"params": {"random_state": "x"}},
    # ValueError: setting an array element with a sequence
    "classes are ragged": {"classes": {"values": [[0], 1], "dtype": "<i8"}},
    # RecursionError from json.loads
    "deeply nested JSON": None,
}


@pytest.mark.parametrize("bug", sorted(_BAD_METADATA))
def test_load_names_the_file_for_bad_metadata(model_folder, model_file, bug):
    _, members, metadata = model_file
    change = _BAD_METADATA[bug]
    if change is None:
        mangled = b"[" * 100_000 + b"]" * 100_000
    else:
        if isinstance(change.get("params"), dict):
            change = {"params": {**metadata["params"], **change["params"]}}
        mangled = json.dumps({**metadata, **change}).encode()
    loaded, _ = _load_names_the_file(model_folder, _zip({**members, "sktemporal.json": mangled}))
    assert loaded is None


def test_load_checks_metadata_against_the_network(model_folder, model_file):
    _, members, metadata = model_file
    mangled = json.dumps({**metadata, "classes": {"values": [0, 1, 2], "dtype": "<i8"}})
    loaded, _ = _load_names_the_file(model_folder, _zip({**members, "sktemporal.json": mangled}))
    assert loaded is None
