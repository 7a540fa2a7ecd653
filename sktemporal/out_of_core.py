"""Windows streamed in time order from a table larger than memory.

A :class:`WindowStream` reads a time-ordered table — a set of Parquet files, a Dask DataFrame or
a pandas DataFrame — a chunk of rows at a time and yields the windows ending at each row of the
chunk, exactly as :class:`~sktemporal.SlidingWindowTransformer` would build them from the whole
table: the first rows of a chunk (and of a file) take their past from the end of the previous
chunk, and only the very first rows of the table are padded. Memory stays at one chunk of rows
plus ``sequence_length - 1`` carried rows, whatever the size of the table.

:func:`partial_fit_table` fits a row-wise transformer (a ``StandardScaler``) with ``partial_fit``
over the raw rows, :func:`partial_fit_windows` trains a classifier with ``partial_fit`` chunk by
chunk (one epoch is one pass over the table) and :func:`iter_predict_proba` scores every row.

PyArrow is needed for Parquet files and Dask for a Dask DataFrame; both are imported only when
used (``pip install sktemporal[scale]``).
"""

import os
from numbers import Integral, Real
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import HasMethods, Interval, validate_params

__all__ = [
    "WindowChunk",
    "WindowStream",
    "iter_predict_proba",
    "partial_fit_table",
    "partial_fit_windows",
]

# Columns pandas writes for an unnamed index; they are never features.
_PANDAS_INDEX_PREFIX = "__index_level_"


# A stream windows its rows in the order read: rows of a panel (entity, time) would share
# windows across entities, a silent look-ahead or look-across. Refused until streams take panels.
_PANEL_MESSAGE = (
    "{where}: it looks like a panel of several series (entity, time). WindowStream windows "
    "one series in time order and would build windows across entities. Stream each entity "
    "on its own (one WindowStream per entity, e.g. one Parquet folder each), or window the "
    "panel in memory with SlidingWindowTransformer, which windows entity by entity."
)


class WindowChunk(NamedTuple):
    """Windows ending at consecutive rows of the table, with their positions and labels.

    Attributes
    ----------
    windows : ndarray of shape (n_rows, sequence_length, n_features)
        Read-only float64 view; ``windows[i, -1]`` is the (transformed) row ``rows[i]``.
    rows : ndarray of shape (n_rows,)
        Positions of the windows' last rows in the whole table, counted from 0 across files.
    y : ndarray of shape (n_rows,) or None
        Values of the label column for those rows; None when the stream has no ``label``.
    """

    windows: np.ndarray
    rows: np.ndarray
    y: np.ndarray | None


class WindowStream:
    """Re-iterable stream of window chunks from a time-ordered table too large for memory.

    Iterating yields :class:`WindowChunk` objects in time order. Each holds the windows ending at
    one chunk of at most ``batch_rows`` rows; concatenated, the windows are exactly those of
    ``SlidingWindowTransformer(sequence_length, padding, fill_value)`` applied to the whole
    table (after ``transform``). Every iteration reads the source again from the start.

    Parameters
    ----------
    source : path, list of paths, dask.dataframe.DataFrame or pandas.DataFrame
        The table, rows in time order. A directory stands for its ``*.parquet`` files in name
        order (name them so that this is time order, e.g. ``part-00000.parquet``); a list of
        files is read in the order given; a Dask DataFrame is read a partition at a time.
    sequence_length : int, default=30
        Time steps per window, the current row included.
    columns : list of str or None, default=None
        Feature columns, in the order the windows hold them. None takes every column except
        ``label``, ``time_column`` and an unnamed pandas index.
    label : str or None, default=None
        Column of class labels, returned as ``WindowChunk.y``.
    time_column : str or None, default=None
        Column of timestamps (or any increasing value). When given, rows are checked to be in
        strictly increasing order across chunks and files, and an error names the first row
        out of order.
    batch_rows : int, default=65536
        Largest number of rows read at once. Memory holds about three copies of one chunk.
    transform : transformer or None, default=None
        A fitted row-wise transformer (e.g. a ``StandardScaler`` from
        :func:`partial_fit_table`) applied to each chunk of rows before windowing. It must map
        each row on its own: transforming a chunk must equal transforming the whole table.
    padding : {"edge", "constant"}, default="edge"
        How the windows of the first ``sequence_length - 1`` rows of the table are completed,
        as in ``SlidingWindowTransformer``.
    fill_value : float, default=0.0
        Padding value when ``padding="constant"``.

    See Also
    --------
    sktemporal.SlidingWindowTransformer : The same windows for a table held in memory.
    partial_fit_windows : Train a classifier over the stream.
    iter_predict_proba : Score every row of the stream.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sktemporal.out_of_core import WindowStream
    >>> table = pd.DataFrame({"x": np.arange(5.0), "y": [0, 1, 0, 1, 1]})
    >>> stream = WindowStream(table, sequence_length=3, columns=["x"], label="y", batch_rows=2)
    >>> for chunk in stream:
    ...     print(chunk.rows, chunk.windows[:, :, 0].tolist())
    [0 1] [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    [2 3] [[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]]
    [4] [[2.0, 3.0, 4.0]]
    """

    def __init__(
        self,
        source,
        sequence_length=30,
        *,
        columns=None,
        label=None,
        time_column=None,
        batch_rows=65_536,
        transform=None,
        padding="edge",
        fill_value=0.0,
    ):
        if not isinstance(sequence_length, Integral) or sequence_length < 1:
            raise ValueError(f"sequence_length must be an int >= 1; got {sequence_length!r}.")
        if not isinstance(batch_rows, Integral) or batch_rows < 1:
            raise ValueError(f"batch_rows must be an int >= 1; got {batch_rows!r}.")
        if padding not in ("edge", "constant"):
            raise ValueError(f'padding must be "edge" or "constant"; got {padding!r}.')
        if not isinstance(fill_value, Real):
            raise ValueError(f"fill_value must be a number; got {fill_value!r}.")
        self.source = source
        self.sequence_length = int(sequence_length)
        self.columns = None if columns is None else list(columns)
        self.label = label
        self.time_column = time_column
        self.batch_rows = int(batch_rows)
        self.transform = transform
        self.padding = padding
        self.fill_value = fill_value

    def with_transform(self, transform):
        """The same stream, with ``transform`` applied to the rows before windowing."""
        return WindowStream(
            self.source,
            self.sequence_length,
            columns=self.columns,
            label=self.label,
            time_column=self.time_column,
            batch_rows=self.batch_rows,
            transform=transform,
            padding=self.padding,
            fill_value=self.fill_value,
        )

    # ------------------------------------------------------------------ raw rows

    def tables(self):
        """Yield the raw rows chunk by chunk, before ``transform``.

        Yields
        ------
        rows : ndarray of shape (n_rows,)
            Positions of the rows in the whole table.
        X : DataFrame of shape (n_rows, n_features)
            Feature columns as float64, checked to be finite.
        y : ndarray of shape (n_rows,) or None
            Label column.
        """
        start = 0
        last_time, last_place = None, None
        for frame, place in self._frames():
            if self.time_column is not None:
                last_time, last_place = self._check_time(frame, place, last_time, last_place)
            X = self._features(frame, place)
            y = None if self.label is None else frame[self.label].to_numpy()
            yield np.arange(start, start + len(X)), X, y
            start += len(X)

    def _frames(self):
        """Yield (pandas chunk of the needed columns, description of where it comes from)."""
        source = self.source
        if isinstance(source, pd.DataFrame) and isinstance(source.index, pd.MultiIndex):
            raise ValueError(_PANEL_MESSAGE.format(where="The DataFrame has a MultiIndex"))
        if isinstance(source, pd.DataFrame):
            yield from self._split(source, "the DataFrame", offset=0)
        elif hasattr(source, "npartitions") and hasattr(source, "partitions"):
            offset = 0
            for i in range(source.npartitions):
                part = source.partitions[i].compute()
                yield from self._split(part, f"partition {i}", offset)
                offset += len(part)
        else:
            for path in self._paths():
                yield from self._read_parquet(path)

    def _split(self, frame, where, offset):
        if self.time_column is not None and self.time_column not in frame.columns:
            if frame.index.name == self.time_column:
                frame = frame.reset_index()
        missing = [c for c in self._needed(frame.columns) if c not in frame.columns]
        if missing:
            raise ValueError(
                f"Columns {missing} are not in {where}; it has {list(frame.columns)}."
            )
        for begin in range(0, len(frame), self.batch_rows):
            chunk = frame.iloc[begin : begin + self.batch_rows]
            yield chunk, f"{where}, row {offset + begin}"

    def _paths(self):
        source = self.source
        if isinstance(source, str | os.PathLike):
            path = Path(source)
            if path.is_dir():
                paths = sorted(path.glob("*.parquet"))
                if not paths:
                    raise ValueError(f"The directory {path} holds no *.parquet file.")
                return paths
            return [path]
        try:
            paths = [Path(p) for p in source]
        except TypeError:
            raise TypeError(
                "source must be a Parquet file or directory, a list of Parquet files, a Dask "
                f"DataFrame or a pandas DataFrame; got {type(source).__name__}."
            ) from None
        if not paths:
            raise ValueError("source is an empty list of files.")
        return paths

    def _read_parquet(self, path):
        try:
            import pyarrow.parquet as pq
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Reading Parquet files needs pyarrow: pip install 'sktemporal[scale]'."
            ) from error
        parquet = pq.ParquetFile(path)
        index_columns = (parquet.schema_arrow.pandas_metadata or {}).get("index_columns", [])
        if len(index_columns) > 1:
            raise ValueError(
                _PANEL_MESSAGE.format(
                    where=f"{path} was written from a DataFrame with a MultiIndex"
                )
            )
        names = parquet.schema_arrow.names
        needed = self._needed(names)
        missing = [c for c in needed if c not in names]
        if missing:
            raise ValueError(f"Columns {missing} are not in {path}; it has {names}.")
        offset = 0
        for batch in parquet.iter_batches(batch_size=self.batch_rows, columns=needed):
            frame = batch.to_pandas(ignore_metadata=True)
            yield frame, f"{path}, row {offset}"
            offset += len(frame)

    def _feature_columns(self, names):
        if self.columns is not None:
            return self.columns
        extra = (self.label, self.time_column)
        return [c for c in names if c not in extra and not str(c).startswith(_PANDAS_INDEX_PREFIX)]

    def _needed(self, names):
        """The feature, label and time columns to read, features first."""
        features = self._feature_columns(names)
        extra = [c for c in (self.label, self.time_column) if c is not None and c not in features]
        return features + extra

    def _features(self, frame, place):
        columns = self._feature_columns(frame.columns)
        non_numeric = [
            str(c) for c in columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)
        ]
        if non_numeric:
            raise ValueError(
                f"Columns {non_numeric} ({place}) are not numeric; encode or drop them first."
            )
        X = frame[columns].to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(X).all():
            row, col = np.argwhere(~np.isfinite(X))[0]
            raise ValueError(
                f"Column {columns[col]!r} holds a missing or infinite value ({place} + {row}). "
                "Windows cannot contain missing values: fill or drop them before streaming."
            )
        return pd.DataFrame(X, columns=columns, copy=False)

    def _check_time(self, frame, place, last_time, last_place):
        times = frame[self.time_column].to_numpy()
        if len(times) == 0:
            return last_time, last_place
        if last_time is not None and not times[0] > last_time:
            raise ValueError(
                f"Rows are not in time order: {self.time_column}={times[0]} ({place}) does not "
                f"come after {last_time} ({last_place}). List the files in time order (a "
                "directory is read in file-name order)."
            )
        decreasing = np.flatnonzero(~(times[1:] > times[:-1]))
        if decreasing.size:
            i = int(decreasing[0]) + 1
            raise ValueError(
                f"Rows are not in time order: {self.time_column}={times[i]} ({place} + {i}) does "
                f"not come after {times[i - 1]}. Sort the table by time and drop duplicates."
            )
        return times[-1], f"{place} + {len(times) - 1}"

    # ------------------------------------------------------------------ windows

    def __iter__(self):
        length = self.sequence_length
        tail = None  # the last sequence_length - 1 rows seen, the past of the next chunk
        for rows, X, y in self.tables():
            if len(X) == 0:
                continue
            X = self._transform(X)
            if tail is None:
                tail = self._padding(X)
            buffer = np.concatenate([tail, X])
            # sliding_window_view puts the window axis last: (rows, features, length).
            windows = np.lib.stride_tricks.sliding_window_view(buffer, length, axis=0)
            yield WindowChunk(windows.transpose(0, 2, 1), rows, y)
            tail = buffer[len(buffer) - (length - 1) :].copy()

    def _transform(self, X):
        """Apply ``transform`` to a chunk of rows; a float64 array."""
        if self.transform is None:
            return X.to_numpy()
        if not hasattr(self.transform, "feature_names_in_"):
            X = X.to_numpy()  # fitted on an array: give it one, without a feature-names warning
        return np.asarray(self.transform.transform(X), dtype=np.float64)

    def _padding(self, X):
        length = self.sequence_length
        if self.padding == "edge":
            return np.repeat(X[:1], length - 1, axis=0)
        return np.full((length - 1, X.shape[1]), self.fill_value, dtype=X.dtype)

    def __repr__(self):
        return (
            f"WindowStream({self.source!r}, sequence_length={self.sequence_length}, "
            f"columns={self.columns!r}, label={self.label!r}, batch_rows={self.batch_rows})"
        )


def partial_fit_table(transformer, stream):
    """Fit a row-wise transformer with ``partial_fit`` on the raw rows of a stream, in one pass.

    Parameters
    ----------
    transformer : estimator with ``partial_fit``
        E.g. ``sklearn.preprocessing.StandardScaler()``. It is fitted in place.
    stream : WindowStream
        The table; its own ``transform`` is ignored (the raw rows are used).

    Returns
    -------
    transformer : estimator
        The fitted transformer, ready for ``stream.with_transform(transformer)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktemporal.out_of_core import WindowStream, partial_fit_table
    >>> table = pd.DataFrame({"x": np.arange(6.0)})
    >>> scaler = partial_fit_table(StandardScaler(), WindowStream(table, 2, batch_rows=4))
    >>> float(scaler.mean_[0])
    2.5
    """
    fitted = False
    for _, X, _ in stream.tables():
        if len(X):
            transformer.partial_fit(X)
            fitted = True
    if not fitted:
        raise ValueError("The stream holds no rows; there is nothing to fit.")
    return transformer


@validate_params(
    {
        "classifier": [HasMethods(["partial_fit"])],
        "stream": [WindowStream],
        "classes": ["array-like", None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
    },
    # The classifier's own parameters are checked by its first partial_fit.
    prefer_skip_nested_validation=False,
)
def partial_fit_windows(classifier, stream, *, classes=None, epochs=1):
    """Train a classifier with ``partial_fit`` on each chunk of a stream, in time order.

    One epoch is one pass over the table. Windows are shuffled within each chunk only, so
    larger ``batch_rows`` mix the data better. No validation tail is held out and early stopping
    does not apply (see ``partial_fit``).

    Parameters
    ----------
    classifier : classifier with ``partial_fit``
        E.g. :class:`~sktemporal.AttentionLSTMClassifier`, fitted in place. A fitted classifier
        goes on training.
    stream : WindowStream
        Windows and labels; the stream needs a ``label`` column.
    classes : array-like or None, default=None
        Every class label, needed when the first chunk does not hold all of them.
    epochs : int, default=1
        Passes over the table.

    Returns
    -------
    classifier : estimator
        The trained classifier.
    """
    if stream.label is None:
        raise ValueError("The stream has no label column: create it with label='<column>'.")
    for _ in range(epochs):
        for chunk in stream:
            classifier.partial_fit(chunk.windows, chunk.y, classes=classes)
    return classifier


def iter_predict_proba(classifier, stream):
    """Class probabilities for every row of a stream, one chunk at a time.

    Parameters
    ----------
    classifier : fitted classifier with ``predict_proba``
    stream : WindowStream
        Windows shaped as in the classifier's training.

    Yields
    ------
    rows : ndarray of shape (n_rows,)
        Positions of the rows in the whole table.
    probabilities : ndarray of shape (n_rows, n_classes)
        Probabilities in the order of ``classifier.classes_``.

    Examples
    --------
    Gather all probabilities (they are ``n_classes`` numbers per row, far fewer than the
    table's values) or write each chunk out as it comes::

        probabilities = np.concatenate([p for _, p in iter_predict_proba(clf, stream)])
    """
    for chunk in stream:
        yield chunk.rows, classifier.predict_proba(chunk.windows)
