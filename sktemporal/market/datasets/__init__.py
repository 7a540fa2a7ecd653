"""Daily OHLCV price data: the bundled S&P 500 series and a checked loader for CSV files."""

from ._ohlcv import load_ohlcv_csv
from ._sp500 import load_sp500

__all__ = ["load_ohlcv_csv", "load_sp500"]
