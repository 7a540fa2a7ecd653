"""Act only on confident predictions: a classifier that abstains below a probability threshold.

The gate (:func:`confidence_gate`) is written once here, and used by the
:class:`ConfidenceThresholdClassifier`, by the market's out-of-sample positions and, in its
counting form, by :func:`~sktemporal.meta.coverage_accuracy_curve`.
"""

from numbers import Real

import numpy as np
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
from sklearn.utils.validation import check_is_fitted

from sktemporal._documentation import DocumentationLinkMixin
from sktemporal.meta._docstrings import fill_docstring

__all__ = ["ConfidenceThresholdClassifier", "confidence_gate"]


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


class ConfidenceThresholdClassifier(
    DocumentationLinkMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
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

    @fill_docstring
    def predict(self, X):
        """Predict the most probable class where it is probable enough, else abstain.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The top class where its probability is ``>= threshold``, ``abstain_label_``
            elsewhere.
        """
        check_is_fitted(self)
        return self._gate(X)[0]

    @fill_docstring
    def coverage(self, X):
        """Share of rows whose top-class probability reaches ``threshold``.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        coverage : float
            Fraction, in [0, 1], of rows on which ``predict`` does not abstain.
        """
        check_is_fitted(self)
        return float(np.mean(self._gate(X)[1]))

    @available_if(_estimator_has("predict_proba"))
    @fill_docstring
    def predict_proba(self, X):
        """Class probabilities of the wrapped estimator, unchanged.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    @fill_docstring
    def predict_log_proba(self, X):
        """Log class probabilities of the wrapped estimator, unchanged.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log probabilities, columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    @fill_docstring
    def decision_function(self, X):
        """Decision function of the wrapped estimator, unchanged.

        Parameters
        ----------
        %(X)s

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
