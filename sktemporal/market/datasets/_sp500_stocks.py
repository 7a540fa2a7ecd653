"""Adjusted daily closes of 20 S&P 500 stocks, 1990-2022, shipped with the package."""

from importlib.resources import files

import pandas as pd

from ._panel import PANEL_LEVELS

__all__ = ["SP500_STOCKS", "load_sp500_stocks"]

#: The 20 symbols of :func:`load_sp500_stocks`, in the file's order.
SP500_STOCKS = (
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
    "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
)  # fmt: skip


def load_sp500_stocks(symbols=None, *, start=None, end=None):
    """Load the adjusted daily closes of 20 S&P 500 stocks, 1990-01-02 to 2022-12-28.

    8,313 trading days of 20 constituents of the S&P 500 (Apple, AMD, Bank of America, ...,
    Exxon Mobil), all on one calendar, read from a file inside the package (no network).
    They are the ``sp500_dataset.csv.gz`` example data of `skfolio
    <https://github.com/skfolio/skfolio>`_ 1.12.2, redistributed unchanged under its BSD
    3-Clause licence (``sktemporal/market/datasets/data/skfolio-LICENSE.md``). As skfolio
    says, it is a stale data set for examples and tests, not for trading.

    Only **closes** exist, adjusted for splits and dividends and rounded to 3 decimals (a
    1990 close of 0.264 moves in steps of 0.4%), so the market job computes the close-only
    feature set on them (``TechnicalIndicators(feature_set="close")``). RRC's close stays
    unchanged for up to 69 days at a time in 1990-1992: a thinly traded stock's stale quote.

    Parameters
    ----------
    symbols : list of str, default=None
        The stocks to keep, in this order; ``None`` keeps all 20 (:data:`SP500_STOCKS`).
    start, end : str or pandas.Timestamp, default=None
        First and last date kept (inclusive); ``None`` keeps the whole period.

    Returns
    -------
    prices : pandas.DataFrame of shape (n_symbols * n_dates, 1)
        A panel in long form: a ``MultiIndex`` (``symbol``, ``date``), each symbol's rows
        together and in date order, and one float64 column ``close``.

    Raises
    ------
    ValueError
        If a symbol is not one of the 20, or no date is left.

    See Also
    --------
    load_sp500 : The S&P 500 index itself, with open, high, low, close and volume.
    load_price_panel : Your own panel from CSV files, in the same layout.

    Examples
    --------
    >>> from sktemporal.market.datasets import load_sp500_stocks
    >>> prices = load_sp500_stocks()
    >>> prices.shape
    (166260, 1)
    >>> prices.index.names
    FrozenList(['symbol', 'date'])
    >>> two = load_sp500_stocks(["MSFT", "KO"], start="2020-01-01")
    >>> two.index.get_level_values("symbol").unique().tolist(), len(two)
    (['MSFT', 'KO'], 1508)
    """
    resource = files("sktemporal.market.datasets") / "data" / "sp500_stocks.csv.gz"
    with resource.open("rb") as stream:
        wide = pd.read_csv(stream, compression="gzip", index_col="Date")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index, format="%Y-%m-%d"), name="date")
    if symbols is not None:
        symbols = [symbols] if isinstance(symbols, str) else list(symbols)
        unknown = [symbol for symbol in symbols if symbol not in wide.columns]
        if unknown:
            raise ValueError(
                f"unknown symbol(s) {', '.join(map(repr, unknown))}; the embedded stocks are "
                f"{', '.join(SP500_STOCKS)}."
            )
        wide = wide[symbols]
    wide = wide.loc[start:end]
    if wide.empty:
        raise ValueError(
            f"no date between {start} and {end}; the embedded stocks cover 1990-01-02 to "
            "2022-12-28."
        )
    return pd.concat(
        {symbol: wide[[symbol]].set_axis(["close"], axis=1) for symbol in wide.columns},
        names=list(PANEL_LEVELS),
    ).astype("float64")
