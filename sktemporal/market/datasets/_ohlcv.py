"""Read daily OHLCV price tables from CSV files and check them before any job starts."""

import re
import warnings
from numbers import Integral
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["load_ohlcv_csv", "normalize_column_name", "read_price_csv", "validate_ohlcv"]

# Output columns, in output order. ``adj_close`` is optional in user files.
_PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")
_OUTPUT_COLUMNS = (*_PRICE_COLUMNS, "volume")
_REQUIRED_COLUMNS = ("open", "high", "low", "close", "volume")
_DATE_COLUMN_NAMES = ("date", "timestamp", "datetime")
# Dates before this are taken as misparsed values (``-1`` reads as the year -1), not prices.
_EARLIEST_DATE = pd.Timestamp("1800-01-01")


def normalize_column_name(name):
    """Lower-case a column name and fold runs of spaces and underscores into one ``_``."""
    return re.sub(r"[\s_]+", "_", str(name).strip().lower())


def _check_repeated_columns(header, source):
    """Reject a header that names a recognised column twice, as the file spells it.

    pandas renames a repeated name (``close,close`` reads as ``close``, ``close.1``), which
    :func:`_match_columns` would then miss.
    """
    seen = {}
    for column in header:
        name = normalize_column_name(column)
        if name not in (*_OUTPUT_COLUMNS, *_DATE_COLUMN_NAMES):
            continue
        if name in seen:
            raise ValueError(
                f"{source}: columns {seen[name]!r} and {column!r} both read as {name!r}; "
                "keep only one of them."
            )
        seen[name] = column


def _match_columns(columns, source, required=_REQUIRED_COLUMNS):
    """Map each recognised normalized name to the column that carries it in the file."""
    matched = {}
    for column in columns:
        name = normalize_column_name(column)
        if name not in (*_OUTPUT_COLUMNS, *_DATE_COLUMN_NAMES):
            continue
        if name in matched:
            raise ValueError(
                f"{source}: columns {matched[name]!r} and {column!r} both read as {name!r}; "
                "keep only one of them."
            )
        matched[name] = column

    date_columns = [matched[name] for name in _DATE_COLUMN_NAMES if name in matched]
    if len(date_columns) > 1:
        raise ValueError(
            f"{source}: found several date columns {date_columns}; keep exactly one column "
            "named date, timestamp or datetime."
        )
    missing = [name for name in required if name not in matched]
    if not date_columns:
        missing.insert(0, "date")
    if missing:
        expected = (
            "open, high, low, close, volume (adj close optional)"
            if required == _REQUIRED_COLUMNS
            else ", ".join(required)
        )
        raise ValueError(
            f"{source}: missing column(s) {', '.join(map(repr, missing))}; expected a date "
            f"column (date, timestamp or datetime) and {expected}, in any letter case. Found "
            f"columns: {list(columns)}."
        )
    kept = _OUTPUT_COLUMNS if required == _REQUIRED_COLUMNS else required
    column_of = {name: matched[name] for name in kept if name in matched}
    return date_columns[0], column_of


def _parse_dates(values, column, source, date_format):
    """Parse a date column, naming the first value that is missing or cannot be parsed."""
    if pd.api.types.is_numeric_dtype(values):
        # Compact dates such as 20200131 are read as integers; parse their digits, not
        # nanoseconds since 1970.
        values = values.astype("string")
    with warnings.catch_warnings():
        # Without a guessable format pandas parses each value on its own and says so;
        # every value is still checked below.
        warnings.filterwarnings("ignore", message="Could not infer format", category=UserWarning)
        try:
            dates = pd.to_datetime(values, format=date_format, errors="coerce")
        except (ValueError, TypeError, OverflowError) as error:
            if "mixed timezones" in str(error).lower():
                raise ValueError(
                    f"{source}: the dates in column {column!r} have different UTC offsets; "
                    "write them all with the same offset, or all without one."
                ) from None
            raise ValueError(
                f"{source}: cannot parse the dates in column {column!r}: {error}"
            ) from None
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        row = bad[0]
        value = values.iloc[row]
        if pd.isna(value):
            raise ValueError(f"{source}: missing date in column {column!r} at data row {row + 1}.")
        hint = (
            ""
            if date_format
            else "; if the format was guessed wrongly (day first?), give it: date_format= "
            "in Python, --date-format on the command line, e.g. '%d/%m/%Y'"
        )
        raise ValueError(
            f"{source}: cannot parse date {value!r} in column {column!r} at data row "
            f"{row + 1}{hint}."
        )
    early = (dates.dt.tz_localize(None) if dates.dt.tz is not None else dates) < _EARLIEST_DATE
    if early.any():
        row = int(np.argmax(early.to_numpy()))
        raise ValueError(
            f"{source}: date {values.iloc[row]!r} in column {column!r} at data row {row + 1} "
            f"reads as {dates.iloc[row]}, before {_EARLIEST_DATE:%Y}; is it really a date?"
        )
    return pd.DatetimeIndex(dates, name="date")


def _to_float(values, column, source):
    """Convert one column to float64, naming the first value that is not a number."""
    if pd.api.types.is_bool_dtype(values):
        # pandas reads a column of True/False as booleans; they are not prices.
        date = values.index[0]
        raise ValueError(
            f"{source}: non-numeric value {str(values.iloc[0])!r} in column {column!r} on "
            f"{date:%Y-%m-%d}; the column holds True/False, not numbers."
        )
    if not pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & values.notna()
        if bad.any():
            date = bad.idxmax()
            raise ValueError(
                f"{source}: non-numeric value {values[date]!r} in column {column!r} on "
                f"{date:%Y-%m-%d}."
            )
        values = numbers
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _first_date(mask, index):
    """The first date where ``mask`` is true, formatted for an error message."""
    return f"{index[np.argmax(mask)]:%Y-%m-%d}"


def validate_ohlcv(raw, *, source, min_rows, date_format=None, close_only=False):
    """Turn a raw table read from CSV into a checked, date-indexed OHLCV frame.

    This is the one place where both loaders check their input, so the bundled data and
    user files obey the same rules.

    Parameters
    ----------
    raw : pandas.DataFrame
        The table as read by :func:`pandas.read_csv`, with the file's own column names.
    source : str
        How to name the table in error messages.
    min_rows : int
        Fewest rows the caller's job can work with.
    date_format : str or None, default=None
        ``strftime`` format of the dates; ``None`` lets pandas infer it.
    close_only : bool, default=False
        Require and keep the date and ``close`` columns only (tables of closes).

    Returns
    -------
    pandas.DataFrame
        Sorted ``DatetimeIndex`` named ``"date"``; float64 columns ``open, high, low,
        close, adj_close, volume``, without ``adj_close`` when the file has none; ``close``
        alone with ``close_only``.
    """
    if not isinstance(min_rows, Integral) or isinstance(min_rows, bool) or min_rows < 1:
        raise ValueError(f"min_rows must be an integer >= 1, got {min_rows!r}.")
    required = ("close",) if close_only else _REQUIRED_COLUMNS
    date_column, column_of = _match_columns(raw.columns, source, required)
    if len(raw) == 0:
        raise ValueError(f"{source}: the file has a header but no data rows.")

    index = _parse_dates(raw[date_column], date_column, source, date_format)
    duplicated = index.duplicated(keep=False)
    if duplicated.any():
        rows = np.flatnonzero(index == index[np.argmax(duplicated)]) + 1
        raise ValueError(
            f"{source}: date {index[np.argmax(duplicated)]:%Y-%m-%d} appears more than once "
            f"(data rows {', '.join(map(str, rows))}); keep one row per date."
        )

    # ``raw`` is read in file order; give it the parsed dates so each check can name one.
    table = raw[list(column_of.values())].set_axis(index, axis="index")
    if not index.is_monotonic_increasing:
        row = np.argmax(index[1:] < index[:-1]) + 1
        warnings.warn(
            f"{source}: dates are not in ascending order (data row {row + 1}, "
            f"{index[row]:%Y-%m-%d}, comes after {index[row - 1]:%Y-%m-%d}); "
            "the rows were sorted by date.",
            UserWarning,
            stacklevel=3,
        )
        table = table.sort_index(kind="stable")

    frame = pd.DataFrame(
        {name: _to_float(table[column], column, source) for name, column in column_of.items()},
        index=table.index,
    )
    for name, column in column_of.items():
        values = frame[name].to_numpy()
        if np.isnan(values).any():
            raise ValueError(
                f"{source}: missing (NaN) value in column {column!r}, first on "
                f"{_first_date(np.isnan(values), frame.index)}; fill or drop those rows first."
            )
        if np.isinf(values).any():
            raise ValueError(
                f"{source}: infinite value in column {column!r}, first on "
                f"{_first_date(np.isinf(values), frame.index)}."
            )
        if name == "volume" and (values < 0).any():
            where = values < 0
            raise ValueError(
                f"{source}: negative volume {float(values[np.argmax(where)])} in column "
                f"{column!r} on {_first_date(where, frame.index)}."
            )
    # The first bad row in time order, whichever of its price columns is at fault.
    prices = [name for name in column_of if name in _PRICE_COLUMNS]
    bad = frame[prices].to_numpy() <= 0
    if bad.any():
        row = int(np.argmax(bad.any(axis=1)))
        name = prices[int(np.argmax(bad[row]))]
        raise ValueError(
            f"{source}: non-positive price {frame[name].iloc[row]} in column "
            f"{column_of[name]!r} on {frame.index[row]:%Y-%m-%d}; prices must be > 0."
        )

    if len(frame) < min_rows:
        raise ValueError(f"{source}: the job needs at least {min_rows} rows, got {len(frame)}.")
    return frame


@validate_params(
    {
        "path": [str, PathLike],
        "min_rows": [Interval(Integral, 1, None, closed="left")],
        "date_format": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def load_ohlcv_csv(path, *, min_rows=1, date_format=None):
    """Load daily open, high, low, close and volume prices from a CSV file.

    The file needs a header with a date column, named ``date``, ``timestamp`` or
    ``datetime``, and ``Open``, ``High``, ``Low``, ``Close`` and ``Volume`` columns. Names
    are matched in any letter case; an ``Adj Close`` column (space or underscore) is kept
    when present and other columns are ignored. Every problem is reported before any work
    starts, in a one-line ``ValueError`` that names the column, date or row at fault.

    Parameters
    ----------
    path : str or path-like
        The CSV file. Compressed files (``.gz``, ``.zip``, ...) are read by extension.
    min_rows : int, default=1
        Fewest rows the calling job can work with; fewer raise a ``ValueError``.
    date_format : str or None, default=None
        ``strftime`` format of the dates, e.g. ``"%d/%m/%Y"``. By default pandas infers the
        format from the first date (ISO ``2020-01-31`` and US ``1/31/2020`` both work);
        give it when the day comes first, which cannot be told from ``01/02/2020`` alone.

    Returns
    -------
    prices : pandas.DataFrame
        Indexed by a sorted ``DatetimeIndex`` named ``"date"``, with float64 columns
        ``open, high, low, close, adj_close, volume`` in that order, as
        :func:`load_sp500` returns; ``adj_close`` is left out when the file has none.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not UTF-8 text or not well-formed CSV (a stray quote, a row with
        more fields than the header); a required column is missing or named twice; a date
        is missing, cannot be parsed, is before 1800, appears twice, or the dates carry
        different UTC offsets; a price or volume is missing, infinite or not a number
        (``True``/``False`` included); a price is zero or negative; a volume is negative; or
        the file has fewer than ``min_rows`` rows. Every message names the file. Rows are
        counted from 1, after the header.

    Warns
    -----
    UserWarning
        If the dates are not in ascending order. The rows are then sorted by date.

    See Also
    --------
    load_sp500 : The S&P 500 index series shipped with the package, in the same layout.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sktemporal.market.datasets import load_ohlcv_csv
    >>> csv = (
    ...     "timestamp,OPEN,HIGH,LOW,CLOSE,VOLUME\\n"
    ...     "2024-01-02,10.0,10.5,9.8,10.2,1200\\n"
    ...     "2024-01-03,10.2,10.4,9.9,10.0,900\\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "prices.csv"
    ...     _ = path.write_text(csv)
    ...     prices = load_ohlcv_csv(path)
    >>> prices  # doctest: +NORMALIZE_WHITESPACE
                open  high  low  close  volume
    date
    2024-01-02  10.0  10.5  9.8   10.2  1200.0
    2024-01-03  10.2  10.4  9.9   10.0   900.0
    """
    source, raw = read_price_csv(path)
    return validate_ohlcv(raw, source=source, min_rows=min_rows, date_format=date_format)


def read_price_csv(path):
    """Read a price CSV file as written, with one-line errors: (its name for messages, table).

    A header that names a recognised column twice is refused here, before pandas renames
    the repeat.
    """
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"OHLCV file not found: '{file}' (absolute: '{file.absolute()}').")
    if file.is_dir():
        raise IsADirectoryError(f"expected an OHLCV CSV file, got the directory '{file}'.")
    source = f"'{file}'"
    try:
        raw = pd.read_csv(file)
        # The header as written, before pandas renames repeated names.
        header = pd.read_csv(file, header=None, nrows=1, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{source} is empty; expected a CSV file with a header row.") from None
    except UnicodeDecodeError as error:
        bad_byte = error.object[error.start : error.start + 1].hex()
        raise ValueError(
            f"{source} is not UTF-8 text (it holds the byte 0x{bad_byte}); save it as UTF-8."
        ) from None
    except (pd.errors.ParserError, ValueError) as error:
        problem = " ".join(str(error).split())
        raise ValueError(f"{source} is not a well-formed CSV file: {problem}") from None
    _check_repeated_columns(header.iloc[0].tolist() if len(header) else [], source)
    return source, raw
