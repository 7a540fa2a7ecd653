"""Walk-forward evaluation of a direction classifier on daily prices, against three baselines.

The procedure behind ``sktemporal train``, as library functions:

- :func:`~sktemporal.market.preparation.prepare_dataset` turns OHLCV prices into causal
  features and the direction labels they can be trained on;
- :func:`walk_forward_evaluate` scores a classifier fold by fold through time, next to the
  majority-class, persistence and logistic-regression baselines, keeps the model's
  out-of-sample class probabilities of every test row, then refits it on all labelled rows.

The fold scores and results are in :mod:`sktemporal.market.scores`; the refitted model,
:class:`~sktemporal.market.direction_model.DirectionModel`, and its file format in
:mod:`sktemporal.market.direction_model`.
"""

import math
import os
import sys
import time
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params

from sktemporal.market.direction_model import fit_on_features
from sktemporal.market.features import TechnicalIndicators
from sktemporal.market.preparation import (
    SETTINGS_CONSTRAINTS,
    causal_windows,
    check_enough_rows,
    minimum_rows,
    prepare_dataset,
)
from sktemporal.market.scores import (
    FoldResult,
    WalkForwardResult,
    aligned_proba,
    class_shares,
    fold_scores,
)
from sktemporal.market.serialization import iso_date, json_key, json_params
from sktemporal.model_selection import CV_SCHEMES, purged_splitter

__all__ = ["fresh_clone", "walk_forward_evaluate", "with_callback"]


@validate_params(
    {
        **SETTINGS_CONSTRAINTS,
        "classifier": [HasMethods(["fit", "predict_proba"])],
        "cv": [StrOptions(set(CV_SCHEMES))],
        "n_test_groups": [Interval(Integral, 1, None, closed="left")],
        "embargo": [Interval(Integral, 0, None, closed="left"), None],
        "refit": ["boolean"],
        "verbose": ["verbose"],
        "progress": [HasMethods(["callback", "note"]), None],
    },
    # The classifier's own parameters are checked when it is fitted.
    prefer_skip_nested_validation=False,
)
def walk_forward_evaluate(
    ohlcv,
    classifier,
    *,
    sequence_length=30,
    horizon=1,
    threshold=0.005,
    n_splits=5,
    cv="walk-forward",
    n_test_groups=2,
    embargo=None,
    refit=True,
    verbose=0,
    progress=None,
):
    """Score a window classifier fold by fold, next to three baselines.

    The samples are the rows that have features, a label and ``sequence_length - 1`` rows of
    features before them (see :func:`prepare_dataset`). ``cv`` chooses how they are split
    (:func:`~sktemporal.model_selection.purged_splitter`): walk-forward,
    ``TimeSeriesSplit(n_splits, gap=horizon)``, trains on the past only; purged k-fold and
    combinatorial purged cross-validation (CPCV) also train on rows after the test block, with
    the training samples whose label overlaps a test label removed (the purge, equal to the
    label horizon) and ``embargo`` rows after each test block removed. In each fold:

    1. a :class:`~sklearn.preprocessing.StandardScaler` is fitted on the feature rows of the
       training samples only (walk-forward: every row up to the last of them), and scales
       every row;
    2. :class:`~sktemporal.SlidingWindowTransformer` builds the windows over the whole scaled
       table, so a test sample's window holds its true past rows (windows are causal);
    3. a clone of ``classifier`` is fitted on the training windows and predicts the test
       windows.

    Walk-forward and purged k-fold predict each tested sample once. CPCV splits the samples
    into ``n_splits`` blocks and tests every choice of ``n_test_groups`` of them, so each
    block is predicted by ``C(n_splits - 1, n_test_groups - 1)`` fits; those predictions
    recombine into as many **paths**, each a full out-of-sample history of every sample
    (López de Prado, *Advances in Financial Machine Learning*, 2018, section 12.4), and every
    method is scored on every path.

    The baselines use the same folds: **majority**, the most frequent class of the training
    fold, with the training class shares as probabilities
    (``DummyClassifier(strategy="prior")``); **persistence**, the realised label of row
    ``t - horizon`` (the direction of the return from ``t - horizon`` to ``t``, known at
    ``t``), which has no probabilities and so a NaN log loss; **logistic_regression**, a
    :class:`~sklearn.linear_model.LogisticRegression` on the scaled features of row ``t``
    alone. Each method gets accuracy, balanced accuracy, macro F1 and log loss on each fold.

    Parameters
    ----------
    ohlcv : pandas.DataFrame
        Daily prices in time order with ``open``, ``high``, ``low``, ``close`` and ``volume``.
    classifier : classifier
        An unfitted classifier of windows ``(n, sequence_length, n_features)`` with
        ``predict_proba``, e.g. :class:`~sktemporal.AttentionLSTMClassifier`. It is cloned for
        every fit; its own ``verbose`` and ``random_state`` apply.
    sequence_length : int, default=30
        Rows per window, the predicted row included.
    horizon : int, default=1
        Rows ahead the labels look; also the walk-forward's gap between training and test
        samples, and the purge of the purged schemes.
    threshold : float, default=0.005
        Returns within ``[-threshold, threshold]`` are labelled flat (0).
    n_splits : int, default=5
        Folds (walk-forward, purged k-fold) or blocks (CPCV).
    cv : {"walk-forward", "purged-kfold", "cpcv"}, default="walk-forward"
        How the samples are split; see above.
    n_test_groups : int, default=2
        CPCV only: blocks tested by each fit; ``C(n_splits, n_test_groups)`` fits.
    embargo : int, default=None
        Purged schemes only: samples removed from training after each test block. ``None``:
        ``horizon + sequence_length - 1``, so that no training window holds a price that a
        test label was computed from.
    refit : bool, default=True
        Refit the classifier on all labelled rows afterwards
        (:func:`~sktemporal.market.direction_model.fit_direction_model`) and return it as
        ``model``.
    verbose : int, default=0
        0 silent; 1 or more prints one line per fold on stderr.
    progress : TrainingProgress, default=None
        A :class:`~sktemporal.market.progress.TrainingProgress` that follows each fold's
        epochs (through the classifier's ``callbacks``, when it has that parameter) and
        prints the fold lines instead of ``verbose``.

    Returns
    -------
    WalkForwardResult
        Per-fold scores, their means and standard deviations, the out-of-sample predictions
        (of every path, for CPCV), the per-path scores (CPCV) and the refitted model.

    Raises
    ------
    ValueError
        If a setting is invalid or the prices have fewer than :func:`minimum_rows` rows.

    See Also
    --------
    prepare_dataset : The features and labels evaluated.
    sktemporal.market.direction_model.DirectionModel : The refitted model and its file format.

    Examples
    --------
    >>> from sktemporal import AttentionLSTMClassifier
    >>> from sktemporal.market.datasets import load_sp500
    >>> from sktemporal.market.walk_forward import walk_forward_evaluate
    >>> tiny = AttentionLSTMClassifier(lstm_units=2, attention_units=2, dense_units=2,
    ...                                epochs=1, random_state=0)
    >>> result = walk_forward_evaluate(load_sp500().iloc[:300], tiny, sequence_length=5,
    ...                                n_splits=2, refit=False)
    >>> result.summary().shape
    (4, 8)
    >>> sorted(result.to_dict()["baseline_metrics"])
    ['logistic_regression', 'majority', 'persistence']
    """
    check_enough_rows(
        ohlcv,
        minimum_rows(sequence_length, horizon, n_splits),
        f"a {n_splits}-fold {cv} evaluation with sequence_length={sequence_length} "
        f"and horizon={horizon}",
    )
    X, y = prepare_dataset(ohlcv, horizon=horizon, threshold=threshold)
    features = X.to_numpy()
    context = sequence_length - 1  # feature rows that only serve as the first window's past
    y_samples = y.to_numpy()[context:]
    dates = y.index[context:]
    classes = np.unique(y_samples)
    first_sample = TechnicalIndicators.warmup_rows + context  # its position in ``ohlcv``
    persistence = _persistence(ohlcv["close"], horizon, threshold)[
        first_sample : first_sample + len(y_samples)
    ]

    splitter = purged_splitter(
        len(y_samples),
        cv,
        horizon=horizon,
        window=sequence_length,
        n_splits=n_splits,
        n_test_groups=n_test_groups,
        embargo=embargo,
    )
    n_folds = splitter.get_n_splits()
    folds, outputs, tests = [], [], []
    for number, (train, test) in enumerate(splitter.split(y_samples), start=1):
        started = time.perf_counter()
        _check_classes(y_samples[train], number, dates[train[0]], dates[train[-1]])
        # The scaler sees the feature rows of the training samples only: walk-forward, every
        # row up to the last of them; purged schemes, the training samples' own rows.
        fitted_rows = (
            np.arange(train[-1] + context + 1) if cv == "walk-forward" else train + context
        )
        scaler = StandardScaler().fit(features[fitted_rows])
        scaled = scaler.transform(features)
        windows = causal_windows(scaled, sequence_length)
        y_train, y_test = y_samples[train], y_samples[test]

        estimator = fresh_clone(classifier, f"fold_{number}", predicts_only=True)
        if progress is not None:
            with_callback(estimator, progress.callback(f"fold {number}/{n_folds}"))
        fit_started = time.perf_counter()
        estimator.fit(windows[train], y_train)
        fit_seconds = time.perf_counter() - fit_started
        proba = aligned_proba(estimator.predict_proba(windows[test]), estimator.classes_, classes)
        output = {"model": (classes[proba.argmax(axis=1)], proba)}

        majority = DummyClassifier(strategy="prior").fit(np.zeros((len(train), 1)), y_train)
        no_features = np.zeros((len(test), 1))
        output["majority"] = (
            majority.predict(no_features),
            aligned_proba(majority.predict_proba(no_features), majority.classes_, classes),
        )
        past = persistence[test]
        # Only when horizon exceeds the rows before the sample: no past label, use the majority.
        past = np.where(np.isnan(past), majority.predict(no_features), past)
        output["persistence"] = (past.astype(y_test.dtype), None)

        rows = scaled[context:]
        logistic = LogisticRegression(max_iter=5000).fit(rows[train], y_train)
        output["logistic_regression"] = (
            logistic.predict(rows[test]),
            aligned_proba(logistic.predict_proba(rows[test]), logistic.classes_, classes),
        )
        outputs.append(output)
        tests.append(test)

        fold = FoldResult(
            fold=number,
            train_dates=(dates[train[0]], dates[train[-1]]),
            test_dates=(dates[test[0]], dates[test[-1]]),
            n_train=len(train),
            n_test=len(test),
            scores={
                name: fold_scores(y_test, predicted, proba, classes)
                for name, (predicted, proba) in output.items()
            },
            test_class_shares=class_shares(y_test, classes),
            n_iter=getattr(estimator, "n_iter_", None),
            fit_seconds=fit_seconds,
        )
        folds.append(fold)
        if progress is not None:
            progress.note(_progress_line(fold, n_folds, time.perf_counter() - started))
        elif verbose:
            print(_progress_line(fold, n_folds, time.perf_counter() - started), file=sys.stderr)

    predictions, path_scores = _out_of_sample_paths(
        splitter, cv, tests, outputs, dates, y_samples, classes
    )

    result = WalkForwardResult(
        folds=folds,
        classes=classes,
        class_shares=class_shares(y_samples, classes),
        data={
            "n_rows": len(ohlcv),
            "first_date": iso_date(ohlcv.index[0]),
            "last_date": iso_date(ohlcv.index[-1]),
            "n_labelled_rows": len(y),
            "n_samples": len(y_samples),
            "first_sample_date": iso_date(dates[0]),
            "last_sample_date": iso_date(dates[-1]),
        },
        parameters={
            "sequence_length": sequence_length,
            "horizon": horizon,
            "threshold": threshold,
            "n_splits": n_splits,
            "cv": _cv_parameters(splitter, cv, n_test_groups),
            "warmup_rows": TechnicalIndicators.warmup_rows,
            "classifier": type(classifier).__name__,
            "classifier_params": json_params(classifier),
        },
        predictions=predictions,
        path_scores=path_scores,
    )
    if refit:
        result.model = fit_on_features(
            X,
            y,
            fresh_clone(classifier, "final"),
            sequence_length=sequence_length,
            horizon=horizon,
            threshold=threshold,
        )
    return result


def _out_of_sample_paths(splitter, cv, tests, outputs, dates, y_samples, classes):
    """The model's out-of-sample predictions and, for CPCV, every method's scores per path.

    Walk-forward and purged k-fold make one path of the folds' predictions; CPCV makes
    ``C(n_splits - 1, n_test_groups - 1)``, each block taken from one of the folds that
    tested it (``purgedcv``'s path assignment).
    """
    if cv == "cpcv":
        # Path p takes each block's predictions from the fold that the path was given for it.
        fold_of = splitter.reconstruct_paths(
            [np.full(len(test), number, dtype=float) for number, test in enumerate(tests)]
        ).astype(int)
    else:
        fold_of = np.full((1, len(y_samples)), -1)
        for number, test in enumerate(tests):
            fold_of[0, test] = number
    paths = [
        _path_outputs(fold_of[path], tests, outputs, len(y_samples))
        for path in range(len(fold_of))
    ]
    predictions = []
    for number, path in enumerate(paths, start=1):
        tested = path["rows"]
        frame = _prediction_frame(
            dates[tested],
            fold_of[number - 1, tested] + 1,
            y_samples[tested],
            path["outputs"]["model"][1],
            classes,
        )
        if cv == "cpcv":
            frame.insert(0, "path", number)
        predictions.append(frame)
    path_scores = None
    if cv == "cpcv":
        path_scores = {
            number: {
                name: fold_scores(y_samples[path["rows"]], predicted, proba, classes)
                for name, (predicted, proba) in path["outputs"].items()
            }
            for number, path in enumerate(paths, start=1)
        }
    return pd.concat(predictions), path_scores


def _path_outputs(fold_of_row, tests, outputs, n_samples):
    """One path's predictions by method, gathered from the folds that tested its rows.

    ``fold_of_row[i]`` is the fold (from 0) whose prediction of sample ``i`` the path takes,
    -1 for a sample no fold tested (the walk-forward's first training rows).
    """
    rows = np.flatnonzero(fold_of_row >= 0)
    gathered = {}
    for name in outputs[0]:
        first_predicted, first_proba = outputs[0][name]
        predicted = np.empty(n_samples, dtype=first_predicted.dtype)
        proba = None if first_proba is None else np.empty((n_samples, first_proba.shape[1]))
        for fold, test in enumerate(tests):
            taken = fold_of_row[test] == fold
            predicted[test[taken]] = outputs[fold][name][0][taken]
            if proba is not None:
                proba[test[taken]] = outputs[fold][name][1][taken]
        gathered[name] = (predicted[rows], None if proba is None else proba[rows])
    return {"rows": rows, "outputs": gathered}


def _cv_parameters(splitter, cv, n_test_groups):
    """The splitting scheme as the report records it."""
    parameters = {"scheme": cv, "n_fits": splitter.get_n_splits()}
    if cv == "walk-forward":
        parameters["gap"] = splitter.gap
        return parameters
    parameters["embargo_rows"] = splitter.embargo_observations
    parameters["purge"] = "training samples whose label interval overlaps a test label's"
    if cv == "cpcv":
        parameters["n_test_groups"] = n_test_groups
        parameters["n_paths"] = math.comb(splitter.n_splits - 1, n_test_groups - 1)
    return parameters


def _persistence(close, horizon, threshold):
    """Direction of the return from ``t - horizon`` to ``t``: the label of row ``t - horizon``.

    Known at the close of row ``t``. NaN for the first ``horizon`` rows.
    """
    close = np.asarray(close, dtype=np.float64)
    past = np.full(len(close), np.nan)
    returns = close[horizon:] / close[:-horizon] - 1.0
    past[horizon:] = np.where(returns > threshold, 1, np.where(returns < -threshold, -1, 0))
    return past


def fresh_clone(classifier, fit_name, *, predicts_only=False):
    """Unfitted copy of ``classifier``; each fit backs up into its own ``checkpoint_dir`` folder.

    Sharing one backup folder would let an interrupted fold's weights be restored into another
    fold's fit. Folds that completed are refitted on a rerun (identically, with a fixed
    ``random_state``); the fit that was interrupted resumes from its last epoch. A fold's model
    ``predicts_only``: it skips averaging its attention over its training windows
    (``store_attention=False``), a forward pass over them that nothing reads.
    """
    estimator = clone(classifier)
    if predicts_only and "store_attention" in estimator.get_params():
        estimator.set_params(store_attention=False)
    checkpoint_dir = getattr(estimator, "checkpoint_dir", None)
    if checkpoint_dir is not None:
        estimator.set_params(checkpoint_dir=os.path.join(checkpoint_dir, fit_name))
    return estimator


def with_callback(estimator, callback):
    """Add a Keras callback to ``estimator``'s own ``callbacks``; other estimators are left be.

    Returns
    -------
    estimator
    """
    if "callbacks" in estimator.get_params():
        estimator.set_params(callbacks=[*(estimator.get_params()["callbacks"] or []), callback])
    return estimator


def _prediction_frame(dates, fold, y_true, proba, classes):
    """One fold's out-of-sample rows: fold, true label, top class and probabilities."""
    frame = pd.DataFrame(
        proba,
        index=pd.Index(dates, name="date"),
        columns=[f"proba_{json_key(c)}" for c in classes],
    )
    frame.insert(0, "predicted_class", classes[proba.argmax(axis=1)])
    frame.insert(0, "y_true", y_true)
    frame.insert(0, "fold", fold)
    return frame


def _check_classes(y_train, fold, first, last):
    present = np.unique(y_train)
    if len(present) < 2:
        raise ValueError(
            f"the training samples of fold {fold} ({iso_date(first)} to {iso_date(last)}) all "
            f"have the label {present[0]}; a classifier needs two classes. Use more rows, fewer "
            "folds or a smaller threshold."
        )


def _progress_line(fold, n_splits, seconds):
    model, majority = fold.scores["model"], fold.scores["majority"]
    epochs = "" if fold.n_iter is None else f", epochs {fold.n_iter}"
    return (
        f"fold {fold.fold}/{n_splits}: train {fold.n_train} samples to "
        f"{iso_date(fold.train_dates[1])}, test {fold.n_test}: accuracy "
        f"{model['accuracy']:.4f} (majority {majority['accuracy']:.4f}), balanced accuracy "
        f"{model['balanced_accuracy']:.4f}{epochs}, {seconds:.0f} s"
    )
