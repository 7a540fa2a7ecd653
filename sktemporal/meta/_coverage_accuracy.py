"""How many rows a confidence threshold acts on, and how accurate it is on them.

:func:`coverage_accuracy_curve` measures the trade-off that the threshold of
:class:`~sktemporal.meta.ConfidenceThresholdClassifier` controls, over a range of thresholds;
:class:`CoverageAccuracyDisplay` plots it in scikit-learn's display style.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from sktemporal.meta._docstrings import fill_docstring

__all__ = ["CoverageAccuracyCurve", "CoverageAccuracyDisplay", "coverage_accuracy_curve"]


@dataclass(frozen=True)
class CoverageAccuracyCurve:
    """Coverage and accuracy of a classifier's confident predictions, per threshold.

    Returned by :func:`coverage_accuracy_curve`; all arrays have one entry per threshold.

    Attributes
    ----------
    thresholds : ndarray of shape (n_thresholds,)
        Probability thresholds.
    coverage : ndarray of shape (n_thresholds,)
        Share of rows whose top-class probability is ``>=`` the threshold.
    accuracy : ndarray of shape (n_thresholds,)
        Accuracy of the top class on those rows; NaN where no row is acted on.
    n_acted : ndarray of shape (n_thresholds,)
        Number of rows acted on.
    """

    thresholds: np.ndarray
    coverage: np.ndarray
    accuracy: np.ndarray
    n_acted: np.ndarray

    def to_frame(self):
        """Return the curve as a DataFrame with one row per threshold.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``threshold``, ``coverage``, ``accuracy`` and ``n_acted``.
        """
        return pd.DataFrame(
            {
                "threshold": self.thresholds,
                "coverage": self.coverage,
                "accuracy": self.accuracy,
                "n_acted": self.n_acted,
            }
        )


def coverage_accuracy_curve(y_true, y_proba, classes=None, thresholds=None):
    """Share of rows acted on, and accuracy on them, for a range of confidence thresholds.

    A row is *acted on* at threshold ``t`` when its top class probability is ``>= t``, the
    rule of :func:`confidence_gate` and :class:`ConfidenceThresholdClassifier`. On those rows,
    the top class is compared with ``y_true``. A metric in scikit-learn's form (true labels,
    then scores); :class:`~sktemporal.plotting.CoverageAccuracyDisplay` plots it from an
    estimator or from predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Class probabilities, e.g. ``estimator.predict_proba(X)``.
    classes : array-like of shape (n_classes,), default=None
        The class of each column of ``y_proba`` (an estimator's ``classes_``). None: the
        sorted distinct labels of ``y_true``, which must then be one per column.
    thresholds : array-like of shape (n_thresholds,), default=None
        Thresholds in [0, 1], returned in the order given. ``None`` uses every distinct top
        probability, ascending: the curve then changes at each of its points, like
        :func:`sklearn.metrics.precision_recall_curve`.

    Returns
    -------
    curve : CoverageAccuracyCurve
        ``thresholds``, ``coverage``, ``accuracy`` (NaN where nothing is acted on) and
        ``n_acted``, one entry per threshold.

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_proba`` differ in length, ``classes`` does not give one class per
        column, or a threshold is missing or outside [0, 1].

    Notes
    -----
    The form ``coverage_accuracy_curve(estimator, X, y, thresholds)`` of earlier releases
    still works, with a ``FutureWarning``; use
    ``coverage_accuracy_curve(y, estimator.predict_proba(X), estimator.classes_)`` or
    ``CoverageAccuracyDisplay.from_estimator``.

    See Also
    --------
    ConfidenceThresholdClassifier : Classifier that abstains below a threshold.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktemporal.meta import coverage_accuracy_curve
    >>> X = np.array([[-3.0], [-2.0], [-0.1], [0.1], [2.0], [3.0]])
    >>> y = np.array([0, 0, 1, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> curve = coverage_accuracy_curve(
    ...     y, clf.predict_proba(X), clf.classes_, thresholds=[0.5, 0.8, 1.0]
    ... )
    >>> curve.coverage
    array([1.        , 0.66666667, 0.        ])
    >>> curve.accuracy
    array([0.66666667, 1.        ,        nan])
    >>> curve.n_acted
    array([6, 4, 0])
    """
    if hasattr(y_true, "fit"):  # the estimator-first form of earlier releases
        warnings.warn(
            "coverage_accuracy_curve(estimator, X, y, thresholds) is deprecated; use "
            "coverage_accuracy_curve(y, estimator.predict_proba(X), estimator.classes_, "
            "thresholds) or CoverageAccuracyDisplay.from_estimator.",
            FutureWarning,
            stacklevel=2,
        )
        estimator, X, y = y_true, y_proba, classes
        y_true, y_proba, classes = y, _estimator_proba(estimator, X), estimator.classes_
    y_true = np.asarray(y_true).reshape(-1) if np.ndim(y_true) > 1 else np.asarray(y_true)
    y_proba = np.asarray(y_proba, dtype=float)
    if y_proba.ndim != 2:
        raise ValueError(f"y_proba must be 2-D (n_samples, n_classes); got shape {y_proba.shape}.")
    check_consistent_length(y_proba, y_true)
    classes = np.unique(y_true) if classes is None else np.asarray(classes)
    if len(classes) != y_proba.shape[1]:
        raise ValueError(
            f"y_proba has {y_proba.shape[1]} columns but there are {len(classes)} classes "
            f"{classes.tolist()}; pass classes= with the class of each column."
        )
    top = np.argmax(y_proba, axis=1)
    confidence = y_proba[np.arange(len(top)), top]
    correct = classes[top] == y_true

    if thresholds is None:
        thresholds = np.unique(confidence)
    else:
        thresholds = np.asarray(thresholds, dtype=float).reshape(-1)
        bad = ~((thresholds >= 0) & (thresholds <= 1))
        if bad.any():
            raise ValueError(
                f"thresholds must lie in [0, 1] (probabilities); got {thresholds[bad].tolist()}."
            )

    # Rows sorted by decreasing confidence: the rows acted on at threshold t are a prefix.
    order = np.argsort(-confidence, kind="stable")
    sorted_confidence = confidence[order]
    correct_so_far = np.concatenate([[0], np.cumsum(correct[order])])
    n_acted = np.searchsorted(-sorted_confidence, -thresholds, side="right")
    n_correct = correct_so_far[n_acted]
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(n_acted > 0, n_correct / n_acted, np.nan)
    n_samples = len(confidence)
    coverage = n_acted / n_samples if n_samples else np.full(len(thresholds), np.nan)
    return CoverageAccuracyCurve(
        thresholds=thresholds,
        coverage=coverage,
        accuracy=accuracy,
        n_acted=n_acted,
    )


def _estimator_proba(estimator, X):
    """``estimator.predict_proba(X)``, after checking the estimator is fitted and has it."""
    check_is_fitted(estimator)
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(
            f"{type(estimator).__name__} has no predict_proba; coverage_accuracy_curve needs "
            "class probabilities to measure confidence."
        )
    return estimator.predict_proba(X)


class CoverageAccuracyDisplay:
    """Coverage and accuracy against the confidence threshold, in scikit-learn's display style.

    Build it with :meth:`from_estimator` or :meth:`from_predictions` (which compute the curve
    with :func:`coverage_accuracy_curve` and plot it), or from a curve and call :meth:`plot`.
    Plotting needs matplotlib, imported when :meth:`plot` runs.

    Parameters
    ----------
    curve : CoverageAccuracyCurve
        The curve to draw.

    Attributes
    ----------
    ax_ : matplotlib.axes.Axes
        The Axes drawn on, after :meth:`plot`.
    figure_ : matplotlib.figure.Figure
        Its figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktemporal.meta import CoverageAccuracyDisplay
    >>> X = np.array([[-3.0], [-2.0], [-0.1], [0.1], [2.0], [3.0]])
    >>> y = np.array([0, 0, 1, 0, 1, 1])
    >>> display = CoverageAccuracyDisplay.from_estimator(LogisticRegression().fit(X, y), X, y)
    >>> display.curve.n_acted.max()
    np.int64(6)
    """

    def __init__(self, curve):
        self.curve = curve

    def plot(self, ax=None):
        """Draw the curve (:func:`~sktemporal.plotting.plot_coverage_accuracy`).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        display : CoverageAccuracyDisplay
            This object, with ``ax_`` and ``figure_`` set.
        """
        from sktemporal.plotting import plot_coverage_accuracy

        self.ax_ = plot_coverage_accuracy(self.curve, ax=ax)
        self.figure_ = self.ax_.figure
        return self

    @classmethod
    @fill_docstring
    def from_estimator(cls, estimator, X, y, *, thresholds=None, ax=None):
        """Compute the curve of a fitted classifier on ``X``, ``y`` and plot it.

        Parameters
        ----------
        estimator : fitted classifier
            Any fitted classifier with ``predict_proba`` and ``classes_``.
        %(X)s
        y : array-like of shape (n_samples,)
            True labels.
        %(thresholds)s
        %(ax)s

        Returns
        -------
        display : CoverageAccuracyDisplay
        """
        proba = _estimator_proba(estimator, X)
        return cls.from_predictions(
            y, proba, classes=estimator.classes_, thresholds=thresholds, ax=ax
        )

    @classmethod
    @fill_docstring
    def from_predictions(cls, y_true, y_proba, *, classes=None, thresholds=None, ax=None):
        """Compute the curve of saved probabilities and plot it.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_proba : array-like of shape (n_samples, n_classes)
            Class probabilities.
        classes : array-like of shape (n_classes,), default=None
            The class of each column, as in :func:`coverage_accuracy_curve`.
        %(thresholds)s
        %(ax)s

        Returns
        -------
        display : CoverageAccuracyDisplay
        """
        curve = coverage_accuracy_curve(y_true, y_proba, classes, thresholds)
        return cls(curve).plot(ax=ax)
