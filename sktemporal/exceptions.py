"""Warnings that sktemporal raises, as :mod:`sklearn.exceptions` holds scikit-learn's.

Each is a subclass of :class:`UserWarning`, so it can be filtered by its own class::

    import warnings
    from sktemporal.exceptions import TimeOrderedTableWarning
    warnings.filterwarnings("ignore", category=TimeOrderedTableWarning)
"""

__all__ = ["TimeOrderedTableWarning"]


class TimeOrderedTableWarning(UserWarning):
    """A classifier was given a time-ordered table where it expects a set of windows.

    The classifiers read a 2-D ``X`` as one univariate sequence per row: the columns are time
    steps. A pandas table indexed by time (a ``DatetimeIndex``, or a panel's ``(entity, time)``
    ``MultiIndex``) is almost always the other thing, one time step per row with features in
    the columns, which :class:`~sktemporal.SlidingWindowTransformer` turns into windows.
    """
