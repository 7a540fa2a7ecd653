"""Samples of the market task: causal features of daily prices, direction labels, windows."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from sktemporal.market.features import FEATURE_SETS, TechnicalIndicators
from sktemporal.market.labels import LABEL_CONSTRAINTS, make_direction_labels
from sktemporal.windowing import SlidingWindowTransformer

__all__ = [
    "SETTINGS_CONSTRAINTS",
    "causal_windows",
    "check_enough_rows",
    "feature_table",
    "minimum_rows",
    "prepare_dataset",
]

#: Constraints of the settings of a direction model, for ``validate_params``.
SETTINGS_CONSTRAINTS = {
    "sequence_length": [Interval(Integral, 1, None, closed="left")],
    **LABEL_CONSTRAINTS,
    "n_splits": [Interval(Integral, 2, None, closed="left")],
}


def feature_table(ohlcv, feature_set="ohlcv"):
    """Technical indicators of every row that has a full look-back (the warm-up rows dropped).

    Parameters
    ----------
    ohlcv : pandas.DataFrame
        Daily prices in time order with ``open``, ``high``, ``low``, ``close`` and ``volume``
        columns, as :func:`sktemporal.market.datasets.load_ohlcv_csv` returns them (only
        ``close`` with ``feature_set="close"``).
    feature_set : {"ohlcv", "close"}, default="ohlcv"
        The indicators (:class:`~sktemporal.market.features.TechnicalIndicators`).

    Returns
    -------
    features : pandas.DataFrame of shape (n_rows - TechnicalIndicators.warmup_rows, 34 or 18)
        float64 indicators, indexed like the rows of ``ohlcv`` they belong to.

    Raises
    ------
    ValueError
        If there are no more rows than the warm-up, or an indicator is undefined after it
        (e.g. 20 rows without any volume).
    """
    warmup = TechnicalIndicators.warmup_rows
    if len(ohlcv) <= warmup:
        raise ValueError(
            f"the prices have {len(ohlcv)} rows; the indicators need more than {warmup} "
            "(their warm-up) to define any row."
        )
    indicators = TechnicalIndicators(feature_set=feature_set).set_output(transform="pandas")
    features = indicators.fit_transform(ohlcv).iloc[warmup:]
    undefined = ~np.isfinite(features.to_numpy())
    if undefined.any():
        row, column = np.argwhere(undefined)[0]
        raise ValueError(
            f"indicator {features.columns[column]!r} is undefined on {features.index[row]} "
            "(a division by zero, e.g. 20 rows with zero volume or no price range); "
            "drop or repair those rows."
        )
    return features


@validate_params(
    {
        "horizon": SETTINGS_CONSTRAINTS["horizon"],
        "threshold": SETTINGS_CONSTRAINTS["threshold"],
        "feature_set": [StrOptions(set(FEATURE_SETS))],
    },
    prefer_skip_nested_validation=True,
)
def prepare_dataset(ohlcv, horizon=1, threshold=0.005, feature_set="ohlcv"):
    """Causal features and the direction labels of the rows that have both.

    The features of row ``t`` use rows ``<= t`` only (:func:`feature_table`); its label is the
    direction of the return from ``t`` to ``t + horizon`` (:func:`make_direction_labels`).
    The first ``TechnicalIndicators.warmup_rows`` rows have no features and the last
    ``horizon`` rows no label: both are dropped.

    Parameters
    ----------
    ohlcv : pandas.DataFrame
        Daily prices in time order with ``open``, ``high``, ``low``, ``close`` and ``volume``.
    horizon : int, default=1
        Rows ahead the labels look.
    threshold : float, default=0.005
        Returns within ``[-threshold, threshold]`` are labelled flat (0).
    feature_set : {"ohlcv", "close"}, default="ohlcv"
        The 34 indicators of open, high, low, close and volume, or the 18 of the close alone
        (:class:`~sktemporal.market.features.TechnicalIndicators`).

    Returns
    -------
    X : pandas.DataFrame of shape (n_rows - warmup_rows - horizon, 34 or 18)
        Features of the labelled rows.
    y : pandas.Series of shape (n_rows - warmup_rows - horizon,)
        Their labels in ``{-1, 0, 1}``, with the same index as ``X``.

    See Also
    --------
    walk_forward_evaluate : Evaluates a classifier on windows of these rows.

    Examples
    --------
    >>> from sktemporal.market.datasets import load_sp500
    >>> from sktemporal.market.walk_forward import prepare_dataset
    >>> X, y = prepare_dataset(load_sp500(), horizon=1)
    >>> X.shape, y.shape
    ((4981, 34), (4981,))
    >>> bool((X.index == y.index).all())
    True
    """
    features = feature_table(ohlcv, feature_set)
    labels = make_direction_labels(ohlcv["close"], horizon=horizon, threshold=threshold)
    n_labelled = len(features) - horizon
    if n_labelled < 1:
        raise ValueError(
            f"the prices have {len(ohlcv)} rows; with {TechnicalIndicators.warmup_rows} warm-up "
            f"rows and horizon={horizon}, none has both features and a label."
        )
    X = features.iloc[:n_labelled]
    y = labels.iloc[TechnicalIndicators.warmup_rows :]
    return X, y


def minimum_rows(sequence_length=30, horizon=1, n_splits=5):
    """Fewest price rows a walk-forward evaluation with these settings can run on.

    The warm-up rows of the indicators, ``sequence_length - 1`` rows that only serve as the
    first window's past, the last ``horizon`` rows (no label), and enough samples for
    ``TimeSeriesSplit(n_splits, gap=horizon)`` to give every fold at least one test sample
    and two training samples.

    Parameters
    ----------
    sequence_length : int, default=30
        Rows per window.
    horizon : int, default=1
        Rows ahead the labels look; also the gap between training and test rows.
    n_splits : int, default=5
        Walk-forward folds.

    Returns
    -------
    int
        The minimum number of rows of the price table.
    """
    n_samples = n_splits + 1
    while n_samples - horizon - n_splits * (n_samples // (n_splits + 1)) < 2:
        n_samples += 1
    return TechnicalIndicators.warmup_rows + sequence_length - 1 + horizon + n_samples


def causal_windows(table, sequence_length):
    """Windows ending at every row of ``table`` that has ``sequence_length - 1`` rows before it."""
    windows = SlidingWindowTransformer(sequence_length).fit_transform(table)
    return windows[sequence_length - 1 :]


def check_enough_rows(ohlcv, needed, what):
    if len(ohlcv) < needed:
        raise ValueError(f"{what} needs at least {needed} rows of prices, got {len(ohlcv)}.")
