"""Panel windows: a DataFrame indexed by (entity, time), each window inside one entity."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import SlidingWindowTransformer
from sktemporal.panel_windows import PanelWindows


def _panel(lengths, interleave_seed=None, start="2020-01-01"):
    """Entities "e0", "e1", ... of the given lengths, on business days from ``start``.

    Columns: the row's own id, its entity's code and its time as an integer, so that a
    window's rows can be traced back. Grouped by entity unless ``interleave_seed`` is given:
    then the rows are shuffled across entities, each entity's rows keeping their order.
    """
    frames = []
    for code, length in enumerate(lengths):
        dates = pd.bdate_range(start, periods=length) + pd.Timedelta(days=code % 3)
        frames.append(
            pd.DataFrame(
                {"entity": float(code), "time": dates.asi8 / 1e9},
                index=pd.MultiIndex.from_arrays([[f"e{code}"] * length, dates]),
            )
        )
    panel = pd.concat(frames)
    if interleave_seed is not None:
        rng = np.random.default_rng(interleave_seed)
        owners = rng.permutation(np.repeat(np.arange(len(lengths)), lengths))
        position = {code: 0 for code in range(len(lengths))}
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        order = []
        for code in owners:
            order.append(starts[code] + position[code])
            position[code] += 1
        panel = panel.iloc[order]
    panel.insert(0, "row", np.arange(len(panel), dtype=float))
    return panel.rename_axis(["entity", "date"])


def _assert_windows_stay_in_their_entity_and_past(panel, windows, length):
    values = panel.to_numpy()
    for i, window in enumerate(windows):
        np.testing.assert_array_equal(window[-1], values[i])
        assert (window[:, 1] == values[i, 1]).all(), f"window {i} mixes entities"
        assert (window[:, 2] <= values[i, 2]).all(), f"window {i} holds a later row"
        # The real rows are the entity's previous rows, in time order, without gaps.
        own = values[values[:, 1] == values[i, 1]]
        own = own[own[:, 2] <= values[i, 2]][-length:]
        np.testing.assert_array_equal(window[length - len(own) :], own)
        np.testing.assert_array_equal(
            window[: length - len(own)], np.tile(own[0], (length - len(own), 1))
        )


def _copied_windows(panel, length, padding="edge", fill_value=0.0):
    """The windows as the transformer built them before PanelWindows: one padded buffer of
    every entity, its sliding view, and the rows of that view selected (a copy)."""
    table = panel.to_numpy()
    codes, names = pd.factorize(panel.index.get_level_values(0))
    pad = length - 1
    parts, window_start, offset = [], np.empty(len(table), dtype=np.intp), 0
    for code in range(len(names)):
        rows = np.flatnonzero(codes == code)
        front = (
            table[rows[:1]].repeat(pad, axis=0)
            if padding == "edge"
            else np.full((pad, table.shape[1]), fill_value)
        )
        parts += [front, table[rows]]
        window_start[rows] = offset + np.arange(len(rows))
        offset += pad + len(rows)
    view = np.lib.stride_tricks.sliding_window_view(np.concatenate(parts), length, axis=0)
    return view.transpose(0, 2, 1)[window_start]


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=5),
    length=st.integers(1, 6),
    interleave_seed=st.one_of(st.none(), st.integers(0, 1000)),
    padding=st.sampled_from(["edge", "constant"]),
)
def test_every_window_holds_rows_of_its_own_entity_up_to_its_own_time(
    lengths, length, interleave_seed, padding
):
    panel = _panel(lengths, interleave_seed)
    transformer = SlidingWindowTransformer(
        length, padding=padding, fill_value=-3.0, short_entities="pad"
    )
    windows = transformer.fit_transform(panel)
    assert windows.shape == (len(panel), length, 3)
    # Element for element the copy that a panel's windows were before they became lazy.
    np.testing.assert_array_equal(
        np.asarray(windows), _copied_windows(panel, length, padding, fill_value=-3.0)
    )
    # A view of the table for one entity, else windows read from a buffer the table's size.
    assert isinstance(windows, np.ndarray if len(lengths) == 1 else PanelWindows)
    if isinstance(windows, PanelWindows):
        assert windows.buffer.shape == (len(panel) + (length - 1) * len(lengths), 3)
    if padding == "edge":
        _assert_windows_stay_in_their_entity_and_past(panel, windows, length)


def test_grouped_and_interleaved_rows_give_the_same_window_per_row():
    grouped = _panel([30, 20, 25])
    interleaved = _panel([30, 20, 25], interleave_seed=0)
    transformer = SlidingWindowTransformer(5)
    grouped_windows = transformer.fit_transform(grouped)
    interleaved_windows = transformer.fit_transform(interleaved)
    # Where each interleaved row sits in the grouped panel; columns 1: are (entity, time).
    position = grouped.index.get_indexer(interleaved.index)
    assert (position >= 0).all()
    np.testing.assert_array_equal(
        interleaved_windows[:, :, 1:], grouped_windows[position][:, :, 1:]
    )


def test_one_future_row_changes_only_its_own_entitys_later_windows():
    panel = _panel([40, 40], interleave_seed=1)
    transformer = SlidingWindowTransformer(6)
    before = transformer.fit_transform(panel)
    changed = panel.copy()
    target = changed.index.get_loc(("e0", changed.loc["e0"].index[20]))
    changed.iloc[target, 0] = -1.0
    after = transformer.fit_transform(changed)
    moved = np.flatnonzero((before != after).any(axis=(1, 2)))
    entity, time = changed.index.get_level_values(0), changed.index.get_level_values(1)
    assert set(entity[moved]) == {"e0"}
    assert (time[moved] >= time[target]).all()


@pytest.mark.parametrize("padding, fill_value", [("edge", None), ("constant", -7.0)])
def test_each_entity_is_padded_from_its_own_first_row(padding, fill_value):
    panel = _panel([3, 4])
    options = {"padding": padding} | ({"fill_value": fill_value} if fill_value else {})
    windows = SlidingWindowTransformer(3, **options).fit_transform(panel)
    first_of_e1 = panel.to_numpy()[3]
    expected = first_of_e1 if padding == "edge" else np.full(3, -7.0)
    np.testing.assert_array_equal(windows[3, :2], [expected, expected])


def test_a_panel_of_one_entity_is_windowed_as_one_series_without_a_copy():
    panel = _panel([50])
    windows = SlidingWindowTransformer(10).fit_transform(panel)
    np.testing.assert_array_equal(
        windows, SlidingWindowTransformer(10).fit_transform(panel.to_numpy())
    )
    assert not windows.flags.owndata and not windows.flags.writeable


def test_dtype_is_preserved_and_integer_time_works():
    index = pd.MultiIndex.from_product([["a", "b"], range(4)], names=["id", "step"])
    panel = pd.DataFrame({"x": np.arange(8, dtype=np.float32)}, index=index)
    windows = SlidingWindowTransformer(2).fit_transform(panel)
    assert windows.dtype == np.float32
    np.testing.assert_array_equal(windows[4, :, 0], [4.0, 4.0])


@pytest.mark.parametrize(
    "times, message",
    [
        ([1, 3, 2], r"Entity 'a' goes back in time: row 2 \(2\) comes after row 1 \(3\)"),
        ([1, 2, 2], "Entity 'a' holds the time twice"),
    ],
)
def test_an_entity_out_of_time_order_is_refused_by_name(times, message):
    index = pd.MultiIndex.from_arrays([["a"] * 3 + ["b"] * 3, times + [1, 2, 3]])
    panel = pd.DataFrame({"x": np.arange(6.0)}, index=index)
    transformer = SlidingWindowTransformer(2)
    with pytest.raises(ValueError, match=message):
        transformer.fit(panel)
    fitted = transformer.fit(panel.iloc[3:])
    with pytest.raises(ValueError, match=r"df\.sort_index\(\).*resource="):
        fitted.transform(panel)


def test_the_same_time_in_two_entities_is_fine_and_the_index_must_have_two_levels():
    index = pd.MultiIndex.from_product([["a", "b"], [1, 2]])
    SlidingWindowTransformer(1).fit(pd.DataFrame({"x": np.arange(4.0)}, index=index))
    three = pd.MultiIndex.from_product([["a"], ["x"], [1, 2]], names=["id", "kind", "t"])
    with pytest.raises(ValueError, match=r"two levels, \(entity, time\); got 3"):
        SlidingWindowTransformer(1).fit(pd.DataFrame({"x": [1.0, 2.0]}, index=three))
    missing = pd.MultiIndex.from_arrays([["a", None], [1, 2]])
    with pytest.raises(ValueError, match="entity level .* missing values"):
        SlidingWindowTransformer(1).fit(pd.DataFrame({"x": [1.0, 2.0]}, index=missing))


def test_short_entities_are_never_padded_silently_unless_asked():
    panel = _panel([10, 2, 30, 1])
    with pytest.warns(
        UserWarning, match=r"2 entities have fewer rows than sequence_length=5"
    ) as record:
        windows = SlidingWindowTransformer(5).fit_transform(panel)
    message = str(record[0].message)
    assert "'e1' (2 rows), 'e3' (1 rows)" in message and "(3 rows in all)" in message
    assert "isin(['e1', 'e3'])" in message
    assert windows.shape == (43, 5, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        padded = SlidingWindowTransformer(5, short_entities="pad").fit_transform(panel)
        SlidingWindowTransformer(2).fit_transform(panel[panel.index.get_level_values(0) != "e3"])
    np.testing.assert_array_equal(padded, windows)
    with pytest.raises(ValueError, match="2 entities have fewer rows"):
        SlidingWindowTransformer(5, short_entities="raise").fit_transform(panel)
    with pytest.warns(UserWarning, match=r"1 entity has fewer rows .* 'e1' \(2 rows\)"):
        SlidingWindowTransformer(5).fit_transform(panel.loc[["e1"]])
    # The fix the message gives keeps every other row and its label.
    keep = ~panel.index.get_level_values(0).isin(["e1", "e3"])
    assert (
        SlidingWindowTransformer(5, short_entities="raise").fit_transform(panel[keep]).shape[0]
        == 40
    )


def test_predict_time_panels_get_the_same_handling():
    transformer = SlidingWindowTransformer(4).fit(_panel([20, 20]))
    later = _panel([8, 9, 10], start="2021-01-01", interleave_seed=3)
    windows = transformer.transform(later)
    _assert_windows_stay_in_their_entity_and_past(later, windows, 4)
    with pytest.raises(ValueError, match="missing:\n- time"):
        transformer.transform(later.iloc[:, :2])


def test_a_scaled_panel_keeps_its_index_through_a_pandas_pipeline():
    panel = _panel([60, 50, 40], interleave_seed=2)
    y = (np.arange(len(panel)) % 2).astype(int)

    class FlatLogistic(LogisticRegression):
        def fit(self, X, y):
            return super().fit(X.reshape(len(X), -1), y)

        def decision_function(self, X):
            return super().decision_function(X.reshape(len(X), -1))

    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("window", SlidingWindowTransformer(5)),
            ("clf", FlatLogistic()),
        ]
    ).set_output(transform="pandas")
    pipeline.fit(panel, y)
    windows = pipeline[:-1].transform(panel)
    scaled = pipeline[:1].transform(panel)
    _assert_windows_stay_in_their_entity_and_past(scaled, windows, 5)
    assert pipeline.predict(panel).shape == (150,)


def test_padding_for_many_entities_counts_against_the_memory_bound():
    panel = _panel([2, 2, 2])
    with pytest.raises(ValueError, match=r"and 3 entities would need .* rows of padding each"):
        SlidingWindowTransformer(2**26, short_entities="pad").fit_transform(panel)
