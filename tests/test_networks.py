import keras
import pytest

from sktemporal.networks import AttentionLSTMNetwork, TransformerNetwork


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
