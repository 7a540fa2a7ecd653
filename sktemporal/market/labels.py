"""Market-direction labels: down, flat or up over the next few rows.

A label at row ``t`` looks ``horizon`` rows into the future. That is its purpose, and
also the easiest way to leak the future into a model: read the Notes of
:func:`make_direction_labels` before splitting data for validation.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, validate_params

from sktemporal._documentation import DocumentationLinkMixin
from sktemporal.windowing import check_time_index

__all__ = ["LABEL_CONSTRAINTS", "DirectionLabeler", "forward_returns", "make_direction_labels"]

#: ``validate_params`` constraints of the label settings, shared by the functions that take them.
LABEL_CONSTRAINTS = {
    "horizon": [Interval(Integral, 1, None, closed="left")],
    "threshold": [Interval(Real, 0, None, closed="left")],
}


def _check_close(close, horizon):
    """Validate closing prices; return them as float64 with their index (or ``None``)."""
    if isinstance(close, pd.DataFrame):
        raise ValueError(
            "close must be one column of prices, got a DataFrame; pass prices['close'], "
            "or give the DataFrame to DirectionLabeler."
        )
    index = close.index if isinstance(close, pd.Series) else None
    if index is not None:
        # Labels look ``horizon`` rows ahead: rows out of time order would silently label
        # each price by an unrelated one.
        check_time_index(index)
    values = np.asarray(close)
    if values.ndim != 1:
        raise ValueError(f"close must be 1-D, got an array of shape {values.shape}.")
    if values.dtype.kind not in "iuf":
        raise ValueError(f"close must hold numbers, got dtype {values.dtype}.")
    values = values.astype(np.float64, copy=False)

    def where(mask):
        position = int(np.argmax(mask))
        return f"position {position}" + ("" if index is None else f" ({index[position]})")

    for problem, mask in (("a NaN", np.isnan(values)), ("an infinite", np.isinf(values))):
        if mask.any():
            raise ValueError(
                f"close has {problem} value at {where(mask)}; fill or drop those prices first."
            )
    if (values <= 0).any():
        mask = values <= 0
        raise ValueError(
            f"close must be positive, got {float(values[np.argmax(mask)])} at {where(mask)}."
        )
    if len(values) <= horizon:
        raise ValueError(
            f"labelling with horizon={horizon} needs at least {horizon + 1} prices, "
            f"got {len(values)}."
        )
    return values, index


@validate_params(
    {"close": ["array-like"], "horizon": LABEL_CONSTRAINTS["horizon"]},
    prefer_skip_nested_validation=True,
)
def forward_returns(close, horizon=1):
    """Simple return from each row to the row ``horizon`` steps later.

    ``close[t + horizon] / close[t] - 1`` for every ``t`` that has such a later row. The
    last ``horizon`` rows have none and are dropped, not filled.

    Parameters
    ----------
    close : pandas.Series or array-like of shape (n_rows,)
        Positive closing prices in time order.
    horizon : int, default=1
        How many rows ahead to look. Must be at least 1.

    Returns
    -------
    returns : pandas.Series or ndarray of shape (n_rows - horizon,)
        float64 returns aligned to the first ``n_rows - horizon`` rows. A Series keeps
        their index and is named ``"forward_return"``.

    See Also
    --------
    make_direction_labels : The returns cut into down, flat and up classes.

    Examples
    --------
    >>> from sktemporal.market.labels import forward_returns
    >>> forward_returns([100.0, 110.0, 99.0, 99.0], horizon=1)
    array([ 0.1, -0.1,  0. ])
    """
    values, index = _check_close(close, horizon)
    returns = values[horizon:] / values[:-horizon] - 1.0
    if index is None:
        return returns
    return pd.Series(returns, index=index[:-horizon], name="forward_return")


@validate_params(
    {"close": ["array-like"], **LABEL_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def make_direction_labels(close, horizon=1, threshold=0.005):
    """Label each row down (-1), flat (0) or up (1) by its return ``horizon`` rows ahead.

    With ``r[t] = close[t + horizon] / close[t] - 1``, the label is 1 when
    ``r[t] > threshold``, -1 when ``r[t] < -threshold`` and 0 otherwise: a return of
    exactly ``±threshold`` is flat.

    Parameters
    ----------
    close : pandas.Series or array-like of shape (n_rows,)
        Positive closing prices in time order.
    horizon : int, default=1
        How many rows ahead the return is measured. Must be at least 1.
    threshold : float, default=0.005
        Returns within ``[-threshold, threshold]`` are flat. ``0`` leaves only exactly
        unchanged prices flat.

    Returns
    -------
    labels : pandas.Series or ndarray of shape (n_rows - horizon,)
        int64 labels in ``{-1, 0, 1}`` for the first ``n_rows - horizon`` rows. The last
        ``horizon`` rows cannot be labelled and are dropped, never filled. A Series keeps
        the index of the rows it labels and is named ``"direction"``.

    Raises
    ------
    ValueError
        If ``close`` has NaN, infinite, zero or negative values, is not 1-D, or has no
        more than ``horizon`` rows; or if it is a Series whose ``DatetimeIndex`` is not
        strictly increasing (unsorted, repeated or missing timestamps).

    See Also
    --------
    DirectionLabeler : The same labels as a scikit-learn transformer.
    forward_returns : The returns the labels are cut from.

    Notes
    -----
    **The label at row t looks horizon rows ahead.** It is computed from the prices at
    rows ``t`` to ``t + horizon``, so a model must never see anything from after row
    ``t`` when predicting it:

    - Features at row ``t`` may only use rows ``<= t``; the indicators of
      :class:`sktemporal.market.features.TechnicalIndicators` obey this.
    - Cross-validate with ``TimeSeriesSplit(gap=horizon)``. Without the gap, the last
      ``horizon`` training labels are computed from prices inside the test period.

    Examples
    --------
    >>> from sktemporal.market.labels import make_direction_labels
    >>> close = [100.0, 101.0, 100.9, 99.0, 99.5]
    >>> make_direction_labels(close, horizon=1, threshold=0.005)
    array([ 1,  0, -1,  1])
    >>> make_direction_labels(close, horizon=2, threshold=0.005)
    array([ 1, -1, -1])
    """
    returns = forward_returns(close, horizon=horizon)
    values = np.asarray(returns)
    labels = np.where(values > threshold, 1, np.where(values < -threshold, -1, 0))
    labels = labels.astype(np.int64)
    if isinstance(returns, pd.Series):
        return pd.Series(labels, index=returns.index, name="direction")
    return labels


class DirectionLabeler(DocumentationLinkMixin, TransformerMixin, BaseEstimator):
    """Turn closing prices into down (-1), flat (0) and up (1) labels.

    A scikit-learn wrapper around :func:`make_direction_labels`, so that the labelling
    parameters can be set, cloned and searched like any other. It learns nothing from the
    data: ``fit`` only checks the parameters and the input.

    Unlike most transformers, ``transform`` returns fewer rows than it gets: the last
    ``horizon`` rows have no future to label them and are dropped. Use it to make ``y``,
    not inside a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    horizon : int, default=1
        How many rows ahead the return is measured. Must be at least 1.
    threshold : float, default=0.005
        Returns within ``[-threshold, threshold]`` are flat (0); above it up (1), below
        ``-threshold`` down (-1).

    See Also
    --------
    make_direction_labels : The function this transformer applies.
    sktemporal.market.features.TechnicalIndicators : Causal features to predict the labels from.

    Notes
    -----
    **The label at row t looks horizon rows ahead** (see :func:`make_direction_labels`).
    Features at row ``t`` must only use rows ``<= t``, and cross-validation needs
    ``TimeSeriesSplit(gap=horizon)`` so that no training label is computed from prices in
    the test period.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.model_selection import TimeSeriesSplit
    >>> from sktemporal.market.labels import DirectionLabeler
    >>> prices = pd.DataFrame(
    ...     {"close": [100.0, 101.0, 100.9, 99.0, 99.5]},
    ...     index=pd.date_range("2024-01-01", periods=5, name="date"),
    ... )
    >>> labeler = DirectionLabeler(horizon=1, threshold=0.005)
    >>> y = labeler.fit_transform(prices)
    >>> y
    date
    2024-01-01    1
    2024-01-02    0
    2024-01-03   -1
    2024-01-04    1
    Freq: D, Name: direction, dtype: int64

    The gap keeps every training label's future out of the test rows:

    >>> cv = TimeSeriesSplit(n_splits=2, test_size=1, gap=labeler.horizon)
    >>> for train, test in cv.split(y):
    ...     print(train, test)
    [0] [2]
    [0 1] [3]
    """

    _parameter_constraints = dict(LABEL_CONSTRAINTS)

    def __init__(self, horizon=1, threshold=0.005):
        self.horizon = horizon
        self.threshold = threshold

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the prices; nothing is learned.

        Parameters
        ----------
        X : pandas.DataFrame with a ``close`` column, pandas.Series or array-like of \
shape (n_rows,)
            Positive closing prices in time order.
        y : None
            Ignored.

        Returns
        -------
        self : DirectionLabeler
            The labeler itself.
        """
        _check_close(self._select_close(X), self.horizon)
        return self

    def transform(self, X):
        """Label every row that has ``horizon`` rows after it.

        Parameters
        ----------
        X : pandas.DataFrame with a ``close`` column, pandas.Series or array-like of \
shape (n_rows,)
            Positive closing prices in time order.

        Returns
        -------
        labels : pandas.Series or ndarray of shape (n_rows - horizon,)
            int64 labels in ``{-1, 0, 1}`` for the first ``n_rows - horizon`` rows; a
            Series, keeping their index, when ``X`` is a DataFrame or Series.
        """
        self._validate_params()
        return make_direction_labels(
            self._select_close(X), horizon=self.horizon, threshold=self.threshold
        )

    @staticmethod
    def _select_close(X):
        """The ``close`` column of a DataFrame (any letter case); other input as is."""
        if not isinstance(X, pd.DataFrame):
            return X
        matches = [column for column in X.columns if str(column).lower() == "close"]
        if len(matches) != 1:
            found = "several" if matches else "no"
            raise ValueError(
                f"DirectionLabeler needs exactly one 'close' column, found {found}: "
                f"{list(X.columns)}."
            )
        return X[matches[0]]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
