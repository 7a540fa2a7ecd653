import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn import config_context
from sklearn.base import clone
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import HalvingGridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_set_output_transform,
    check_transformer_get_feature_names_out,
)

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from tests.conftest import TINY_STEM


def test_window_i_ends_with_row_i_and_holds_only_earlier_rows():
    X = np.arange(20.0).reshape(10, 2)
    windows = SlidingWindowTransformer(sequence_length=4).fit_transform(X)
    assert windows.shape == (10, 4, 2)
    for i in range(3, 10):
        np.testing.assert_array_equal(windows[i], X[i - 3 : i + 1])


@pytest.mark.parametrize(
    "padding, expected_front",
    [("edge", [[0.0, 1.0], [0.0, 1.0]]), ("constant", [[-9.0, -9.0], [-9.0, -9.0]])],
)
def test_first_rows_are_padded_from_row_zero_or_a_constant(padding, expected_front):
    X = np.arange(8.0).reshape(4, 2)
    windows = SlidingWindowTransformer(3, padding=padding, fill_value=-9.0).fit_transform(X)
    np.testing.assert_array_equal(windows[0, :2], expected_front)
    np.testing.assert_array_equal(windows[0, 2], X[0])
    np.testing.assert_array_equal(windows[1, 1:], X[:2])


def test_windows_are_a_view_not_copies():
    X = np.random.default_rng(0).normal(size=(1000, 5))
    windows = SlidingWindowTransformer(sequence_length=50).fit_transform(X)
    assert not windows.flags.writeable
    assert not windows.flags.owndata
    # The memory behind the view is the padded table, not 1000 x 50 x 5 values.
    assert windows.base is not None
    base = windows
    while base.base is not None:
        base = base.base
    assert base.nbytes <= (1000 + 49) * 5 * 8


def test_dtype_is_preserved():
    X = np.ones((5, 2), dtype=np.float32)
    assert SlidingWindowTransformer(2).fit_transform(X).dtype == np.float32


def test_dataframe_and_feature_names():
    df = pd.DataFrame(
        {"a": [1.0, 2, 3], "b": [4.0, 5, 6]}, index=pd.date_range("2020-01-01", periods=3)
    )
    transformer = SlidingWindowTransformer(2).fit(df)
    assert list(transformer.feature_names_in_) == ["a", "b"]
    np.testing.assert_array_equal(transformer.transform(df)[2], [[2, 5], [3, 6]])


@pytest.mark.parametrize(
    "index, message",
    [
        (pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-03"]), "not sorted"),
        (pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-03"]), "more than once"),
    ],
)
def test_rejects_unsorted_or_duplicated_time_index(index, message):
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0]}, index=index)
    with pytest.raises(ValueError, match=message):
        SlidingWindowTransformer(2).fit(df)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rejects_nan_and_inf(bad):
    X = np.ones((4, 2))
    X[2, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        SlidingWindowTransformer(2).fit(X)


def test_rejects_non_numeric_columns_by_name():
    df = pd.DataFrame({"price": [1.0, 2.0], "ticker": ["A", "B"]})
    with pytest.raises(ValueError, match=r"\['ticker'\] are not numeric"):
        SlidingWindowTransformer(2).fit(df)


def test_rejects_feature_count_change():
    transformer = SlidingWindowTransformer(2).fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="3 features"):
        transformer.transform(np.ones((4, 2)))


@settings(max_examples=30, deadline=None)
@given(
    table=arrays(
        np.float64, st.tuples(st.integers(1, 30), st.integers(1, 4)), elements=st.floats(-1e6, 1e6)
    ),
    sequence_length=st.integers(1, 8),
    cut=st.integers(0, 29),
    data=st.data(),
)
def test_no_window_sees_rows_after_its_own(table, sequence_length, cut, data):
    cut = min(cut, len(table) - 1)
    future = data.draw(
        arrays(np.float64, (len(table) - cut, table.shape[1]), elements=st.floats(-1e6, 1e6))
    )
    perturbed = table.copy()
    perturbed[cut:] = future
    transformer = SlidingWindowTransformer(sequence_length)
    original = transformer.fit_transform(table)
    changed = transformer.fit_transform(perturbed)
    np.testing.assert_array_equal(original[:cut], changed[:cut])


@pytest.mark.parametrize("length", [True, False, np.bool_(True)])
def test_a_boolean_sequence_length_is_refused(length):
    with pytest.raises(ValueError, match="sequence_length"):
        SlidingWindowTransformer(sequence_length=length).fit_transform(np.ones((3, 2)))


def test_windows_longer_than_the_table_are_padded():
    windows = SlidingWindowTransformer(sequence_length=50).fit_transform(
        np.arange(6.0).reshape(3, 2)
    )
    assert windows.shape == (3, 50, 2)
    np.testing.assert_array_equal(windows[2, -3:], np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(windows[2, :-3], np.tile([0.0, 1.0], (47, 1)))


def test_a_sequence_length_needing_gigabytes_of_padding_is_refused():
    transformer = SlidingWindowTransformer(sequence_length=10**9)
    with pytest.raises(ValueError, match=r"sequence_length=1000000000 is too long.*GiB"):
        transformer.fit_transform(np.ones((3, 2)))


# --- The time-order check through a pipeline's pandas output (issue 27, items 1, 2 and 4) ---


class _FlattenedLogistic(LogisticRegression):
    """A fast stand-in for a sequence classifier: logistic regression on flattened windows."""

    def fit(self, X, y, sample_weight=None):
        return super().fit(X.reshape(len(X), -1), y, sample_weight=sample_weight)

    def decision_function(self, X):
        return super().decision_function(X.reshape(len(X), -1))


def _quick_start_pipeline(classifier=None):
    """The README's Quick start: scale, window, classify."""
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("window", SlidingWindowTransformer(sequence_length=5)),
            ("clf", classifier if classifier is not None else _FlattenedLogistic()),
        ]
    )


def _daily_table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        rng.normal(size=(n, 3)),
        columns=["ret", "rsi", "volume"],
        index=pd.date_range("2020-01-01", periods=n, freq="D"),
    )
    y = (X["ret"] > 0).astype(int).to_numpy()
    return X, y


def test_set_output_works_on_the_quick_start_pipeline_and_the_windows_stay_3d():
    X, y = _daily_table()
    pipeline = _quick_start_pipeline()
    assert pipeline.set_output(transform="pandas") is pipeline
    assert isinstance(pipeline[:1].fit_transform(X), pd.DataFrame)
    pipeline.fit(X, y)
    windows = pipeline[:-1].transform(X)
    assert isinstance(windows, np.ndarray) and windows.shape == (120, 5, 3)
    assert pipeline.predict(X).shape == (120,)
    assert list(pipeline[:-1].get_feature_names_out()) == ["t-4", "t-3", "t-2", "t-1", "t"]


def test_windows_are_never_wrapped_into_a_dataframe_by_the_global_setting():
    X, _ = _daily_table(10)
    with config_context(transform_output="pandas"):
        windows = SlidingWindowTransformer(3).fit_transform(X)
        scaled_then_windowed = _quick_start_pipeline()[:-1].fit_transform(X)
    assert isinstance(windows, np.ndarray) and windows.shape == (10, 3, 3)
    assert isinstance(scaled_then_windowed, np.ndarray) and scaled_then_windowed.ndim == 3


def test_set_output_validates_its_argument_and_survives_clone():
    transformer = SlidingWindowTransformer(3).set_output(transform="pandas")
    assert clone(transformer)._sklearn_output_config["transform"] == "pandas"
    assert transformer.set_output() is transformer
    with pytest.raises(ValueError, match="'transform' argument of set_output"):
        transformer.set_output(transform="xarray")


def test_the_quick_start_pipeline_refuses_a_reversed_table_behind_the_scaler():
    X, y = _daily_table()
    reversed_X, reversed_y = X.iloc[::-1], y[::-1]
    # Without pandas output the scaler drops the index and nothing can see the order.
    tiny = AttentionLSTMClassifier(lstm_units=4, dense_units=4, epochs=1, **TINY_STEM)
    for classifier in (None, tiny):
        pipeline = _quick_start_pipeline(classifier).set_output(transform="pandas")
        with pytest.raises(ValueError, match=r"not sorted.*df\.sort_index\(\)"):
            pipeline.fit(reversed_X, reversed_y)
    pipeline = _quick_start_pipeline().set_output(transform="pandas").fit(X, y)
    with pytest.raises(ValueError, match="not sorted"):
        pipeline.predict(reversed_X)


@pytest.mark.parametrize("index", ["dates", "range"])
def test_halving_search_on_row_subsamples_is_refused_with_the_resource_fix(index):
    X, y = _daily_table(200)
    if index == "range":
        X = X.reset_index(drop=True)
    search = HalvingGridSearchCV(
        _quick_start_pipeline().set_output(transform="pandas"),
        {"window__sequence_length": [3, 5]},
        cv=TimeSeriesSplit(2),
        random_state=0,
    )
    with pytest.raises(ValueError, match=r"resource='n_samples'.*resource='clf__epochs'"):
        search.fit(X, y)
    # The fix the message names: a resource that is not the rows.
    fixed = HalvingGridSearchCV(
        _quick_start_pipeline().set_output(transform="pandas"),
        {"window__sequence_length": [3, 5]},
        cv=TimeSeriesSplit(2),
        resource="clf__max_iter",
        max_resources=100,
        min_resources=50,
    )
    fixed.fit(X, y)
    assert fixed.best_params_["window__sequence_length"] in (3, 5)


def test_an_integer_index_out_of_order_is_refused_and_an_increasing_one_accepted():
    table = pd.DataFrame({"a": np.arange(6.0)})
    with pytest.raises(ValueError, match=r"not in time order.*reset_index\(drop=True\)"):
        SlidingWindowTransformer(2).fit(table.iloc[[0, 1, 3, 2, 4, 5]])
    with pytest.raises(ValueError, match="not in time order"):
        SlidingWindowTransformer(2).fit(table.iloc[::-1])
    # A subset in time order (a walk-forward training fold, a filter) keeps increasing labels.
    SlidingWindowTransformer(2).fit(table.iloc[[0, 2, 3, 5]])
    # Other indexes (strings, floats) carry no order to check.
    SlidingWindowTransformer(2).fit(table.set_axis(list("fedcba")))


def test_scikit_learns_feature_names_and_set_output_checks_pass():
    # Not yet in parametrize_with_checks' list: run them here.
    transformer = SlidingWindowTransformer(sequence_length=3)
    check_transformer_get_feature_names_out("SlidingWindowTransformer", transformer)
    check_set_output_transform("SlidingWindowTransformer", transformer)
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        SlidingWindowTransformer(2).fit(pd.DataFrame({"a": [1.0, 2.0]})).get_feature_names_out(
            ["b"]
        )
