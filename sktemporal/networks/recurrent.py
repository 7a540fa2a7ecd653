"""An LSTM layer that trains faster on JAX without a GPU, and is Keras' LSTM everywhere else.

On the JAX backend without a GPU, Keras runs an LSTM as ``jax.lax.scan`` over its cell, and
JAX differentiates that loop step by step: each step of the backward loop also accumulates
the gradient of the recurrent kernel, one small matrix product per step. The recurrence here
has a hand-written backward pass (the one cuDNN uses): the backward loop carries only the
gradients of the hidden and cell states, and the kernel's gradient is one large matrix product
over all steps afterwards. The input projection ``x_t W + b`` of all steps is one matrix
product before the loop in both directions.

Everywhere else (TensorFlow, PyTorch, JAX on a GPU, where Keras runs cuDNN, or a
configuration the fast path does not cover) the layer is exactly ``keras.layers.LSTM``: same
weights, same configuration, same saved file apart from the class name.
"""

import keras

__all__ = ["LSTM"]


@keras.saving.register_keras_serializable(package="sktemporal")
class LSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` with a faster training loop on JAX without a GPU.

    Takes every argument of ``keras.layers.LSTM``. The fast path runs when the backend is
    JAX, no GPU is visible to JAX, there is no mask, the activations are ``tanh`` and
    ``sigmoid`` (the cuDNN-eligible ones), the layer has a bias and no (recurrent) dropout, and
    ``unroll`` is off; otherwise Keras' own loop runs. Both compute the same function.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.networks.recurrent import LSTM
    >>> tuple(LSTM(3, return_sequences=True)(np.zeros((2, 5, 4), "float32")).shape)
    (2, 5, 3)
    """

    def inner_loop(self, sequences, initial_state, mask, training=False):
        """Run the recurrence: the hand-written JAX path where it applies, else Keras' own.

        Parameters
        ----------
        sequences : tensor of shape (batch, timesteps, features)
        initial_state : list of two tensors of shape (batch, units)
        mask : tensor or None
        training : bool, default=False

        Returns
        -------
        last_output, outputs, states
            As ``keras.layers.LSTM.inner_loop`` returns them.
        """
        if mask is not None or not self._fast_path_applies():
            return super().inner_loop(sequences, initial_state, mask, training=training)
        from sktemporal.networks._jax_lstm import lstm_recurrence

        cell = self.cell
        kernel, recurrent_kernel, bias = (
            keras.ops.cast(weight, sequences.dtype)
            for weight in (cell.kernel, cell.recurrent_kernel, cell.bias)
        )
        h0, c0 = initial_state
        return lstm_recurrence(
            sequences, h0, c0, kernel, recurrent_kernel, bias, go_backwards=self.go_backwards
        )

    def _fast_path_applies(self):
        if keras.backend.backend() != "jax":
            return False
        import jax

        cell = self.cell
        return (
            cell.activation is keras.activations.tanh
            and cell.recurrent_activation is keras.activations.sigmoid
            and cell.use_bias
            and not cell.dropout
            and not cell.recurrent_dropout
            and not self.unroll
            and not any(device.platform == "gpu" for device in jax.devices())
        )
