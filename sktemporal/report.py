"""Old import path of names that moved to ``sktemporal.market.report``.

Kept so that code written against earlier releases keeps working; new code imports from
:mod:`sktemporal.market`.
"""

from sktemporal.market.report import (
    BUNDLED_SOURCE,
    OutOfSampleBacktest,
    SavedEvaluation,
    backtest_model,
    backtest_predictions,
    build_report,
    gated_positions,
    load_evaluation,
    read_oos_predictions,
)

__all__ = [
    "BUNDLED_SOURCE",
    "OutOfSampleBacktest",
    "SavedEvaluation",
    "backtest_model",
    "backtest_predictions",
    "build_report",
    "gated_positions",
    "load_evaluation",
    "read_oos_predictions",
]
