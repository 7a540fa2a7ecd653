"""The S&P 500 index daily prices shipped with the package."""

from importlib.resources import files

import pandas as pd

from ._ohlcv import validate_ohlcv

__all__ = ["load_sp500"]


def load_sp500():
    """Load the S&P 500 index daily prices from 1999-01-04 to 2018-12-31.

    The 5,031 trading days are read from a file inside the package, so no network is
    needed. They are the ``sp500.csv`` example data of the ``arch`` package by Kevin
    Sheppard, originally from Yahoo! Finance, redistributed under the licence in
    ``sktemporal/market/datasets/data/arch-LICENSE.md``. For an index, ``adj_close`` equals
    ``close``.

    Returns
    -------
    prices : pandas.DataFrame of shape (5031, 6)
        Indexed by a sorted ``DatetimeIndex`` named ``"date"``, with float64 columns
        ``open, high, low, close, adj_close, volume``.

    See Also
    --------
    load_ohlcv_csv : Load your own prices, checked and laid out the same way.

    Examples
    --------
    >>> from sktemporal.market.datasets import load_sp500
    >>> prices = load_sp500()
    >>> prices.shape
    (5031, 6)
    >>> prices.columns.tolist()
    ['open', 'high', 'low', 'close', 'adj_close', 'volume']
    >>> print(prices.index[0].date(), prices.index[-1].date())
    1999-01-04 2018-12-31
    """
    resource = files("sktemporal.market.datasets") / "data" / "sp500.csv.gz"
    with resource.open("rb") as stream:
        raw = pd.read_csv(stream, compression="gzip")
    return validate_ohlcv(raw, source="bundled sp500.csv.gz", min_rows=1, date_format="%m/%d/%Y")
