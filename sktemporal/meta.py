"""Act only on confident predictions: a classifier that abstains below a probability threshold.

A trading signal is only worth acting on when the model is sure enough. The
:class:`ConfidenceThresholdClassifier` wraps any probabilistic classifier and predicts its most
probable class only where that class's probability reaches ``threshold``; elsewhere it predicts
``abstain_label`` (for market-direction labels, typically ``0``: stay flat).
:func:`coverage_accuracy_curve` shows the trade-off the threshold controls: how many rows are
acted on, and how accurate the predictions on those rows are.
"""

import warnings
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_consistent_length, check_is_fitted

__all__ = [
    "ConfidenceThresholdClassifier",
    "CoverageAccuracyCurve",
    "CoverageAccuracyDisplay",
    "confidence_gate",
    "coverage_accuracy_curve",
]


def confidence_gate(proba, classes, threshold, abstain_label=0):
    """The most probable class where its probability reaches ``threshold``, else abstain.

    The one rule behind :class:`ConfidenceThresholdClassifier`, :func:`coverage_accuracy_curve`
    and the market report's positions.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities, columns in the order of ``classes``.
    classes : array-like of shape (n_classes,)
        The class of each column.
    threshold : float in [0, 1]
        Smallest top-class probability acted on.
    abstain_label : object, default=0
        Predicted where the top probability is below ``threshold``.

    Returns
    -------
    y_pred : ndarray of shape (n_samples,)
        The gated predictions, of a dtype that holds both the classes and ``abstain_label``.
    acted : ndarray of bool of shape (n_samples,)
        Where the top probability reached ``threshold``.

    Examples
    --------
    >>> from sktemporal.meta import confidence_gate
    >>> confidence_gate([[0.7, 0.3], [0.55, 0.45]], classes=[-1, 1], threshold=0.6)
    (array([-1,  0]), array([ True, False]))
    """
    proba = np.asarray(proba, dtype=float)
    classes = np.asarray(classes)
    top = np.argmax(proba, axis=1)
    acted = proba[np.arange(len(top)), top] >= threshold
    # Wide enough for an abstain_label that is not a class (e.g. a longer string).
    dtype = np.result_type(classes.dtype, np.asarray(abstain_label).dtype)
    y_pred = classes[top].astype(dtype, copy=True)
    y_pred[~acted] = abstain_label
    return y_pred, acted


def _estimator_has(attr):
    """Tell ``available_if`` whether the wrapped estimator has the method ``attr``.

    The fitted ``estimator_`` is asked when there is one, the unfitted ``estimator`` otherwise.
    """

    def check(self):
        return hasattr(getattr(self, "estimator_", self.estimator), attr)

    return check


def _is_numeric_kind(kind):
    return kind in "biuf"


class ConfidenceThresholdClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Classifier that predicts only where it is confident enough, and abstains elsewhere.

    The wrapped ``estimator`` is cloned and fitted. For each row, its most probable class is
    predicted when that class's probability (the row maximum of ``predict_proba``) is at least
    ``threshold``; otherwise ``abstain_label`` is predicted. The probabilities themselves are
    the wrapped estimator's, unchanged.

    With ``k`` classes the top probability is never below ``1 / k``, so a ``threshold`` of
    ``1 / k`` or less never abstains (``threshold=0.5`` or less, for two classes).

    Parameters
    ----------
    estimator : estimator instance
        Classifier with ``fit`` and ``predict_proba``. It is cloned, never modified.
    threshold : float in [0, 1], default=0.65
        Smallest top-class probability at which the prediction is acted on (``>=``).
    abstain_label : int, float, str or None, default=0
        Label predicted where the top probability is below ``threshold``. The default suits
        market-direction labels ``{-1, 0, 1}``: below the threshold, stay flat.

        - one of the classes, e.g. ``0`` for labels ``{-1, 0, 1}`` meaning down / flat / up.
        - ``None``: the most frequent class of the ``y`` passed to ``fit`` (unweighted counts;
          ties go to the first class in ``classes_``). Abstaining then falls back to the
          prediction that needs no information about the row, as a
          :class:`~sklearn.dummy.DummyClassifier` with ``strategy="most_frequent"`` would
          make. It is a valid label whatever the label set (strings included).
        - a value that is not a class, e.g. ``0`` for labels ``{-1, 1}``. ``predict`` then
          returns a label that is not in ``classes_``; that is the point (``0`` = no trade),
          but estimators and metrics downstream must expect it, and ``score`` counts every
          abstention as an error. It must be of the same kind as the classes (a number for
          numeric classes, a string for string classes) so that predictions keep one dtype.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        The classes of ``estimator_``: the columns of ``predict_proba``. ``abstain_label`` is
        not added to them.
    abstain_label_ : int, float or str
        The label predicted on abstention: ``abstain_label``, or the most frequent class when
        ``abstain_label=None``.
    n_features_in_ : int
        Number of features seen during ``fit``, when ``estimator_`` defines it.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when ``estimator_`` defines them.

    See Also
    --------
    coverage_accuracy_curve : Share of rows acted on and their accuracy, per threshold.
    sklearn.model_selection.FixedThresholdClassifier : Moves the decision threshold of a binary
        classifier instead of abstaining.

    Notes
    -----
    ``predict`` deliberately differs from ``argmax(predict_proba)`` on rows where the
    classifier abstains; with ``threshold=0`` the two agree everywhere.

    Extra keyword arguments of ``fit`` (e.g. ``sample_weight``) are passed to the wrapped
    estimator through scikit-learn's metadata routing, as in
    :class:`~sklearn.model_selection.FixedThresholdClassifier`: enable it with
    ``sklearn.set_config(enable_metadata_routing=True)`` and request them on ``estimator``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktemporal.meta import ConfidenceThresholdClassifier
    >>> X = np.array([[-3.0], [-2.0], [-0.1], [0.1], [2.0], [3.0]])
    >>> y = np.array([-1, -1, -1, 1, 1, 1])
    >>> clf = ConfidenceThresholdClassifier(
    ...     LogisticRegression(), threshold=0.8, abstain_label=0
    ... ).fit(X, y)
    >>> clf.classes_
    array([-1,  1])
    >>> clf.predict([[-3.0], [0.0], [3.0]])
    array([-1,  0,  1])
    >>> round(clf.coverage([[-3.0], [0.0], [3.0]]), 3)
    0.667
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "abstain_label": [Real, str, None],
    }

    def __init__(self, estimator, *, threshold=0.65, abstain_label=0):
        self.estimator = estimator
        self.threshold = threshold
        self.abstain_label = abstain_label

    @_fit_context(
        # ConfidenceThresholdClassifier.estimator is not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, **params):
        """Fit a clone of the wrapped estimator and settle the abstention label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, in any form ``estimator`` accepts.
        y : array-like of shape (n_samples,)
            Target labels.
        **params : dict
            Metadata routed to ``estimator.fit`` (needs metadata routing enabled).

        Returns
        -------
        self : object
            The fitted classifier.

        Raises
        ------
        ValueError
            If ``abstain_label`` is of another kind than the class labels (a number with
            string classes, or a string with numeric classes).
        """
        _raise_for_params(params, self, "fit")
        self._check_abstain_label(y)
        routed_params = process_routing(self, "fit", **params)
        self.estimator_ = clone(self.estimator).fit(X, y, **routed_params.estimator.fit)
        if self.abstain_label is None:
            classes = np.asarray(self.estimator_.classes_)
            y = np.asarray(y).reshape(-1)
            counts = (y[np.newaxis, :] == classes[:, np.newaxis]).sum(axis=1)
            self.abstain_label_ = classes[np.argmax(counts)]
        else:
            self.abstain_label_ = self.abstain_label
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _check_abstain_label(self, y):
        """Reject, before training, an ``abstain_label`` that would mix label types."""
        if self.abstain_label is None:
            return
        y_kind = np.asarray(y).dtype.kind
        if y_kind == "O":  # object labels hold anything
            return
        label_kind = np.asarray(self.abstain_label).dtype.kind
        if _is_numeric_kind(label_kind) != _is_numeric_kind(y_kind):
            labels = np.unique(y).tolist()
            raise ValueError(
                f"abstain_label={self.abstain_label!r} is a {type(self.abstain_label).__name__} "
                f"but the class labels in y are {labels!r}; predictions would mix label "
                "types. Pass one of the classes, a label of the same type, or "
                "abstain_label=None (the most frequent class)."
            )

    @property
    def classes_(self):
        """ndarray of shape (n_classes,): the classes of the fitted ``estimator_``."""
        return self.estimator_.classes_

    def _gate(self, X):
        proba = self.estimator_.predict_proba(X)
        return confidence_gate(proba, self.classes_, self.threshold, self.abstain_label_)

    def predict(self, X):
        """Predict the most probable class where it is probable enough, else abstain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, in any form ``estimator`` accepts.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The top class where its probability is ``>= threshold``, ``abstain_label_``
            elsewhere.
        """
        check_is_fitted(self)
        return self._gate(X)[0]

    def coverage(self, X):
        """Share of rows whose top-class probability reaches ``threshold``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, in any form ``estimator`` accepts.

        Returns
        -------
        coverage : float
            Fraction, in [0, 1], of rows on which ``predict`` does not abstain.
        """
        check_is_fitted(self)
        return float(np.mean(self._gate(X)[1]))

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the wrapped estimator, unchanged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, in any form ``estimator`` accepts.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the wrapped estimator, unchanged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, in any form ``estimator`` accepts.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log probabilities, columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the wrapped estimator, unchanged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, in any form ``estimator`` accepts.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The wrapped estimator's scores.
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            Routes the metadata of ``fit`` to ``estimator.fit``.
        """
        return MetadataRouter(owner=self).add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        # X is validated by the wrapped estimator only, so it decides what input is accepted.
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        if inner.classifier_tags is not None:
            tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        return tags


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
    def from_estimator(cls, estimator, X, y, *, thresholds=None, ax=None):
        """Compute the curve of a fitted classifier on ``X``, ``y`` and plot it.

        Parameters
        ----------
        estimator : fitted classifier
            Any fitted classifier with ``predict_proba`` and ``classes_``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, in any form ``estimator`` accepts.
        y : array-like of shape (n_samples,)
            True labels.
        thresholds : array-like of shape (n_thresholds,), default=None
            As in :func:`coverage_accuracy_curve`.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : CoverageAccuracyDisplay
        """
        proba = _estimator_proba(estimator, X)
        return cls.from_predictions(
            y, proba, classes=estimator.classes_, thresholds=thresholds, ax=ax
        )

    @classmethod
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
        thresholds : array-like of shape (n_thresholds,), default=None
            As in :func:`coverage_accuracy_curve`.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : CoverageAccuracyDisplay
        """
        curve = coverage_accuracy_curve(y_true, y_proba, classes, thresholds)
        return cls(curve).plot(ax=ax)
