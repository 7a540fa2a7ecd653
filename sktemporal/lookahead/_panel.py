"""Cutting a panel by date: every entity's rows after a date are its future.

A panel is a DataFrame whose index has two levels, (entity, time), as
:class:`~sktemporal.SlidingWindowTransformer` takes it. Its rows may be grouped by entity or
interleaved by date, so "the rows after a row position" are not "the later dates": the past of
a panel at a cutoff date is every entity's rows dated on or before it, wherever they sit.
"""

from numbers import Integral

import numpy as np
import pandas as pd

from sktemporal.lookahead._perturbation import perturb
from sktemporal.lookahead._report import format_time

__all__ = ["PanelCalendar", "SeriesCut", "is_panel"]


def is_panel(X):
    """Whether ``X`` is a panel: a DataFrame indexed by (entity, time)."""
    return (
        isinstance(X, pd.DataFrame)
        and isinstance(X.index, pd.MultiIndex)
        and (X.index.nlevels == 2)
    )


class SeriesCut:
    """One series cut at a row position: rows ``>= cutoff`` are the future."""

    def __init__(self, cutoff):
        self.cutoff = cutoff
        self.past = slice(None, cutoff)

    def perturb(self, X, kind, rng):
        return perturb(X, self.cutoff, kind, rng)

    def first(self, rows):
        """Position in ``X`` of the earliest of ``rows`` (positions among the past rows)."""
        return rows[0]

    def earlier(self, a, b):
        return min(a, b)

    def describe(self):
        return f"the rows from {self.cutoff} on"


class _PanelCut:
    """A panel cut at a date: every entity's rows dated after it are the future."""

    def __init__(self, calendar, cutoff):
        self.cutoff = cutoff
        self._calendar = calendar
        last = int(calendar.dates.searchsorted(cutoff, side="right")) - 1
        mask = calendar.codes <= last
        self.past = np.flatnonzero(mask)
        self._n_past = len(self.past)
        # Past rows first, then the future, each in input order; the identity for a panel
        # interleaved by date, where the single-series perturbation applies as it is.
        self._order = np.r_[self.past, np.flatnonzero(~mask)]
        self._identity = bool((self._order == np.arange(len(self._order))).all())
        if not self._identity:
            self._inverse = np.empty_like(self._order)
            self._inverse[self._order] = np.arange(len(self._order))

    def perturb(self, X, kind, rng):
        if self._identity:
            return perturb(X, self._n_past, kind, rng)
        return perturb(X.iloc[self._order], self._n_past, kind, rng).iloc[self._inverse]

    def first(self, rows):
        positions = self.past[rows]
        codes = self._calendar.codes[positions]
        return int(positions[np.flatnonzero(codes == codes.min())[0]])

    def earlier(self, a, b):
        codes = self._calendar.codes
        return min(a, b, key=lambda row: (codes[row], row))

    def describe(self):
        return f"every entity's rows dated after {format_time(self.cutoff)}"


class PanelCalendar:
    """The dates of a panel: the sorted union of its entities' times, and each row's date.

    Parameters
    ----------
    index : pandas.MultiIndex
        The panel's (entity, time) index.
    """

    def __init__(self, index):
        times = index.get_level_values(1)
        if times.hasnans:
            raise ValueError(
                "The panel's time level (index level 1) has missing values; every row needs "
                "a date to be cut by date."
            )
        self.entities = index.get_level_values(0)
        self.times = times
        self.dates = times.unique().sort_values()
        #: Rank of each row's date in the calendar: its place in time across all entities.
        self.codes = self.dates.get_indexer(times)
        if len(self.dates) < 2:
            raise ValueError(
                f"The panel has {len(self.dates)} date(s); checking for look-ahead needs at "
                "least 2 (dates up to a cutoff to compare, dates after it to perturb)."
            )

    def cutoffs(self, cutoffs):
        """The cutoff dates, ascending, checked; ``None`` gives three of the calendar."""
        n_dates = len(self.dates)
        if cutoffs is None:
            # As for one series: the dates before rows n // 2 and 3 n // 4 of the calendar
            # and the last but one, so that the last cut perturbs only the last date.
            positions = {max(0, n_dates // 2 - 1), max(0, 3 * n_dates // 4 - 1), n_dates - 2}
            return [_scalar(self.dates[position]) for position in sorted(positions)]
        values = list(cutoffs) if pd.api.types.is_list_like(cutoffs) else [cutoffs]
        if not values:
            raise ValueError("cutoffs is empty; give at least one date of the panel, or None.")
        dates = {_scalar(self._as_time(value)) for value in values}
        return sorted(dates)

    def cut(self, cutoff):
        return _PanelCut(self, cutoff)

    def _as_time(self, value):
        datetime_like = isinstance(self.dates, pd.DatetimeIndex | pd.PeriodIndex)
        if datetime_like and isinstance(value, Integral | bool | np.bool_):
            raise ValueError(
                f"cutoffs of a panel are dates of its time level, not row positions; got "
                f"{value!r}. Rows of a panel are cut by date: pass e.g. "
                f"{format_time(self.dates[len(self.dates) // 2])!r}."
            )
        try:
            if isinstance(self.dates, pd.DatetimeIndex):
                time = pd.Timestamp(value)
                if self.dates.tz is not None and time.tz is None:
                    time = time.tz_localize(self.dates.tz)
            elif isinstance(self.dates, pd.PeriodIndex):
                time = pd.Period(value, freq=self.dates.freq)
            else:
                time = value
            inside = self.dates[0] <= time < self.dates[-1]
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"cutoff {value!r} cannot be compared with the panel's dates "
                f"({self.dates.dtype}): {error}"
            ) from error
        if not inside:
            raise ValueError(
                f"cutoff {format_time(time)} is out of range: the panel's dates run from "
                f"{format_time(self.dates[0])} to {format_time(self.dates[-1])}, so each "
                f"cutoff must be on or after {format_time(self.dates[0])} and before "
                f"{format_time(self.dates[-1])} (rows dated on or before it are compared, "
                "every entity's rows dated after it perturbed)."
            )
        return time


def _scalar(value):
    """A numpy scalar (an integer time level's value) as the Python scalar it holds."""
    return value.item() if isinstance(value, np.generic) else value
