"""Old import path of names that moved to ``sktemporal.market.features``.

Kept so that code written against earlier releases keeps working; new code imports from
:mod:`sktemporal.market`.
"""

from sktemporal.market.features import (
    TechnicalIndicators,
)

__all__ = [
    "TechnicalIndicators",
]
