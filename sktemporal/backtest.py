"""Old import path of names that moved to ``sktemporal.market.backtest``.

Kept so that code written against earlier releases keeps working; new code imports from
:mod:`sktemporal.market`.
"""

from sktemporal.market.backtest import (
    METRIC_NAMES,
    BacktestResult,
    backtest,
)

__all__ = [
    "BacktestResult",
    "METRIC_NAMES",
    "backtest",
]
