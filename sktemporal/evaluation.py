"""Old import path of names that moved to the :mod:`sktemporal.market` subpackage.

Kept so that code written against earlier releases keeps working; new code imports from
:mod:`sktemporal.market`.
"""

from sktemporal.market.direction_model import (
    DirectionModel,
    fit_direction_model,
    pipeline_path,
)
from sktemporal.market.preparation import (
    feature_table,
    minimum_rows,
    prepare_dataset,
)
from sktemporal.market.scores import (
    BASELINES,
    METRICS,
    FoldResult,
    WalkForwardResult,
    versions,
)
from sktemporal.market.walk_forward import (
    walk_forward_evaluate,
)

__all__ = [
    "BASELINES",
    "DirectionModel",
    "FoldResult",
    "METRICS",
    "WalkForwardResult",
    "feature_table",
    "fit_direction_model",
    "minimum_rows",
    "pipeline_path",
    "prepare_dataset",
    "versions",
    "walk_forward_evaluate",
]
