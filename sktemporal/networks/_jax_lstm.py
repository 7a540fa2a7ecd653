"""The LSTM recurrence in JAX with a hand-written backward pass (imported on JAX only).

Keras' gate order is kept: ``z = x_t W + h_{t-1} U + b`` splits into input ``i``, forget
``f``, candidate ``g`` and output ``o``; ``c_t = f c_{t-1} + i g`` and ``h_t = o tanh(c_t)``.
The backward loop carries ``(dh, dc)`` and emits ``dz_t``; the recurrent kernel's gradient
``sum_t h_{t-1}^T dz_t`` is then one matrix product, and the input side's gradients flow back
through the projection ``x W + b`` that was computed before the loop.
"""

import jax
import jax.numpy as jnp


def lstm_recurrence(sequences, h0, c0, kernel, recurrent_kernel, bias, go_backwards=False):
    """Run an LSTM over ``sequences`` as ``keras.layers.LSTM.inner_loop`` does.

    Parameters
    ----------
    sequences : array of shape (batch, timesteps, features)
    h0, c0 : arrays of shape (batch, units)
        Initial hidden and cell states.
    kernel : array of shape (features, 4 * units)
    recurrent_kernel : array of shape (units, 4 * units)
    bias : array of shape (4 * units,)
    go_backwards : bool, default=False
        Read the steps from last to first; the outputs are then in that (processing) order,
        as Keras returns them.

    Returns
    -------
    last_output : array of shape (batch, units)
    outputs : array of shape (batch, timesteps, units)
    states : list of two arrays of shape (batch, units)
        The final hidden and cell states.
    """
    projected = jnp.swapaxes(jnp.matmul(sequences, kernel) + bias, 0, 1)
    if go_backwards:
        projected = jnp.flip(projected, axis=0)
    hidden, last_cell = _recurrence(projected, h0, c0, recurrent_kernel)
    return hidden[-1], jnp.swapaxes(hidden, 0, 1), [hidden[-1], last_cell]


def _forward(projected, h0, c0, recurrent_kernel):
    def step(carry, z_input):
        h, c = carry
        z = z_input + h @ recurrent_kernel
        i, f, g, o = jnp.split(z, 4, axis=-1)
        i, f, o, g = jax.nn.sigmoid(i), jax.nn.sigmoid(f), jax.nn.sigmoid(o), jnp.tanh(g)
        c_next = f * c + i * g
        tanh_c = jnp.tanh(c_next)
        h_next = o * tanh_c
        return (h_next, c_next), (h_next, c, i, f, g, o, tanh_c)

    (_, last_cell), (hidden, *gates) = jax.lax.scan(step, (h0, c0), projected)
    return (hidden, last_cell), (hidden, gates, h0, recurrent_kernel)


@jax.custom_vjp
def _recurrence(projected, h0, c0, recurrent_kernel):
    return _forward(projected, h0, c0, recurrent_kernel)[0]


def _backward(residuals, cotangents):
    hidden, (c_previous, i, f, g, o, tanh_c), h0, recurrent_kernel = residuals
    d_hidden, d_last_cell = cotangents
    transposed = recurrent_kernel.T
    # Everything that does not depend on the carried gradients, for all steps at once:
    # dz = [dc, dc, dc, dh] * local and dc = dc_later + dh * through_tanh.
    local = jnp.concatenate(
        [g * i * (1 - i), c_previous * f * (1 - f), i * (1 - g * g), tanh_c * o * (1 - o)],
        axis=-1,
    )
    through_tanh = o * (1 - tanh_c * tanh_c)

    def step(carry, inputs):
        dh_later, dc_later = carry
        d_output, local_t, through_tanh_t, f_t = inputs
        dh = d_output + dh_later
        dc = dc_later + dh * through_tanh_t
        dz = jnp.concatenate([dc, dc, dc, dh], axis=-1) * local_t
        return (dz @ transposed, dc * f_t), dz

    (dh0, dc0), dz = jax.lax.scan(
        step,
        (jnp.zeros_like(h0), d_last_cell),
        (d_hidden, local, through_tanh, f),
        reverse=True,
    )
    previous_hidden = jnp.concatenate([h0[None], hidden[:-1]], axis=0)
    d_recurrent_kernel = jnp.einsum("tbu,tbg->ug", previous_hidden, dz)
    return dz, dh0, dc0, d_recurrent_kernel


_recurrence.defvjp(_forward, _backward)
