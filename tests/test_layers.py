import keras
import numpy as np
import pytest

from sktemporal.layers import (
    ChannelStandardization,
    PositionalEncodingLayer,
    TemporalAttentionLayer,
    WindowAugmentation,
)


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


@pytest.mark.parametrize(
    "layer",
    [
        TemporalAttentionLayer(3),
        PositionalEncodingLayer(),
        WindowAugmentation(0.1, 0.2, 0.1, seed=1),
        ChannelStandardization(mean=[1.0, -2.0, 0.0, 5.0], variance=[4.0, 0.25, 1.0, 9.0]),
    ],
)
def test_custom_layers_survive_a_keras_save_load_round_trip(layer, tmp_path):
    inputs = keras.Input((5, 4))
    outputs = layer(inputs)
    outputs = outputs[0] if isinstance(outputs, tuple) else outputs
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_array_equal(model.predict_on_batch(x), loaded.predict_on_batch(x))


def _ramps(batch=64, timesteps=20, channels=2):
    """Windows whose value at each step is that step's index, in every channel."""
    steps = np.arange(timesteps, dtype="float32")
    return np.tile(steps[None, :, None], (batch, 1, channels))


def test_augmentation_is_the_identity_at_prediction():
    windows = np.random.default_rng(0).normal(size=(4, 12, 3)).astype("float32")
    layer = WindowAugmentation(noise=0.5, shift=0.5, scale=0.5, seed=0)
    np.testing.assert_array_equal(np.asarray(layer(windows)), windows)
    np.testing.assert_array_equal(np.asarray(layer(windows, training=False)), windows)


def test_a_shifted_window_holds_only_its_own_rows_so_never_its_future():
    windows = _ramps()
    shifted = np.asarray(WindowAugmentation(shift=0.3, seed=0)(windows, training=True))
    # Every output row is a row of the same window: an index between its first and last row.
    assert np.isin(shifted, windows[0]).all()
    assert shifted.max() <= windows.shape[1] - 1 and shifted.min() >= 0
    # Each window moved as a whole, by at most round(0.3 * 20) = 6 steps, edges repeated.
    offsets = shifted[:, 10, 0] - 10
    assert np.abs(offsets).max() <= 6 and len(np.unique(offsets)) > 3
    expected = np.clip(np.arange(20)[None, :] + offsets[:, None], 0, 19)
    np.testing.assert_array_equal(shifted[:, :, 0], expected)


def test_scaling_multiplies_each_channel_of_each_window():
    windows = np.ones((500, 8, 2), "float32")
    scaled = np.asarray(WindowAugmentation(scale=0.1, seed=0)(windows, training=True))
    factors = scaled[:, 0, :]
    np.testing.assert_allclose(scaled, np.broadcast_to(factors[:, None, :], scaled.shape))
    assert abs(factors.std() - 0.1) < 0.02 and abs(factors.mean() - 1) < 0.02


def test_noise_is_scaled_to_each_channels_spread():
    rng = np.random.default_rng(0)
    windows = (rng.normal(size=(200, 30, 2)) * [1.0, 100.0]).astype("float32")
    noisy = np.asarray(WindowAugmentation(noise=0.1, seed=0)(windows, training=True))
    added = (noisy - windows).reshape(-1, 2).std(axis=0)
    np.testing.assert_allclose(added, [0.1, 10.0], rtol=0.05)


def test_augmentation_draws_repeat_under_a_seed_and_differ_between_batches():
    windows = _ramps(8)
    first = WindowAugmentation(noise=0.1, shift=0.2, scale=0.1, seed=3)
    second = WindowAugmentation(noise=0.1, shift=0.2, scale=0.1, seed=3)
    a, b = np.asarray(first(windows, training=True)), np.asarray(second(windows, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.asarray(first(windows, training=True)))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"noise": -0.1}, "noise"), ({"shift": 1.0}, "shift"), ({"scale": "big"}, "scale")],
)
def test_bad_augmentation_strengths_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WindowAugmentation(**kwargs)


def test_channel_standardization_computes_what_keras_normalization_computes():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(8, 6, 3)) * [100.0, 0.01, 1.0] + [5.0, -3.0, 0.0]).astype("float32")
    mean, variance = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    variance[2] = 0.0  # a constant channel: both divide by epsilon, not by zero
    ours = ChannelStandardization(mean=mean, variance=variance)(x)
    theirs = keras.layers.Normalization(axis=-1, mean=mean, variance=variance)(x)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_channel_standardization_keeps_its_statistics_as_weights_not_constants():
    layer = ChannelStandardization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    layer.build((None, 5, 2))
    assert [w.name for w in layer.non_trainable_weights] == ["mean", "variance"]
    assert not layer.trainable_weights
    layer.mean.assign([0.0, 0.0])  # a new value is read at the next call, not a baked-in one
    out = np.asarray(layer(np.full((1, 1, 2), 3.0, "float32")))
    np.testing.assert_allclose(out, [[[1.5, 1.0]]])


def test_channel_standardization_names_a_statistics_mismatch():
    with pytest.raises(ValueError, match="both mean and variance"):
        ChannelStandardization(mean=[0.0])
    with pytest.raises(ValueError, match="hold 2 values; the input has 3 channels"):
        ChannelStandardization(mean=[0.0, 1.0], variance=[1.0, 1.0])(np.zeros((1, 2, 3)))
