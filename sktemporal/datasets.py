"""Old import path of names that moved to ``sktemporal.market.datasets``.

Kept so that code written against earlier releases keeps working; new code imports from
:mod:`sktemporal.market`.
"""

from sktemporal.market.datasets import (
    load_ohlcv_csv,
    load_sp500,
)

__all__ = [
    "load_ohlcv_csv",
    "load_sp500",
]
