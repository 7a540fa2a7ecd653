"""Splitters over one timeline whose labels look ``horizon`` rows ahead.

Walk-forward with a gap, and ``purgedcv``'s purged k-fold and CPCV with each row's label
interval and the embargo stated in rows and windows.
"""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.model_selection import TimeSeriesSplit
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

# The schemes purged_splitter builds, the walk-forward first; documented as the public
# sktemporal.model_selection.CV_SCHEMES.
CV_SCHEMES = ("walk-forward", "purged-kfold", "cpcv")


def label_intervals(n_samples, horizon):
    """Each sample's label interval in row positions, as ``purgedcv`` reads times.

    Sample ``t`` is known at row ``t`` and its label is settled at row ``t + horizon``: its
    interval is ``[t, t + horizon)``, half-open, so two labels overlap exactly when the
    returns they are computed from share a period. Row positions are written as
    ``Timedelta`` days, the time type ``purgedcv`` accepts; only their order and distance
    matter, so the rows need not be evenly spaced in calendar time.

    Parameters
    ----------
    n_samples : int
        Samples, one per row, in time order.
    horizon : int
        Rows ahead the labels look (0 for labels known at their own row).

    Returns
    -------
    prediction_times, evaluation_times : pandas.TimedeltaIndex
    """
    positions = pd.to_timedelta(np.arange(n_samples), unit="D")
    return positions, positions + pd.Timedelta(days=horizon)


def default_embargo(horizon, window):
    """Rows embargoed after each test block: ``horizon + window - 1``.

    The first training sample after a test block then has a window that starts after the
    last price any test label was computed from: the last test sample ``t`` is settled at
    ``t + horizon``, and a window of ``window`` rows ending at ``s`` starts at
    ``s - window + 1``.

    Parameters
    ----------
    horizon : int
        Rows ahead the labels look.
    window : int
        Rows per sample's window (1 for a sample of one row).

    Returns
    -------
    int
    """
    return int(horizon) + int(window) - 1


@validate_params(
    {
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "scheme": [StrOptions(set(CV_SCHEMES))],
        "horizon": [Interval(Integral, 0, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "n_test_groups": [Interval(Integral, 1, None, closed="left")],
        "embargo": [Interval(Integral, 0, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def purged_splitter(
    n_samples,
    scheme="purged-kfold",
    *,
    horizon,
    window=1,
    n_splits=5,
    n_test_groups=2,
    embargo=None,
):
    """A splitter over ``n_samples`` time-ordered samples whose labels look ``horizon`` rows ahead.

    Parameters
    ----------
    n_samples : int
        Samples, one per row, in time order: the rows of the ``X`` it will split.
    scheme : {"walk-forward", "purged-kfold", "cpcv"}, default="purged-kfold"
        ``"walk-forward"``: ``TimeSeriesSplit(n_splits, gap=horizon)``. ``"purged-kfold"``:
        ``purgedcv.PurgedKFold(n_splits)``. ``"cpcv"``:
        ``purgedcv.CombinatorialPurgedCV(n_splits, n_test_groups)``, ``C(n_splits,
        n_test_groups)`` splits.
    horizon : int
        Rows ahead each label looks; the purge removes every training sample whose label
        interval ``[t, t + horizon)`` overlaps a test sample's.
    window : int, default=1
        Rows each sample's features span, the sample's own row included (a window
        classifier's ``sequence_length``); sets the default embargo.
    n_splits : int, default=5
        Folds (walk-forward, purged k-fold) or blocks (CPCV).
    n_test_groups : int, default=2
        CPCV only: blocks in each test set, ``1 <= n_test_groups < n_splits``.
    embargo : int, default=None
        Purged schemes only: rows removed from training after each test block. ``None``:
        :func:`default_embargo`, ``horizon + window - 1``, so that no training window holds
        a price a test label was computed from.

    Returns
    -------
    splitter
        With ``split(X, y=None, groups=None)`` yielding ``(train, test)`` index arrays and
        ``get_n_splits()``. The CPCV splitter also has ``reconstruct_paths(fold_values)``.

    Raises
    ------
    ValueError
        If ``n_test_groups >= n_splits`` for CPCV, or a setting is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.model_selection import purged_splitter
    >>> cv = purged_splitter(20, "purged-kfold", horizon=2, n_splits=4, embargo=1)
    >>> train, test = list(cv.split(np.zeros((20, 1))))[1]
    >>> test
    array([5, 6, 7, 8, 9])
    >>> train  # 4, 10 purged: labels [4, 6), [10, 12) overlap the test's; 10 also embargoed
    array([ 0,  1,  2,  3, 11, 12, 13, 14, 15, 16, 17, 18, 19])
    """
    if scheme == "walk-forward":
        return TimeSeriesSplit(n_splits=n_splits, gap=horizon)
    from purgedcv import CombinatorialPurgedCV, PurgedKFold

    prediction_times, evaluation_times = label_intervals(n_samples, horizon)
    options = {
        "prediction_times": prediction_times,
        "evaluation_times": evaluation_times,
        "embargo_observations": default_embargo(horizon, window) if embargo is None else embargo,
    }
    if scheme == "purged-kfold":
        return PurgedKFold(n_splits, **options)
    if n_test_groups >= n_splits:
        raise ValueError(
            f"n_test_groups must be smaller than n_splits for CPCV; got n_test_groups="
            f"{n_test_groups} with n_splits={n_splits}."
        )
    return CombinatorialPurgedCV(n_splits, n_test_groups, **options)
