"""Act only on confident predictions: a classifier that abstains below a probability threshold.

A trading signal is only worth acting on when the model is sure enough. The
:class:`ConfidenceThresholdClassifier` wraps any probabilistic classifier and predicts its most
probable class only where that class's probability reaches ``threshold``; elsewhere it predicts
``abstain_label`` (for market-direction labels, typically ``0``: stay flat).
:func:`coverage_accuracy_curve` shows the trade-off the threshold controls: how many rows are
acted on, and how accurate the predictions on those rows are.
"""

from sktemporal.meta._confidence_threshold import ConfidenceThresholdClassifier, confidence_gate
from sktemporal.meta._coverage_accuracy import (
    CoverageAccuracyCurve,
    CoverageAccuracyDisplay,
    coverage_accuracy_curve,
)

__all__ = [
    "ConfidenceThresholdClassifier",
    "CoverageAccuracyCurve",
    "CoverageAccuracyDisplay",
    "confidence_gate",
    "coverage_accuracy_curve",
]
