"""Every bad input is a ValueError naming the problem, raised before any backend code runs."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

good_X = np.random.default_rng(0).normal(size=(20, 5, 3))
good_y = np.arange(20) % 3


def _with(value, where=(3, 2, 1)):
    X = good_X.copy()
    X[where] = value
    return X


@pytest.mark.parametrize(
    "X, y, message",
    [
        (_with(np.nan), good_y, "NaN"),
        (_with(np.inf), good_y, "infinity"),
        (np.ones(20), good_y, "Expected 2D array"),
        (np.ones((20, 5, 3, 2)), good_y, "got an array of shape \\(20, 5, 3, 2\\)"),
        (np.empty((0, 5, 3)), np.empty(0), "0 sample"),
        (good_X, np.zeros(20), "only one class"),
        (good_X, good_y[:10], "inconsistent numbers of samples"),
        (good_X, np.linspace(0, 1, 20), "Unknown label type"),
        (good_X, np.where(good_y == 0, np.nan, good_y), "y contains NaN|Input y contains NaN"),
    ],
)
def test_fit_rejects(classifier, X, y, message, monkeypatch):
    monkeypatch.setattr(
        type(classifier), "_build_keras_model", lambda self: pytest.fail("backend reached")
    )
    with pytest.raises(ValueError, match=message):
        classifier.fit(X, y)


def test_prediction_rejects_changed_window_shape(fitted_classifier):
    classifier = fitted_classifier
    with pytest.raises(ValueError, match="windows of 6 time steps x 4 features.*fitted on 6 x 2"):
        classifier.predict(np.ones((2, 6, 4)))
    with pytest.raises(ValueError, match="windows of 5 time steps x 2 features"):
        classifier.predict_proba(np.ones((2, 5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        classifier.predict(np.full((2, 6, 2), np.nan))


def test_prediction_before_fit(classifier):
    with pytest.raises(NotFittedError):
        classifier.predict(good_X)


@pytest.mark.parametrize(
    "param, value, message",
    [
        ("epochs", 0, "epochs"),
        ("validation_fraction", 1.0, "validation_fraction"),
        ("class_weight", "even", "class_weight"),
        ("optimizer", 3, "optimizer"),
    ],
)
def test_bad_parameters_are_named(classifier, param, value, message):
    with pytest.raises(ValueError, match=message):
        classifier.set_params(**{param: value}).fit(good_X, good_y)
