"""Panel splitters: split by date across entities, gap/purge/embargo in each entity's own rows."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktemporal import SlidingWindowTransformer
from sktemporal.model_selection import (
    PanelCombinatorialPurgedCV,
    PanelPurgedKFold,
    PanelTimeSeriesSplit,
    purged_splitter,
)


def _unequal_panel(seed=0, n_dates=120, interleave=True):
    """Four assets on one business-day calendar: A trades every day, B misses a tenth of the
    days (other holidays), C is listed a third of the way in, D is delisted at two thirds."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-01", periods=n_dates)
    calendars = {
        "A": dates,
        "B": dates[np.sort(rng.choice(n_dates, int(n_dates * 0.9), replace=False))],
        "C": dates[n_dates // 3 :],
        "D": dates[: 2 * n_dates // 3],
    }
    index = pd.MultiIndex.from_tuples(
        [(asset, date) for asset, days in calendars.items() for date in days],
        names=["asset", "date"],
    )
    panel = pd.DataFrame(rng.normal(size=(len(index), 2)), index=index, columns=["ret", "vol"])
    if interleave:
        panel = panel.sort_index(level="date", sort_remaining=True)
    return panel


def _own_rows(panel):
    """Per row: its date's position on the panel's calendar and its place in its entity,
    computed here with pandas, apart from the splitters' own code."""
    dates = panel.index.get_level_values(1)
    calendar = np.sort(dates.unique())
    frame = pd.DataFrame(
        {
            "entity": panel.index.get_level_values(0),
            "rank": np.searchsorted(calendar, dates),
        }
    )
    frame = frame.sort_values(["entity", "rank"])
    frame["place"] = frame.groupby("entity").cumcount()
    return frame.sort_index()


def _rank_of(frame, steps):
    """Per row: calendar position of its entity's row ``steps`` of its own rows later (earlier
    if negative); past its last row, one date per missing row; before its first, the first."""
    grouped = frame.sort_values(["entity", "place"])
    shifted = grouped.groupby("entity")["rank"].shift(-steps)
    last = grouped.groupby("entity")["rank"].transform("last")
    first = grouped.groupby("entity")["rank"].transform("first")
    size = grouped.groupby("entity")["rank"].transform("size")
    beyond = last + grouped["place"] + steps - (size - 1)
    filled = shifted.where(shifted.notna(), beyond if steps > 0 else first)
    return filled.sort_index().to_numpy().astype(int)


def _leaks_of_walk_forward(panel, splits, gap):
    """(entity, training date) pairs whose label, ``gap`` own rows ahead, reaches a test date,
    and training dates not before the test dates."""
    frame = _own_rows(panel)
    ends = _rank_of(frame, gap)
    leaks = []
    for train, test in splits:
        test_start = frame["rank"].to_numpy()[test].min()
        assert set(train).isdisjoint(test)
        late = (frame["rank"].to_numpy()[train] >= test_start) | (ends[train] >= test_start)
        leaks.extend(panel.index[train[late]])
    return leaks


def _leaks_of_purged(panel, splits, horizon, window):
    """Training rows whose label interval overlaps a test label's, or whose window, after a
    test block, holds a date a test label of the block was computed from."""
    frame = _own_rows(panel)
    rank = frame["rank"].to_numpy()
    ends = _rank_of(frame, horizon)
    starts = _rank_of(frame, -(window - 1))
    leaks = []
    for train, test in splits:
        assert set(train).isdisjoint(test)
        test_dates = np.unique(rank[test])
        blocks = np.split(test_dates, np.flatnonzero(np.diff(test_dates) > 1) + 1)
        for row in train:
            overlaps = (rank[row] < ends[test]) & (rank[test] < ends[row])
            if horizon and overlaps.any():
                leaks.append(("purge", panel.index[row]))
            for block in blocks:
                in_block = test[np.isin(rank[test], block)]
                if rank[row] > block[-1] and starts[row] <= ends[in_block].max():
                    leaks.append(("embargo", panel.index[row]))
    return leaks


def test_every_test_date_is_tested_with_every_entity_and_trained_on_nowhere():
    panel = _unequal_panel()
    splits = list(PanelTimeSeriesSplit(n_splits=4, gap=3).split(panel))
    dates = panel.index.get_level_values("date")
    assert len(splits) == 4
    for train, test in splits:
        test_dates = set(dates[test])
        # every row on a test date is tested, whatever its entity
        assert set(np.flatnonzero(dates.isin(list(test_dates)))) == set(test)
        assert dates[train].max() < min(test_dates)
        assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()
    assert _leaks_of_walk_forward(panel, splits, gap=3) == []


def test_a_gap_in_dates_of_the_calendar_leaks_for_an_entity_with_other_holidays():
    # panelsplit's way: TimeSeriesSplit(gap) over the unique dates. B's label looks 3 of B's
    # rows ahead, more than 3 dates where B skipped a day: it reaches the test dates.
    panel, gap = _unequal_panel(seed=1), 3
    frame = _own_rows(panel)
    by_date = TimeSeriesSplit(4, gap=gap).split(np.empty((frame["rank"].max() + 1, 1)))
    naive = [
        (
            np.flatnonzero(np.isin(frame["rank"], train)),
            np.flatnonzero(np.isin(frame["rank"], test)),
        )
        for train, test in by_date
    ]
    leaks = _leaks_of_walk_forward(panel, naive, gap)
    assert leaks and {entity for entity, _ in leaks} == {"B"}
    assert _leaks_of_walk_forward(panel, PanelTimeSeriesSplit(4, gap=gap).split(panel), gap) == []


def test_on_a_shared_calendar_the_walk_forward_is_time_series_split_on_the_dates():
    dates = pd.bdate_range("2022-01-03", periods=50)
    index = pd.MultiIndex.from_product([["X", "Y", "Z"], dates])
    panel = pd.DataFrame({"a": np.arange(150.0)}, index=index)
    ours = PanelTimeSeriesSplit(3, test_size=8, gap=2, max_train_size=20).split(panel)
    reference = TimeSeriesSplit(3, test_size=8, gap=2, max_train_size=20).split(np.empty(50))
    for (train, test), (train_dates, test_dates) in zip(ours, reference, strict=True):
        assert set(panel.index[train].get_level_values(1)) == set(dates[train_dates])
        assert set(panel.index[test].get_level_values(1)) == set(dates[test_dates])


@pytest.mark.parametrize("splitter", ["kfold", "cpcv"])
@pytest.mark.parametrize("horizon, window", [(1, 1), (3, 5), (5, 2)])
def test_no_training_label_overlaps_a_test_label_and_no_window_holds_a_test_price(
    splitter, horizon, window
):
    panel = _unequal_panel(seed=2, n_dates=60)
    cv = (
        PanelPurgedKFold(4, horizon=horizon, window=window)
        if splitter == "kfold"
        else PanelCombinatorialPurgedCV(4, 2, horizon=horizon, window=window)
    )
    splits = list(cv.split(panel))
    assert len(splits) == cv.get_n_splits() == (4 if splitter == "kfold" else 6)
    assert _leaks_of_purged(panel, splits, horizon, window) == []
    # The rows not tested are trained on unless a rule removed them: not a row more.
    frame = _own_rows(panel)
    for train, test in splits:
        removed = np.setdiff1d(np.setdiff1d(np.arange(len(panel)), test), train)
        kept_anyway = [(np.append(train, row), test) for row in removed]
        for candidate in kept_anyway[:: max(1, len(kept_anyway) // 10)]:
            assert _leaks_of_purged(panel, [candidate], horizon, window), frame.iloc[
                candidate[0][-1]
            ]


@pytest.mark.parametrize("scheme", ["purged-kfold", "cpcv"])
def test_a_panel_of_one_series_splits_as_the_single_series_purged_splitter(scheme):
    n, horizon, window = 90, 2, 4
    panel = pd.DataFrame(
        {"a": np.arange(float(n))}, index=pd.MultiIndex.from_product([["s"], range(n)])
    )
    single = purged_splitter(
        n, scheme, horizon=horizon, window=window, n_splits=5, n_test_groups=2
    )
    ours = (
        PanelPurgedKFold(5, horizon=horizon, window=window)
        if scheme == "purged-kfold"
        else PanelCombinatorialPurgedCV(5, 2, horizon=horizon, window=window)
    )
    for (train, test), (expected_train, expected_test) in zip(
        ours.split(panel), single.split(np.empty((n, 1))), strict=True
    ):
        np.testing.assert_array_equal(test, expected_test)
        np.testing.assert_array_equal(train, expected_train)


def test_an_integer_embargo_counts_dates_of_the_calendar():
    index = pd.MultiIndex.from_product([["A", "B"], range(30)])
    panel = pd.DataFrame({"a": np.arange(60.0)}, index=index)
    train, test = list(PanelPurgedKFold(3, embargo=4).split(panel))[0]
    days = panel.index.get_level_values(1)
    assert set(days[test]) == set(range(10))
    assert set(days[train]) == set(range(14, 30))


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    horizon=st.integers(0, 4),
    window=st.integers(1, 6),
    interleave=st.booleans(),
)
def test_property_no_leak_on_random_unequal_calendars(seed, horizon, window, interleave):
    panel = _unequal_panel(seed=seed, n_dates=40, interleave=interleave)
    assert (
        _leaks_of_walk_forward(panel, PanelTimeSeriesSplit(3, gap=horizon).split(panel), horizon)
        == []
    )
    assert (
        _leaks_of_purged(
            panel,
            list(PanelPurgedKFold(3, horizon=horizon, window=window).split(panel)),
            horizon,
            window,
        )
        == []
    )


@pytest.mark.parametrize(("n_splits", "n_test_groups"), [(5, 2), (6, 3), (4, 1)])
def test_a_panel_of_one_series_has_the_backtest_paths_of_the_single_series_cpcv(
    n_splits, n_test_groups
):
    n = 60
    panel = pd.DataFrame(
        {"a": np.arange(float(n))}, index=pd.MultiIndex.from_product([["s"], range(n)])
    )
    single = purged_splitter(
        n, "cpcv", horizon=2, window=3, n_splits=n_splits, n_test_groups=n_test_groups
    )
    ours = PanelCombinatorialPurgedCV(n_splits, n_test_groups, horizon=2, window=3)
    rng = np.random.default_rng(0)
    values = [rng.normal(size=len(test)) for _, test in ours.split(panel)]
    paths = ours.reconstruct_paths(panel, values)
    assert paths.shape == (math.comb(n_splits - 1, n_test_groups - 1), n)
    np.testing.assert_array_equal(paths, single.reconstruct_paths(values))


def test_each_path_predicts_every_row_once_from_a_split_that_tests_it_one_split_a_date():
    panel = _unequal_panel(seed=1, n_dates=90)  # rows interleaved by date
    cv = PanelCombinatorialPurgedCV(6, 2, horizon=2, window=3)
    splits = list(cv.split(panel))
    # Values that name their row land on that row of X, in every path.
    rows = cv.reconstruct_paths(panel, [test for _, test in splits])
    assert rows.shape == (math.comb(5, 1), len(panel))
    assert (rows == np.arange(len(panel))).all()
    # Values that name their split: path k holds the row's k-th split that tests it.
    which = cv.reconstruct_paths(
        panel, [np.full(len(test), n) for n, (_, test) in enumerate(splits)]
    )
    tested_by = [[] for _ in range(len(panel))]
    for number, (_, test) in enumerate(splits):
        for row in test:
            tested_by[row].append(number)
    assert [which[:, row].tolist() for row in range(len(panel))] == tested_by
    # On each date a path takes every asset's value from the same split (one model).
    by_date = pd.DataFrame(which.T, index=panel.index.get_level_values("date"))
    assert (by_date.groupby(level=0).nunique() == 1).all().all()


def test_paths_keep_the_shape_and_dtype_of_the_values():
    panel = _unequal_panel(seed=2, n_dates=40)
    cv = PanelCombinatorialPurgedCV(4, 2, horizon=1)
    splits = list(cv.split(panel))
    probabilities = cv.reconstruct_paths(
        panel, [np.column_stack([test, -test]) for _, test in splits]
    )
    assert probabilities.shape == (3, len(panel), 2)
    np.testing.assert_array_equal(probabilities[..., 0], np.tile(np.arange(len(panel)), (3, 1)))
    np.testing.assert_array_equal(probabilities[..., 1], -probabilities[..., 0])
    labels = cv.reconstruct_paths(panel, [np.where(test % 2, "up", "down") for _, test in splits])
    assert labels.dtype.kind == "U"
    assert (labels == np.where(np.arange(len(panel)) % 2, "up", "down")).all()


def test_paths_refuse_values_that_do_not_match_the_splits():
    panel = _unequal_panel(seed=2, n_dates=40)
    cv = PanelCombinatorialPurgedCV(4, 2)
    values = [np.zeros(len(test)) for _, test in cv.split(panel)]
    with pytest.raises(ValueError, match=r"one array per split, 6 \(C\(4, 2\)\).*got 5"):
        cv.reconstruct_paths(panel, values[:-1])
    values[3] = values[3][:-1]
    with pytest.raises(ValueError, match=r"Split 3 tests \d+ rows of X"):
        cv.reconstruct_paths(panel, values)


class _FlatLogistic(LogisticRegression):
    def fit(self, X, y):
        return super().fit(X.reshape(len(X), -1), y)

    def decision_function(self, X):
        return super().decision_function(X.reshape(len(X), -1))


def test_cross_val_score_and_grid_search_take_the_panel_and_the_splitters_unchanged():
    panel = _unequal_panel(seed=3, n_dates=150)
    y = (panel["ret"].groupby(level="asset").shift(-1).fillna(0) > 0).astype(int).to_numpy()
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("window", SlidingWindowTransformer(5, short_entities="pad")),
            ("clf", _FlatLogistic()),
        ]
    ).set_output(transform="pandas")
    for cv in (
        PanelTimeSeriesSplit(3, gap=1),
        PanelPurgedKFold(3, horizon=1, window=5),
        PanelCombinatorialPurgedCV(4, 2, horizon=1, window=5),
    ):
        scores = cross_val_score(pipeline, panel, y, cv=cv, error_score="raise")
        assert len(scores) == cv.get_n_splits() and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(
        pipeline,
        {"window__sequence_length": [3, 5]},
        cv=PanelTimeSeriesSplit(3, gap=1),
        error_score="raise",
    ).fit(panel, y)
    assert search.best_params_["window__sequence_length"] in (3, 5)


def test_splitters_refuse_a_table_that_is_not_a_panel_and_bad_settings():
    with pytest.raises(
        ValueError, match=r"indexed by \(entity, time\).*list\(splitter.split\(panel\)\)"
    ):
        next(PanelTimeSeriesSplit(2).split(np.zeros((10, 2))))
    index = pd.MultiIndex.from_tuples([("a", 1), ("a", 1), ("a", 2)])
    with pytest.raises(ValueError, match="Entity 'a' has the time 1 twice"):
        next(PanelPurgedKFold(2).split(pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=index)))
    with pytest.raises(ValueError, match="'gap' parameter of PanelTimeSeriesSplit"):
        next(PanelTimeSeriesSplit(2, gap=-1).split(_unequal_panel()))
    with pytest.raises(ValueError, match="n_test_groups must be smaller than n_splits"):
        PanelCombinatorialPurgedCV(3, 3).get_n_splits()
    assert (
        repr(PanelPurgedKFold(4, horizon=2))
        == "PanelPurgedKFold(n_splits=4, horizon=2, window=1, embargo=None)"
    )
