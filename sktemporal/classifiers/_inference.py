"""Forward passes of a fitted network in chunks, and the attention read from them.

Private to :mod:`sktemporal.classifiers`: the estimators' ``predict_proba``,
``get_attention_maps`` and ``attention_weights_`` are built on these functions.
"""

import re

import keras
import numpy as np

from sktemporal._quiet import retracing_warnings_hidden
from sktemporal.classifiers._keras_private import variable_values
from sktemporal.networks import ATTENTION_LAYER_PREFIX

__all__ = [
    "PREDICTION_CHUNK_ROWS",
    "as_distributions",
    "attention_maps",
    "attention_model",
    "forward",
    "forward_chunks",
    "mean_attention",
]

#: Rows sent to the network per forward pass when predicting. Large enough to amortise the call
#: overhead, small enough that a Transformer's attention maps for one chunk stay far below 1 GB.
PREDICTION_CHUNK_ROWS = 4096

_ATTENTION_LAYER_NAME = re.compile(rf"^{ATTENTION_LAYER_PREFIX}(\d+)$")


def forward_chunks(model, X):
    """Run ``model`` over ``X`` a chunk at a time; yield each chunk's list of outputs.

    ``Model.predict_on_batch`` skips the dataset machinery of ``Model.predict``, which
    dominates the cost of small inputs (about 50 ms for a single window on TensorFlow). On
    JAX a jitted inference call (:func:`_jax_inference`) skips Keras' state handling too.
    """
    predict = _jax_inference(model) if keras.backend.backend() == "jax" else None
    for start in range(0, len(X), PREDICTION_CHUNK_ROWS):
        chunk = X[start : start + PREDICTION_CHUNK_ROWS].astype(keras.backend.floatx())
        if predict is not None:
            outputs = predict(chunk)
        else:
            with retracing_warnings_hidden():
                outputs = model.predict_on_batch(chunk)
        yield list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


# The attribute of a Keras model that holds its compiled inference function. Kept on the
# model, so that both are freed together: a cache that outlives its models (a weak-keyed
# dictionary whose values hold their keys) keeps every model's compiled code mapped, about
# 50 memory mappings each, and a process that fits some 1,300 models then exhausts the
# kernel's limit (vm.max_map_count, 65,530) and crashes inside XLA's compiler.
_INFERENCE_ATTRIBUTE = "_sktemporal_jax_inference"


def _jax_inference(model):
    """A jitted inference-mode call of ``model`` that reads its weights at each call.

    ``predict_on_batch`` runs the same computation, but around it Keras gathers the model's
    state, donates it to the compiled step and re-attaches the result on every call: about
    60 % of the time of a one-window prediction of the seed-sized Transformer. Here the
    weights are only read, so a model trained further (``partial_fit``) predicts with its new
    weights; a new batch shape compiles once, as with ``predict_on_batch``.
    """
    predict = getattr(model, _INFERENCE_ATTRIBUTE, None)
    if predict is not None:
        return predict
    import jax

    # Every variable, whether trainable or not: the set does not change when a layer is
    # frozen after this function was made, where the trainable/non-trainable split does.
    variables = list(model.variables)

    def stateless(values, x):
        with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
            return model(x, training=False)

    compiled = jax.jit(stateless)

    def predict(chunk):
        outputs = compiled(variable_values(variables), chunk)
        if isinstance(outputs, (list, tuple)):
            return [np.asarray(o) for o in outputs]
        return np.asarray(outputs)

    # object.__setattr__: Keras' own __setattr__ would try to track the function.
    object.__setattr__(model, _INFERENCE_ATTRIBUTE, predict)
    return predict


def forward(model, X):
    """Run ``model`` over ``X`` in chunks; one float64 array per model output."""
    chunks = [
        [np.asarray(output, dtype=np.float64) for output in outputs]
        for outputs in forward_chunks(model, X)
    ]
    return [np.concatenate(parts) for parts in zip(*chunks, strict=True)]


def as_distributions(weights):
    """Attention weights in float64, each row divided by its sum.

    Under a mixed-precision policy Keras' multi-head attention takes its softmax in 16 bits,
    whose rows sum to 1 only within about 1e-4.
    """
    weights = np.asarray(weights, dtype=np.float64)
    return weights / weights.sum(axis=-1, keepdims=True)


def attention_model(model):
    """A model from ``model``'s input to the weights of each attention layer, first first.

    The networks name their attention layers ``ATTENTION_LAYER_PREFIX`` + depth
    (:mod:`sktemporal.networks`); each returns ``(output, weights)``.
    """
    layers = {
        int(match.group(1)): layer
        for layer in model.layers
        if (match := _ATTENTION_LAYER_NAME.match(layer.name))
    }
    outputs = [layers[depth].output[1] for depth in sorted(layers)]
    return keras.Model(model.inputs, outputs)


def attention_maps(model, X):
    """Maps of every attention layer of ``attention_model`` output, as 4-D distributions.

    Returns
    -------
    list of ndarray of shape (n_samples, n_heads, n_queries, n_keys)
        Attention pooling (one head, one query) is given the two middle axes of size 1.
    """
    maps = [as_distributions(m) for m in forward(model, X)]
    return [m.reshape(len(X), 1, 1, -1) if m.ndim == 2 else m for m in maps]


def mean_attention(model, X):
    """Last attention layer's weights averaged over windows, heads and queries, by chunks.

    Summing chunk by chunk keeps one chunk of maps in memory: all of them at once would take
    ``n_samples x heads x queries x timesteps`` float64 values (twice, while concatenated),
    several times the windows' own table, and quadratic in time steps for the Transformer.

    Parameters
    ----------
    model : keras.Model
        An :func:`attention_model`.
    X : ndarray of shape (n_samples, timesteps, n_features)

    Returns
    -------
    ndarray of shape (n_keys,)
    """
    total, count = 0.0, 0
    for outputs in forward_chunks(model, X):
        last = as_distributions(outputs[-1])
        last = last.reshape(-1, last.shape[-1])
        total = total + last.sum(axis=0)
        count += len(last)
    return total / count
