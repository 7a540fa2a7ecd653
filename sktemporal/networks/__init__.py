"""Keras network builders: one network per module, no labels, optimisers or training.

A builder holds architecture hyper-parameters (in Keras words) and has one job,
``build_network(input_shape)``, returning a :class:`NetworkGraph`. The estimators in
:mod:`sktemporal.classifiers` add the classification head, compile and train;
:mod:`~sktemporal.networks.deep_supervision` holds the parts of the auxiliary head they add
beside it (the head, the output layer that combines the two, and the loss).
"""

from sktemporal.networks.attention_lstm import AttentionLSTMNetwork
from sktemporal.networks.base import (
    ATTENTION_LAYER_PREFIX,
    NetworkGraph,
    apply_layers,
    dtype_policy_scope,
)
from sktemporal.networks.deep_supervision import (
    DeepSupervision,
    auxiliary_head,
    sum_of_cross_entropies,
)
from sktemporal.networks.stem import ConvolutionalStem, spread_over_input_steps
from sktemporal.networks.transformer import TransformerNetwork

__all__ = [
    "ATTENTION_LAYER_PREFIX",
    "AttentionLSTMNetwork",
    "ConvolutionalStem",
    "DeepSupervision",
    "NetworkGraph",
    "TransformerNetwork",
    "apply_layers",
    "auxiliary_head",
    "dtype_policy_scope",
    "spread_over_input_steps",
    "sum_of_cross_entropies",
]
