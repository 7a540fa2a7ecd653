"""Custom Keras layers: additive attention pooling, sinusoidal positional encoding,
training-time augmentation of windows and the input standardisation of each channel.

All use ``keras.ops`` only, so every Keras backend (TensorFlow, JAX, PyTorch) runs them, and
all are registered as Keras-serializable so saved models load without custom objects.
"""

import keras
import numpy as np
from keras import ops

__all__ = [
    "ChannelStandardization",
    "TemporalAttentionLayer",
    "PositionalEncodingLayer",
    "WindowAugmentation",
]


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


@keras.saving.register_keras_serializable(package="sktemporal")
class WindowAugmentation(keras.layers.Layer):
    """Random shift in time, magnitude scaling and Gaussian noise of windows, in training only.

    Three of the transforms that Iwana & Uchida ("An empirical survey of data augmentation for
    time series classification with neural networks", PLOS ONE, 2021) found to help most often,
    drawn afresh for every window of every batch while ``training`` is true; at prediction the
    layer is the identity. Keras has no preprocessing layer for sequences, hence this one; it
    uses ``keras.ops`` and ``keras.random`` only, so it runs on every backend inside the
    compiled training step, and its random draws follow Keras' seeding.

    1. **Shift**: each window moves by ``k`` steps, ``|k| <= round(shift * timesteps)``,
       and the steps it leaves empty repeat its edge row. Every output row is a row of the
       same window, so a window never sees a row after its last one.
    2. **Scale**: each channel of each window is multiplied by ``1 + scale * N(0, 1)``.
    3. **Noise**: ``noise * N(0, 1)`` times each channel's standard deviation over the batch is
       added to every value.

    Parameters
    ----------
    noise : float, default=0.0
        Standard deviation of the noise, as a share of each channel's spread (0: none).
    shift : float, default=0.0
        Largest shift, as a share of the window's length, in [0, 1) (0: none).
    scale : float, default=0.0
        Standard deviation of the scaling factor around 1 (0: none).
    seed : int or None, default=None
        Seed of the random draws; None follows Keras' global seed.
    **kwargs
        Standard ``keras.layers.Layer`` arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.layers import WindowAugmentation
    >>> layer = WindowAugmentation(noise=0.1, shift=0.2, scale=0.1, seed=0)
    >>> windows = np.ones((2, 10, 3), "float32")
    >>> bool((np.asarray(layer(windows)) == windows).all())  # prediction: unchanged
    True
    >>> tuple(layer(windows, training=True).shape)
    (2, 10, 3)
    """

    def __init__(self, noise=0.0, shift=0.0, scale=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        for name, value, upper in (
            ("noise", noise, None),
            ("shift", shift, 1),
            ("scale", scale, None),
        ):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or value < 0 or (upper is not None and value >= upper):
                bound = f"in [0, {upper})" if upper is not None else ">= 0"
                raise ValueError(f"Augmentation {name} must be a number {bound}; got {value!r}.")
        self.noise, self.shift, self.scale = float(noise), float(shift), float(scale)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        """Augment a batch of windows when ``training``; return it unchanged otherwise.

        Parameters
        ----------
        inputs : tensor of shape (batch, timesteps, channels)
            Windows.
        training : bool or None
            Whether the model is training (Keras passes it).

        Returns
        -------
        tensor of shape (batch, timesteps, channels)
        """
        if not training:
            return inputs
        x = inputs
        batch, timesteps, channels = ops.shape(x)[0], inputs.shape[1], inputs.shape[2]
        largest_shift = int(round(self.shift * timesteps))
        if largest_shift:
            offsets = keras.random.randint(
                (batch, 1), -largest_shift, largest_shift + 1, seed=self.seed_generator
            )
            source = ops.clip(ops.arange(timesteps)[None, :] - offsets, 0, timesteps - 1)
            source = ops.repeat(ops.expand_dims(source, -1), channels, axis=-1)
            x = ops.take_along_axis(x, source, axis=1)
        if self.scale:
            factors = keras.random.normal(
                (batch, 1, channels),
                mean=1.0,
                stddev=self.scale,
                dtype=x.dtype,
                seed=self.seed_generator,
            )
            x = x * factors
        if self.noise:
            spread = ops.std(inputs, axis=(0, 1), keepdims=True)
            noise = keras.random.normal(ops.shape(x), dtype=x.dtype, seed=self.seed_generator)
            x = x + ops.cast(self.noise * spread, x.dtype) * noise
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "noise": self.noise,
            "shift": self.shift,
            "scale": self.scale,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="sktemporal")
class ChannelStandardization(keras.layers.Layer):
    """Subtract each channel's mean and divide by its standard deviation, from fixed statistics.

    The computation of ``keras.layers.Normalization(axis=-1, mean=..., variance=...)``,
    ``(x - mean) / max(sqrt(variance), epsilon)``, with the statistics held as non-trainable
    weights. Keras' layer turns them into constants of the compiled graph, so two networks that
    differ only in their training data's statistics compile two different training steps;
    with weights, networks of one architecture and input shape compile to the same program,
    which JAX's compilation cache then shares (between the folds of a cross-validation, say).
    The weights are saved with the model, like any other.

    Parameters
    ----------
    mean, variance : array-like of shape (n_channels,) or None, default=None
        Statistics of each channel (the last axis); None leaves 0 and 1 until weights are
        loaded.
    **kwargs
        Standard ``keras.layers.Layer`` arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.layers import ChannelStandardization
    >>> layer = ChannelStandardization(mean=[1.0, 10.0], variance=[4.0, 100.0])
    >>> np.asarray(layer(np.array([[[3.0, 0.0]]], "float32")))
    array([[[ 1., -1.]]], dtype=float32)
    """

    def __init__(self, mean=None, variance=None, **kwargs):
        super().__init__(**kwargs)
        if (mean is None) != (variance is None):
            raise ValueError("Give both mean and variance, or neither.")
        self._initial = None if mean is None else (np.ravel(mean), np.ravel(variance))

    def build(self, input_shape):
        channels = input_shape[-1]
        if self._initial is not None and any(len(s) != channels for s in self._initial):
            raise ValueError(
                f"mean and variance hold {len(self._initial[0])} values; the input has "
                f"{channels} channels."
            )
        initial = self._initial or (np.zeros(channels), np.ones(channels))
        self.mean, self.variance = (
            self.add_weight(
                name=name,
                shape=(channels,),
                initializer=keras.initializers.Constant(values),
                trainable=False,
            )
            for name, values in zip(("mean", "variance"), initial, strict=True)
        )

    def call(self, inputs):
        """Standardise each channel of ``inputs``, a tensor whose last axis is the channels."""
        inputs = ops.cast(inputs, self.compute_dtype)
        mean = ops.cast(self.mean, self.compute_dtype)
        variance = ops.cast(self.variance, self.compute_dtype)
        return ops.divide(
            ops.subtract(inputs, mean),
            ops.maximum(ops.sqrt(variance), keras.backend.epsilon()),
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        # The statistics are weights, saved with the model's other weights.
        return super().get_config()
