"""The training run of ``sktemporal train``: evaluate walk-forward, fit, check, save.

:func:`run_training` is the whole job on prices already loaded; the command line only maps
its options onto it and prints what it returns.
"""

import contextlib
import time

from sktemporal.market.direction_model import fit_direction_model
from sktemporal.market.out_of_sample import split_paths
from sktemporal.market.sweep import path_backtest_report
from sktemporal.market.walk_forward import fresh_clone, walk_forward_evaluate, with_callback

__all__ = ["run_training"]


def run_training(
    prices,
    classifier,
    files,
    *,
    sequence_length,
    horizon,
    threshold,
    n_splits,
    source,
    cv="walk-forward",
    n_test_groups=2,
    confidence=0.65,
    progress=None,
    command_line=None,
):
    """Evaluate ``classifier`` walk-forward, fit it on all rows, check it, save the run.

    1. :func:`~sktemporal.market.walk_forward.walk_forward_evaluate` scores it fold by fold
       against the baselines and keeps every fold's out-of-sample predictions; with CPCV,
       every path is also backtested (:func:`~sktemporal.market.sweep.path_backtest_report`);
    2. :func:`~sktemporal.market.direction_model.fit_direction_model` fits a fresh copy on
       all labelled rows;
    3. :meth:`~sktemporal.market.direction_model.DirectionModel.check_no_lookahead` checks
       that final model for look-ahead;
    4. ``files`` (:class:`~sktemporal.market.saved_run.TrainingRunFiles`) writes the model,
       its preprocessing, the out-of-sample predictions and the JSON report as one
       transaction.

    Parameters
    ----------
    prices : pandas.DataFrame
        Daily OHLCV prices.
    classifier : estimator
        The unfitted window classifier; cloned for every fit.
    files : TrainingRunFiles
        Where the run goes.
    sequence_length, horizon, threshold, n_splits
        As for :func:`~sktemporal.market.walk_forward.walk_forward_evaluate`.
    source : str
        Where the prices come from, recorded with the model and in the report.
    cv : {"walk-forward", "purged-kfold", "cpcv"}, default="walk-forward"
        How the evaluation splits the samples.
    n_test_groups : int, default=2
        CPCV only: blocks tested by each fit.
    confidence : float, default=0.65
        CPCV only: the confidence threshold each path is backtested at, besides 0 (every
        day's most probable class acted on).
    progress : TrainingProgress, default=None
        Follows the epochs of every fit (:class:`~sktemporal.market.progress.TrainingProgress`,
        entered here); None for no progress output.
    command_line : dict, default=None
        The options the run was started with, recorded in the report.

    Returns
    -------
    result : WalkForwardResult
        The walk-forward scores, with the final model as ``result.model``.
    lookahead : LookaheadReport
        The look-ahead check of the final model.
    report : dict
        The JSON report as written.
    """
    started = time.perf_counter()
    settings = {"sequence_length": sequence_length, "horizon": horizon, "threshold": threshold}
    with progress or contextlib.nullcontext():
        result = walk_forward_evaluate(
            prices,
            classifier,
            n_splits=n_splits,
            cv=cv,
            n_test_groups=n_test_groups,
            refit=False,
            progress=progress,
            **settings,
        )
        final = fresh_clone(classifier, "final")
        if progress is not None:
            progress.note(f"fitting the final model on {result.data['n_samples']} samples")
            with_callback(final, progress.callback("final"))
        result.model = fit_direction_model(prices, final, **settings)
        final.set_params(callbacks=classifier.callbacks)  # the display is not part of the model
    lookahead = result.model.check_no_lookahead(prices)
    result.model.trained_on["data_source"] = str(source)
    result.model.out_of_sample = {
        key: value for key, value in result.out_of_sample().items() if key != "columns"
    }

    report = result.to_dict()
    if "paths" in report:
        report["paths"]["backtest"] = path_backtest_report(
            split_paths(result.predictions), prices["close"], thresholds=(0.0, confidence)
        )
    report["parameters"]["command_line"] = command_line or {}
    report["data"]["source"] = str(source)
    report["lookahead_check"] = {
        "leaks": lookahead.leaks,
        "first_leaking_step": lookahead.first_leaking_step,
        "first_row": lookahead.first_row,
        "max_abs_diff": lookahead.max_abs_diff,
        "cutoffs": list(lookahead.cutoffs),
        "kinds": list(lookahead.kinds),
        "rows_checked": min(len(prices), 300),
    }
    report["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    files.write(result.model, result.predictions_csv(), report)
    return result, lookahead, report
