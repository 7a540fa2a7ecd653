"""Stacked (bi)directional LSTM with residual connections and additive attention pooling."""

import keras

from sktemporal.layers import TemporalAttentionLayer
from sktemporal.networks.base import ATTENTION_LAYER_PREFIX, NetworkGraph, apply_layers
from sktemporal.networks.recurrent import LSTM

__all__ = ["AttentionLSTMNetwork"]


class AttentionLSTMNetwork:
    """Recurrent body of the Attention-LSTM classifier.

    ``Input → [convolutional stem] → [(Bi)LSTM → Dropout] × n_layers → additive attention →
    context vector``.
    From the second recurrent layer on, each layer's output is added to its input (projected by
    a ``Dense`` layer when the widths differ) and layer-normalised, which keeps deep stacks
    trainable. The LSTM layers keep Keras' default ``tanh``/``sigmoid`` activations and no
    recurrent dropout, the conditions under which TensorFlow and PyTorch run the fused cuDNN
    kernel on a GPU.

    Parameters
    ----------
    units : tuple of int, default=(128, 64)
        Units of each LSTM layer, first layer first.
    attention_units : int, default=64
        Size of the attention scoring space.
    dropout : float, default=0.3
        Dropout rate after each recurrent layer.
    bidirectional : bool, default=True
        Wrap each LSTM in ``keras.layers.Bidirectional``. The backward direction reads the
        window from its last row to its first; a window holds only past rows, so this sees no
        future.
    l2 : float, default=0.0
        L2 penalty on the LSTM kernels (0 disables it).
    stem : ConvolutionalStem or None, default=None
        Convolution blocks that read the raw steps and shorten long windows before the LSTMs.
        The attention then weighs the stem's pooled steps (``NetworkGraph.attention_stride``).

    Examples
    --------
    >>> from sktemporal.networks import AttentionLSTMNetwork
    >>> graph = AttentionLSTMNetwork(units=(8, 4), attention_units=4).build_network((10, 3))
    >>> tuple(graph.representation.shape)
    (None, 8)
    """

    def __init__(
        self,
        units=(128, 64),
        attention_units=64,
        dropout=0.3,
        bidirectional=True,
        l2=0.0,
        stem=None,
    ):
        self.units = tuple(units)
        self.attention_units = attention_units
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.l2 = l2
        self.stem = stem

    def build_network(self, input_shape, preprocessing=None):
        """Build the body for windows of shape ``(timesteps, features)``.

        Parameters
        ----------
        input_shape : tuple of int
            ``(timesteps, features)``.
        preprocessing : keras.layers.Layer, list of them or None, default=None
            Applied to the input first, in order (the estimators pass their input
            normalisation and training-time augmentation).

        Returns
        -------
        NetworkGraph
            Input and context-vector tensors; the attention layer is named ``attention_0``.
        """
        inputs = keras.Input(shape=input_shape, name="windows")
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        x = apply_layers(inputs, preprocessing)
        stride, stem_features = 1, None
        if self.stem is not None:
            stride = self.stem.stride(input_shape[0])
            x = stem_features = self.stem(x)
        for depth, units in enumerate(self.units):
            recurrent = LSTM(
                units, return_sequences=True, kernel_regularizer=regularizer, name=f"lstm_{depth}"
            )
            if self.bidirectional:
                recurrent = keras.layers.Bidirectional(recurrent, name=f"bidirectional_{depth}")
            sequence = keras.layers.Dropout(self.dropout, name=f"dropout_{depth}")(recurrent(x))
            if depth == 0:
                x = sequence
                continue
            shortcut = x
            if shortcut.shape[-1] != sequence.shape[-1]:
                shortcut = keras.layers.Dense(sequence.shape[-1], name=f"shortcut_{depth}")(x)
            x = keras.layers.Add(name=f"residual_{depth}")([shortcut, sequence])
            x = keras.layers.LayerNormalization(name=f"layer_norm_{depth}")(x)
        context, _ = TemporalAttentionLayer(
            self.attention_units, name=f"{ATTENTION_LAYER_PREFIX}0"
        )(x)
        return NetworkGraph(inputs, context, stride, stem_features)
