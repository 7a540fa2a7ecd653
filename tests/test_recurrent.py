"""sktemporal's LSTM: Keras' LSTM, with a hand-written backward pass on JAX without a GPU."""

import keras
import numpy as np
import pytest

from sktemporal.networks.recurrent import LSTM

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _scan_lstm(sequences, h0, c0, kernel, recurrent_kernel, bias, go_backwards):
    """The recurrence as plain ``lax.scan``, differentiated by JAX step by step."""
    projected = jnp.swapaxes(sequences @ kernel + bias, 0, 1)
    if go_backwards:
        projected = projected[::-1]

    def step(carry, z):
        h, c = carry
        i, f, g, o = jnp.split(z + h @ recurrent_kernel, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h

    (h, c), hidden = jax.lax.scan(step, (h0, c0), projected)
    return h, jnp.swapaxes(hidden, 0, 1), [h, c]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_hand_written_backward_pass_equals_jax_autodiff(go_backwards):
    from sktemporal.networks._jax_lstm import lstm_recurrence

    rng = np.random.default_rng(0)
    batch, steps, features, units = 3, 7, 4, 5
    shapes = [
        (batch, steps, features),
        (batch, units),
        (batch, units),
        (features, 4 * units),
        (units, 4 * units),
        (4 * units,),
    ]
    args = [jnp.asarray(rng.normal(size=shape), dtype="float32") for shape in shapes]
    weights = jnp.asarray(rng.normal(size=(batch, steps, units)), dtype="float32")

    def loss(function, *arrays):
        last, outputs, (h, c) = function(*arrays, go_backwards)
        # Every output is used, so every cotangent of the backward pass is exercised.
        return jnp.sum(outputs * weights) + jnp.sum(last**2) + jnp.sum(jnp.sin(c))

    ours = jax.grad(lambda *a: loss(lstm_recurrence, *a), argnums=range(6))(*args)
    reference = jax.grad(lambda *a: loss(_scan_lstm, *a), argnums=range(6))(*args)
    for name, got, expected in zip(
        ["sequences", "h0", "c0", "kernel", "recurrent_kernel", "bias"],
        ours,
        reference,
        strict=True,
    ):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(
        lstm_recurrence(*args, go_backwards)[1], _scan_lstm(*args, go_backwards)[1], atol=1e-6
    )


def test_layer_computes_what_keras_lstm_computes():
    """Same weights, same outputs, on whichever backend the tests run."""
    x = np.random.default_rng(1).normal(size=(2, 6, 3)).astype("float32")
    ours = keras.layers.Bidirectional(LSTM(4, return_sequences=True))
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    expected = theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x), expected, atol=1e-6)


def test_layer_saves_and_loads_as_an_lstm(tmp_path):
    inputs = keras.Input((6, 3))
    model = keras.Model(inputs, LSTM(4)(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded.layers[-1], LSTM) and isinstance(loaded.layers[-1], keras.layers.LSTM)
    x = np.ones((1, 6, 3), "float32")
    np.testing.assert_array_equal(loaded(x), model(x))


def test_fast_path_only_where_it_applies():
    layer = LSTM(4)
    layer.build((None, 6, 3))
    on_jax_cpu = keras.backend.backend() == "jax" and not any(
        device.platform == "gpu" for device in jax.devices()
    )
    assert layer._fast_path_applies() is on_jax_cpu
    assert LSTM(4, activation="relu")._fast_path_applies() is False
    assert LSTM(4, recurrent_dropout=0.1)._fast_path_applies() is False
