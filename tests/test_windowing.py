import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sktemporal import SlidingWindowTransformer


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
