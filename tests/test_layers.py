import keras
import numpy as np
import pytest

from sktemporal.layers import PositionalEncodingLayer, TemporalAttentionLayer


def test_attention_weights_are_a_distribution_and_pool_the_steps():
    inputs = np.random.default_rng(0).normal(size=(3, 7, 5)).astype("float32")
    context, weights = TemporalAttentionLayer(units=4)(inputs)
    weights, context = np.asarray(weights), np.asarray(context)
    assert weights.shape == (3, 7)
    assert (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(context, np.einsum("bt,btf->bf", weights, inputs), rtol=1e-5)


def test_attention_is_not_uniform_pooling():
    """Different steps get different weights: this is attention, not average pooling."""
    inputs = np.random.default_rng(1).normal(size=(2, 9, 3)).astype("float32") * 5
    _, weights = TemporalAttentionLayer(units=8)(inputs)
    assert np.ptp(np.asarray(weights), axis=1).min() > 1e-3


def test_positional_encoding_matches_the_formula():
    encoded = np.asarray(PositionalEncodingLayer()(np.zeros((1, 4, 6), "float32")))[0]
    position, channel = 3, 4
    angle = position / 10000 ** (channel / 6)
    assert encoded[position, channel] == pytest.approx(np.sin(angle), rel=1e-5)
    assert encoded[position, channel + 1] == pytest.approx(np.cos(angle), rel=1e-5)


@pytest.mark.parametrize("layer", [TemporalAttentionLayer(3), PositionalEncodingLayer()])
def test_custom_layers_survive_a_keras_save_load_round_trip(layer, tmp_path):
    inputs = keras.Input((5, 4))
    outputs = layer(inputs)
    outputs = outputs[0] if isinstance(outputs, tuple) else outputs
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_array_equal(model.predict_on_batch(x), loaded.predict_on_batch(x))
