"""The private Keras API sktemporal uses degrades, never breaks ``fit``, when it is gone."""

import numpy as np
import pytest

from sktemporal import AttentionLSTMClassifier
from sktemporal.classifiers import _keras_private
from tests.conftest import TINY_LSTM


def test_a_seeded_fit_without_keras_private_seed_generator_still_repeats(monkeypatch, windows):
    X, y = windows
    monkeypatch.setattr(_keras_private, "_keras_seed_generator", None)
    first = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y).predict_proba(X)
    second = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_fit_without_symbolic_build_trains_the_same_network(monkeypatch, windows):
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("sktemporal calls _symbolic_build on TensorFlow only; Keras itself needs it")
    X, y = windows
    expected = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y).predict_proba(X)
    for owner in keras.Model.__mro__:
        if "_symbolic_build" in vars(owner):
            monkeypatch.delattr(owner, "_symbolic_build")
    assert not hasattr(keras.Model, "_symbolic_build")
    proba = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)
