"""Fixtures shared by the tests of the market evaluation: prices and one walk-forward run.

Session-scoped, so the walk-forward run is trained once per test process. The root
``conftest.py`` registers them (``pytest_plugins``); helpers are imported as usual.
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from sktemporal.market.datasets import load_sp500
from sktemporal.market.features import TechnicalIndicators
from tests.conftest import TINY_STEM

N_ROWS, SEQUENCE_LENGTH, N_SPLITS, THRESHOLD = 400, 10, 3, 0.005
WARMUP = TechnicalIndicators.warmup_rows


class LastRowClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on the last row of each window: fast, and equal to the baseline."""

    def fit(self, X, y):
        self.model_ = LogisticRegression(max_iter=5000).fit(X[:, -1, :], y)
        self.classes_ = self.model_.classes_
        self.seen_windows_ = np.array(X)
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X[:, -1, :])

    def predict(self, X):
        return self.model_.predict(X[:, -1, :])


def direction(returns, threshold):
    return np.select([returns > threshold, returns < -threshold], [1, -1], 0)


@pytest.fixture(scope="session")
def evaluation_prices():
    return load_sp500().iloc[:N_ROWS]


@pytest.fixture(scope="session")
def evaluation_run(evaluation_prices):
    """A real walk-forward run with a tiny Attention-LSTM, refitted on all labelled rows."""
    from sktemporal import AttentionLSTMClassifier
    from sktemporal.market.walk_forward import walk_forward_evaluate

    tiny = AttentionLSTMClassifier(
        lstm_units=4, attention_units=4, dense_units=4, epochs=1, random_state=0, **TINY_STEM
    )
    return walk_forward_evaluate(
        evaluation_prices,
        tiny,
        sequence_length=SEQUENCE_LENGTH,
        n_splits=N_SPLITS,
        threshold=THRESHOLD,
    )
