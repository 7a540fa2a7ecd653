"""Old import path of names that moved to the :mod:`sktemporal.market` subpackage.

Kept so that code written against earlier releases keeps working; new code imports from
:mod:`sktemporal.market`.
"""

from sktemporal.market.out_of_sample import (
    OutOfSampleBacktest,
    backtest_predictions,
    gated_positions,
    read_oos_predictions,
)
from sktemporal.market.report import (
    build_report,
)
from sktemporal.market.saved_run import (
    BUNDLED_SOURCE,
    SavedEvaluation,
    backtest_model,
    load_evaluation,
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
