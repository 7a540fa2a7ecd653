"""The windows of a panel, read from one padded buffer through a row map, without a copy."""

import operator
from numbers import Integral

import numpy as np

__all__ = ["PanelWindows"]


class PanelWindows(np.lib.mixins.NDArrayOperatorsMixin):
    """Read-only windows of a panel (many series), with the memory of its table only.

    :class:`~sktemporal.SlidingWindowTransformer` returns this for a panel of several
    entities. One series' windows are a strided view of its padded table; a panel's cannot
    be one (no strides skip the boundaries between entities). The transformer lays the
    entities one after the other in a buffer, each behind its own ``sequence_length - 1``
    padding rows, and window ``i`` is the ``sequence_length`` buffer rows from
    ``window_start[i]`` on: a strided view of the buffer read through a row map.

    It behaves as a read-only 3-D ndarray of shape ``(n_windows, sequence_length,
    n_features)`` wherever scikit-learn and the classifiers look, with numpy's indexing:

    - ``windows[i]``: window ``i``, a read-only view of the buffer (no copy);
    - ``windows[a:b:c]``: another ``PanelWindows`` over the same buffer (no copy), as
      numpy returns a view;
    - ``windows[rows]`` with an integer or boolean array: an ndarray holding those windows
      only, a copy, as numpy's fancy indexing gives; ``windows.select(rows)`` selects the
      same windows without the copy, as another ``PanelWindows`` (:meth:`select`);
    - a tuple indexes the other axes as numpy does: ``windows[:, -1]`` is each window's last
      row, an ndarray of ``n_windows × n_features`` values (a copy where numpy would give a
      view); a slice on the first axis with an array on another copies the selected windows
      first;
    - ``np.asarray(windows)`` and ``windows.astype(dtype)`` materialise the whole
      ``n_windows × sequence_length × n_features`` tensor, as they would of anything; so do
      arithmetic, comparisons and numpy's element-wise functions (``windows - mean``,
      ``windows == other``, ``np.isnan(windows)``), ``copy()`` and ``reshape()``, whose
      results are ndarrays of that size.

    The classifiers validate it on the buffer and gather it one batch or prediction chunk
    at a time, so fitting and predicting never materialise it.

    **Memory.** ``held_nbytes`` is what it really holds: the buffer, ``(n_rows +
    n_entities × (sequence_length - 1)) × n_features`` values, and the row map, 8 bytes a
    window; ``nbytes`` is, as for a numpy view, the size the windows would take if
    materialised. For 20 entities × 8,000 rows × 18 float64 features and
    ``sequence_length=30`` it holds 24.4 MB for 691 MB of windows; windowing took 27 ms and
    31 MB of traced peak memory, against 192 ms and 716 MB for the copy the transformer
    returned before (``benchmarks/bench_panel_windows.py``, 2 cores, load average 0.6-1.4).

    **Pickling** stores the buffer rows the windows reach and the row map, not the windows:
    a pickle, a ``copy.deepcopy`` or a joblib worker's copy is the size of the table, and
    what comes back is lazy again.

    Parameters
    ----------
    buffer : ndarray of shape (n_buffer_rows, n_features)
        The entities' rows, each behind its padding. Made read-only (a view of it, when it
        is writeable: the caller's array keeps its own flag).
    window_start : array-like of int of shape (n_windows,)
        Buffer row of each window's first time step.
    sequence_length : int
        Time steps of each window.

    Attributes
    ----------
    buffer : ndarray of shape (n_buffer_rows, n_features)
        Read-only.
    window_start : ndarray of intp of shape (n_windows,)
        Read-only.
    sequence_length : int

    See Also
    --------
    sktemporal.SlidingWindowTransformer : Makes these for a panel.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.panel_windows import PanelWindows
    >>> # Two entities of two rows (10, 11 and 20, 21), each behind one padding row.
    >>> buffer = np.array([[10.0], [10.0], [11.0], [20.0], [20.0], [21.0]])
    >>> windows = PanelWindows(buffer, [0, 1, 3, 4], sequence_length=2)
    >>> windows.shape
    (4, 2, 1)
    >>> windows[:, :, 0]
    array([[10., 10.],
           [10., 11.],
           [20., 20.],
           [20., 21.]])
    >>> windows[2:]
    PanelWindows(shape=(2, 2, 1), dtype=float64, holds 64 B, 32 B if materialised)
    >>> windows.select([3, 0])[:, :, 0]
    array([[20., 21.],
           [10., 10.]])
    """

    def __init__(self, buffer, window_start, sequence_length):
        buffer = np.asarray(buffer)
        if buffer.ndim != 2:
            raise ValueError(
                f"buffer must be 2-D (buffer rows, features); got shape {buffer.shape}."
            )
        length = operator.index(sequence_length)
        window_start = np.asarray(window_start)
        if window_start.ndim != 1 or not (
            window_start.size == 0 or np.issubdtype(window_start.dtype, np.integer)
        ):
            raise ValueError("window_start must be a 1-D array of integers.")
        n_positions = len(buffer) - length + 1
        if not 1 <= length <= len(buffer):
            raise ValueError(
                f"sequence_length={length} must be between 1 and the buffer's {len(buffer)} rows."
            )
        if window_start.size and not (
            0 <= window_start.min() and window_start.max() < n_positions
        ):
            raise ValueError(
                f"window_start must lie in [0, {n_positions}): a window of {length} rows "
                f"from there stays inside the buffer's {len(buffer)} rows."
            )
        if buffer.flags.writeable:
            buffer = buffer.view()
            buffer.flags.writeable = False
        window_start = window_start.astype(np.intp)
        window_start.flags.writeable = False
        self._set(buffer, window_start, length)

    def _set(self, buffer, window_start, length):
        self._buffer, self._start, self._length = buffer, window_start, length
        # sliding_window_view puts the window axis last: (positions, features, length).
        self._positions = np.lib.stride_tricks.sliding_window_view(buffer, length, axis=0)
        self._positions = self._positions.transpose(0, 2, 1)

    def _with_start(self, window_start):
        """Another instance over the same buffer: no checks, no copy."""
        other = object.__new__(PanelWindows)
        other._set(self._buffer, window_start, self._length)
        return other

    # ------------------------------------------------------------------ what it is

    @property
    def buffer(self):
        return self._buffer

    @property
    def window_start(self):
        return self._start

    @property
    def sequence_length(self):
        return self._length

    @property
    def shape(self):
        return (len(self._start), self._length, self._buffer.shape[1])

    @property
    def dtype(self):
        return self._buffer.dtype

    @property
    def ndim(self):
        return 3

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def itemsize(self):
        return self._buffer.itemsize

    @property
    def nbytes(self):
        """Bytes of the windows if materialised, as ``ndarray.nbytes`` of a view."""
        return self.size * self.itemsize

    @property
    def held_nbytes(self):
        """Bytes held: the whole buffer (shared with slices) and this instance's row map."""
        return self._buffer.nbytes + self._start.nbytes

    def __len__(self):
        return len(self._start)

    def __iter__(self):
        for start in self._start:
            yield self._positions[start]

    def __repr__(self):
        return (
            f"PanelWindows(shape={self.shape}, dtype={self.dtype}, holds "
            f"{_size(self.held_nbytes)}, {_size(self.nbytes)} if materialised)"
        )

    # ------------------------------------------------------------------ as an ndarray

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError(
                "PanelWindows cannot be an ndarray without a copy: its windows are gathered "
                "from a buffer through a row map."
            )
        windows = self._positions[self._start]  # fancy indexing: a new array
        return windows if dtype is None else windows.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if any(isinstance(out, PanelWindows) for out in kwargs.get("out", ())):
            raise ValueError("PanelWindows is read-only: it cannot be a ufunc's output.")
        inputs = [np.asarray(x) if isinstance(x, PanelWindows) else x for x in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)

    def astype(self, dtype, order="K", casting="unsafe", copy=True):
        """The windows as a new ndarray of ``dtype`` (materialised; ``copy`` is implied)."""
        windows = self._positions[self._start]
        return windows.astype(dtype, order=order, casting=casting, copy=False)

    def copy(self):
        """The windows as a new ndarray (materialised)."""
        return np.asarray(self)

    def reshape(self, *shape, order="C"):
        """The windows as a new ndarray of ``shape``, e.g. ``(len(windows), -1)``.

        Materialised, as numpy copies a view whose strides cannot be reshaped.
        """
        return np.asarray(self).reshape(*shape, order=order)

    def __getitem__(self, key):
        rest = ()
        if key is Ellipsis:
            key = (Ellipsis,)
        if isinstance(key, tuple):
            key, rest = _first_axis(key)
        if rest and all(_is_everything(part) for part in rest):
            rest = ()
        if isinstance(key, slice) and not rest:
            return self._with_start(self._start[key])  # a view, as numpy's
        if key is None or isinstance(key, bool | np.bool_):
            return np.asarray(self)[(key, *rest)]  # a new axis in front: rare, materialised
        if isinstance(key, Integral):
            return self._positions[(self._start[key], *rest)]
        if isinstance(key, slice):
            if any(_is_array_index(part) for part in rest):
                # The slice's axis stays apart from the arrays' broadcast axes: as numpy
                # places them, from the selected windows themselves.
                return np.asarray(self[key])[(slice(None), *rest)]
            key = np.arange(len(self))[key]
        key = np.asarray(key)
        if key.dtype == bool:
            if key.ndim > 3 or key.shape != self.shape[: key.ndim]:
                raise IndexError(
                    f"boolean index of shape {key.shape} does not match the windows' shape "
                    f"{self.shape}."
                )
            # An n-D mask is the tuple of its nonzero positions, axis 0 read through the map.
            first, *others = np.nonzero(key)
            return self._positions[(self._start[first], *others, *rest)]
        if key.size == 0:
            key = key.astype(np.intp)
        if not np.issubdtype(key.dtype, np.integer):
            raise IndexError(
                "only integers, slices, ellipsis, numpy.newaxis and integer or boolean arrays "
                f"are valid indices; got an array of {key.dtype}."
            )
        # Windows gathered by buffer position: an integer array on the first axis.
        return self._positions[(self._start[key], *rest)]

    def select(self, rows):
        """The windows at ``rows``, without a copy: another ``PanelWindows``.

        The windows that ``windows[rows]`` gathers into an ndarray, selected lazily over the
        same buffer (only their row map is new, 8 bytes a window):
        ``windows.select(rows)[k]`` is ``windows[rows[k]]``. Use it to take a fold's
        training or test windows, or to reorder them, and hand them to a classifier, which
        gathers them a batch at a time.

        Parameters
        ----------
        rows : array-like of int or bool of shape (n_selected,) or (n_windows,)
            Positions of the windows, in the order wanted, repeats allowed, negative ones
            counting from the end as numpy's; or a boolean mask over the windows.

        Returns
        -------
        PanelWindows of shape (n_selected, sequence_length, n_features)

        Raises
        ------
        IndexError
            If ``rows`` is not 1-D, not of integers or booleans, a position is out of range
            or a mask does not have one value per window.

        Examples
        --------
        >>> import numpy as np
        >>> from sktemporal.panel_windows import PanelWindows
        >>> windows = PanelWindows(np.arange(6.0)[:, None], [0, 1, 3, 4], sequence_length=2)
        >>> selected = windows.select([2, 0])
        >>> selected
        PanelWindows(shape=(2, 2, 1), dtype=float64, holds 64 B, 32 B if materialised)
        >>> np.array_equal(np.asarray(selected), windows[[2, 0]])
        True
        """
        rows = np.asarray(rows)
        if rows.ndim != 1:
            raise IndexError(f"rows must be 1-D; got an array of shape {rows.shape}.")
        if rows.dtype == bool:
            if len(rows) != len(self):
                raise IndexError(
                    f"a boolean mask of {len(rows)} values does not match the {len(self)} windows."
                )
            rows = np.flatnonzero(rows)
        elif rows.size == 0:
            rows = rows.astype(np.intp)
        elif not np.issubdtype(rows.dtype, np.integer):
            raise IndexError(f"rows must be integers or booleans; got an array of {rows.dtype}.")
        start = self._start[rows]  # numpy's IndexError for a position out of range
        start.flags.writeable = False
        return self._with_start(start)

    # ------------------------------------------------------------------ checks and pickling

    def nonfinite_windows(self):
        """Positions of the windows that hold a NaN or an infinite value.

        Read from the buffer, whatever the number of windows: a cumulative count of its
        non-finite rows, without gathering a window.

        Returns
        -------
        ndarray of intp
        """
        bad = ~np.isfinite(self._buffer).all(axis=1)
        if not bad.any():
            return np.empty(0, dtype=np.intp)
        before = np.concatenate([[0], np.cumsum(bad)])
        return np.flatnonzero(before[self._start + self._length] > before[self._start])

    def __reduce__(self):
        if len(self._start) == 0:
            return (PanelWindows, (self._buffer[: self._length], self._start, self._length))
        low, high = int(self._start.min()), int(self._start.max()) + self._length
        return (PanelWindows, (self._buffer[low:high], self._start - low, self._length))


def _size(nbytes):
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} B"


def _first_axis(key):
    """``key``'s index of the first axis and the rest, an Ellipsis at its front resolved."""
    if sum(part is Ellipsis for part in key) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    indexed = sum(_axes(part) for part in key if part is not Ellipsis)
    if indexed > 3:
        raise IndexError(
            f"too many indices for array: array is 3-dimensional, but {indexed} were indexed"
        )
    if not key:
        return slice(None), ()
    first, *rest = key
    if first is not Ellipsis:
        return first, tuple(rest)
    if indexed == 3:
        return _first_axis(tuple(rest))  # the Ellipsis stands for no axis
    return slice(None), (Ellipsis, *rest)


def _is_everything(part):
    return part is Ellipsis or (isinstance(part, slice) and part == slice(None))


def _is_array_index(part):
    return isinstance(part, list | np.ndarray) and not (
        isinstance(part, np.ndarray) and part.ndim == 0
    )


def _axes(part):
    """How many axes an index consumes: none for ``None``, a boolean mask's ndim, else one."""
    if part is None:
        return 0
    if isinstance(part, list | np.ndarray) and np.asarray(part).dtype == bool:
        return np.ndim(part)
    return 1
