"""Walk-forward evaluation of a direction classifier on daily prices, against three baselines.

The procedure behind ``sktemporal train``, as library functions:

- :func:`prepare_dataset` turns OHLCV prices into causal features and the direction labels
  they can be trained on;
- :func:`walk_forward_evaluate` scores a classifier fold by fold through time, next to the
  majority-class, persistence and logistic-regression baselines, keeps the model's
  out-of-sample class probabilities of every test row, then refits it on all labelled rows.

The refitted model, :class:`~sktemporal.direction_model.DirectionModel`, and its file format
live in :mod:`sktemporal.direction_model`; ``DirectionModel``, ``fit_direction_model`` and
``pipeline_path`` can still be imported from here.
"""

import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata as importlib_metadata
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, log_loss
from sklearn.model_selection import TimeSeriesSplit
from sklearn.preprocessing import StandardScaler

from sktemporal.features import TechnicalIndicators
from sktemporal.labels import make_direction_labels
from sktemporal.windowing import SlidingWindowTransformer

if TYPE_CHECKING:
    from sktemporal.direction_model import DirectionModel

__all__ = [
    "BASELINES",
    "METRICS",
    "FoldResult",
    "WalkForwardResult",
    "feature_table",
    "minimum_rows",
    "prepare_dataset",
    "versions",
    "walk_forward_evaluate",
]

#: Metrics computed on every test fold, in report order.
METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "log_loss")
#: Baselines scored on the same folds as the model, in report order.
BASELINES = ("majority", "persistence", "logistic_regression")

_PERSISTENCE_LOG_LOSS_NOTE = (
    "persistence predicts a class, not probabilities, so it has no log loss (NaN, null in JSON)"
)
# Names that moved to sktemporal.direction_model, still importable from here. They are looked
# up on first use: that module imports this one.
_MOVED = ("DirectionModel", "fit_direction_model", "pipeline_path")


def __getattr__(name):
    if name in _MOVED:
        from sktemporal import direction_model

        return getattr(direction_model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------- data


def feature_table(ohlcv):
    """Technical indicators of every row that has a full look-back (the warm-up rows dropped).

    Parameters
    ----------
    ohlcv : pandas.DataFrame
        Daily prices in time order with ``open``, ``high``, ``low``, ``close`` and ``volume``
        columns, as :func:`sktemporal.datasets.load_ohlcv_csv` returns them.

    Returns
    -------
    features : pandas.DataFrame of shape (n_rows - TechnicalIndicators.warmup_rows, 34)
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
    indicators = TechnicalIndicators().set_output(transform="pandas")
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


def prepare_dataset(ohlcv, horizon=1, threshold=0.005):
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

    Returns
    -------
    X : pandas.DataFrame of shape (n_rows - warmup_rows - horizon, 34)
        Features of the labelled rows.
    y : pandas.Series of shape (n_rows - warmup_rows - horizon,)
        Their labels in ``{-1, 0, 1}``, with the same index as ``X``.

    See Also
    --------
    walk_forward_evaluate : Evaluates a classifier on windows of these rows.

    Examples
    --------
    >>> from sktemporal.datasets import load_sp500
    >>> from sktemporal.evaluation import prepare_dataset
    >>> X, y = prepare_dataset(load_sp500(), horizon=1)
    >>> X.shape, y.shape
    ((4981, 34), (4981,))
    >>> bool((X.index == y.index).all())
    True
    """
    features = feature_table(ohlcv)
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


def _persistence(close, horizon, threshold):
    """Direction of the return from ``t - horizon`` to ``t``: the label of row ``t - horizon``.

    Known at the close of row ``t``. NaN for the first ``horizon`` rows.
    """
    close = np.asarray(close, dtype=np.float64)
    past = np.full(len(close), np.nan)
    returns = close[horizon:] / close[:-horizon] - 1.0
    past[horizon:] = np.where(returns > threshold, 1, np.where(returns < -threshold, -1, 0))
    return past


def _windows(table, sequence_length):
    """Windows ending at every row of ``table`` that has ``sequence_length - 1`` rows before it."""
    windows = SlidingWindowTransformer(sequence_length).fit_transform(table)
    return windows[sequence_length - 1 :]


# ---------------------------------------------------------------------------- scores


def _scores(y_true, y_pred, proba, classes):
    """The fold metrics; ``proba`` columns follow ``classes``, ``None`` gives a NaN log loss."""
    with warnings.catch_warnings():
        # A class predicted but absent from a short test fold is reported, not an error.
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        balanced = balanced_accuracy_score(y_true, y_pred)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced),
        "f1_macro": float(
            f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)
        ),
        "log_loss": float("nan")
        if proba is None
        else float(log_loss(y_true, proba, labels=classes)),
    }


def _aligned_proba(proba, fitted_classes, classes):
    """Probabilities with one column per class of ``classes`` (0 for classes not fitted).

    Rows are renormalised in float64: a network's float32 probabilities miss 1 by rounding.
    """
    aligned = np.zeros((len(proba), len(classes)))
    aligned[:, np.searchsorted(classes, fitted_classes)] = proba
    return aligned / aligned.sum(axis=1, keepdims=True)


def _shares(labels, classes):
    labels = np.asarray(labels)
    return {_json_key(c): float(np.mean(labels == c)) if len(labels) else 0.0 for c in classes}


def _json_key(value):
    return str(value.item() if isinstance(value, np.generic) else value)


# ---------------------------------------------------------------------------- results


@dataclass
class FoldResult:
    """Scores of the model and the baselines on one walk-forward fold.

    Attributes
    ----------
    fold : int
        Fold number, from 1.
    train_dates : tuple of pandas.Timestamp
        First and last date of the training samples.
    test_dates : tuple of pandas.Timestamp
        First and last date of the test samples.
    n_train, n_test : int
        Training and test samples (windows).
    scores : dict of str to dict of str to float
        ``scores[name][metric]`` for ``name`` in ``("model", *BASELINES)`` and ``metric`` in
        :data:`METRICS`. The persistence log loss is NaN: it has no probabilities.
    test_class_shares : dict of str to float
        Share of each class among the test labels.
    n_iter : int or None
        Epochs the classifier ran (``n_iter_``), when it reports them.
    fit_seconds : float
        Wall time of the classifier's ``fit``.
    """

    fold: int
    train_dates: tuple
    test_dates: tuple
    n_train: int
    n_test: int
    scores: dict
    test_class_shares: dict
    n_iter: int | None = None
    fit_seconds: float = float("nan")

    def to_dict(self):
        """JSON-ready form; NaN becomes ``None``."""
        return {
            "fold": self.fold,
            "train": {
                "first_date": _date(self.train_dates[0]),
                "last_date": _date(self.train_dates[1]),
                "n_samples": self.n_train,
            },
            "test": {
                "first_date": _date(self.test_dates[0]),
                "last_date": _date(self.test_dates[1]),
                "n_samples": self.n_test,
                "class_shares": self.test_class_shares,
            },
            "scores": _nan_to_none(self.scores),
            "n_iter": self.n_iter,
            "fit_seconds": round(self.fit_seconds, 3),
        }


@dataclass
class WalkForwardResult:
    """Outcome of :func:`walk_forward_evaluate`.

    Attributes
    ----------
    folds : list of FoldResult
        Per-fold scores, in time order.
    classes : ndarray
        The classes found in the labels, sorted.
    class_shares : dict of str to float
        Share of each class among all evaluated samples.
    data : dict
        First and last date and number of rows of the prices, of the labelled rows and of the
        samples (rows with a full window and a label).
    parameters : dict
        Settings of the evaluation and the classifier's name and parameters.
    predictions : pandas.DataFrame
        The model's out-of-sample predictions: one row per test sample of every fold, and
        only those (never a training sample), in time order, each date once. Indexed by the
        sample's date (index name ``date``), with columns ``fold`` (from 1), ``y_true``,
        ``predicted_class`` (the most probable class) and one ``proba_<class>`` column per
        class of ``classes`` (e.g. ``proba_-1, proba_0, proba_1``), the probabilities of the
        model fitted on that fold's training samples.
    model : DirectionModel or None
        The classifier refitted on all labelled rows, ready to predict; ``None`` when
        ``refit=False``.
    """

    folds: list
    classes: np.ndarray
    class_shares: dict
    data: dict
    parameters: dict
    predictions: pd.DataFrame
    model: "DirectionModel | None" = None

    #: Methods scored, the model first.
    names = ("model", *BASELINES)

    def fold_scores(self):
        """Scores by fold and method, one row per (fold, method).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``(fold, method)``, with one column per metric of :data:`METRICS`.
        """
        rows = {(fold.fold, name): fold.scores[name] for fold in self.folds for name in self.names}
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(METRICS))
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=["fold", "method"])
        return frame

    def summary(self):
        """Mean and standard deviation (``ddof=1``) of each metric over the folds.

        Returns
        -------
        pandas.DataFrame
            One row per method (``"model"`` then the baselines), columns
            ``(metric, "mean" | "std")``.
        """
        scores = self.fold_scores()
        grouped = scores.groupby(level="method", sort=False)
        summary = pd.concat({"mean": grouped.mean(), "std": grouped.std(ddof=1)}, axis=1)
        return summary.swaplevel(axis=1)[[(m, s) for m in METRICS for s in ("mean", "std")]]

    def metrics(self, name="model"):
        """Fold means of every metric of one method, with their std and per-fold values.

        Parameters
        ----------
        name : str, default="model"
            ``"model"`` or one of :data:`BASELINES`.

        Returns
        -------
        dict
            ``{metric: mean, ..., "std": {metric: std}, "folds": [{metric: value}, ...]}``;
            NaN as ``None``. The persistence entry also has a ``"log_loss_note"``.
        """
        summary = self.summary().loc[name]
        entry = {metric: float(summary[(metric, "mean")]) for metric in METRICS}
        entry["std"] = {metric: float(summary[(metric, "std")]) for metric in METRICS}
        entry["folds"] = [fold.scores[name] for fold in self.folds]
        if name == "persistence":
            entry["log_loss_note"] = _PERSISTENCE_LOG_LOSS_NOTE
        return _nan_to_none(entry)

    def to_dict(self):
        """The JSON report: metrics, folds, data range, class shares, parameters and versions.

        Returns
        -------
        dict
            Top-level keys ``model_metrics``, ``baseline_metrics`` (by baseline name),
            ``folds``, ``data``, ``out_of_sample`` (date range and size of
            ``predictions``), ``class_shares``, ``parameters`` and ``versions``; plus
            ``final_model`` when the model was refitted. Serialisable with
            ``json.dumps(..., allow_nan=False)``.
        """
        report = {
            "model_metrics": self.metrics("model"),
            "baseline_metrics": {name: self.metrics(name) for name in BASELINES},
            "folds": [fold.to_dict() for fold in self.folds],
            "data": self.data,
            "out_of_sample": self.out_of_sample(),
            "class_shares": self.class_shares,
            "parameters": self.parameters,
            "versions": versions(),
        }
        if self.model is not None:
            report["final_model"] = self.model.describe()
        return report

    def out_of_sample(self):
        """Size and date range of the out-of-sample predictions.

        Returns
        -------
        dict
            ``n_samples``, ``first_date``, ``last_date`` and ``columns`` of ``predictions``.
        """
        index = self.predictions.index
        return {
            "n_samples": len(index),
            "first_date": _date(index[0]) if len(index) else None,
            "last_date": _date(index[-1]) if len(index) else None,
            "columns": list(self.predictions.columns),
        }

    def predictions_csv(self):
        """The out-of-sample predictions as CSV text, the way ``sktemporal train`` saves them.

        Returns
        -------
        str
            A header ``date,fold,y_true,predicted_class,proba_...`` and one line per
            prediction, with ``\n`` line ends; probabilities are written with enough digits
            to be read back exactly.
        """
        return self.predictions.to_csv(index_label="date", lineterminator="\n")

    def format_table(self):
        """The per-fold and mean ± std scores as a plain-text table.

        Returns
        -------
        str
            One block per fold (model and baselines as rows, metrics as columns), then the
            mean ± std over the folds, and a note on the persistence log loss.
        """
        scores, summary = self.fold_scores(), self.summary()
        header = f"{'fold':<6}{'method':<21}" + "".join(f"{m:>19}" for m in METRICS)
        lines = [header, "-" * len(header)]
        for fold in self.folds:
            period = f"test {_date(fold.test_dates[0])}..{_date(fold.test_dates[1])}"
            lines.append(f"{fold.fold:<6}{period} ({fold.n_test} samples)")
            for name in self.names:
                row = scores.loc[(fold.fold, name)]
                cells = "".join(f"{_number(row[m]):>19}" for m in METRICS)
                lines.append(f"{'':<6}{name:<21}{cells}")
        lines.append("-" * len(header))
        lines.append(f"mean ± std over {len(self.folds)} folds")
        for name in self.names:
            cells = "".join(
                f"{_number(summary.loc[name, (m, 'mean')], summary.loc[name, (m, 'std')]):>19}"
                for m in METRICS
            )
            lines.append(f"{'':<6}{name:<21}{cells}")
        lines.append(f"n/a: {_PERSISTENCE_LOG_LOSS_NOTE.split(' (')[0]}.")
        return "\n".join(lines)


def _number(mean, std=None):
    if np.isnan(mean):
        return "n/a"
    return f"{mean:.4f}" if std is None else f"{mean:.4f} ± {std:.4f}"


def _date(timestamp):
    """ISO date, with the time only when there is one (daily data give ``YYYY-MM-DD``).

    Index values that are not timestamps (e.g. a ``RangeIndex``) are returned as they are.
    """
    if not isinstance(timestamp, datetime | np.datetime64):
        return timestamp.item() if isinstance(timestamp, np.generic) else timestamp
    timestamp = pd.Timestamp(timestamp)
    if timestamp == timestamp.normalize() and timestamp.tzinfo is None:
        return timestamp.date().isoformat()
    return timestamp.isoformat()


def _nan_to_none(value):
    if isinstance(value, dict):
        return {key: _nan_to_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(item) for item in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _json_params(estimator):
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


# ---------------------------------------------------------------------------- evaluation


def _check_settings(sequence_length, horizon, threshold, n_splits):
    for name, value, low in (
        ("sequence_length", sequence_length, 1),
        ("horizon", horizon, 1),
        ("n_splits", n_splits, 2),
    ):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    if not isinstance(threshold, Real) or isinstance(threshold, bool) or not threshold >= 0:
        raise ValueError(f"threshold must be a number >= 0, got {threshold!r}.")


def _check_length(ohlcv, needed, what):
    if len(ohlcv) < needed:
        raise ValueError(f"{what} needs at least {needed} rows of prices, got {len(ohlcv)}.")


def walk_forward_evaluate(
    ohlcv,
    classifier,
    *,
    sequence_length=30,
    horizon=1,
    threshold=0.005,
    n_splits=5,
    refit=True,
    verbose=0,
):
    """Score a window classifier fold by fold through time, next to three baselines.

    The samples are the rows that have features, a label and ``sequence_length - 1`` rows of
    features before them (see :func:`prepare_dataset`). ``TimeSeriesSplit(n_splits,
    gap=horizon)`` splits them, so that no training label is computed from prices of the test
    period. In each fold:

    1. a :class:`~sklearn.preprocessing.StandardScaler` is fitted on the feature rows up to
       the last training sample only, and scales every row;
    2. :class:`~sktemporal.SlidingWindowTransformer` builds the windows over the whole scaled
       table, so a test sample's window holds its true past rows (windows are causal);
    3. a clone of ``classifier`` is fitted on the training windows and predicts the test
       windows.

    The baselines use the same folds: **majority**, the most frequent class of the training
    fold, with the training class shares as probabilities
    (``DummyClassifier(strategy="prior")``); **persistence**, the realised label of row
    ``t - horizon`` (the direction of the return from ``t - horizon`` to ``t``, known at
    ``t``), which has no probabilities and so a NaN log loss; **logistic_regression**, a
    :class:`~sklearn.linear_model.LogisticRegression` on the scaled features of row ``t``
    alone. Each method gets accuracy, balanced accuracy, macro F1 and log loss on each fold.

    Parameters
    ----------
    ohlcv : pandas.DataFrame
        Daily prices in time order with ``open``, ``high``, ``low``, ``close`` and ``volume``.
    classifier : classifier
        An unfitted classifier of windows ``(n, sequence_length, n_features)`` with
        ``predict_proba``, e.g. :class:`~sktemporal.AttentionLSTMClassifier`. It is cloned for
        every fit; its own ``verbose`` and ``random_state`` apply.
    sequence_length : int, default=30
        Rows per window, the predicted row included.
    horizon : int, default=1
        Rows ahead the labels look; also the gap between training and test samples.
    threshold : float, default=0.005
        Returns within ``[-threshold, threshold]`` are labelled flat (0).
    n_splits : int, default=5
        Walk-forward folds.
    refit : bool, default=True
        Refit the classifier on all labelled rows afterwards
        (:func:`~sktemporal.direction_model.fit_direction_model`) and return it as ``model``.
    verbose : int, default=0
        0 silent; 1 or more prints one line per fold on stderr.

    Returns
    -------
    WalkForwardResult
        Per-fold scores, their means and standard deviations, and the refitted model.

    Raises
    ------
    ValueError
        If a setting is invalid or the prices have fewer than :func:`minimum_rows` rows.

    See Also
    --------
    prepare_dataset : The features and labels evaluated.
    sktemporal.direction_model.DirectionModel : The refitted model and its file format.

    Examples
    --------
    >>> from sktemporal import AttentionLSTMClassifier
    >>> from sktemporal.datasets import load_sp500
    >>> from sktemporal.evaluation import walk_forward_evaluate
    >>> tiny = AttentionLSTMClassifier(lstm_units=2, attention_units=2, dense_units=2,
    ...                                epochs=1, random_state=0)
    >>> result = walk_forward_evaluate(load_sp500().iloc[:300], tiny, sequence_length=5,
    ...                                n_splits=2, refit=False)
    >>> result.summary().shape
    (4, 8)
    >>> sorted(result.to_dict()["baseline_metrics"])
    ['logistic_regression', 'majority', 'persistence']
    """
    _check_settings(sequence_length, horizon, threshold, n_splits)
    _check_length(
        ohlcv,
        minimum_rows(sequence_length, horizon, n_splits),
        f"a {n_splits}-fold walk-forward evaluation with sequence_length={sequence_length} "
        f"and horizon={horizon}",
    )
    X, y = prepare_dataset(ohlcv, horizon=horizon, threshold=threshold)
    features = X.to_numpy()
    context = sequence_length - 1  # feature rows that only serve as the first window's past
    y_samples = y.to_numpy()[context:]
    dates = y.index[context:]
    classes = np.unique(y_samples)
    first_sample = TechnicalIndicators.warmup_rows + context  # its position in ``ohlcv``
    persistence = _persistence(ohlcv["close"], horizon, threshold)[
        first_sample : first_sample + len(y_samples)
    ]

    folds, predictions = [], []
    splitter = TimeSeriesSplit(n_splits=n_splits, gap=horizon)
    for number, (train, test) in enumerate(splitter.split(y_samples), start=1):
        started = time.perf_counter()
        _check_classes(y_samples[train], number, dates[train[0]], dates[train[-1]])
        # Only the rows up to the last training sample are seen by the scaler.
        scaler = StandardScaler().fit(features[: train[-1] + context + 1])
        scaled = scaler.transform(features)
        windows = _windows(scaled, sequence_length)
        y_train, y_test = y_samples[train], y_samples[test]

        estimator = _fresh_clone(classifier, f"fold_{number}")
        fit_started = time.perf_counter()
        estimator.fit(windows[train], y_train)
        fit_seconds = time.perf_counter() - fit_started
        proba = _aligned_proba(estimator.predict_proba(windows[test]), estimator.classes_, classes)
        scores = {"model": _scores(y_test, classes[proba.argmax(axis=1)], proba, classes)}
        predictions.append(_prediction_frame(dates[test], number, y_test, proba, classes))

        majority = DummyClassifier(strategy="prior").fit(np.zeros((len(train), 1)), y_train)
        prior = _aligned_proba(
            majority.predict_proba(np.zeros((len(test), 1))), majority.classes_, classes
        )
        scores["majority"] = _scores(
            y_test, majority.predict(np.zeros((len(test), 1))), prior, classes
        )

        past = persistence[test]
        # Only when horizon exceeds the rows before the sample: no past label, use the majority.
        past = np.where(np.isnan(past), majority.predict(np.zeros((len(test), 1))), past)
        scores["persistence"] = _scores(y_test, past.astype(y_test.dtype), None, classes)

        rows = scaled[context:]
        logistic = LogisticRegression(max_iter=5000).fit(rows[train], y_train)
        proba = _aligned_proba(logistic.predict_proba(rows[test]), logistic.classes_, classes)
        scores["logistic_regression"] = _scores(
            y_test, logistic.predict(rows[test]), proba, classes
        )

        fold = FoldResult(
            fold=number,
            train_dates=(dates[train[0]], dates[train[-1]]),
            test_dates=(dates[test[0]], dates[test[-1]]),
            n_train=len(train),
            n_test=len(test),
            scores=scores,
            test_class_shares=_shares(y_test, classes),
            n_iter=getattr(estimator, "n_iter_", None),
            fit_seconds=fit_seconds,
        )
        folds.append(fold)
        if verbose:
            print(_progress_line(fold, n_splits, time.perf_counter() - started), file=sys.stderr)

    result = WalkForwardResult(
        folds=folds,
        classes=classes,
        class_shares=_shares(y_samples, classes),
        data={
            "n_rows": len(ohlcv),
            "first_date": _date(ohlcv.index[0]),
            "last_date": _date(ohlcv.index[-1]),
            "n_labelled_rows": len(y),
            "n_samples": len(y_samples),
            "first_sample_date": _date(dates[0]),
            "last_sample_date": _date(dates[-1]),
        },
        parameters={
            "sequence_length": sequence_length,
            "horizon": horizon,
            "threshold": threshold,
            "n_splits": n_splits,
            "warmup_rows": TechnicalIndicators.warmup_rows,
            "classifier": type(classifier).__name__,
            "classifier_params": _json_params(classifier),
        },
        predictions=pd.concat(predictions),
    )
    if refit:
        from sktemporal.direction_model import _fit_final

        result.model = _fit_final(
            X,
            y,
            _fresh_clone(classifier, "final"),
            sequence_length=sequence_length,
            horizon=horizon,
            threshold=threshold,
        )
    return result


def _fresh_clone(classifier, fit_name):
    """Unfitted copy of ``classifier``; each fit backs up into its own ``checkpoint_dir`` folder.

    Sharing one backup folder would let an interrupted fold's weights be restored into another
    fold's fit. Folds that completed are refitted on a rerun (identically, with a fixed
    ``random_state``); the fit that was interrupted resumes from its last epoch.
    """
    estimator = clone(classifier)
    checkpoint_dir = getattr(estimator, "checkpoint_dir", None)
    if checkpoint_dir is not None:
        estimator.set_params(checkpoint_dir=os.path.join(checkpoint_dir, fit_name))
    return estimator


def _prediction_frame(dates, fold, y_true, proba, classes):
    """One fold's out-of-sample rows: fold, true label, top class and probabilities."""
    frame = pd.DataFrame(
        proba,
        index=pd.Index(dates, name="date"),
        columns=[f"proba_{_json_key(c)}" for c in classes],
    )
    frame.insert(0, "predicted_class", classes[proba.argmax(axis=1)])
    frame.insert(0, "y_true", y_true)
    frame.insert(0, "fold", fold)
    return frame


def _check_classes(y_train, fold, first, last):
    present = np.unique(y_train)
    if len(present) < 2:
        raise ValueError(
            f"the training samples of fold {fold} ({_date(first)} to {_date(last)}) all have "
            f"the label {present[0]}; a classifier needs two classes. Use more rows, fewer "
            "folds or a smaller threshold."
        )


def _progress_line(fold, n_splits, seconds):
    model, majority = fold.scores["model"], fold.scores["majority"]
    epochs = "" if fold.n_iter is None else f", epochs {fold.n_iter}"
    return (
        f"fold {fold.fold}/{n_splits}: train {fold.n_train} samples to "
        f"{_date(fold.train_dates[1])}, test {fold.n_test}: accuracy "
        f"{model['accuracy']:.4f} (majority {majority['accuracy']:.4f}), balanced accuracy "
        f"{model['balanced_accuracy']:.4f}{epochs}, {seconds:.0f} s"
    )
