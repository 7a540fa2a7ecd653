"""The market job on many assets: per-asset features and labels, one model, walk-forward by date.

- :func:`prepare_panel` computes each asset's causal indicators and direction labels on its
  own rows (no indicator ever reads two assets) and stacks them into one panel indexed by
  (symbol, date);
- :func:`panel_walk_forward_evaluate` trains **one** classifier on the windows of every asset
  (each asset's own rows, read lazily from the scaled feature table: no window holds two
  assets, and none is copied),
  split by date with :class:`~sktemporal.model_selection.PanelTimeSeriesSplit` (``gap`` =
  the label horizon, in each asset's own rows), and scores it per asset and pooled next to
  the baselines of the single-series job plus a logistic regression per asset (and, on
  request, one network per asset).

The scores are gathered in :class:`~sktemporal.market.panel_scores.PanelWalkForwardResult`.
"""

import sys
import time
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params

from sktemporal.market.datasets import check_price_panel, panel_feature_set
from sktemporal.market.features import FEATURE_SETS, TechnicalIndicators
from sktemporal.market.panel_scores import PanelWalkForwardResult, panel_fold_result
from sktemporal.market.preparation import SETTINGS_CONSTRAINTS, prepare_dataset
from sktemporal.market.scores import aligned_proba, class_shares
from sktemporal.market.serialization import iso_date, json_key, json_params
from sktemporal.market.walk_forward import fresh_clone, with_callback
from sktemporal.model_selection import PanelTimeSeriesSplit
from sktemporal.panel_windows import PanelWindows

__all__ = ["PanelSamples", "panel_walk_forward_evaluate", "prepare_panel"]


class PanelSamples:
    """Features, labels and windows of every asset of a panel, from :func:`prepare_panel`.

    Attributes
    ----------
    X : pandas.DataFrame
        Feature rows of every asset with a label, indexed by (symbol, date).
    y : pandas.Series
        Their labels in ``{-1, 0, 1}``.
    samples : ndarray of int
        Positions in ``X`` of the rows with ``sequence_length - 1`` feature rows of their
        own asset before them: the rows that are predicted and scored.
    persistence : ndarray
        Each sample's persistence forecast: its asset's realised label of ``horizon`` rows
        earlier (the return from ``t - horizon`` to ``t``, known at ``t``); NaN where the
        asset has no such row.
    feature_set : {"ohlcv", "close"}
        The indicators computed.
    dropped : dict
        Assets left out, with their number of rows: too short for one sample.
    """

    def __init__(self, X, y, samples, persistence, feature_set, dropped):
        self.X, self.y, self.samples = X, y, samples
        self.persistence, self.feature_set, self.dropped = persistence, feature_set, dropped

    @property
    def sample_index(self):
        """pandas.MultiIndex: (symbol, date) of the samples."""
        return self.X.index[self.samples]

    @property
    def symbols(self):
        """list: The assets kept, in order."""
        return list(pd.unique(self.X.index.get_level_values(0)))

    def windows(self, sequence_length, scaler=None, dtype=np.float32):
        """The windows of the samples, ``(n_samples, sequence_length, n_features)``, lazily.

        A :class:`~sktemporal.panel_windows.PanelWindows` over the feature table itself, cast
        to ``dtype`` and, with ``scaler``, scaled: ``(X - mean) / scale`` in ``dtype``, with
        the scaler's statistics cast to it. Sample ``k``'s window is the table's rows
        ``samples[k] - sequence_length + 1`` to ``samples[k]``: the table holds the assets
        one after the other, and a sample has ``sequence_length - 1`` rows of its own asset
        before it, so no window holds two assets and none needs padding. The only memory
        is the table's (``n_rows × n_features`` values) and 8 bytes a sample, not
        ``n_samples × sequence_length × n_features`` values; a walk-forward fold scales the
        table with its own statistics and selects its windows from it
        (:meth:`~sktemporal.panel_windows.PanelWindows.select`) without a copy.

        Parameters
        ----------
        sequence_length : int
            Rows per window; at most the ``sequence_length`` the samples were prepared for.
        scaler : fitted StandardScaler, default=None
            Scales the table first (its ``mean_`` and ``scale_``); ``None``: unscaled.
        dtype : dtype, default=numpy.float32
            Of the table, and so of the windows.

        Returns
        -------
        PanelWindows
        """
        start = self.samples - (sequence_length - 1)
        asset = self.X.index.codes[0]
        if start.size and (start.min() < 0 or (asset[start] != asset[self.samples]).any()):
            raise ValueError(
                f"sequence_length={sequence_length} reaches past the rows of an asset before "
                "one of its samples; use at most the sequence_length the samples were "
                "prepared with."
            )
        table = self.X.to_numpy(dtype=dtype)
        if scaler is not None:
            table = (table - scaler.mean_.astype(dtype)) / scaler.scale_.astype(dtype)
        return PanelWindows(table, start, sequence_length)


@validate_params(
    {
        "horizon": SETTINGS_CONSTRAINTS["horizon"],
        "threshold": SETTINGS_CONSTRAINTS["threshold"],
        "sequence_length": SETTINGS_CONSTRAINTS["sequence_length"],
        "feature_set": [StrOptions(set(FEATURE_SETS)), None],
    },
    prefer_skip_nested_validation=True,
)
def prepare_panel(prices, *, horizon=1, threshold=0.005, sequence_length=30, feature_set=None):
    """Each asset's causal features and direction labels, stacked into one panel.

    For every asset, on its own rows alone,
    :func:`~sktemporal.market.preparation.prepare_dataset` computes the indicators of each
    row from that asset's rows ``<= t`` and the label from its close ``horizon`` rows later:
    no indicator and no label ever mixes two assets. An asset too short to give one sample
    (``TechnicalIndicators.warmup_rows + sequence_length + horizon`` rows) is left out
    **with a warning** that names it.

    Parameters
    ----------
    prices : pandas.DataFrame
        A price panel indexed by (symbol, date)
        (:func:`~sktemporal.market.datasets.load_price_panel`,
        :func:`~sktemporal.market.datasets.load_sp500_stocks`).
    horizon : int, default=1
        Rows ahead the labels look.
    threshold : float, default=0.005
        Returns within ``[-threshold, threshold]`` are labelled flat (0).
    sequence_length : int, default=30
        Rows per window: each asset's first ``sequence_length - 1`` feature rows only serve
        as the past of its first sample.
    feature_set : {"ohlcv", "close"}, default=None
        The indicators; ``None``: ``"ohlcv"`` when the panel has open, high, low, close and
        volume, else ``"close"`` (:func:`~sktemporal.market.datasets.panel_feature_set`).

    Returns
    -------
    PanelSamples

    Raises
    ------
    ValueError
        If ``prices`` is not a valid panel, or no asset is long enough.

    Examples
    --------
    >>> from sktemporal.market.datasets import load_sp500_stocks
    >>> from sktemporal.market.panel import prepare_panel
    >>> data = prepare_panel(load_sp500_stocks(["KO", "PEP"], start="2022-01-01"),
    ...                      sequence_length=10)
    >>> data.feature_set, data.X.shape, len(data.samples)
    ('close', (398, 18), 380)
    """
    symbols = check_price_panel(prices)
    feature_set = feature_set or panel_feature_set(prices)
    context = sequence_length - 1
    needed = TechnicalIndicators.warmup_rows + context + horizon + 1
    features, labels, persistence, samples, dropped = [], [], [], [], {}
    offset = 0
    level = prices.index.get_level_values(0)
    for symbol in symbols:
        rows = prices[level == symbol].droplevel(0)
        if len(rows) < needed:
            dropped[symbol] = len(rows)
            continue
        X, y = prepare_dataset(rows, horizon=horizon, threshold=threshold, feature_set=feature_set)
        features.append(X)
        labels.append(y)
        warmup = TechnicalIndicators.warmup_rows  # y's first row is the asset's row ``warmup``
        persistence.append(
            _persistence(rows["close"], horizon, threshold)[warmup : warmup + len(y)]
        )
        samples.append(offset + np.arange(context, len(y)))
        offset += len(y)
    if dropped:
        warnings.warn(
            f"left out {len(dropped)} asset(s) too short for one sample ({needed} rows needed "
            f"with sequence_length={sequence_length}, horizon={horizon}): "
            + ", ".join(f"{symbol} ({n} rows)" for symbol, n in dropped.items()),
            UserWarning,
            stacklevel=3,  # the caller, past validate_params' wrapper
        )
    if not features:
        raise ValueError(
            f"no asset has the {needed} rows one sample needs with sequence_length="
            f"{sequence_length} and horizon={horizon}."
        )
    kept = [symbol for symbol in symbols if symbol not in dropped]
    X = pd.concat(dict(zip(kept, features, strict=True)), names=["symbol", "date"])
    y = pd.concat(dict(zip(kept, labels, strict=True)), names=["symbol", "date"])
    samples = np.concatenate(samples)
    persistence = np.concatenate(persistence)[samples]
    return PanelSamples(X, y, samples, persistence, feature_set, dropped)


def _persistence(close, horizon, threshold):
    """Direction of the return from ``t - horizon`` to ``t``, per row; NaN for the first rows."""
    close = np.asarray(close, dtype=np.float64)
    past = np.full(len(close), np.nan)
    returns = close[horizon:] / close[:-horizon] - 1.0
    past[horizon:] = np.where(returns > threshold, 1, np.where(returns < -threshold, -1, 0))
    return past


@validate_params(
    {
        **SETTINGS_CONSTRAINTS,
        "classifier": [HasMethods(["fit", "predict_proba"])],
        "per_asset_models": ["boolean"],
        "test_size": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        "progress": [HasMethods(["callback", "note"]), None],
    },
    prefer_skip_nested_validation=False,
)
def panel_walk_forward_evaluate(
    prices,
    classifier,
    *,
    sequence_length=30,
    horizon=1,
    threshold=0.005,
    n_splits=5,
    test_size=None,
    per_asset_models=False,
    verbose=0,
    progress=None,
):
    """Score one window classifier trained on every asset, walk-forward by date.

    The samples are every asset's rows that have features, a label and ``sequence_length -
    1`` feature rows of their own before them (:func:`prepare_panel`).
    :class:`~sktemporal.model_selection.PanelTimeSeriesSplit` ``(n_splits, gap=horizon)``
    splits the panel's calendar: each test block is every asset's samples on the next block
    of dates, each training set the samples of every asset dated before it, less each
    asset's last ``horizon`` rows (their labels reach into the test block). In each fold:

    1. a :class:`~sklearn.preprocessing.StandardScaler` is fitted on the feature rows, of
       all assets, dated up to the last training sample, and scales the feature table;
    2. the windows are each asset's own rows of that table, read through a row map
       (:meth:`PanelSamples.windows`) and selected for the fold without a copy; a test
       sample's window holds its true past;
    3. one clone of ``classifier`` is fitted on the training windows of all assets, given
       in date order (its validation tail for early stopping is then the latest training
       dates of every asset), and predicts every test window.

    Baselines on the same folds: **majority** (training class shares, pooled),
    **persistence** (each asset's own last realised label), **logistic_regression** (pooled
    over the assets, on the scaled features of row ``t``) and
    **logistic_regression_per_asset** (one per asset, fitted on that asset's training rows;
    an asset with one class in its training rows takes the pooled regression's
    predictions). With ``per_asset_models=True``, **model_per_asset** also fits one clone of
    ``classifier`` per asset on that asset's windows alone (the same fallback): does pooling
    help?

    Every method gets accuracy, balanced accuracy, macro F1 and log loss on every fold,
    pooled over the assets and for each asset.

    Parameters
    ----------
    prices : pandas.DataFrame
        A price panel indexed by (symbol, date), with ``close`` (and ``open``, ``high``,
        ``low``, ``volume`` for the 34 indicators).
    classifier : classifier
        An unfitted classifier of windows ``(n, sequence_length, n_features)``.
    sequence_length, horizon, threshold, n_splits
        As for :func:`~sktemporal.market.walk_forward.walk_forward_evaluate`.
    test_size : int, default=None
        Dates per test block; ``None``: ``n_dates // (n_splits + 1)``.
    per_asset_models : bool, default=False
        Also fit and score one classifier per asset.
    verbose : int, default=0
        1 or more prints one line per fold on stderr.
    progress : TrainingProgress, default=None
        Follows each fit's epochs and prints the fold lines.

    Returns
    -------
    PanelWalkForwardResult

    Examples
    --------
    >>> from sktemporal import AttentionLSTMClassifier
    >>> from sktemporal.market.datasets import load_sp500_stocks
    >>> from sktemporal.market.panel import panel_walk_forward_evaluate
    >>> tiny = AttentionLSTMClassifier(lstm_units=2, attention_units=2, dense_units=2,
    ...                                stem_filters=(2,), stem_kernel_sizes=(3,),
    ...                                epochs=1, random_state=0)
    >>> prices = load_sp500_stocks(["KO", "PEP"], start="2021-06-01")
    >>> result = panel_walk_forward_evaluate(prices, tiny, sequence_length=5, n_splits=2)
    >>> result.summary().shape, sorted(result.asset_summary().index.get_level_values(0).unique())
    ((5, 8), ['KO', 'PEP'])
    """
    data = prepare_panel(
        prices, horizon=horizon, threshold=threshold, sequence_length=sequence_length
    )
    index = data.sample_index
    y_samples = data.y.to_numpy()[data.samples]
    symbol_of = index.get_level_values(0).to_numpy()
    dates = index.get_level_values(1)
    classes = np.unique(y_samples)
    features = data.X.to_numpy()
    rows = features[data.samples]
    all_dates = data.X.index.get_level_values(1)

    splitter = PanelTimeSeriesSplit(n_splits, test_size=test_size, gap=horizon)
    n_folds = splitter.get_n_splits()
    frame = pd.DataFrame(index=index)
    _check_enough_dates(dates, n_splits, test_size, sequence_length, horizon)
    folds, predictions = [], []
    for number, (train, test) in enumerate(splitter.split(frame), start=1):
        started = time.perf_counter()
        if len(np.unique(y_samples[train])) < 2:
            raise ValueError(
                f"the training samples of fold {number} all have one label; a classifier "
                "needs two classes. Use more rows, fewer folds or a smaller threshold."
            )
        last_train_date = dates[train].max()
        scaler = StandardScaler().fit(features[all_dates <= last_train_date])
        scaled = data.windows(sequence_length, scaler=scaler)  # lazy, over the scaled table
        scaled_rows = scaler.transform(rows)
        y_train, y_test = y_samples[train], y_samples[test]

        estimator = fresh_clone(classifier, f"fold_{number}", predicts_only=True)
        if progress is not None:
            with_callback(estimator, progress.callback(f"fold {number}/{n_folds}"))
        fit_started = time.perf_counter()
        # In date order, so that the classifier's validation tail (its last rows, for early
        # stopping) is the latest dates of every asset, not the last assets' whole history.
        by_date = train[np.argsort(dates[train], kind="stable")]
        estimator.fit(scaled.select(by_date), y_samples[by_date])
        fit_seconds = time.perf_counter() - fit_started
        output = {}
        proba = aligned_proba(
            estimator.predict_proba(scaled.select(test)), estimator.classes_, classes
        )
        output["model"] = (classes[proba.argmax(axis=1)], proba)
        if per_asset_models:
            output["model_per_asset"] = _per_asset(
                lambda name=f"fold_{number}_asset": fresh_clone(
                    classifier, name, predicts_only=True
                ),
                (scaled, y_samples, symbol_of, classes),
                train,
                test,
                output["model"],
            )
        del scaled
        majority = DummyClassifier(strategy="prior").fit(np.zeros((len(y_train), 1)), y_train)
        no_features = np.zeros((len(test), 1))
        output["majority"] = (
            majority.predict(no_features),
            aligned_proba(majority.predict_proba(no_features), majority.classes_, classes),
        )
        past = data.persistence[test]
        past = np.where(np.isnan(past), majority.predict(no_features), past)
        output["persistence"] = (past.astype(y_test.dtype), None)
        logistic = LogisticRegression(max_iter=5000).fit(scaled_rows[train], y_train)
        pooled = (
            logistic.predict(scaled_rows[test]),
            aligned_proba(logistic.predict_proba(scaled_rows[test]), logistic.classes_, classes),
        )
        output["logistic_regression"] = pooled
        output["logistic_regression_per_asset"] = _per_asset(
            lambda: LogisticRegression(max_iter=5000),
            (scaled_rows, y_samples, symbol_of, classes),
            train,
            test,
            pooled,
        )
        fold = panel_fold_result(
            number,
            train_dates=(dates[train].min(), last_train_date),
            test_dates=(dates[test].min(), dates[test].max()),
            n_train=len(train),
            y_test=y_test,
            symbols=symbol_of[test],
            output=output,
            classes=classes,
            n_iter=getattr(estimator, "n_iter_", None),
            fit_seconds=fit_seconds,
        )
        folds.append(fold)
        predictions.append(_prediction_frame(index[test], number, y_test, proba, classes))
        line = _progress_line(fold, n_folds, time.perf_counter() - started)
        if progress is not None:
            progress.note(line)
        elif verbose:
            print(line, file=sys.stderr)

    return PanelWalkForwardResult(
        folds=folds,
        classes=classes,
        symbols=data.symbols,
        class_shares=class_shares(y_samples, classes),
        data={
            "n_assets": len(data.symbols),
            "symbols": data.symbols,
            "left_out": data.dropped,
            "n_rows": len(prices),
            "first_date": iso_date(prices.index.get_level_values(1).min()),
            "last_date": iso_date(prices.index.get_level_values(1).max()),
            "n_labelled_rows": len(data.y),
            "n_samples": len(y_samples),
            "first_sample_date": iso_date(dates.min()),
            "last_sample_date": iso_date(dates.max()),
            "feature_set": data.feature_set,
        },
        parameters={
            "sequence_length": sequence_length,
            "horizon": horizon,
            "threshold": threshold,
            "n_splits": n_splits,
            "cv": {
                "scheme": "walk-forward by date",
                "splitter": "PanelTimeSeriesSplit",
                "gap": horizon,
                "test_size": test_size,
            },
            "warmup_rows": TechnicalIndicators.warmup_rows,
            "feature_set": data.feature_set,
            "feature_names": list(data.X.columns),
            "classifier": type(classifier).__name__,
            "classifier_params": json_params(classifier),
            "per_asset_models": per_asset_models,
        },
        predictions=_by_asset(pd.concat(predictions), data.symbols),
    )


def _by_asset(predictions, symbols):
    """The predictions grouped by asset, in ``symbols`` order, each asset's in date order."""
    position = {symbol: number for number, symbol in enumerate(symbols)}
    order = np.lexsort(
        (
            predictions.index.get_level_values(1).to_numpy(),
            predictions.index.get_level_values(0).map(position).to_numpy(),
        )
    )
    return predictions.iloc[order]


def _per_asset(make, samples, train, test, fallback):
    """One estimator per asset, fitted on its own training rows; ``fallback`` where it cannot be.

    ``samples`` is (inputs, labels, symbol of each sample, classes). An asset with fewer than
    two classes among its training rows (or none: listed later) keeps the pooled method's
    predictions (``fallback``) for its test rows.
    """
    inputs, labels, symbol_of, classes = samples
    predicted, proba = fallback[0].copy(), fallback[1].copy()
    for symbol in pd.unique(symbol_of[test]):
        own_train = train[symbol_of[train] == symbol]
        own_test = np.flatnonzero(symbol_of[test] == symbol)
        if len(np.unique(labels[own_train])) < 2:
            continue
        estimator = make().fit(_take(inputs, own_train), labels[own_train])
        own = estimator.predict_proba(_take(inputs, test[own_test]))
        own = aligned_proba(own, estimator.classes_, classes)
        proba[own_test] = own
        predicted[own_test] = classes[own.argmax(axis=1)]
    return predicted, proba


def _take(inputs, rows):
    """``inputs[rows]``; of windows, selected without a copy."""
    return inputs.select(rows) if isinstance(inputs, PanelWindows) else inputs[rows]


def _check_enough_dates(dates, n_splits, test_size, sequence_length, horizon):
    """Refuse a calendar too short for every fold to test a date and train on two."""
    n_dates = len(pd.unique(dates))
    if test_size is None:
        needed = (n_splits + 1) * (horizon + 2)
    else:
        needed = n_splits * test_size + horizon + 2
    if n_dates < needed:
        raise ValueError(
            f"the samples span {n_dates} dates; a {n_splits}-fold walk-forward by date with "
            f"sequence_length={sequence_length} and horizon={horizon} needs at least {needed}. "
            "Use longer price series or fewer folds."
        )


def _prediction_frame(index, fold, y_true, proba, classes):
    """One fold's out-of-sample rows: symbol, date, fold, true label, top class, probabilities."""
    frame = pd.DataFrame(proba, index=index, columns=[f"proba_{json_key(c)}" for c in classes])
    frame.insert(0, "predicted_class", classes[proba.argmax(axis=1)])
    frame.insert(0, "y_true", y_true)
    frame.insert(0, "fold", fold)
    return frame


def _progress_line(fold, n_splits, seconds):
    model, majority = fold.scores["model"], fold.scores["majority"]
    epochs = "" if fold.n_iter is None else f", epochs {fold.n_iter}"
    return (
        f"fold {fold.fold}/{n_splits}: train {fold.n_train} samples to "
        f"{iso_date(fold.train_dates[1])}, test {fold.n_test} ({len(fold.asset_scores)} "
        f"assets): balanced accuracy {model['balanced_accuracy']:.4f} (majority "
        f"{majority['balanced_accuracy']:.4f}), log loss {model['log_loss']:.4f}{epochs}, "
        f"{seconds:.0f} s"
    )
