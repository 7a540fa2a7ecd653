import keras
import numpy as np
import pytest

from sktemporal.networks import (
    AttentionLSTMNetwork,
    ConvolutionalStem,
    TransformerNetwork,
    spread_over_input_steps,
)


@pytest.mark.parametrize(
    "builder, width",
    [
        (AttentionLSTMNetwork(units=(6, 4), attention_units=3), 8),
        (AttentionLSTMNetwork(units=(5,), bidirectional=False), 5),
        (TransformerNetwork(d_model=8, num_heads=2, num_layers=3, ff_dim=4), 8),
    ],
)
def test_builders_return_a_vector_per_window(builder, width):
    graph = builder.build_network((12, 3))
    assert tuple(graph.inputs.shape) == (None, 12, 3)
    assert tuple(graph.representation.shape) == (None, width)


def test_seed_sized_network_has_the_measured_parameter_count():
    """BiLSTM 128 -> BiLSTM 64 -> Dense 64 -> 3 on 30x31 windows (the seed's net) has 336,643
    parameters; ours adds the attention scorer, the residual projection and a layer norm."""
    graph = AttentionLSTMNetwork().build_network((30, 31))
    x = keras.layers.Dense(64)(graph.representation)
    model = keras.Model(graph.inputs, keras.layers.Dense(3)(x))
    extra = (128 * 64 + 64 + 64) + (256 * 128 + 128) + 2 * 128
    assert model.count_params() == 336_643 + extra


def test_lstm_layers_stay_cudnn_eligible():
    """cuDNN needs tanh/sigmoid, no recurrent dropout, no unrolling (the seed's 'fix' broke it)."""
    graph = AttentionLSTMNetwork(units=(4, 4)).build_network((5, 2))
    model = keras.Model(graph.inputs, graph.representation)
    lstms = [
        layer.forward_layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Bidirectional)
    ]
    assert len(lstms) == 2
    for lstm in lstms:
        assert lstm.activation is keras.activations.tanh
        assert lstm.recurrent_activation is keras.activations.sigmoid
        assert lstm.recurrent_dropout == 0 and not lstm.unroll and lstm.use_bias


def test_transformer_rejects_heads_that_do_not_divide_the_width():
    with pytest.raises(ValueError, match="divisible"):
        TransformerNetwork(d_model=6, num_heads=4)


@pytest.mark.parametrize(
    "timesteps, max_steps, stride, pooled",
    [(427, 64, 7, 61), (1460, 64, 23, 64), (64, 64, 1, 64), (30, 64, 1, 30), (10, 3, 4, 3)],
)
def test_stem_pools_long_windows_to_at_most_max_steps(timesteps, max_steps, stride, pooled):
    stem = ConvolutionalStem(filters=(4, 6), kernel_sizes=(5, 3), max_steps=max_steps)
    assert stem.stride(timesteps) == stride
    assert tuple(stem(keras.Input((timesteps, 2))).shape) == (None, pooled, 6)


def test_an_empty_stem_is_the_identity():
    stem = ConvolutionalStem(filters=(), kernel_sizes=())
    inputs = keras.Input((500, 3))
    assert stem.stride(500) == 1 and stem(inputs) is inputs


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filters": (4, 4), "kernel_sizes": (3,)}, "one kernel size per convolution block"),
        ({"filters": (4, 0), "kernel_sizes": (3, 3)}, "filters must be positive ints"),
        ({"filters": (4,), "kernel_sizes": (2.5,)}, "kernel_sizes must be positive ints"),
        ({"max_steps": 0}, "max_steps must be a positive int"),
    ],
)
def test_stem_rejects_bad_settings_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvolutionalStem(**kwargs)


@pytest.mark.parametrize(
    "builder",
    [
        AttentionLSTMNetwork(units=(4,), attention_units=3, stem=ConvolutionalStem((4,), (3,), 8)),
        TransformerNetwork(
            d_model=4, num_heads=2, num_layers=1, stem=ConvolutionalStem((4,), (3,), 8)
        ),
    ],
)
def test_builders_with_a_stem_report_the_attention_stride(builder):
    graph = builder.build_network((50, 2))
    assert graph.attention_stride == 7  # ceil(50 / 8)
    model = keras.Model(graph.inputs, graph.representation)
    assert model.get_layer("stem_pooling").output.shape[1] == 8


def test_attention_spreads_back_to_input_steps_and_still_sums_to_one():
    rng = np.random.default_rng(0)
    pooled = rng.dirichlet(np.ones(8), size=(5, 2))  # 8 pooled steps of 3 input steps, 22 steps
    spread = spread_over_input_steps(pooled, stride=3, timesteps=22)
    assert spread.shape == (5, 2, 22)
    np.testing.assert_allclose(spread.sum(axis=-1), 1.0)
    # Each pooled step's weight is shared equally by the input steps it covers; the last one
    # covers only 22 - 21 = 1 step.
    np.testing.assert_allclose(spread[..., :3], np.repeat(pooled[..., :1] / 3, 3, axis=-1))
    np.testing.assert_allclose(spread[..., 21], pooled[..., 7])
    assert spread_over_input_steps(pooled, stride=1, timesteps=8) is pooled
