"""Attention-based deep sequence classifiers as first-class scikit-learn estimators.

Heavy dependencies (Keras and its backend, TA-Lib, matplotlib) are imported only when the
names that need them are first used, so ``import sktemporal`` and the windowing, label and
backtest tools stay light.
"""

import contextlib
from importlib import import_module

__version__ = "0.1.0"

# Public name -> module that defines it, imported on first access (PEP 562).
_LAZY_NAMES = {
    "AttentionLSTMClassifier": "sktemporal.classifiers",
    "TransformerClassifier": "sktemporal.classifiers",
    "load": "sktemporal.persistence",
    "SlidingWindowTransformer": "sktemporal.windowing",
    "PanelWindows": "sktemporal.panel_windows",
    "DirectionLabeler": "sktemporal.market.labels",
    "make_direction_labels": "sktemporal.market.labels",
    "forward_returns": "sktemporal.market.labels",
    "TechnicalIndicators": "sktemporal.market.features",
    "ConfidenceThresholdClassifier": "sktemporal.meta",
    "CoverageAccuracyCurve": "sktemporal.meta",
    "CoverageAccuracyDisplay": "sktemporal.meta",
    "coverage_accuracy_curve": "sktemporal.meta",
    "BacktestResult": "sktemporal.market.backtest",
    "check_no_lookahead": "sktemporal.lookahead",
    "LookaheadReport": "sktemporal.lookahead",
    "LookaheadError": "sktemporal.lookahead",
}

__all__ = sorted(_LAZY_NAMES) + ["__version__"]


def __getattr__(name):
    if name in _LAZY_NAMES:
        from sktemporal._quiet import native_stderr_hidden, wants_backend_logs

        # The first of these imports Keras and its backend: TensorFlow's C++ start-up lines
        # are hidden unless asked for (TF_CPP_MIN_LOG_LEVEL=0), and shown if the import fails.
        with contextlib.nullcontext() if wants_backend_logs() else native_stderr_hidden():
            module = import_module(_LAZY_NAMES[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sktemporal' has no attribute {name!r}")


def __dir__():
    return __all__
