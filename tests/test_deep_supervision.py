import keras
import numpy as np
import pytest

from sktemporal import AttentionLSTMClassifier, TransformerClassifier
from sktemporal.networks import DeepSupervision, sum_of_cross_entropies
from tests.conftest import TINY_LSTM, TINY_TRANSFORMER

MAIN = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], "float32")
AUXILIARY = np.array([[0.5, 0.25, 0.25], [0.2, 0.2, 0.6]], "float32")
LABELS = np.array([0, 1])


def test_the_layer_gives_one_or_both_heads_at_prediction_and_the_product_in_training():
    layer = DeepSupervision()
    np.testing.assert_allclose(np.asarray(layer([MAIN, AUXILIARY])), MAIN)
    ensemble = DeepSupervision(ensemble_heads=True)
    np.testing.assert_allclose(np.asarray(ensemble([MAIN, AUXILIARY])), (MAIN + AUXILIARY) / 2)
    np.testing.assert_allclose(
        np.asarray(ensemble([MAIN, AUXILIARY], training=True)), MAIN * AUXILIARY, rtol=1e-6
    )
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


def test_a_layer_saved_without_the_ensemble_option_predicts_from_the_main_head():
    config = DeepSupervision(ensemble_heads=True).get_config()
    assert config["ensemble_heads"] is True
    del config["ensemble_heads"]
    layer = DeepSupervision.from_config(config)
    np.testing.assert_allclose(np.asarray(layer([MAIN, AUXILIARY])), MAIN)


def _windows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 24, 2)).astype("float32")
    return X, (X[:, :, 0].mean(axis=1) > 0).astype(int)


@pytest.mark.parametrize("ensemble_heads", [True, False])
@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_predictions_are_the_mean_of_both_heads_or_the_main_head_alone(kind, ensemble_heads):
    X, y = _windows()
    estimator = (
        AttentionLSTMClassifier(**TINY_LSTM, stem_max_steps=8)
        if kind == "lstm"
        else TransformerClassifier(**TINY_TRANSFORMER, stem_max_steps=8)
    )
    estimator.set_params(ensemble_heads=ensemble_heads).fit(X, y)
    model = estimator.model_
    heads = keras.Model(
        model.inputs,
        [model.get_layer(name).output for name in ("main_probabilities", "stem_probabilities")],
    )
    main, auxiliary = (np.asarray(head) for head in heads([X], training=False))
    # Not a vacuous comparison: the two heads must disagree for the mean to differ from main.
    assert not np.allclose(main, auxiliary, atol=1e-3)
    expected = (main + auxiliary) / 2 if ensemble_heads else main
    np.testing.assert_allclose(estimator.predict_proba(X), expected, rtol=1e-5, atol=1e-6)
    assert np.isfinite(estimator.history_["loss"]).all()


def test_no_auxiliary_head_at_zero_weight_or_without_a_stem():
    X, y = _windows()
    params = {**TINY_LSTM, "epochs": 1, "random_state": 0}
    for extra in ({"deep_supervision": 0.0}, {"stem_filters": (), "stem_kernel_sizes": ()}):
        model = AttentionLSTMClassifier(**{**params, **extra}).fit(X, y).model_
        names = {layer.name for layer in model.layers}
        assert "stem_probabilities" not in names and "probabilities" in names
        assert model.loss == "sparse_categorical_crossentropy"


@pytest.mark.parametrize(
    "bad", [{"deep_supervision": -1.0}, {"ensemble_heads": "yes"}], ids=["weight", "ensemble"]
)
def test_a_bad_option_is_rejected_by_name(bad):
    X, y = _windows()
    with pytest.raises(ValueError, match=next(iter(bad))):
        AttentionLSTMClassifier(**TINY_LSTM, **bad).fit(X, y)
