"""Out-of-sample backtest and HTML report of a model saved by ``sktemporal train``.

``sktemporal train`` keeps, for every test row of every walk-forward fold, the class
probabilities of the model fitted on that fold's training rows, and saves them beside the
model (:func:`~sktemporal.market.direction_model.oos_predictions_path`). Everything here is
computed from those **out-of-sample** predictions only, never from the final model's fit on
all rows:

- :func:`gated_positions` turns them into daily positions with the rule of
  :class:`~sktemporal.meta.ConfidenceThresholdClassifier`: the most probable class where its
  probability reaches the threshold, flat (0) elsewhere;
- :func:`backtest_predictions` and :func:`backtest_model` backtest those positions with
  :func:`~sktemporal.market.backtest.backtest` against buy-and-hold over the out-of-sample period;
- :func:`build_report` writes a self-contained HTML page: the walk-forward scores against the
  baselines, the training history, attention maps, the confusion matrix, the equity curve
  and the coverage-accuracy curve.

Only :func:`build_report` needs matplotlib and Keras (for the attention maps), and imports
them when called.
"""

import base64
import html
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from sktemporal.market.backtest import METRIC_NAMES, backtest
from sktemporal.market.direction_model import oos_predictions_path, read_pipeline, report_path
from sktemporal.market.serialization import iso_date, nan_to_none
from sktemporal.meta import coverage_accuracy_curve

__all__ = [
    "BUNDLED_SOURCE",
    "OutOfSampleBacktest",
    "SavedEvaluation",
    "backtest_model",
    "backtest_predictions",
    "build_report",
    "gated_positions",
    "load_evaluation",
    "read_oos_predictions",
]

#: ``data_source`` that ``sktemporal train`` records for the bundled S&P 500 prices.
BUNDLED_SOURCE = "bundled S&P 500"

_PREDICTION_COLUMNS = ("fold", "y_true", "predicted_class")
_PROBA_PREFIX = "proba_"
_BASELINES = ("majority", "persistence", "logistic_regression")
_METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "log_loss")
_POSITIONS = {"long": 1, "short": -1, "flat": 0}


# ---------------------------------------------------------------------------- predictions


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
        :attr:`~sktemporal.market.scores.WalkForwardResult.predictions`.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file lacks a column, has no rows, has dates that are unparsable, repeated or
        out of order, or probabilities that are missing or outside [0, 1].
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
    if dates.has_duplicates or not dates.is_monotonic_increasing:
        raise ValueError(f"'{path}': the dates must be unique and in increasing order.")
    frame.index = dates
    proba = frame[proba_columns].to_numpy(dtype=float)
    if not (np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()):
        raise ValueError(f"'{path}': the probabilities must all lie in [0, 1].")
    return frame


def _classes(predictions):
    """Class labels of the ``proba_<class>`` columns, as ints where they are ints."""
    labels = [c[len(_PROBA_PREFIX) :] for c in predictions.columns if c.startswith(_PROBA_PREFIX)]
    try:
        return np.array([int(label) for label in labels])
    except ValueError:
        return np.array(labels, dtype=object)


def _proba(predictions):
    return predictions[[c for c in predictions.columns if c.startswith(_PROBA_PREFIX)]].to_numpy(
        dtype=float
    )


def _check_threshold(threshold):
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be a probability in [0, 1], got {threshold!r}.")


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
    >>> from sktemporal.market.report import gated_positions
    >>> predictions = pd.DataFrame({"proba_-1": [0.7, 0.2, 0.3], "proba_0": [0.1, 0.1, 0.4],
    ...                             "proba_1": [0.2, 0.7, 0.3]})
    >>> gated_positions(predictions, threshold=0.65).tolist()
    [-1, 1, 0]
    """
    _check_threshold(threshold)
    proba = _proba(predictions)
    top = proba.argmax(axis=1)
    classes = _classes(predictions)
    acted = proba[np.arange(len(top)), top] >= threshold
    positions = np.where(acted, classes[top], 0)
    return pd.Series(positions, index=predictions.index, name="position")


class _SavedProbabilities(ClassifierMixin, BaseEstimator):
    """A stand-in classifier whose ``predict_proba`` returns saved probabilities of row numbers.

    It lets the out-of-sample probabilities go through :func:`coverage_accuracy_curve`, so the
    coverage and accuracy reported here follow exactly the rule used elsewhere.
    """

    def __init__(self, proba=None, classes=None):
        self.proba = proba
        self.classes = classes

    def fit(self, X=None, y=None):
        self.proba_ = np.asarray(self.proba, dtype=float)
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        return self.proba_[np.asarray(X, dtype=int).reshape(-1)]


def _coverage_curve(predictions, thresholds):
    """:func:`coverage_accuracy_curve` of the saved probabilities against ``y_true``."""
    proba = _proba(predictions)
    saved = _SavedProbabilities(proba, _classes(predictions)).fit()
    rows = np.arange(len(proba)).reshape(-1, 1)
    return coverage_accuracy_curve(saved, rows, predictions["y_true"].to_numpy(), thresholds)


# ---------------------------------------------------------------------------- backtest


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
                "coverage": self.coverage,
                "accuracy_acted": self.accuracy,
                "strategy": dict(self.result.metrics),
                "buy_and_hold": dict(self.result.benchmark_metrics),
            }
        )

    def _days_held(self):
        held = self.result.positions
        counts = {name: int((held == value).sum()) for name, value in _POSITIONS.items()}
        return ", ".join(f"{name} {count} days" for name, count in counts.items())

    def format_table(self):
        """Coverage, accuracy and metrics as text, as ``sktemporal backtest`` prints them.

        Returns
        -------
        str
        """
        rule = "long-only, " if self.long_only else ""
        lines = [
            f"out-of-sample period: {iso_date(self.positions.index[0])} to "
            f"{iso_date(self.positions.index[-1])}, {self.n_days} days; positions decided at each "
            "close, held to the next",
            f"rule: {rule}the predicted class where its probability >= {self.threshold:g}, "
            f"else flat; cost {self.cost_bps:g} bps per unit traded",
            f"acted on {self.n_acted} of {self.n_days} days: coverage {_number(self.coverage)}, "
            f"accuracy on them {_number(self.accuracy)}",
            f"positions held: {self._days_held()}",
            "",
            f"{'metric':<20}{'strategy':>14}{'buy_and_hold':>14}",
            "-" * 48,
        ]
        summary = self.summary()
        for metric, row in summary.iterrows():
            lines.append(
                f"{metric:<20}{_number(row['strategy']):>14}{_number(row['buy_and_hold']):>14}"
            )
        return "\n".join(lines)


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
    _check_threshold(threshold)
    close = _close_for(predictions.index, close)
    positions = gated_positions(predictions, threshold)
    held = pd.Series(0, index=close.index, name="position")
    held.iloc[:-1] = positions.to_numpy()  # the position at the extra last close is dropped
    result = backtest(held, close, cost_bps=cost_bps, long_only=long_only)
    curve = _coverage_curve(predictions, [threshold])
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


def _close_for(dates, close):
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


# ---------------------------------------------------------------------------- saved runs


@dataclass
class SavedEvaluation:
    """The files of one ``sktemporal train`` run that reports read, and the prices.

    Attributes
    ----------
    model_path : pathlib.Path
        The ``.keras`` model file.
    pipeline : dict
        Its preprocessing file (:func:`~sktemporal.market.direction_model.read_pipeline`).
    predictions : pandas.DataFrame
        The walk-forward out-of-sample predictions (:func:`read_oos_predictions`).
    prices : pandas.DataFrame
        The daily prices: those given, or the bundled ones the model was trained on.
    source : str
        Where the prices come from: ``"data"`` when given, else :data:`BUNDLED_SOURCE`.
    """

    model_path: Path
    pipeline: dict
    predictions: pd.DataFrame
    prices: pd.DataFrame
    source: str


def load_evaluation(model_path, data=None):
    """Read the out-of-sample predictions of a saved model, and the prices they are about.

    The network itself is not loaded (no Keras import). The predictions file must be the
    one written with the model: its SHA-256 is checked against the preprocessing file. The
    labels ``y_true`` are recomputed from the prices' closes; any difference means other
    prices than the model was evaluated on, and is an error.

    Parameters
    ----------
    model_path : str or os.PathLike
        A ``.keras`` model written by ``sktemporal train``.
    data : pandas.DataFrame, default=None
        Daily OHLCV prices, e.g. from :func:`~sktemporal.market.datasets.load_ohlcv_csv`. ``None``
        uses the bundled S&P 500 when the model was trained on it.

    Returns
    -------
    SavedEvaluation

    Raises
    ------
    FileNotFoundError
        If the model, its preprocessing file or its predictions file is missing.
    ValueError
        If the files do not belong together, ``data`` is needed but not given, or the prices
        do not match the predictions.
    """
    from sktemporal.market.labels import make_direction_labels

    model_path = Path(model_path)
    pipeline = read_pipeline(model_path)
    saved = pipeline.get("out_of_sample") or {}
    if "sha256" not in saved:
        raise ValueError(
            f"'{model_path}' records no out-of-sample predictions: it was trained by an older "
            "sktemporal. Train it again with `sktemporal train`."
        )
    path = oos_predictions_path(model_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no out-of-sample predictions file '{path}' next to the model; keep the files of "
            "one `sktemporal train` run together."
        )
    from sktemporal._atomic import sha256

    if sha256(path) != saved["sha256"]:
        raise ValueError(
            f"'{path}' is not the predictions file that was written with '{model_path}'; keep "
            "the files of one `sktemporal train` run together."
        )
    predictions = read_oos_predictions(path)

    trained_on = pipeline.get("trained_on", {}).get("data_source")
    if data is None:
        if trained_on != BUNDLED_SOURCE:
            where = f"'{trained_on}'" if trained_on else "prices it does not record"
            raise ValueError(
                f"the model was trained on {where}, not the bundled S&P 500; give those "
                "prices (--data-path, or data= in Python)."
            )
        from sktemporal.market.datasets import load_sp500

        data, source = load_sp500(), BUNDLED_SOURCE
    else:
        source = "data"
    if not isinstance(data, pd.DataFrame) or "close" not in data.columns:
        raise ValueError("data must be a DataFrame of daily prices with a 'close' column.")

    close = data["close"]
    _close_for(predictions.index, close)  # every date there, and the next close
    labels = make_direction_labels(
        close, horizon=pipeline["horizon"], threshold=pipeline["threshold"]
    )
    differ = labels.reindex(predictions.index).to_numpy() != predictions["y_true"].to_numpy()
    if differ.any():
        raise ValueError(
            f"the prices give other labels than the model was evaluated on, on "
            f"{int(differ.sum())} of {len(differ)} out-of-sample dates (the first "
            f"{iso_date(predictions.index[np.argmax(differ)])}); use the prices it was trained on."
        )
    return SavedEvaluation(model_path, pipeline, predictions, data, source)


def backtest_model(model_path, data=None, *, threshold=0.65, cost_bps=0.0, long_only=False):
    """Backtest the out-of-sample predictions saved with a model.

    :func:`load_evaluation` then :func:`backtest_predictions`; the model's fit on all rows
    is never used.

    Parameters
    ----------
    model_path : str or os.PathLike
        A ``.keras`` model written by ``sktemporal train``.
    data : pandas.DataFrame, default=None
        Daily OHLCV prices; ``None`` uses the bundled S&P 500 when the model was trained
        on it.
    threshold : float in [0, 1], default=0.65
        Smallest top-class probability acted on.
    cost_bps : float, default=0.0
        Cost of trading one unit of position, in basis points.
    long_only : bool, default=False
        Stay flat instead of going short.

    Returns
    -------
    OutOfSampleBacktest
    """
    evaluation = load_evaluation(model_path, data)
    return backtest_predictions(
        evaluation.predictions,
        evaluation.prices["close"],
        threshold=threshold,
        cost_bps=cost_bps,
        long_only=long_only,
    )


# ---------------------------------------------------------------------------- HTML report


def build_report(
    model_path,
    output_dir,
    *,
    data=None,
    threshold=0.65,
    cost_bps=0.0,
    long_only=False,
    n_windows=60,
    train_report=None,
):
    """Write a self-contained HTML report of a saved model to ``output_dir/index.html``.

    The page holds tables of the walk-forward scores of the model and the baselines (mean ±
    std, then per fold) and of the out-of-sample backtest, and six figures, embedded as PNG
    data URIs (no file or network access is needed to view it):

    1. the loss and accuracy of each epoch of the final fit;
    2. the attention each time step gets, mean and interquartile band, and
    3. a heatmap of the attention of each of the last ``n_windows`` windows of the prices,
       computed with the saved model;
    4. the confusion matrix of the out-of-sample predictions;
    5. the out-of-sample equity of the confidence-gated strategy against buy-and-hold, with
       drawdowns (:func:`backtest_predictions`);
    6. coverage and accuracy of the out-of-sample predictions against the threshold.

    Everything except the attention maps comes from the walk-forward out-of-sample
    predictions; the final model fitted on all rows is used for the attention maps only.
    The page is built in memory and written through a temporary file or folder: it is never
    seen half-written.

    Parameters
    ----------
    model_path : str or os.PathLike
        A ``.keras`` model written by ``sktemporal train``.
    output_dir : str or os.PathLike
        Folder to write ``index.html`` into; created if needed.
    data : pandas.DataFrame, default=None
        Daily OHLCV prices; ``None`` uses the bundled S&P 500 when the model was trained on
        it.
    threshold : float in [0, 1], default=0.65
        Smallest top-class probability the backtest acts on.
    cost_bps : float, default=0.0
        Cost of trading one unit of position, in basis points.
    long_only : bool, default=False
        Stay flat instead of going short.
    n_windows : int, default=60
        Most recent windows whose attention is shown.
    train_report : str or os.PathLike, default=None
        The JSON report of ``sktemporal train``; ``None`` reads ``<model_path>.report.json``.

    Returns
    -------
    pathlib.Path
        The ``index.html`` written.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    FileNotFoundError
        If a file of the training run is missing.
    ValueError
        If the files do not belong together or the prices do not match them.
    """
    from sktemporal.plotting import import_pyplot

    import_pyplot()  # fails early, with installation advice, when matplotlib is missing
    if isinstance(n_windows, bool) or not isinstance(n_windows, int) or n_windows < 1:
        raise ValueError(f"n_windows must be an integer >= 1, got {n_windows!r}.")
    _check_threshold(threshold)
    evaluation = load_evaluation(model_path, data)
    train_report = _read_train_report(train_report or report_path(model_path))
    backtested = backtest_predictions(
        evaluation.predictions,
        evaluation.prices["close"],
        threshold=threshold,
        cost_bps=cost_bps,
        long_only=long_only,
    )

    from sktemporal.market.direction_model import DirectionModel  # imports Keras

    model = DirectionModel.load(model_path)
    window_dates, windows = model.make_windows(evaluation.prices)
    window_dates, windows = window_dates[-n_windows:], windows[-n_windows:]
    attention = model.classifier.get_attention_weights(windows)

    page = _page(evaluation, train_report, backtested, model, window_dates, attention)
    output_dir = Path(output_dir)
    from sktemporal._atomic import write_directory_atomic

    write_directory_atomic(output_dir, {"index.html": page})
    return output_dir / "index.html"


def _read_train_report(path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no training report '{path}'; give the file `sktemporal train --report` wrote "
            "(--train-report, or train_report= in Python)."
        )
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        missing = [k for k in ("model_metrics", "baseline_metrics", "folds") if k not in report]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"'{path}' is not a report of `sktemporal train` ({error}).") from None
    return report


def _page(evaluation, train_report, backtested, model, window_dates, attention):
    """The HTML text of the report."""
    predictions = evaluation.predictions
    pipeline = evaluation.pipeline
    y_true = predictions["y_true"].to_numpy()
    y_pred = predictions["predicted_class"].to_numpy()
    classes = _classes(predictions)
    figures = [
        (
            "Training history of the final model",
            _history_figure(model.classifier.history_),
            "Loss and accuracy of each epoch of the fit on all labelled rows; the validation "
            "curves are on its last rows, held out for early stopping.",
        ),
        (
            "Attention over the time steps of a window",
            _attention_figure(attention),
            f"Mean attention of each time step (0 = the day predicted) over the last "
            f"{len(attention)} windows of the prices, {iso_date(window_dates[0])} to "
            f"{iso_date(window_dates[-1])}, with the band between the 25th and 75th percentiles. "
            "Computed with the final model, fitted on all labelled rows: it shows what the "
            "model looks at, not an out-of-sample result.",
        ),
        (
            "Attention of each recent window",
            _heatmap_figure(attention, window_dates),
            "One row per window, the most recent at the bottom.",
        ),
        (
            "Confusion matrix of the out-of-sample predictions",
            _confusion_figure(y_true, y_pred, classes),
            f"Most probable class against the realised label on the {len(predictions)} test "
            f"rows of the walk-forward folds; accuracy {_number(np.mean(y_true == y_pred))}.",
        ),
        (
            "Out-of-sample equity and drawdown",
            _equity_figure(backtested.result),
            f"Strategy: the predicted class where its probability >= {backtested.threshold:g}, "
            "else flat, decided at each close and held to the next"
            f"{' (long-only)' if backtested.long_only else ''}; cost "
            f"{backtested.cost_bps:g} bps per unit traded. Buy-and-hold over the same days.",
        ),
        (
            "Coverage and accuracy against the confidence threshold",
            _coverage_figure(predictions, classes, backtested.threshold),
            "Share of out-of-sample days whose top-class probability reaches the threshold, "
            "and the accuracy of the top class on them; the dashed line is the threshold of "
            "the backtest.",
        ),
    ]
    n_folds = len(train_report["folds"])
    sections = [
        _section("Run", _key_value_table(_run_rows(evaluation, train_report, model))),
        _section(
            f"Walk-forward scores, mean ± std over {n_folds} folds",
            _scores_table(train_report)
            + "<p class='note'>Each fold trains on the past only and is scored on the next "
            "block of days. majority: the training fold's most frequent class; persistence: "
            "the last realised direction (no probabilities, hence no log loss); "
            "logistic_regression: the features of the day predicted alone. Best in bold.</p>",
        ),
        _section("Walk-forward folds", _folds_table(train_report)),
        _section(
            "Out-of-sample backtest",
            f"<p>Acted on {backtested.n_acted} of {backtested.n_days} days (coverage "
            f"{_number(backtested.coverage)}), accuracy on them "
            f"{_number(backtested.accuracy)}. Positions held: {backtested._days_held()}. "
            f"Period {iso_date(backtested.positions.index[0])} to "
            f"{iso_date(backtested.result.equity.index[-1])}.</p>" + _backtest_table(backtested),
        ),
        *(_figure(title, png, caption) for title, png, caption in figures),
    ]
    title = f"sktemporal report: {evaluation.model_path.name}"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _TEMPLATE.format(
        title=_escape(title),
        subtitle=_escape(
            f"{pipeline.get('estimator', 'model')}, horizon {pipeline['horizon']}, label "
            f"threshold {pipeline['threshold']}; generated {generated} by sktemporal "
            f"{pipeline.get('sktemporal_version', '')}"
        ),
        body="\n".join(sections),
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1000px; padding: 0 1em; color: #222; line-height: 1.4; }}
h1 {{ font-size: 1.6em; margin-bottom: 0.2em; }}
h2 {{ font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }}
.subtitle, .note, figcaption {{ color: #555; font-size: 0.9em; }}
table {{ border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 0.3em 0.6em; }}
th {{ background: #f4f4f4; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
figure {{ margin: 0; }}
img {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="subtitle">{subtitle}</p>
{body}
</body>
</html>
"""


def _escape(text):
    return html.escape(str(text), quote=True)


def _section(title, content):
    return f"<section>\n<h2>{_escape(title)}</h2>\n{content}\n</section>"


def _figure(title, png, caption):
    data = base64.b64encode(png).decode("ascii")
    return _section(
        title,
        f'<figure><img src="data:image/png;base64,{data}" alt="{_escape(title)}">'
        f"<figcaption>{_escape(caption)}</figcaption></figure>",
    )


def _table(header, rows, numeric_from=1):
    """An HTML table with ``header`` cells (none when None) and one ``<tr>`` per row.

    Cells are escaped, except those given as ``("html", text)``; cells from column
    ``numeric_from`` on are right-aligned numbers; with no header, the first cell of each row
    is its row heading.
    """

    def cell(value, tag, numeric=False):
        text = value[1] if isinstance(value, tuple) and value[0] == "html" else _escape(value)
        kind = ' class="num"' if numeric else ""
        return f"<{tag}{kind}>{text}</{tag}>"

    def row(values):
        cells = [
            cell(v, "th" if i == 0 and header is None else "td", i >= numeric_from)
            for i, v in enumerate(values)
        ]
        return "<tr>" + "".join(cells) + "</tr>"

    head = ""
    if header is not None:
        head = "<thead><tr>" + "".join(cell(h, "th") for h in header) + "</tr></thead>\n"
    body = "\n".join(row(values) for values in rows)
    return f"<table>\n{head}<tbody>\n{body}\n</tbody>\n</table>"


def _key_value_table(rows):
    return _table(None, rows, numeric_from=2)


def _run_rows(evaluation, train_report, model):
    pipeline, predictions = evaluation.pipeline, evaluation.predictions
    data = train_report.get("data", {})
    trained_on = pipeline.get("trained_on", {})
    versions = train_report.get("versions", {})
    return [
        ("model file", str(evaluation.model_path)),
        ("classifier", pipeline.get("estimator", "")),
        ("trained on", trained_on.get("data_source", "not recorded")),
        ("prices used here", evaluation.source if evaluation.source != "data" else "given"),
        (
            "price rows",
            f"{data.get('n_rows', '?')}, {data.get('first_date', '?')} to "
            f"{data.get('last_date', '?')}",
        ),
        (
            "final model fitted on",
            f"{trained_on.get('n_samples', '?')} samples, "
            f"{trained_on.get('first_sample_date', '?')} to "
            f"{trained_on.get('last_sample_date', '?')}",
        ),
        (
            "out-of-sample predictions",
            f"{len(predictions)} days, {iso_date(predictions.index[0])} to "
            f"{iso_date(predictions.index[-1])}, {predictions['fold'].nunique()} folds",
        ),
        ("sequence length", pipeline["sequence_length"]),
        ("horizon (days)", pipeline["horizon"]),
        ("label threshold (flat band)", pipeline["threshold"]),
        ("classes", ", ".join(str(c) for c in _classes(predictions))),
        (
            "versions",
            ", ".join(f"{name} {value}" for name, value in versions.items() if value),
        ),
    ]


def _scores_table(train_report):
    entries = {"model": train_report["model_metrics"], **train_report["baseline_metrics"]}
    best = {}
    for metric in _METRICS:
        values = {name: entry.get(metric) for name, entry in entries.items() if entry.get(metric)}
        if values:
            pick = min if metric == "log_loss" else max
            best[metric] = pick(values, key=values.get)
    rows = []
    for name, entry in entries.items():
        row = [name]
        for metric in _METRICS:
            text = _escape(_number(entry.get(metric), entry.get("std", {}).get(metric)))
            row.append(("html", f"<b>{text}</b>" if best.get(metric) == name else text))
        rows.append(row)
    return _table(("method", *_METRICS), rows)


def _folds_table(train_report):
    names = ("model", *_BASELINES)
    rows = []
    for fold in train_report["folds"]:
        train, test = fold.get("train", {}), fold.get("test", {})
        scores = fold.get("scores", {})
        rows.append(
            [
                fold.get("fold"),
                f"{train.get('first_date')} to {train.get('last_date')}",
                f"{test.get('first_date')} to {test.get('last_date')}",
                test.get("n_samples"),
                *(_number(scores.get(name, {}).get("balanced_accuracy")) for name in names),
            ]
        )
    header = ("fold", "train", "test", "test days", *(f"{n} bal. acc." for n in names))
    return _table(header, rows, numeric_from=3)


def _backtest_table(backtested):
    summary = backtested.summary()
    rows = [
        (
            metric,
            _number(summary.loc[metric, "strategy"]),
            _number(summary.loc[metric, "buy_and_hold"]),
        )
        for metric in METRIC_NAMES
    ]
    return _table(("metric", "strategy", "buy and hold"), rows)


# ---------------------------------------------------------------------------- figures


def _new_figure(**kwargs):
    """A matplotlib Figure outside pyplot: nothing global to close, no display needed."""
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kwargs)


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _history_figure(history):
    from sktemporal.plotting import plot_history

    n_panels = 2 if "accuracy" in history or "val_accuracy" in history else 1
    from matplotlib.ticker import MaxNLocator

    figure = _new_figure(figsize=(5 * n_panels, 3.6))
    plot_history(history, axes=figure.subplots(1, n_panels, squeeze=False).ravel())
    n_epochs = len(history["loss"])
    for ax in figure.axes:  # whole epochs only, even for a single one
        ax.set_xlim(0.5, n_epochs + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    return _png(figure)


def _attention_figure(attention):
    from sktemporal.plotting import plot_attention

    figure = _new_figure(figsize=(8, 3.6))
    plot_attention(attention, ax=figure.subplots())
    return _png(figure)


def _heatmap_figure(attention, dates):
    from sktemporal.plotting import plot_attention_heatmap

    figure = _new_figure(figsize=(8, max(3.0, min(9.0, 0.12 * len(attention) + 1.5))))
    ax = plot_attention_heatmap(attention, ax=figure.subplots())
    ticks = np.unique(np.linspace(0, len(dates) - 1, min(len(dates), 8)).round().astype(int))
    ax.set_yticks(ticks, [iso_date(dates[i]) for i in ticks])
    ax.set_ylabel("window ending on")
    return _png(figure)


def _confusion_figure(y_true, y_pred, classes):
    from sktemporal.plotting import plot_confusion_matrix

    figure = _new_figure(figsize=(5, 4.2))
    ax = plot_confusion_matrix(y_true, y_pred, labels=classes, ax=figure.subplots())
    ax.set_title("Out-of-sample confusion matrix")
    return _png(figure)


def _equity_figure(result):
    from sktemporal.plotting import plot_equity

    figure = _new_figure(figsize=(9, 5.5))
    plot_equity(result, axes=figure.subplots(2, 1, sharex=True, height_ratios=[3, 1]))
    return _png(figure)


def _coverage_figure(predictions, classes, threshold):
    from sktemporal.plotting import plot_coverage_accuracy

    lowest = 1.0 / len(classes)  # the top probability is never below 1 / n_classes
    thresholds = np.unique(np.append(np.linspace(lowest, 1.0, 101), threshold))
    figure = _new_figure(figsize=(8, 3.8))
    ax = plot_coverage_accuracy(_coverage_curve(predictions, thresholds), ax=figure.subplots())
    ax.axvline(threshold, color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(lowest, 1.0)
    return _png(figure)


# ---------------------------------------------------------------------------- formatting


def _number(value, std=None):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    text = f"{value:.4f}"
    if std is not None and np.isfinite(std):
        text += f" ± {std:.4f}"
    return text
