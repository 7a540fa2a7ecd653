"""The environment a run was made in: the versions of Python, sktemporal and its libraries.

Recorded in the walk-forward report (:mod:`sktemporal.market.scores`) and in the saved
direction model's preprocessing file (:mod:`sktemporal.market.direction_model`), so that a
file says what wrote it.
"""

import platform
import sys
from importlib import metadata as importlib_metadata

import numpy as np
import pandas as pd

__all__ = ["versions"]


def versions():
    """Versions of Python, sktemporal and the libraries an evaluation depends on.

    Returns
    -------
    dict of str to str or None
        ``None`` for a library that is not installed.
    """
    import sktemporal

    def installed(distribution):
        try:
            return importlib_metadata.version(distribution)
        except importlib_metadata.PackageNotFoundError:
            return None

    found = {
        "python": platform.python_version(),
        "sktemporal": sktemporal.__version__,
        "keras": installed("keras"),
        "backend": None,
        "tensorflow": installed("tensorflow"),
        "scikit-learn": installed("scikit-learn"),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "talib": installed("ta-lib"),
    }
    if "keras" in sys.modules:  # the backend is only known once Keras is imported
        found["backend"] = sys.modules["keras"].backend.backend()
    return found
