"""Old import path of names that moved to ``sktemporal.market.labels``.

Kept so that code written against earlier releases keeps working; new code imports from
:mod:`sktemporal.market`.
"""

from sktemporal.market.labels import (
    DirectionLabeler,
    forward_returns,
    make_direction_labels,
)

__all__ = [
    "DirectionLabeler",
    "forward_returns",
    "make_direction_labels",
]
