"""Convolutional stem: local features at full resolution, then a shorter sequence.

Recurrent layers read one step at a time and self-attention costs the square of the length, so
both struggle with windows of hundreds or thousands of raw steps: an LSTM over 1,460 steps
forgets, trains slowly and costs minutes per epoch on a CPU. The stem follows the
convolutional front ends of ALSTM-FCN (Karim et al., 2018: ``Conv1D`` blocks of 128-256-128
filters with kernels 8-5-3, batch normalisation and ReLU), ConvTran (Foumani et al., 2024:
convolutional embedding before the encoder) and PatchTST (Nie et al., 2023: a shorter sequence
of patches before self-attention): a first convolution block reads the raw steps, max pooling
then shortens the sequence to at most ``max_steps`` steps, and the remaining blocks work on
the shorter sequence.
"""

import math

import keras
import numpy as np

__all__ = ["ConvolutionalStem", "spread_over_input_steps"]


class ConvolutionalStem:
    """``[Conv1D → BatchNormalization → ReLU]`` blocks with max pooling after the first.

    Parameters
    ----------
    filters : tuple of int, default=(128, 256, 128)
        Filters of each convolution block, first block first. An empty tuple makes the stem the
        identity (no convolution, no pooling).
    kernel_sizes : tuple of int, default=(8, 5, 3)
        Kernel size of each block; as long as ``filters``.
    max_steps : int, default=64
        Longest sequence the stem hands on. Longer windows are max-pooled after the first block
        with pool size and stride ``stride(timesteps) = ceil(timesteps / max_steps)``.
    synchronized : bool, default=False
        Batch statistics over the whole batch of a data-parallel ``tf.distribute`` run rather
        than over each replica's share (TensorFlow only: JAX's data parallelism already computes
        them over the whole batch). Without it, two devices train a different model than one.

    Notes
    -----
    The convolutions use ``"same"`` padding inside the window: a window holds only rows up to
    its last one, so no step sees a row after the window's end.

    Examples
    --------
    >>> import keras
    >>> from sktemporal.networks import ConvolutionalStem
    >>> stem = ConvolutionalStem(filters=(4, 4), kernel_sizes=(3, 3), max_steps=10)
    >>> stem.stride(45), tuple(stem(keras.Input((45, 2))).shape)
    (5, (None, 9, 4))
    """

    def __init__(
        self, filters=(128, 256, 128), kernel_sizes=(8, 5, 3), max_steps=64, synchronized=False
    ):
        self.filters = tuple(filters)
        self.kernel_sizes = tuple(kernel_sizes)
        self.max_steps = max_steps
        self.synchronized = synchronized
        if len(self.filters) != len(self.kernel_sizes):
            raise ValueError(
                f"The stem needs one kernel size per convolution block: got {len(self.filters)} "
                f"filters {self.filters} and {len(self.kernel_sizes)} kernel sizes "
                f"{self.kernel_sizes}."
            )
        for name, values in (("filters", self.filters), ("kernel_sizes", self.kernel_sizes)):
            if not all(_is_positive_int(v) for v in values):
                raise ValueError(f"The stem's {name} must be positive ints; got {values!r}.")
        if not _is_positive_int(max_steps):
            raise ValueError(f"max_steps must be a positive int; got {max_steps!r}.")

    def stride(self, timesteps):
        """Pool size and stride for windows of ``timesteps`` steps (1: no pooling)."""
        if not self.filters:
            return 1
        return max(1, math.ceil(timesteps / self.max_steps))

    def __call__(self, x):
        """Apply the stem to a symbolic sequence of shape ``(batch, timesteps, features)``."""
        stride = self.stride(x.shape[1])
        for depth, (filters, kernel_size) in enumerate(
            zip(self.filters, self.kernel_sizes, strict=True)
        ):
            x = keras.layers.Conv1D(
                filters, kernel_size, padding="same", use_bias=False, name=f"stem_conv_{depth}"
            )(x)
            # A momentum of 0.9 rather than Keras' 0.99: the moving statistics used at
            # prediction settle within tens of steps, which matters on small training sets.
            x = keras.layers.BatchNormalization(
                momentum=0.9, synchronized=self.synchronized, name=f"stem_norm_{depth}"
            )(x)
            x = keras.layers.Activation("relu", name=f"stem_relu_{depth}")(x)
            if depth == 0 and stride > 1:
                x = keras.layers.MaxPooling1D(stride, stride, padding="same", name="stem_pooling")(
                    x
                )
        return x


def spread_over_input_steps(weights, stride, timesteps):
    """Map attention over pooled steps back to the window's input steps.

    Pooled step ``j`` covers input steps ``j * stride`` to ``min((j + 1) * stride, timesteps)
    - 1``; its weight is shared equally between them, so each row still sums to 1.

    Parameters
    ----------
    weights : ndarray of shape (..., n_pooled_steps)
        Attention over the pooled steps (the last axis).
    stride : int
        The stem's pool size and stride.
    timesteps : int
        Steps of the input window.

    Returns
    -------
    ndarray of shape (..., timesteps)

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.networks import spread_over_input_steps
    >>> spread_over_input_steps(np.array([0.6, 0.4]), stride=3, timesteps=5)
    array([0.2, 0.2, 0.2, 0.2, 0.2])
    """
    weights = np.asarray(weights)
    if stride == 1:
        return weights
    owner = np.arange(timesteps) // stride
    covered = np.bincount(owner, minlength=weights.shape[-1])
    return weights[..., owner] / covered[owner]


def _is_positive_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1
