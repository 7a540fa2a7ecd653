"""Deep sequence classifiers with real attention, as scikit-learn estimators."""

from sktemporal.classifiers.attention_lstm import AttentionLSTMClassifier
from sktemporal.classifiers.transformer import TransformerClassifier

__all__ = ["AttentionLSTMClassifier", "TransformerClassifier"]
