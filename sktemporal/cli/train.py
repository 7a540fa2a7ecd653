"""``sktemporal train``: evaluate walk-forward against baselines, then fit and save the model.

Runs :func:`sktemporal.market.training_run.run_training` and prints its scores, the look-ahead
check of the final model and where the files went.
"""

import argparse
import math
from pathlib import Path

from sktemporal.cli.backtest import format_path_backtests
from sktemporal.cli.options import (
    DEFAULT_MODEL_PATHS,
    MODELS,
    RenamedOption,
    UsageError,
    add_data_path,
    integer,
    load_panel,
    load_prices,
    non_negative,
    one_line,
    wants_panel,
)
from sktemporal.model_selection import CV_SCHEMES

__all__ = [
    "DEFAULT_ENSEMBLE_HEADS",
    "DEFAULT_EPOCHS",
    "DEFAULT_PATIENCE",
    "DESCRIPTION",
    "HELP",
    "add_options",
    "classifier_params",
    "run",
]

HELP = "evaluate walk-forward against baselines, then fit and save the model"
DESCRIPTION = (
    "Walk-forward evaluation of a direction classifier on daily OHLCV prices: "
    "TimeSeriesSplit(n_splits, gap=horizon) over the labelled rows (or, with --cv, "
    "purged k-fold or combinatorial purged cross-validation), a scaler fitted on "
    "each training period only, windows over the whole scaled table. Prints accuracy, "
    "balanced accuracy, macro F1 and log loss per fold and their mean ± std, for the "
    "model and the majority-class, persistence and logistic-regression baselines. Then "
    "fits the model on all labelled rows and saves MODEL_PATH (.keras), "
    "MODEL_PATH.pipeline.json (preprocessing, for `sktemporal predict`), "
    "MODEL_PATH.oos.csv (the out-of-sample class probabilities of every test row of "
    "every fold, for `sktemporal backtest` and `sktemporal report`) and a JSON report. "
    "On many assets (see the data options) the indicators and labels are computed per "
    "asset, one model is trained on the windows of every asset (no window holds two), "
    "walk-forward by date (PanelTimeSeriesSplit, gap=horizon in each asset's own rows), "
    "and every method is scored per asset and pooled, next to a logistic regression per "
    "asset."
)

# About 5,000 windows at ~7 s an epoch for the default network on 2 CPU cores (JAX), for 5
# folds and the final fit: 10 epochs at most, with early stopping after 3 epochs without a
# better validation loss, keeps the default run near 4 minutes (README, "Result of the main
# job").
DEFAULT_EPOCHS = 10
DEFAULT_PATIENCE = 3
# Averaging the stem's auxiliary head into the predictions (the classifiers' default,
# ensemble_heads=True, chosen on UCR/UEA sets) lowered this walk-forward's balanced accuracy in
# each of its 5 folds, the same networks predicting both ways (docs/accuracy.md). The main job
# predicts from the attention network alone, so its attention weights explain the whole
# prediction.
DEFAULT_ENSEMBLE_HEADS = False

# Architecture options: (flag, classifier parameter, the model it applies to or None, help).
_ARCHITECTURE_OPTIONS = (
    ("--lstm-units", "lstm_units", "attention-lstm", "units of each LSTM layer (default: 128 64)"),
    ("--attention-units", "attention_units", "attention-lstm", "attention size (default: 64)"),
    ("--d-model", "d_model", "transformer", "embedding width (default: 64)"),
    (
        "--num-heads",
        "num_heads",
        "transformer",
        "attention heads; must divide --d-model (default: 4)",
    ),
    ("--num-layers", "num_layers", "transformer", "encoder blocks (default: 2)"),
    ("--ff-dim", "ff_dim", "transformer", "feed-forward width (default: 128)"),
    ("--dense-units", "dense_units", None, "units of the dense layer of the head (default: 64)"),
    (
        "--stem-filters",
        "stem_filters",
        None,
        "filters of each convolution block of the stem (default: 128 256 128)",
    ),
    (
        "--stem-kernel-sizes",
        "stem_kernel_sizes",
        None,
        "kernel size of each stem block, one per --stem-filters value (default: 8 5 3)",
    ),
)
# Options that take one or more values, stored as a tuple.
_MULTI_VALUE_OPTIONS = ("lstm_units", "stem_filters", "stem_kernel_sizes")
# The classifiers' default stem, for the one-kernel-size-per-block check.
_DEFAULT_STEM = {"stem_filters": (128, 256, 128), "stem_kernel_sizes": (8, 5, 3)}


def add_options(parser):
    """Add the options of ``sktemporal train`` to its parser."""
    add_data_path(parser)
    parser.add_argument(
        "--model-path",
        help="where to save the model, ending in .keras "
        f"(default: {DEFAULT_MODEL_PATHS['attention-lstm']}, or "
        f"{DEFAULT_MODEL_PATHS['transformer']} with --model transformer)",
    )
    parser.add_argument(
        "--report", help="where to write the JSON report (default: MODEL_PATH.report.json)"
    )
    parser.add_argument(
        "--model", choices=MODELS, default="attention-lstm", help="(default: %(default)s)"
    )
    parser.add_argument(
        "--epochs",
        type=integer(1),
        default=DEFAULT_EPOCHS,
        help="most epochs per fit (default: %(default)s)",
    )
    parser.add_argument(
        "--patience",
        type=integer(0),
        default=DEFAULT_PATIENCE,
        help="epochs without a better validation loss before training stops and the best "
        "weights are restored; 0 turns early stopping off (default: %(default)s)",
    )
    parser.add_argument(
        "--sequence-length",
        type=integer(2),
        default=30,
        help="rows per window, at least 2: attention over one row is always 1 "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--horizon",
        type=integer(1),
        default=1,
        help="rows ahead the labels look (default: %(default)s)",
    )
    parser.add_argument(
        "--flat-band",
        type=non_negative,
        default=0.005,
        metavar="RETURN",
        help="returns within ±RETURN over the horizon are labelled flat (0), larger ones up "
        "(1) or down (-1) (default: %(default)s, i.e. ±0.5%%)",
    )
    parser.add_argument(
        "--threshold",
        dest="flat_band",
        type=non_negative,
        action=RenamedOption,
        new_name="--flat-band",
    )
    parser.add_argument(
        "--cv",
        choices=CV_SCHEMES,
        default="walk-forward",
        help="how the labelled rows are split: walk-forward trains on the past only; "
        "purged-kfold and cpcv (combinatorial purged cross-validation) also train after the "
        "test block, purging training rows whose label overlaps a test label and embargoing "
        "horizon + sequence length - 1 rows after it; cpcv scores C(n-1, k-1) full "
        "out-of-sample paths and backtests each (default: %(default)s)",
    )
    parser.add_argument(
        "--n-splits",
        type=integer(2),
        default=5,
        help="folds, or blocks with --cv cpcv (default: %(default)s)",
    )
    parser.add_argument(
        "--n-test-groups",
        type=integer(1),
        default=2,
        help="with --cv cpcv: blocks tested by each fit, fewer than --n-splits; "
        "C(n-splits, n-test-groups) fits (default: %(default)s)",
    )
    parser.add_argument(
        "--test-size",
        type=integer(1),
        metavar="DATES",
        help="many assets: dates per test block (default: dates // (n-splits + 1))",
    )
    parser.add_argument(
        "--per-asset-models",
        action="store_true",
        help="many assets: also train and score one model per asset on the same folds "
        "(n-splits x assets more fits), to see whether training across assets helps "
        "(default: off)",
    )
    parser.add_argument("--batch-size", type=integer(1), default=32, help="(default: %(default)s)")
    parser.add_argument(
        "--ensemble-heads",
        action=argparse.BooleanOptionalAction,
        default=DEFAULT_ENSEMBLE_HEADS,
        help="predict from the mean of the attention network's head and the stem's auxiliary "
        "head rather than from the attention network alone (default: alone; on this "
        "walk-forward the mean scored lower in every fold)",
    )
    parser.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=None,
        help="back up each fit after every epoch in this folder; rerunning the same command "
        "after an interruption resumes the interrupted fit from its last epoch",
    )
    parser.add_argument(
        "--random-state",
        type=integer(0),
        default=0,
        help="seed of every fit (default: %(default)s)",
    )
    architecture = parser.add_argument_group(
        "architecture",
        "Network sizes; left out, the classifier's defaults apply. Small values "
        "(e.g. --lstm-units 4 --attention-units 4 --dense-units 4) make quick test runs.",
    )
    for flag, dest, model, text in _ARCHITECTURE_OPTIONS:
        nargs = "+" if dest in _MULTI_VALUE_OPTIONS else None
        suffix = "" if model is None else f"; --model {model} only"
        architecture.add_argument(
            flag, dest=dest, type=integer(1), nargs=nargs, metavar="N", help=text + suffix
        )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress output (default: on stderr, a live display of the epochs of every "
        "fit with the time left on a terminal, plain lines at the end of each fit elsewhere)",
    )


def run(args, stdout, stderr):
    """Evaluate, fit and save as the options say; print the scores and where the files went."""
    from sktemporal.market.preparation import minimum_rows
    from sktemporal.market.progress import TrainingProgress
    from sktemporal.market.saved_run import BUNDLED_SOURCE, TrainingRunFiles
    from sktemporal.market.training_run import run_training

    try:
        files = TrainingRunFiles(args.model_path or DEFAULT_MODEL_PATHS[args.model], args.report)
    except ValueError as error:
        raise UsageError(f"argument --model-path/--report: {one_line(error)}") from None
    if args.cv == "cpcv" and args.n_test_groups >= args.n_splits:
        raise UsageError(
            f"argument --n-test-groups: must be smaller than --n-splits ({args.n_splits}) "
            "with --cv cpcv"
        )
    params = classifier_params(args)
    settings = {
        "sequence_length": args.sequence_length,
        "horizon": args.horizon,
        "threshold": args.flat_band,
    }
    if wants_panel(args):
        return _run_panel(args, stdout, stderr, files, params, settings)
    for flag, value in (("--test-size", args.test_size), ("--per-asset-models", None)):
        if value is not None or (flag == "--per-asset-models" and args.per_asset_models):
            raise UsageError(f"argument {flag}: applies to many assets only")
    needed = minimum_rows(args.sequence_length, args.horizon, args.n_splits)
    prices = load_prices(
        args,
        needed,
        f"a {args.n_splits}-fold {args.cv} evaluation with --sequence-length "
        f"{args.sequence_length} and --horizon {args.horizon}",
    )
    n_fits, folds = _fits(args)
    source = args.data_path[0] if args.data_path else BUNDLED_SOURCE
    backend, reason = args.keras_backend
    print(
        f"{source}: {len(prices)} rows, {prices.index[0]:%Y-%m-%d} to "
        f"{prices.index[-1]:%Y-%m-%d}; {args.model}, {folds}, sequence length "
        f"{args.sequence_length}, horizon {args.horizon}, flat band ±{args.flat_band:g}; "
        f"Keras on {backend} ({reason})",
        file=stdout,
    )
    stdout.flush()

    progress = None
    if not args.quiet:
        progress = TrainingProgress(
            n_fits + 1, args.epochs, restores_best=bool(args.patience), stream=stderr
        )
    result, lookahead, report = run_training(
        prices,
        _make_classifier(args.model, params),
        files,
        **settings,
        n_splits=args.n_splits,
        cv=args.cv,
        n_test_groups=args.n_test_groups,
        source=source,
        progress=progress,
        command_line=_recorded_command_line(args),
    )
    print(result.format_table(), file=stdout)
    if "paths" in report:
        print(format_path_backtests(report["paths"]["backtest"]), file=stdout)
    print(
        f"look-ahead check of the final model: {'LEAK' if lookahead.leaks else 'no leak'} "
        f"({len(lookahead.details)} perturbed predictions compared)",
        file=stdout,
    )
    print(
        f"saved the model to {files.model} (+ {files.pipeline.name}, "
        f"{files.predictions.name}: {_prediction_count(result)}) and the "
        f"report to {files.report} in {report['elapsed_seconds']:.0f} s",
        file=stdout,
    )
    return 0


def _run_panel(args, stdout, stderr, files, params, settings):
    """``sktemporal train`` on many assets: one model across them, walk-forward by date."""
    from sktemporal.market.panel_run import run_panel_training
    from sktemporal.market.progress import TrainingProgress

    if args.cv != "walk-forward":
        raise UsageError(
            f"argument --cv: many assets are split walk-forward by date; {args.cv} is not "
            "offered for them yet (sktemporal.model_selection.PanelPurgedKFold and "
            "PanelCombinatorialPurgedCV do it in Python)"
        )
    prices, source = load_panel(args)
    symbols = list(dict.fromkeys(prices.index.get_level_values(0)))
    dates = prices.index.get_level_values(1)
    close_only = list(prices.columns) == ["close"]
    features = (
        "close-only indicators (18 TA-Lib indicators of the close: the data has no open, high, "
        "low or volume)"
        if close_only
        else "34 OHLCV indicators"
    )
    backend, reason = args.keras_backend
    shown = ", ".join(symbols[:8]) + (f", ... ({len(symbols)})" if len(symbols) > 8 else "")
    print(
        f"{source}: {len(symbols)} assets ({shown}), {len(prices)} rows, "
        f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}; {features} per asset; "
        f"{args.model} trained across the assets, {args.n_splits} folds walk-forward by date, "
        f"sequence length {args.sequence_length}, horizon {args.horizon}, flat band "
        f"±{args.flat_band:g}; Keras on {backend} ({reason})",
        file=stdout,
    )
    stdout.flush()
    progress = None
    if not args.quiet:
        progress = TrainingProgress(
            args.n_splits + 1, args.epochs, restores_best=bool(args.patience), stream=stderr
        )
    result, lookahead, report = run_panel_training(
        prices,
        _make_classifier(args.model, params),
        files,
        **settings,
        n_splits=args.n_splits,
        test_size=args.test_size,
        per_asset_models=args.per_asset_models,
        source=source,
        progress=progress,
        command_line=_recorded_command_line(args),
    )
    print(result.format_table(), file=stdout)
    print(
        f"look-ahead check of the final model on every asset, cut by date: "
        f"{'LEAK' if lookahead.leaks else 'no leak'} ({len(lookahead.details)} perturbed "
        "predictions compared)",
        file=stdout,
    )
    out_of_sample = result.out_of_sample()
    print(
        f"saved the model to {files.model} (+ {files.pipeline.name}, {files.predictions.name}: "
        f"{out_of_sample['n_samples']} out-of-sample predictions of {len(result.symbols)} "
        f"assets) and the report to {files.report} in {report['elapsed_seconds']:.0f} s",
        file=stdout,
    )
    return 0


def _fits(args):
    """The number of fits of the evaluation, and how its folds are named on the first line."""
    if args.cv == "cpcv":
        n_fits = math.comb(args.n_splits, args.n_test_groups)
        n_paths = math.comb(args.n_splits - 1, args.n_test_groups - 1)
        return n_fits, (
            f"CPCV over {args.n_splits} blocks, {args.n_test_groups} tested per fit: {n_fits} "
            f"fits, {n_paths} paths"
        )
    if args.cv == "purged-kfold":
        return args.n_splits, f"purged {args.n_splits}-fold"
    return args.n_splits, f"{args.n_splits} folds"


def classifier_params(args):
    """The classifier's parameters from the options; checked without importing Keras."""
    params = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "ensemble_heads": args.ensemble_heads,
        "patience": args.patience or None,
        "random_state": args.random_state,
        "checkpoint_dir": None if args.checkpoint_dir is None else str(args.checkpoint_dir),
        "verbose": 0,
    }
    for flag, dest, model, _ in _ARCHITECTURE_OPTIONS:
        value = getattr(args, dest)
        if value is None:
            continue
        if model is not None and model != args.model:
            raise UsageError(f"argument {flag}: applies to --model {model} only")
        params[dest] = tuple(value) if isinstance(value, list) else value
    filters, kernel_sizes = ({**_DEFAULT_STEM, **params}[name] for name in _DEFAULT_STEM)
    if len(filters) != len(kernel_sizes):
        raise UsageError(
            f"argument --stem-kernel-sizes: the stem needs one kernel size per block, got "
            f"{len(filters)} --stem-filters and {len(kernel_sizes)} kernel sizes"
        )
    if args.model == "transformer":
        d_model, num_heads = params.get("d_model", 64), params.get("num_heads", 4)
        if d_model % num_heads:
            raise UsageError(
                f"argument --num-heads: {num_heads} heads do not divide --d-model {d_model}"
            )
    return params


def _make_classifier(model, params):
    from sktemporal import AttentionLSTMClassifier, TransformerClassifier

    if model == "transformer":
        return TransformerClassifier(**params)
    return AttentionLSTMClassifier(**params)


def _prediction_count(result):
    out_of_sample = result.out_of_sample()
    if out_of_sample["n_paths"] > 1:
        return (
            f"{out_of_sample['n_samples']} out-of-sample days on each of "
            f"{out_of_sample['n_paths']} paths"
        )
    return f"{out_of_sample['n_samples']} out-of-sample predictions"


def _recorded_command_line(args):
    """The parsed options as the JSON report records them (paths as text)."""
    return {
        key: str(value) if isinstance(value, Path) else value
        for key, value in vars(args).items()
        if key not in ("run", "keras_backend")
    }
