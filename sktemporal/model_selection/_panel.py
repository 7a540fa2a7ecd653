"""Splitters of a panel, many series indexed by (entity, time), by date across its entities.

Walk-forward, purged k-fold and CPCV (with its backtest paths) over the panel's calendar, the
sorted union of its entities' dates; gap, purge and embargo are measured in each entity's own
rows.
"""

import math
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.model_selection import TimeSeriesSplit
from sklearn.utils._param_validation import Interval


class _PanelCalendar:
    """A panel's rows as positions on its calendar, the sorted union of its entities' dates.

    ``rank[i]`` is the position of row ``i``'s date on that calendar. :meth:`ahead` and
    :meth:`behind` step through each entity's own rows, whatever dates the others have.
    """

    def __init__(self, X):
        index = getattr(X, "index", None)
        if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
            raise ValueError(
                "A panel splitter reads the dates from X: pass the panel itself, a DataFrame "
                "indexed by (entity, time) (a two-level MultiIndex); got "
                f"{type(X).__name__}"
                f"{' with a ' + type(index).__name__ if index is not None else ''}. To split "
                "windows built beforehand, pass the folds: cv=list(splitter.split(panel))."
            )
        entities, times = index.get_level_values(0), index.get_level_values(1)
        if entities.hasnans or times.hasnans:
            raise ValueError("The panel's index has missing entities or times.")
        entity_codes, _ = pd.factorize(entities)
        self.rank, self.dates = pd.factorize(times, sort=True)
        # Rows grouped by entity, each entity's in time order, whatever the input order.
        self._order = np.lexsort((self.rank, entity_codes))
        grouped_codes, grouped_rank = entity_codes[self._order], self.rank[self._order]
        repeated = np.flatnonzero(
            (grouped_codes[1:] == grouped_codes[:-1]) & (grouped_rank[1:] == grouped_rank[:-1])
        )
        if len(repeated):
            row = self._order[repeated[0] + 1]
            raise ValueError(
                f"Entity {entities[row]!r} has the time {times[row]} twice; each (entity, "
                "time) pair must be one row."
            )
        counts = np.bincount(grouped_codes)
        self._first = np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        self._last = self._first + np.repeat(counts, counts) - 1

    def __len__(self):
        return len(self.rank)

    @property
    def n_dates(self):
        return len(self.dates)

    def ahead(self, steps):
        """Calendar position of each row's entity ``steps`` of its rows later.

        Past an entity's last row, one calendar date per missing row.
        """
        target = np.arange(len(self)) + steps
        beyond = np.maximum(target - self._last, 0)
        grouped = self.rank[self._order[np.minimum(target, self._last)]] + beyond
        return self._to_row_order(grouped)

    def behind(self, steps):
        """Calendar position of each row's entity ``steps`` of its rows earlier (its first row
        at most)."""
        grouped = self.rank[self._order[np.maximum(np.arange(len(self)) - steps, self._first)]]
        return self._to_row_order(grouped)

    def _to_row_order(self, grouped):
        values = np.empty(len(self), dtype=np.intp)
        values[self._order] = grouped
        return values

    def rows_on(self, date_positions):
        """Rows whose date is one of ``date_positions`` (calendar positions), ascending."""
        on = np.zeros(self.n_dates, dtype=bool)
        on[date_positions] = True
        return np.flatnonzero(on[self.rank])


class PanelTimeSeriesSplit:
    """Walk-forward splits of a panel by date: train on every entity's past, test the next dates.

    The dates of the panel's calendar (the sorted union of all entities' dates) are split as
    :class:`~sklearn.model_selection.TimeSeriesSplit` splits rows: each test set is the rows
    of every entity on the next ``test_size`` dates, each training set the rows before them.
    ``gap`` is then applied to each entity in its own rows: a training row is kept only if its
    entity's row ``gap`` rows later is dated before the test block, so that a label that looks
    ``gap`` rows ahead never reaches a test date, even for an entity that skipped dates (listed
    later, other holidays). For a panel whose entities share one calendar this is
    ``TimeSeriesSplit(gap=gap)`` on the dates.

    Parameters
    ----------
    n_splits : int, default=5
        Number of splits, at least 2.
    test_size : int, default=None
        Dates in each test block; ``None``: ``n_dates // (n_splits + 1)``.
    gap : int, default=0
        Rows of each entity's own time left out before each test block: the label horizon.
    max_train_size : int, default=None
        Most dates in each training set (a rolling window); ``None``: all earlier dates.

    See Also
    --------
    PanelPurgedKFold : Every block of dates tested once, training on both sides, purged.
    sktemporal.SlidingWindowTransformer : Windows a panel entity by entity.

    Notes
    -----
    ``split`` reads the dates from ``X``, a DataFrame indexed by (entity, time), and yields
    positions into it (ascending), so the splitter works unchanged in ``cross_val_score`` and
    ``GridSearchCV``. The rows may be in any order.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sktemporal.model_selection import PanelTimeSeriesSplit
    >>> index = pd.MultiIndex.from_product([["A", "B"], range(6)], names=["asset", "day"])
    >>> panel = pd.DataFrame({"close": np.arange(12.0)}, index=index)
    >>> panel = panel.drop(("B", 3))  # B closed on day 3
    >>> cv = PanelTimeSeriesSplit(n_splits=2, test_size=2, gap=1)
    >>> days = panel.index.get_level_values("day")
    >>> for train, test in cv.split(panel):
    ...     print(panel.index[train].tolist(), "->", sorted(set(days[test])))
    [('A', 0), ('B', 0)] -> [2, 3]
    [('A', 0), ('A', 1), ('A', 2), ('B', 0), ('B', 1)] -> [4, 5]

    B's row of day 2 stays out of the second training set: its label looks one of B's rows
    ahead, to day 4, a test date (a gap of one date of the calendar would have kept it).
    """

    _parameter_constraints = {
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "test_size": [Interval(Integral, 1, None, closed="left"), None],
        "gap": [Interval(Integral, 0, None, closed="left")],
        "max_train_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_splits=5, *, test_size=None, gap=0, max_train_size=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.gap = gap
        self.max_train_size = max_train_size

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits, ``n_splits``."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield the positions of the training and test rows of each split.

        Parameters
        ----------
        X : DataFrame indexed by (entity, time)
            The panel.
        y, groups : ignored
            For scikit-learn's splitter protocol.

        Yields
        ------
        train, test : ndarray of int
            Row positions in ``X``, ascending.
        """
        _validate_splitter(self)
        calendar = _PanelCalendar(X)
        # The gap in dates of the calendar first (what TimeSeriesSplit does on one series),
        # then in each entity's own rows, longer for an entity that skipped dates.
        by_date = TimeSeriesSplit(
            self.n_splits,
            test_size=self.test_size,
            gap=self.gap,
            max_train_size=self.max_train_size,
        )
        label_end = calendar.ahead(self.gap)
        for train_dates, test_dates in by_date.split(np.empty((calendar.n_dates, 1))):
            test_start = test_dates[0]
            train = calendar.rows_on(train_dates)
            yield train[label_end[train] < test_start], calendar.rows_on(test_dates)

    def __repr__(self):
        return _splitter_repr(self)


class _PanelPurgedSplit:
    """Test blocks of dates from a ``purgedcv`` splitter over the panel's calendar; purge and
    embargo row by row, each row's label and window measured in its entity's own rows."""

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits."""
        return self._date_splitter(np.arange(self.n_splits + 1)).get_n_splits()

    def split(self, X, y=None, groups=None):
        """Yield the positions of the training and test rows of each split.

        Parameters
        ----------
        X : DataFrame indexed by (entity, time)
            The panel.
        y, groups : ignored
            For scikit-learn's splitter protocol.

        Yields
        ------
        train, test : ndarray of int
            Row positions in ``X``, ascending.
        """
        from purgedcv import purge

        _validate_splitter(self)
        calendar = _PanelCalendar(X)
        starts = pd.to_timedelta(calendar.rank, unit="D")
        label_end = calendar.ahead(self.horizon)
        ends = pd.to_timedelta(label_end, unit="D")
        window_start = calendar.behind(self.window - 1)
        for train_dates, test_dates in self._date_folds(calendar):
            test = calendar.rows_on(test_dates)
            train = purge(calendar.rows_on(train_dates), test, starts, ends)
            if self.embargo is None:
                train = _embargo_windows(train, test, calendar.rank, label_end, window_start)
            yield train, test

    def _date_folds(self, calendar):
        """The training and test dates of each split, as positions on the calendar."""
        return self._date_splitter(np.arange(calendar.n_dates)).split(
            np.empty((calendar.n_dates, 1))
        )

    def _date_splitter(self, date_positions):
        times = pd.to_timedelta(date_positions, unit="D")
        options = {
            "prediction_times": times,
            "evaluation_times": times,  # the purge is done row by row, with each row's label
            "embargo_observations": self.embargo or 0,
        }
        return self._purgedcv_splitter(options)

    def __repr__(self):
        return _splitter_repr(self)


class PanelPurgedKFold(_PanelPurgedSplit):
    """Purged k-fold over a panel's dates: each block of dates tested once, across all entities.

    The panel's calendar (the sorted union of all entities' dates) is cut into ``n_splits``
    contiguous blocks of dates by :class:`purgedcv.PurgedKFold`; each test set is every
    entity's rows in one block. The training set is every other row, less:

    - **purged** rows (with :func:`purgedcv.purge`): those whose label interval overlaps a
      test label's. Row ``t``'s label runs from its date to the date of its entity's row
      ``t + horizon``, in the entity's own rows, so an entity that skipped dates has longer
      intervals, and the purge works across entities: a test date's label of one asset also
      removes the other assets' training labels over that date;
    - **embargoed** rows after each test block: with ``embargo=None``, those whose window (the
      ``window`` rows of their entity that end with them) holds a date on or before the last
      date a test label of the block was computed from, so that no training window holds a
      price of a test label (``horizon + window - 1`` rows for an entity trading every date,
      :func:`default_embargo`); with an integer, that many dates of the calendar.

    Parameters
    ----------
    n_splits : int, default=5
        Blocks of dates, at least 2.
    horizon : int, default=0
        Rows of its entity ahead each label looks.
    window : int, default=1
        Rows of its entity each sample's window spans, its own row included (the
        ``sequence_length``).
    embargo : int, default=None
        ``None``: the window embargo above. An integer: dates of the calendar removed after
        each test block instead (``purgedcv``'s ``embargo_observations`` on the dates).

    See Also
    --------
    PanelCombinatorialPurgedCV : Several blocks tested at once, for backtest paths.
    PanelTimeSeriesSplit : Walk-forward splits of a panel.
    purged_splitter : The same splitters for one series.

    Notes
    -----
    ``split`` reads the dates from ``X``, a DataFrame indexed by (entity, time), and yields
    positions into it (ascending), so the splitter works unchanged in ``cross_val_score`` and
    ``GridSearchCV``. The rows may be in any order.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sktemporal.model_selection import PanelPurgedKFold
    >>> index = pd.MultiIndex.from_product([["A", "B"], range(9)], names=["asset", "day"])
    >>> panel = pd.DataFrame({"close": np.arange(18.0)}, index=index)
    >>> cv = PanelPurgedKFold(n_splits=3, horizon=1, window=2)
    >>> train, test = list(cv.split(panel))[1]
    >>> panel.index[test].tolist()
    [('A', 3), ('A', 4), ('A', 5), ('B', 3), ('B', 4), ('B', 5)]
    >>> sorted(set(panel.index[train].get_level_values("day")))  # 6-7 embargoed
    [0, 1, 2, 8]
    """

    _parameter_constraints = {
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "horizon": [Interval(Integral, 0, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "embargo": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, n_splits=5, *, horizon=0, window=1, embargo=None):
        self.n_splits = n_splits
        self.horizon = horizon
        self.window = window
        self.embargo = embargo

    def _purgedcv_splitter(self, options):
        from purgedcv import PurgedKFold

        return PurgedKFold(self.n_splits, **options)


class PanelCombinatorialPurgedCV(_PanelPurgedSplit):
    """Combinatorial purged cross-validation over a panel's dates.

    The panel's calendar is cut into ``n_splits`` blocks of dates by
    :class:`purgedcv.CombinatorialPurgedCV`; each of the ``C(n_splits, n_test_groups)`` test
    sets is every entity's rows in ``n_test_groups`` of the blocks, and the training rows are
    purged and embargoed after each test block as in :class:`PanelPurgedKFold`.

    Parameters
    ----------
    n_splits : int, default=6
        Blocks of dates, at least 2.
    n_test_groups : int, default=2
        Blocks in each test set, ``1 <= n_test_groups < n_splits``.
    horizon : int, default=0
        Rows of its entity ahead each label looks.
    window : int, default=1
        Rows of its entity each sample's window spans, its own row included.
    embargo : int, default=None
        ``None``: the window embargo of :class:`PanelPurgedKFold`. An integer: dates of the
        calendar removed after each test block instead.

    See Also
    --------
    PanelPurgedKFold : One block tested at a time.
    purged_splitter : The same splitter for one series (``scheme="cpcv"``).

    Notes
    -----
    Each block of dates is tested in ``C(n_splits - 1, n_test_groups - 1)`` splits, so the
    test predictions recombine into that many **backtest paths**, each predicting every row
    of the panel once: :meth:`reconstruct_paths`. On each date a path takes every entity's
    prediction from the same split, so a path is one model's backtest of the whole panel on
    that date, as in a walk-forward run.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sktemporal.model_selection import PanelCombinatorialPurgedCV
    >>> index = pd.MultiIndex.from_product([["A", "B"], range(12)], names=["asset", "day"])
    >>> panel = pd.DataFrame({"close": np.arange(24.0)}, index=index)
    >>> cv = PanelCombinatorialPurgedCV(n_splits=4, n_test_groups=2, horizon=1)
    >>> cv.get_n_splits()
    6
    >>> train, test = next(cv.split(panel))
    >>> sorted(set(panel.index[test].get_level_values("day")))
    [0, 1, 2, 3, 4, 5]
    >>> sorted(set(panel.index[train].get_level_values("day")))  # 6: embargoed
    [7, 8, 9, 10, 11]
    """

    _parameter_constraints = {
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "n_test_groups": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 0, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "embargo": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(self, n_splits=6, n_test_groups=2, *, horizon=0, window=1, embargo=None):
        self.n_splits = n_splits
        self.n_test_groups = n_test_groups
        self.horizon = horizon
        self.window = window
        self.embargo = embargo

    def reconstruct_paths(self, X, fold_values):
        """Assemble the splits' test values into the panel's backtest paths.

        A row's ``k``-th split that tests it (in the order :meth:`split` yields them) gives
        its value in path ``k``: ``purgedcv``'s rule for one series, applied to the blocks of
        dates, so that on each date every entity's value of a path comes from one split.

        Parameters
        ----------
        X : DataFrame indexed by (entity, time)
            The panel that was split.
        fold_values : sequence of array-like
            One array per split, in :meth:`split`'s order, ``C(n_splits, n_test_groups)`` of
            them: the values of that split's test rows (predictions, probabilities of shape
            ``(n_test, n_classes)``, returns), in the order of its test positions.

        Returns
        -------
        paths : ndarray of shape (n_paths, n_rows) or (n_paths, n_rows, ...)
            ``n_paths = C(n_splits - 1, n_test_groups - 1)``; row ``i`` of a path is the value
            of ``X``'s row ``i``, every row filled, in the dtype of ``fold_values``.
            ``pandas.DataFrame(paths.T, index=X.index)`` indexes one path per column by
            (entity, time).

        Raises
        ------
        ValueError
            If ``fold_values`` does not hold one array per split, or an array's length is
            not its split's number of test rows.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from sktemporal.model_selection import PanelCombinatorialPurgedCV
        >>> index = pd.MultiIndex.from_product([["A", "B"], range(6)], names=["asset", "day"])
        >>> panel = pd.DataFrame({"close": np.arange(12.0)}, index=index)
        >>> cv = PanelCombinatorialPurgedCV(n_splits=3, n_test_groups=2, horizon=1)
        >>> splits = [np.full(len(test), n) for n, (_, test) in enumerate(cv.split(panel))]
        >>> paths = cv.reconstruct_paths(panel, splits)
        >>> paths.shape
        (2, 12)
        >>> paths[:, :6]  # the split that predicted each of asset A's days, in each path
        array([[0, 0, 0, 0, 1, 1],
               [1, 1, 2, 2, 2, 2]])
        """
        _validate_splitter(self)
        calendar = _PanelCalendar(X)
        tests = [calendar.rows_on(test_dates) for _, test_dates in self._date_folds(calendar)]
        if len(fold_values) != len(tests):
            raise ValueError(
                f"fold_values must hold one array per split, {len(tests)} (C({self.n_splits}, "
                f"{self.n_test_groups})), in the order split(X) yields them; got "
                f"{len(fold_values)}."
            )
        values = [np.asarray(value) for value in fold_values]
        trailing = values[0].shape[1:]
        for number, (value, test) in enumerate(zip(values, tests, strict=True)):
            if value.shape != (len(test), *trailing):
                raise ValueError(
                    f"Split {number} tests {len(test)} rows of X, so its values must have "
                    f"shape {(len(test), *trailing)}; got {value.shape}. Pass the values of "
                    "each split's test rows, for the same X."
                )
        n_paths = math.comb(self.n_splits - 1, self.n_test_groups - 1)
        paths = np.empty((n_paths, len(calendar), *trailing), dtype=np.result_type(*values))
        tested = np.zeros(len(calendar), dtype=np.intp)
        for value, test in zip(values, tests, strict=True):
            paths[tested[test], test] = value
            tested[test] += 1
        return paths

    def _purgedcv_splitter(self, options):
        from purgedcv import CombinatorialPurgedCV

        if self.n_test_groups >= self.n_splits:
            raise ValueError(
                f"n_test_groups must be smaller than n_splits; got n_test_groups="
                f"{self.n_test_groups} with n_splits={self.n_splits}."
            )
        return CombinatorialPurgedCV(self.n_splits, self.n_test_groups, **options)


def _embargo_windows(train, test, rank, label_end, window_start):
    """Drop the training rows after each block of test dates whose window reaches back to a
    date that a test label of the block was computed from."""
    test_dates = np.unique(rank[test])
    block_of_date = np.cumsum(np.r_[True, np.diff(test_dates) > 1]) - 1
    block_end = test_dates[np.r_[np.diff(test_dates) > 1, True]]
    last_price = np.zeros(len(block_end), dtype=np.intp)
    np.maximum.at(
        last_price, block_of_date[np.searchsorted(test_dates, rank[test])], label_end[test]
    )
    keep = np.ones(len(train), dtype=bool)
    for end, last in zip(block_end, last_price, strict=True):
        keep &= ~((rank[train] > end) & (window_start[train] <= last))
    return train[keep]


def _validate_splitter(splitter):
    from sklearn.utils._param_validation import validate_parameter_constraints

    validate_parameter_constraints(
        splitter._parameter_constraints,
        {name: getattr(splitter, name) for name in splitter._parameter_constraints},
        caller_name=type(splitter).__name__,
    )


def _splitter_repr(splitter):
    import inspect

    names = inspect.signature(type(splitter).__init__).parameters
    arguments = ", ".join(f"{name}={getattr(splitter, name)!r}" for name in list(names)[1:])
    return f"{type(splitter).__name__}({arguments})"
