"""Daily price data: the bundled S&P 500 index and 20 of its stocks, and checked CSV loaders."""

from ._ohlcv import load_ohlcv_csv
from ._panel import check_price_panel, load_price_panel, panel_feature_set
from ._sp500 import load_sp500
from ._sp500_stocks import SP500_STOCKS, load_sp500_stocks

__all__ = [
    "SP500_STOCKS",
    "check_price_panel",
    "load_ohlcv_csv",
    "load_price_panel",
    "load_sp500",
    "load_sp500_stocks",
    "panel_feature_set",
]
