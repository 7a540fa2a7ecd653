"""JSON and text forms of the values an evaluation records: dates, labels, NaN, numbers."""

from datetime import datetime

import numpy as np
import pandas as pd

__all__ = ["format_number", "iso_date", "json_key", "json_params", "nan_to_none"]


def iso_date(timestamp):
    """ISO date, with the time only when there is one (daily data give ``YYYY-MM-DD``).

    Index values that are not timestamps (e.g. a ``RangeIndex``) are returned as they are.
    """
    if not isinstance(timestamp, datetime | np.datetime64):
        return timestamp.item() if isinstance(timestamp, np.generic) else timestamp
    timestamp = pd.Timestamp(timestamp)
    if timestamp == timestamp.normalize() and timestamp.tzinfo is None:
        return timestamp.date().isoformat()
    return timestamp.isoformat()


def json_key(value):
    return str(value.item() if isinstance(value, np.generic) else value)


def nan_to_none(value):
    if isinstance(value, dict):
        return {key: nan_to_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [nan_to_none(item) for item in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def json_params(estimator):
    """``get_params(deep=False)`` with values JSON can hold; others as their ``repr``."""
    params = {}
    for name, value in estimator.get_params(deep=False).items():
        if isinstance(value, tuple):
            value = list(value)
        if value is None or isinstance(value, str | bool | int | float | list):
            params[name] = value
        else:
            params[name] = repr(value)
    return params


def format_number(value, std=None):
    """A score as report text: 4 decimals, ``± std`` when given, ``"n/a"`` for None or NaN."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    text = f"{value:.4f}"
    if std is not None and np.isfinite(std):
        text += f" ± {std:.4f}"
    return text
