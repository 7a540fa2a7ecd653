"""Price panels: many assets' daily prices in one table indexed by (symbol, date)."""

from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ._ohlcv import normalize_column_name, read_price_csv, validate_ohlcv

__all__ = ["PANEL_LEVELS", "check_price_panel", "load_price_panel", "panel_feature_set"]

#: Names of the two index levels of a price panel.
PANEL_LEVELS = ("symbol", "date")
_OHLCV = ("open", "high", "low", "close", "volume")
_SYMBOL_COLUMN_NAMES = ("symbol", "ticker", "asset")
_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz")


def _csv_files(sources):
    """The CSV files named by ``sources``: files as given, folders' ``*.csv*`` files sorted."""
    if isinstance(sources, (str, PathLike)):
        sources = [sources]
    sources = list(sources)
    if not sources:
        raise ValueError("no price file given; give one or more CSV files or a folder of them.")
    found = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            inside = sorted(
                p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(_SUFFIXES)
            )
            if not inside:
                raise ValueError(f"the folder '{path}' holds no CSV file (*.csv, *.csv.gz).")
            found.extend(inside)
        elif not path.exists():
            raise FileNotFoundError(f"price file not found: '{path}'.")
        else:
            found.append(path)
    return found


def _symbol_of(path):
    name = path.name
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _symbol_column(columns):
    matched = [c for c in columns if normalize_column_name(c) in _SYMBOL_COLUMN_NAMES]
    if len(matched) > 1:
        raise ValueError(f"several symbol columns {matched}; keep one (symbol, ticker or asset).")
    return matched[0] if matched else None


def _has_ohlcv(columns):
    return set(_OHLCV) <= {normalize_column_name(c) for c in columns}


def load_price_panel(sources, *, date_format=None, min_rows=1):
    """Load many assets' daily prices from CSV files into one panel.

    ``sources`` is one path or a list of paths, each a CSV file or a folder (whose ``*.csv``
    and ``*.csv.gz`` files are read, in name order). A file with a ``symbol`` column (or
    ``ticker``, ``asset``) is a **long** table holding several assets, its rows split by
    symbol; any other file holds one asset, named by the file's name without ``.csv``. Each
    asset's rows are checked as :func:`load_ohlcv_csv` checks a file (dates parsed and
    unique, prices positive, ...), and named in the message.

    Every asset needs a date column and ``close``; when every file also has ``open``,
    ``high``, ``low`` and ``volume`` the panel keeps those five columns, otherwise the
    panel holds ``close`` alone and the market job uses the close-only feature set
    (:func:`panel_feature_set`).

    Parameters
    ----------
    sources : str, path-like or list of them
        CSV files and folders of CSV files.
    date_format : str, default=None
        ``strftime`` format of the dates, as for :func:`load_ohlcv_csv`.
    min_rows : int, default=1
        Fewest rows each asset must have.

    Returns
    -------
    prices : pandas.DataFrame
        Indexed by a ``MultiIndex`` (``symbol``, ``date``), each symbol's rows together and
        in date order, symbols in the order found; float64 columns ``open, high, low, close,
        volume`` or ``close``.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If a file or an asset's rows are malformed (see :func:`load_ohlcv_csv`), a folder
        holds no CSV file, or two files or groups name the same symbol.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sktemporal.market.datasets import load_price_panel
    >>> csv = "date,symbol,close\\n2024-01-02,AAA,10\\n2024-01-02,BBB,20\\n2024-01-03,AAA,11\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "long.csv"
    ...     _ = path.write_text(csv)
    ...     panel = load_price_panel(path)
    >>> panel  # doctest: +NORMALIZE_WHITESPACE
                       close
    symbol date
    AAA    2024-01-02   10.0
           2024-01-03   11.0
    BBB    2024-01-02   20.0
    """
    tables = {}  # symbol -> (source, raw rows)
    for path in _csv_files(sources):
        source, raw = read_price_csv(path)
        column = _symbol_column(raw.columns)
        if column is None:
            groups = [(_symbol_of(path), source, raw)]
        else:
            if raw[column].isna().any():
                row = int(np.argmax(raw[column].isna().to_numpy())) + 1
                raise ValueError(
                    f"{source}: missing symbol in column {column!r} at data row {row}."
                )
            groups = [
                (str(symbol), f"{source} (symbol {symbol})", rows.drop(columns=column))
                for symbol, rows in raw.groupby(column, sort=False)
            ]
        for symbol, name, rows in groups:
            if symbol in tables:
                raise ValueError(
                    f"symbol {symbol!r} comes twice: from {tables[symbol][0]} and {name}; give "
                    "each asset once."
                )
            tables[symbol] = (name, rows)
    close_only = not all(_has_ohlcv(rows.columns) for _, rows in tables.values())
    frames = {
        symbol: validate_ohlcv(
            rows.reset_index(drop=True),
            source=name,
            min_rows=min_rows,
            date_format=date_format,
            close_only=close_only,
        )
        for symbol, (name, rows) in tables.items()
    }
    columns = ["close"] if close_only else list(_OHLCV)
    return pd.concat(
        {symbol: frame[columns] for symbol, frame in frames.items()}, names=list(PANEL_LEVELS)
    )


def panel_feature_set(prices):
    """``"ohlcv"`` when the prices have open, high, low, close and volume, else ``"close"``.

    Parameters
    ----------
    prices : pandas.DataFrame
        A price table or panel.

    Returns
    -------
    {"ohlcv", "close"}
    """
    return "ohlcv" if _has_ohlcv(prices.columns) else "close"


def check_price_panel(prices, *, min_rows=1, what="the job"):
    """Check a panel of prices given in Python; return its symbols in order of appearance.

    Parameters
    ----------
    prices : pandas.DataFrame
        Indexed by (symbol, date), with a ``close`` column.
    min_rows : int, default=1
        Fewest rows each asset must have.
    what : str, default="the job"
        The job that needs them, for the message.

    Returns
    -------
    list
        The symbols.

    Raises
    ------
    ValueError
        If ``prices`` is not such a panel, an asset's dates are not strictly increasing, a
        close is not a positive number, or an asset has fewer than ``min_rows`` rows.
    """
    if not isinstance(prices, pd.DataFrame) or prices.index.nlevels != 2:
        raise ValueError(
            "a price panel is a DataFrame indexed by (symbol, date), e.g. from "
            f"load_price_panel or load_sp500_stocks; got {type(prices).__name__}"
            + (
                f" with {prices.index.nlevels} index level(s)."
                if hasattr(prices, "index")
                else "."
            )
        )
    if "close" not in prices.columns:
        raise ValueError(f"the price panel has no 'close' column; got {list(prices.columns)}.")
    close = prices["close"].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(np.isfinite(close) & (close > 0))
    if bad.any():
        symbol, date = prices.index[int(np.argmax(bad))]
        raise ValueError(
            f"the close of {symbol!r} on {date} is {close[np.argmax(bad)]}; closes must be "
            "positive numbers."
        )
    symbols = list(pd.unique(prices.index.get_level_values(0)))
    dates = prices.index.get_level_values(1)
    for symbol in symbols:
        own = dates[prices.index.get_level_values(0) == symbol]
        if len(own) > 1 and not (own[1:] > own[:-1]).all():
            where = int(np.argmax(~(own[1:] > own[:-1]))) + 1
            raise ValueError(
                f"the dates of {symbol!r} are not strictly increasing: {own[where]} comes "
                f"after {own[where - 1]}; sort each asset's rows by date, one row per date."
            )
        if len(own) < min_rows:
            raise ValueError(
                f"{what} needs at least {min_rows} rows per asset; {symbol!r} has {len(own)}."
            )
    return symbols
