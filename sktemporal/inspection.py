"""Attributions: which time steps and features of a window drive a fitted classifier's prediction.

Like :mod:`sklearn.inspection`, this module inspects a fitted model from the outside. One
function, :func:`attributions`, scores every cell (time step x feature) of each window for one
class, by one of two methods:

- ``"occlusion"`` (Zeiler & Fergus 2014): replace a patch of the window by a baseline and
  measure how much the class's probability drops. Forward passes only, through the estimator's
  own ``predict_proba``, so it works on every backend and scores exactly what ``predict_proba``
  returns.
- ``"integrated_gradients"`` (Sundararajan et al. 2017): integrate the gradient of the class's
  probability along the straight path from the baseline to the window, the gradient taken
  natively on the Keras backend (``jax.grad``, ``tf.GradientTape`` or ``torch.autograd``).

Attention weights are not among them: they are a part of the network, not a measure of what
drives its output. The user guide's "Is attention an explanation?" measures both against known
ground truth, after Ismail et al. (NeurIPS 2020) and Turbé et al. (Nature Machine Intelligence,
2023).
"""

import weakref
from numbers import Integral, Real

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = ["ATTRIBUTION_METHODS", "attributions"]

#: The methods :func:`attributions` accepts.
ATTRIBUTION_METHODS = ("integrated_gradients", "occlusion")

_INTEGRATIONS = ("gausslegendre", "riemann_trapezoid")
_BASELINES = ("mean", "zeros")

# Compiled gradient functions by model, so that repeated calls (a report over recent windows)
# trace and compile once; the model's weights are read at each call, so a refit is seen.
_GRADIENTS = weakref.WeakKeyDictionary()


def attributions(
    estimator,
    X,
    *,
    method="integrated_gradients",
    target=None,
    baseline="mean",
    n_steps=50,
    integration="gausslegendre",
    occlusion_shape=(1, 1),
    batch_size=1024,
):
    """Attribution of each time step and feature of each window to a class's probability.

    Measured attributions, unlike attention weights: the user guide's "Is attention an
    explanation?" compares both with known ground truth, and recommends integrated gradients
    (the default) from that measurement.

    Parameters
    ----------
    estimator : fitted AttentionLSTMClassifier, TransformerClassifier or Pipeline
        A fitted sktemporal classifier, or a fitted :class:`~sklearn.pipeline.Pipeline` whose
        last step is one. A pipeline's other steps transform ``X`` (a table, say, windowed by
        :class:`~sktemporal.windowing.SlidingWindowTransformer`) and the attributions are
        those of the windows its classifier receives: row ``i`` of the result belongs to row
        ``i`` of ``pipeline.predict_proba(X)``, in the units of the transformed windows (after
        a scaler, for instance).
    X : array-like of shape (n_samples, timesteps, n_features) or (n_samples, timesteps)
        Windows shaped as in ``fit``; for a pipeline, its input.
    method : {"integrated_gradients", "occlusion"}, default="integrated_gradients"
        ``"occlusion"`` replaces each patch of ``occlusion_shape`` cells (sliding by one cell
        in both directions) by the baseline and scores each cell by the mean drop in the class's
        probability over the patches that cover it: ``n_timesteps x n_features`` forward
        passes per window for the default one-cell patches. ``"integrated_gradients"`` returns
        ``(x - baseline) * mean gradient`` along the straight path from the baseline to ``x``,
        ``n_steps`` gradient evaluations per window; the attributions of a window sum to
        ``f(x) - f(baseline)`` up to the integration error (completeness), where ``f`` is the
        class's probability.
    target : label, array-like of labels of shape (n_samples,), or None, default=None
        Class whose probability is attributed, a label from ``classes_``; None attributes each
        window's predicted class.
    baseline : {"mean", "zeros"}, float or array-like, default="mean"
        What "absent" means. ``"mean"`` is each feature's mean over the training windows, read
        from the network's input normalisation: the point it maps to 0, the centre of what the
        network was trained on (zeros when it was fitted with ``normalize_inputs=False``).
        ``"zeros"`` is 0 in the units of ``X``, far outside the training data for features
        that are not centred (prices, volumes). An array broadcasts to ``X``'s shape (one value
        per feature, a ``(timesteps, n_features)`` window, or one per window).
    n_steps : int, default=50
        Integration points of integrated gradients (Captum's default).
    integration : {"gausslegendre", "riemann_trapezoid"}, default="gausslegendre"
        Quadrature rule of integrated gradients, as in Captum.
    occlusion_shape : tuple of (int, int), default=(1, 1)
        Time steps x features of an occluded patch. ``(k, n_features)`` occludes ``k``
        consecutive steps of every feature at once.
    batch_size : int, default=1024
        Windows (occluded or interpolated) per forward or backward pass.

    Returns
    -------
    ndarray of shape (n_samples, timesteps, n_features)
        Positive values push the class's probability up, negative ones down. Index ``-1`` of
        the time axis is the window's last (most recent) row.

    Raises
    ------
    ValueError
        For windows of the wrong shape or feature count, NaN or infinite values, an unknown
        method, baseline, target or quadrature rule.
    TypeError
        When ``estimator`` is not a fitted sktemporal classifier or a pipeline ending in one.

    See Also
    --------
    sktemporal.plotting.plot_attributions : Heatmap of one window's attributions.

    Notes
    -----
    Occlusion works on every backend; integrated gradients need the gradient of the backend
    Keras runs on (JAX, TensorFlow or PyTorch). The probabilities are those ``predict_proba``
    returns, including the mean of the two heads with ``ensemble_heads=True``.

    References
    ----------
    .. [1] M. D. Zeiler and R. Fergus, "Visualizing and understanding convolutional networks",
       ECCV 2014 (occlusion).
    .. [2] M. Sundararajan, A. Taly and Q. Yan, "Axiomatic attribution for deep networks",
       ICML 2017 (integrated gradients).
    .. [3] A. A. Ismail, M. Gunady, H. Corrada Bravo and S. Feizi, "Benchmarking deep learning
       interpretability in time series predictions", NeurIPS 2020.
    .. [4] H. Turbé, M. Bjelogrlic, C. Lovis and G. Mengaldo, "Evaluation of post-hoc
       interpretability methods in time-series classification", Nature Machine Intelligence
       5, 2023 (InterpretTime).
    .. [5] N. Kokhlikyan et al., "Captum: a unified and generic model interpretability library
       for PyTorch", 2020 (the quadrature rules).

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal import AttentionLSTMClassifier
    >>> from sktemporal.inspection import attributions
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 6, 2)), rng.integers(0, 2, size=40)
    >>> clf = AttentionLSTMClassifier(lstm_units=4, attention_units=4, dense_units=4,
    ...                               stem_filters=(), epochs=1, random_state=0).fit(X, y)
    >>> attributions(clf, X[:3], method="occlusion").shape
    (3, 6, 2)
    >>> attributions(clf, X[:3], n_steps=8).shape
    (3, 6, 2)
    """
    classifier, X = _classifier_and_windows(estimator, X)
    if method not in ATTRIBUTION_METHODS:
        raise ValueError(
            f"Unknown attribution method {method!r}; choose one of {list(ATTRIBUTION_METHODS)}."
        )
    _check_positive_int(batch_size, "batch_size")
    probabilities = classifier.predict_proba(X)
    targets = _target_indices(classifier, target, probabilities)
    base = _baseline(classifier, baseline, X.shape)
    if method == "occlusion":
        return _occlusion(classifier, X, base, targets, probabilities, occlusion_shape, batch_size)
    return _integrated_gradients(classifier, X, base, targets, n_steps, integration, batch_size)


# ---------------------------------------------------------------------- input checks


def _classifier_and_windows(estimator, X):
    """The fitted classifier, and ``X`` as its validated float windows (n, timesteps, features)."""
    if isinstance(estimator, Pipeline):
        check_is_fitted(estimator)
        classifier = estimator.steps[-1][1]
        _check_classifier(classifier, f"the last step of the pipeline ({classifier!r})")
        X = estimator[:-1].transform(X) if len(estimator) > 1 else X
    else:
        classifier = estimator
        _check_classifier(classifier, repr(classifier))
    return classifier, _check_windows(classifier, X)


def _check_classifier(classifier, description):
    if not all(hasattr(classifier, name) for name in ("get_attention_weights", "predict_proba")):
        raise TypeError(
            "attributions needs a fitted sktemporal classifier (AttentionLSTMClassifier, "
            f"TransformerClassifier) or a fitted Pipeline ending in one; got {description}."
        )
    check_is_fitted(classifier)


def _check_windows(classifier, X):
    shape = np.shape(X) if hasattr(X, "shape") else None
    if shape is not None and len(shape) not in (2, 3):
        raise ValueError(
            "X must be 2-D (n_samples, timesteps) or 3-D (n_samples, timesteps, n_features); "
            f"got an array of shape {shape}."
        )
    X = check_array(X, allow_nd=True, dtype=[np.float64, np.float32], input_name="X")
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    if X.ndim != 3:
        raise ValueError(
            "X must be 2-D (n_samples, timesteps) or 3-D (n_samples, timesteps, n_features); "
            f"got an array of shape {X.shape}."
        )
    expected = (classifier.n_timesteps_, classifier.n_channels_)
    if X.shape[1:] != expected:
        raise ValueError(
            f"X has windows of {X.shape[1]} time steps x {X.shape[2]} features, but "
            f"{type(classifier).__name__} was fitted on {expected[0]} x {expected[1]}. Use the "
            "same sequence length and feature columns as in fit."
        )
    return np.asarray(X, dtype=np.float64)


def _check_positive_int(value, name):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")


def _target_indices(classifier, target, probabilities):
    """Column of ``probabilities`` to attribute, per window."""
    if target is None:
        return np.argmax(probabilities, axis=1)
    classes = classifier.classes_
    n_windows = len(probabilities)
    if np.ndim(target) not in (0, 1) or (np.ndim(target) == 1 and len(target) != n_windows):
        raise ValueError(
            f"target must be one class label or one per window ({n_windows}); got an array "
            f"of shape {np.shape(target)}."
        )
    labels = np.broadcast_to(np.asarray(target, dtype=object), (n_windows,))
    known = {label: index for index, label in enumerate(classes.tolist())}
    unknown = sorted({repr(label) for label in labels.tolist() if label not in known})
    if unknown:
        raise ValueError(
            f"target {', '.join(unknown)} is not a class of {type(classifier).__name__}; its "
            f"classes are {classes.tolist()}."
        )
    return np.array([known[label] for label in labels.tolist()], dtype=int)


def _baseline(classifier, baseline, shape):
    """The baseline broadcast to ``shape`` (n_samples, timesteps, n_features), float64."""
    if isinstance(baseline, str):
        if baseline not in _BASELINES:
            raise ValueError(
                f"Unknown baseline {baseline!r}; choose one of {list(_BASELINES)}, a number or "
                "an array that broadcasts to X's shape."
            )
        value = _training_mean(classifier) if baseline == "mean" else 0.0
        return np.broadcast_to(np.asarray(value, dtype=np.float64), shape)
    if isinstance(baseline, Real) and not isinstance(baseline, bool):
        values = np.asarray(float(baseline))
    else:
        values = np.asarray(baseline, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("baseline contains NaN or infinite values.")
    try:
        return np.broadcast_to(values, shape)
    except ValueError:
        raise ValueError(
            f"baseline of shape {values.shape} does not broadcast to X's shape {shape}; give "
            "one value per feature, one (timesteps, n_features) window or one per window."
        ) from None


def _training_mean(classifier):
    """Each feature's mean over the training windows, read from the network's normalisation.

    Parameters
    ----------
    classifier : fitted AttentionLSTMClassifier or TransformerClassifier

    Returns
    -------
    ndarray of shape (n_features,)
        Zeros when the classifier was fitted with ``normalize_inputs=False``.
    """
    try:
        layer = classifier.model_.get_layer("input_normalization")
    except ValueError:
        return np.zeros(classifier.n_channels_)
    import keras

    # keras.layers.Normalization in models saved before 2026-12-05, ChannelStandardization since.
    mean = getattr(layer, "input_mean", None)
    if mean is None:
        mean = getattr(layer, "adapt_mean", layer.mean)
    return np.asarray(keras.ops.convert_to_numpy(mean), dtype=np.float64).reshape(-1)


# ---------------------------------------------------------------------- occlusion


def _occlusion(classifier, X, base, targets, probabilities, occlusion_shape, batch_size):
    masks = _occlusion_masks(X.shape[1:], occlusion_shape)
    coverage = masks.sum(axis=0)
    windows_per_pass = max(1, batch_size // len(masks))
    reference = probabilities[np.arange(len(X)), targets]
    result = np.empty(X.shape)
    for start in range(0, len(X), windows_per_pass):
        rows = slice(start, start + windows_per_pass)
        x, b = X[rows, np.newaxis], base[rows, np.newaxis]
        occluded = np.where(masks[np.newaxis], b, x).reshape(-1, *X.shape[1:])
        scores = classifier.predict_proba(occluded).reshape(len(x), len(masks), -1)
        kept = np.take_along_axis(scores, targets[rows, np.newaxis, np.newaxis], axis=2)[..., 0]
        drop = reference[rows, np.newaxis] - kept
        result[rows] = np.einsum("wp,ptf->wtf", drop, masks) / coverage
    return result


def _occlusion_masks(window_shape, occlusion_shape):
    """One boolean mask per patch position, of shape (n_positions, timesteps, n_features)."""
    n_timesteps, n_features = window_shape
    if (
        not isinstance(occlusion_shape, (tuple, list))
        or len(occlusion_shape) != 2
        or not all(isinstance(n, Integral) and not isinstance(n, bool) for n in occlusion_shape)
        or not (1 <= occlusion_shape[0] <= n_timesteps and 1 <= occlusion_shape[1] <= n_features)
    ):
        raise ValueError(
            "occlusion_shape must be (time steps, features) of a patch within a window of "
            f"{n_timesteps} x {n_features}; got {occlusion_shape!r}."
        )
    height, width = occlusion_shape
    masks = []
    for step in range(n_timesteps - height + 1):
        for feature in range(n_features - width + 1):
            mask = np.zeros(window_shape, dtype=bool)
            mask[step : step + height, feature : feature + width] = True
            masks.append(mask)
    return np.stack(masks)


# ---------------------------------------------------------------------- integrated gradients


def _integrated_gradients(classifier, X, base, targets, n_steps, integration, batch_size):
    alphas, weights = _quadrature(integration, n_steps)
    gradient = _target_gradient(classifier.model_)
    difference = X - base
    windows_per_pass = max(1, batch_size // len(alphas))
    rows_per_pass = min(windows_per_pass, len(X)) * len(alphas)
    result = np.empty(X.shape)
    for start in range(0, len(X), windows_per_pass):
        rows = slice(start, start + windows_per_pass)
        path = base[rows, np.newaxis] + alphas[:, None, None] * difference[rows, np.newaxis]
        path = path.reshape(-1, *X.shape[1:])
        classes = np.repeat(targets[rows], len(alphas))
        # Padding the last pass to the size of the others saves a retrace on JAX/TensorFlow.
        padding = rows_per_pass - len(path)
        if padding:
            path = np.concatenate([path, np.repeat(path[:1], padding, axis=0)])
            classes = np.concatenate([classes, np.repeat(classes[:1], padding)])
        grads = gradient(path, classes)[: len(path) - padding]
        grads = grads.reshape(-1, len(alphas), *X.shape[1:])
        mean_gradient = np.tensordot(weights, grads, axes=([0], [1]))
        result[rows] = difference[rows] * mean_gradient
    return result


def _quadrature(integration, n_steps):
    """Points in [0, 1] and their weights (summing to 1), as Captum's approximation methods."""
    _check_positive_int(n_steps, "n_steps")
    if integration == "gausslegendre":
        points, weights = np.polynomial.legendre.leggauss(n_steps)
        return (points + 1) / 2, weights / 2
    if integration == "riemann_trapezoid":
        if n_steps < 2:
            raise ValueError(f"riemann_trapezoid needs n_steps >= 2; got {n_steps}.")
        weights = np.full(n_steps, 1 / (n_steps - 1))
        weights[[0, -1]] /= 2
        return np.linspace(0, 1, n_steps), weights
    raise ValueError(f"Unknown integration {integration!r}; choose one of {list(_INTEGRATIONS)}.")


def _target_gradient(model):
    """Gradient of ``model``'s output probability for given classes w.r.t. its input windows.

    Taken on the backend Keras runs on: ``jax.grad``, ``tf.GradientTape`` or
    ``torch.autograd``. The model is called with ``training=False``, so it returns what
    ``predict_proba`` does (dropout and augmentation off, the heads' mean where they vote).

    Parameters
    ----------
    model : keras.Model
        From windows to class probabilities, one output.

    Returns
    -------
    callable
        ``gradient(X, classes)``: ``X`` of shape (n, timesteps, n_features), ``classes`` of
        shape (n,), integer columns of the output; returns an ndarray of ``X``'s shape, the
        gradient of ``model(X)[i, classes[i]]`` with respect to ``X[i]``.
    """
    import keras

    backend = keras.backend.backend()
    builders = {"jax": _jax_gradient, "tensorflow": _tensorflow_gradient, "torch": _torch_gradient}
    if backend in builders:
        cached = _GRADIENTS.get(model)
        if cached is None or cached[0] != backend:
            cached = _GRADIENTS[model] = (backend, builders[backend](weakref.ref(model)))
        return cached[1]
    raise ValueError(
        f"Integrated gradients need gradients on Keras' {backend!r} backend, which this "
        "module does not take; use method='occlusion', which needs forward passes only."
    )


def _single_output(outputs):
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


# The builders below hold the model through a weak reference, so that the cache entry, whose
# key is the model, does not keep the model alive.


def _jax_gradient(model_ref):
    import jax
    import jax.numpy as jnp
    import keras

    def picked(x, classes, trainable, non_trainable):
        outputs, _ = model_ref().stateless_call(trainable, non_trainable, x, training=False)
        probabilities = _single_output(outputs)
        return jnp.sum(jnp.take_along_axis(probabilities, classes[:, None], axis=1))

    grad = jax.jit(jax.grad(picked))

    def gradient(X, classes):
        model = model_ref()
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        x = jnp.asarray(X, dtype=keras.backend.floatx())
        return np.asarray(grad(x, jnp.asarray(classes, dtype="int32"), trainable, non_trainable))

    return gradient


def _tensorflow_gradient(model_ref):
    import keras
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def grad(x, classes):
        with tf.GradientTape() as tape:
            tape.watch(x)
            probabilities = _single_output(model_ref()(x, training=False))
            picked = tf.gather(probabilities, classes, axis=1, batch_dims=1)
        return tape.gradient(picked, x)

    def gradient(X, classes):
        x = tf.convert_to_tensor(X, dtype=keras.backend.floatx())
        return grad(x, tf.convert_to_tensor(classes, dtype=tf.int32)).numpy()

    return gradient


def _torch_gradient(model_ref):
    import keras
    import torch

    def gradient(X, classes):
        x = keras.ops.convert_to_tensor(X, dtype=keras.backend.floatx())  # on Keras' device
        index = keras.ops.convert_to_tensor(classes, dtype="int64")
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            probabilities = _single_output(model_ref()(x, training=False))
            picked = probabilities.gather(1, index[:, None]).sum()
            (grad,) = torch.autograd.grad(picked, x)
        return grad.detach().cpu().numpy()

    return gradient
