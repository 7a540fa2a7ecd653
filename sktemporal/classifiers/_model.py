"""The Keras model of a deep classifier: preprocessing, the builder's body, the heads, compiled.

Private to :mod:`sktemporal.classifiers`. The network builders (:mod:`sktemporal.networks`)
know only the architecture; this module adds what depends on the estimator's data and
settings: the input normalisation learned in ``fit``, the augmentation, the classification
head and, with a stem and ``deep_supervision``, the auxiliary head.
"""

import keras

from sktemporal.layers import ChannelStandardization, WindowAugmentation
from sktemporal.networks import DeepSupervision, auxiliary_head, sum_of_cross_entropies

__all__ = ["DEFAULT_AUGMENTATION", "augmentation_layer", "build_classifier_model"]

#: Strengths of ``augmentation=True``: the magnitudes Iwana & Uchida (PLOS ONE, 2021) used for
#: scaling (0.1) and jittering (0.03, on standardised series), and shifts of up to a tenth of
#: the window.
DEFAULT_AUGMENTATION = {"shift": 0.1, "scale": 0.1, "noise": 0.03}


def augmentation_layer(augmentation):
    """The augmentation layer of an ``augmentation`` parameter, or None; checks its keys.

    Parameters
    ----------
    augmentation : None, bool or dict
        True for :data:`DEFAULT_AUGMENTATION`, a dict of some of its keys, None or False for
        none.

    Returns
    -------
    WindowAugmentation or None
    """
    if augmentation is None or augmentation is False:
        return None
    strengths = DEFAULT_AUGMENTATION if augmentation is True else augmentation
    unknown = sorted(set(strengths) - set(DEFAULT_AUGMENTATION), key=str)
    if unknown:
        raise ValueError(
            f"augmentation has unknown keys {unknown}; the keys are "
            f"{sorted(DEFAULT_AUGMENTATION)} (e.g. augmentation={DEFAULT_AUGMENTATION})."
        )
    # float32 under a mixed policy too: the noise is a small share of each value.
    return WindowAugmentation(**strengths, dtype="float32", name="augmentation")


def build_classifier_model(
    network,
    input_shape,
    n_classes,
    *,
    dense_units,
    dropout_rate,
    input_statistics,
    augmentation,
    auxiliary_weight,
    ensemble_heads,
    name,
    compile_kwargs,
):
    """Build and compile a classifier's network.

    Parameters
    ----------
    network : sktemporal.networks.BaseNetwork
        The builder of the body (and stem).
    input_shape : tuple of int
        ``(timesteps, n_features)`` of a window.
    n_classes, dense_units : int
    dropout_rate : float
        Dropout of the classification head(s).
    input_statistics : tuple of ndarray or None
        Mean and variance per feature for the input normalisation; None for none.
    augmentation : keras.layers.Layer or None
        Training-time augmentation after the normalisation.
    auxiliary_weight : float
        Weight of the auxiliary head's cross-entropy; 0 for no auxiliary head.
    ensemble_heads : bool
        With the auxiliary head, whether predictions are the mean of both heads.
    name : str
        The model's name.
    compile_kwargs : dict
        Arguments of ``Model.compile``; the loss is replaced by the sum of both heads'
        cross-entropies when the network has the auxiliary head.

    Returns
    -------
    keras.Model
        From windows to class probabilities, compiled.
    """
    preprocessing = []
    if input_statistics is not None:
        mean, variance = input_statistics
        # float32 under a mixed policy too: 16-bit floats would round large raw values
        # (prices in the thousands) to steps wider than their spread.
        preprocessing.append(
            ChannelStandardization(
                mean=mean, variance=variance, dtype="float32", name="input_normalization"
            )
        )
    if augmentation is not None:
        preprocessing.append(augmentation)
    graph = network.build_network(input_shape, preprocessing=preprocessing)
    x = keras.layers.Dense(dense_units, activation="relu", name="head_dense")(graph.representation)
    x = keras.layers.Dropout(dropout_rate, name="head_dropout")(x)
    auxiliary = auxiliary_weight > 0 and graph.stem_features is not None
    outputs = keras.layers.Dense(
        n_classes,
        activation="softmax",
        dtype="float32",
        name="main_probabilities" if auxiliary else "probabilities",
    )(x)
    if auxiliary:
        stem_probabilities = auxiliary_head(
            graph.stem_features, n_classes, dense_units, dropout_rate
        )
        outputs = DeepSupervision(
            auxiliary_weight, ensemble_heads=ensemble_heads, dtype="float32", name="probabilities"
        )([outputs, stem_probabilities])
        compile_kwargs = {**compile_kwargs, "loss": sum_of_cross_entropies}
    model = keras.Model(graph.inputs, outputs, name=name)
    model.compile(**compile_kwargs)
    return model
