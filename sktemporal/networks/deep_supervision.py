"""Deep supervision: a second classifier on the stem's features, trained beside the main one.

The main head of each classifier reads the body (LSTMs and additive attention, or the
Transformer encoder), which can fit a small training set exactly without the convolutional
stem beneath it ever learning features that generalise. A second, auxiliary head on the stem's
output averaged over time (the classifier of Wang et al.'s fully convolutional network, 2017)
adds its own cross-entropy to the training loss, so the stem's features must classify on their
own. This is deep supervision (Lee et al., "Deeply-supervised nets", AISTATS 2015) and the
auxiliary classifiers of GoogLeNet (Szegedy et al., CVPR 2015).

At prediction the two heads can vote: the mean of their probabilities is a two-member ensemble
of the attention network and the stem's fully convolutional classifier, the pairing of
ALSTM-FCN (Karim et al., IEEE Access 2018), which joins the two branches' features before one
softmax, made here after each head's softmax so that each head is still trained on its own.

The model keeps one output, so ``predict``, saving and every other use of it are unchanged.
:class:`DeepSupervision` returns, at prediction, the main head's probabilities or their mean
with the auxiliary head's; in training ``p_main * p_auxiliary ** weight``, whose negative log at
the true class is exactly ``CE(main) + weight * CE(auxiliary)``.
:func:`sum_of_cross_entropies` is that negative log; unlike Keras' cross-entropy it does not
renormalise its input, which would add a term that rewards the two heads for disagreeing. At
prediction the output is a probability vector and the loss is its ordinary cross-entropy.
"""

import keras
from keras import ops

__all__ = ["DeepSupervision", "auxiliary_head", "sum_of_cross_entropies"]

# Smallest probability whose log is taken: far below Keras' epsilon (1e-7), because the
# training output is a product of two probabilities, and a clipped value has no gradient.
_SMALLEST_PROBABILITY = 1e-30


@keras.saving.register_keras_serializable(package="sktemporal")
class DeepSupervision(keras.layers.Layer):
    """Output of a model with an auxiliary head: both heads in training, one or both at prediction.

    Parameters
    ----------
    weight : float, default=1.0
        Weight of the auxiliary head's cross-entropy in the training loss, > 0.
    ensemble_heads : bool, default=False
        At prediction, return the mean of the two heads' probabilities (True) or the main
        head's alone (False). False by default because models saved before this option had
        no such key, and they predict from the main head.
    **kwargs
        Standard ``keras.layers.Layer`` arguments.

    Notes
    -----
    Called on ``[main, auxiliary]``, two tensors of class probabilities of shape
    ``(batch, n_classes)``. With ``training`` true it returns ``main * auxiliary ** weight``,
    which is not a probability vector: it is meant for :func:`sum_of_cross_entropies`, and an
    accuracy computed from it in training is that of the product of the two heads.

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.networks import DeepSupervision
    >>> main = np.array([[0.8, 0.2]], "float32")
    >>> auxiliary = np.array([[0.5, 0.5]], "float32")
    >>> np.asarray(DeepSupervision()([main, auxiliary]))  # prediction: the main head
    array([[0.8, 0.2]], dtype=float32)
    >>> np.asarray(DeepSupervision(ensemble_heads=True)([main, auxiliary]))
    array([[0.65, 0.35]], dtype=float32)
    >>> np.asarray(DeepSupervision()([main, auxiliary], training=True))
    array([[0.4, 0.1]], dtype=float32)
    """

    def __init__(self, weight=1.0, ensemble_heads=False, **kwargs):
        super().__init__(**kwargs)
        number = isinstance(weight, (int, float)) and not isinstance(weight, bool)
        if not number or weight <= 0:
            raise ValueError(f"The auxiliary head's weight must be a number > 0; got {weight!r}.")
        if not isinstance(ensemble_heads, bool):
            raise ValueError(f"ensemble_heads must be True or False; got {ensemble_heads!r}.")
        self.weight = float(weight)
        self.ensemble_heads = ensemble_heads

    def call(self, inputs, training=None):
        """The prediction (main head, or both heads' mean), or in training the heads' product.

        Parameters
        ----------
        inputs : list of two tensors of shape (batch, n_classes)
            The main and the auxiliary head's class probabilities.
        training : bool or None
            Whether the model is training (Keras passes it).

        Returns
        -------
        tensor of shape (batch, n_classes)
        """
        main, auxiliary = inputs
        if not training:
            return (main + auxiliary) / 2 if self.ensemble_heads else main
        if self.weight == 1.0:
            return main * auxiliary
        return main * ops.power(auxiliary, self.weight)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "weight": self.weight,
            "ensemble_heads": self.ensemble_heads,
        }


@keras.saving.register_keras_serializable(package="sktemporal")
def sum_of_cross_entropies(y_true, y_pred):
    """Negative log of ``y_pred`` at the true class, without renormalising ``y_pred``.

    On the training output of :class:`DeepSupervision` this is the weighted sum of the two
    heads' cross-entropies; on a probability vector it is the ordinary cross-entropy.

    Parameters
    ----------
    y_true : tensor of shape (batch,) or (batch, 1)
        Integer class indices.
    y_pred : tensor of shape (batch, n_classes)
        Non-negative scores, such as probabilities.

    Returns
    -------
    tensor of shape (batch,)
    """
    y_true = ops.reshape(ops.cast(y_true, "int32"), (-1,))
    y_pred = ops.cast(y_pred, "float32")
    picked = ops.sum(y_pred * ops.one_hot(y_true, ops.shape(y_pred)[-1]), axis=-1)
    return -ops.log(ops.maximum(picked, _SMALLEST_PROBABILITY))


def auxiliary_head(stem_features, n_classes, dense_units, dropout_rate):
    """Class probabilities from the stem's features averaged over time.

    ``GlobalAveragePooling1D → Dense(dense_units, relu) → Dropout → Dense(n_classes,
    softmax)``: the main head's layers, on the stem's output instead of the body's.

    Parameters
    ----------
    stem_features : KerasTensor of shape (batch, steps, filters)
        The convolutional stem's output (:attr:`NetworkGraph.stem_features`).
    n_classes, dense_units : int
    dropout_rate : float

    Returns
    -------
    KerasTensor of shape (batch, n_classes)
    """
    x = keras.layers.GlobalAveragePooling1D(name="stem_average_over_time")(stem_features)
    x = keras.layers.Dense(dense_units, activation="relu", name="stem_head_dense")(x)
    x = keras.layers.Dropout(dropout_rate, name="stem_head_dropout")(x)
    return keras.layers.Dense(
        n_classes, activation="softmax", dtype="float32", name="stem_probabilities"
    )(x)
