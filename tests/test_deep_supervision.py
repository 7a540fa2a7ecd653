import keras
import numpy as np
import pytest

from sktemporal import AttentionLSTMClassifier, TransformerClassifier
from sktemporal.networks import DeepSupervision, sum_of_cross_entropies
from tests.conftest import TINY_LSTM, TINY_TRANSFORMER

MAIN = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], "float32")
AUXILIARY = np.array([[0.5, 0.25, 0.25], [0.2, 0.2, 0.6]], "float32")
LABELS = np.array([0, 1])


def test_the_layer_gives_the_main_head_at_prediction_and_the_product_in_training():
    layer = DeepSupervision()
    np.testing.assert_allclose(np.asarray(layer([MAIN, AUXILIARY])), MAIN)
    np.testing.assert_allclose(
        np.asarray(layer([MAIN, AUXILIARY], training=True)), MAIN * AUXILIARY, rtol=1e-6
    )
    weighted = DeepSupervision(weight=0.5)([MAIN, AUXILIARY], training=True)
    np.testing.assert_allclose(np.asarray(weighted), MAIN * np.sqrt(AUXILIARY), rtol=1e-6)


def test_the_training_loss_is_the_weighted_sum_of_both_heads_cross_entropies():
    def cross_entropy(p):
        return -np.log(p[np.arange(len(LABELS)), LABELS])

    for weight in (1.0, 0.3):
        output = DeepSupervision(weight=weight)([MAIN, AUXILIARY], training=True)
        loss = np.asarray(sum_of_cross_entropies(LABELS, output))
        expected = cross_entropy(MAIN) + weight * cross_entropy(AUXILIARY)
        np.testing.assert_allclose(loss, expected, rtol=1e-5)
    # At prediction it is Keras' own sparse cross-entropy of the main head.
    keras_loss = keras.losses.sparse_categorical_crossentropy(LABELS, MAIN)
    np.testing.assert_allclose(
        np.asarray(sum_of_cross_entropies(LABELS, MAIN)), np.asarray(keras_loss), rtol=1e-5
    )


@pytest.mark.parametrize("weight", [0, -1.0, True, "1"])
def test_a_bad_weight_is_named(weight):
    with pytest.raises(ValueError, match="auxiliary head's weight"):
        DeepSupervision(weight=weight)


def _windows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 24, 2)).astype("float32")
    return X, (X[:, :, 0].mean(axis=1) > 0).astype(int)


@pytest.mark.parametrize(
    "estimator",
    [
        AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 2, "stem_max_steps": 8}),
        TransformerClassifier(**{**TINY_TRANSFORMER, "epochs": 2, "stem_max_steps": 8}),
    ],
    ids=["lstm", "transformer"],
)
def test_predictions_come_from_the_main_head_alone(estimator):
    X, y = _windows()
    estimator.set_params(random_state=0).fit(X, y)
    model = estimator.model_
    assert model.get_layer("stem_probabilities") is not None
    main = keras.Model(model.inputs, model.get_layer("main_probabilities").output)
    np.testing.assert_allclose(
        estimator.predict_proba(X), np.asarray(main([X], training=False)), rtol=1e-5, atol=1e-6
    )
    assert np.isfinite(estimator.history_["loss"]).all()


def test_no_auxiliary_head_at_zero_weight_or_without_a_stem():
    X, y = _windows()
    params = {**TINY_LSTM, "epochs": 1, "random_state": 0}
    for extra in ({"deep_supervision": 0.0}, {"stem_filters": (), "stem_kernel_sizes": ()}):
        model = AttentionLSTMClassifier(**{**params, **extra}).fit(X, y).model_
        names = {layer.name for layer in model.layers}
        assert "stem_probabilities" not in names and "probabilities" in names
        assert model.loss == "sparse_categorical_crossentropy"


def test_a_negative_weight_is_rejected_by_name():
    X, y = _windows()
    with pytest.raises(ValueError, match="deep_supervision"):
        AttentionLSTMClassifier(**TINY_LSTM, deep_supervision=-1.0).fit(X, y)
