"""Tests for sktemporal.meta: ConfidenceThresholdClassifier and coverage_accuracy_curve."""

import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import check_classifiers_train, parametrize_with_checks

import sktemporal
from sktemporal.meta import (
    ConfidenceThresholdClassifier,
    CoverageAccuracyCurve,
    CoverageAccuracyDisplay,
    confidence_gate,
    coverage_accuracy_curve,
)

ABSTENTION_XFAIL = (
    "By design, predict returns abstain_label_ on rows whose top probability is below "
    "threshold, so it disagrees there with argmax(predict_proba) and with decision_function, "
    "which this check requires to match predict. scikit-learn marks this check as an expected "
    "failure of FixedThresholdClassifier and TunedThresholdClassifierCV for the same reason. "
    "test_classifiers_train_check_passes_without_abstention runs the check with threshold=0."
)


@parametrize_with_checks(
    # abstain_label=None: the checks fit string labels too, which the default 0 cannot join.
    [ConfidenceThresholdClassifier(LogisticRegression(), abstain_label=None)],
    expected_failed_checks=lambda estimator: {"check_classifiers_train": ABSTENTION_XFAIL},
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_classifiers_train,
        partial(check_classifiers_train, readonly_memmap=True),
        partial(check_classifiers_train, readonly_memmap=True, X_dtype="float32"),
    ],
)
def test_classifiers_train_check_passes_without_abstention(check):
    # The only check expected to fail above fails because of abstention alone: with
    # threshold=0 the classifier never abstains and must pass it.
    check(
        "ConfidenceThresholdClassifier",
        ConfidenceThresholdClassifier(LogisticRegression(), threshold=0.0),
    )


class EchoProbaClassifier(ClassifierMixin, BaseEstimator):
    """Test double whose predict_proba returns X itself: each row is a probability vector."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)


PROBA = np.array(
    [
        [0.90, 0.05, 0.05],  # confident class 0
        [0.35, 0.65, 0.00],  # exactly at the default threshold: acted on
        [0.34, 0.64, 0.02],  # just below: abstain
        [0.10, 0.10, 0.80],  # confident class 2
        [0.40, 0.20, 0.40],  # tie between classes 0 and 2, below threshold
    ]
)


def test_predicts_top_class_at_or_above_threshold_and_abstains_below():
    y = np.array([-1, 0, 1, 1, 1])  # classes -1, 0, 1; most frequent is 1
    clf = ConfidenceThresholdClassifier(EchoProbaClassifier(), abstain_label=0).fit(PROBA, y)
    assert_array_equal(clf.classes_, [-1, 0, 1])
    assert_array_equal(clf.predict(PROBA), [-1, 0, 0, 1, 0])
    assert clf.coverage(PROBA) == pytest.approx(3 / 5)


def test_threshold_is_inclusive():
    y = np.array([0, 1, 2, 2, 2])
    row = PROBA[[1]]  # top probability exactly 0.65
    for threshold, expected in [(0.65, 1), (np.nextafter(0.65, 1.0), 2)]:
        clf = ConfidenceThresholdClassifier(
            EchoProbaClassifier(), threshold=threshold, abstain_label=None
        )
        assert clf.fit(PROBA, y).predict(row)[0] == expected


def test_abstain_label_none_is_most_frequent_training_class():
    y = np.array(["down", "up", "up", "flat", "up"])
    clf = ConfidenceThresholdClassifier(EchoProbaClassifier(), abstain_label=None).fit(PROBA, y)
    assert clf.abstain_label_ == "up"
    assert_array_equal(clf.predict(PROBA), ["down", "flat", "up", "up", "up"])


def test_default_abstains_flat():
    y = np.array([-1, 0, 1, 1, 1])
    clf = ConfidenceThresholdClassifier(EchoProbaClassifier()).fit(PROBA, y)
    assert clf.abstain_label_ == 0
    assert_array_equal(clf.predict(PROBA), [-1, 0, 0, 1, 0])


def test_abstain_label_none_breaks_ties_by_first_class():
    y = np.array([2, 2, 1, 1, 0])
    clf = ConfidenceThresholdClassifier(EchoProbaClassifier(), abstain_label=None).fit(PROBA, y)
    assert clf.abstain_label_ == 1


def test_abstain_label_outside_classes_is_predicted_but_not_a_class():
    X = np.array([[0.9, 0.1], [0.55, 0.45], [0.2, 0.8]])
    y = np.array([-1, -1, 1])
    clf = ConfidenceThresholdClassifier(EchoProbaClassifier(), abstain_label=0).fit(X, y)
    assert_array_equal(clf.classes_, [-1, 1])
    y_pred = clf.predict(X)
    assert_array_equal(y_pred, [-1, 0, 1])
    assert y_pred.dtype.kind == "i"
    assert clf.predict_proba(X).shape == (3, 2)


def test_abstain_label_outside_string_classes_widens_the_dtype():
    X = np.array([[0.9, 0.1], [0.55, 0.45]])
    clf = ConfidenceThresholdClassifier(EchoProbaClassifier(), abstain_label="no trade")
    assert_array_equal(clf.fit(X, ["a", "b"]).predict(X), ["a", "no trade"])


@pytest.mark.parametrize(
    "y, abstain_label", [(["down", "up"], 0), ([0, 1], "flat")], ids=["int-str", "str-int"]
)
def test_abstain_label_of_another_kind_than_classes_raises_before_training(y, abstain_label):
    class MustNotFit(EchoProbaClassifier):
        def fit(self, X, y):
            raise AssertionError("abstain_label must be checked before training")

    X = np.array([[0.9, 0.1], [0.2, 0.8]])
    clf = ConfidenceThresholdClassifier(MustNotFit(), abstain_label=abstain_label)
    with pytest.raises(ValueError, match=rf"abstain_label={abstain_label!r} .* mix label types"):
        clf.fit(X, y)


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=200, n_features=5, n_informative=3, n_classes=3, random_state=0
    )


def test_delegates_probabilities_and_scores_to_the_fitted_clone(data):
    X, y = data
    inner = LogisticRegression()
    clf = ConfidenceThresholdClassifier(inner, threshold=0.0).fit(X, y)
    assert not hasattr(inner, "coef_"), "the estimator passed in must stay unfitted"
    reference = LogisticRegression().fit(X, y)
    assert_allclose(clf.predict_proba(X), reference.predict_proba(X))
    assert_allclose(clf.predict_log_proba(X), reference.predict_log_proba(X))
    assert_allclose(clf.decision_function(X), reference.decision_function(X))
    assert_array_equal(clf.predict(X), reference.predict(X))
    assert clf.n_features_in_ == 5


def test_methods_follow_what_the_wrapped_estimator_has(data):
    X, y = data
    clf = ConfidenceThresholdClassifier(GaussianNB())
    assert not hasattr(clf, "decision_function")
    assert hasattr(clf.fit(X, y), "predict_log_proba")


def test_estimator_without_predict_proba_is_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="'estimator' parameter .*'predict_proba'"):
        ConfidenceThresholdClassifier(LinearSVC()).fit(X, y)


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_outside_unit_interval_is_rejected(data, threshold):
    X, y = data
    with pytest.raises(ValueError, match=r"'threshold' parameter .* range \[0.0, 1.0\]"):
        ConfidenceThresholdClassifier(LogisticRegression(), threshold=threshold).fit(X, y)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "coverage"])
def test_unfitted_raises_not_fitted(data, method):
    X, _ = data
    with pytest.raises(NotFittedError):
        getattr(ConfidenceThresholdClassifier(LogisticRegression()), method)(X)


def test_higher_threshold_acts_on_fewer_rows_that_are_more_accurate(data):
    X, y = data
    clf = ConfidenceThresholdClassifier(LogisticRegression(), abstain_label=-1).fit(X, y)
    coverages, accuracies = [], []
    for threshold in [0.0, 0.6, 0.9]:
        clf.set_params(threshold=threshold)
        acted = clf.predict(X) != -1
        coverages.append(clf.coverage(X))
        accuracies.append(np.mean(clf.predict(X)[acted] == y[acted]))
        assert clf.coverage(X) == pytest.approx(acted.mean())
    assert coverages[0] == 1.0
    assert coverages[0] > coverages[1] > coverages[2] > 0
    assert accuracies[0] < accuracies[1] < accuracies[2]


def test_threshold_tuned_in_a_pipeline_by_grid_search(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), ConfidenceThresholdClassifier(LogisticRegression()))
    grid = {"confidencethresholdclassifier__threshold": [0.0, 0.95]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    # Plain accuracy counts abstentions as errors, so never abstaining must score better.
    assert scores[0] > scores[1]
    assert search.best_params_ == {"confidencethresholdclassifier__threshold": 0.0}
    assert search.best_estimator_[-1].threshold == 0.0
    assert search.best_estimator_.predict(X).shape == y.shape


def test_sample_weight_is_routed_to_the_wrapped_estimator(data):
    X, y = data
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    with config_context(enable_metadata_routing=True):
        inner = LogisticRegression().set_fit_request(sample_weight=True)
        clf = ConfidenceThresholdClassifier(inner).fit(X, y, sample_weight=weights)
    reference = LogisticRegression().fit(X, y, sample_weight=weights)
    assert_allclose(clf.estimator_.coef_, reference.coef_)
    assert not np.allclose(clf.estimator_.coef_, LogisticRegression().fit(X, y).coef_)


def test_fit_params_without_metadata_routing_raise(data):
    X, y = data
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        ConfidenceThresholdClassifier(LogisticRegression()).fit(X, y, sample_weight=np.ones(200))


def test_confidence_gate_keeps_the_top_class_where_it_is_probable_enough():
    y_pred, acted = confidence_gate(
        PROBA, classes=["a", "b", "c"], threshold=0.645, abstain_label="none"
    )
    assert_array_equal(acted, [True, True, False, True, False])
    assert_array_equal(y_pred, ["a", "b", "none", "c", "none"])


def test_coverage_accuracy_curve_by_hand():
    y = np.array([0, 1, 0, 2, 0])
    # Top probabilities 0.90, 0.65, 0.64, 0.80, 0.40 for predicted classes 0, 1, 1, 2, 0:
    # rows 0, 1, 3 and 4 are right, row 2 is wrong.
    curve = coverage_accuracy_curve(y, PROBA, [0, 1, 2], thresholds=[0.0, 0.645, 0.85, 0.95])
    assert isinstance(curve, CoverageAccuracyCurve)
    assert_allclose(curve.thresholds, [0.0, 0.645, 0.85, 0.95])
    assert_array_equal(curve.n_acted, [5, 3, 1, 0])
    assert_allclose(curve.coverage, [1.0, 0.6, 0.2, 0.0])
    assert_allclose(curve.accuracy, [0.8, 1.0, 1.0, np.nan])
    # Without classes, the sorted labels of y name the columns.
    assert_array_equal(coverage_accuracy_curve(y, PROBA).n_acted[-1], 1)


def test_coverage_accuracy_curve_default_thresholds_are_distinct_confidences():
    y = np.array([0, 1, 0, 2, 0])
    curve = coverage_accuracy_curve(y, PROBA, [0, 1, 2])
    assert_allclose(curve.thresholds, [0.40, 0.64, 0.65, 0.80, 0.90])
    assert_array_equal(curve.n_acted, [5, 4, 3, 2, 1])
    assert_allclose(curve.accuracy, [4 / 5, 3 / 4, 3 / 3, 2 / 2, 1 / 1])
    frame = curve.to_frame()
    assert list(frame.columns) == ["threshold", "coverage", "accuracy", "n_acted"]
    assert len(frame) == 5


def test_coverage_accuracy_curve_agrees_with_the_classifier(data):
    X, y = data
    clf = ConfidenceThresholdClassifier(LogisticRegression(), abstain_label=-1).fit(X, y)
    thresholds = np.linspace(0.3, 1.0, 8)
    curve = coverage_accuracy_curve(y, clf.predict_proba(X), clf.classes_, thresholds)
    for threshold, coverage, accuracy in zip(
        thresholds, curve.coverage, curve.accuracy, strict=True
    ):
        clf.set_params(threshold=threshold)
        y_pred = clf.predict(X)
        acted = y_pred != -1
        assert coverage == pytest.approx(clf.coverage(X))
        if acted.any():
            assert accuracy == pytest.approx(np.mean(y_pred[acted] == y[acted]))
        else:
            assert np.isnan(accuracy)


@pytest.mark.parametrize("thresholds", [[0.5, 1.2], [-0.1], [np.nan]])
def test_coverage_accuracy_curve_rejects_thresholds_outside_unit_interval(data, thresholds):
    X, y = data
    proba = LogisticRegression().fit(X, y).predict_proba(X)
    with pytest.raises(ValueError, match=r"thresholds must lie in \[0, 1\]"):
        coverage_accuracy_curve(y, proba, thresholds=thresholds)


def test_coverage_accuracy_curve_input_errors(data):
    X, y = data
    proba = LogisticRegression().fit(X, y).predict_proba(X)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        coverage_accuracy_curve(y[:-1], proba)
    with pytest.raises(ValueError, match="3 columns but there are 2 classes"):
        coverage_accuracy_curve(y, proba, classes=[0, 1])
    with pytest.raises(ValueError, match="must be 2-D"):
        coverage_accuracy_curve(y, proba[:, 0])


def test_the_estimator_first_form_still_works_with_a_future_warning(data):
    X, y = data
    clf = LogisticRegression().fit(X, y)
    expected = coverage_accuracy_curve(y, clf.predict_proba(X), clf.classes_, [0.5, 0.9])
    with pytest.warns(FutureWarning, match="coverage_accuracy_curve"):
        old = coverage_accuracy_curve(clf, X, y, thresholds=[0.5, 0.9])
    assert_array_equal(old.n_acted, expected.n_acted)
    assert_allclose(old.accuracy, expected.accuracy)
    with pytest.warns(FutureWarning), pytest.raises(NotFittedError):
        coverage_accuracy_curve(LogisticRegression(), X, y)
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="LinearSVC has no"):
        coverage_accuracy_curve(LinearSVC().fit(X, y), X, y)


def test_coverage_accuracy_display_from_estimator_and_from_predictions(data):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    X, y = data
    clf = LogisticRegression().fit(X, y)
    from_estimator = CoverageAccuracyDisplay.from_estimator(clf, X, y, thresholds=[0.5, 0.8])
    from_predictions = CoverageAccuracyDisplay.from_predictions(
        y, clf.predict_proba(X), classes=clf.classes_, thresholds=[0.5, 0.8]
    )
    for display in (from_estimator, from_predictions):
        assert display.ax_.figure is display.figure_
        assert len(display.ax_.get_lines()) == 2  # coverage and accuracy
    assert_array_equal(from_estimator.curve.n_acted, from_predictions.curve.n_acted)
    with pytest.raises(ValueError, match="LinearSVC has no"):
        CoverageAccuracyDisplay.from_estimator(LinearSVC().fit(X, y), X, y)
    matplotlib.pyplot.close("all")


def test_imports_without_keras():
    # A None entry in sys.modules makes any import of that name fail.
    code = (
        "import sys\n"
        "sys.modules['keras'] = sys.modules['tensorflow'] = None\n"
        "import sktemporal.meta\n"
    )
    root = str(Path(sktemporal.__file__).resolve().parents[1])
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_shared_parameter_entries_are_filled_into_every_docstring():
    import inspect

    import sktemporal.meta

    documented = []
    for name in sktemporal.meta.__all__:
        value = getattr(sktemporal.meta, name)
        documented.append(value)
        if inspect.isclass(value):
            documented += [getattr(value, a) for a in vars(value) if not a.startswith("_")]
    docs = [inspect.getdoc(value) or "" for value in documented]
    assert not [doc for doc in docs if "%(" in doc]
    # The entry written once appears in each method that takes samples.
    x_entry = (
        "X : {array-like, sparse matrix} of shape (n_samples, n_features)\n"
        "    Samples, in any form ``estimator`` accepts."
    )
    assert sum(x_entry in doc for doc in docs) == 6
