"""Old import path of names that moved to ``sktemporal.market.direction_model``.

Kept so that code written against earlier releases keeps working; new code imports from
:mod:`sktemporal.market`.
"""

from sktemporal.market.direction_model import (
    DirectionModel,
    fit_direction_model,
    fit_on_features,
    oos_predictions_path,
    pipeline_path,
    read_pipeline,
    report_path,
)

__all__ = [
    "DirectionModel",
    "fit_direction_model",
    "fit_on_features",
    "oos_predictions_path",
    "pipeline_path",
    "read_pipeline",
    "report_path",
]
