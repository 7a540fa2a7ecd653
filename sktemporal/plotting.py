"""Plots for attention weights, training histories, predictions and backtests.

matplotlib, installed with sktemporal, is imported inside each function, never when this
module is imported, so importing sktemporal stays cheap and works where it was left out.

Every function draws into the matplotlib objects it is given, or into a new figure, and
returns what it drew on so that the plot can be restyled:

- one-panel plots (:func:`plot_attention`, :func:`plot_attention_heatmap`,
  :func:`plot_attributions`, :func:`plot_confusion_matrix`, :func:`plot_coverage_accuracy`)
  take ``ax`` and return that
  :class:`~matplotlib.axes.Axes`;
- multi-panel plots (:func:`plot_history`, :func:`plot_equity`) take ``axes``, a sequence of
  Axes, one per panel, and return their :class:`~matplotlib.figure.Figure`; the panels are
  ``figure.axes``.

Attention weights cover the ``T`` time steps of an input window. They are plotted against
their *lag*: ``-T + 1`` for the oldest row of the window, ``0`` for the most recent row, the
one at which the prediction is made.
"""

from collections.abc import Mapping

import numpy as np

__all__ = [
    "import_pyplot",
    "plot_attention",
    "plot_attention_heatmap",
    "plot_attributions",
    "plot_confusion_matrix",
    "plot_coverage_accuracy",
    "plot_equity",
    "plot_history",
]

_LAG_LABEL = "lag (time steps before the prediction; 0 = most recent row)"


def import_pyplot():
    """Import and return ``matplotlib.pyplot``, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "sktemporal.plotting needs matplotlib, which sktemporal installs but which is "
            "missing here. Install it with `pip install matplotlib`."
        ) from error
    return plt


def _new_axes(ax):
    """Return ``ax``, or the single Axes of a new figure when ``ax`` is None."""
    if ax is not None:
        return ax
    _, ax = import_pyplot().subplots()
    return ax


def _panels(axes, n_panels, name, **subplots_kwargs):
    """Return ``n_panels`` Axes: those given in ``axes``, or those of a new figure."""
    if axes is None:
        _, axes = import_pyplot().subplots(**subplots_kwargs, squeeze=False)
        return list(np.ravel(axes))
    axes = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(axes) != n_panels:
        raise ValueError(
            f"{name} draws {n_panels} panel(s) and needs as many Axes; got {len(axes)}."
        )
    return axes


def _check_weights(weights, allowed_ndim):
    """Return ``weights`` as a finite float array of an allowed number of dimensions."""
    try:
        weights = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"weights must be numeric; converting to float failed: {error}") from (
            error
        )
    if weights.ndim not in allowed_ndim:
        expected = " or ".join(
            {1: "(timesteps,)", 2: "(n_samples, timesteps)"}[ndim] for ndim in allowed_ndim
        )
        hint = (
            " For per-head weights of shape (n_samples, heads, timesteps), average over the "
            "heads first: weights.mean(axis=1)."
            if weights.ndim == 3
            else ""
        )
        raise ValueError(f"weights must have shape {expected}; got shape {weights.shape}.{hint}")
    if weights.size == 0:
        raise ValueError(f"weights are empty (shape {weights.shape}); nothing to plot.")
    if not np.isfinite(weights).all():
        raise ValueError("weights contain NaN or infinite values.")
    return weights


def _lags(n_timesteps):
    return np.arange(-n_timesteps + 1, 1)


def plot_attention(weights, ax=None):
    """Plot the mean attention weight of each time step, with its spread across samples.

    Parameters
    ----------
    weights : array-like of shape (n_samples, timesteps) or (timesteps,)
        Attention weights, e.g. a classifier's ``attention_weights_``. A 2-D array is
        summarised by its mean per time step and the band between its 25th and 75th
        percentiles; a 1-D array is taken as the mean already, and drawn without a band.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on: one line (the mean, against the lags ``-timesteps + 1 ... 0``)
        and, for 2-D weights, one filled band (the interquartile range).

    Raises
    ------
    ValueError
        If ``weights`` is not 1-D or 2-D, is empty, or holds NaN or infinite values.

    See Also
    --------
    plot_attention_heatmap : The weights of every sample.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sktemporal.plotting import plot_attention
    >>> weights = np.array([[0.1, 0.2, 0.7], [0.2, 0.2, 0.6]])
    >>> ax = plot_attention(weights)
    >>> ax.lines[0].get_xdata()
    array([-2, -1,  0])
    >>> ax.lines[0].get_ydata()
    array([0.15, 0.2 , 0.65])
    """
    import_pyplot()  # fails with installation advice when matplotlib is missing
    from matplotlib.ticker import MaxNLocator

    weights = _check_weights(weights, allowed_ndim=(1, 2))
    ax = _new_axes(ax)
    lags = _lags(weights.shape[-1])
    if weights.ndim == 2:
        low, high = np.percentile(weights, [25, 75], axis=0)
        ax.fill_between(lags, low, high, alpha=0.3, label="25th-75th percentile")
        mean = weights.mean(axis=0)
        title = f"Attention over {len(lags)} time steps ({len(weights)} samples)"
    else:
        mean = weights
        title = f"Attention over {len(lags)} time steps"
    ax.plot(lags, mean, marker="o", label="mean")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_LAG_LABEL)
    ax.set_ylabel("attention weight")
    ax.set_title(title)
    if weights.ndim == 2:
        ax.legend()
    return ax


def plot_attention_heatmap(weights, ax=None):
    """Plot the attention weights of each sample as a heatmap, with a colorbar.

    Parameters
    ----------
    weights : array-like of shape (n_samples, timesteps)
        Attention weights, one row per sample.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on. It holds one image, with samples down the rows and lags
        ``-timesteps + 1 ... 0`` across; the colorbar is in a separate Axes of the same figure.

    Raises
    ------
    ValueError
        If ``weights`` is not 2-D, is empty, or holds NaN or infinite values.

    See Also
    --------
    plot_attention : Mean and spread of the weights over the samples.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sktemporal.plotting import plot_attention_heatmap
    >>> ax = plot_attention_heatmap(np.array([[0.1, 0.2, 0.7], [0.2, 0.2, 0.6]]))
    >>> ax.images[0].get_array().shape
    (2, 3)
    """
    weights = _check_weights(weights, allowed_ndim=(2,))
    ax = _new_axes(ax)
    n_samples, n_timesteps = weights.shape
    image = ax.imshow(
        weights,
        aspect="auto",
        interpolation="nearest",
        extent=(-n_timesteps + 0.5, 0.5, n_samples - 0.5, -0.5),
    )
    ax.figure.colorbar(image, ax=ax, label="attention weight")
    ax.set_xlabel(_LAG_LABEL)
    ax.set_ylabel("sample")
    ax.set_title("Attention weights per sample")
    return ax


def plot_attributions(attributions, ax=None, feature_names=None, *, sample=None, cmap="RdBu_r"):
    """Plot attributions as a heatmap of time steps x features, centred on zero.

    Parameters
    ----------
    attributions : array-like of shape (n_samples, timesteps, n_features) or \
            (timesteps, n_features)
        Attributions such as those of :func:`sktemporal.inspection.attributions`. A 3-D array
        is drawn for one window (``sample``) or, by default, averaged over the windows.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created when None.
    feature_names : sequence of str, default=None
        One name per feature, for the rows; ``feature 0``, ``feature 1``... when None.
    sample : int, default=None
        Window of a 3-D array to draw; None draws the mean over the windows (signed, so that
        windows attributed in opposite directions cancel; pass ``np.abs(attributions)`` for
        the mean magnitude).
    cmap : str or matplotlib colormap, default="RdBu_r"
        A diverging colormap: the colour limits are symmetric about 0, so 0 is its centre
        (red pushes the class's probability up, blue down with the default).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on. It holds one image, with features down the rows and lags
        ``-timesteps + 1 ... 0`` across (0 is the window's last row); the colorbar is in a
        separate Axes of the same figure.

    Raises
    ------
    ValueError
        If ``attributions`` is not 2-D or 3-D, is empty or not finite, if ``sample`` is out of
        range or given for a 2-D array, or if ``feature_names`` has the wrong length.

    See Also
    --------
    sktemporal.inspection.attributions : Computes the attributions.
    plot_attention_heatmap : Attention weights, one row per window.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sktemporal.plotting import plot_attributions
    >>> values = np.zeros((4, 3, 2))  # 4 windows of 3 steps x 2 features
    >>> values[:, -1, 1] = 0.5
    >>> ax = plot_attributions(values, feature_names=["close", "volume"])
    >>> ax.images[0].get_array().shape  # features x time steps
    (2, 3)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['close', 'volume']
    """
    import_pyplot()  # fails with installation advice when matplotlib is missing
    values = _check_attributions(attributions, sample)
    n_timesteps, n_features = values.shape
    if feature_names is None:
        feature_names = [f"feature {j}" for j in range(n_features)]
    feature_names = [str(name) for name in feature_names]
    if len(feature_names) != n_features:
        raise ValueError(
            f"feature_names has {len(feature_names)} names for {n_features} features."
        )
    ax = _new_axes(ax)
    limit = float(np.abs(values).max()) or 1.0
    image = ax.imshow(
        values.T,
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
        vmin=-limit,
        vmax=limit,
        extent=(-n_timesteps + 0.5, 0.5, n_features - 0.5, -0.5),
    )
    ax.figure.colorbar(image, ax=ax, label="attribution")
    ax.set_yticks(range(n_features), feature_names)
    ax.set_xlabel(_LAG_LABEL)
    ax.set_ylabel("feature")
    n_windows = np.ndim(attributions) == 3 and sample is None and len(attributions)
    ax.set_title(f"Attributions, mean of {n_windows} windows" if n_windows else "Attributions")
    return ax


def _check_attributions(attributions, sample):
    """One (timesteps, n_features) map: the array, its window ``sample``, or its mean."""
    try:
        values = np.asarray(attributions, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"attributions must be numeric; converting to float failed: {error}"
        ) from error
    if values.ndim not in (2, 3):
        raise ValueError(
            "attributions must have shape (n_samples, timesteps, n_features) or (timesteps, "
            f"n_features); got shape {values.shape}."
        )
    if values.size == 0:
        raise ValueError(f"attributions are empty (shape {values.shape}); nothing to plot.")
    if not np.isfinite(values).all():
        raise ValueError("attributions contain NaN or infinite values.")
    if sample is not None:
        if values.ndim == 2:
            raise ValueError("sample selects a window of a 3-D array; attributions are 2-D.")
        integer = isinstance(sample, (int, np.integer)) and not isinstance(sample, bool)
        if not integer or not -len(values) <= sample < len(values):
            raise ValueError(f"sample {sample} is out of range for {len(values)} windows.")
        return values[sample]
    return values.mean(axis=0) if values.ndim == 3 else values


def plot_history(history, axes=None):
    """Plot the loss and, when recorded, the accuracy of each training epoch.

    Parameters
    ----------
    history : dict or keras.callbacks.History
        Per-epoch values, as in ``History.history`` or a classifier's ``history_``: ``loss``
        is required; ``val_loss``, ``accuracy`` and ``val_accuracy`` are drawn when present.
        A Keras ``History`` object is read through its ``history`` attribute.
    axes : sequence of matplotlib.axes.Axes, default=None
        One Axes per panel: two when an accuracy is recorded, otherwise one. A new figure is
        created when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure: ``figure.axes[0]`` shows the loss, ``figure.axes[1]`` (when an accuracy is
        recorded) the accuracy; each has a ``training`` line and, when recorded, a
        ``validation`` line, against the epochs ``1 ... n_epochs``.

    Raises
    ------
    TypeError
        If ``history`` is neither a mapping nor an object with a ``history`` mapping.
    ValueError
        If ``loss`` is missing, a series is empty, or ``axes`` has the wrong length.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sktemporal.plotting import plot_history
    >>> history = {"loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.8, 0.7],
    ...            "accuracy": [0.5, 0.6, 0.7], "val_accuracy": [0.4, 0.5, 0.6]}
    >>> figure = plot_history(history)
    >>> [ax.get_title() for ax in figure.axes]
    ['Loss', 'Accuracy']
    >>> [line.get_label() for line in figure.axes[0].lines]
    ['training', 'validation']
    """
    records = getattr(history, "history", history)
    if not isinstance(records, Mapping):
        raise TypeError(
            "history must be a dict of per-epoch values (e.g. History.history) or a Keras "
            f"History object; got {type(history).__name__}."
        )
    if "loss" not in records:
        raise ValueError(f"history has no 'loss' entry to plot; its keys are {sorted(records)}.")
    panels = [("Loss", "loss")]
    if "accuracy" in records or "val_accuracy" in records:
        panels.append(("Accuracy", "accuracy"))
    axes = _panels(
        axes, len(panels), "plot_history", ncols=len(panels), figsize=(5 * len(panels), 4)
    )

    for ax, (title, metric) in zip(axes, panels, strict=True):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            if key not in records:
                continue
            values = np.asarray(records[key], dtype=float).reshape(-1)
            if values.size == 0:
                raise ValueError(f"history[{key!r}] is empty; nothing to plot.")
            ax.plot(np.arange(1, values.size + 1), values, marker="o", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(title)
        ax.legend()
    return axes[0].figure


def plot_confusion_matrix(y_true, y_pred, labels=None, normalize=None, ax=None):
    """Plot the confusion matrix of predictions, with scikit-learn's ConfusionMatrixDisplay.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels. A label that is not among the true labels, such as the
        ``abstain_label`` of :class:`~sktemporal.meta.ConfidenceThresholdClassifier`, gets a
        column of its own.
    labels : array-like of shape (n_classes,), default=None
        Labels to show, in this order; by default all labels of ``y_true`` and ``y_pred``,
        sorted.
    normalize : {"true", "pred", "all"}, default=None
        Normalise counts over the true labels (rows), the predicted labels (columns) or all
        samples; raw counts when None.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on, true labels down the rows and predicted labels across.

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` differ in length.

    See Also
    --------
    sklearn.metrics.ConfusionMatrixDisplay : The display drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sktemporal.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix([-1, 1, 1, -1], [-1, 1, 0, 1])
    >>> [tick.get_text() for tick in ax.get_xticklabels()]
    ['-1', '0', '1']
    """
    import_pyplot()  # fails with installation advice when matplotlib is missing
    from sklearn.metrics import ConfusionMatrixDisplay

    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, normalize=normalize, ax=_new_axes(ax)
    )
    display.ax_.set_title("Confusion matrix")
    return display.ax_


def plot_equity(result, axes=None):
    """Plot the equity of a backtest against buy-and-hold, and its drawdown below.

    Parameters
    ----------
    result : BacktestResult
        The result of :func:`sktemporal.market.backtest.backtest`.
    axes : sequence of two matplotlib.axes.Axes, default=None
        Axes for the equity and for the drawdown; a new figure, with the two panels sharing
        the time axis, is created when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure: ``figure.axes[0]`` holds the ``strategy`` and ``buy and hold`` equity
        lines, ``figure.axes[1]`` their drawdowns (equity over its running peak, minus 1),
        the strategy's filled.

    Raises
    ------
    TypeError
        If ``result`` has no ``equity`` and ``benchmark_equity`` series.
    ValueError
        If ``axes`` does not hold two Axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sktemporal.market.backtest import backtest
    >>> from sktemporal.plotting import plot_equity
    >>> result = backtest([1, -1, 0, 1, 0], [100.0, 110.0, 99.0, 99.0, 108.9])
    >>> figure = plot_equity(result)
    >>> [line.get_label() for line in figure.axes[0].lines]
    ['strategy', 'buy and hold']
    >>> figure.axes[1].lines[1].get_ydata().round(3).tolist()
    [0.0, 0.0, -0.1, -0.1, -0.01]
    """
    import pandas as pd

    import_pyplot()  # fails with installation advice when matplotlib is missing
    from matplotlib.ticker import PercentFormatter

    if not all(
        isinstance(getattr(result, name, None), pd.Series)
        for name in ("equity", "benchmark_equity")
    ):
        raise TypeError(
            "result must be a BacktestResult from sktemporal.market.backtest.backtest, with "
            f"`equity` and `benchmark_equity` Series; got {type(result).__name__}."
        )
    top, bottom = _panels(
        axes, 2, "plot_equity", nrows=2, sharex=True, height_ratios=[3, 1], figsize=(8, 6)
    )
    series = (("strategy", result.equity), ("buy and hold", result.benchmark_equity))
    for label, equity in series:
        top.plot(equity.index, equity.to_numpy(), label=label)
    top.set_ylabel("equity (start = 1)")
    top.set_title("Equity: strategy vs buy and hold")
    top.legend()

    for label, equity in series:
        drawdown = (equity / equity.cummax() - 1.0).to_numpy()
        (line,) = bottom.plot(equity.index, drawdown, label=label)
        if label == "strategy":
            bottom.fill_between(equity.index, drawdown, 0.0, color=line.get_color(), alpha=0.3)
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0))
    bottom.set_ylabel("drawdown")
    bottom.set_xlabel(result.equity.index.name or "time")
    return top.figure


def plot_coverage_accuracy(curve, ax=None):
    """Plot coverage and accuracy on the rows acted on, against the confidence threshold.

    Parameters
    ----------
    curve : CoverageAccuracyCurve
        The result of :func:`sktemporal.meta.coverage_accuracy_curve`.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on, with two lines against the thresholds in increasing order:
        ``coverage`` and ``accuracy`` (with gaps where nothing is acted on).

    Raises
    ------
    TypeError
        If ``curve`` lacks ``thresholds``, ``coverage`` or ``accuracy``.
    ValueError
        If those arrays are empty, not 1-D, or of different lengths.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sktemporal.meta import CoverageAccuracyCurve
    >>> from sktemporal.plotting import plot_coverage_accuracy
    >>> curve = CoverageAccuracyCurve(thresholds=np.array([0.5, 0.7, 0.9]),
    ...                               coverage=np.array([1.0, 0.6, 0.2]),
    ...                               accuracy=np.array([0.6, 0.7, 0.9]),
    ...                               n_acted=np.array([10, 6, 2]))
    >>> ax = plot_coverage_accuracy(curve)
    >>> [line.get_label() for line in ax.lines]
    ['coverage', 'accuracy']
    """
    names = ("thresholds", "coverage", "accuracy")
    missing = [name for name in names if not hasattr(curve, name)]
    if missing:
        raise TypeError(
            "curve must be a CoverageAccuracyCurve from sktemporal.meta."
            f"coverage_accuracy_curve; got {type(curve).__name__} without {missing}."
        )
    thresholds, coverage, accuracy = (np.asarray(getattr(curve, n), dtype=float) for n in names)
    shapes = {thresholds.shape, coverage.shape, accuracy.shape}
    if len(shapes) != 1 or thresholds.ndim != 1 or thresholds.size == 0:
        raise ValueError(
            "curve.thresholds, curve.coverage and curve.accuracy must be non-empty 1-D arrays "
            f"of one length; got shapes {thresholds.shape}, {coverage.shape} and "
            f"{accuracy.shape}."
        )
    order = np.argsort(thresholds, kind="stable")
    ax = _new_axes(ax)
    ax.plot(thresholds[order], coverage[order], label="coverage")
    ax.plot(thresholds[order], accuracy[order], label="accuracy")
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel("confidence threshold (top class probability)")
    ax.set_ylabel("share")
    ax.set_title("Coverage and accuracy on the rows acted on")
    ax.legend()
    return ax
