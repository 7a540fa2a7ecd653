"""Transformer encoder over the time steps of a window."""

import keras

from sktemporal.layers import PositionalEncodingLayer
from sktemporal.networks.base import ATTENTION_LAYER_PREFIX, NetworkGraph, apply_layers

__all__ = ["TransformerNetwork"]


class TransformerNetwork:
    """Encoder body of the Transformer classifier.

    ``Input → [convolutional stem] → Dense(d_model) → + positional encoding → Dropout →
    [MultiHeadAttention + residual, feed-forward + residual] × num_layers →
    global average pooling over time``.

    Parameters
    ----------
    d_model : int, default=64
        Width of the embedding and of every encoder block.
    num_heads : int, default=4
        Attention heads per block; each has ``d_model // num_heads`` dimensions.
    num_layers : int, default=2
        Number of encoder blocks.
    ff_dim : int, default=128
        Hidden width of each block's feed-forward network.
    dropout : float, default=0.1
        Dropout on the embedding, the attention weights and each residual branch.
    norm_first : bool, default=True
        Pre-norm blocks (layer normalisation before each sub-layer, plus one after the last
        block), which train more stably; ``False`` gives the original post-norm blocks.
    stem : ConvolutionalStem or None, default=None
        Convolution blocks that embed local shapes rather than single raw steps, and shorten
        long windows, before the encoder. Self-attention then relates the stem's pooled steps
        (``NetworkGraph.attention_stride``).

    Examples
    --------
    >>> from sktemporal.networks import TransformerNetwork
    >>> graph = TransformerNetwork(d_model=8, num_heads=2, num_layers=1).build_network((10, 3))
    >>> tuple(graph.representation.shape)
    (None, 8)
    """

    def __init__(
        self,
        d_model=64,
        num_heads=4,
        num_layers=2,
        ff_dim=128,
        dropout=0.1,
        norm_first=True,
        stem=None,
    ):
        if d_model % num_heads:
            raise ValueError(f"d_model={d_model} must be divisible by num_heads={num_heads}.")
        self.d_model = d_model
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.ff_dim = ff_dim
        self.dropout = dropout
        self.norm_first = norm_first
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
            Input and pooled tensors; block ``i``'s attention layer is named ``attention_i``.
        """
        inputs = keras.Input(shape=input_shape, name="windows")
        x = apply_layers(inputs, preprocessing)
        stride, stem_features = 1, None
        if self.stem is not None:
            stride = self.stem.stride(input_shape[0])
            x = stem_features = self.stem(x)
        x = keras.layers.Dense(self.d_model, name="embedding")(x)
        x = PositionalEncodingLayer(name="positional_encoding")(x)
        x = keras.layers.Dropout(self.dropout, name="embedding_dropout")(x)
        for depth in range(self.num_layers):
            x = self._encoder_block(x, depth)
        if self.norm_first:
            x = keras.layers.LayerNormalization(name="final_norm")(x)
        pooled = keras.layers.GlobalAveragePooling1D(name="average_over_time")(x)
        return NetworkGraph(inputs, pooled, stride, stem_features)

    def _encoder_block(self, x, depth):
        attention = keras.layers.MultiHeadAttention(
            self.num_heads,
            self.d_model // self.num_heads,
            dropout=self.dropout,
            name=f"{ATTENTION_LAYER_PREFIX}{depth}",
        )
        x = self._residual(
            x,
            lambda h: attention(h, h, return_attention_scores=True)[0],
            f"self_attention_{depth}",
        )

        def feed_forward(h):
            h = keras.layers.Dense(self.ff_dim, activation="relu", name=f"ff_hidden_{depth}")(h)
            return keras.layers.Dense(self.d_model, name=f"ff_output_{depth}")(h)

        return self._residual(x, feed_forward, f"feed_forward_{depth}")

    def _residual(self, x, sublayer, name):
        """``x + sublayer(x)`` with dropout, normalised before (pre-norm) or after (post-norm)."""
        inner = keras.layers.LayerNormalization(name=f"{name}_norm")(x) if self.norm_first else x
        branch = keras.layers.Dropout(self.dropout, name=f"{name}_dropout")(sublayer(inner))
        out = keras.layers.Add(name=f"{name}_residual")([x, branch])
        if self.norm_first:
            return out
        return keras.layers.LayerNormalization(name=f"{name}_norm")(out)
