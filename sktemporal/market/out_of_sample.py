"""Out-of-sample predictions of a saved run: read them, gate them, backtest them.

``sktemporal train`` keeps, for every test row of every walk-forward fold, the class
probabilities of the model fitted on that fold's training rows, and saves them beside the
model (:func:`~sktemporal.market.direction_model.oos_predictions_path`). Everything here is
computed from those **out-of-sample** predictions only, never from the final model's fit on
all rows:

- :func:`gated_positions` turns them into daily positions with the rule of
  :class:`~sktemporal.meta.ConfidenceThresholdClassifier`: the most probable class where its
  probability reaches the threshold, flat (0) elsewhere;
- :func:`backtest_predictions` backtests those positions with
  :func:`~sktemporal.market.backtest.backtest` against buy-and-hold over the out-of-sample
  period;
- :func:`~sktemporal.market.sweep.threshold_sweep` does so for a range of confidence
  thresholds (in :mod:`sktemporal.market.sweep`, with the backtest of every CPCV path).
"""

from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, validate_params

from sktemporal.market.backtest import COST_BPS_CONSTRAINT, backtest
from sktemporal.market.serialization import format_number, iso_date, nan_to_none
from sktemporal.meta import confidence_gate, coverage_accuracy_curve

__all__ = [
    "THRESHOLD_CONSTRAINT",
    "OutOfSampleBacktest",
    "backtest_predictions",
    "closes_for_dates",
    "coverage_curve",
    "gated_positions",
    "prediction_classes",
    "prediction_proba",
    "read_oos_predictions",
    "split_paths",
    "count_trades",
]

_PREDICTION_COLUMNS = ("fold", "y_true", "predicted_class")

_PROBA_PREFIX = "proba_"

_POSITIONS = {"long": 1, "short": -1, "flat": 0}


def read_oos_predictions(path):
    """Read the out-of-sample predictions file that ``sktemporal train`` writes.

    Parameters
    ----------
    path : str or os.PathLike
        A ``<model>.keras.oos.csv`` file.

    Returns
    -------
    pandas.DataFrame
        Indexed by date (``date``), with columns ``fold``, ``y_true``, ``predicted_class``
        and one ``proba_<class>`` column per class, as
        :attr:`~sktemporal.market.scores.WalkForwardResult.predictions`; a run
        cross-validated with CPCV also has a first column ``path`` (see
        :func:`split_paths`).

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file lacks a column, has no rows, has dates that are unparsable, repeated or
        out of order (within a path), paths over different dates, or probabilities that are
        missing or outside [0, 1].
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no out-of-sample predictions file at '{path}'.")
    try:
        frame = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as error:
        raise ValueError(f"'{path}' is not a predictions CSV file ({error}).") from None
    missing = [c for c in ("date", *_PREDICTION_COLUMNS) if c not in frame.columns]
    proba_columns = [c for c in frame.columns if c.startswith(_PROBA_PREFIX)]
    if missing or len(proba_columns) < 2:
        raise ValueError(
            f"'{path}' is not an out-of-sample predictions file: it needs the columns date, "
            f"fold, y_true, predicted_class and proba_<class> for 2 or more classes; got "
            f"{list(frame.columns)}."
        )
    if frame.empty:
        raise ValueError(f"'{path}' holds no predictions.")
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(frame.pop("date"), format="ISO8601"), name="date")
    except (ValueError, TypeError) as error:
        raise ValueError(f"'{path}': cannot parse its dates ({error}).") from None
    frame.index = dates
    paths = split_paths(frame) if "path" in frame.columns else [frame]
    for one in paths:
        if one.index.has_duplicates or not one.index.is_monotonic_increasing:
            raise ValueError(f"'{path}': the dates must be unique and in increasing order.")
        if not one.index.equals(paths[0].index):
            raise ValueError(f"'{path}': every path must predict the same dates.")
    proba = frame[proba_columns].to_numpy(dtype=float)
    if not (np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()):
        raise ValueError(f"'{path}': the probabilities must all lie in [0, 1].")
    return frame


def split_paths(predictions):
    """The backtest paths of CPCV predictions, each a single-path frame, in path order.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Out-of-sample predictions; with a ``path`` column when the run was cross-validated
        with CPCV (:attr:`~sktemporal.market.scores.WalkForwardResult.predictions`).

    Returns
    -------
    list of pandas.DataFrame
        One frame per path without the ``path`` column, each date once; ``[predictions]``
        without a ``path`` column.
    """
    if "path" not in predictions.columns:
        return [predictions]
    return [group.drop(columns="path") for _, group in predictions.groupby("path", sort=True)]


def prediction_classes(predictions):
    """Class labels of the ``proba_<class>`` columns, as ints where they are ints.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Out-of-sample predictions, as :func:`read_oos_predictions` returns them.

    Returns
    -------
    ndarray
        One label per probability column, in column order.
    """
    labels = [c[len(_PROBA_PREFIX) :] for c in predictions.columns if c.startswith(_PROBA_PREFIX)]
    try:
        return np.array([int(label) for label in labels])
    except ValueError:
        return np.array(labels, dtype=object)


def prediction_proba(predictions):
    """The ``proba_<class>`` columns as a float array, in :func:`prediction_classes` order."""
    return predictions[[c for c in predictions.columns if c.startswith(_PROBA_PREFIX)]].to_numpy(
        dtype=float
    )


#: ``validate_params`` constraint of a confidence threshold: a probability.
THRESHOLD_CONSTRAINT = [Interval(Real, 0, 1, closed="both")]


@validate_params(
    {"predictions": [pd.DataFrame], "threshold": THRESHOLD_CONSTRAINT},
    prefer_skip_nested_validation=True,
)
def gated_positions(predictions, threshold=0.65):
    """Daily positions from out-of-sample probabilities: act only where confident enough.

    The rule of :class:`~sktemporal.meta.ConfidenceThresholdClassifier` with
    ``abstain_label=0``: the most probable class where its probability is ``>= threshold``,
    ``0`` (flat) elsewhere. With direction labels that is ``1`` long, ``-1`` short, ``0``
    flat, decided at the close of each date.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Out-of-sample predictions with ``proba_<class>`` columns, as
        :func:`read_oos_predictions` returns them.
    threshold : float in [0, 1], default=0.65
        Smallest top-class probability acted on.

    Returns
    -------
    pandas.Series
        The position of each row of ``predictions``, named ``position``, same index.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktemporal.market.out_of_sample import gated_positions
    >>> predictions = pd.DataFrame({"proba_-1": [0.7, 0.2, 0.3], "proba_0": [0.1, 0.1, 0.4],
    ...                             "proba_1": [0.2, 0.7, 0.3]})
    >>> gated_positions(predictions, threshold=0.65).tolist()
    [-1, 1, 0]
    """
    positions, _ = confidence_gate(
        prediction_proba(predictions), prediction_classes(predictions), threshold, 0
    )
    return pd.Series(positions, index=predictions.index, name="position")


def coverage_curve(predictions, thresholds):
    """:func:`~sktemporal.meta.coverage_accuracy_curve` of saved probabilities and ``y_true``.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Out-of-sample predictions with ``y_true`` and ``proba_<class>`` columns.
    thresholds : sequence of float
        Confidence thresholds.

    Returns
    -------
    CoverageAccuracyCurve
    """
    return coverage_accuracy_curve(
        predictions["y_true"].to_numpy(),
        prediction_proba(predictions),
        prediction_classes(predictions),
        thresholds,
    )


@dataclass(frozen=True)
class OutOfSampleBacktest:
    """Backtest of confidence-gated out-of-sample predictions, from :func:`backtest_predictions`.

    Attributes
    ----------
    result : BacktestResult
        The backtest of ``positions`` against buy-and-hold, over the closes from the first
        out-of-sample date to the close after the last one.
    positions : pandas.Series
        The position decided at the close of each out-of-sample date (before ``long_only``).
    threshold : float
        Smallest top-class probability acted on.
    cost_bps : float
        Cost of trading one unit of position, in basis points.
    long_only : bool
        Whether short positions were replaced by flat ones.
    n_days : int
        Out-of-sample dates.
    n_acted : int
        Dates whose top-class probability reached ``threshold``.
    coverage : float
        ``n_acted / n_days``, the share of days acted on
        (:meth:`ConfidenceThresholdClassifier.coverage
        <sktemporal.meta.ConfidenceThresholdClassifier.coverage>`). A confident prediction of
        the flat class counts as acted on but holds no position; the backtest's ``exposure``
        is the share of days in the market.
    accuracy : float
        Accuracy of the top class on the days acted on; NaN when none is.
    """

    result: object
    positions: pd.Series
    threshold: float
    cost_bps: float
    long_only: bool
    n_days: int
    n_acted: int
    coverage: float
    accuracy: float

    def summary(self):
        """Metrics of the strategy and of buy-and-hold side by side.

        Returns
        -------
        pandas.DataFrame
            One row per backtest metric, columns ``strategy`` and ``buy_and_hold``.
        """
        return self.result.summary()

    def to_dict(self):
        """JSON-ready form: settings, coverage, accuracy and both sets of metrics (NaN → None).

        Returns
        -------
        dict
        """
        return nan_to_none(
            {
                "first_date": iso_date(self.positions.index[0]),
                "last_date": iso_date(self.positions.index[-1]),
                "n_days": self.n_days,
                "threshold": self.threshold,
                "cost_bps": self.cost_bps,
                "long_only": self.long_only,
                "n_acted": self.n_acted,
                "n_trades": self.n_trades,
                "coverage": self.coverage,
                "accuracy_acted": self.accuracy,
                "strategy": dict(self.result.metrics),
                "buy_and_hold": dict(self.result.benchmark_metrics),
            }
        )

    @property
    def n_trades(self):
        """Positions opened: days long or short, in another position than the day before."""
        return count_trades(self.result.positions)

    def no_trade_reason(self):
        """Why the strategy opened no position, in one sentence; None when it traded."""
        if self.n_trades:
            return None
        if self.n_acted == 0:
            return (
                f"0 trades: no prediction reached confidence {self.threshold:g}; the strategy "
                "held cash throughout."
            )
        rule = " (long-only)" if self.long_only else ""
        return (
            f"0 trades: every prediction at confidence >= {self.threshold:g} "
            f"({self.n_acted} days) was flat{rule}; the strategy held cash throughout."
        )

    def period(self):
        """The out-of-sample period, in one sentence shared by the CLI and the report."""
        return (
            f"out-of-sample period: positions decided at the close of {self.n_days} days from "
            f"{iso_date(self.positions.index[0])} to {iso_date(self.positions.index[-1])}, "
            f"each held to the next close; the last one closed on "
            f"{iso_date(self.result.equity.index[-1])}"
        )

    def rule(self):
        """The trading rule, in one sentence."""
        long_only = "long-only, " if self.long_only else ""
        return (
            f"rule: {long_only}the predicted class where its probability >= "
            f"{self.threshold:g}, else flat; cost {self.cost_bps:g} bps per unit traded"
        )

    def activity(self):
        """Days acted on, their accuracy, the positions held and the trades, in one sentence."""
        return (
            f"acted on {self.n_acted} of {self.n_days} days: coverage "
            f"{format_number(self.coverage)}, accuracy on them {format_number(self.accuracy)}; "
            f"positions held: {self.days_held()}; {self.n_trades} trades"
        )

    def days_held(self):
        """Days held long, short and flat, as text (``"long 12 days, short 3 days, ..."``)."""
        held = self.result.positions
        counts = {name: int((held == value).sum()) for name, value in _POSITIONS.items()}
        return ", ".join(f"{name} {count} days" for name, count in counts.items())

    def format_table(self):
        """Coverage, accuracy and metrics as text, as ``sktemporal backtest`` prints them.

        Returns
        -------
        str
        """
        lines = [
            self.period(),
            self.rule(),
            self.activity(),
            *([reason] if (reason := self.no_trade_reason()) else []),
            "",
            f"{'metric':<20}{'strategy':>14}{'buy_and_hold':>14}",
            "-" * 48,
        ]
        summary = self.summary()
        for metric, row in summary.iterrows():
            lines.append(
                f"{metric:<20}{format_number(row['strategy']):>14}{format_number(row['buy_and_hold']):>14}"
            )
        return "\n".join(lines)


@validate_params(
    {
        "predictions": [pd.DataFrame],
        "close": [pd.Series],
        "threshold": THRESHOLD_CONSTRAINT,
        "cost_bps": COST_BPS_CONSTRAINT,
        "long_only": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def backtest_predictions(predictions, close, *, threshold=0.65, cost_bps=0.0, long_only=False):
    """Backtest the confidence-gated positions of out-of-sample predictions.

    The position decided at the close of each out-of-sample date ``t``
    (:func:`gated_positions`) earns the return from ``t`` to the next close, as
    :func:`~sktemporal.market.backtest.backtest` computes it; buy-and-hold is measured over
    the same closes, from the first out-of-sample date to the close after the last one.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Out-of-sample predictions, as :func:`read_oos_predictions` returns them, indexed by
        date.
    close : pandas.Series
        Closing prices indexed by date. Every out-of-sample date must be there, without
        any other date between the first and the last, and one more close after the last.
    threshold : float in [0, 1], default=0.65
        Smallest top-class probability acted on.
    cost_bps : float, default=0.0
        Cost of trading one unit of position, in basis points of the traded value.
    long_only : bool, default=False
        Stay flat instead of going short.

    Returns
    -------
    OutOfSampleBacktest

    Raises
    ------
    ValueError
        If ``close`` lacks an out-of-sample date or the close after the last one, or has
        dates between them that have no prediction; or a setting is invalid.
    """
    close = closes_for_dates(predictions.index, close)
    positions = gated_positions(predictions, threshold)
    held = pd.Series(0, index=close.index, name="position")
    held.iloc[:-1] = positions.to_numpy()  # the position at the extra last close is dropped
    result = backtest(held, close, cost_bps=cost_bps, long_only=long_only)
    curve = coverage_curve(predictions, [threshold])
    return OutOfSampleBacktest(
        result=result,
        positions=positions,
        threshold=float(threshold),
        cost_bps=float(cost_bps),
        long_only=bool(long_only),
        n_days=len(predictions),
        n_acted=int(curve.n_acted[0]),
        coverage=float(curve.coverage[0]),
        accuracy=float(curve.accuracy[0]),
    )


def closes_for_dates(dates, close):
    """The closes of ``dates`` and of the next date, checked to be exactly those."""
    if not isinstance(close, pd.Series):
        raise ValueError("close must be a pandas Series of prices indexed by date.")
    missing = dates.difference(close.index)
    if len(missing):
        raise ValueError(
            f"the prices lack {len(missing)} of the {len(dates)} out-of-sample dates (the "
            f"first {iso_date(missing[0])}); use the prices the model was trained on."
        )
    start, end = close.index.get_loc(dates[0]), close.index.get_loc(dates[-1])
    if not isinstance(start, int) or not isinstance(end, int):
        raise ValueError("the prices have repeated dates; each date must appear once.")
    if end + 1 >= len(close):
        raise ValueError(
            f"the prices end on the last out-of-sample date {iso_date(dates[-1])}; the backtest "
            "needs the next close, to which the last position is held."
        )
    period = close.iloc[start : end + 2]
    extra = period.index[:-1].difference(dates)
    if len(extra):
        raise ValueError(
            f"the prices have {len(extra)} dates between the first and last out-of-sample "
            f"date without a prediction (the first {iso_date(extra[0])}); use the prices the "
            "model was trained on."
        )
    return period


def count_trades(positions):
    """Positions opened: entries that are long or short and differ from the previous entry.

    Parameters
    ----------
    positions : array-like of int
        Daily positions (1 long, -1 short, 0 flat); the day before the first is flat.

    Returns
    -------
    int
    """
    held = np.asarray(positions, dtype=float)
    before = np.concatenate([[0.0], held[:-1]])
    return int(np.sum((held != 0) & (held != before)))
