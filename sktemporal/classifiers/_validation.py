"""Input checks of the deep classifiers: windows in, clear errors out.

Private to :mod:`sktemporal.classifiers`. Every check runs before any Keras code, so bad input
fails with a message that names the problem rather than with a backend traceback.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.utils import assert_all_finite
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import _check_sample_weight, validate_data

from sktemporal.exceptions import TimeOrderedTableWarning
from sktemporal.panel_windows import PanelWindows

__all__ = ["check_window_shape", "training_weights", "validate_windows"]


def validate_windows(estimator, X, y="no_validation", *, reset):
    """Check ``X`` (and ``y``) and return windows of shape (n, timesteps, n_features).

    A float array, such as the strided view from ``SlidingWindowTransformer``, or a panel's
    :class:`~sktemporal.panel_windows.PanelWindows`, is returned without a copy; batches are
    cast to the Keras float type one at a time. With ``reset``
    the window shape is recorded as ``n_timesteps_`` and ``n_channels_``; without it the
    shape must match them.

    Returns
    -------
    X : ndarray or PanelWindows of shape (n_samples, timesteps, n_features)
    y : ndarray or None
    """
    if isinstance(X, PanelWindows) and X.dtype in (np.float32, np.float64):
        return _validate_panel_windows(estimator, X, y, reset=reset)
    if _is_plain_float_windows(estimator, X, y, reset):
        # What validate_data would do for these, without its generic machinery: a third of
        # a one-window prediction.
        check_window_shape(estimator, X.shape)
        if not np.isfinite(X).all():
            assert_all_finite(X, input_name="X")
        return X, None
    _warn_if_time_ordered_table(estimator, X)
    shape = _shape(X)
    if shape is not None and len(shape) > 3:
        raise ValueError(
            "X must be 2-D (n_samples, timesteps) or 3-D (n_samples, timesteps, n_features); "
            f"got an array of shape {shape}."
        )
    if not reset and shape is not None and len(shape) == 3:
        check_window_shape(estimator, shape)
    kwargs = {"allow_nd": True, "dtype": [np.float32, np.float64], "reset": reset}
    validated = validate_data(estimator, X, y, **kwargs)
    X, y = validated if isinstance(validated, tuple) else (validated, None)
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    if 0 in X.shape[1:]:
        raise ValueError(
            f"X has windows of {X.shape[1]} time steps x {X.shape[2]} features; both must be "
            "at least 1."
        )
    if reset:
        estimator.n_timesteps_, estimator.n_channels_ = X.shape[1:]
    else:
        check_window_shape(estimator, X.shape)
    return X, y


def _validate_panel_windows(estimator, X, y, *, reset):
    """``validate_windows`` for a panel's windows, read on its buffer and never gathered.

    scikit-learn's checks (samples, labels, ``n_features_in_``) run on a stand-in of the same
    shape and dtype that holds one value; finiteness is read from the buffer.
    """
    if not reset:
        check_window_shape(estimator, X.shape)
    stand_in = np.broadcast_to(np.zeros((), dtype=X.dtype), X.shape)
    kwargs = {"allow_nd": True, "dtype": [np.float32, np.float64], "reset": reset}
    validated = validate_data(estimator, stand_in, y, ensure_all_finite=False, **kwargs)
    y = validated[1] if isinstance(validated, tuple) else None
    nonfinite = X.nonfinite_windows()
    if nonfinite.size:
        assert_all_finite(
            X[nonfinite[:1]], estimator_name=type(estimator).__name__, input_name="X"
        )
    if reset:
        estimator.n_timesteps_, estimator.n_channels_ = X.shape[1:]
    return X, y


def _is_plain_float_windows(estimator, X, y, reset):
    """Whether ``X`` is non-empty float windows to predict on, fitted without feature names."""
    return (
        not reset
        and isinstance(y, str)  # "no_validation": X alone
        and type(X) is np.ndarray
        and X.ndim == 3
        and len(X) > 0
        and X.dtype in (np.float32, np.float64)
        and not hasattr(estimator, "feature_names_in_")
    )


def check_window_shape(estimator, shape):
    """Refuse windows whose (time steps, features) differ from those seen in ``fit``."""
    received = (shape[1], shape[2] if len(shape) == 3 else 1)
    if received != (estimator.n_timesteps_, estimator.n_channels_):
        raise ValueError(
            f"X has windows of {received[0]} time steps x {received[1]} features, but "
            f"{type(estimator).__name__} was fitted on {estimator.n_timesteps_} x "
            f"{estimator.n_channels_}. Use the same sequence length and feature columns as in "
            "fit."
        )


def training_weights(X, y, sample_weight, class_weight, classes):
    """Sample weights times class weights (None when neither is set), and the rows to train on.

    Rows of weight 0 are left out, so a zero weight is exactly the same as removing the row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples,)
        Encoded labels (positions in ``classes``).
    sample_weight : array-like of shape (n_samples,) or None
    class_weight : dict, "balanced" or None
        Weights by class label (not by encoded label).
    classes : ndarray
        The classifier's ``classes_``.

    Returns
    -------
    weights : ndarray of float32 or None
    rows : ndarray of int
    """
    rows = np.arange(len(X))
    if sample_weight is None and class_weight is None:
        return None, rows
    weights = _check_sample_weight(sample_weight, X, dtype=np.float32, ensure_non_negative=True)
    if class_weight is not None:
        if isinstance(class_weight, dict):
            unknown = [label for label in class_weight if label not in classes]
            if unknown:
                raise ValueError(
                    f"class_weight names labels {unknown} that are not classes of y "
                    f"({classes.tolist()})."
                )
            class_weight = {np.searchsorted(classes, k): w for k, w in class_weight.items()}
        weights = weights * compute_sample_weight(class_weight, y).astype(np.float32)
    if not weights.any():
        raise ValueError("Every sample weight is 0: there is nothing to train on.")
    return weights, np.flatnonzero(weights)


def _shape(X):
    """Shape of an array or nested list, or None for other inputs (validate_data reads them)."""
    if hasattr(X, "shape"):
        return np.shape(X)
    if not isinstance(X, list | tuple):
        return None
    try:
        return np.shape(X)
    except ValueError:
        lengths = sorted({len(item) for item in X if hasattr(item, "__len__")})
        raise ValueError(
            "X is a list of sequences of different lengths "
            f"({', '.join(map(str, lengths[:5]))}{', ...' if len(lengths) > 5 else ''} time "
            "steps); the classifiers need windows of one length. Cut a time-ordered table "
            "into equal windows with SlidingWindowTransformer, or pad or truncate the "
            "sequences to one length first (for example keras.utils.pad_sequences)."
        ) from None


def _warn_if_time_ordered_table(estimator, X):
    """Warn when a 2-D table indexed by time is given where windows are expected."""
    if not isinstance(X, pd.DataFrame):
        return
    index = X.index
    levels = index.levels if isinstance(index, pd.MultiIndex) else [index]
    if not any(isinstance(level, pd.DatetimeIndex) for level in levels):
        return
    warnings.warn(
        f"{type(estimator).__name__} was given a DataFrame of shape {X.shape} indexed by time: "
        f"it reads each row as one window of {X.shape[1]} time steps of 1 feature. If each "
        "row is one time step with its features in the columns (a time-ordered table), "
        "build windows first with SlidingWindowTransformer, e.g. "
        "Pipeline([('window', SlidingWindowTransformer(sequence_length=30)), ('clf', ...)]). "
        "If each row really is one series, pass X.to_numpy() to silence this warning.",
        TimeOrderedTableWarning,
        stacklevel=4,
    )
