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


def _optimizer_variable_names(model):
    return [variable.name for variable in model.optimizer.variables]


def test_schedule_step_counts_are_optimizer_state_while_training_only(windows, tmp_path):
    import keras

    if keras.backend.backend() != "jax":
        pytest.skip("the step counts become state on JAX only, for its compilation cache")
    X, y = windows

    class RecordOptimizerVariables(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.names = _optimizer_variable_names(self.model)

    record = RecordOptimizerVariables()
    clf = AttentionLSTMClassifier(**TINY_LSTM, callbacks=[record]).fit(X, y)
    assert {"warmup_steps", "warmup_slope", "decay_rate"} <= set(record.names)
    # Untracked after fit: the optimizer holds what Keras recreates from its configuration.
    assert _optimizer_variable_names(clf.model_) == [
        n for n in record.names if n not in ("warmup_steps", "warmup_slope", "decay_rate")
    ]
    assert clf.model_.optimizer._learning_rate.state_variables is None
    with pytest.warns(UserWarning, match="callbacks"):  # the recording callback is not saved
        clf.save(tmp_path / "m.keras")
    import warnings

    from sktemporal import load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load(tmp_path / "m.keras")
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    for ours, theirs in zip(
        clf.model_.optimizer.variables, loaded.model_.optimizer.variables, strict=True
    ):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    before = int(clf.model_.optimizer.iterations)
    clf.partial_fit(X, y)  # traces a training step without the variables
    assert int(clf.model_.optimizer.iterations) > before


def test_fit_without_untrack_variable_keeps_the_step_counts_as_numbers(monkeypatch, windows):
    import keras

    X, y = windows
    expected = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y).predict_proba(X)
    for owner in keras.optimizers.Optimizer.__mro__:
        if "_untrack_variable" in vars(owner):
            monkeypatch.delattr(owner, "_untrack_variable")
    clf = AttentionLSTMClassifier(**TINY_LSTM).fit(X, y)
    assert "warmup_steps" not in _optimizer_variable_names(clf.model_)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-5, atol=1e-6)
