"""Custom Keras layers: additive attention pooling and sinusoidal positional encoding.

Both use ``keras.ops`` only, so every Keras backend (TensorFlow, JAX, PyTorch) runs them, and
both are registered as Keras-serializable so saved models load without custom objects.
"""

import keras
from keras import ops

__all__ = ["TemporalAttentionLayer", "PositionalEncodingLayer"]


@keras.saving.register_keras_serializable(package="sktemporal")
class TemporalAttentionLayer(keras.layers.Layer):
    """Additive (Bahdanau) attention pooling over time steps.

    Each time step ``h_t`` gets a score ``s_t = v · tanh(W h_t + b)``; the scores are
    softmax-normalised over time into weights ``a_t`` and the layer returns the context vector
    ``sum_t a_t h_t`` together with the weights.

    Parameters
    ----------
    units : int
        Size of the hidden scoring space (the rows of ``W``).
    **kwargs
        Standard ``keras.layers.Layer`` arguments (``name``, ``dtype``...).

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.layers import TemporalAttentionLayer
    >>> context, weights = TemporalAttentionLayer(units=4)(np.ones((2, 5, 3), "float32"))
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3), (2, 5))
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, input_shape):
        features = input_shape[-1]
        self.score_kernel = self.add_weight(
            name="score_kernel", shape=(features, self.units), initializer="glorot_uniform"
        )
        self.score_bias = self.add_weight(
            name="score_bias", shape=(self.units,), initializer="zeros"
        )
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units, 1), initializer="glorot_uniform"
        )

    def call(self, inputs):
        """Pool a sequence over its time steps.

        Parameters
        ----------
        inputs : tensor of shape (batch, timesteps, features)
            The sequence to pool.

        Returns
        -------
        context : tensor of shape (batch, features)
            The attention-weighted sum of the time steps.
        weights : tensor of shape (batch, timesteps)
            Non-negative attention weights, each row summing to 1.
        """
        hidden = ops.tanh(ops.matmul(inputs, self.score_kernel) + self.score_bias)
        scores = ops.squeeze(ops.matmul(hidden, self.score_vector), axis=-1)
        # The softmax in float32 even under a mixed-precision policy, so the weights sum to 1.
        weights = ops.softmax(ops.cast(scores, "float32"), axis=-1)
        context = ops.sum(inputs * ops.cast(ops.expand_dims(weights, -1), inputs.dtype), axis=1)
        return context, weights

    def compute_output_shape(self, input_shape):
        batch, timesteps, features = input_shape
        return (batch, features), (batch, timesteps)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="sktemporal")
class PositionalEncodingLayer(keras.layers.Layer):
    """Add the sinusoidal positional encoding of *Attention Is All You Need*.

    Position ``p`` and channel pair ``(2i, 2i+1)`` get ``sin(p / 10000^(2i/d))`` and
    ``cos(p / 10000^(2i/d))``. The encoding has no weights, so windows of any length share it.

    Parameters
    ----------
    **kwargs
        Standard ``keras.layers.Layer`` arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.layers import PositionalEncodingLayer
    >>> encoded = PositionalEncodingLayer()(np.zeros((1, 3, 4), "float32"))
    >>> np.round(np.asarray(encoded)[0, 1], 3)
    array([0.841, 0.54 , 0.01 , 1.   ], dtype=float32)
    """

    def call(self, inputs):
        """Add the encoding of each position to a sequence.

        Parameters
        ----------
        inputs : tensor of shape (batch, timesteps, d_model)
            Embedded sequence.

        Returns
        -------
        tensor of shape (batch, timesteps, d_model)
            ``inputs`` plus the encoding of each position.
        """
        timesteps, d_model = ops.shape(inputs)[1], ops.shape(inputs)[2]
        positions = ops.cast(ops.arange(timesteps), self.compute_dtype)[:, None]
        channels = ops.arange(d_model)
        pair_index = ops.cast(channels // 2 * 2, self.compute_dtype)
        angles = positions / ops.power(10000.0, pair_index / ops.cast(d_model, self.compute_dtype))
        encoding = ops.where(channels % 2 == 0, ops.sin(angles), ops.cos(angles))
        return inputs + ops.cast(encoding, inputs.dtype)[None, :, :]

    def compute_output_shape(self, input_shape):
        return input_shape
