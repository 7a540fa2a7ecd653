"""PanelWindows: a panel's windows as an array-like that is never materialised by accident."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
from sktemporal.inspection import attributions
from sktemporal.model_selection import PanelTimeSeriesSplit
from sktemporal.panel_windows import PanelWindows
from tests.conftest import TINY_LSTM


def _panel(n_entities=3, n_rows=20, n_features=2, seed=0):
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"e{k}" for k in range(n_entities)], pd.date_range("2020", periods=n_rows)],
        names=["entity", "date"],
    )
    return pd.DataFrame(rng.normal(size=(len(index), n_features)), index=index)


@pytest.fixture(scope="module")
def windows():
    return SlidingWindowTransformer(4).fit_transform(_panel())


def test_it_holds_the_buffer_and_row_map_not_the_windows(windows):
    assert isinstance(windows, PanelWindows)
    assert (windows.shape, windows.ndim, len(windows)) == ((60, 4, 2), 3, 60)
    assert windows.size == 480 and windows.nbytes == 480 * 8
    # 3 entities x (20 rows + 3 padding rows) x 2 features, and one start per window.
    assert windows.buffer.shape == (69, 2)
    assert windows.held_nbytes == 69 * 2 * 8 + 60 * 8
    assert not windows.buffer.flags.writeable
    assert "PanelWindows(shape=(60, 4, 2), dtype=float64" in repr(windows)


def test_numpy_semantics_of_indexing(windows):
    dense = np.asarray(windows)
    # An integer: that window, a read-only view of the buffer.
    one = windows[25]
    np.testing.assert_array_equal(one, dense[25])
    assert np.shares_memory(one, windows.buffer) and not one.flags.writeable
    # A slice: another PanelWindows over the same buffer.
    part = windows[10:50:3]
    assert isinstance(part, PanelWindows) and part.buffer.base is windows.buffer.base
    np.testing.assert_array_equal(np.asarray(part), dense[10:50:3])
    assert isinstance(windows[...], PanelWindows) and isinstance(windows[:, :, :], PanelWindows)
    # Integer or boolean arrays: a copy of those windows only.
    for rows in ([3, 0, 59, -1], np.arange(60) % 7 == 0, []):
        picked = windows[rows]
        assert type(picked) is np.ndarray and picked.flags.owndata
        np.testing.assert_array_equal(picked, dense[rows])
    np.testing.assert_array_equal(windows[:, -1], dense[:, -1])
    with pytest.raises(IndexError):
        windows[60]
    with pytest.raises(IndexError):
        windows[[0, 60]]
    with pytest.raises(IndexError):
        windows[np.ones(59, dtype=bool)]


_axis0 = st.one_of(
    st.integers(-60, 59),
    st.builds(
        slice,
        st.none() | st.integers(-70, 70),
        st.none() | st.integers(-70, 70),
        st.none() | st.integers(1, 5) | st.integers(-5, -1),
    ),
    st.lists(st.integers(-60, 59), max_size=6),
    st.lists(st.booleans(), min_size=60, max_size=60).map(np.array),
    st.just(Ellipsis),
)
_other = st.one_of(
    st.integers(-4, 3),
    st.builds(slice, st.none() | st.integers(-5, 5), st.none() | st.integers(-5, 5)),
    st.lists(st.integers(-2, 1), min_size=1, max_size=3),
    st.just(Ellipsis),
    st.none(),
)


@settings(max_examples=150, deadline=None)
@given(first=_axis0, rest=st.lists(_other, max_size=2))
def test_any_index_gives_what_numpy_gives_on_the_materialised_windows(windows, first, rest):
    dense = np.asarray(windows)
    key = (first, *rest) if rest else first
    try:
        expected = dense[key]
    except IndexError:
        with pytest.raises(IndexError):
            windows[key]
        return
    np.testing.assert_array_equal(np.asarray(windows[key]), expected)


def test_arrays_ufuncs_and_conversions_materialise_explicitly(windows):
    dense = np.asarray(windows)
    assert dense.flags.owndata and dense.flags.writeable
    assert windows.astype(np.float32).dtype == np.float32
    np.testing.assert_array_equal(windows - 1.0, dense - 1.0)
    assert (windows == dense).all() and (windows.reshape(60, -1) == dense.reshape(60, -1)).all()
    with pytest.raises(ValueError, match="without a copy"):
        np.asarray(windows, copy=False)
    np.testing.assert_array_equal(np.stack(list(windows)), dense)


def test_pickle_copy_and_clone_keep_it_lazy_and_small(windows):
    part = windows[20:30]
    for other in (pickle.loads(pickle.dumps(part)), copy.deepcopy(part), clone(part, safe=False)):
        assert isinstance(other, PanelWindows)
        np.testing.assert_array_equal(np.asarray(other), np.asarray(part))
    # The pickle holds only the buffer rows its ten windows reach, not the 69 of the buffer.
    assert len(pickle.loads(pickle.dumps(part)).buffer) < len(windows.buffer) / 2
    assert len(pickle.dumps(windows)) < windows.nbytes


def test_scikit_learns_indexing_gives_the_selected_windows(windows):
    rows = np.array([5, 1, 40])
    np.testing.assert_array_equal(_safe_indexing(windows, rows), np.asarray(windows)[rows])
    mask = np.arange(60) >= 30
    np.testing.assert_array_equal(_safe_indexing(windows, mask), np.asarray(windows)[mask])


def test_select_gives_the_windows_fancy_indexing_gives_without_a_copy(windows):
    dense = np.asarray(windows)
    mask = np.arange(60) % 7 == 0
    for rows, expected in (
        ([5, 1, 40, 5, -1], dense[[5, 1, 40, 5, -1]]),  # any order, repeats, from the end
        (mask, dense[mask]),
        ([], dense[:0]),
    ):
        selected = windows.select(rows)
        assert isinstance(selected, PanelWindows)
        assert selected.buffer is windows.buffer  # only the row map is new
        assert not selected.window_start.flags.writeable
        np.testing.assert_array_equal(np.asarray(selected), expected)
    # A selection of a slice of a selection: the windows numpy would pick, still lazy.
    nested = windows[10:50].select([3, 0, 7])[1:]
    assert isinstance(nested, PanelWindows)
    np.testing.assert_array_equal(np.asarray(nested), dense[10:50][[0, 7]])
    for rows, match in (
        ([[1, 2]], "1-D"),
        ([0.0, 1.0], "integers or booleans"),
        ([60], "out of bounds"),
        (np.ones(59, dtype=bool), "59 values"),
    ):
        with pytest.raises(IndexError, match=match):
            windows.select(rows)


def test_the_windows_equal_a_copy_gathered_from_the_buffer_one_window_at_a_time(windows):
    buffer, starts = windows.buffer, windows.window_start
    expected = np.stack([buffer[start : start + 4] for start in starts])
    np.testing.assert_array_equal(np.asarray(windows), expected)


def test_nonfinite_windows_are_found_on_the_buffer():
    buffer = np.arange(20.0).reshape(10, 2)
    buffer[6, 1] = np.nan
    windows = PanelWindows(buffer, [0, 2, 4, 5, 7], sequence_length=3)
    np.testing.assert_array_equal(windows.nonfinite_windows(), [2, 3])
    assert buffer.flags.writeable  # the caller's array keeps its flag
    with pytest.raises(ValueError, match="window_start must lie"):
        PanelWindows(buffer, [8], sequence_length=3)


def test_a_pipeline_fits_predicts_and_explains_a_panel_a_batch_at_a_time(panel_windows_gathered):
    panel = _panel(n_entities=3, n_rows=60, n_features=3)
    y = (panel[0] > 0).to_numpy().astype(int)
    pipeline = Pipeline(
        [
            ("window", SlidingWindowTransformer(5)),
            ("clf", AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 1})),
        ]
    )
    pipeline.fit(panel, y)
    proba = pipeline.predict_proba(panel)
    windows = pipeline[0].transform(panel)
    assert isinstance(windows, PanelWindows) and proba.shape == (180, 2)
    assert pipeline[-1].attention_weights_.shape == (5,)
    assert pipeline[-1].get_attention_weights(windows[:40]).shape == (40, 5)
    # Batches of 16, chunks of 32: never the 180 windows.
    assert 0 < panel_windows_gathered[0] <= 32


def test_predictions_on_the_lazy_windows_equal_those_on_their_copy():
    panel = _panel(n_entities=2, n_rows=40, n_features=2)
    y = (panel[1] > 0).to_numpy().astype(int)
    windows = SlidingWindowTransformer(5).fit_transform(panel)
    clf = AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 1}).fit(windows, y)
    np.testing.assert_allclose(clf.predict_proba(windows), clf.predict_proba(np.asarray(windows)))
    same = AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 1}).fit(np.asarray(windows), y)
    np.testing.assert_allclose(same.predict_proba(windows), clf.predict_proba(windows), atol=1e-6)
    occlusion = attributions(clf, windows[:6], method="occlusion")
    np.testing.assert_allclose(
        occlusion, attributions(clf, np.asarray(windows[:6]), method="occlusion")
    )
    with pytest.raises(ValueError, match="4 time steps x 2 features"):
        clf.predict(SlidingWindowTransformer(4).fit_transform(panel))


def test_cross_validation_by_date_and_on_the_windows_themselves():
    panel = _panel(n_entities=3, n_rows=40, n_features=2, seed=1)
    y = (panel[0] > 0).to_numpy().astype(int)
    clf = AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 1})
    pipeline = Pipeline([("window", SlidingWindowTransformer(4)), ("clf", clf)])
    by_date = cross_val_score(pipeline, panel, y, cv=PanelTimeSeriesSplit(2, test_size=8))
    windows = SlidingWindowTransformer(4).fit_transform(panel)
    on_windows = cross_val_score(clf, windows, y, cv=TimeSeriesSplit(2))
    assert by_date.shape == on_windows.shape == (2,)
    assert np.isfinite(by_date).all() and np.isfinite(on_windows).all()


def test_a_nan_padding_is_refused_by_the_classifier_as_an_array_would_be():
    panel = _panel(n_entities=2, n_rows=10)
    windows = SlidingWindowTransformer(3, padding="constant", fill_value=np.nan).fit_transform(
        panel
    )
    clf = AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 1})
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.fit(windows, np.arange(20) % 2)
    # Windows past the padding are finite: a slice of them is accepted.
    assert windows[2:10].nonfinite_windows().size == 0
