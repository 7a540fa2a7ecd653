"""Sliding windows over a time-ordered table, as a scikit-learn transformer."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from sktemporal._documentation import DocumentationLinkMixin
from sktemporal.panel_windows import PanelWindows

__all__ = ["SlidingWindowTransformer", "check_time_index"]

# Most values the front padding may hold: 2**27 float64 values are 1 GiB. Only windows far
# longer than any table reach it (a 2-column table needs sequence_length > 67 million), and
# each such window would be almost all padding; refusing them beats a failed allocation.
_MAX_PADDING_VALUES = 2**27


# Appended to every "rows out of time order" message of the transformer: a table that was in
# order when the user passed it reaches a step in another order only through a search or a
# splitter that resampled its rows.
_REORDERED_ROWS_HINT = (
    "If the table was in time order when you passed it, something before this step reordered "
    "its rows: HalvingGridSearchCV and HalvingRandomSearchCV with their default "
    "resource='n_samples' fit on a random subsample of rows (give resource= an epochs or steps "
    "parameter instead, e.g. resource='clf__epochs'), and a shuffled splitter (KFold(shuffle="
    "True), ShuffleSplit) hands on rows in random order (use TimeSeriesSplit or a splitter of "
    "sktemporal.model_selection)."
)


def check_time_index(index):
    """Reject a ``DatetimeIndex`` that is not strictly increasing.

    Windows are built from row order, so rows must already be in time order: a table that is
    unsorted or holds the same timestamp twice would silently mix the future into the past.

    Parameters
    ----------
    index : pandas.Index
        Index of the table. Only a ``DatetimeIndex`` is checked; any other index is taken to be
        in time order already.

    Raises
    ------
    ValueError
        If the index is a ``DatetimeIndex`` with a duplicated, missing or decreasing timestamp.
    """
    _check_time_index(index)


def _check_time_index(index, hint=""):
    if not isinstance(index, pd.DatetimeIndex):
        return
    if index.hasnans:
        raise ValueError("The DatetimeIndex contains missing timestamps (NaT).")
    if not index.is_monotonic_increasing:
        position = int(np.flatnonzero(np.diff(index.asi8) < 0)[0]) + 1
        raise ValueError(
            f"The DatetimeIndex is not sorted: row {position} ({index[position]}) comes before "
            f"row {position - 1} ({index[position - 1]}). Sort the table by time first "
            f"(e.g. df.sort_index()).{hint}"
        )
    if index.has_duplicates:
        duplicate = index[index.duplicated()][0]
        raise ValueError(
            f"The DatetimeIndex contains the timestamp {duplicate} more than once; "
            "each row must be one distinct time step."
        )


def _check_row_order(index):
    """Refuse a table whose index shows that its rows are out of time order.

    A ``DatetimeIndex`` must be strictly increasing. An integer index need not be dense, but a
    decreasing label means the rows were reordered: the default ``RangeIndex`` keeps its labels
    through ``df.iloc[permutation]``, a random subsample or ``df[::-1]``.
    """
    hint = f" {_REORDERED_ROWS_HINT}"
    _check_time_index(index, hint=hint)
    if pd.api.types.is_integer_dtype(index.dtype) and not index.is_monotonic_increasing:
        position = int(np.flatnonzero(np.diff(index.to_numpy()) < 0)[0]) + 1
        raise ValueError(
            f"The rows are not in time order: row {position} has the index label "
            f"{index[position]}, smaller than the label {index[position - 1]} of row "
            f"{position - 1}, so the rows were reordered after the integer index was made. "
            "Sort the table by time first (e.g. df.sort_index() for a reversed table); if the "
            "rows are in time order and the labels mean nothing (tables concatenated without "
            f"ignore_index=True), use df.reset_index(drop=True).{hint}"
        )


class _PanelLayout:
    """Where each row of a panel sits: its entity and its place in that entity's time order.

    ``order`` lists the rows grouped by entity (entities in order of first appearance), each
    entity's rows in input order, which the check made sure is its time order.
    """

    def __init__(self, index):
        if index.nlevels != 2:
            raise ValueError(
                f"A panel's index must have two levels, (entity, time); got {index.nlevels} "
                f"levels {list(index.names)}. Move the others to columns or drop them "
                "(df.reset_index(level=...))."
            )
        entities, times = index.get_level_values(0), index.get_level_values(1)
        for level, values in (("entity", entities), ("time", times)):
            if values.hasnans:
                raise ValueError(f"The panel's {level} level (index level) has missing values.")
        codes, self.names = pd.factorize(entities)
        self.codes = codes.astype(np.intp)
        self.order = np.argsort(self.codes, kind="stable")
        self.counts = np.bincount(self.codes, minlength=len(self.names))
        self.first = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        # asi8 compares datetimes and periods as integers (time zones included).
        stamps = times.asi8 if hasattr(times, "asi8") else times.to_numpy()
        ordered = stamps[self.order]
        same_entity = self.codes[self.order][1:] == self.codes[self.order][:-1]
        backwards = np.flatnonzero(same_entity & ~(ordered[1:] > ordered[:-1]))
        if len(backwards):
            earlier, later = self.order[backwards[0]], self.order[backwards[0] + 1]
            entity = self.names[self.codes[later]]
            problem = (
                "holds the time twice"
                if ordered[backwards[0] + 1] == ordered[backwards[0]]
                else "goes back in time"
            )
            raise ValueError(
                f"Entity {entity!r} {problem}: row {later} ({times[later]}) comes after row "
                f"{earlier} ({times[earlier]}). Each entity's rows must be in strictly "
                "increasing time order; entities may be grouped or interleaved. Sort the "
                f"panel first (df.sort_index()).{' ' + _REORDERED_ROWS_HINT}"
            )

    def short(self, length):
        """The entities with fewer than ``length`` rows and their row counts."""
        short = np.flatnonzero(self.counts < length)
        return {self.names[code]: int(self.counts[code]) for code in short}


def _is_panel(X):
    return isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex)


# auto_wrap_output_keys=None: scikit-learn would otherwise wrap transform's output into a
# DataFrame under set_output(transform="pandas"); windows are 3-D and stay as they are.
class SlidingWindowTransformer(
    DocumentationLinkMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Turn a time-ordered table, or a panel of them, into one window of past rows per row.

    Row ``i`` of the output is the window of the ``sequence_length`` rows that end with row
    ``i`` of the input, so the output has as many rows as the input (a scikit-learn transformer
    may not drop rows) and labels stay aligned with rows. Window ``i`` holds only rows ``<= i``:
    nothing from the future enters it.

    The first ``sequence_length - 1`` rows do not have enough history. Their windows are
    completed at the front by padding: with ``padding="edge"`` (default) the first row of the
    table is repeated, with ``padding="constant"`` the value ``fill_value`` is used. Either way the
    padding is made from row 0 or a constant, never from later rows.

    The windows are a read-only strided view of a padded copy of the table, so memory grows with
    the number of rows plus ``sequence_length``, not with ``rows × sequence_length``. The
    padding alone holds ``(sequence_length - 1) × n_features`` values; a ``sequence_length`` for
    which that exceeds 2**27 values (1 GiB of float64) is refused with a ``ValueError`` instead
    of attempting the allocation.

    A **panel**, many series in one table, is a DataFrame whose index has two levels, (entity,
    time), as in pandas and sktime. Window ``i`` is then made of the rows of row ``i``'s entity
    that end with row ``i``: no window ever holds rows of two entities, and each entity's first
    rows are padded from its own first row (or ``fill_value``). Each entity's rows must be in
    strictly increasing time order; entities may be grouped (``df.sort_index()``) or
    interleaved (a date-major long table), and the windows come in the input's row order. An
    entity with fewer than ``sequence_length`` rows, all of whose windows are padding-filled,
    is handled as ``short_entities`` says, never silently. numpy has no single strided view
    that skips the boundaries between entities, so a panel's windows are a
    :class:`~sktemporal.panel_windows.PanelWindows`: a read-only array-like over one buffer of
    the entities' padded rows, read through a row map, with the memory of the table, not of
    ``rows × sequence_length × features``; it indexes like an ndarray, and the classifiers
    train and predict on it a batch at a time. A panel of one entity gives the ndarray view of
    one series.

    Parameters
    ----------
    sequence_length : int, default=30
        Number of time steps in each window, the current row included. It may exceed the
        number of rows (the windows are then completed by padding), within the memory bound
        given above. Booleans are refused.
    padding : {"edge", "constant"}, default="edge"
        How the windows of the first ``sequence_length - 1`` rows are completed.
    fill_value : float, default=0.0
        Value used for the padding when ``padding="constant"``.
    short_entities : {"warn", "pad", "raise"}, default="warn"
        Panels only: what to do with entities shorter than ``sequence_length``. ``"warn"`` pads
        them and warns, naming them and counting their rows; ``"pad"`` pads them without a
        word; ``"raise"`` refuses them with the same message. A transformer may not drop rows
        (the labels would lose their alignment): the message shows how to drop the entities,
        with their labels, before windowing.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of the table seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, defined only when ``X`` was a DataFrame with string column names.

    See Also
    --------
    sktemporal.AttentionLSTMClassifier : Classifier that consumes these windows.

    Notes
    -----
    The input must be one time series in time order, rows being time steps, or a panel as
    above. A pandas ``DatetimeIndex`` is checked to be strictly increasing, and an integer index
    to be increasing (a decreasing label shows reordered rows). The index reaches this check
    behind a ``StandardScaler`` when the pipeline outputs pandas
    (``pipeline.set_output(transform="pandas")``); the windows themselves are never wrapped
    in a DataFrame.
    Transforming a slice of a table
    restarts the padding at the slice's first row; to score a later period with its true past,
    transform the whole table and select rows afterwards.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal import SlidingWindowTransformer
    >>> X = np.arange(10.0).reshape(5, 2)
    >>> windows = SlidingWindowTransformer(sequence_length=3).fit_transform(X)
    >>> windows.shape
    (5, 3, 2)
    >>> windows[0]
    array([[0., 1.],
           [0., 1.],
           [0., 1.]])
    >>> windows[4]
    array([[4., 5.],
           [6., 7.],
           [8., 9.]])

    A panel of two assets, rows interleaved by date: each window stays within its asset.

    >>> import pandas as pd
    >>> index = pd.MultiIndex.from_product([pd.date_range("2024-01-01", periods=3), ["A", "B"]])
    >>> panel = pd.DataFrame({"close": [1.0, 10.0, 2.0, 20.0, 3.0, 30.0]}, index=index)
    >>> panel = panel.swaplevel().rename_axis(["asset", "date"])  # (entity, time)
    >>> windows = SlidingWindowTransformer(sequence_length=2).fit_transform(panel)
    >>> windows[:, :, 0]
    array([[ 1.,  1.],
           [10., 10.],
           [ 1.,  2.],
           [10., 20.],
           [ 2.,  3.],
           [20., 30.]])
    """

    _parameter_constraints = {
        "sequence_length": [Interval(Integral, 1, None, closed="left")],
        "padding": [StrOptions({"edge", "constant"})],
        "fill_value": [Real],
        "short_entities": [StrOptions({"warn", "pad", "raise"})],
    }

    def __init__(self, sequence_length=30, padding="edge", fill_value=0.0, short_entities="warn"):
        self.sequence_length = sequence_length
        self.padding = padding
        self.fill_value = fill_value
        self.short_entities = short_entities

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the table and record its number of columns.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Time-ordered table, one row per time step.
        y : None
            Ignored.

        Returns
        -------
        self : SlidingWindowTransformer
            The fitted transformer.
        """
        self._check_sequence_length()
        if _is_panel(X):
            _PanelLayout(X.index)
        self._validate_table(X, reset=True)
        return self

    def transform(self, X):
        """Return the window ending at each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Time-ordered table with the columns seen in ``fit``.

        Returns
        -------
        windows : ndarray or PanelWindows of shape (n_rows, sequence_length, n_features)
            Read-only; ``windows[i, -1]`` is row ``i``. An ndarray view for one series (or a
            panel of one entity), a :class:`~sktemporal.panel_windows.PanelWindows` for a
            panel of several entities.
        """
        check_is_fitted(self)
        self._check_sequence_length()
        layout = _PanelLayout(X.index) if _is_panel(X) else None
        table = self._validate_table(X, reset=False)
        if layout is None:
            return self._windows(table)
        self._check_short_entities(layout, int(self.sequence_length))
        if len(layout.names) == 1:
            return self._windows(table)  # one entity: the view, as for one series
        return self._panel_windows(table, layout)

    def get_feature_names_out(self, input_features=None):
        """Names of the windows' time steps, the output's axis 1.

        scikit-learn names the columns of a transformer's output, its axis 1. For the windows
        that axis is time: ``"t-{k}"`` is the row ``k`` steps before the window's last row,
        ``"t"``. The channels, the last axis, keep the input's names, ``feature_names_in_``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the columns seen in ``fit``, as scikit-learn's transformers do.

        Returns
        -------
        feature_names_out : ndarray of str objects of shape (sequence_length,)
        """
        check_is_fitted(self, "n_features_in_")
        _check_feature_names_in(self, input_features)
        length = int(self.sequence_length)
        names = [f"t-{length - 1 - step}" for step in range(length - 1)] + ["t"]
        return np.asarray(names, dtype=object)

    def set_output(self, *, transform=None):
        """Accept a pipeline's output setting; the windows are never wrapped in a DataFrame.

        ``Pipeline(...).set_output(transform="pandas")`` asks every step for this, so that the
        steps before the windows (a ``StandardScaler``) return DataFrames and the table's index,
        and with it the time-order check, reaches this transformer. A DataFrame holds two
        dimensions and the windows have three, so they are never wrapped, under this setting
        or under ``sklearn.set_config(transform_output="pandas")``.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            The output container requested; ``None`` leaves the setting unchanged.

        Returns
        -------
        self : SlidingWindowTransformer
        """
        if transform is None:
            return self
        if transform not in {"default", "pandas", "polars"}:
            raise ValueError(
                "The 'transform' argument of set_output must be one of 'default', 'pandas', "
                f"'polars' or None; got {transform!r}."
            )
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def _check_sequence_length(self):
        # ``bool`` is an ``Integral``, so the declared constraint lets True and False through.
        if isinstance(self.sequence_length, bool | np.bool_):
            raise InvalidParameterError(
                "The 'sequence_length' parameter of SlidingWindowTransformer must be an int in "
                f"the range [1, inf), not a bool; got {self.sequence_length!r}."
            )

    def _validate_table(self, X, reset):
        if isinstance(X, pd.DataFrame):
            _check_row_order(X.index)
            non_numeric = [
                str(c) for c, dtype in X.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)
            ]
            if non_numeric:
                raise ValueError(
                    f"Columns {non_numeric} are not numeric; encode or drop them before windowing."
                )
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_all_finite=True,
        )

    def _panel_windows(self, table, layout):
        length = int(self.sequence_length)
        self._check_padding_size(table, length, n_series=len(layout.names))
        pad = length - 1
        # One buffer, entity after entity, each preceded by its own padding: a window that
        # starts inside an entity's padding or rows ends inside them.
        starts = np.concatenate([[0], np.cumsum(layout.counts + pad)[:-1]])
        sorted_codes = layout.codes[layout.order]
        rank = np.arange(len(table)) - layout.first[sorted_codes]
        # Each input row's place in the buffer; the window ending there starts pad rows before.
        window_start = np.empty(len(table), dtype=np.intp)
        window_start[layout.order] = starts[sorted_codes] + rank
        buffer = np.empty((len(table) + pad * len(layout.names), table.shape[1]), table.dtype)
        buffer[window_start + pad] = table  # in input order: no reordered copy of the table
        padding_rows = (starts[:, None] + np.arange(pad)).ravel()
        if self.padding == "edge":
            buffer[padding_rows] = np.repeat(table[layout.order[layout.first]], pad, axis=0)
        else:
            buffer[padding_rows] = self.fill_value
        return PanelWindows(buffer, window_start, length)

    def _check_short_entities(self, layout, length):
        short = layout.short(length)
        if not short or self.short_entities == "pad":
            return
        names = list(short)
        listed = ", ".join(f"{name!r} ({rows} rows)" for name, rows in list(short.items())[:10])
        more = f" and {len(short) - 10} more" if len(short) > 10 else ""
        to_drop = repr(names) if len(names) <= 10 else "[...]"
        message = (
            f"{len(short)} entit{'y has' if len(short) == 1 else 'ies have'} fewer rows than "
            f"sequence_length={length}, so all of {'its' if len(short) == 1 else 'their'} "
            f"windows are padded at the front ({sum(short.values())} rows in all): "
            f"{listed}{more}. Drop them before windowing, with their labels (keep = "
            f"~X.index.get_level_values(0).isin({to_drop}); X, y = X[keep], y[keep]), or set "
            "short_entities='pad' to keep their padded windows"
        )
        if self.short_entities == "raise":
            raise ValueError(message + ".")
        warnings.warn(message + " without this warning.", UserWarning, stacklevel=3)

    def _check_padding_size(self, table, length, n_series=1):
        n_padding_values = (length - 1) * table.shape[1] * n_series
        if n_padding_values > _MAX_PADDING_VALUES:
            raise ValueError(
                f"sequence_length={length} is too long: the windows of a table with "
                f"{table.shape[1]} column(s){f' and {n_series} entities' if n_series > 1 else ''}"
                f" would need {length - 1} rows of padding{' each' if n_series > 1 else ''} "
                f"({n_padding_values * table.itemsize / 2**30:.1f} GiB), above the limit of "
                f"{_MAX_PADDING_VALUES} padded values. Use a sequence_length of at most "
                f"{_MAX_PADDING_VALUES // (table.shape[1] * n_series) + 1}."
            )

    def _windows(self, table):
        length = int(self.sequence_length)
        self._check_padding_size(table, length)
        if self.padding == "edge":
            padded = np.concatenate([np.repeat(table[:1], length - 1, axis=0), table])
        else:
            front = np.full((length - 1, table.shape[1]), self.fill_value, dtype=table.dtype)
            padded = np.concatenate([front, table])
        # sliding_window_view puts the window axis last: (rows, features, length).
        windows = np.lib.stride_tricks.sliding_window_view(padded, length, axis=0)
        return windows.transpose(0, 2, 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
